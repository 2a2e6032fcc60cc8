"""The course data: Fashion-MNIST, verified, offline, in two photo conditions.

* *catálogo*: the canonical 28x28 images, centred on a clean background.
* *campo*: the same item photographed "in the field": pasted at a seeded random position
  in a 40x40 canvas and centre-cropped to 32x32, so it is off-centre and sometimes cut.

The **source task** is classes 0-4 (pretraining the course backbone); the **target task**
is classes 5-9 relabelled 0-4 (the transfer-learning notebooks). Few-label training
subsets of the target task are fixed by indices stored in ``data/target_subsets.json``.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from functools import lru_cache
from pathlib import Path
from typing import Literal

import numpy as np

from tlcourse.contract import read_checksums, sha256_file
from tlcourse.paths import data_dir, restore_hint

Split = Literal["train", "test"]
Condition = Literal["catalogo", "campo"]
Task = Literal["source", "target", "all"]

FILES = {
    "train_images": "train-images-idx3-ubyte.gz",
    "train_labels": "train-labels-idx1-ubyte.gz",
    "test_images": "t10k-images-idx3-ubyte.gz",
    "test_labels": "t10k-labels-idx1-ubyte.gz",
}

CLASS_NAMES_EN = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)
CLASS_NAMES_ES = (
    "Camiseta/top", "Pantalón", "Suéter", "Vestido", "Abrigo",
    "Sandalia", "Camisa", "Zapatilla", "Bolso", "Botín",
)
SOURCE_CLASSES = (0, 1, 2, 3, 4)
TARGET_CLASSES = (5, 6, 7, 8, 9)
#: Spanish names of the target task's labels 0-4.
TARGET_NAMES_ES = tuple(CLASS_NAMES_ES[c] for c in TARGET_CLASSES)
SOURCE_NAMES_ES = tuple(CLASS_NAMES_ES[c] for c in SOURCE_CLASSES)

CANVAS = 40  #: side of the canvas an item is pasted on in *campo*
IMAGE_SIZE = 32  #: side of the centre crop (the backbone's input size)
CAMPO_SEEDS = {"train": 7_2024_01, "test": 7_2024_02}  #: fixed placement per split
SUBSET_SEED = 7_2024_03
SUBSET_SIZES = (5, 10, 20, 50, 100)
SUBSETS_FILE = "target_subsets.json"


class DataError(RuntimeError):
    """A course data file is missing or corrupt."""


def expected_checksums(folder: Path | None = None) -> dict[str, str]:
    """Read ``fashion-mnist/SHA256SUMS``: file name -> sha256."""
    folder = folder or data_dir() / "fashion-mnist"
    return read_checksums(folder / "SHA256SUMS")


def verify(folder: Path | None = None) -> dict[str, str]:
    """Check the four Fashion-MNIST files against ``SHA256SUMS``.

    Returns file name -> checksum; raises :class:`DataError` naming the missing or
    corrupt file, its expected checksum and how to restore it.
    """
    folder = Path(folder) if folder else data_dir() / "fashion-mnist"
    expected = expected_checksums(folder)
    restore = (restore_hint("fashion-mnist") + " También puedes copiarlo de "
               "/usr/share/datasets/fashion-mnist/ tras `apt-get install dataset-fashion-mnist`.")
    for name in FILES.values():
        path = folder / name
        if not path.is_file():
            raise DataError(
                f"Falta el archivo de datos {path} (sha256 esperado {expected[name]}). {restore}"
            )
        actual = sha256_file(path)
        if actual != expected[name]:
            raise DataError(
                f"El archivo de datos {path} está dañado: su sha256 es {actual} y debería ser "
                f"{expected[name]}. {restore}"
            )
    return expected


def keras_cache_dirs() -> list[Path]:
    """Folders where ``keras.datasets.fashion_mnist`` looks for its files.

    ``tf_keras`` uses ``~/.keras`` (``/tmp/.keras`` when home is read-only); Keras 3
    honours ``$KERAS_HOME``.
    """
    import os

    home = Path(os.path.expanduser("~")) / ".keras"
    bases = [home if os.access(home.parent, os.W_OK) else Path("/tmp/.keras")]
    if os.environ.get("KERAS_HOME"):
        bases.append(Path(os.environ["KERAS_HOME"]))
    return [base / "datasets" / "fashion-mnist" for base in bases]


def seed_keras_cache() -> list[Path]:
    """Copy the verified files into Keras' cache so ``load_data()`` never downloads."""
    expected = verify()
    source = data_dir() / "fashion-mnist"
    targets = keras_cache_dirs()
    for target in targets:
        target.mkdir(parents=True, exist_ok=True)
        for name in FILES.values():
            dest = target / name
            if not dest.is_file() or sha256_file(dest) != expected[name]:
                shutil.copyfile(source / name, dest)
    return targets


@lru_cache(maxsize=1)
def load_fashion_mnist() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """The canonical ``tf.keras.datasets.fashion_mnist.load_data()``, offline and verified.

    Returns ``(x_train, y_train), (x_test, y_test)``: uint8 images ``(n, 28, 28)`` and
    uint8 labels 0-9. Arrays are read-only (they are cached); copy before editing.
    """
    from tlcourse import _env

    seed_keras_cache()
    tf = _env.import_tensorflow_quietly()

    (x_train, y_train), (x_test, y_test) = tf.keras.datasets.fashion_mnist.load_data()
    for array in (x_train, y_train, x_test, y_test):
        array.setflags(write=False)
    return (x_train, y_train), (x_test, y_test)


