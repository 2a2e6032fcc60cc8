"""Build side: does shift augmentation help the frozen backbone and the scratch CNN? (notebook 04).

*Campo* pastes each 28x28 item at a random position of a 40x40 canvas (0-12 pixels from the
top-left corner on each axis) and keeps the centre 32x32 crop (:mod:`tlcourse.data`): the
item moves up to 6 pixels from the centre on each axis, on a black background, and nothing
else varies. The augmentation that matches it is a random translation of up to
:data:`MAX_SHIFT_PX` pixels on each axis, filling with black (:func:`augmentation_layer`).

For one seed and ``k`` labelled images per class of the target task in *campo*, each model is
trained twice, identical in everything (data, seed, epochs, optimizer, batches) but for the
augmentation layer at its input, and scored on the whole target test set (5000 images):

* ``frozen``: the course backbone frozen (called with ``training=False``) + a new ``Dense``
  softmax head: notebook 04's phase 1 (Adam :data:`FROZEN_LEARNING_RATE`,
  :data:`FROZEN_EPOCHS` epochs, batches of 32). With augmentation the features cannot be
  cached: every epoch runs the backbone on freshly shifted images.
* ``scratch``: the small CNN of the learning curves (:func:`tlcourse.build.transfer_baselines.build_scratch_cnn`,
  its default candidate) with its protocol (:func:`tlcourse.build.transfer_baselines.train_scratch_cnn`:
  epochs chosen by early stopping on a stratified validation split of the training images,
  then retrained on all of them).

The seed changes the initialisation, the batch order and the shifts drawn; the labelled
subset is the course's fixed one, so the spread over seeds is training noise. The gain of a
seed is ``with - without`` (paired: same seed in both arms).

Run: ``python -m tlcourse augment-study --seeds 0,1,2 --k 50`` (runs merged into
``benchmarks/augmentation.json``); ``--course`` writes the summary to
``data/results/aumentacion_estudio.csv`` (+ ``.json`` provenance), which notebook 04 shows.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np

from tlcourse import data
from tlcourse.grader.hidden_test_helpers import accuracy

MODELS = ("frozen", "scratch")
#: Largest shift, in pixels, on each axis: *campo*'s item sits 0-12 pixels from the canvas
#: corner, so up to 6 pixels from the centre.
MAX_SHIFT_PX = (data.CANVAS - 28) // 2
SHIFT_FACTOR = MAX_SHIFT_PX / data.IMAGE_SIZE  #: the same as a fraction of the side (RandomTranslation)
FROZEN_EPOCHS = 30
FROZEN_LEARNING_RATE = 1e-2
BATCH_SIZE = 32
RECORD_FILE = "augmentation.json"
RESULTS_CSV = "aumentacion_estudio.csv"
RESULTS_PROVENANCE = "aumentacion_estudio.json"


def _tf():  # type: ignore[no-untyped-def]
    from tlcourse._env import import_tensorflow_quietly

    return import_tensorflow_quietly()


def augmentation_layer(name: str = "aumentacion"):  # type: ignore[no-untyped-def]
    """Random shifts of up to :data:`MAX_SHIFT_PX` pixels per axis, black fill; identity at inference."""
    tf = _tf()
    return tf.keras.Sequential([tf.keras.layers.RandomTranslation(
        SHIFT_FACTOR, SHIFT_FACTOR, fill_mode="constant", fill_value=0.0)], name=name)


def _inputs(images: np.ndarray) -> np.ndarray:
    from tlcourse.build.backbone import to_model_input

    return to_model_input(images)


def _accuracy(model: Any, x: np.ndarray, y: np.ndarray) -> float:
    return accuracy(model.predict(x, batch_size=500, verbose=0), y)


def train_frozen(x: np.ndarray, y: np.ndarray, seed: int, augment: bool, load_backbone=None):  # type: ignore[no-untyped-def]
    """Input -> (shifts while training) -> frozen backbone(training=False) -> Dense softmax, trained."""
    tf = _tf()
    if load_backbone is None:
        from tlcourse import hub as course_hub

        load_backbone = lambda: course_hub.load_keras_backbone(verify=False)  # noqa: E731
    backbone = load_backbone()
    backbone.trainable = False
    tf.keras.utils.set_random_seed(seed)
    inputs = tf.keras.Input(x.shape[1:])
    h = augmentation_layer()(inputs) if augment else inputs
    outputs = tf.keras.layers.Dense(5, activation="softmax", name="head")(backbone(h, training=False))
    model = tf.keras.Model(inputs, outputs)
    model.compile(tf.keras.optimizers.Adam(FROZEN_LEARNING_RATE), "sparse_categorical_crossentropy")
    model.fit(x, y, epochs=FROZEN_EPOCHS, batch_size=BATCH_SIZE, verbose=0)
    return model


def train_scratch(images: np.ndarray, y: np.ndarray, seed: int, augment: bool):  # type: ignore[no-untyped-def]
    """The learning curves' scratch CNN and protocol, with or without the shifts at its input."""
    from tlcourse.build.transfer_baselines import build_scratch_cnn, train_scratch_cnn

    tf = _tf()

    def build(shape):  # type: ignore[no-untyped-def]
        cnn = build_scratch_cnn(shape)
        if not augment:
            return cnn
        return tf.keras.Sequential([tf.keras.Input(shape), augmentation_layer(), *cnn.layers], name="scratch_aug")

    return train_scratch_cnn(images, y, seed=seed, build_fn=build)


