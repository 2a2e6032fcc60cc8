"""The course backbone: a small CNN pretrained on the source task, published in TF Hub format.

Pretraining (the course design of the hub backbone): Fashion-MNIST classes 0-4
(all their training images) in the *campo* condition, with a fresh random placement of
every item each epoch (:func:`tlcourse.data.random_campo`) as data augmentation, fixed
seeds and a Keras progress bar. The trained feature extractor is exported as

* a TF2 reusable SavedModel (``tf.saved_model.save`` of the ``tf_keras`` model: callable
  with a ``training`` argument, ``variables``, ``trainable_variables``,
  ``regularization_losses``) that ``hub.KerasLayer(handle, trainable=False|True)`` loads;
* a Keras HDF5 file with the same weights, for layer-level fine-tuning (``.h5`` because
  both ``tf_keras`` and Keras 3 load it; a ``.keras`` file written by ``tf_keras`` does
  not load in Keras 3, which notebook 05 contrasts);
* the pretraining head (``source_head.h5``: the projector and the 5-way softmax), so the
  source-task accuracy can be re-checked from the committed files;
* ``metrics.json``, ``MODEL_CARD.md`` and ``MANIFEST.sha256`` (``sha256sum -c`` format).

Rebuild: ``python -m tlcourse models [--out DIR] [--epochs N] [--subset N]`` (``make models``).
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import sys
import time
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from tlcourse import data

# Names and layout of the published files, image and feature sizes, the top block and the
# manifest reader: the contract the course side (tlcourse.hub) reads too.
from tlcourse.contract import (
    CARD_FILE, FEATURE_DIM, HEAD_FILE, HUB_FOLDER, IMAGE_SIZE, KERAS_FILE, MANIFEST_FILE,
    METRICS_FILE, MODEL_NAME, MODEL_VERSION, SAVEDMODEL_DIR, TOP_BLOCK, read_manifest, sha256_file,
)
from tlcourse.grader.hidden_test_helpers import accuracy

# --------------------------------------------------------------------------------------
# Architecture constants
# --------------------------------------------------------------------------------------

#: (filters, convolutions) per block; every block is Conv-BN-ReLU x n, with max-pooling
#: between blocks. The feature vector concatenates the global average pooling of the
#: last two blocks (8x8 and 4x4 maps): mid-level and top-level features.
BLOCKS: tuple[tuple[int, int], ...] = ((32, 1), (64, 1), (128, 1), (128, 1))
POOLED_BLOCKS = 2  #: how many of the last blocks are pooled into the feature vector
# contract.FEATURE_DIM is the sum of the pooled blocks' filters and contract.TOP_BLOCK is
# f"block{len(BLOCKS)}" (tests/test_hub.py checks both against a built backbone).
NUM_SOURCE_CLASSES = len(data.SOURCE_CLASSES)

# --------------------------------------------------------------------------------------
# Training recipe
# --------------------------------------------------------------------------------------
SEED = 42
DEFAULT_EPOCHS = 5
BATCH_SIZE = 128
LEARNING_RATE = 3e-3  #: Adam, cosine decay to zero over the whole run
PROJECTOR_DIM = 256  #: width of the pretraining head's hidden (projector) layer
ROTATION_WEIGHT = 1.0  #: weight of the self-supervised rotation task (0 turns it off)


@dataclass
class BuildResult:
    """What :func:`build` produced."""

    out_dir: Path
    metrics: dict[str, Any]
    files: list[str] = field(default_factory=list)


def _tf():  # type: ignore[no-untyped-def]
    from tlcourse._env import import_tensorflow_quietly

    return import_tensorflow_quietly()


# --------------------------------------------------------------------------------------
# Input convention
# --------------------------------------------------------------------------------------
def to_model_input(images: np.ndarray) -> np.ndarray:
    """Grey uint8 images -> the backbone's input: float32 ``(n, 32, 32, 3)`` in ``[0, 1]``.

    Accepts *campo* images ``(n, 32, 32)`` and *catálogo* images ``(n, 28, 28)`` (centred
    on a black 32x32 background first). Grey is replicated to three channels.
    """
    images = np.asarray(images)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim != 3:
        raise ValueError(f"se esperaban imágenes (n, alto, ancho) en gris, no la forma {images.shape}")
    if images.shape[1:] == (28, 28):
        images = data.pad_catalogo(images)
    if images.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE):
        raise ValueError(f"se esperaban imágenes 28x28 o {IMAGE_SIZE}x{IMAGE_SIZE}, no {images.shape[1:]}")
    scaled = images.astype(np.float32) / 255.0
    return np.repeat(scaled[..., None], 3, axis=-1)


# --------------------------------------------------------------------------------------
# Architecture
# --------------------------------------------------------------------------------------
def build_backbone(blocks: tuple[tuple[int, int], ...] = BLOCKS, pooled: int = POOLED_BLOCKS,
                   name: str = MODEL_NAME):  # type: ignore[no-untyped-def]
    """The feature extractor (a ``tf_keras`` functional model), freshly initialised.

    Layers are named ``block{b}_conv{i}``, ``block{b}_bn{i}``, ``block{b}_relu{i}``,
    ``block{b}_pool`` (between blocks) and ``block{b}_gap`` (global average pooling of the
    last ``pooled`` blocks); the output layer ``features`` concatenates those poolings.
    """
    tf = _tf()
    layers = tf.keras.layers
    inputs = tf.keras.Input((IMAGE_SIZE, IMAGE_SIZE, 3), name="image")
    x = inputs
    pooled_maps = []
    for b, (filters, convs) in enumerate(blocks, start=1):
        if b > 1:
            x = layers.MaxPooling2D(name=f"block{b - 1}_pool")(x)
        for i in range(1, convs + 1):
            x = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"block{b}_conv{i}")(x)
            x = layers.BatchNormalization(name=f"block{b}_bn{i}")(x)
            x = layers.ReLU(name=f"block{b}_relu{i}")(x)
        if b > len(blocks) - pooled:
            pooled_maps.append(layers.GlobalAveragePooling2D(name=f"block{b}_gap")(x))
    if len(pooled_maps) == 1:
        features = layers.Identity(name="features")(pooled_maps[0])
    else:
        features = layers.Concatenate(name="features")(pooled_maps)
    return tf.keras.Model(inputs, features, name=name)


def _projector_head(feature_dim: int, projector: int, outputs: int, output_name: str,
                    name: str):  # type: ignore[no-untyped-def]
    """An MLP projector (Dense-BN-ReLU) and a softmax of ``outputs`` classes: a pretraining head."""
    tf = _tf()
    layers = tf.keras.layers
    return tf.keras.Sequential([
        tf.keras.Input((feature_dim,), name="features"),
        layers.Dense(projector, use_bias=False, name="projector"),
        layers.BatchNormalization(name="projector_bn"),
        layers.ReLU(name="projector_relu"),
        layers.Dense(outputs, activation="softmax", name=output_name),
    ], name=name)


def build_source_head(feature_dim: int = FEATURE_DIM, num_classes: int = NUM_SOURCE_CLASSES,
                      projector: int = PROJECTOR_DIM):  # type: ignore[no-untyped-def]
    """The pretraining head: an MLP projector (Dense-BN-ReLU) and a softmax over the source classes.

    The projector is discarded after pretraining: it absorbs the specialisation to the
    five source classes, so the pooled features below it transfer better (measured: about
    +3 points at k = 20 on the target task; the trick of SimCLR and of supervised
    pretraining with an MLP projector).
    """
    return _projector_head(feature_dim, projector, num_classes, "source_classes", "source_head")


def build_classifier(backbone, head=None):  # type: ignore[no-untyped-def]
    """Backbone + pretraining head (:func:`build_source_head` unless given): the pretraining model."""
    tf = _tf()
    head = head if head is not None else build_source_head(backbone.output_shape[-1])
    return tf.keras.Model(backbone.input, head(backbone.output), name=f"{backbone.name}_source")


# --------------------------------------------------------------------------------------
# Pretraining
# --------------------------------------------------------------------------------------
def build_rotation_head(feature_dim: int = FEATURE_DIM, projector: int = PROJECTOR_DIM):  # type: ignore[no-untyped-def]
    """Auxiliary head predicting which of 0/90/180/270 degrees an image was rotated by."""
    return _projector_head(feature_dim, projector, 4, "rotations", "rotation_head")


def _rotate_quarters(images):  # type: ignore[no-untyped-def]
    """Rotate the 1st, 2nd, 3rd and 4th quarter of a batch by 0, 90, 180, 270 degrees."""
    tf = _tf()
    n = tf.shape(images)[0]
    bounds = [0, n // 4, n // 2, (3 * n) // 4, n]
    parts = [tf.image.rot90(images[bounds[k]:bounds[k + 1]], k=k) for k in range(4)]
    labels = [tf.fill([bounds[k + 1] - bounds[k]], k) for k in range(4)]
    return tf.concat(parts, 0), tf.concat(labels, 0)


def _epoch_dataset(images: np.ndarray, labels: np.ndarray, seed: int, rotation: bool):  # type: ignore[no-untyped-def]
    """Batches of one epoch: uint8 (n, 32, 32) -> float [0, 1] x 3 channels (+ rotated copies)."""
    tf = _tf()

    def prepare(x, y):  # type: ignore[no-untyped-def]
        x = tf.repeat(tf.cast(x, tf.float32)[..., None] / 255.0, 3, axis=-1)
        if not rotation:
            return x, y
        rotated, turns = _rotate_quarters(x)
        return (x, rotated), (y, turns)

    ds = tf.data.Dataset.from_tensor_slices((images, labels))
    ds = ds.shuffle(len(images), seed=seed, reshuffle_each_iteration=False)
    return ds.batch(BATCH_SIZE).map(prepare).prefetch(2)


def _training_model(backbone, classifier, rotation_weight: float):  # type: ignore[no-untyped-def]
    """The model ``fit`` trains: the classifier, plus the rotation task when its weight is > 0."""
    tf = _tf()
    if rotation_weight <= 0:
        return classifier, "sparse_categorical_crossentropy", None
    upright = tf.keras.Input((IMAGE_SIZE, IMAGE_SIZE, 3), name="upright")
    rotated = tf.keras.Input((IMAGE_SIZE, IMAGE_SIZE, 3), name="rotated")
    head = classifier.get_layer("source_head")
    turns = build_rotation_head(backbone.output_shape[-1])
    model = tf.keras.Model([upright, rotated], [head(backbone(upright)), turns(backbone(rotated))])
    return model, ["sparse_categorical_crossentropy"] * 2, [1.0, rotation_weight]


def pretrain(epochs: int = DEFAULT_EPOCHS, subset: int | None = None, seed: int = SEED,
             rotation_weight: float = ROTATION_WEIGHT, verbose: int = 1):  # type: ignore[no-untyped-def]
    """Train backbone + head on the source task in *campo*; return ``(backbone, classifier)``.

    Every epoch draws new random placements of the 28x28 images (seeded by ``seed``).
    With ``rotation_weight > 0`` the backbone also learns, on a rotated copy of each batch,
    to tell by how much it was rotated (self-supervised; keeps features more general).
    ``subset`` keeps only the first ``subset`` source training images (smoke builds).
    """
    tf = _tf()
    tf.keras.utils.set_random_seed(seed)
    images28, labels = data.load_task("source", "train", "catalogo")
    if subset:
        images28, labels = images28[:subset], labels[:subset]
    backbone = build_backbone()
    classifier = build_classifier(backbone)
    model, loss, weights = _training_model(backbone, classifier, rotation_weight)
    steps = epochs * int(np.ceil(len(labels) / BATCH_SIZE))
    schedule = tf.keras.optimizers.schedules.CosineDecay(LEARNING_RATE, decay_steps=max(steps, 1))
    model.compile(optimizer=tf.keras.optimizers.Adam(schedule), loss=loss, loss_weights=weights)
    rng = np.random.default_rng(seed)
    for epoch in range(epochs):
        placed = data.random_campo(images28, rng)
        model.fit(_epoch_dataset(placed, labels, seed + epoch, rotation_weight > 0),
                  initial_epoch=epoch, epochs=epoch + 1, verbose=verbose)
    return backbone, classifier


def source_accuracy(classifier, condition: data.Condition = "campo") -> float:  # type: ignore[no-untyped-def]
    """Accuracy of backbone + pretraining head on the whole source test split."""
    images, labels = data.load_task("source", "test", condition)
    return accuracy(classifier.predict(to_model_input(images), batch_size=500, verbose=0), labels)


# --------------------------------------------------------------------------------------
# Export, manifest
# --------------------------------------------------------------------------------------
def _listed_files(root: Path) -> list[str]:
    """Every file under ``root`` except the manifest, as sorted POSIX relative paths."""
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*")
                  if p.is_file() and p.name != MANIFEST_FILE)


def write_manifest(root: Path) -> list[str]:
    """Write ``MANIFEST.sha256`` (``sha256sum -c`` format) for every file under ``root``."""
    root = Path(root)
    names = _listed_files(root)
    lines = [f"{sha256_file(root / name)}  {name}" for name in names]
    (root / MANIFEST_FILE).write_text("\n".join(lines) + "\n")
    return names


def export(backbone, classifier, out_dir: Path) -> list[str]:  # type: ignore[no-untyped-def]
    """Write the SavedModel, the Keras file and the head into ``out_dir`` (no card yet)."""
    tf = _tf()
    out_dir = Path(out_dir)
    saved = out_dir / SAVEDMODEL_DIR
    saved.parent.mkdir(parents=True, exist_ok=True)
    tf.saved_model.save(backbone, str(saved))
    backbone.save(out_dir / KERAS_FILE, include_optimizer=False)
    classifier.get_layer("source_head").save(out_dir / HEAD_FILE, include_optimizer=False)
    return _listed_files(out_dir)


def architecture_summary(model) -> list[list[Any]]:  # type: ignore[no-untyped-def]
    """``[layer name, output shape, parameters]`` for every layer of ``model``."""
    rows = []
    for layer in model.layers:
        shape = layer.output_shape[0] if isinstance(layer.output_shape, list) else layer.output_shape
        rows.append([layer.name, "x".join(str(d) for d in shape[1:]), int(layer.count_params())])
    return rows


def dir_size(path: Path) -> int:
    """Total size in bytes of the files under ``path``."""
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file())


def measure_feature_speed(handle: str, repeats: int = 3) -> float:
    """Images per second of ``hub.KerasLayer(handle)`` on the 5000 source test images (median)."""
    tf = _tf()
    import tensorflow_hub as hub

    images = to_model_input(data.load_task("source", "test", "campo")[0])
    model = tf.keras.Sequential([hub.KerasLayer(handle, trainable=False)])
    model.predict(images[:256], batch_size=256, verbose=0)  # trace once
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        model.predict(images, batch_size=256, verbose=0)
        timings.append(time.perf_counter() - start)
    return float(len(images) / np.median(timings))


# --------------------------------------------------------------------------------------
# Build
# --------------------------------------------------------------------------------------
def default_out_dir() -> Path:
    """``data/hub`` of the course repository."""
    from tlcourse.paths import data_dir

    return data_dir() / HUB_FOLDER


def _replace_dir(staging: Path, out_dir: Path) -> None:
    """Move ``staging`` to ``out_dir``, replacing an older build only once all is written."""
    old = out_dir.with_name(f".{out_dir.name}.old-{os.getpid()}")
    if out_dir.exists():
        out_dir.rename(old)
    staging.rename(out_dir)
    shutil.rmtree(old, ignore_errors=True)


def build(out_dir: Path | None = None, epochs: int = DEFAULT_EPOCHS, subset: int | None = None,
          seed: int = SEED, transfer: bool = True, verbose: int = 1) -> BuildResult:
    """Pretrain, evaluate, export and document the backbone in ``out_dir`` (default ``data/hub``).

    Writes into a staging folder next to ``out_dir`` and swaps it in at the end, so an
    interrupted build never leaves a half-written ``data/hub``. ``transfer`` adds the
    target-task table (pixels / scratch CNN / frozen backbone, k = 5, 20, 100) to the card.
    """
    from tlcourse import baselines
    from tlcourse.build import transfer_baselines

    start = time.perf_counter()
    out_dir = Path(out_dir) if out_dir else default_out_dir()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = out_dir.with_name(f".{out_dir.name}.staging-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        backbone, classifier = pretrain(epochs=epochs, subset=subset, seed=seed, verbose=verbose)
        pretrain_seconds = time.perf_counter() - start
        metrics: dict[str, Any] = {
            "model": MODEL_NAME, "version": MODEL_VERSION, "seed": seed, "epochs": epochs,
            "recipe": {"batch_size": BATCH_SIZE, "learning_rate": LEARNING_RATE,
                       "projector_dim": PROJECTOR_DIM, "rotation_weight": ROTATION_WEIGHT,
                       "blocks": [list(b) for b in BLOCKS], "pooled_blocks": POOLED_BLOCKS},
            "baselines": baselines.recipe(),
            "train_images": subset or int(len(data.load_task("source", "train", "catalogo")[1])),
            "source_test_accuracy": {c: source_accuracy(classifier, c) for c in ("campo", "catalogo")},
            "architecture": architecture_summary(backbone),
            "params": {"total": int(backbone.count_params()),
                       "trainable": int(sum(int(np.prod(v.shape)) for v in backbone.trainable_weights))},
        }
        export(backbone, classifier, staging)
        handle = str(staging / SAVEDMODEL_DIR)
        metrics["feature_images_per_second"] = measure_feature_speed(handle)
        if transfer:
            t0 = time.perf_counter()
            table = transfer_baselines.transfer_table(backbone=handle, verbose=verbose)
            metrics["transfer"] = {m: {str(k): v for k, v in row.items()} for m, row in table.items()}
            metrics["transfer_seconds"] = time.perf_counter() - t0
        metrics.update(
            pretrain_seconds=pretrain_seconds,
            savedmodel_bytes=dir_size(staging / SAVEDMODEL_DIR),
            keras_bytes=(staging / KERAS_FILE).stat().st_size,
            machine={"cpus": os.cpu_count(), "platform": platform.platform(),
                     "python": platform.python_version(), "tensorflow": _tf().__version__,
                     "onednn": os.environ.get("TF_ENABLE_ONEDNN_OPTS", "")},
        )
        metrics["build_seconds"] = time.perf_counter() - start
        (staging / METRICS_FILE).write_text(json.dumps(metrics, indent=1, sort_keys=True) + "\n")
        files = _write_card_and_manifest(staging, metrics)
        _replace_dir(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return BuildResult(out_dir=out_dir, metrics=metrics, files=files)


def refresh_card(out_dir: Path | None = None) -> dict[str, Any]:
    """Rewrite ``MODEL_CARD.md`` and the manifest of a published backbone from its ``metrics.json``.

    For a change of the card's wording or of a baseline's description: the weights and the
    metrics are not touched. To re-measure anything, rebuild (``make models``; with the
    fixed seeds it reproduces the committed weights bit for bit on the same machine).
    """
    out_dir = Path(out_dir) if out_dir else default_out_dir()
    if not (out_dir / METRICS_FILE).is_file():
        raise FileNotFoundError(f"{out_dir / METRICS_FILE} does not exist: point --out at a built "
                                "backbone folder, or build one with `make models`")
    metrics = json.loads((out_dir / METRICS_FILE).read_text())
    missing = [key for key in CARD_KEYS if key not in metrics]
    if missing:
        raise ValueError(f"{out_dir / METRICS_FILE} lacks {', '.join(missing)} (written by an older build): "
                         "rebuild with `make models` to record them")
    _write_card_and_manifest(out_dir, metrics)
    return metrics


def _write_card_and_manifest(out_dir: Path, metrics: dict[str, Any]) -> list[str]:
    """The card rendered from ``metrics``, then the manifest of everything (card included)."""
    (out_dir / CARD_FILE).write_text(render_card(metrics))
    return write_manifest(out_dir)


# --------------------------------------------------------------------------------------
# Model card
# --------------------------------------------------------------------------------------
_METHOD_NAMES = {
    "pixels": "píxeles + regresión logística",
    "scratch": "CNN desde cero",
    "frozen": "backbone congelado + cabeza lineal",
}


def _transfer_rows(transfer: dict[str, dict[str, float]]) -> str:
    # Known methods first, from the weakest idea to transfer (metrics.json stores them sorted).
    methods = [m for m in _METHOD_NAMES if m in transfer] + [m for m in transfer if m not in _METHOD_NAMES]
    transfer = {m: transfer[m] for m in methods}
    ks = sorted({int(k) for row in transfer.values() for k in row})
    header = "| k por clase | " + " | ".join(_METHOD_NAMES.get(m, m) for m in transfer) + " |"
    rule = "|---|" + "---|" * len(transfer)
    lines = [header, rule]
    for k in ks:
        cells = [f"{transfer[m][str(k)]:.3f}" if str(k) in transfer[m] else "–" for m in transfer]
        lines.append(f"| {k} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


#: What the card reads from ``metrics.json`` (a build records them all).
CARD_KEYS = ("model", "version", "seed", "epochs", "recipe", "baselines", "train_images",
             "source_test_accuracy", "architecture", "params", "feature_images_per_second",
             "savedmodel_bytes", "keras_bytes", "pretrain_seconds", "build_seconds", "machine")


def card_context(metrics: dict[str, Any]) -> dict[str, str]:
    """The fields of the model card template, all from a build's ``metrics.json``."""
    acc, machine, recipe = metrics["source_test_accuracy"], metrics["machine"], metrics["recipe"]
    recipe_b = metrics["baselines"]
    transfer = metrics.get("transfer")
    if transfer:
        gaps = ""
        if "20" in transfer.get("frozen", {}) and "20" in transfer.get("pixels", {}):
            f, p, s = (transfer[m]["20"] for m in ("frozen", "pixels", "scratch"))
            gaps = (f"\nCon k = 20 el backbone congelado supera a la regresión logística por "
                    f"{f - p:+.3f} y a la CNN desde cero por {f - s:+.3f}.\n")
        transfer_text = _transfer_rows(transfer) + "\n" + gaps
    else:
        transfer_text = "_No medida en esta construcción (`--no-transfer`)._\n"
    smoke = metrics["epochs"] != DEFAULT_EPOCHS or metrics["train_images"] < 30000
    return {
        "model": metrics["model"], "version": metrics["version"],
        "smoke_note": "**Construcción de prueba (humo): no es el modelo publicado del curso.**" if smoke else "",
        "image_size": IMAGE_SIZE, "feature_dim": FEATURE_DIM, "top_block": TOP_BLOCK,
        "block3_width": recipe["blocks"][-2][0], "block4_width": recipe["blocks"][-1][0],
        "params_total": f"{metrics['params']['total']:,}",
        "architecture_rows": "\n".join(f"| `{name}` | {shape} | {params:,} |"
                                       for name, shape, params in metrics["architecture"]),
        "source_names": ", ".join(data.SOURCE_NAMES_ES), "target_names": ", ".join(data.TARGET_NAMES_ES),
        "train_images": f"{metrics['train_images']:,}",
        "projector_dim": recipe["projector_dim"], "rotation_weight": f"{recipe['rotation_weight']:g}",
        "learning_rate": f"{recipe['learning_rate']:g}", "batch_size": recipe["batch_size"],
        "epochs": metrics["epochs"], "seed": metrics["seed"],
        "acc_campo": f"{acc['campo']:.4f}", "acc_catalogo": f"{acc['catalogo']:.4f}",
        "transfer_text": transfer_text,
        "logistic_c": recipe_b["logistic_c"], "scratch_blocks": len(recipe_b["scratch_filters"]),
        "scratch_filters": ", ".join(map(str, recipe_b["scratch_filters"])),
        "scratch_learning_rate": f"{recipe_b['scratch_learning_rate']:g}",
        "scratch_dropouts": " o ".join(f"{d:g}" for d in recipe_b["scratch_dropouts"]),
        "scratch_patience": recipe_b["scratch_patience"],
        "head_learning_rate": f"{recipe_b['head_learning_rate']:g}", "head_epochs": recipe_b["head_epochs"],
        "feature_speed": f"{metrics['feature_images_per_second']:,.0f}",
        "savedmodel_mb": f"{metrics['savedmodel_bytes'] / 1e6:.2f}", "keras_mb": f"{metrics['keras_bytes'] / 1e6:.2f}",
        "build_seconds": f"{metrics['build_seconds']:.0f}", "pretrain_seconds": f"{metrics['pretrain_seconds']:.0f}",
        "transfer_seconds_note": f", tabla de transferencia {metrics['transfer_seconds']:.0f} s" if transfer else "",
        "cpus": machine["cpus"], "tensorflow": machine["tensorflow"],
        "onednn": "activado" if machine["onednn"] == "1" else "desactivado",
        "head_file": HEAD_FILE, "keras_file": KERAS_FILE, "savedmodel_dir": SAVEDMODEL_DIR,
        "metrics_file": METRICS_FILE, "manifest_file": MANIFEST_FILE,
    }


