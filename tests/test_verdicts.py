"""Trusted verdicts: submission code cannot forge grades (the judge decides outside the kernel).

Each hostile submission is a blank release (nothing solved) of 00_entorno or 01_evolucion_cnn
plus one trick in its first answer cell that, before the judge existed, made in-kernel tests
pass (measured: an input transformer alone earned 12/12 on notebook 01). Each must earn 0 for
every exercise and be reported as ``manipulacion``; an honest student graded beside them keeps
full marks and is never flagged. Plus fast unit tests of the
evidence reader (no pickle, no symlinks, no custom Keras classes).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from hostile import HONEST, KERNEL_TRICKS, earned, flagged, grade_hostile, hostile_notebook
from tlcourse.grader import evidence, judging

#: (assignment, first answer cell) of the notebooks the tricks are tried on.
NOTEBOOKS = {"00_entorno": "ej1_resumen_datos", "01_evolucion_cnn": "ej1_cargar_tabla"}

#: Tricks aimed at one notebook's tests: lying objects, rebound checks, forged evidence.
NOTEBOOK_TRICKS = {
    ("00_entorno", "objetos_mentirosos"): (
        "import numpy as np\n"
        "class Todo(dict):\n"
        "    def __eq__(self, otro): return True\n"
        "    def __getitem__(self, clave): return Todo()\n"
        "    def __iter__(self): return iter(['n', 'alto', 'ancho', 'clases', 'min', 'max'])\n"
        "    def __contains__(self, clave): return True\n"
        "def resumen_datos(x, y): return Todo()\n"
        "np.allclose = np.isclose = lambda *a, **k: True\n"
        "np.asarray = lambda x, *a, **k: np.full(10, 0.1)\n"
    ),
    ("01_evolucion_cnn", "ayudantes_reemplazados"): (
        "import pandas as pd, numpy as np\n"
        "from tlcourse import cnn_table, plot_reading\n"
        "plot_reading.same_points = lambda *a, **k: True\n"
        "plot_reading.unlabelled = lambda *a, **k: []\n"
        "plot_reading.horizontal_lines = lambda ax: [5.1, 9.0]\n"
        "plot_reading.data_points = lambda ax: np.ones((1, 2))\n"
        "pd.api.types.is_integer_dtype = lambda *a, **k: True\n"
        "np.allclose = np.isclose = lambda *a, **k: True\n"
        "cargar_tabla = lambda ruta: pd.read_csv(ruta)\n"
    ),
    ("01_evolucion_cnn", "evidencia_falsificada"): (
        "import json, pathlib\n"
        "carpeta = pathlib.Path('.evidencia')\n"
        "for nombre in ['ej1_real', 'ej1_reto', 'ej2', 'ej3_humano', 'ej3_reduccion', 'ej4', 'ej5']:\n"
        "    (carpeta / f'{nombre}.json').write_text(json.dumps({'kind': 'json', 'value': True}))\n"
        "get_ipython().input_transformers_cleanup.append(lambda lineas: ['pass\\n'])\n"
    ),
}


def _cases() -> dict[tuple[str, str], str]:
    cases = {(a, name): code for a in NOTEBOOKS for name, code in KERNEL_TRICKS.items()}
    return {**cases, **NOTEBOOK_TRICKS}


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """Every trick and one honest student, autograded in one scratch course per notebook."""
    graded = {}
    for assignment, first_answer in NOTEBOOKS.items():
        students = {name: hostile_notebook(assignment, first_answer, code)
                    for (a, name), code in _cases().items() if a == assignment}
        for student, result in grade_hostile(tmp_path_factory.mktemp(assignment), assignment, students).items():
            graded[(assignment, student)] = result
    return graded


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(_cases()), ids="/".join)
def test_each_trick_earns_nothing_and_is_reported(hostile, case):
    scores, incidents = hostile[case]
    assert scores and earned(scores) == 0, {g: s.score for g, s in scores.items()}
    assert flagged(incidents), incidents


@pytest.mark.slow
@pytest.mark.parametrize("assignment", sorted(NOTEBOOKS))
def test_an_honest_student_beside_them_keeps_full_marks_unflagged(hostile, assignment):
    scores, incidents = hostile[(assignment, HONEST)]
    assert all(s.full for g, s in scores.items() if not g.startswith("manual_")) and incidents == []


# --------------------------------------------------------------------------- fast units
def test_evidence_round_trip_is_plain_data(tmp_path):
    evidence.record(tmp_path, "valores", lambda: {"n": np.int64(3), "p": np.array([0.5, 0.5])})
    evidence.record(tmp_path, "arreglo", lambda: np.arange(4))
    evidence.record(tmp_path, "fallo", lambda: 1 / 0)
    found = judging.Evidence(tmp_path)
    assert found.value("valores") == {"n": 3, "p": [0.5, 0.5]}
    assert found.value("arreglo").tolist() == [0, 1, 2, 3]
    with pytest.raises(judging.EvidenceError, match="ZeroDivisionError"):
        found.value("fallo")
    with pytest.raises(judging.MissingEvidence):
        found.value("nunca_escrita")


def test_pickled_arrays_and_symlinks_are_refused(tmp_path):
    np.save(tmp_path / "objetos.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    (tmp_path / "objetos.json").write_text(json.dumps({"kind": "array"}))
    (tmp_path / "enlace.json").symlink_to(tmp_path / "objetos.json")
    found = judging.Evidence(tmp_path)
    with pytest.raises(ValueError):
        found.value("objetos")
    with pytest.raises(judging.MissingEvidence):
        found.value("enlace")


def test_models_with_code_in_their_config_are_refused():
    config = {"class_name": "Sequential", "config": {"layers": [
        {"class_name": "InputLayer", "config": {}},
        {"class_name": "Lambda", "config": {"function": ["4wEAAAA...", None, None]}}]}}
    with pytest.raises(judging.EvidenceError, match="Lambda"):
        judging.check_classes(config, set())


def test_the_judge_runs_sandboxed_without_network_and_sees_the_evidence_read_only(tmp_path):
    from tlcourse.grader.verdicts import ApplyVerdicts

    evidence_folder = tmp_path / ".evidencia"
    evidence_folder.mkdir()
    state = {"assignment": "00_entorno", "folder": str(evidence_folder), "seed": 7}
    command = ApplyVerdicts().judge_command(state, tmp_path / "scratch")
    assert command[0] == "bwrap" and "--unshare-net" in command
    bound = [command[i:i + 3] for i, word in enumerate(command) if word in ("--bind", "--ro-bind")]
    assert ["--ro-bind", str(evidence_folder), str(evidence_folder)] in bound
    assert not any(b[0] == "--bind" and b[1] == str(evidence_folder) for b in bound)
    assert ApplyVerdicts(sandbox=False).judge_command(state, tmp_path)[:3] == [
        __import__("sys").executable, "-m", "tlcourse.grader.judging"]


def test_a_judge_error_on_malformed_evidence_fails_only_its_cell(tmp_path, monkeypatch):
    """judge_all contains whatever a judge raises on odd evidence: that cell fails, the others stand."""
    import types

    import tlcourse.grader.judges

    def judge(grade_id, found, reto):
        if grade_id == "roto":
            return found.value("valores")["no_esta"]  # KeyError on evidence of another shape
        return judging.PASS

    fake = types.SimpleNamespace(PROBES={"roto": "", "bien": ""}, challenge=lambda seed: {}, judge=judge)
    monkeypatch.setattr(tlcourse.grader.judges, "judge_for", lambda assignment: fake)
    evidence.record(tmp_path, "valores", lambda: {"n": 1})
    result = judging.judge_all("falso", tmp_path, 1)
    assert result["verdicts"]["bien"]["ok"] is True
    assert result["verdicts"]["roto"]["ok"] is False and "KeyError" in result["verdicts"]["roto"]["message"]
