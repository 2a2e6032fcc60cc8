"""Grader validity, damaged notebooks: what students do to notebooks costs only what it should.

On the cheap assignments (all batched in one parallel class-grading run), damaged
submissions of the instructor's solution, each with the exercises that must lose their
points, checked cell by cell through nbgrader's Gradebook API against the points of the
instructor's notebook (that the undamaged solution gets full marks is each notebook's corpus
test, tests/test_nb00_entorno.py and tests/test_nb01_evolucion_cnn.py):

* deleted cells (a test cell, a locked set-up cell, an answer with its tests, everything),
* duplicated cells (a wrong copy of an answer before/after it, a copy of a test cell),
* changed cell types (test cell to Markdown, answer to raw),
* test cells weakened by the student (edited, unlocked with more points, metadata removed,
  grade_id renamed): restored from the gradebook by ``OverwriteCells``.

The repair does not depend on the notebook, so each kind of damage is graded once, on one
of the two notebooks (:data:`DAMAGE_ON`): 00's first exercise has two test cells, 01 has a
manually graded cell at the end.

``test_stock_nbgrader_*`` document what nbgrader 0.9.6 alone does with the same damage
(why ``tlcourse.grader.sanitize.RepairCells`` exists); if a future nbgrader fixes it, they fail
and RepairCells can go.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

import nbformat
import pytest
from nbformat import NotebookNode

from conftest import assignments
from tlcourse.grader import classgrade, grading
from tlcourse.build import synthetic

pytestmark = pytest.mark.slow

#: Assignments cheap enough (seconds per autograde) to damage in CI.
CHEAP = ("00_entorno", "01_evolucion_cnn")
DAMAGED = [a for a in CHEAP if a in assignments()]
#: Each kind of damage and the notebook it is graded on: those aimed at the first test cell on
#: 00 (its exercise keeps a second test), deleting everything on 01 (its manual cell too).
DAMAGE_ON = {
    "borra_prueba": "00_entorno", "borra_celda_bloqueada": "00_entorno",
    "borra_respuesta_y_pruebas": "01_evolucion_cnn", "borra_todo": "01_evolucion_cnn",
    "duplica_respuesta_mala_antes": "00_entorno", "duplica_respuesta_mala_despues": "01_evolucion_cnn",
    "duplica_prueba": "00_entorno", "prueba_a_markdown": "00_entorno", "respuesta_a_raw": "01_evolucion_cnn",
    "prueba_editada": "00_entorno", "prueba_desbloqueada_con_puntos": "01_evolucion_cnn",
    "prueba_sin_metadatos": "00_entorno", "prueba_renombrada": "01_evolucion_cnn",
}
NAMES = list(DAMAGE_ON)


# --------------------------------------------------------------------------- helpers
def _index(nb: NotebookNode, gid: str) -> int:
    return next(i for i, cell in enumerate(nb.cells) if grading.grade_id(cell) == gid)


def _meta(cell: NotebookNode) -> dict:
    return cell.metadata.get("nbgrader", {})


class Parts:
    """The cells of an assignment that the damage is aimed at."""

    def __init__(self, assignment: str) -> None:
        self.assignment = assignment
        source = grading.read_notebook(grading.source_path(assignment))
        cells = [c for c in source.cells if grading.grade_id(c)]
        self.last = synthetic.exercises(assignment)[-1]
        self.first = synthetic.exercises(assignment)[0]
        tests = [grading.grade_id(c) for c in cells if _meta(c).get("grade") and not _meta(c).get("solution")]
        self.first_test = next(t for t in tests if grading.exercise_of(t) == self.first)
        self.last_tests = [t for t in tests if grading.exercise_of(t) == self.last]
        self.last_answers = [g for g in grading.solution_cells(assignment) if grading.exercise_of(g) == self.last]
        self.setup = next(grading.grade_id(c) for c in cells
                          if _meta(c).get("locked") and not _meta(c).get("grade") and not _meta(c).get("solution"))
        self.stubs = synthetic.answer_cells(assignment)

    def solution(self, blank_last: bool = False) -> NotebookNode:
        overrides = {g: self.stubs[g] for g in self.last_answers} if blank_last else {}
        return grading.submission(self.assignment, overrides=overrides)


def _delete(nb: NotebookNode, *gids: str) -> NotebookNode:
    nb.cells = [c for c in nb.cells if grading.grade_id(c) not in gids]
    return nb


def _duplicate_answer(parts: Parts, before: bool) -> NotebookNode:
    nb = parts.solution()
    gid = parts.last_answers[0]
    index = _index(nb, gid)
    wrong = copy.deepcopy(nb.cells[index])
    wrong.source = parts.stubs[gid]
    nb.cells.insert(index if before else index + 1, wrong)
    return nb


def _duplicate_test(parts: Parts) -> NotebookNode:
    nb = parts.solution()
    index = _index(nb, parts.first_test)
    twin = copy.deepcopy(nb.cells[index])
    twin.source = "pass  # mi versión de la prueba"
    nb.cells.insert(index + 1, twin)
    return nb


def _retype(nb: NotebookNode, gid: str, cell_type: str) -> NotebookNode:
    cell = nb.cells[_index(nb, gid)]
    cell.cell_type = cell_type
    cell.pop("outputs", None)
    cell.pop("execution_count", None)
    return nb


def _weaken(parts: Parts, edit: Callable[[NotebookNode, int], None]) -> NotebookNode:
    """A wrong (blank) last answer whose tests the student disarmed."""
    nb = parts.solution(blank_last=True)
    for gid in parts.last_tests:
        index = _index(nb, gid)
        nb.cells[index].source = "pass  # ya funciona"
        edit(nb, index)
    return nb


def _unlock(nb: NotebookNode, index: int) -> None:
    _meta(nb.cells[index]).update(locked=False, points=100)


def _strip(nb: NotebookNode, index: int) -> None:
    del nb.cells[index].metadata["nbgrader"]


def _rename(nb: NotebookNode, index: int) -> None:
    _meta(nb.cells[index])["grade_id"] += "_mio"


def corpus(assignment: str) -> dict[str, tuple[NotebookNode, set[str]]]:
    """name -> (damaged submission, exercises that must lose their points)."""
    p = Parts(assignment)
    everything = set(synthetic.exercises(assignment))
    return {
        "borra_prueba": (_delete(p.solution(), p.first_test), set()),
        "borra_celda_bloqueada": (_delete(p.solution(), p.setup), set()),
        "borra_respuesta_y_pruebas": (_delete(p.solution(), *p.last_answers, *p.last_tests), {p.last}),
        "borra_todo": (nbformat.v4.new_notebook(), everything),
        "duplica_respuesta_mala_antes": (_duplicate_answer(p, before=True), set()),
        "duplica_respuesta_mala_despues": (_duplicate_answer(p, before=False), {p.last}),
        "duplica_prueba": (_duplicate_test(p), set()),
        "prueba_a_markdown": (_retype(p.solution(), p.first_test, "markdown"), set()),
        "respuesta_a_raw": (_retype(p.solution(), p.last_answers[0], "raw"), set()),
        "prueba_editada": (_weaken(p, lambda nb, i: None), {p.last}),
        "prueba_desbloqueada_con_puntos": (_weaken(p, _unlock), {p.last}),
        "prueba_sin_metadatos": (_weaken(p, _strip), {p.last}),
        "prueba_renombrada": (_weaken(p, _rename), {p.last}),
    }


# --------------------------------------------------------------------------- grading
@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> dict:
    """Every kind of damage on its notebook (:data:`DAMAGE_ON`), graded in one parallel run."""
    assert set(DAMAGE_ON.values()) == set(CHEAP) == set(DAMAGED), "both cheap notebooks exist"
    folder = tmp_path_factory.mktemp("damaged")
    expected = {}
    for assignment in DAMAGED:
        damaged = corpus(assignment)
        assert set(damaged) == set(DAMAGE_ON)
        for name in (n for n, a in DAMAGE_ON.items() if a == assignment):
            notebook, lost = damaged[name]
            path = folder / "in" / name / assignment / f"{assignment}.ipynb"
            path.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(notebook, str(path))
            expected[(name, assignment)] = lost
    run = classgrade.grade_class(folder / "in", folder / "out",
                                 classgrade.Settings(workers=2, feedback=False, progress=False),
                                 assignments=DAMAGED)
    return {"run": run, "expected": expected, "scores": _scores(run.db_url, expected)}


def _points(assignment: str) -> dict[str, float]:
    """grade_id -> points of every graded cell of the instructor's notebook."""
    cells = grading.read_notebook(grading.source_path(assignment)).cells
    return {_meta(c)["grade_id"]: float(_meta(c)["points"]) for c in cells if _meta(c).get("grade")}


