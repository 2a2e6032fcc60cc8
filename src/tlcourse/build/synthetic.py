"""Synthetic student submissions for benchmarks and grading tests.

A synthetic student's notebook is the release notebook with each answer cell either the
instructor's solution or left as the release stub, chosen by a seeded coin, so a class
has a realistic spread of grades and each notebook executes like a real submission.
:func:`misbehaving` puts a runaway line on top of one answer cell: an endless loop, a
memory hog or a kernel killer.
"""

from __future__ import annotations

import random
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from tlcourse.grader import grading

#: Code put on top of an answer cell by :func:`misbehaving`.
MISBEHAVIOUR = {
    "loop": "while True:  # un bucle infinito\n    pass\n",
    "memory": "lastre = [bytearray(10**8) for _ in range(1000)]  # pide 100 GB\n",
    "kill": "import os\nos.kill(os.getpid(), 9)  # mata el kernel\n",
    "exit": "import os\nos._exit(1)  # termina el kernel\n",
}


def answer_cells(assignment: str) -> dict[str, str]:
    """grade_id -> release source of every answer (solution, non-grade) code cell."""
    release = grading.cells_by_id(grading.read_notebook(grading.release_path(assignment)))
    return {gid: release[gid].source for gid in grading.solution_cells(assignment) if gid in release}


def exercises(assignment: str) -> list[str]:
    """The autograded exercises (``ejN``) of an assignment, in notebook order."""
    found: list[str] = []
    for gid in grading.solution_cells(assignment):
        exercise = grading.exercise_of(gid)
        if exercise and exercise not in found:
            found.append(exercise)
    return found


def student_submission(assignment: str, seed: int, p_blank: float = 0.25) -> NotebookNode:
    """A seeded mix of solved and unanswered (stub) exercises."""
    rng = random.Random(f"{assignment}:{seed}")
    stubs = answer_cells(assignment)
    skipped = {e for e in exercises(assignment) if rng.random() < p_blank}
    blanks = {gid: source for gid, source in stubs.items() if grading.exercise_of(gid) in skipped}
    return grading.submission(assignment, overrides=blanks)


def misbehaving(assignment: str, kind: str, exercise: str | None = None) -> tuple[NotebookNode, str]:
    """The solution with ``MISBEHAVIOUR[kind]`` on top of one exercise's first answer cell.

    ``exercise`` defaults to the last one (nothing after it builds on it). Returns the
    notebook and the exercise that should lose its points.
    """
    exercise = exercise or exercises(assignment)[-1]
    solutions = grading.solution_cells(assignment)
    gid = next(g for g in solutions if grading.exercise_of(g) == exercise)
    return grading.submission(assignment, overrides={gid: MISBEHAVIOUR[kind] + solutions[gid]}), exercise


def write_class(folder: Path, assignments: list[str], students: int,
                bad: dict[str, tuple[str, str, str | None]] | None = None) -> dict[str, dict[str, str]]:
    """Write ``students`` synthetic students per assignment in nbgrader's submitted layout.

    ``bad`` maps a student name to (assignment, kind, exercise) of a misbehaving notebook.
    Returns, per bad student, {assignment: exercise expected to lose its points}.
    """
    affected: dict[str, dict[str, str]] = {}
    bad = bad or {}
    for number in range(students):
        student = f"alumno{number:02d}"
        for assignment in assignments:
            notebook = student_submission(assignment, number)
            write_submission(folder, student, assignment, notebook)
    for student, (assignment, kind, exercise) in bad.items():
        notebook, lost = misbehaving(assignment, kind, exercise)
        write_submission(folder, student, assignment, notebook)
        affected.setdefault(student, {})[assignment] = lost
    return affected


def write_submission(folder: Path, student: str, assignment: str, notebook: NotebookNode) -> None:
    """``notebook`` as ``student``'s submission of ``assignment`` (nbgrader's submitted layout)."""
    path = folder / student / assignment / f"{assignment}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, str(path))
