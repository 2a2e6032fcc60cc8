"""Trusted verdicts on 02_arquitecturas and 05_tensorflow_hub: fast unit tests of the judges'
own arithmetic and evidence handling.

The hostile submissions of 02 and 05 (a kernel trick, lying objects, forged evidence, an
untrained model exported with the checks rebound) are entries of those notebooks' grader
corpora (tests/hostile.py, tests/corpus/<A>/expected.toml), graded with them in
tests/test_nb02_arquitecturas.py and tests/test_nb05_tensorflow_hub.py.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from tlcourse.grader import evidence
from tlcourse.grader.judges import bloques, hub_uso

A02 = "02_arquitecturas"


# --------------------------------------------------------------------------- fast units
def _keras_breakdown(row: np.ndarray) -> dict[str, int]:
    """The breakdown of the probe's model for ``row``, counted by Keras itself."""
    from tlcourse._env import import_tensorflow_quietly

    tf = import_tensorflow_quietly()
    namespace: dict = {}
    exec(bloques._EJ9.split("registrar(")[0], namespace)  # the probe's model builder only
    model = namespace["_tlc_modelo_desglose"](row)
    size = lambda vs: int(sum(np.prod(v.shape) for v in vs))  # noqa: E731
    biases = sum(int(layer.bias.shape[0]) for layer in model.layers
                 if isinstance(layer, tf.keras.layers.Conv2D) and layer.use_bias)
    return {"total": model.count_params(), "entrenables": size(model.trainable_weights),
            "no_entrenables": size(model.non_trainable_weights), "sesgos_conv": biases}


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_breakdown_arithmetic_agrees_with_keras(seed):
    for row in bloques.challenge(seed)["ej9"]:
        assert bloques.breakdown(row) == _keras_breakdown(row)


def test_the_challenge_changes_with_the_seed():
    for module in (bloques, hub_uso):
        first, second = module.challenge(1), module.challenge(2)
        assert any(not np.array_equal(first[k], second[k]) for k in first)
        assert all(np.array_equal(first[k], module.challenge(1)[k]) for k in first)


def test_signature_descriptions_keep_tuples_apart_from_lists(tmp_path):
    spec = json.loads(str(hub_uso.challenge(3)["ej2_firmas"]))
    expected = hub_uso.describe(spec["otra"])
    typed = lambda v: ({"tupla": [typed(e) for e in v]} if isinstance(v, tuple)  # noqa: E731
                       else {"lista": [typed(e) for e in v]} if isinstance(v, list)
                       else {"dict": [[typed(k), typed(e)] for k, e in v.items()]} if isinstance(v, dict) else v)
    assert hub_uso.untyped(typed(expected)) == expected
    as_lists = {side: {name: [list(shape), dtype] for name, (shape, dtype) in items.items()}
                for side, items in expected.items()}
    assert hub_uso.untyped(typed(as_lists)) != expected


def test_a_forged_keras_config_with_code_is_refused_by_the_judge_process(tmp_path):
    """Through ``python -m tlcourse.grader.judging``, as when grading: a refusal is a verdict, not a crash."""
    import subprocess

    from tlcourse.grader.verdicts import ApplyVerdicts

    (tmp_path / "ej2.json").write_text(json.dumps({"kind": "keras", "config": {"class_name": "Sequential", "config": {
        "layers": [{"class_name": "Lambda", "config": {"function": ["4wEAAAA", None, None]}}]}}}))
    evidence.save_challenge(tmp_path, bloques.challenge(5))
    state = {"assignment": A02, "folder": str(tmp_path), "seed": 5}
    done = subprocess.run(ApplyVerdicts(sandbox=False).judge_command(state, tmp_path), capture_output=True, text=True)
    verdicts = json.loads(done.stdout.strip().splitlines()[-1])["verdicts"]
    assert not verdicts["test_ej2_lenet5"]["ok"] and "Lambda" in verdicts["test_ej2_lenet5"]["message"]
    assert verdicts["test_ej1_contar_parametros"]["missing"]
