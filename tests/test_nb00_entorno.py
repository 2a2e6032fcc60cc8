"""Grader validity for 00_entorno: full marks, zero, typical mistakes, correct variants, hostile submissions."""

from __future__ import annotations

import pytest

from grader_corpus import (  # noqa: F401  (shared fixture and tests, collected here)
    graded, results, test_blank_release_scores_zero, test_each_mistake_loses_only_its_exercise,
    test_each_hostile_submission_is_reported, test_honest_submissions_are_never_flagged,
    test_solution_has_no_incident,
    test_solution_gets_full_marks, test_solution_runs_silently_within_memory_budget)

A = "00_entorno"
pytestmark = pytest.mark.slow

# The corpus: tests/corpus/00_entorno/ (answer cells as files; expected scores in expected.toml).


