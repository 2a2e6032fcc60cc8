"""The fine-tuning study's matched control: both arms differ only in which layers train."""

from __future__ import annotations

import numpy as np
import pytest

import tlcourse  # noqa: F401  (sets up tf_keras before TensorFlow)
from tlcourse import data
from tlcourse.build import finetune_study as study


def _backbone():  # type: ignore[no-untyped-def]
    from tlcourse.build.backbone import build_backbone

    return build_backbone()


def _weights(backbone) -> dict[str, np.ndarray]:  # type: ignore[no-untyped-def]
    return {w.name: w.numpy().copy() for w in backbone.weights}


@pytest.mark.parametrize("setting", list(study.SETTINGS.values()), ids=list(study.SETTINGS))
def test_the_arms_differ_only_in_the_trainable_layers(setting):
    control, tuned = study.arm_plan(setting, "control"), study.arm_plan(setting, "fine_tuned")
    assert control.pop("trainable") == ()
    assert tuned.pop("trainable") == tuple(setting.unfreeze) and setting.unfreeze
    assert control == tuned
    assert control["epochs"] == setting.epochs and control["learning_rate"] == setting.learning_rate


def test_unknown_arm_is_refused():
    with pytest.raises(ValueError, match="arm"):
        study.arm_plan(study.SETTINGS["nb04_k50"], "frozen")


def test_training_each_arm_changes_exactly_its_layers():
    """Same start, same epochs: the control moves only the head, fine-tuning also block4's conv."""
    rng = np.random.default_rng(0)
    x = rng.random((40, 32, 32, 3), dtype=np.float32)
    y = rng.integers(0, 5, 40)
    head = [rng.normal(0, 0.05, (256, 5)).astype(np.float32), np.zeros(5, np.float32)]
    setting = study.Setting("tiny", epochs=2, factor=1.0)
    trained = {}
    for arm in study.ARMS:
        backbone = _backbone()
        backbone.set_weights([np.full_like(w, 0.01) if "kernel" in w.name else w.numpy()
                              for w in backbone.weights])  # same start in both arms
        before = _weights(backbone)
        model = study.train_arm(backbone, head, study.arm_plan(setting, arm), x, y, seed=0)
        after = _weights(backbone)
        changed = sorted(name for name in before if not np.array_equal(before[name], after[name]))
        trained[arm] = (changed, model.history.epoch, model.get_layer("head").get_weights()[0])
    assert trained["control"][0] == []
    assert trained["fine_tuned"][0] == ["block4_conv1/kernel:0"], "only the top block's conv; BN untouched"
    assert trained["control"][1] == trained["fine_tuned"][1] == [0, 1], "both arms train the same epochs"
    for arm in study.ARMS:
        assert not np.allclose(trained[arm][2], head[0]), f"the head trains in the {arm} arm"


def test_unfreezing_all_blocks_keeps_batchnorm_frozen():
    backbone = study.set_trainable(_backbone(), study.ALL_BLOCKS)
    names = {w.name.split("/")[0] for w in backbone.trainable_weights}
    assert names == {f"block{b}_conv1" for b in range(1, 5)}
    assert study.set_trainable(_backbone(), ()).trainable_weights == []


def test_larger_subsets_contain_the_committed_ones():
    x100, y100 = data.target_subset(100, "campo")
    same_x, same_y = study.study_subset(100, "campo")
    assert np.array_equal(x100, same_x) and np.array_equal(y100, same_y)
    x150, y150 = study.study_subset(150, "campo")
    assert np.bincount(y150).tolist() == [150] * 5
    assert {x.tobytes() for x in x100} <= {x.tobytes() for x in x150}


def test_summary_mean_and_spread():
    runs = [{"setting": "nb04_k50", "seed": s, "phase1": 0.8, "control": c, "fine_tuned": f, "gain": f - c,
             "phase1_seconds": 1.0, "control_seconds": 2.0, "fine_tuned_seconds": 3.0}
            for s, c, f in ((0, 0.80, 0.84), (1, 0.82, 0.83), (2, 0.81, 0.87))]
    (summary,) = study.summarise(runs)
    assert summary["seeds"] == [0, 1, 2]
    assert summary["gain"] == pytest.approx(0.0367, abs=1e-4)
    assert summary["gain_sd"] == pytest.approx(float(np.std([0.04, 0.01, 0.06], ddof=1)), abs=1e-4)
    assert (summary["gain_min"], summary["gain_max"]) == (0.01, 0.06)
    assert summary["seconds_per_seed"] == 6.0


def test_course_results_are_the_recorded_study():
    """data/results/ajuste_fino_estudio.csv (what notebook 04 shows) summarises benchmarks/finetuning.json."""
    import pandas as pd

    from tlcourse.curves import results_dir

    shipped = pd.read_csv(results_dir() / study.RESULTS_CSV)
    record = study.load_record(study.default_record())
    summaries = {s["setting"]: s for s in study.summarise(record["runs"])}
    assert len(shipped) >= 2
    for row in shipped.itertuples():
        summary, setting = summaries[row.setting], study.SETTINGS[row.setting]
        assert len(summary["seeds"]) == row.seeds >= 3
        assert (row.condition, row.k, row.epochs) == (setting.condition, setting.k, setting.epochs)
        for key in ("phase1", "control", "fine_tuned", "gain", "gain_sd", "gain_min", "gain_max"):
            assert getattr(row, key) == pytest.approx(summary[key], abs=1e-4), (row.setting, key)


def test_course_results_match_the_committed_backbone():
    import json

    from tlcourse import curves

    provenance = json.loads((curves.results_dir() / study.RESULTS_PROVENANCE).read_text())
    assert provenance["backbone_sha256"] == curves.backbone_sha256(), (
        "data/results/ajuste_fino_estudio.csv was computed with another backbone: rerun "
        "`python -m tlcourse finetune-study` (see benchmarks/finetuning.md)")
