"""Grader validity for 05_tensorflow_hub: full marks, zero, typical mistakes, correct variants, hostile submissions."""

from __future__ import annotations

import pytest

from grader_corpus import (  # noqa: F401  (shared fixture and tests, collected here)
    graded, results, test_blank_release_scores_zero, test_each_mistake_loses_only_its_exercise,
    test_each_hostile_submission_is_reported, test_honest_submissions_are_never_flagged,
    test_solution_has_no_incident,
    test_solution_gets_full_marks, test_solution_runs_silently_within_memory_budget)

A = "05_tensorflow_hub"
pytestmark = pytest.mark.slow

_ESTA_EN_CACHE = (
    "def esta_en_cache(handle):\n"
    "    return (carpeta_cache(handle) / 'saved_model.pb').is_file()\n"
)

# The corpus: tests/corpus/05_tensorflow_hub/ (answer cells as files; expected scores in expected.toml).


