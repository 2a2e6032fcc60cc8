"""The capstone's digits: a fixed split everyone shares, disjoint, nested, reproducible."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from tlcourse import data, digits, paths


def test_load_digits_is_the_expected_data():
    images, labels = digits.load_all()
    assert images.shape == (1797, 8, 8) and labels.shape == (1797,)
    assert images.min() == 0 and images.max() == digits.MAX_VALUE
    assert set(np.unique(labels)) == set(range(10))


def test_stored_split_equals_a_fresh_one():
    assert digits.stored_split() == digits.make_split()


def test_split_is_disjoint_balanced_and_nested():
    split = digits.stored_split()
    _, labels = digits.load_all()
    test, validation = set(split["test"]), set(split["validation"])
    assert not test & validation
    assert len(test) == 898
    assert np.bincount(labels[sorted(validation)]).tolist() == [digits.VALIDATION_PER_CLASS] * 10
    previous: set[int] = set()
    for k in digits.TRAIN_SIZES:
        train = set(split["train"][str(k)])
        assert not train & (test | validation)
        assert np.bincount(labels[sorted(train)]).tolist() == [k] * 10
        assert previous <= train
        previous = train


def test_accessors_return_fresh_copies():
    x, y = digits.train_subset()
    assert x.shape == (10 * digits.BUDGET, 8, 8) and y.shape == (10 * digits.BUDGET,)
    x[:] = -1
    assert digits.train_subset()[0].min() == 0
    assert digits.validation_set()[0].shape == (100, 8, 8)
    assert digits.test_set()[0].shape == (898, 8, 8)
    with pytest.raises(ValueError, match="k debe ser uno de"):
        digits.train_subset(7)


def test_random_draws_come_from_the_pool_only():
    split = digits.stored_split()
    held_out = set(split["test"]) | set(split["validation"])
    _, labels = digits.load_all()
    a = digits.random_train_indices(10, seed=1)
    assert not set(a.tolist()) & held_out
    assert np.bincount(labels[a]).tolist() == [10] * 10
    assert np.array_equal(a, digits.random_train_indices(10, seed=1))
    assert not np.array_equal(a, digits.random_train_indices(10, seed=2))


def test_a_changed_dataset_is_reported_in_spanish(repo, tmp_path, monkeypatch):
    target = tmp_path / "data"
    shutil.copytree(repo / "data" / "fashion-mnist", target / "fashion-mnist")
    split = json.loads((repo / "data" / digits.SPLIT_FILE).read_text())
    split["data_digest"] = "0" * 64
    (target / digits.SPLIT_FILE).write_text(json.dumps(split))
    monkeypatch.setenv(paths.DATA_ENV, str(target))
    digits.stored_split.cache_clear()
    try:
        with pytest.raises(data.DataError, match="scikit-learn"):
            digits.stored_split()
        (target / digits.SPLIT_FILE).unlink()
        digits.stored_split.cache_clear()
        with pytest.raises(data.DataError, match="git checkout"):
            digits.stored_split()
    finally:
        monkeypatch.undo()
        digits.stored_split.cache_clear()
