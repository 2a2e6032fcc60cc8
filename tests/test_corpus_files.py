"""The grader-validity corpora on disk (tests/corpus/): well-formed before anything is graded."""

from __future__ import annotations

import ast

import pytest

import corpus_files
from conftest import assignments
from tlcourse.grader import grading


def _autograded_points(assignment: str) -> dict[str, float]:
    cells = grading.read_notebook(grading.source_path(assignment)).cells
    meta = [c.metadata.get("nbgrader", {}) for c in cells]
    return {m["grade_id"]: float(m.get("points", 0)) for m in meta if m.get("grade") and not m.get("solution")}


def _answer_cells(assignment: str) -> set[str]:
    cells = grading.read_notebook(grading.source_path(assignment)).cells
    return {m["grade_id"] for m in (c.metadata.get("nbgrader", {}) for c in cells)
            if m.get("solution") and not m.get("grade")}


@pytest.mark.parametrize("assignment", assignments())
def test_each_corpus_is_consistent_with_its_notebook(assignment):
    corpus = corpus_files.load(assignment)
    points = _autograded_points(assignment)
    exercises = {grading.exercise_of(gid) for gid in points}
    assert corpus["solucion"].overrides == {} and corpus["solucion"].score == sum(points.values())
    for name, entry in corpus.items():
        assert set(entry.overrides) <= _answer_cells(assignment), f"{name}: not an answer cell"
        assert entry.loses <= exercises, f"{name}: loses an exercise the notebook does not have"
        lost = sum(p for gid, p in points.items() if grading.exercise_of(gid) in entry.loses)
        assert entry.score == sum(points.values()) - lost, f"{name}: score and loses disagree"
        for cell, source in entry.overrides.items():
            ast.parse(source, filename=f"{assignment}/{name}/{cell}.py")


def test_notes_are_not_part_of_the_cell(tmp_path):
    folder = tmp_path / "00_x" / "errores"
    folder.mkdir(parents=True)
    (folder / "ej1_a.py").write_text("#: what this mistake is\n# a comment of the student\nx = 1\n")
    (tmp_path / "00_x" / "expected.toml").write_text('[errores]\nscore = 0\nloses = ["ej1"]\n')
    entry = corpus_files.load("00_x", tmp_path)["errores"]
    assert entry.overrides == {"ej1_a": "# a comment of the student\nx = 1\n"} and entry.loses == {"ej1"}


def test_a_folder_missing_from_expected_toml_is_refused(tmp_path):
    (tmp_path / "00_x" / "olvidada").mkdir(parents=True)
    (tmp_path / "00_x" / "expected.toml").write_text("[solucion]\nscore = 5\n")
    with pytest.raises(ValueError, match="olvidada"):
        corpus_files.load("00_x", tmp_path)


@pytest.mark.parametrize("assignment", assignments())
def test_every_hostile_entry_is_built_by_hostile_py(assignment):
    """``flagged = true`` entries and tests/hostile.py's tricks name the same submissions, and
    each trick changes its base notebook (a trick that changed nothing would test nothing)."""
    import hostile

    corpus = corpus_files.load(assignment)
    flagged = {name for name, entry in corpus.items() if entry.flagged}
    assert flagged == set(hostile.TRICKS.get(assignment, {})), "expected.toml and tests/hostile.py disagree"
    for name, notebook in hostile.submissions(assignment).items():
        trick = hostile.TRICKS[assignment][name]
        base = (grading.read_notebook(grading.release_path(assignment)) if trick.base == hostile.BLANK
                else grading.submission(assignment, overrides=corpus[trick.base].overrides))
        assert notebook != base, f"{name} is its base notebook unchanged"
