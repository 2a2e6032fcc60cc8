"""solutions/ is the single source; notebooks/ is exactly what nbgrader generates from it."""

from __future__ import annotations

import json

import nbformat
import pytest

from conftest import assignments
from tlcourse import grading

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


@pytest.mark.parametrize("assignment", assignments())
def test_source_is_clean(assignment):
    notebook = grading.read_notebook(grading.source_path(assignment))
    nbformat.validate(notebook)
    assert notebook.metadata.kernelspec == KERNELSPEC
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, "outputs must be stripped"
    ids = [grading.grade_id(c) for c in notebook.cells if grading.grade_id(c)]
    assert len(ids) == len(set(ids)), "grade_ids must be unique"
    assert any(i.startswith("test_") for i in ids), "a graded notebook has test cells"
    first_code = next(c for c in notebook.cells if c.cell_type == "code")
    assert first_code.source.lstrip().startswith("import tlcourse"), "first code cell imports tlcourse"


@pytest.mark.parametrize("assignment", assignments())
def test_solution_and_test_cells_follow_the_naming_convention(assignment):
    notebook = grading.read_notebook(grading.source_path(assignment))
    for cell in notebook.cells:
        meta = cell.metadata.get("nbgrader", {})
        gid = meta.get("grade_id")
        if not gid:
            continue
        if meta.get("grade") and not meta.get("solution"):
            assert gid.startswith("test_ej") and meta.get("locked"), gid
            assert meta.get("points", 0) > 0, gid
        elif meta.get("solution") and cell.cell_type == "code":
            assert grading.exercise_of(gid), gid
        elif meta.get("solution"):
            assert gid.startswith("manual_"), gid


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    course = grading.ScratchCourse(tmp_path_factory.mktemp("release"), assignments())
    return course


@pytest.mark.parametrize("assignment", assignments())
def test_release_is_in_sync_with_solutions(generated, assignment):
    fresh = generated.release(assignment)
    committed = grading.read_notebook(grading.release_path(assignment))
    assert json.dumps(committed, sort_keys=True) == json.dumps(fresh, sort_keys=True), (
        f"notebooks/{assignment} is stale: run `make release` and commit the result"
    )


@pytest.mark.parametrize("assignment", assignments())
def test_release_hides_solutions_and_hidden_tests(assignment):
    text = grading.release_path(assignment).read_text()
    for marker in ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
        assert marker not in text
    assert "raise NotImplementedError()" in text