def run_seed(model: str, k: int, seed: int) -> dict[str, Any]:
    """Both arms (without and with augmentation) of ``model`` for one seed: test accuracies."""
    from tlcourse.build.transfer_baselines import _scratch_input

    if model not in MODELS:
        raise ValueError(f"model must be one of {MODELS}, not {model!r}")
    x_train, y_train = data.target_subset(k, "campo")
    x_test, y_test = data.load_task("target", "test", "campo")
    row: dict[str, Any] = {"model": model, "k": k, "seed": seed}
    for arm, augment in (("without", False), ("with", True)):
        start = time.perf_counter()
        if model == "frozen":
            trained = train_frozen(_inputs(x_train), y_train, seed, augment)
            row[arm] = _accuracy(trained, _inputs(x_test), y_test)
        else:
            trained = train_scratch(x_train, y_train, seed, augment)
            row[arm] = _accuracy(trained, _scratch_input(x_test), y_test)
            row[f"{arm}_epochs"] = trained.tuning["chosen"]["epochs"]
        row[f"{arm}_seconds"] = round(time.perf_counter() - start, 1)
    row["gain"] = row["with"] - row["without"]
    return row


def summarise(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per (model, k): seeds, mean accuracy of each arm, and the paired gain's mean and spread."""
    out = []
    for model, k in dict.fromkeys((r["model"], r["k"]) for r in runs):
        rows = sorted((r for r in runs if (r["model"], r["k"]) == (model, k)), key=lambda r: r["seed"])
        entry: dict[str, Any] = {"model": model, "k": k, "seeds": len(rows), "shift_px": MAX_SHIFT_PX}
        for key in ("without", "with", "gain"):
            values = [r[key] for r in rows]
            entry[key] = round(statistics.fmean(values), 4)
            entry[f"{key}_sd"] = round(statistics.stdev(values), 4) if len(values) > 1 else None
        gains = [r["gain"] for r in rows]
        entry["gain_min"], entry["gain_max"] = round(min(gains), 4), round(max(gains), 4)
        out.append(entry)
    return out


def machine() -> dict[str, Any]:
    """Where the study ran (CPU count, platform, versions)."""
    return {"cpus": os.cpu_count(), "platform": platform.platform(),
            "python": platform.python_version(), "tensorflow": _tf().__version__}


def write_course_results(record: dict[str, Any], out_dir: Path) -> Path:
    """The summary as ``data/results/aumentacion_estudio.csv`` plus its provenance ``.json``."""
    import pandas as pd

    from tlcourse.curves import backbone_sha256

    path = Path(out_dir) / RESULTS_CSV
    pd.DataFrame(summarise(record["runs"])).to_csv(path, index=False)
    provenance = {"command": "python -m tlcourse augment-study --course", "record": f"benchmarks/{RECORD_FILE}",
                  "method": "tlcourse.build.augment_study (module docstring)", "shift_px": MAX_SHIFT_PX,
                  "frozen_epochs": FROZEN_EPOCHS, "frozen_learning_rate": FROZEN_LEARNING_RATE,
                  "backbone_file": "hub/tlcourse_backbone.h5", "backbone_sha256": backbone_sha256(),
                  "machine": record.get("machine"), "date_utc": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    (Path(out_dir) / RESULTS_PROVENANCE).write_text(json.dumps(provenance, indent=1) + "\n")
    return path


def study_command(models: str = ",".join(MODELS), k: str = "50", seeds: str = "",
                  record_file: Path | None = None, course: bool = False) -> int:
    """``python -m tlcourse augment-study``: run models x k x seeds into the record; ``course``
    writes ``data/results/`` from it."""
    from tlcourse.paths import repo_root

    record_path = record_file or repo_root() / "benchmarks" / RECORD_FILE
    record = json.loads(record_path.read_text()) if record_path.is_file() else {"runs": []}
    for budget in [int(v) for v in k.split(",") if v]:
        for model in [m for m in models.split(",") if m]:
            for seed in [int(s) for s in seeds.split(",") if s]:
                row = run_seed(model, budget, seed)
                key = (model, budget, seed)
                record["runs"] = [r for r in record["runs"] if (r["model"], r["k"], r["seed"]) != key] + [row]
                record["machine"] = machine()
                record_path.write_text(json.dumps(record, indent=1) + "\n")
                print(f"{model:8s} k={budget} seed {seed}: without {row['without']:.4f} with {row['with']:.4f} "
                      f"gain {row['gain']:+.4f} ({row['without_seconds']} s / {row['with_seconds']} s)", flush=True)
    if course:
        from tlcourse.curves import results_dir

        print(f"wrote {write_course_results(record, results_dir())}")
    return 0
