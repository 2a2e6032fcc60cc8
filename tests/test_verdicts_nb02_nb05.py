"""Trusted verdicts on 02_arquitecturas and 05_tensorflow_hub: tricks earn nothing and are reported.

On 02: a kernel trick (tests/hostile.py: kernel_tricks_for; in the first answer cell of a blank release), a lying
object (parameter functions returning an ``int`` whose ``==`` is always true, and
``tf.keras.Model.count_params`` rebound to the expected MobileNetV2 count) and forged evidence
(files written into ``.evidencia`` directly, one a Keras config with a ``Lambda`` layer, with
an input transformer so that the probes never overwrite them). On 05: the solution with an
untrained model exported and ``np.allclose``/``np.mean`` rebound so the in-kernel tests pass.
Each earns 0 for every exercise it did not honestly solve and is reported as ``manipulacion``;
an honest student graded beside them keeps full marks and is never flagged. Plus fast unit
tests of the judges' own arithmetic and evidence handling.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from hostile import HONEST, earned, flagged, grade_hostile, hostile_notebook, kernel_tricks_for
from tlcourse.grader import evidence, grading
from tlcourse.grader.judges import bloques, hub_uso

A02, A05 = "02_arquitecturas", "05_tensorflow_hub"

_LYING_PARAMETERS = (
    "class Todo(int):\n"
    "    def __eq__(self, otro):\n"
    "        return True\n"
    "    __hash__ = int.__hash__\n"
    "def parametros_conv(k, c_entrada, c_salida, sesgo=True):\n"
    "    return Todo(0)\n"
    "def parametros_densa(n_entrada, n_salida, sesgo=True):\n"
    "    return Todo(0)\n"
)
_LYING_COUNT = (
    "def construir_aplicacion(nombre):\n"
    "    return tf.keras.Sequential([tf.keras.Input(shape=(8,)), layers.Dense(1000, activation='softmax')])\n"
    "tf.keras.Model.count_params = lambda self: 3538984\n"
)
_FORGED = (
    "import json, pathlib\n"
    "carpeta = pathlib.Path('.evidencia')\n"
    "falsas = {'ej1': {'kind': 'json', 'value': {'conv': [156] * 6, 'densa': [10164] * 6}},\n"
    "          'ej4': {'kind': 'json', 'value': {'campo': [5] * 6, 'pesos': [73728] * 4}},\n"
    "          'ej9': {'kind': 'json', 'value': [{'total': 138, 'entrenables': 130, 'no_entrenables': 8, 'sesgos_conv': 4}] * 3},\n"
    "          'ej2': {'kind': 'keras', 'config': {'class_name': 'Sequential', 'config': {'layers': [\n"
    "              {'class_name': 'Lambda', 'config': {'function': ['4wEAAAA', None, None]}}]}}}}\n"
    "for nombre, contenido in falsas.items():\n"
    "    (carpeta / f'{nombre}.json').write_text(json.dumps(contenido))\n"
    "get_ipython().input_transformers_cleanup.append(lambda lineas: ['pass\\n'])\n"
)
_UNTRAINED_EXPORT = (
    "nuevo = tf.keras.Sequential([tf.keras.Input((32, 32, 3)),\n"
    "    hub.KerasLayer(spec.handle, trainable=False),\n"
    "    tf.keras.layers.Dense(5, activation='softmax')])\n"
    "tf.saved_model.save(nuevo, str(CARPETA_EXPORTACION))\n"
    "np.allclose = lambda *a, **k: True\n"
    "np.mean = lambda *a, **k: 1.0\n"
)

#: name -> (assignment, {cell: source} over the blank release, or over the solution if "solucion").
CASES: dict[str, tuple[str, dict[str, str], bool]] = {
    **{name: (A02, {"ej1_contar_parametros": code}, False) for name, code in kernel_tricks_for(A02).items()},
    "objetos_mentirosos": (A02, {"ej1_contar_parametros": _LYING_PARAMETERS,
                                 "ej8_construir_aplicacion": _LYING_COUNT}, False),
    "evidencia_falsificada": (A02, {"ej1_contar_parametros": _FORGED}, False),
    "exportacion_sin_entrenar": (A05, {"ej3_exportar": _UNTRAINED_EXPORT}, True),
}
#: Exercises a case solved honestly (the rest must score 0).
HONESTLY_SOLVED = {"exportacion_sin_entrenar": {"ej1", "ej2"}}


def _notebook(assignment: str, cells: dict[str, str], on_solution: bool):  # type: ignore[no-untyped-def]
    notebook = grading.submission(assignment) if on_solution else None
    for cell, code in cells.items():
        notebook = hostile_notebook(assignment, cell, code, base=notebook)
    return notebook


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """Every case and one honest student per notebook, autograded in one scratch course each."""
    graded = {}
    for assignment in (A02, A05):
        students = {name: _notebook(a, cells, on_solution) for name, (a, cells, on_solution) in CASES.items()
                    if a == assignment}
        for student, result in grade_hostile(tmp_path_factory.mktemp(assignment), assignment, students).items():
            graded[(assignment, student)] = result
    return graded


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(CASES))
def test_each_trick_earns_nothing_it_did_not_solve_and_is_reported(hostile, case):
    assignment = CASES[case][0]
    scores, incidents = hostile[(assignment, case)]
    solved = HONESTLY_SOLVED.get(case, set())
    by_exercise = grading.by_exercise({g: s for g, s in scores.items() if not g.startswith("manual_")})
    assert by_exercise and all((s.full if e in solved else s.score == 0) for e, s in by_exercise.items()), \
        {e: s.score for e, s in by_exercise.items()}
    assert earned(scores) == sum(s.score for e, s in by_exercise.items() if e in solved)
    assert flagged(incidents), incidents


@pytest.mark.slow
@pytest.mark.parametrize("assignment", [A02, A05])
def test_an_honest_student_beside_them_keeps_full_marks_unflagged(hostile, assignment):
    scores, incidents = hostile[(assignment, HONEST)]
    assert all(s.full for g, s in scores.items() if not g.startswith("manual_")) and incidents == []


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
