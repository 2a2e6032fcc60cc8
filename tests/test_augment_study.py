"""The augmentation study behind notebook 04's table: campo's shift, paired arms, recorded results."""

from __future__ import annotations

import json

import numpy as np
import pytest

import tlcourse  # noqa: F401  (sets up tf_keras before TensorFlow)
from tlcourse.build import augment_study as study
from tlcourse import data


def test_the_largest_shift_is_campos_spread():
    """Placements 0..CANVAS-28 from the corner, centred at half of it: up to 6 pixels each way."""
    offsets = data.campo_offsets(20_000, seed=0)
    centre = (data.CANVAS - 28) / 2
    assert np.abs(offsets - centre).max() == study.MAX_SHIFT_PX == 6
    assert study.SHIFT_FACTOR == pytest.approx(6 / 32)


def test_the_augmentation_shifts_only_in_training_with_a_black_fill():
    layer = study.augmentation_layer()
    x = np.ones((64, 32, 32, 3), np.float32)
    assert np.array_equal(np.asarray(layer(x, training=False)), x)
    out = np.asarray(layer(x, training=True))
    assert out.shape == x.shape and out.min() == 0.0, "the uncovered band is black, as campo's canvas"
    assert (out.reshape(64, -1) < 1).any(axis=1).mean() > 0.5


def test_summary_pairs_the_arms_seed_by_seed():
    runs = [{"model": "scratch", "k": 50, "seed": s, "without": w, "with": a, "gain": a - w}
            for s, w, a in ((0, 0.80, 0.84), (1, 0.82, 0.83), (2, 0.81, 0.87))]
    (summary,) = study.summarise(runs)
    assert summary["seeds"] == 3 and summary["gain"] == pytest.approx(round((0.04 + 0.01 + 0.06) / 3, 4))
    assert (summary["gain_min"], summary["gain_max"]) == (0.01, 0.06)
    assert summary["gain_sd"] == pytest.approx(round(float(np.std([0.04, 0.01, 0.06], ddof=1)), 4))


def test_unknown_model_is_refused():
    with pytest.raises(ValueError, match="model"):
        study.run_seed("pixels", 50, 0)


def test_course_results_are_the_recorded_study():
    """data/results/aumentacion_estudio.csv (what notebook 04 shows) summarises benchmarks/augmentation.json."""
    import pandas as pd

    from tlcourse import curves
    from tlcourse.paths import repo_root

    shipped = pd.read_csv(curves.results_dir() / study.RESULTS_CSV)
    record = json.loads((repo_root() / "benchmarks" / study.RECORD_FILE).read_text())
    summaries = {(s["model"], s["k"]): s for s in study.summarise(record["runs"])}
    assert set(shipped["model"]) == set(study.MODELS)
    for row in shipped.to_dict("records"):  # ("with" is a Python keyword: no itertuples)
        summary = summaries[(row["model"], row["k"])]
        assert row["seeds"] == summary["seeds"] >= 3
        for key in ("without", "with", "gain", "gain_sd", "gain_min", "gain_max"):
            assert row[key] == pytest.approx(summary[key]), (row["model"], key)
    provenance = json.loads((curves.results_dir() / study.RESULTS_PROVENANCE).read_text())
    assert provenance["backbone_sha256"] == curves.backbone_sha256(), (
        "data/results/aumentacion_estudio.csv was computed with another backbone: rerun "
        "`python -m tlcourse augment-study --seeds 0,1,2 --course`")
