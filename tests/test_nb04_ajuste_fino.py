"""Grader validity for 04_ajuste_fino: full marks, zero, typical mistakes, correct variants, hostile submissions.

Mistakes that change the fine-tuning pipeline are spread over submissions so that none
of them combines into a different failure (e.g. every layer unfrozen *and* BatchNorm in
training mode): each submission checks that a mistake costs only its own exercise.
"""

from __future__ import annotations

import json

import pytest

from grader_corpus import (  # noqa: F401  (shared fixture and tests, collected here)
    graded, results, test_blank_release_scores_zero, test_each_mistake_loses_only_its_exercise,
    test_each_hostile_submission_is_reported, test_honest_submissions_are_never_flagged,
    test_solution_has_no_incident,
    test_solution_gets_full_marks, test_solution_runs_silently_within_memory_budget)

A = "04_ajuste_fino"

# The corpus: tests/corpus/04_ajuste_fino/ (answer cells as files; expected scores in expected.toml).


# ------------------------------------------------------------------ shipped learning curves
def test_shipped_curves_are_complete():
    from tlcourse import curves

    table = curves.learning_curves()
    assert set(table["method"]) == set(curves.METHODS)
    assert sorted(set(table["k"])) == list(curves.KS)
    assert table["accuracy"].between(0, 1).all()


def test_shipped_curves_match_the_committed_backbone():
    from tlcourse import curves

    provenance = json.loads(curves.provenance_path().read_text())
    assert provenance["command"] == "python -m tlcourse results"
    assert provenance["backbone_sha256"] == curves.backbone_sha256(), (
        "data/results/ was computed with another backbone: run "
        "`python -m tlcourse results` and commit the result")
