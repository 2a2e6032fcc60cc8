"""Grading machinery on top of nbgrader's own APIs.

Used by the tests (grader validity), by the self-check (``make check``) and by class
grading (``make grade``). A :class:`ScratchCourse` is a throwaway nbgrader course with its
own root and gradebook that loads the repository's ``grader_config.py``, so every grader
runs with the same settings as the instructor's course.

Conventions of the course notebooks (``solutions/NN_topic/NN_topic.ipynb``):

* a solution cell has ``grade_id`` ``ejN_slug`` (``N`` = exercise number);
* its test cells have ``grade_id`` ``test_ejN_idea``; an exercise's points are the sum of
  its test cells' points, so :func:`by_exercise` groups scores by ``ejN``;
* hidden tests sit between ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS``;
* manually graded answers have ``grade_id`` ``manual_...``.
"""

from __future__ import annotations

import copy
import os
import re
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

import nbformat
from nbformat import NotebookNode

from tlcourse.paths import repo_root

NB_VERSION = 4


def _ensure_scripts_on_path() -> None:
    """nbgrader runs ``alembic`` and kernels by name: put this environment's scripts first."""
    scripts = str(Path(sys.executable).parent)
    if scripts not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = scripts + os.pathsep + os.environ.get("PATH", "")


_ensure_scripts_on_path()
EXERCISE_RE = re.compile(r"^(?:test_)?(ej\d+)")


class GradingError(RuntimeError):
    """nbgrader could not process a notebook (not a low score: a failure of the run)."""


@dataclass(frozen=True)
class Score:
    """Score of one graded cell."""

    score: float
    max_score: float

    @property
    def full(self) -> bool:
        return abs(self.score - self.max_score) < 1e-9


# --------------------------------------------------------------------------- notebooks
def source_path(assignment: str, root: Path | None = None) -> Path:
    """``solutions/<id>/<id>.ipynb``: the instructor version (nbgrader source)."""
    return (root or repo_root()) / "solutions" / assignment / f"{assignment}.ipynb"


def release_path(assignment: str, root: Path | None = None) -> Path:
    """``notebooks/<id>/<id>.ipynb``: the student version (nbgrader release)."""
    return (root or repo_root()) / "notebooks" / assignment / f"{assignment}.ipynb"


def read_notebook(path: Path) -> NotebookNode:
    return nbformat.read(str(path), as_version=NB_VERSION)


def grade_id(cell: NotebookNode) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def cells_by_id(notebook: NotebookNode) -> dict[str, NotebookNode]:
    """Map ``grade_id`` -> cell for every nbgrader cell."""
    return {gid: cell for cell in notebook.cells if (gid := grade_id(cell))}


def solution_cells(assignment: str) -> dict[str, str]:
    """Sources of the solution cells (``ejN_*``) of the instructor notebook."""
    cells = cells_by_id(read_notebook(source_path(assignment)))
    return {
        gid: cell.source
        for gid, cell in cells.items()
        if cell.metadata["nbgrader"].get("solution") and cell.cell_type == "code"
    }


def fill(notebook: NotebookNode, answers: Mapping[str, str]) -> NotebookNode:
    """A copy of ``notebook`` whose cells ``answers`` names get the given sources.

    Typical use: a submission = the student release with some or all answers filled in.
    Raises ``KeyError`` for an unknown ``grade_id`` so a test cannot silently miss a cell.
    """
    filled = copy.deepcopy(notebook)
    cells = cells_by_id(filled)
    unknown = set(answers) - set(cells)
    if unknown:
        raise KeyError(f"no cell with grade_id {sorted(unknown)}")
    for gid, source in answers.items():
        cells[gid].source = source
    return filled


def submission(assignment: str, answers: Mapping[str, str] | None = None,
               overrides: Mapping[str, str] | None = None) -> NotebookNode:
    """A student submission: the release notebook with answers filled in.

    ``answers`` defaults to the instructor's solutions; ``overrides`` replaces some of
    them (a typical mistake or an alternative correct style).
    """
    base = dict(solution_cells(assignment) if answers is None else answers)
    base.update(overrides or {})
    return fill(read_notebook(release_path(assignment)), base)


def exercise_of(gid: str) -> str | None:
    match = EXERCISE_RE.match(gid)
    return match.group(1) if match else None


def by_exercise(scores: Mapping[str, Score]) -> dict[str, Score]:
    """Add the scores of the test cells of each exercise (``ejN``)."""
    totals: dict[str, list[float]] = {}
    for gid, score in scores.items():
        key = exercise_of(gid) or gid
        got, most = totals.setdefault(key, [0.0, 0.0])
        totals[key] = [got + score.score, most + score.max_score]
    return {key: Score(*values) for key, values in totals.items()}


# --------------------------------------------------------------------------- courses
def _load_config(course_dir: Path):  # type: ignore[no-untyped-def]
    from traitlets.config.loader import PyFileConfigLoader

    return PyFileConfigLoader("nbgrader_config.py", path=str(course_dir)).load_config()


