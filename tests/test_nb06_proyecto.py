"""Grader validity for 06_proyecto: full marks, zero, typical mistakes, correct variants.

The written answers (``manual_*``) are graded by a person: they score 0 here and are
left out of "full marks" (tests/test_manual_grading.py drives that workflow). The student
writes the TensorFlow pipeline: a frozen model (Sequential or functional, softmax or
logits with the matching loss), training with a validation part of the training digits
(``validation_split`` or an explicit split), fine-tuning recompiled with a low rate, and a
pipeline composing them; a provided baseline trainer returned as the pipeline scores 0.
"""

from __future__ import annotations

import pytest

from tlcourse.grader import grading
from grader_corpus import (  # noqa: F401  (shared fixture and tests, collected here)
    graded, results, test_blank_release_scores_zero, test_each_mistake_loses_only_its_exercise,
    test_honest_submissions_are_never_flagged, test_solution_has_no_incident,
    test_solution_gets_full_marks, test_solution_runs_silently_within_memory_budget)

A = "06_proyecto"
pytestmark = pytest.mark.slow

# The corpus: tests/corpus/06_proyecto/ (answer cells as files; expected scores in expected.toml).
MANUAL = {"manual_eleccion", "manual_cambio_dominio", "manual_mas_etiquetas"}


def test_every_autograded_exercise_is_graded(results):
    assert {"test_ej1_preparar_digitos", "test_ej2_construir_congelado", "test_ej3_entrenar",
            "test_ej4_construir_ajuste_fino", "test_ej5_entrenar_pipeline"} <= set(results["solucion"])


def test_manual_cells_count_in_the_maximum(results):
    scores = results["solucion"]
    assert MANUAL <= set(scores)
    assert all(scores[gid].max_score > 0 and scores[gid].score == 0 for gid in MANUAL)




def test_validating_on_the_test_set_reads_as_a_spanish_hint(graded):
    """errores_1 validates on the test digits: the visible test of ej3 says so in Spanish
    instead of showing only Keras's shape error."""
    cell = next(c for c in graded.notebooks["errores_1"].cells
                if c.metadata.get("nbgrader", {}).get("grade_id") == "test_ej3_entrenar")
    errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    assert errors and errors[0]["ename"] == "AssertionError", errors
    assert "nunca con el conjunto de prueba" in errors[0]["evalue"]
