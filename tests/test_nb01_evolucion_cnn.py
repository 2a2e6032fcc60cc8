"""Grader validity for 01_evolucion_cnn: full marks, zero, typical mistakes, correct variants, hostile submissions."""

from __future__ import annotations

import pytest

from grader_corpus import (  # noqa: F401  (shared fixture and tests, collected here)
    graded, results, test_blank_release_scores_zero, test_each_mistake_loses_only_its_exercise,
    test_each_hostile_submission_is_reported, test_honest_submissions_are_never_flagged,
    test_solution_has_no_incident,
    test_solution_gets_full_marks, test_solution_runs_silently_within_memory_budget)

A = "01_evolucion_cnn"
pytestmark = pytest.mark.slow
MANUAL = "manual_comparables"  # graded by hand: autograde leaves it at 0 of its points

# The corpus: tests/corpus/01_evolucion_cnn/ (answer cells as files; expected scores in expected.toml).


def test_manual_question_is_part_of_the_grade(results):
    assert results["solucion"][MANUAL].max_score == 2, "the manual question is part of the grade"


