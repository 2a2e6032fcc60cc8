"""Build side: recompute the learning curves and the condition comparison (training code).

:mod:`tlcourse.curves` (course side) reads the shipped results; ``python -m tlcourse
results`` recomputes them with :func:`recompute_learning_curves` and
:func:`recompute_condition_comparison`. Here: the fine-tuning recipe notebook 04 teaches (head first,
then the top block only, BatchNormalization in inference mode, a learning rate 10x lower),
the sweep over label budgets, and the provenance note written next to the results. Not
shipped to students: :func:`unfreeze_top_block` and :func:`fine_tuned` are notebook 04's
exercises.
"""

from __future__ import annotations

import json
import os
import platform
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from tlcourse import data
from tlcourse.build import transfer_baselines as baselines
from tlcourse.build.backbone import to_model_input
from tlcourse import curves
from tlcourse.curves import (
    BATCH_SIZE, FINE_TUNE_EPOCHS, FINE_TUNE_FACTOR, HEAD_LEARNING_RATE, KS, METHOD_NAMES_ES, SEED,
    backbone_sha256,
)
from tlcourse.contract import TOP_BLOCK
from tlcourse.grader.hidden_test_helpers import accuracy


def _tf():  # type: ignore[no-untyped-def]
    from tlcourse._env import import_tensorflow_quietly

    return import_tensorflow_quietly()


# --------------------------------------------------------------------------------------
# Fine-tuning
# --------------------------------------------------------------------------------------
def unfreeze_top_block(backbone, prefix: str = TOP_BLOCK):  # type: ignore[no-untyped-def]
    """Only the layers named ``prefix*`` train; BatchNormalization layers stay frozen."""
    tf = _tf()
    backbone.trainable = True
    for layer in backbone.layers:
        is_bn = isinstance(layer, tf.keras.layers.BatchNormalization)
        layer.trainable = layer.name.startswith(prefix) and not is_bn
    return backbone


