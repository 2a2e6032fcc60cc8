"""Grader validity for 06_proyecto: full marks, zero, typical mistakes, correct variants.

The written answers (``manual_*``) are graded by a person: they score 0 here and are
left out of "full marks". The end of this module drives that workflow through nbgrader's own
APIs on the solution's submission (graded once, with the corpus): autograde leaves them for a
person, scores are entered as formgrader does (Gradebook API: ``grade.manual_score``), and
``nbgrader export`` gives autograded + manual out of a maximum that counts them. The student
writes the TensorFlow pipeline: a frozen model (Sequential or functional, softmax or
logits with the matching loss), training with a validation part of the training digits
(``validation_split`` or an explicit split), fine-tuning recompiled with a low rate, and a
pipeline composing them; a provided baseline trainer returned as the pipeline scores 0.
"""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest

from tlcourse.grader import grading
import grader_corpus
from grader_corpus import (  # noqa: F401  (shared fixture and tests, collected here)
    graded, results, test_blank_release_scores_zero, test_each_mistake_loses_only_its_exercise,
    test_honest_submissions_are_never_flagged, test_solution_has_no_incident,
    test_solution_gets_full_marks, test_solution_runs_silently_within_memory_budget)

A = "06_proyecto"
pytestmark = pytest.mark.slow

# The corpus: tests/corpus/06_proyecto/ (answer cells as files; expected scores in expected.toml).
STUDENT = grader_corpus.SOLUTION
#: The solution's written answers, as a student would write them (grader_corpus fills them in).
WRITTEN_ANSWERS = {
    "manual_eleccion": "Elegí la combinación de píxeles y backbone congelado: en validación ...",
    "manual_cambio_dominio": "De ropa a ropa el preentrenamiento ayuda mucho; de ropa a dígitos ...",
    "manual_mas_etiquetas": "Con diez veces más etiquetas probaría el ajuste fino ...",
}
#: What a grader gives each written answer (partial credit on purpose).
MANUAL_SCORES = {"manual_eleccion": 2.5, "manual_cambio_dominio": 3.0, "manual_mas_etiquetas": 1.0}


def test_every_autograded_exercise_is_graded(results):
    assert {"test_ej1_preparar_digitos", "test_ej2_construir_congelado", "test_ej3_entrenar",
            "test_ej4_construir_ajuste_fino", "test_ej5_entrenar_pipeline"} <= set(results["solucion"])





def test_validating_on_the_test_set_reads_as_a_spanish_hint(graded):
    """errores_1 validates on the test digits: the visible test of ej3 says so in Spanish
    instead of showing only Keras's shape error."""
    cell = next(c for c in graded.notebooks["errores_1"].cells
                if c.metadata.get("nbgrader", {}).get("grade_id") == "test_ej3_entrenar")
    errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    assert errors and errors[0]["ename"] == "AssertionError", errors
    assert "nunca con el conjunto de prueba" in errors[0]["evalue"]


# --------------------------------------------------------------------------- manual grading
def manual_cells(notebook) -> dict[str, float]:
    """grade_id -> points of the manually graded cells (graded, solution, markdown)."""
    found = {}
    for cell in notebook.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and meta.get("solution") and cell.cell_type == "markdown":
            found[meta["grade_id"]] = float(meta["points"])
    return found


def auto_points(notebook) -> float:
    return sum(float(c.metadata["nbgrader"]["points"]) for c in notebook.cells
               if c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "code")


def test_manual_cells_exist_with_a_mark_scheme():
    source = grading.read_notebook(grading.source_path(A))
    cells = manual_cells(source)
    assert set(cells) == set(WRITTEN_ANSWERS) == set(MANUAL_SCORES), cells
    assert all(points > 0 for points in cells.values())
    by_id = grading.cells_by_id(source)
    for gid in cells:
        text = by_id[gid].source
        assert "### BEGIN SOLUTION" in text and "Pauta" in text, f"{gid} needs a model answer and a mark scheme"
    release = grading.cells_by_id(grading.read_notebook(grading.release_path(A)))
    for gid in cells:
        assert "Pauta" not in release[gid].source and "ESCRIBE AQUÍ TU RESPUESTA" in release[gid].source


def _export(course) -> dict[str, str]:
    """``nbgrader export`` (the CSV plugin) in the course root; the row of our submission."""
    target = course.root / "grades.csv"
    result = subprocess.run(
        [str(Path(sys.executable).parent / "nbgrader"), "export", f"--to={target}", "--log-level=WARN"],
        cwd=course.root, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    with target.open(newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["assignment"] == A and r["student_id"] == STUDENT]
    assert len(rows) == 1, rows
    return rows[0]


def test_autograde_leaves_manual_cells_for_a_person(graded):
    scores = graded.scores[STUDENT]
    source = grading.read_notebook(grading.source_path(A))
    manual = manual_cells(source)
    for gid, points in manual.items():
        assert scores[gid].max_score == points and scores[gid].score == 0, (gid, scores[gid])
    written = grading.cells_by_id(graded.notebooks[STUDENT])
    assert all(written[gid].source == text for gid, text in WRITTEN_ANSWERS.items())
    auto = {gid: s for gid, s in scores.items() if gid not in manual}
    assert auto and all(s.full for s in auto.values()), auto

    from nbgrader.api import Gradebook

    with Gradebook(graded.course.db_url) as gradebook:
        submission = gradebook.find_submission(A, STUDENT)
        assert submission.needs_manual_grade
        assert submission.max_score == pytest.approx(auto_points(source) + sum(manual.values()))
        assert submission.score == pytest.approx(auto_points(source))


def test_manual_scores_reach_the_total_and_the_export(graded):
    """Runs after the test above: it enters the scores a grader would give."""
    course = graded.course
    source = grading.read_notebook(grading.source_path(A))
    auto_max = auto_points(source)
    manual_max = sum(manual_cells(source).values())

    before = _export(course)
    assert float(before["score"]) == pytest.approx(auto_max)
    assert float(before["max_score"]) == pytest.approx(auto_max + manual_max)

    from nbgrader.api import Gradebook

    with Gradebook(course.db_url) as gradebook:  # what formgrader does when a grader saves a score
        for gid, value in MANUAL_SCORES.items():
            grade = gradebook.find_grade(gid, A, A, STUDENT)
            assert grade.auto_score is None and grade.needs_manual_grade
            grade.manual_score = value
            grade.needs_manual_grade = False
        gradebook.db.commit()

    with Gradebook(course.db_url) as gradebook:
        submission = gradebook.find_submission(A, STUDENT)
        assert not submission.needs_manual_grade
        assert submission.score == pytest.approx(auto_max + sum(MANUAL_SCORES.values()))

    after = _export(course)
    assert float(after["score"]) == pytest.approx(auto_max + sum(MANUAL_SCORES.values()))
    assert float(after["raw_score"]) == pytest.approx(auto_max + sum(MANUAL_SCORES.values()))
    assert float(after["max_score"]) == pytest.approx(auto_max + manual_max)
