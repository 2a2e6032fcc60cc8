"""The gradebook on a real PostgreSQL server that the tests start themselves (pg_server.py).

Quick (no notebook runs): worker gradebooks built once through nbgrader's API with seeded
scores are merged into PostgreSQL serially, by two grading runs' merges in two processes
at once with overlapping students (nothing lost, nothing duplicated, the serial result),
and next to a writer that does not take the lock (the retry repairs the collision).

Slow: a small class of 00_entorno graded by ``grade_class`` with
``TLCOURSE_DB_URL=postgresql://...``: grades and reports from PostgreSQL, a rerun that keeps
a grader's manual score and duplicates nothing, and formgrader's API on the result.
"""

from __future__ import annotations

import csv
import multiprocessing
import random
import shutil
import warnings
from dataclasses import replace
from pathlib import Path

import pytest

from tlcourse.grader import classgrade, gradebook
from tlcourse.build import synthetic
from tlcourse.grader.classgrade import JobResult

A = "00_entorno"
# nbgrader's add_submission builds its objects while autoflush is on (its own SAWarning).
# Every test needs a PostgreSQL server of its own (minutes to set up and fill): slow, run in CI.
pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore:Object of type:sqlalchemy.exc.SAWarning")]
TABLES = ["course", "assignment", "notebook", "grade_cells", "solution_cells", "task_cells",
          "source_cell", "student", "submitted_assignment", "submitted_notebook", "grade", "comment"]


# --------------------------------------------------------------------------- helpers
def _counts(db_url: str) -> dict[str, int]:
    """Rows per nbgrader table."""
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url)
    try:
        with engine.connect() as connection:
            return {t: connection.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES}
    finally:
        engine.dispose()


def _dump(db_url: str) -> dict:
    """Everything a merge writes, by (student, cell): scores, manual flags, flagged notebooks."""
    from nbgrader.api import Gradebook

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with Gradebook(db_url) as gb:
            dump = {}
            for submission in gb.assignment_submissions(A):
                for notebook in submission.notebooks:
                    dump[(submission.student.id, "flagged")] = notebook.flagged
                    for grade in notebook.grades:
                        dump[(submission.student.id, grade.name)] = (
                            grade.auto_score, grade.manual_score, grade.needs_manual_grade)
            gb.engine.dispose()
            return dump


def _total(dump: dict, student: str) -> float:
    """A submission's score from a :func:`_dump`: a grader's manual score wins over the auto one."""
    cells = [value for (s, cell), value in dump.items() if s == student and cell != "flagged"]
    return sum(manual if manual is not None else auto for auto, manual, _ in cells)


def _auto_scores(db_url: str, student: str) -> dict[str, float]:
    from nbgrader.api import Gradebook

    with Gradebook(db_url) as gb:
        notebook = gb.find_submission_notebook(A, A, student)
        scores = {grade.name: grade.auto_score for grade in notebook.grades}
        gb.engine.dispose()
        return scores


# --------------------------------------------------------------------------- the server
def test_the_server_is_our_own_postgresql(postgres_url):
    from sqlalchemy import create_engine, text

    assert postgres_url.startswith("postgresql://")
    engine = create_engine(postgres_url)  # SQLAlchemy's default driver: the pinned psycopg
    try:
        with engine.connect() as connection:
            assert connection.execute(text("SELECT version()")).scalar_one().startswith("PostgreSQL")
            folder = connection.execute(text("SHOW unix_socket_directories")).scalar_one()
            assert connection.execute(text("SHOW listen_addresses")).scalar_one() == ""
        assert engine.dialect.driver == "psycopg"
    finally:
        engine.dispose()
    assert folder in postgres_url and "tlcourse-pg-" in folder


# --------------------------------------------------------------------------- merges
STUDENTS = [f"s{number:02d}" for number in range(40)]
# 16 students graded by both runs, merged first by both, in the same order: the two
# processes create the same students and submissions at the same moments.
BOTH = STUDENTS[12:28]
RUN_A, RUN_B = BOTH + STUDENTS[:12], BOTH + STUDENTS[28:]
FAILED = {STUDENTS[0], STUDENTS[-1]}  # failed jobs (score 0, flagged), graded by one run only


