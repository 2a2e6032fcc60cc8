"""The checks every notebook's grader-validity corpus passes.

A corpus test module defines ``A`` (the assignment) and imports the fixture and tests
below; the corpus itself is files, ``tests/corpus/<A>/`` (tests/corpus_files.py): answer
cells per submission, and ``expected.toml`` with the score each must get and the exercises
it must lose. ``conftest.pytest_generate_tests`` parametrizes ``corpus_entry`` over it.
Cells whose id starts with ``manual_`` are graded by hand and skipped here; a module's
``WRITTEN_ANSWERS`` (grade id -> text) fill them in the solution's submission.

The solution's autograde doubles as the notebook's run check: every cell silent on stderr,
peak kernel memory within budget (no wall-clock check: speed goals live in ``make bench``).

The notebook's hostile submissions (``flagged = true`` in expected.toml, built by
tests/hostile.py) are graded in the same scratch course, first: each must earn what
expected.toml says (nothing it did not honestly solve) and be reported as ``manipulacion``;
every honest submission graded after them (the solution, mistakes, variants, the blank
release) is never flagged, and the solution has no incident at all. ``hostile_entry``
(conftest.pytest_generate_tests) is parametrized over the hostile entries only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from nbformat import NotebookNode

import corpus_files
import hostile
from tlcourse.build import bench
from tlcourse.grader import grading
from tlcourse.grader.classgrade import incidents_in

SOLUTION, BLANK = "solucion", "en_blanco"


@dataclass
class CorpusRun:
    """Scores, autograded notebooks and peak kernel memory of every corpus submission."""

    course: grading.ScratchCourse | None = None
    scores: dict[str, dict[str, grading.Score]] = field(default_factory=dict)
    notebooks: dict[str, NotebookNode] = field(default_factory=dict)
    peak_mb: dict[str, float] = field(default_factory=dict)
    incidents: dict[str, list[tuple[str, str, str]]] = field(default_factory=dict)


@pytest.fixture(scope="module")
def graded(request, tmp_path_factory) -> CorpusRun:
    """Every corpus submission and the blank release, autograded in one scratch course:
    the hostile submissions first, so that every honest one is graded after them."""
    module = request.module
    course = grading.ScratchCourse(tmp_path_factory.mktemp(module.A), [module.A])
    corpus = corpus_files.load(module.A)
    tricks = hostile.submissions(module.A)
    submissions = {name: tricks[name] for name, entry in corpus.items() if entry.flagged}
    submissions.update({name: grading.submission(module.A, overrides=entry.overrides)
                        for name, entry in corpus.items() if not entry.flagged})
    # Written answers a person grades later (``manual_*``), if the module has any.
    submissions[SOLUTION] = grading.fill(submissions[SOLUTION], getattr(module, "WRITTEN_ANSWERS", {}))
    submissions[BLANK] = grading.read_notebook(grading.release_path(module.A))
    run = CorpusRun(course)
    for name, notebook in submissions.items():
        course.submit(name, module.A, notebook)
        with bench.PeakRSS() as peak:
            run.scores[name] = course.autograde(name, module.A)
        run.peak_mb[name] = peak.peak_mb
        run.notebooks[name] = course.autograded_notebook(name, module.A)
        run.incidents[name] = incidents_in(course.root / "autograded" / name / module.A / f"{module.A}.ipynb")
    return run


@pytest.fixture(scope="module")
def results(graded) -> dict[str, dict[str, grading.Score]]:
    return graded.scores


@pytest.mark.slow
def test_solution_gets_full_marks(results):
    scores = {gid: s for gid, s in results[SOLUTION].items() if not gid.startswith("manual_")}
    assert scores and all(s.full for s in scores.values()), scores


@pytest.mark.slow
def test_solution_runs_silently_within_memory_budget(graded):
    assert grading.stderr_outputs(graded.notebooks[SOLUTION]) == [], "no cell may write to stderr"
    budget = bench.BUDGETS["kernel_memory_mb"]
    assert graded.peak_mb[SOLUTION] <= budget, f"peak kernel memory {graded.peak_mb[SOLUTION]:.0f} MB > {budget} MB"


@pytest.mark.slow
def test_solution_has_no_incident(graded):
    """Graded after every hostile submission: nothing they did reaches it."""
    assert graded.incidents[SOLUTION] == []


@pytest.mark.slow
def test_honest_submissions_are_never_flagged(graded, request):
    """Mistakes, variants, the solution and the blank release: no `manipulacion` incident."""
    corpus = corpus_files.load(request.module.A)
    honest = [name for name in graded.incidents if name == BLANK or not corpus[name].flagged]
    assert SOLUTION in honest and BLANK in honest
    for name in honest:
        flagged = [i for i in graded.incidents[name] if i[1] == "manipulacion"]
        assert not flagged, f"{name} was flagged: {flagged}"


@pytest.mark.slow
def test_each_hostile_submission_is_reported(graded, hostile_entry):
    """Its score is checked with every entry's (expected.toml); here: reported as `manipulacion`."""
    assert hostile.flagged(graded.incidents[hostile_entry]), graded.incidents[hostile_entry]


@pytest.mark.slow
def test_blank_release_scores_zero(results):
    assert sum(s.score for s in results[BLANK].values()) == 0


@pytest.mark.slow
def test_each_mistake_loses_only_its_exercise(results, corpus_entry, request):
    """Exercise by exercise (``loses`` in expected.toml), and the total (``score``); for a
    hostile submission, what it honestly solved and nothing more."""
    expected = corpus_files.load(request.module.A)[corpus_entry]
    assert results[corpus_entry] and set(results[corpus_entry]) == set(results[SOLUTION]), \
        f"{corpus_entry}: not every graded cell has a grade"
    problems = grading.corpus_mismatches(results[corpus_entry], expected.loses)
    assert not problems, f"{corpus_entry}: {problems}"
    autograded = sum(s.score for gid, s in results[corpus_entry].items() if not gid.startswith("manual_"))
    assert autograded == expected.score, f"{corpus_entry}: {autograded} points, expected.toml says {expected.score}"