class ScratchCourse:
    """A throwaway nbgrader course: own root and gradebook, the repository's settings.

    >>> course = ScratchCourse(tmp_path, ["00_entorno"])      # doctest: +SKIP
    >>> course.submit("ana", "00_entorno", submission("00_entorno"))
    >>> course.autograde("ana", "00_entorno")
    """

    def __init__(self, workdir: Path, assignments: list[str], timeout: int | None = None,
                 extra_config: str = "") -> None:
        self.root = Path(workdir).resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        self.assignments = list(assignments)
        repo = repo_root()
        lines = [
            "c = get_config()  # noqa: F821",
            f"load_subconfig({str(repo / 'grader_config.py')!r})  # noqa: F821",
            f"c.CourseDirectory.root = {str(self.root)!r}",
            f"c.CourseDirectory.db_url = {'sqlite:///' + str(self.root / 'gradebook.db')!r}",
        ]
        if timeout is not None:
            lines.append(f"c.Execute.timeout = {int(timeout)}")
        (self.root / "nbgrader_config.py").write_text("\n".join(lines) + "\n" + extra_config)
        for assignment in self.assignments:
            target = self.root / "solutions" / assignment
            if target.exists():
                shutil.rmtree(target)
            shutil.copytree(repo / "solutions" / assignment, target,
                            ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
        self.api = self._make_api()
        for assignment in self.assignments:
            self._check(self.api.generate_assignment(assignment, force=True), "generate_assignment")

    @classmethod
    def reopen(cls, workdir: Path, assignments: list[str]) -> "ScratchCourse":
        """A course an earlier ``ScratchCourse(workdir, assignments)`` built (no regeneration)."""
        course = cls.__new__(cls)
        course.root, course.assignments = Path(workdir).resolve(), list(assignments)
        course.api = course._make_api()
        return course

    def _make_api(self):  # type: ignore[no-untyped-def]
        from nbgrader.apps import NbGraderAPI
        from nbgrader.coursedir import CourseDirectory

        config = _load_config(self.root)
        return NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)

    @staticmethod
    def _check(result: dict, what: str) -> dict:
        if not result.get("success"):
            raise GradingError(f"nbgrader {what} failed:\n{result.get('error', '')}\n{result.get('log', '')}")
        return result

    @property
    def db_url(self) -> str:
        return "sqlite:///" + str(self.root / "gradebook.db")

    def submitted_path(self, student: str, assignment: str) -> Path:
        return self.root / "submitted" / student / assignment / f"{assignment}.ipynb"

    def submit(self, student: str, assignment: str, notebook: NotebookNode | Path) -> Path:
        """Place a submission where nbgrader expects it (``submitted/<student>/<id>/``)."""
        path = self.submitted_path(student, assignment)
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(notebook, (str, Path)):
            shutil.copyfile(notebook, path)
        else:
            nbformat.write(notebook, str(path))
        (path.parent / "timestamp.txt").write_text(time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()))
        return path

    def autograde(self, student: str, assignment: str) -> dict[str, Score]:
        """Autograde one submission and return its scores by ``grade_id``."""
        self._check(self.api.autograde(assignment, student, force=True, create=True), "autograde")
        return self.scores(student, assignment)

    def scores(self, student: str, assignment: str) -> dict[str, Score]:
        from nbgrader.api import Gradebook

        with Gradebook(self.db_url) as gradebook:
            notebook = gradebook.find_submission_notebook(assignment, assignment, student)
            return {
                grade.name: Score(float(grade.score or 0.0), float(grade.max_score))
                for grade in notebook.grades
            }

    def autograded_notebook(self, student: str, assignment: str) -> NotebookNode:
        return read_notebook(self.root / "autograded" / student / assignment / f"{assignment}.ipynb")

    def release(self, assignment: str) -> NotebookNode:
        return read_notebook(self.root / "notebooks" / assignment / f"{assignment}.ipynb")


def grade(workdir: Path, assignment: str, submissions: Mapping[str, NotebookNode | Path],
          timeout: int | None = None) -> dict[str, dict[str, Score]]:
    """Autograde several submissions of one assignment in one scratch course."""
    course = ScratchCourse(workdir, [assignment], timeout=timeout)
    results = {}
    for student, notebook in submissions.items():
        course.submit(student, assignment, notebook)
        results[student] = course.autograde(student, assignment)
    return results


def corpus_mismatches(scores: Mapping[str, Score], wrong: set[str] | frozenset[str] = frozenset(),
                      ignore: str = "manual_") -> list[str]:
    """Exercises whose score breaks the corpus rule: those in ``wrong`` must score 0, every
    other autograded exercise full marks (cells whose id starts with ``ignore`` are skipped)."""
    problems = []
    for exercise, score in by_exercise(scores).items():
        if exercise.startswith(ignore):
            continue
        if exercise in wrong and score.score != 0:
            problems.append(f"{exercise} should lose its points, got {score}")
        elif exercise not in wrong and not score.full:
            problems.append(f"{exercise} should keep full marks, got {score}")
    return problems


# --------------------------------------------------------------------------- execution
def execute_notebook(path: Path, timeout: int = 600, cwd: Path | None = None) -> tuple[NotebookNode, float]:
    """Run a notebook top to bottom with nbclient; return it with outputs and the seconds taken.

    Raises ``nbclient.exceptions.CellExecutionError`` on the first failing cell.
    """
    from nbclient import NotebookClient

    notebook = read_notebook(path)
    client = NotebookClient(notebook, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(cwd or Path(path).parent)}})
    start = time.perf_counter()
    client.execute()
    return notebook, time.perf_counter() - start


def stderr_outputs(notebook: NotebookNode) -> list[tuple[int, str]]:
    """(cell index, text) of every stderr stream output."""
    found = []
    for index, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                found.append((index, output.get("text", "")))
    return found