@pytest.fixture(scope="module")
def worker_books(tmp_path_factory):
    """Two worker gradebooks (SQLite) as two grading runs would leave them, built with
    nbgrader's API and seeded scores (no notebook runs); the same scores where they overlap."""
    from nbgrader.api import Gradebook

    from tlcourse.grader.grading import ScratchCourse

    root = tmp_path_factory.mktemp("libros")
    course = ScratchCourse(root / "worker", [A])
    rng = random.Random(20)
    with Gradebook(course.db_url) as gb:
        for student in STUDENTS:
            gb.add_student(student)
            submission = gb.add_submission(A, student, timestamp="2026-11-20 10:00:00 UTC")
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    grade.auto_score = float(rng.choice([0.0, grade.max_score]))
                    grade.needs_manual_grade = False
                for comment in notebook.comments:
                    comment.auto_comment = f"comentario de {student}"
            gb.db.commit()
    books = {}
    for run, students in (("a", RUN_A), ("b", RUN_B)):
        path = root / f"worker-{run}.db"
        shutil.copyfile(root / "worker" / "gradebook.db", path)
        books[run] = [JobResult(s, A, s not in FAILED, 1.0, 0, gradebook=f"sqlite:///{path}")
                      for s in students]
    return {"root": root, "runs": books, "source": course.db_url}


def _grading_run(db_url: str, folder: str, results: list[JobResult], barrier) -> None:  # type: ignore[no-untyped-def]
    """What a grading run does to the target gradebook: prepare the course, then merge."""
    warnings.filterwarnings("ignore")
    barrier.wait(timeout=300)
    gradebook.prepare_course(Path(folder), [A], db_url)
    barrier.wait(timeout=300)
    classgrade.merge(results, db_url)


def _check_against_sources(dump: dict, source_url: str) -> None:
    from nbgrader.api import Gradebook

    with Gradebook(source_url) as gb:
        for student in STUDENTS:
            notebook = gb.find_submission_notebook(A, A, student)
            assert dump[(student, "flagged")] == (student in FAILED), student
            for grade in notebook.grades:
                want = 0.0 if student in FAILED else grade.auto_score
                assert dump[(student, grade.name)] == (want, None, False), (student, grade.name)


@pytest.fixture(scope="module")
def serial(worker_books, postgres_server, tmp_path_factory):
    """The two runs' merges one after the other: the reference."""
    url = postgres_server.create_database()
    gradebook.prepare_course(tmp_path_factory.mktemp("serial"), [A], url)
    for results in worker_books["runs"].values():
        classgrade.merge(results, url)
    return url


def test_serial_merges_of_two_runs_give_every_grade_once(worker_books, serial):
    counts = _counts(serial)
    assert counts["student"] == counts["submitted_assignment"] == len(STUDENTS)
    assert counts["grade"] == len(STUDENTS) * counts["grade_cells"]
    _check_against_sources(_dump(serial), worker_books["source"])


def test_two_runs_merging_at_once_lose_and_duplicate_nothing(worker_books, serial, postgres_url, tmp_path):
    """Two processes prepare the same fresh database and merge overlapping students at the
    same moment (barriers); the result equals the serial one, row for row."""
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(2)
    runs = [context.Process(target=_grading_run, args=(postgres_url, str(tmp_path / name), results, barrier))
            for name, results in worker_books["runs"].items()]
    for process in runs:
        process.start()
    for process in runs:
        process.join(timeout=600)
    assert [process.exitcode for process in runs] == [0, 0], "a grading run failed (traceback above)"
    assert _counts(postgres_url) == _counts(serial)
    assert _dump(postgres_url) == _dump(serial)
    _check_against_sources(_dump(postgres_url), worker_books["source"])


def test_a_collision_with_a_writer_that_does_not_lock_is_retried(worker_books, postgres_url, tmp_path,
                                                                 monkeypatch):
    """Another program creates the student between nbgrader's look-up and its insert (the
    race of ``update_or_create_student``): the merge rolls back, retries and finishes."""
    from nbgrader.api import Gradebook, InvalidEntry, MissingEntry

    gradebook.prepare_course(tmp_path / "out", [A], postgres_url)
    results = {r.student: r for r in worker_books["runs"]["a"]}
    original = Gradebook.find_student
    interfered = []

    def find_student_while_another_writer_inserts(self, student_id):  # type: ignore[no-untyped-def]
        if student_id not in interfered:
            interfered.append(student_id)
            with Gradebook(postgres_url) as other:  # no lock: like nbgrader's own commands
                other.add_student(student_id)
                other.engine.dispose()
            raise MissingEntry(f"No such student: {student_id}")
        return original(self, student_id)

    monkeypatch.setattr(Gradebook, "find_student", find_student_while_another_writer_inserts)
    first, second = RUN_A[5], RUN_A[6]
    with gradebook.SharedGradebook(postgres_url, retries=1) as target, pytest.raises(InvalidEntry):
        target.write(lambda gb: classgrade._merge_one(gb, None, results[first]))  # no retry: collides
    classgrade.merge([results[second]], postgres_url)  # default: rolled back and retried
    monkeypatch.undo()
    assert interfered == [first, second]
    assert _counts(postgres_url)["student"] == 2 and _counts(postgres_url)["submitted_assignment"] == 1
    assert _auto_scores(postgres_url, second) == _auto_scores(worker_books["source"], second)