def fine_tuned(k: int, condition: data.Condition = "campo", seed: int = SEED,
               epochs: int = FINE_TUNE_EPOCHS, factor: float = FINE_TUNE_FACTOR,
               backbone: Any = None, verbose: int = 0,
               head_epochs: int = baselines.HEAD_EPOCHS) -> dict[str, float]:
    """Frozen backbone + linear head, then the top block fine-tuned; both test accuracies.

    1. Features of the ``k``-per-class subset from the frozen backbone (inference mode),
       a ``Dense`` softmax head trained on them exactly as
       :func:`tlcourse.baselines.train_linear_head` does (Adam 1e-2, ``head_epochs`` epochs).
    2. The head on top of the backbone called with ``training=False``; only the top block's
       convolution unfrozen (BatchNormalization stays frozen), recompiled with Adam at
       ``HEAD_LEARNING_RATE / factor``, trained ``epochs`` more epochs.

    Returns ``{"frozen": accuracy after step 1, "fine_tuned": accuracy after step 2}``.
    ``backbone``: a ``tf_keras`` model (modified in place) or ``None`` for the committed
    Keras file (:func:`tlcourse.hub.load_keras_backbone`).
    """
    tf = _tf()
    if backbone is None:
        from tlcourse import hub as course_hub

        backbone = course_hub.load_keras_backbone()
    x_train, y_train = data.target_subset(k, condition)
    x_test, y_test = data.load_task("target", "test", condition)
    inputs_train, inputs_test = to_model_input(x_train), to_model_input(x_test)

    backbone.trainable = False
    features = backbone.predict(inputs_train, batch_size=500, verbose=0)
    head = baselines.train_linear_head(features, y_train, seed=seed, epochs=head_epochs)
    dense = head.layers[-1]
    inputs = tf.keras.Input(inputs_train.shape[1:])
    model = tf.keras.Model(inputs, dense(backbone(inputs, training=False)))

    def test_accuracy() -> float:
        return accuracy(model.predict(inputs_test, batch_size=500, verbose=0), y_test)

    frozen = test_accuracy()
    unfreeze_top_block(backbone)
    tf.keras.utils.set_random_seed(seed)
    model.compile(tf.keras.optimizers.Adam(HEAD_LEARNING_RATE / factor),
                  "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(inputs_train, y_train, epochs=epochs, batch_size=BATCH_SIZE, verbose=verbose)
    return {"frozen": frozen, "fine_tuned": test_accuracy()}


# --------------------------------------------------------------------------------------
# The sweep
# --------------------------------------------------------------------------------------
def compute(ks: Iterable[int] = KS, condition: data.Condition = "campo", seed: int = SEED,
            verbose: int = 1, head_epochs: int = baselines.HEAD_EPOCHS):  # type: ignore[no-untyped-def]
    """Run the four methods for every ``k``; a long DataFrame ``k, method, accuracy, seconds``."""
    import pandas as pd

    from tlcourse import hub as course_hub

    rows = []

    def add(k: int, method: str, accuracy: float, seconds: float) -> None:
        rows.append({"k": int(k), "method": method, "accuracy": round(float(accuracy), 4),
                     "seconds": round(float(seconds), 1)})
        if verbose:
            print(f"k={k:3d}  {METHOD_NAMES_ES[method]:32s} {accuracy:.4f}  ({seconds:.1f} s)", flush=True)

    for k in ks:
        start = time.perf_counter()
        add(k, "pixels", baselines.pixels_logistic(k, condition), time.perf_counter() - start)
        start = time.perf_counter()
        add(k, "scratch", baselines.scratch_cnn(k, condition, seed=seed), time.perf_counter() - start)
        start = time.perf_counter()
        pair = fine_tuned(k, condition, seed=seed, backbone=course_hub.load_keras_backbone(),
                          head_epochs=head_epochs)
        seconds = time.perf_counter() - start
        add(k, "frozen", pair["frozen"], seconds)
        add(k, "fine_tuned", pair["fine_tuned"], seconds)
    return pd.DataFrame(rows, columns=["k", "method", "accuracy", "seconds"])


# --------------------------------------------------------------------------------------
# Provenance
# --------------------------------------------------------------------------------------
def write_provenance(path: Path, command: str, seconds: float, **settings: Any) -> None:
    """A JSON note next to shipped results: command, settings, backbone checksum, machine."""
    tf = _tf()
    provenance = {
        "command": command, **settings, "seed": SEED,
        "backbone_file": "hub/tlcourse_backbone.h5", "backbone_sha256": backbone_sha256(),
        "fine_tune": {"head_learning_rate": HEAD_LEARNING_RATE, "factor": FINE_TUNE_FACTOR,
                      "epochs": FINE_TUNE_EPOCHS, "batch_size": BATCH_SIZE, "top_block": TOP_BLOCK},
        "total_seconds": round(seconds, 1),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                    "python": platform.python_version(), "tensorflow": tf.__version__},
        "date_utc": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    path.write_text(json.dumps(provenance, indent=1) + "\n")


# --------------------------------------------------------------------------------------
# Recompute data/results/ (``python -m tlcourse results``)
# --------------------------------------------------------------------------------------
LEARNING_CURVES_COMMAND = "python -m tlcourse results"
CONDITIONS_COMMAND = "python -m tlcourse results --conditions"


def _save(table, path: Path, provenance: Path, command: str, seconds: float,  # type: ignore[no-untyped-def]
          **settings: Any) -> None:
    """Write ``table`` as CSV over the shipped file and its provenance note beside it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(path, index=False)
    write_provenance(provenance, command, seconds, **settings)


def recompute_learning_curves(ks: Iterable[int] = KS, condition: data.Condition = "campo",
                              save: bool = True, verbose: int = 1):  # type: ignore[no-untyped-def]
    """The whole sweep again (several minutes on 2 CPU cores); by default saved over the
    shipped ``data/results/curvas_aprendizaje.{csv,json}`` (``save=False`` keeps them)."""
    ks = tuple(ks)
    start = time.perf_counter()
    table = compute(ks, condition, verbose=verbose)
    seconds = time.perf_counter() - start
    if save:
        _save(table, curves.results_path(), curves.provenance_path(), LEARNING_CURVES_COMMAND, seconds,
              condition=condition, ks=list(ks))
    if verbose:
        print(f"Curvas calculadas en {seconds:.0f} s.", flush=True)
    return table


def recompute_condition_comparison(k: int = curves.COMPARISON_K, save: bool = True, verbose: int = 1,
                                   head_epochs: int = curves.COMPARISON_HEAD_EPOCHS):  # type: ignore[no-untyped-def]
    """The methods of :func:`compute` at one budget ``k`` in *catálogo* and in *campo*, the
    linear head trained with notebook 03's recipe (``head_epochs`` epochs); about two minutes
    on 2 CPU cores; by default saved over ``data/results/comparacion_condiciones.{csv,json}``."""
    import pandas as pd

    start = time.perf_counter()
    parts = []
    for condition in curves.CONDITIONS:
        part = compute([k], condition, verbose=verbose, head_epochs=head_epochs)
        part.insert(0, "condition", condition)
        parts.append(part)
    table = pd.concat(parts, ignore_index=True)
    seconds = time.perf_counter() - start
    if save:
        _save(table, curves.comparison_path(), curves.comparison_provenance_path(), CONDITIONS_COMMAND,
              seconds, conditions=list(curves.CONDITIONS), k=k, head_epochs=head_epochs)
    return table


def results_command(conditions: bool = False, save: bool = True) -> int:
    """``python -m tlcourse results``: recompute data/results/ (learning curves, or the conditions)."""
    if conditions:
        table = recompute_condition_comparison(save=save)
        print(table.pivot_table(index="condition", columns="method", values="accuracy").round(3).to_string())
        return 0
    print(curves.as_table(recompute_learning_curves(save=save)).round(3).to_string())
    return 0
