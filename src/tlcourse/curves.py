"""Learning curves over label budgets: how many labels transfer learning saves (notebook 04).

For every budget ``k`` (images per class of the target task, *campo*) four methods are
trained on the course's fixed subset (:func:`tlcourse.data.target_subset`) and scored on
the **whole** target test set (5000 images):

* ``pixels``: logistic regression on raw pixels (:func:`tlcourse.baselines.pixels_logistic`);
* ``scratch``: a small CNN from scratch (:func:`tlcourse.build.transfer_baselines.scratch_cnn`);
* ``frozen``: the frozen backbone + a linear head (the recipe of
  :func:`tlcourse.build.transfer_baselines.frozen_linear`: head trained on cached features);
* ``fine_tuned``: that same frozen model, then its top block fine-tuned
  (:func:`tlcourse.build.curves_sweep.fine_tuned`), so ``frozen`` and ``fine_tuned`` are a paired comparison.

The sweep takes minutes, so the course ships its result in
``data/results/curvas_aprendizaje.csv`` (plus a provenance file naming the backbone it
was computed with). ``learning_curves()`` reads it; ``python -m tlcourse results``
re-runs the sweep with the committed backbone and rewrites both files. The sweep itself
(training code) is build side, :mod:`tlcourse.build.curves_sweep`: this module only reads,
tabulates and plots, and ships to students.

:func:`condition_comparison` does the same for one budget (``k = 20``) in both conditions,
*catálogo* and *campo* (notebook 03's comparison), shipped in
``data/results/comparacion_condiciones.csv``.
"""

from __future__ import annotations

from pathlib import Path

from tlcourse import baselines, data
from tlcourse.contract import sha256_file

KS = data.SUBSET_SIZES  #: (5, 10, 20, 50, 100)
METHODS = ("pixels", "scratch", "frozen", "fine_tuned")
METHOD_NAMES_ES = {
    "pixels": "píxeles + regresión logística",
    "scratch": "CNN desde cero",
    "frozen": "backbone congelado",
    "fine_tuned": "ajuste fino (bloque superior)",
}
SEED = 42
RESULTS_FILE = "curvas_aprendizaje.csv"
PROVENANCE_FILE = "curvas_aprendizaje.json"
COMPARISON_FILE = "comparacion_condiciones.csv"
COMPARISON_PROVENANCE_FILE = "comparacion_condiciones.json"
COMPARISON_K = 20
#: Epochs of the linear head in notebook 03's recipe (Adam 1e-2, batches of 32). The model
#: card's 100 epochs leave the head short of convergence: over seeds 0-7 at k = 20 (campo)
#: 100 epochs give 0.834-0.875 (median 0.865), 200 epochs 0.868-0.890 (median 0.885).
COMPARISON_HEAD_EPOCHS = 200
CONDITIONS: tuple[data.Condition, ...] = ("catalogo", "campo")

# Fine-tuning recipe (the one notebook 04 teaches): head first, then the top block only,
# BatchNormalization in inference mode, a learning rate 10x lower than the head's.
HEAD_LEARNING_RATE = baselines.HEAD_LEARNING_RATE  #: 1e-2, Adam (the frozen recipe)
FINE_TUNE_FACTOR = 10  #: fine-tuning learning rate = HEAD_LEARNING_RATE / FINE_TUNE_FACTOR
FINE_TUNE_EPOCHS = 10
BATCH_SIZE = 32


def results_dir() -> Path:
    """``data/results`` of the course repository."""
    from tlcourse.paths import data_dir

    return data_dir() / "results"


def results_path() -> Path:
    return results_dir() / RESULTS_FILE


def provenance_path() -> Path:
    return results_dir() / PROVENANCE_FILE


def comparison_path() -> Path:
    return results_dir() / COMPARISON_FILE


def comparison_provenance_path() -> Path:
    return results_dir() / COMPARISON_PROVENANCE_FILE


def backbone_sha256() -> str:
    """sha256 of the committed Keras backbone file (the curves' provenance)."""
    from tlcourse import hub as course_hub

    return sha256_file(course_hub.keras_backbone_path())


def learning_curves():  # type: ignore[no-untyped-def]
    """The shipped learning curves (``data/results/curvas_aprendizaje.csv``) as a DataFrame
    with columns ``k, method, accuracy, seconds``. ``python -m tlcourse results`` recomputes
    them (build side, several minutes on 2 CPU cores)."""
    import pandas as pd

    path = results_path()
    if not path.is_file():
        raise FileNotFoundError(
            f"Falta {path}. Restáuralo con `git checkout -- data/results/` o recalcúlalo en el "
            "repositorio del curso con `python -m tlcourse results`.")
    return pd.read_csv(path)


def condition_comparison():  # type: ignore[no-untyped-def]
    """The shipped comparison at one budget (``k = 20``) in *catálogo* and in *campo*
    (``data/results/comparacion_condiciones.csv``): a long DataFrame ``condition, k, method,
    accuracy, seconds``. ``python -m tlcourse results --conditions`` recomputes it (build side)."""
    import pandas as pd

    path = comparison_path()
    if not path.is_file():
        raise FileNotFoundError(
            f"Falta {path}. Restáuralo con `git checkout -- data/results/` o recalcúlalo en el "
            "repositorio del curso con `python -m tlcourse results --conditions`.")
    return pd.read_csv(path)


def as_table(curves):  # type: ignore[no-untyped-def]
    """Wide view: one row per ``k``, one column per method (Spanish names), mean over repeats."""
    wide = curves.pivot_table(index="k", columns="method", values="accuracy", aggfunc="mean")
    wide = wide[[m for m in METHODS if m in wide.columns]]
    return wide.rename(columns=METHOD_NAMES_ES)


def plot(curves, ax=None, title: str | None = None):  # type: ignore[no-untyped-def]
    """Accuracy against labels per class (log scale), one line per method; returns the Axes."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4.2))
    wide = curves.pivot_table(index="k", columns="method", values="accuracy", aggfunc="mean")
    styles = {"pixels": ":s", "scratch": "--^", "frozen": "-o", "fine_tuned": "-D"}
    for method in METHODS:
        if method in wide.columns:
            ax.plot(wide.index, wide[method], styles[method], label=METHOD_NAMES_ES[method])
    ax.set_xscale("log")
    ax.set_xticks(list(wide.index))
    ax.set_xticklabels([str(k) for k in wide.index])
    ax.set_xlabel("imágenes etiquetadas por clase (k)")
    ax.set_ylabel("exactitud en prueba (campo)")
    ax.grid(alpha=0.3)
    ax.legend()
    ax.set_title(title or "Curvas de aprendizaje en la tarea destino (campo)")
    return ax
