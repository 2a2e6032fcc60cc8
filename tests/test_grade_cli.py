"""``python -m tlcourse grade`` (``make grade``) on a folder with nothing to grade: a clear
error, a non-zero exit, and the results of an earlier run in ``--out`` left as they were."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_notebook

from tlcourse import cli

A = "00_entorno"


def _earlier_run(out: Path) -> dict[str, bytes]:
    """An ``--out`` folder as a grading run leaves it: a real nbgrader gradebook, the four
    reports, a feedback page and a submission; returns every file's bytes."""
    from nbgrader.api import Gradebook

    out.mkdir(parents=True)
    with Gradebook(f"sqlite:///{out / 'gradebook.db'}") as gradebook:
        gradebook.add_assignment(A)
        gradebook.add_student("ana")
    reports = out / "reports"
    reports.mkdir(parents=True)
    (reports / "grades.csv").write_text("student,assignment,score,max_score,needs_manual_grade,ej1\nana,00_entorno,3.0,9.0,False,3.0\n")
    (reports / "exercises.csv").write_text("assignment,exercise,max_score\n00_entorno,ej1,3.0\n")
    (reports / "incidents.csv").write_text("student,assignment,cell,kind,message\n")
    (reports / "exercises.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    (out / "feedback" / "ana" / A).mkdir(parents=True)
    (out / "feedback" / "ana" / A / f"{A}.html").write_text("<html>feedback</html>")
    (out / "submitted" / "ana" / A).mkdir(parents=True)
    nbformat.write(new_notebook(), str(out / "submitted" / "ana" / A / f"{A}.ipynb"))
    return _snapshot(out)


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_empty_folder_stops_with_a_clear_message_and_leaves_out_untouched(tmp_path):
    out, empty = tmp_path / "graded", tmp_path / "entregas"
    empty.mkdir()
    before = _earlier_run(out)
    assert len(before) == 7
    result = subprocess.run([sys.executable, "-m", "tlcourse", "grade", str(empty), "--out", str(out),
                             "--quiet", "--assignment", A],
                            capture_output=True, text=True, timeout=300, env={**os.environ})
    assert result.returncode != 0
    assert f"no submissions to grade in {empty}" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    assert _snapshot(out) == before


def test_notebooks_that_are_not_submissions_are_listed(tmp_path, capsys):
    out, folder = tmp_path / "graded", tmp_path / "entregas"
    folder.mkdir()
    nbformat.write(new_notebook(), str(folder / "notas.ipynb"))
    before = _earlier_run(out)
    code = cli.main(["grade", str(folder), "--out", str(out), "--quiet", "--assignment", A])
    error = capsys.readouterr().err
    assert code != 0
    assert "no submissions to grade" in error and "notas.ipynb" in error, error
    assert _snapshot(out) == before


def test_a_folder_that_does_not_exist_is_named(tmp_path, capsys):
    missing = tmp_path / "no_existe"
    code = cli.main(["grade", str(missing), "--out", str(tmp_path / "graded"), "--quiet", "--assignment", A])
    error = capsys.readouterr().err
    assert code != 0 and f"{missing} does not exist" in error, error
    assert not (tmp_path / "graded").exists()


@pytest.mark.parametrize("layout", ["submitted/ana/00_entorno/00_entorno.ipynb", "ana_00_entorno.ipynb"])
def test_a_real_submission_is_not_refused(tmp_path, layout, monkeypatch):
    """The check stops only empty input: a folder with one submission gets past it."""
    from tlcourse.grader import classgrade

    folder = tmp_path / "entregas"
    (folder / layout).parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(new_notebook(), str(folder / layout))
    seen = []
    monkeypatch.setattr(classgrade, "run_jobs", lambda jobs, *a, **k: seen.extend(jobs) or [])
    monkeypatch.setattr("tlcourse.grader.grading.ScratchCourse", lambda *a, **k: None)
    monkeypatch.setattr(classgrade, "merge", lambda *a, **k: None)
    classgrade.grade_class(folder, tmp_path / "graded", classgrade.Settings(progress=False), assignments=[A])
    assert [job.key for job in seen] == [("ana", A)]