def test_sqlite_takes_no_lock_and_merges_as_before(worker_books, tmp_path):
    url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    assert not gradebook.is_postgresql(url)
    with gradebook.WriterLock(url) as lock:
        assert lock._connection is None
    gradebook.prepare_course(tmp_path / "out", [A], url)
    classgrade.merge(worker_books["runs"]["a"] + worker_books["runs"]["b"], url)
    assert _counts(url)["student"] == len(STUDENTS)
    _check_against_sources(_dump(url), worker_books["source"])


# --------------------------------------------------------------------------- a real class
NORMAL = ["alumno00", "alumno01"]
BROKEN = "roto"
MANUAL = ("alumno00", "test_ej1_ejemplo", 0.5)  # a grader's override of an autograded cell


def _grades_csv(path: Path) -> dict[str, dict[str, str]]:
    return {row["student"]: row for row in csv.DictReader(path.open())}


@pytest.fixture(scope="module")
def pg_class(tmp_path_factory, postgres_server):
    """A class of 00_entorno graded twice into PostgreSQL, a manual score entered between."""
    from nbgrader.api import Gradebook

    root = tmp_path_factory.mktemp("clase_pg")
    synthetic.write_class(root / "in", [A], len(NORMAL))
    broken = root / "in" / BROKEN / A / f"{A}.ipynb"
    broken.parent.mkdir(parents=True)
    broken.write_text('{"cells": [ esto no es JSON')
    url = postgres_server.create_database()
    settings = classgrade.Settings(workers=2, cell_timeout=30, feedback=False, progress=False)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TLCOURSE_DB_URL", url)
        first = classgrade.grade_class(root / "in", root / "out", settings, assignments=[A], keep_work=True)
        # The scores each worker computed, as it returned them (data, not a shared gradebook).
        workers = {r.student: {cell: auto for cell, (auto, _) in r.record["notebooks"][A]["grades"].items()}
                   for r in first.results if r.ok}
        found = {"dump": _dump(url), "counts": _counts(url),
                 "csv": _grades_csv(root / "out/reports/grades.csv")}
        student, cell, score = MANUAL
        with Gradebook(url) as gb:
            gb.find_grade(cell, A, A, student).manual_score = score
            gb.db.commit()
            gb.engine.dispose()
        # --regrade: every submission is graded and merged again (not resumed from the first run).
        second = classgrade.grade_class(root / "in", root / "out", replace(settings, resume=False),
                                        assignments=[A])
    return {"url": url, "root": root, "first": first, "second": second, "workers": workers, **found}


@pytest.mark.slow
def test_class_grading_writes_every_grade_to_postgresql(pg_class):
    out = pg_class["root"] / "out"
    assert pg_class["first"].db_url == pg_class["url"] and not (out / "gradebook.db").exists()
    assert sorted(pg_class["workers"]) == NORMAL  # the broken file failed, the others graded
    dump = pg_class["dump"]
    for student in NORMAL:
        assert {cell: dump[(student, cell)][0] for cell in pg_class["workers"][student]} \
            == pg_class["workers"][student]
        assert dump[(student, "flagged")] is False
    assert dump[(BROKEN, "flagged")] is True
    assert all(value[0] == 0.0 for (student, cell), value in dump.items()
               if student == BROKEN and cell != "flagged")
    # grades.csv is read back from PostgreSQL: the workers' scores, the broken file 0.
    rows = pg_class["csv"]
    assert sorted(rows) == sorted(NORMAL + [BROKEN])
    for student in NORMAL:
        assert float(rows[student]["score"]) == sum(pg_class["workers"][student].values())
    assert float(rows[BROKEN]["score"]) == 0.0


