"""solutions/ is the single source; notebooks/ is exactly what nbgrader generates from it."""

from __future__ import annotations

import copy
import json
import subprocess

import nbformat
import pytest

from conftest import assignments
from tlcourse.grader import grading
from tlcourse.build import release_sync

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
    """What opening, running or validating in JupyterLab rewrites is ignored
    (``tlcourse.build.release_sync``); anything else that differs is named in the message."""
    fresh = generated.release(assignment)
    committed = grading.read_notebook(grading.release_path(assignment))
    found = release_sync.differences(committed, fresh)
    assert not found, (
        f"notebooks/{assignment} is not what `make release` generates from solutions/{assignment}:\n  "
        + "\n  ".join(found)
        + "\nIf solutions/ changed, run `make release` and commit the result; "
          "if notebooks/ was edited, restore it (`git checkout notebooks/`)."
    )


def _committed_text(path) -> str:
    """The file as git has it staged (what a commit would hold); the file itself outside git."""
    repo = grading.repo_root()
    shown = subprocess.run(["git", "-C", str(repo), "show", f":{path.relative_to(repo).as_posix()}"],
                           capture_output=True, text=True)
    return shown.stdout if shown.returncode == 0 else path.read_text()


@pytest.mark.parametrize("assignment", assignments())
def test_committed_release_has_no_outputs(assignment):
    """The sync check tolerates a student's run in the working tree; git must not hold one."""
    notebook = nbformat.reads(_committed_text(grading.release_path(assignment)), as_version=4)
    ran = [i for i, c in enumerate(notebook.cells)
           if c.cell_type == "code" and (c.outputs or c.execution_count is not None)]
    assert not ran, f"notebooks/{assignment}: cells {ran} have outputs; run `make release` and commit"


def _lab_rewrite(notebook):
    """What JupyterLab leaves in a notebook after a kernel starts and two cells run."""
    changed = copy.deepcopy(notebook)
    changed.metadata.language_info = {
        "codemirror_mode": {"name": "ipython", "version": 3}, "file_extension": ".py",
        "mimetype": "text/x-python", "name": "python", "nbconvert_exporter": "python",
        "pygments_lexer": "ipython3", "version": "3.11.7"}
    code = [c for c in changed.cells if c.cell_type == "code"][:2]
    for count, cell in enumerate(code, start=1):
        cell.execution_count = count
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="hola\n")]
        cell.metadata.execution = {"iopub.status.busy": "2026-11-30T02:00:00.000Z"}
        cell.metadata.scrolled = True
    return changed


def test_sync_check_ignores_what_jupyterlab_rewrites():
    release = grading.read_notebook(grading.release_path(assignments()[0]))
    changed = _lab_rewrite(release)
    assert json.dumps(changed, sort_keys=True) != json.dumps(release, sort_keys=True)
    assert release_sync.differences(changed, release) == []


def test_sync_check_names_the_cell_and_the_metadata_key_that_differ():
    release = grading.read_notebook(grading.release_path(assignments()[0]))
    changed = _lab_rewrite(release)
    index, cell = next((i, c) for i, c in enumerate(changed.cells) if grading.grade_id(c))
    cell.source += "\n# editado a mano"
    changed.metadata.kernelspec.name = "otro"
    changed.metadata.language_info.name = "julia"
    found = release_sync.differences(changed, release)
    assert len(found) == 3, found
    assert any(line.startswith(f"cell {index} (") and grading.grade_id(cell) in line
               and "source line" in line and "# editado a mano" in line for line in found), found
    assert any(line.startswith("metadata.kernelspec.name: committed 'otro'") for line in found), found
    assert any(line.startswith("metadata.language_info.name") for line in found), found
    del changed.cells[-1]
    assert any(line.startswith("number of cells: committed") for line in release_sync.differences(changed, release))


@pytest.mark.parametrize("assignment", assignments())
def test_release_hides_solutions_and_hidden_tests(assignment):
    text = grading.release_path(assignment).read_text()
    for marker in ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
        assert marker not in text
    assert "raise NotImplementedError()" in text
