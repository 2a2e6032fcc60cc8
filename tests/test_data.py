"""Course data: checksums, clear errors, offline Keras loading, campo, fixed subsets."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from tlcourse import data, paths

# sha256 of load_split("test", "campo") images computed once; PCG64 placements and the
# canonical files make it identical on every machine (see test_campo_is_identical...).
CAMPO_TEST_DIGEST = "97fe12e64e00a92ea367ae4ef990e9d163df6dd56677ada7ae98dd70c9ea14e5"


def test_checksums_file_lists_the_four_canonical_files(repo):
    assert set(data.expected_checksums()) == set(data.FILES.values())
    assert data.verify() == data.expected_checksums()


@pytest.fixture
def data_copy(repo, tmp_path, monkeypatch):
    target = tmp_path / "data"
    shutil.copytree(repo / "data" / "fashion-mnist", target / "fashion-mnist")
    monkeypatch.setenv(paths.DATA_ENV, str(target))
    return target


def test_missing_file_error_names_file_checksum_and_fix(data_copy):
    (data_copy / "fashion-mnist" / "train-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(data.DataError) as error:
        data.verify()
    message = str(error.value)
    assert "Falta" in message and "train-labels-idx1-ubyte.gz" in message
    assert data.expected_checksums()["train-labels-idx1-ubyte.gz"] in message
    assert "kit del curso" in message and "git" not in message, "a copy outside the repository has no git"


def test_the_fix_inside_the_repository_is_git(monkeypatch):
    monkeypatch.delenv(paths.DATA_ENV, raising=False)
    assert paths.restore_hint("hub") == "Restáuralo con `git checkout -- data/hub/`."


def test_corrupt_file_error_names_file_and_both_checksums(data_copy):
    victim = data_copy / "fashion-mnist" / "t10k-images-idx3-ubyte.gz"
    with victim.open("r+b") as handle:
        handle.seek(1000)
        handle.write(b"\x00\x01\x02")
    with pytest.raises(data.DataError) as error:
        data.verify()
    message = str(error.value)
    assert "dañado" in message and "t10k-images-idx3-ubyte.gz" in message
    assert data.expected_checksums()["t10k-images-idx3-ubyte.gz"] in message


def test_wrong_data_override_is_explained(monkeypatch, tmp_path):
    monkeypatch.setenv(paths.DATA_ENV, str(tmp_path))
    with pytest.raises(paths.DataNotFoundError, match="TLCOURSE_DATA"):
        paths.data_dir()


@pytest.mark.parametrize("where", ["solutions/00_entorno", "notebooks", "tmp"])
def test_data_is_found_from_any_working_directory(repo, where, tmp_path, monkeypatch):
    monkeypatch.delenv(paths.DATA_ENV, raising=False)
    monkeypatch.chdir(tmp_path if where == "tmp" else repo / where)
    assert paths.data_dir() == repo / "data"


def test_canonical_keras_loader_works_offline_on_a_fresh_home(tmp_path):
    """A student's machine with an empty ~/.keras: tf.keras...load_data() must not download."""
    code = textwrap.dedent("""
        import tlcourse
        from tlcourse import data
        data.seed_keras_cache()
        tlcourse.setup()
        import tensorflow as tf
        (x, y), (xt, yt) = tf.keras.datasets.fashion_mnist.load_data()
        print(x.shape, xt.shape, int(y.max()))
    """)
    env = {**os.environ, "HOME": str(tmp_path), "TLCOURSE_BLOCK_NETWORK": "1"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "(60000, 28, 28) (10000, 28, 28) 9"
    assert (tmp_path / ".keras" / "datasets" / "fashion-mnist" / "train-images-idx3-ubyte.gz").is_file()


def test_fashion_mnist_shapes_and_balance():
    (x, y), (xt, yt) = data.load_fashion_mnist()
    assert x.shape == (60000, 28, 28) and xt.shape == (10000, 28, 28)
    assert x.dtype == np.uint8 and set(np.unique(y)) == set(range(10))
    assert np.all(np.bincount(y) == 6000) and np.all(np.bincount(yt) == 1000)


def test_campo_is_32x32_off_centre_and_sometimes_cut():
    x_cat, _ = data.load_split("test", "catalogo")
    x_campo, _ = data.load_split("test", "campo")
    assert x_campo.shape == (10000, 32, 32) and x_campo.dtype == np.uint8
    kept = x_campo.reshape(10000, -1).sum(1) / np.maximum(x_cat.reshape(10000, -1).sum(1), 1)
    assert np.all(kept <= 1.0 + 1e-9)
    assert 0.2 < np.mean(kept < 0.999) < 0.95, "some items are cut, not all"
    centre = np.array([np.unravel_index(np.argmax(img), img.shape) for img in x_campo[:500]])
    assert centre.std(axis=0).min() > 2, "items must not all sit at the centre"


def test_campo_placement_offsets_are_in_range():
    offsets = data.campo_offsets(5000, data.CAMPO_SEEDS["train"])
    assert offsets.min() == 0 and offsets.max() == data.CANVAS - 28


def test_campo_is_identical_across_runs_and_machines():
    images, labels = data.load_split("test", "campo")
    digest = data.array_digest(images, labels)
    assert digest == CAMPO_TEST_DIGEST
    code = "import tlcourse; from tlcourse import data; print(data.array_digest(*data.load_split('test', 'campo')))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.stdout.strip() == digest, result.stderr


def test_tasks_split_and_relabel_classes():
    x_s, y_s = data.load_task("source", "train")
    x_t, y_t = data.load_task("target", "test")
    assert len(x_s) == 30000 and set(np.unique(y_s)) == {0, 1, 2, 3, 4}
    assert len(x_t) == 5000 and set(np.unique(y_t)) == {0, 1, 2, 3, 4}
    _, y_all = data.load_split("test", "campo")
    assert np.array_equal(y_t, y_all[y_all >= 5] - 5)
    assert data.TARGET_NAMES_ES[0] == "Sandalia"


def test_stored_subsets_are_reproducible_nested_and_balanced():
    stored = json.loads(data.subsets_path().read_text())
    assert stored == data.make_subsets(), "data/target_subsets.json differs from its recipe"
    previous: set[int] = set()
    for k in data.SUBSET_SIZES:
        x, y = data.target_subset(k)
        assert x.shape == (5 * k, 32, 32)
        assert np.all(np.bincount(y, minlength=5) == k)
        current = set(stored["indices"][str(k)])
        assert previous <= current, "smaller subsets are contained in larger ones"
        previous = current


def test_unknown_subset_size_is_explained():
    with pytest.raises(ValueError, match="k debe ser"):
        data.target_subset(7)
