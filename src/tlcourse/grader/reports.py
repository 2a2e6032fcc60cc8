"""Grade reports of a class, read from the gradebook through nbgrader's API.

* ``grades.csv``: one row per (student, assignment): score, max_score,
  needs_manual_grade and one column per exercise (``ej1``, ``ej2``, ... and ``manual_*``
  cells; empty where an assignment has no such exercise).
* ``exercises.csv``: per (assignment, exercise): students, graded and pending (manual
  answers not scored yet), mean score, mean % of the points, % with full marks and % with
  zero, over the graded answers: where the class struggled.
* ``exercises.png``: the mean % per exercise as bars; exercises not graded yet are pending.
* ``incidents.csv``: contained incidents (timeouts, dead kernels, memory, failures).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterable

import pandas as pd

from tlcourse.grader.grading import exercise_of

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


SUMMARY_COLUMNS = ["assignment", "exercise", "max_score", "students", "graded", "pending", "mean_score",
                   "mean_pct", "full_pct", "zero_pct"]


def exercise_summary(scores: pd.DataFrame, order: list[str]) -> pd.DataFrame:
    """Per (assignment, exercise): how the class did.

    A manually graded answer that no grader has scored yet (``needs_manual_grade``) is
    *pending*: it is counted in ``pending`` and left out of the means and percentages, which
    are over the ``graded`` students only (NaN when nobody is graded yet), so it never shows
    as a 0.
    """
    if scores.empty:
        return pd.DataFrame(columns=SUMMARY_COLUMNS)
    graded = ~scores.needs_manual_grade.astype(bool)
    frame = scores.assign(
        graded=graded, pending=~graded,
        score=scores.score.where(graded),
        pct=(100 * scores.score / scores.max_score.where(scores.max_score > 0)).where(graded),
        full=(scores.score >= scores.max_score - 1e-9).astype(float).where(graded),
        zero=(scores.score <= 1e-9).astype(float).where(graded))
    summary = frame.groupby(["assignment", "exercise"], as_index=False).agg(
        max_score=("max_score", "max"), students=("student", "nunique"), graded=("graded", "sum"),
        pending=("pending", "sum"), mean_score=("score", "mean"), mean_pct=("pct", "mean"),
        full_pct=("full", "mean"), zero_pct=("zero", "mean"))
    summary[["full_pct", "zero_pct"]] *= 100
    summary[["graded", "pending"]] = summary[["graded", "pending"]].astype(int)
    summary["_a"] = summary.assignment.map({a: i for i, a in enumerate(order)})
    summary["_e"] = summary.exercise.map(_exercise_key)
    summary = summary.sort_values(["_a", "_e"]).drop(columns=["_a", "_e"])
    return summary[SUMMARY_COLUMNS].reset_index(drop=True).round(2)


PENDING_COLOUR = "#bdc3c7"


def summary_figure(summary: pd.DataFrame):  # type: ignore[no-untyped-def]
    """The figure of :func:`plot_summary`: mean % per exercise (red below 50 %, amber below
    75 %); an exercise that nobody has graded yet is a grey hatched bar marked *pending*."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    labels = [f"{a[:2]} {e}" for a, e in zip(summary.assignment, summary.exercise)]
    fig, ax = plt.subplots(figsize=(8, 0.32 * max(len(labels), 4) + 1.2))
    for row, item in enumerate(summary.itertuples(index=False)):
        pending = int(getattr(item, "pending", 0) or 0)
        if pd.isna(item.mean_pct):  # nobody graded yet: no percentage to show
            ax.barh(row, 100, color="none", edgecolor=PENDING_COLOUR, hatch="///")
            ax.text(1, row, f"pending: {pending} not graded yet", va="center", fontsize=7)
            continue
        value = float(item.mean_pct)
        colour = "#c0392b" if value < 50 else "#e6a23c" if value < 75 else "#2e86c1"
        ax.barh(row, value, color=colour)
        label = f"{value:.0f}%  ({float(item.zero_pct):.0f}% scored 0)"
        if pending:
            label += f"  + {pending} pending"
        ax.text(min(value, 99) + 1, row, label, va="center", fontsize=7)
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    ax.set_ylim(len(labels) - 0.5, -0.5)  # first exercise on top
    ax.set_xlim(0, 125)
    ax.set_xticks(range(0, 101, 20))
    ax.axvline(75, color="grey", lw=0.8, ls="--")
    ax.set_xlabel("mean score (% of the exercise's points, graded answers only)")
    students = int(summary.students.max()) if len(summary) else 0
    ax.set_title(f"Where the class struggled ({students} students)")
    fig.tight_layout()
    return fig


def plot_summary(summary: pd.DataFrame, path: Path) -> Path:
    """Save :func:`summary_figure` as a PNG."""
    import matplotlib.pyplot as plt

    fig = summary_figure(summary)
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
