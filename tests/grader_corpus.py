"""The checks every notebook's grader-validity corpus passes.

A corpus test module defines ``A`` (the assignment), ``CORPUS`` (submission name ->
``{grade_id: replacement source}``, with ``"solucion"`` empty) and ``WRONG`` (submission
name -> the exercises it must lose), then imports the fixture and tests below.
``conftest.pytest_generate_tests`` parametrizes ``corpus_entry`` over the module's CORPUS.
Cells whose id starts with ``manual_`` are graded by hand and skipped here.
"""

from __future__ import annotations

import pytest

from tlcourse import grading


@pytest.fixture(scope="module")
def results(request, tmp_path_factory):
    """Every corpus submission and the blank release, autograded in one scratch course."""
    module = request.module
    return grading.grade_corpus(tmp_path_factory.mktemp(module.A), module.A, module.CORPUS)


@pytest.mark.slow
def test_solution_gets_full_marks(results):
    scores = {gid: s for gid, s in results["solucion"].items() if not gid.startswith("manual_")}
    assert scores and all(s.full for s in scores.values()), scores


@pytest.mark.slow
def test_blank_release_scores_zero(results):
    assert sum(s.score for s in results["en_blanco"].values()) == 0


@pytest.mark.slow
def test_each_mistake_loses_only_its_exercise(results, corpus_entry, request):
    problems = grading.corpus_mismatches(results[corpus_entry], request.module.WRONG.get(corpus_entry, set()))
    assert not problems, f"{corpus_entry}: {problems}"