def render_card(metrics: dict[str, Any]) -> str:
    """``MODEL_CARD.md`` for a build: ``templates/model_card.md`` filled from its ``metrics.json``."""
    template = resources.files(__package__).joinpath("templates", "model_card.md").read_text(encoding="utf-8")
    return template.format_map(card_context(metrics))


def build_command(out: Path | None = None, epochs: int = DEFAULT_EPOCHS, subset: int | None = None,
                  seed: int = SEED, transfer: bool = True, quiet: bool = False, card_only: bool = False) -> int:
    """``python -m tlcourse models``: build the backbone (or only rewrite its card); exit status."""
    if card_only:
        try:
            refresh_card(out)
        except (FileNotFoundError, ValueError) as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
        print(f"Model card rewritten in {out or default_out_dir()}")
        return 0
    if "tensorflow" not in sys.modules:
        # The build runs in its own process: oneDNN kernels make CPU convolutions about
        # twice as fast here (the course default turns them off for op-to-op reproducibility).
        os.environ["TF_ENABLE_ONEDNN_OPTS"] = os.environ.get("TLCOURSE_BUILD_ONEDNN", "1")
    result = build(out_dir=out, epochs=epochs, subset=subset, seed=seed, transfer=transfer,
                   verbose=0 if quiet else 1)
    acc = result.metrics["source_test_accuracy"]
    print(f"Backbone written to {result.out_dir} in {result.metrics['build_seconds']:.0f} s: "
          f"source test accuracy campo {acc['campo']:.4f}, catálogo {acc['catalogo']:.4f}")
    for method, row in result.metrics.get("transfer", {}).items():
        print(f"  {method:8s} " + "  ".join(f"k={k}: {v:.3f}" for k, v in row.items()))
    return 0