@pytest.mark.slow
def test_a_rerun_keeps_manual_scores_and_duplicates_nothing(pg_class):
    url = pg_class["url"]
    assert _counts(url) == pg_class["counts"]
    student, cell, score = MANUAL
    after = _dump(url)
    assert after[(student, cell)][1] == score
    assert {k: v for k, v in after.items() if k != (student, cell)} \
        == {k: v for k, v in pg_class["dump"].items() if k != (student, cell)}
    rows = _grades_csv(pg_class["root"] / "out/reports/grades.csv")
    auto = pg_class["workers"][student]
    assert float(rows[student]["score"]) == sum(auto.values()) - auto[cell] + score
    assert {s: r for s, r in rows.items() if s != student} \
        == {s: r for s, r in pg_class["csv"].items() if s != student}


@pytest.mark.slow
def test_formgrader_api_shows_the_class_from_postgresql(pg_class):
    """The calls formgrader's pages make (nbgrader.apps.api.NbGraderAPI), on the graded
    course folder whose nbgrader_config.py points at PostgreSQL."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    from tlcourse.grader.grading import _load_config

    out = pg_class["root"] / "out"
    config = _load_config(out)
    assert config.CourseDirectory.db_url == pg_class["url"]
    api = NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)
    students = sorted(NORMAL + [BROKEN])

    [assignment] = api.get_assignments()
    assert assignment["name"] == A and assignment["num_submissions"] == len(students)
    dump = _dump(pg_class["url"])
    [notebook] = api.get_notebooks(A)
    assert notebook["name"] == A and notebook["num_submissions"] == len(students)
    assert notebook["average_score"] == pytest.approx(sum(_total(dump, s) for s in students) / len(students))
    submissions = {s["student"]: s for s in api.get_submissions(A)}
    assert sorted(submissions) == students
    for student in students:
        assert submissions[student]["score"] == pytest.approx(_total(dump, student))
    # The grading pages list the notebooks whose autograded file exists: not the broken one.
    per_notebook = {s["student"]: s for s in api.get_notebook_submissions(A, A)}
    assert sorted(per_notebook) == NORMAL
    assert not any(s["flagged"] for s in per_notebook.values())
    indices = api.get_notebook_submission_indices(A, A)
    assert sorted(indices.values()) == [0, 1]
    assert set(indices) == {s["id"] for s in per_notebook.values()}
    assert sorted(s["id"] for s in api.get_students()) == students
    assert api.get_student("alumno01")["id"] == "alumno01"
    [mine] = api.get_student_submissions("alumno00")
    assert mine["score"] == pytest.approx(submissions["alumno00"]["score"])


@pytest.mark.slow
def test_formgrader_serves_the_class_from_postgresql(pg_class, tmp_path):
    """A Jupyter server with nbgrader's formgrader extension, started in the graded course
    folder (no TLCOURSE_DB_URL: its nbgrader_config.py names the database), answers the
    submissions API and the manage-submissions page from PostgreSQL."""
    import json
    import os
    import secrets
    import socket
    import subprocess
    import sys
    import time
    import urllib.error
    import urllib.request

    out = pg_class["root"] / "out"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    token = secrets.token_hex(16)
    env = {k: v for k, v in os.environ.items() if k != "TLCOURSE_DB_URL"}
    env["JUPYTER_RUNTIME_DIR"] = str(tmp_path / "runtime")
    log = tmp_path / "server.log"
    with log.open("wb") as sink:
        server = subprocess.Popen(
            [sys.executable, "-m", "jupyter_server", f"--ServerApp.root_dir={out}",
             "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
             f"--IdentityProvider.token={token}", "--ServerApp.open_browser=False", "--allow-root"],
            cwd=out, env=env, stdout=sink, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def get(path: str) -> tuple[int, str]:
        request = urllib.request.Request(f"http://127.0.0.1:{port}{path}",
                                         headers={"Authorization": f"token {token}"})
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read().decode()

    try:
        deadline = time.monotonic() + 300
        while True:
            assert server.poll() is None, f"jupyter server exited:\n{log.read_text()[-3000:]}"
            try:
                status, body = get(f"/formgrader/api/submissions/{A}")
                break
            except (urllib.error.URLError, ConnectionError):
                assert time.monotonic() < deadline, f"no answer in 300 s:\n{log.read_text()[-3000:]}"
                time.sleep(1)
        assert status == 200
        served = {s["student"]: s["score"] for s in json.loads(body)}
        dump = _dump(pg_class["url"])
        assert sorted(served) == sorted(NORMAL + [BROKEN])
        for student in served:
            assert served[student] == pytest.approx(_total(dump, student))
        status, page = get(f"/formgrader/manage_submissions/{A}")
        assert status == 200 and A in page
    finally:
        server.terminate()
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=30)