def _scores(db_url: str, keys) -> dict:
    """(student, assignment) -> {grade_id: (score, max_score)} from the merged gradebook."""
    from nbgrader.api import Gradebook

    found = {}
    with Gradebook(db_url) as gb:
        for student, assignment in keys:
            notebook = gb.find_submission_notebook(assignment, assignment, student)
            found[(student, assignment)] = {g.name: (float(g.score or 0), float(g.max_score))
                                            for g in notebook.grades}
    return found


def test_no_damaged_submission_fails_the_grader(graded):
    failed = [(r.student, r.assignment, r.error[-300:]) for r in graded["run"].results if not r.ok]
    assert not failed
    assert sorted(r.key for r in graded["run"].results) == sorted(graded["expected"])


@pytest.mark.parametrize("name", NAMES)
def test_damage_costs_exactly_the_expected_cells(graded, name):
    """Every graded cell of the instructor's notebook has one grade, with its own points; the
    exercises the damage must cost score 0, every other autograded cell full marks (manual
    cells: 0, left for a person)."""
    assignment = DAMAGE_ON[name]
    lost = graded["expected"][(name, assignment)]
    points = _points(assignment)
    scores = graded["scores"][(name, assignment)]
    assert set(scores) == set(points), "every graded cell has exactly one grade"
    for gid, (score, most) in scores.items():
        assert most == points[gid], f"{gid}: max score changed to {most}"
        full = 0.0 if gid.startswith("manual") else points[gid]
        want = 0.0 if grading.exercise_of(gid) in lost else full
        assert score == want, f"{assignment}/{name}: {gid} scored {score}, expected {want}"


