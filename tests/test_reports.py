"""Class reports: manual answers that no grader has scored yet are pending, not 0 %.

The gradebook is built with nbgrader's own API in the state autograding leaves a
submission with written answers (``tests/test_nb06_proyecto.py`` checks that state on a
real autograde of 06_proyecto: ``auto_score`` None and ``needs_manual_grade`` on the
``manual_*`` cells); a grader then scores some of them, as formgrader does.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from tlcourse.grader import reports

A = "06_proyecto"
STUDENTS = ["ana", "beto", "carla"]
TESTS = {"test_ej1_forma": 2.0, "test_ej1_valores": 1.0}
MANUAL = {"manual_eleccion": 3.0, "manual_cambio_dominio": 2.0}


@pytest.fixture()
def gradebook(tmp_path):
    """Autograded for everyone; ``manual_cambio_dominio`` scored for beto only (1.0 of 2);
    ``manual_eleccion`` scored for nobody yet."""
    from nbgrader.api import Gradebook

    url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    with Gradebook(url) as gb:
        gb.add_assignment(A)
        gb.add_notebook(A, A)
        for name, points in TESTS.items():
            gb.add_grade_cell(name, A, A, max_score=points, cell_type="code")
        for name, points in MANUAL.items():
            gb.add_grade_cell(name, A, A, max_score=points, cell_type="markdown")
            gb.add_solution_cell(name, A, A)
        for number, student in enumerate(STUDENTS):
            gb.add_student(student)
            gb.add_submission(A, student)
            for name, points in TESTS.items():  # ana full marks, beto half, carla none
                grade = gb.find_grade(name, A, A, student)
                grade.auto_score, grade.needs_manual_grade = points * (1 - number / 2), False
            for name in MANUAL:
                grade = gb.find_grade(name, A, A, student)
                grade.auto_score, grade.needs_manual_grade = None, True
        grade = gb.find_grade("manual_cambio_dominio", A, A, "beto")
        grade.manual_score, grade.needs_manual_grade = 1.0, False
        gb.db.commit()
    return url


def _rows(summary: pd.DataFrame) -> dict[str, dict]:
    return {row["exercise"]: row for row in summary.to_dict("records")}


def test_summary_counts_ungraded_answers_as_pending(gradebook):
    scores = reports.long_scores(gradebook, [A])
    rows = _rows(reports.exercise_summary(scores, [A]))
    nobody = rows["manual_eleccion"]
    assert (nobody["students"], nobody["graded"], nobody["pending"]) == (3, 0, 3)
    assert math.isnan(nobody["mean_pct"]) and math.isnan(nobody["zero_pct"])
    one = rows["manual_cambio_dominio"]
    assert (one["graded"], one["pending"]) == (1, 2)
    assert one["mean_pct"] == pytest.approx(50.0) and one["zero_pct"] == 0
    auto = rows["ej1"]  # autograded exercises are unchanged: every student counts
    assert (auto["graded"], auto["pending"]) == (3, 0)
    assert auto["mean_pct"] == pytest.approx(50.0) and auto["zero_pct"] == pytest.approx(100 / 3, abs=0.01)


def test_plot_shows_pending_answers_as_pending_not_zero(gradebook, tmp_path):
    import matplotlib.pyplot as plt

    summary = reports.exercise_summary(reports.long_scores(gradebook, [A]), [A])
    fig = reports.summary_figure(summary)
    try:
        ax = fig.axes[0]
        labels = [t.get_text() for t in ax.get_yticklabels()]
        texts = {round(t.get_position()[1]): t.get_text() for t in ax.texts}
        bars = {round(p.get_y() + p.get_height() / 2): p for p in ax.patches}
    finally:
        plt.close(fig)
    row = {label.split()[-1]: index for index, label in enumerate(labels)}
    nobody, one, auto = row["manual_eleccion"], row["manual_cambio_dominio"], row["ej1"]
    assert "pending" in texts[nobody] and "%" not in texts[nobody], texts[nobody]
    assert bars[nobody].get_hatch() and bars[nobody].get_facecolor()[3] == 0, "a hollow hatched bar"
    assert texts[one].startswith("50%") and "2 pending" in texts[one], texts[one]
    assert texts[auto].startswith("50%") and "pending" not in texts[auto], texts[auto]
    assert reports.plot_summary(summary, tmp_path / "exercises.png").stat().st_size > 5000


def test_exercises_csv_has_the_pending_counts(gradebook, tmp_path):
    paths = reports.write_all(tmp_path / "reports", gradebook, [A], [])
    table = pd.read_csv(paths["exercises"])
    assert {"graded", "pending"} <= set(table.columns)
    assert table.set_index("exercise").loc["manual_eleccion", "pending"] == 3
