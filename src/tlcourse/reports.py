"""Grade reports of a class, read from the gradebook through nbgrader's API.

* ``grades.csv``: one row per (student, assignment): score, max_score,
  needs_manual_grade and one column per exercise (``ej1``, ``ej2``, ... and ``manual_*``
  cells; empty where an assignment has no such exercise).
* ``exercises.csv``: per (assignment, exercise): students, mean score, mean % of the
  points, % with full marks and % with zero: where the class struggled.
* ``exercises.png``: the mean % per exercise as bars, lowest first within each assignment.
* ``incidents.csv``: contained incidents (timeouts, dead kernels, memory, failures).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterable

import pandas as pd

from .grading import exercise_of

GRADE_COLUMNS = ["student", "assignment", "score", "max_score", "needs_manual_grade"]


def long_scores(db_url: str, assignments: Iterable[str]) -> pd.DataFrame:
    """student, assignment, exercise, score, max_score: one row per exercise per submission."""
    from nbgrader.api import Gradebook

    rows = []
    with Gradebook(db_url) as gb:
        for assignment in assignments:
            for submission in gb.assignment_submissions(assignment):
                for notebook in submission.notebooks:
                    for grade in notebook.grades:
                        rows.append({
                            "student": submission.student.id, "assignment": assignment,
                            "exercise": exercise_of(grade.name) or grade.name,
                            "score": float(grade.score or 0.0), "max_score": float(grade.max_score),
                            "needs_manual_grade": bool(grade.needs_manual_grade),
                        })
    columns = ["student", "assignment", "exercise", "score", "max_score", "needs_manual_grade"]
    frame = pd.DataFrame(rows, columns=columns)
    return frame.groupby(["student", "assignment", "exercise"], as_index=False).agg(
        score=("score", "sum"), max_score=("max_score", "sum"), needs_manual_grade=("needs_manual_grade", "any"))


def _exercise_key(name: str) -> tuple[int, int, str]:
    match = re.fullmatch(r"ej(\d+)", name)
    return (0, int(match.group(1)), "") if match else (1, 0, name)


def grade_table(scores: pd.DataFrame) -> pd.DataFrame:
    """The wide ``grades.csv`` table from :func:`long_scores`."""
    if scores.empty:
        return pd.DataFrame(columns=GRADE_COLUMNS)
    totals = scores.groupby(["student", "assignment"], as_index=False).agg(
        score=("score", "sum"), max_score=("max_score", "sum"), needs_manual_grade=("needs_manual_grade", "any"))
    wide = scores.pivot(index=["student", "assignment"], columns="exercise", values="score")
    wide = wide[sorted(wide.columns, key=_exercise_key)].reset_index()
    wide.columns.name = None
    table = totals.merge(wide, on=["student", "assignment"])
    return table.sort_values(["student", "assignment"]).reset_index(drop=True).round(4)


def exercise_summary(scores: pd.DataFrame, order: list[str]) -> pd.DataFrame:
    """Per (assignment, exercise): how the class did."""
    if scores.empty:
        return pd.DataFrame(columns=["assignment", "exercise", "max_score", "students", "mean_score",
                                     "mean_pct", "full_pct", "zero_pct"])
    frame = scores.assign(pct=100 * scores.score / scores.max_score.where(scores.max_score > 0),
                          full=scores.score >= scores.max_score - 1e-9, zero=scores.score <= 1e-9)
    summary = frame.groupby(["assignment", "exercise"], as_index=False).agg(
        max_score=("max_score", "max"), students=("student", "nunique"), mean_score=("score", "mean"),
        mean_pct=("pct", "mean"), full_pct=("full", "mean"), zero_pct=("zero", "mean"))
    summary[["full_pct", "zero_pct"]] *= 100
    summary["_a"] = summary.assignment.map({a: i for i, a in enumerate(order)})
    summary["_e"] = summary.exercise.map(_exercise_key)
    summary = summary.sort_values(["_a", "_e"]).drop(columns=["_a", "_e"])
    return summary.reset_index(drop=True).round(2)


def plot_summary(summary: pd.DataFrame, path: Path) -> Path:
    """Bar chart of the class's mean % per exercise (red below 50 %, amber below 75 %)."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    labels = [f"{a[:2]} {e}" for a, e in zip(summary.assignment, summary.exercise)]
    values = summary.mean_pct.fillna(0).to_numpy()
    colours = ["#c0392b" if v < 50 else "#e6a23c" if v < 75 else "#2e86c1" for v in values]
    fig, ax = plt.subplots(figsize=(8, 0.32 * max(len(labels), 4) + 1.2))
    ax.barh(range(len(labels)), values, color=colours)
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    for row, (value, zero) in enumerate(zip(values, summary.zero_pct.fillna(0))):
        ax.text(min(value, 99) + 1, row, f"{value:.0f}%  ({zero:.0f}% scored 0)", va="center", fontsize=7)
    ax.invert_yaxis()
    ax.set_xlim(0, 125)
    ax.set_xticks(range(0, 101, 20))
    ax.axvline(75, color="grey", lw=0.8, ls="--")
    ax.set_xlabel("mean score (% of the exercise's points)")
    students = int(summary.students.max()) if len(summary) else 0
    ax.set_title(f"Where the class struggled ({students} students)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def incident_table(results: Iterable[Any]) -> pd.DataFrame:
    rows = [{"student": r.student, "assignment": r.assignment, "cell": cell, "kind": kind, "message": message}
            for r in results for cell, kind, message in r.incidents]
    return pd.DataFrame(rows, columns=["student", "assignment", "cell", "kind", "message"])


def write_all(folder: Path, db_url: str, assignments: list[str], results: Iterable[Any]) -> dict[str, Path]:
    """Write every report of a grading run; returns their paths by name."""
    folder.mkdir(parents=True, exist_ok=True)
    scores = long_scores(db_url, assignments)
    paths = {name: folder / f"{name}.csv" for name in ("grades", "exercises", "incidents")}
    grade_table(scores).to_csv(paths["grades"], index=False)
    summary = exercise_summary(scores, assignments)
    summary.to_csv(paths["exercises"], index=False)
    incident_table(results).to_csv(paths["incidents"], index=False)
    paths["plot"] = plot_summary(summary, folder / "exercises.png")
    return paths