# --------------------------------------------------------------------------- stock nbgrader
STOCK_SANITIZE = """
from nbgrader.preprocessors import ClearOutput, DeduplicateIds, OverwriteKernelspec, OverwriteCells, CheckCellMetadata
c.Autograde.sanitize_preprocessors = [ClearOutput, DeduplicateIds, OverwriteKernelspec, OverwriteCells, CheckCellMetadata]
"""


@pytest.fixture(scope="module")
def stock(tmp_path_factory):
    """A scratch course with nbgrader 0.9.6's own sanitize preprocessors."""
    add_missing = "c.OverwriteCells.add_missing_cells = True\n"
    return grading.ScratchCourse(tmp_path_factory.mktemp("stock"), ["00_entorno"],
                                 extra_config=STOCK_SANITIZE + add_missing)


@pytest.mark.parametrize("name", ["duplica_prueba", "prueba_renombrada", "borra_respuesta_y_pruebas"])
def test_stock_nbgrader_fails_whole_submission(stock, name):
    """Duplicated ids (#1083), renamed ids, and a deleted answer with its tests under
    ``add_missing_cells`` make stock nbgrader 0.9.6 fail the submission before running it."""
    notebook, _ = corpus("00_entorno")[name]
    stock.submit(name, "00_entorno", notebook)
    result = stock.api.autograde("00_entorno", name, force=True, create=True)
    assert not result["success"]


def test_repair_leaves_an_intact_submission_unchanged(tmp_path):
    from tlcourse.grader.sanitize import RepairCells

    course = grading.ScratchCourse(tmp_path, ["00_entorno"])
    notebook = grading.submission("00_entorno")
    before = copy.deepcopy(notebook)
    resources = {"nbgrader": {"db_url": course.db_url, "notebook": "00_entorno", "assignment": "00_entorno"}}
    RepairCells().preprocess(notebook, resources)
    assert notebook == before


def test_corpus_rule_flags_every_wrong_exercise_score():
    """The rule every notebook's corpus test applies: wrong exercises score 0, others full."""
    S = grading.Score
    scores = {"test_ej1_a": S(1, 1), "test_ej1_b": S(1, 1), "test_ej2_a": S(0, 2),
              "test_ej3_a": S(1, 2), "manual_texto": S(0, 3)}
    assert [p.split(",")[0] for p in grading.corpus_mismatches(scores, {"ej2"})] == ["ej3 should keep full marks"]
    assert [p.split(",")[0] for p in grading.corpus_mismatches(scores, {"ej1", "ej2", "ej3"})] == [
        "ej1 should lose its points", "ej3 should lose its points"]
    assert grading.corpus_mismatches({k: v for k, v in scores.items() if k != "test_ej3_a"}, {"ej2"}) == []