def place_in_canvas(images: np.ndarray, offsets: np.ndarray, canvas: int = CANVAS,
                    size: int = IMAGE_SIZE) -> np.ndarray:
    """Paste each 28x28 image at ``offsets[i] = (row, col)`` of a black canvas, crop the centre.

    Returns uint8 ``(n, size, size)``.
    """
    images = np.asarray(images)
    n, h, w = images.shape
    if offsets.shape != (n, 2) or offsets.min() < 0 or offsets.max() > canvas - max(h, w):
        raise ValueError(f"offsets must be (n, 2) in [0, {canvas - max(h, w)}]")
    big = np.zeros((n, canvas, canvas), dtype=images.dtype)
    for i, (row, col) in enumerate(offsets):
        big[i, row:row + h, col:col + w] = images[i]
    start = (canvas - size) // 2
    return big[:, start:start + size, start:start + size]


def campo_offsets(n: int, seed: int, canvas: int = CANVAS, item: int = 28) -> np.ndarray:
    """Seeded placements ``(n, 2)`` uniform in ``[0, canvas - item]`` (PCG64: same everywhere)."""
    rng = np.random.default_rng(seed)
    return rng.integers(0, canvas - item + 1, size=(n, 2))


def random_campo(images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """*Campo* with fresh random placements: data augmentation for pretraining."""
    offsets = rng.integers(0, CANVAS - 28 + 1, size=(len(images), 2))
    return place_in_canvas(images, offsets)


def pad_catalogo(images: np.ndarray, size: int = IMAGE_SIZE) -> np.ndarray:
    """Centre 28x28 *catálogo* images on a black ``size`` x ``size`` background (uint8)."""
    images = np.asarray(images)
    pad = (size - images.shape[1]) // 2
    extra = size - images.shape[1] - pad
    return np.pad(images, ((0, 0), (pad, extra), (pad, extra)))


@lru_cache(maxsize=4)
def load_split(split: Split, condition: Condition = "campo") -> tuple[np.ndarray, np.ndarray]:
    """All ten classes of one split in one condition.

    *catálogo*: ``(n, 28, 28)`` uint8; *campo*: ``(n, 32, 32)`` uint8, placement fixed by
    :data:`CAMPO_SEEDS` (identical on every run and machine). Labels are 0-9.
    """
    if split not in ("train", "test"):
        raise ValueError(f"split debe ser 'train' o 'test', no {split!r}")
    (x_train, y_train), (x_test, y_test) = load_fashion_mnist()
    x, y = (x_train, y_train) if split == "train" else (x_test, y_test)
    if condition == "catalogo":
        return x, y
    if condition != "campo":
        raise ValueError(f"condition debe ser 'catalogo' o 'campo', no {condition!r}")
    images = place_in_canvas(x, campo_offsets(len(x), CAMPO_SEEDS[split]))
    images.setflags(write=False)
    return images, y


def load_task(task: Task, split: Split, condition: Condition = "campo") -> tuple[np.ndarray, np.ndarray]:
    """Images and labels of the source (0-4), target (5-9 relabelled 0-4) or all classes."""
    x, y = load_split(split, condition)
    if task == "all":
        return x, y
    classes = {"source": SOURCE_CLASSES, "target": TARGET_CLASSES}.get(task)
    if classes is None:
        raise ValueError(f"task debe ser 'source', 'target' o 'all', no {task!r}")
    mask = np.isin(y, classes)
    return x[mask], (y[mask] - classes[0]).astype(np.uint8)


def make_subsets(sizes: tuple[int, ...] = SUBSET_SIZES, seed: int = SUBSET_SEED) -> dict:
    """Nested, class-balanced few-label subsets of the target training set.

    Indices point into the full 60,000-image training split; the subset for ``k`` is the
    first ``k`` of each class in a seeded permutation, so smaller subsets are contained
    in larger ones.
    """
    _, (y_train) = load_split("train", "catalogo")
    rng = np.random.default_rng(seed)
    per_class = {c: rng.permutation(np.flatnonzero(y_train == c)) for c in TARGET_CLASSES}
    subsets = {
        str(k): sorted(int(i) for c in TARGET_CLASSES for i in per_class[c][:k]) for k in sizes
    }
    return {"seed": seed, "classes": list(TARGET_CLASSES), "indices": subsets}


def subsets_path() -> Path:
    return data_dir() / SUBSETS_FILE


@lru_cache(maxsize=1)
def _stored_subsets() -> dict:
    path = subsets_path()
    if not path.is_file():
        raise DataError(
            f"Falta {path}. Restáuralo con `git checkout -- data/{SUBSETS_FILE}` "
            "(o regenéralo con `python -m tlcourse splits`)."
        )
    return json.loads(path.read_text())


def target_subset(k: int, condition: Condition = "campo") -> tuple[np.ndarray, np.ndarray]:
    """The fixed few-label training set of the target task: ``k`` images per class."""
    indices = _stored_subsets()["indices"].get(str(k))
    if indices is None:
        raise ValueError(f"k debe ser uno de {list(SUBSET_SIZES)}, no {k!r}")
    x, y = load_split("train", condition)
    idx = np.asarray(indices)
    return x[idx], (y[idx] - TARGET_CLASSES[0]).astype(np.uint8)


def array_digest(*arrays: np.ndarray) -> str:
    """sha256 of arrays' bytes, shapes and dtypes (to compare data across machines)."""
    digest = hashlib.sha256()
    for array in arrays:
        array = np.ascontiguousarray(array)
        digest.update(f"{array.shape}{array.dtype}".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


def write_subsets() -> Path:
    """Rewrite the fixed few-label subsets file (``python -m tlcourse splits``)."""
    subsets_path().write_text(json.dumps(make_subsets(), indent=1) + "\n")
    return subsets_path()
