"""Build side: does fine-tuning beat a *matched* frozen control? (notebook 04, instructor tool).

Notebook 04 compares the model after phase 1 (frozen backbone + trained head) with the
model after phase 2 (top block unfrozen, ``epochs`` more epochs at a 10x lower learning
rate). That comparison is confounded: phase 2 also trains the head ``epochs`` more epochs.
This study removes the confound. For one :class:`Setting` and one seed:

1. **Shared phase 1.** Features of the training images from the frozen backbone, a linear
   softmax head trained on them (:func:`tlcourse.build.transfer_baselines.train_linear_head`,
   Adam 1e-2, ``head_epochs`` epochs). Its test accuracy is ``phase1``.
2. **Two arms from the same starting point** (a freshly loaded backbone and a copy of the
   same head weights each): identical model (backbone called with ``training=False``),
   optimizer (Adam at ``1e-2 / factor``), epochs, batch size, data order (same seed) and
   augmentation. The **only** difference is which backbone layers are trainable:

   * ``control``: none (the head alone trains the extra epochs);
   * ``fine_tuned``: the non-BatchNormalization layers of the blocks in ``unfreeze``.

Accuracies are on the whole target test set (5000 images) of the setting's condition.
The seed changes the head's initialisation and the batch order; the labelled subset is
the course's fixed one (:func:`study_subset`), so the spread over seeds is training noise.

Run: ``python -m tlcourse finetune-study --settings NAME[,NAME] --seeds 0,1,2`` (results
merged into ``benchmarks/finetuning.json``; ``--report`` rewrites ``benchmarks/finetuning.md``;
``--course NAME,...`` writes those settings' summaries to ``data/results/ajuste_fino_estudio.csv``,
which notebook 04 shows). ``--list`` shows the settings.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tlcourse import data
from tlcourse.build.backbone import to_model_input
from tlcourse.baselines import HEAD_EPOCHS, HEAD_LEARNING_RATE
from tlcourse.contract import TOP_BLOCK
from tlcourse.grader.hidden_test_helpers import accuracy

ARMS = ("control", "fine_tuned")
BATCH_SIZE = 32
#: Random shift of the augmentation, as a fraction of the 32-pixel side (about ±5 pixels:
#: the spread of *campo*'s placements, where the 28x28 item moves 0-12 pixels in a 40x40 canvas).
SHIFT = 0.15
STUDY_FILE = "finetuning.json"
REPORT_FILE = "finetuning.md"
RESULTS_CSV = "ajuste_fino_estudio.csv"
RESULTS_PROVENANCE = "ajuste_fino_estudio.json"


@dataclass(frozen=True)
class Setting:
    """One configuration of the study (both arms share all of it but ``unfreeze``)."""

    name: str
    condition: data.Condition = "campo"
    k: int = 50                                 #: labelled images per class
    unfreeze: tuple[str, ...] = (TOP_BLOCK,)    #: block prefixes the fine-tuned arm trains
    factor: float = 10.0                        #: phase-2 learning rate = 1e-2 / factor
    epochs: int = 10                            #: phase-2 epochs (both arms)
    head_epochs: int = HEAD_EPOCHS              #: phase-1 epochs of the head (shared)
    augment: bool = False                       #: random shifts during phase 2 (both arms)

    @property
    def learning_rate(self) -> float:
        return HEAD_LEARNING_RATE / self.factor

    def describe(self) -> str:
        """A one-line summary for tables."""
        blocks = "+".join(self.unfreeze) if self.unfreeze else "none"
        return (f"{self.condition}, k={self.k}, unfreeze {blocks}, lr {self.learning_rate:g}, "
                f"{self.epochs} ep{', shifts' if self.augment else ''}")


ALL_BLOCKS = ("block1", "block2", "block3", "block4")
#: The settings tried, in the order they were run (see benchmarks/finetuning.md).
SETTINGS: dict[str, Setting] = {s.name: s for s in (
    Setting("nb04_k50"),                                                   # notebook 04's recipe
    Setting("k20_campo", k=20),
    Setting("k20_catalogo", condition="catalogo", k=20),
    Setting("k100_top", k=100),
    Setting("k100_all", k=100, unfreeze=ALL_BLOCKS),
    Setting("k1000_all", k=1000, unfreeze=ALL_BLOCKS),
    Setting("k100_all_lr1e-4", k=100, unfreeze=ALL_BLOCKS, factor=100),
    Setting("k100_catalogo", condition="catalogo", k=100),
    Setting("k20_shift", k=20, epochs=30, augment=True),
    Setting("k20_all", k=20, unfreeze=ALL_BLOCKS),
    Setting("k5_all_100ep", k=5, unfreeze=ALL_BLOCKS, epochs=100),
)}


def _tf():  # type: ignore[no-untyped-def]
    from tlcourse._env import import_tensorflow_quietly

    return import_tensorflow_quietly()


# --------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------
def study_subset(k: int, condition: data.Condition = "campo") -> tuple[np.ndarray, np.ndarray]:
    """``k`` labelled images per class of the target task.

    For the course's budgets (5-100) the committed subset; for larger ``k`` the first ``k``
    of each class in the same seeded permutation (:func:`tlcourse.data.make_subsets`), so
    every larger subset contains the committed ones.
    """
    if k in data.SUBSET_SIZES:
        return data.target_subset(k, condition)
    indices = np.asarray(data.make_subsets((k,))["indices"][str(k)])
    x, y = data.load_split("train", condition)
    return x[indices], (y[indices] - data.TARGET_CLASSES[0]).astype(np.uint8)


# --------------------------------------------------------------------------------------
# The two arms
# --------------------------------------------------------------------------------------
def arm_plan(setting: Setting, arm: str) -> dict[str, Any]:
    """What phase 2 does in ``arm``: everything but ``trainable`` is the same in both arms."""
    if arm not in ARMS:
        raise ValueError(f"arm must be one of {ARMS}, not {arm!r}")
    return {"trainable": tuple(setting.unfreeze) if arm == "fine_tuned" else (),
            "learning_rate": setting.learning_rate, "epochs": setting.epochs,
            "batch_size": BATCH_SIZE, "augment": setting.augment}


def set_trainable(backbone, prefixes: tuple[str, ...]):  # type: ignore[no-untyped-def]
    """Only the non-BatchNormalization layers named ``prefix*`` train (none for ``()``)."""
    tf = _tf()
    backbone.trainable = True
    for layer in backbone.layers:
        is_bn = isinstance(layer, tf.keras.layers.BatchNormalization)
        layer.trainable = any(layer.name.startswith(p) for p in prefixes) and not is_bn
    return backbone


def build_arm_model(backbone, head_weights: list[np.ndarray], augment: bool):  # type: ignore[no-untyped-def]
    """Input -> (random shifts while training) -> backbone(training=False) -> Dense softmax.

    The head starts from ``head_weights`` (phase 1's head), so both arms start equal.
    """
    tf = _tf()
    inputs = tf.keras.Input(backbone.input_shape[1:])
    x = inputs
    if augment:
        x = tf.keras.layers.RandomTranslation(SHIFT, SHIFT, fill_mode="constant", name="shift")(x)
    features = backbone(x, training=False)
    head = tf.keras.layers.Dense(head_weights[1].shape[0], activation="softmax", name="head")
    model = tf.keras.Model(inputs, head(features))
    head.set_weights(head_weights)
    return model


def train_arm(backbone, head_weights: list[np.ndarray], plan: dict[str, Any], x: np.ndarray,
              y: np.ndarray, seed: int):  # type: ignore[no-untyped-def]
    """Phase 2 of one arm (``backbone`` is modified in place); returns the trained model."""
    tf = _tf()
    set_trainable(backbone, plan["trainable"])
    model = build_arm_model(backbone, head_weights, plan["augment"])
    tf.keras.utils.set_random_seed(seed)
    model.compile(tf.keras.optimizers.Adam(plan["learning_rate"]), "sparse_categorical_crossentropy")
    model.fit(x, y, epochs=plan["epochs"], batch_size=plan["batch_size"], verbose=0)
    return model


def _accuracy(model, x: np.ndarray, y: np.ndarray) -> float:  # type: ignore[no-untyped-def]
    return accuracy(model.predict(x, batch_size=500, verbose=0), y)


def run_pair(setting: Setting, seed: int, load_backbone=None) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Phase 1 once, then both arms; test accuracies and seconds of one seed."""
    from tlcourse.build.transfer_baselines import train_linear_head

    if load_backbone is None:
        from tlcourse import hub as course_hub

        load_backbone = lambda: course_hub.load_keras_backbone(verify=False)  # noqa: E731
    start = time.perf_counter()
    x_train, y_train = study_subset(setting.k, setting.condition)
    x_test, y_test = data.load_task("target", "test", setting.condition)
    inputs_train, inputs_test = to_model_input(x_train), to_model_input(x_test)
    frozen = load_backbone()
    frozen.trainable = False
    features = frozen.predict(inputs_train, batch_size=500, verbose=0)
    head = train_linear_head(features, y_train, seed=seed, epochs=setting.head_epochs)
    head_weights = head.layers[-1].get_weights()
    row: dict[str, Any] = {"setting": setting.name, "seed": seed,
                           "phase1": _accuracy(build_arm_model(frozen, head_weights, False), inputs_test, y_test),
                           "phase1_seconds": round(time.perf_counter() - start, 1)}
    for arm in ARMS:
        start = time.perf_counter()
        model = train_arm(load_backbone(), head_weights, arm_plan(setting, arm), inputs_train, y_train, seed)
        row[arm] = _accuracy(model, inputs_test, y_test)
        row[f"{arm}_seconds"] = round(time.perf_counter() - start, 1)
    row["gain"] = row["fine_tuned"] - row["control"]
    return row


# --------------------------------------------------------------------------------------
# Records and summaries
# --------------------------------------------------------------------------------------
def default_record() -> Path:
    from tlcourse.paths import repo_root

    return repo_root() / "benchmarks" / STUDY_FILE


def load_record(path: Path) -> dict[str, Any]:
    """The study's JSON record (``{"runs": [...], "machine": {...}, ...}``), empty if missing."""
    if Path(path).is_file():
        return json.loads(Path(path).read_text())
    return {"runs": []}


def summarise(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per setting: seeds, mean and spread (sample sd, min, max) of each arm and of the gain."""
    out = []
    for name in dict.fromkeys(r["setting"] for r in runs):
        rows = sorted((r for r in runs if r["setting"] == name), key=lambda r: r["seed"])
        entry: dict[str, Any] = {"setting": name, "seeds": [r["seed"] for r in rows]}
        for key in ("phase1", "control", "fine_tuned", "gain"):
            values = [r[key] for r in rows]
            entry[key] = round(statistics.fmean(values), 4)
            entry[f"{key}_sd"] = round(statistics.stdev(values), 4) if len(values) > 1 else None
            entry[f"{key}_min"], entry[f"{key}_max"] = round(min(values), 4), round(max(values), 4)
        entry["seconds_per_seed"] = round(statistics.fmean(
            r["phase1_seconds"] + r["control_seconds"] + r["fine_tuned_seconds"] for r in rows), 1)
        out.append(entry)
    return out


def machine() -> dict[str, Any]:
    """Where the study ran (CPU count, platform, versions)."""
    tf = _tf()
    return {"cpus": os.cpu_count(), "platform": platform.platform(),
            "python": platform.python_version(), "tensorflow": tf.__version__}


def render_report(record: dict[str, Any]) -> str:
    """benchmarks/finetuning.md: the settings, per-seed numbers and per-setting summaries."""
    order = list(SETTINGS)
    runs = sorted(record["runs"], key=lambda r: (order.index(r["setting"]), r["seed"]))
    lines = ["# Fine-tuning against a matched frozen control (notebook 04)", "",
             "Written by `python -m tlcourse finetune-study --report` from `finetuning.json`; method in",
             "the module's docstring (`src/tlcourse/build/finetune_study.py`). Both arms start from the same",
             "phase-1 head and train the same epochs, learning rate, batches and augmentation; only the",
             "trainable backbone layers differ. Accuracy on the whole target test set (5000 images).", "",
             f"Machine: {record.get('machine')}; reference workload "
             f"(`tlcourse.build.bench.reference_workload()`): {record.get('reference_workload')}.", "",
             "## Summary (mean over seeds; sd = sample standard deviation)", "",
             "| setting | what | seeds | phase 1 | control | fine-tuned | gain (sd) [min, max] | s/seed |",
             "|---|---|---|---|---|---|---|---|"]
    for s in summarise(runs):
        setting = SETTINGS[s["setting"]]
        sd = "n/a, 1 seed" if s["gain_sd"] is None else f"{s['gain_sd']:.3f}"
        lines.append(
            f"| `{s['setting']}` | {setting.describe()} | {len(s['seeds'])} | {s['phase1']:.3f} | "
            f"{s['control']:.3f} | {s['fine_tuned']:.3f} | {s['gain']:+.3f} ({sd}) "
            f"[{s['gain_min']:+.3f}, {s['gain_max']:+.3f}] | {s['seconds_per_seed']:.0f} |")
    lines += ["", "## Every run", "", "| setting | seed | phase 1 | control | fine-tuned | gain | seconds (phase 1 / control / fine-tuned) |",
              "|---|---|---|---|---|---|---|"]
    for r in runs:
        lines.append(f"| `{r['setting']}` | {r['seed']} | {r['phase1']:.4f} | {r['control']:.4f} | "
                     f"{r['fine_tuned']:.4f} | {r['gain']:+.4f} | {r['phase1_seconds']} / "
                     f"{r['control_seconds']} / {r['fine_tuned_seconds']} |")
    lines += ["", "## Settings", "", "```json",
              json.dumps({n: asdict(s) for n, s in SETTINGS.items()}, indent=1), "```"]
    notes = record.get("notes")
    if notes:
        lines += ["", "## Reading", "", notes]
    return "\n".join(lines) + "\n"


def write_course_results(record: dict[str, Any], names: list[str], out_dir: Path) -> Path:
    """The summaries of ``names`` as ``data/results/ajuste_fino_estudio.csv`` (+ provenance)."""
    import pandas as pd

    from tlcourse.curves import backbone_sha256

    by_name = {s["setting"]: s for s in summarise(record["runs"])}
    rows = []
    for name in names:
        s, setting = by_name[name], SETTINGS[name]
        rows.append({"setting": name, "condition": setting.condition, "k": setting.k,
                     "unfreeze": "+".join(setting.unfreeze), "learning_rate": setting.learning_rate,
                     "epochs": setting.epochs, "augment": setting.augment, "seeds": len(s["seeds"]),
                     "phase1": s["phase1"], "control": s["control"], "fine_tuned": s["fine_tuned"], "gain": s["gain"],
                     "gain_sd": s["gain_sd"], "gain_min": s["gain_min"], "gain_max": s["gain_max"]})
    path = Path(out_dir) / RESULTS_CSV
    pd.DataFrame(rows).to_csv(path, index=False)
    provenance = {"command": "python -m tlcourse finetune-study --report --course " + ",".join(names),
                  "record": f"benchmarks/{STUDY_FILE}", "backbone_file": "hub/tlcourse_backbone.h5",
                  "backbone_sha256": backbone_sha256(), "machine": record.get("machine"),
                  "date_utc": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    (Path(out_dir) / RESULTS_PROVENANCE).write_text(json.dumps(provenance, indent=1) + "\n")
    return path


# --------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------
def study_command(settings: str = "", seeds: str = "0,1,2", record_file: Path | None = None,
                  reference: bool = False, report: bool = False, course: str = "",
                  merge: list[Path] | None = None, list_settings: bool = False) -> int:
    """``python -m tlcourse finetune-study``: run settings x seeds into the record, rewrite the
    report, copy settings to ``data/results/`` (see the command's ``--help``)."""
    if list_settings:
        for name, setting in SETTINGS.items():
            print(f"{name:16s} {setting.describe()}")
        return 0
    record_path = record_file or default_record()
    record = load_record(record_path)
    if reference:
        from tlcourse.build.bench import reference_workload

        record["reference_workload"] = reference_workload()
    for other in (merge or []):
        runs = load_record(other)["runs"]
        done = {(r["setting"], r["seed"]) for r in runs}
        record["runs"] = [r for r in record["runs"] if (r["setting"], r["seed"]) not in done] + runs
        record.setdefault("machine", load_record(other).get("machine"))
    seed_list = [int(s) for s in seeds.split(",") if s]
    for name in [n for n in settings.split(",") if n]:
        setting = SETTINGS[name]
        for seed in seed_list:
            row = run_pair(setting, seed)
            record["runs"] = [r for r in record["runs"] if (r["setting"], r["seed"]) != (name, seed)] + [row]
            record["machine"] = machine()
            record_path.write_text(json.dumps(record, indent=1) + "\n")
            print(f"{name:16s} seed {seed}: phase1 {row['phase1']:.4f} control {row['control']:.4f} "
                  f"fine-tuned {row['fine_tuned']:.4f} gain {row['gain']:+.4f} "
                  f"({row['control_seconds']} s / {row['fine_tuned_seconds']} s)", flush=True)
    if report:
        report_path = record_path.with_name(REPORT_FILE)
        report_path.write_text(render_report(record))
        print(f"wrote {report_path}")
    if course:
        from tlcourse.curves import results_dir

        print(f"wrote {write_course_results(record, course.split(','), results_dir())}")
    record_path.write_text(json.dumps(record, indent=1) + "\n")
    return 0

