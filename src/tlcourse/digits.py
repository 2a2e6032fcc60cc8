"""Handwritten digits for the capstone (notebook 06): fixed, seeded splits of ``load_digits``.

``sklearn.datasets.load_digits`` ships with scikit-learn (no download): 1797 real
handwritten digits, 8x8 pixels, integer intensities 0-16 stored as float64, labels 0-9.

The capstone works under a **labelled-data budget**. Every student and the grader see the
same images, fixed by indices stored in ``data/digits_split.json``:

* ``test``: half of the images (stratified), held out for the final report and the grader;
* ``train[k]``: ``k`` images per class from the other half, for ``k`` in
  :data:`TRAIN_SIZES`; nested (the subset for 5 is inside the one for 10, ...);
  :data:`BUDGET` is the budget of the graded pipeline;
* ``validation``: :data:`VALIDATION_PER_CLASS` images per class from the same half,
  disjoint from every training subset, for choosing a model without touching ``test``.

The rest of that half is never used as labelled data (it plays the role of the
unlabelled images a project usually has). ``python -m tlcourse splits`` rewrites the
JSON file; a test checks that the stored split equals a fresh one.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np

from tlcourse.data import DataError, array_digest
from tlcourse.paths import data_dir

SPLIT_FILE = "digits_split.json"
SPLIT_SEED = 6_2024_06
TEST_FRACTION = 0.5
TRAIN_SIZES = (5, 10, 20, 50)
BUDGET = 10  #: labelled training images per class for the graded pipeline
VALIDATION_PER_CLASS = 10
NUM_CLASSES = 10
MAX_VALUE = 16.0  #: largest pixel value of ``load_digits`` (4-bit counts: 0..16)


@lru_cache(maxsize=1)
def load_all() -> tuple[np.ndarray, np.ndarray]:
    """All 1797 digits: images ``(1797, 8, 8)`` float64 in ``[0, 16]`` and labels int64.

    Read-only arrays (copy them before modifying).
    """
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images = np.asarray(bunch.images)
    labels = np.asarray(bunch.target)
    images.setflags(write=False)
    labels.setflags(write=False)
    return images, labels


def make_split(seed: int = SPLIT_SEED) -> dict:
    """The split as plain lists of indices into :func:`load_all` (see the module docstring)."""
    images, labels = load_all()
    rng = np.random.default_rng(seed)
    test: list[int] = []
    validation: list[int] = []
    train: dict[str, list[int]] = {str(k): [] for k in TRAIN_SIZES}
    for c in range(NUM_CLASSES):
        idx = rng.permutation(np.flatnonzero(labels == c))
        n_test = int(round(TEST_FRACTION * len(idx)))
        test.extend(int(i) for i in idx[:n_test])
        pool = idx[n_test:]
        if len(pool) < max(TRAIN_SIZES) + VALIDATION_PER_CLASS:
            raise ValueError(f"class {c} has too few images for the split")
        for k in TRAIN_SIZES:
            train[str(k)].extend(int(i) for i in pool[:k])
        validation.extend(int(i) for i in pool[len(pool) - VALIDATION_PER_CLASS:])
    return {
        "seed": seed,
        "data_digest": array_digest(images, labels),
        "test": sorted(test),
        "validation": sorted(validation),
        "train": {k: sorted(v) for k, v in train.items()},
    }


def split_path() -> Path:
    return data_dir() / SPLIT_FILE


@lru_cache(maxsize=1)
def stored_split() -> dict:
    """``data/digits_split.json``, checked against the installed scikit-learn data."""
    path = split_path()
    if not path.is_file():
        raise DataError(
            f"Falta {path}. Restáuralo con `git checkout -- data/{SPLIT_FILE}` "
            "(o regenéralo con `python -m tlcourse splits`).")
    split = json.loads(path.read_text())
    digest = array_digest(*load_all())
    if split.get("data_digest") != digest:
        raise DataError(
            f"Los dígitos de sklearn.datasets.load_digits no coinciden con los que fijó {path} "
            f"(sha256 {digest} en vez de {split.get('data_digest')}). ¿Cambió la versión de "
            "scikit-learn? Instala la de requirements.txt.")
    return split


def _take(indices: list[int]) -> tuple[np.ndarray, np.ndarray]:
    images, labels = load_all()
    idx = np.asarray(indices, dtype=np.int64)
    return images[idx].copy(), labels[idx].copy()


def train_subset(k: int = BUDGET) -> tuple[np.ndarray, np.ndarray]:
    """``k`` labelled training digits per class: images ``(10k, 8, 8)`` in ``[0, 16]``, labels."""
    indices = stored_split()["train"].get(str(k))
    if indices is None:
        raise ValueError(f"k debe ser uno de {list(TRAIN_SIZES)}, no {k!r}")
    return _take(indices)


def validation_set() -> tuple[np.ndarray, np.ndarray]:
    """The validation digits (10 per class, disjoint from every training subset)."""
    return _take(stored_split()["validation"])


def test_set() -> tuple[np.ndarray, np.ndarray]:
    """The held-out test digits (half of the data set, never used for training or choosing)."""
    return _take(stored_split()["test"])


def pool_indices() -> np.ndarray:
    """Indices of the labelled-pool half: every image in neither ``test`` nor ``validation``."""
    split = stored_split()
    taken = set(split["test"]) | set(split["validation"])
    return np.array([i for i in range(len(load_all()[1])) if i not in taken], dtype=np.int64)


def random_train_indices(k: int, seed: int) -> np.ndarray:
    """Another draw of ``k`` training digits per class from the pool (never test or validation).

    Indices into :func:`load_all`, sorted. For measuring how much a result depends on
    *which* few images got labelled.
    """
    labels = load_all()[1]
    pool = pool_indices()
    rng = np.random.default_rng(seed)
    chosen = [rng.choice(pool[labels[pool] == c], size=k, replace=False) for c in range(NUM_CLASSES)]
    return np.sort(np.concatenate(chosen))


def random_train_subset(k: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Images and labels of :func:`random_train_indices`."""
    return _take(random_train_indices(k, seed).tolist())


def write_split() -> str:
    """Rewrite the fixed split of load_digits (``python -m tlcourse splits``); a one-line summary."""
    split_path().write_text(json.dumps(make_split(), indent=1) + "\n")
    split = stored_split()
    return (f"wrote {split_path()}: {len(split['test'])} test, {len(split['validation'])} validation, "
            + ", ".join(f"train[{k}]={len(v)}" for k, v in split["train"].items()))
