"""Class grading on Dask: the local cluster, an external cluster, faults and resuming.

One small class of 00_entorno (the cheapest notebook): two synthetic students and one whose
kernel dies in ej1. Graded (1) in-process on a LocalCluster; (2) through a separate
``dask scheduler`` and two ``dask worker`` processes started here, by the CLI, while the
test kills one worker in the middle of a job; (3) by a client killed after its first grade,
then rerun. Plus a worker holding a different course version, refused before any grading,
and fast units (fingerprint, idempotent merge, resume rows, a grading process that outlives
its worker). Every process a test starts runs in its own session and is killed by its
process group at the end.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from tlcourse.grader import classgrade, courseversion, resume
from tlcourse.build import synthetic
from tlcourse.paths import repo_root

A = "00_entorno"
STUDENTS = ["alumno00", "alumno01", "asesino"]
DASK = str(Path(sys.executable).parent / "dask")
ENV = {**os.environ, "TLCOURSE_CELL_TIMEOUT": "15", "TLCOURSE_KERNEL_MEMORY_MB": "1536"}
GRADE_ARGS = ["--assignment", A, "--cell-timeout", "15", "--memory-limit-mb", "1536", "--no-feedback"]


# --------------------------------------------------------------------------- helpers
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def _processes():
    """Start processes in their own sessions; kill every one of them (by group) at the end."""
    started: list[subprocess.Popen] = []

    def start(args: list[str], log: Path, env: dict | None = None) -> subprocess.Popen:
        with open(log, "ab") as out:
            process = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                       env=env or ENV, start_new_session=True)
        started.append(process)
        return process

    try:
        yield start
    finally:
        for process in started:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            process.wait(timeout=60)


def _cluster(start, folder: Path, workers: int, env: dict | None = None) -> str:
    """A ``dask scheduler`` and ``workers`` ``dask worker`` processes; the scheduler's address."""
    from distributed import Client

    address = f"tcp://127.0.0.1:{_free_port()}"
    folder.mkdir(parents=True, exist_ok=True)
    start([DASK, "scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1],
           "--no-dashboard"], folder / "scheduler.log")
    for index in range(workers):
        start([DASK, "worker", address, "--nthreads", "1", "--nworkers", "1", "--no-dashboard",
               "--name", f"w{index}", "--local-directory", str(folder / f"w{index}")],
              folder / f"worker{index}.log", env)
    deadline = time.monotonic() + 300
    while True:
        try:
            with Client(address, timeout="10s") as client:
                client.wait_for_workers(workers, timeout=max(1, deadline - time.monotonic()))
                return address
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(2)


def _write_class(folder: Path) -> None:
    synthetic.write_class(folder, [A], 2, {"asesino": (A, "kill", "ej1")})


def _grades(db_url: str) -> dict[str, dict[str, float]]:
    from nbgrader.api import Gradebook

    with Gradebook(db_url) as gb:
        return {s.student.id: {g.name: float(g.score or 0) for n in s.notebooks for g in n.grades}
                for s in gb.assignment_submissions(A)}


def _counts(db_url: str) -> dict[str, int]:
    """Rows per table, to see that every grade is there exactly once."""
    from nbgrader.api import Gradebook

    with Gradebook(db_url) as gb:
        submissions = gb.assignment_submissions(A)
        cells = len(gb.find_notebook(A, A).grade_cells)
        return {"submissions": len(submissions), "students": len({s.student.id for s in submissions}),
                "grades": sum(len(n.grades) for s in submissions for n in s.notebooks),
                "expected_grades": cells * len(submissions), "resume_rows": len(resume.load(db_url))}


def _cli(start, folder: Path, out: Path, *extra: str) -> subprocess.Popen:
    return start([sys.executable, "-m", "tlcourse", "grade", str(folder), "--out", str(out), "--quiet",
                  *GRADE_ARGS, *extra], out.parent / f"{out.name}.log")


# --------------------------------------------------------------------------- fast units
def _course_copy(target: Path) -> Path:
    root = repo_root()
    for name in ("grader_config.py", "nbgrader_config.py"):
        target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(root / name, target / name)
    shutil.copytree(root / "solutions", target / "solutions")
    shutil.copytree(root / "src" / "tlcourse", target / "src" / "tlcourse",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(root / "data", target / "data", copy_function=os.link)
    return target


def test_fingerprint_covers_solutions_config_and_code(tmp_path):
    copy = _course_copy(tmp_path / "curso")
    same = courseversion.fingerprint(copy)
    assert same == courseversion.fingerprint(repo_root())
    for name in (f"solutions/{A}/{A}.ipynb", "grader_config.py", "src/tlcourse/grader/verdicts.py"):
        path = copy / name
        original = path.read_bytes()
        path.write_bytes(original + b"\n")
        assert courseversion.fingerprint(copy) != same, name
        path.write_bytes(original)
    (copy / "solutions" / A / "__pycache__").mkdir()
    (copy / "solutions" / A / "__pycache__" / "x.pyc").write_bytes(b"0")
    assert courseversion.fingerprint(copy) == same


def test_content_hash_tells_notebook_and_timestamp_apart():
    base = courseversion.content_hash(b"{}", "2026-01-01 10:00:00 UTC")
    assert base == courseversion.content_hash(b"{}", "2026-01-01 10:00:00 UTC")
    assert base != courseversion.content_hash(b"{ }", "2026-01-01 10:00:00 UTC")
    assert base != courseversion.content_hash(b"{}", None)


def _record(cells: dict[str, float], score: float) -> dict:
    grades = {name: [min(score, most), False] for name, most in cells.items()}
    return {"timestamp": "2026-11-20T10:00:00", "notebooks": {A: {
        "late_submission_penalty": None, "grades": grades, "comments": {}}}}


def test_merging_a_result_twice_leaves_one_grade_and_resume_rows_replace(tmp_path):
    """A job Dask ran twice (its worker died after finishing) merges to one grade."""
    from nbgrader.api import Gradebook

    from tlcourse.grader.gradebook import SharedGradebook, prepare_course

    url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    prepare_course(tmp_path / "out", [A], url)
    with Gradebook(url) as gb:
        cells = {cell.name: float(cell.max_score) for cell in gb.find_notebook(A, A).grade_cells}
    first = classgrade.JobResult("ana", A, True, 1.0, "w0", record=_record(cells, 0.0), content_hash="h1")
    again = classgrade.JobResult("ana", A, True, 2.0, "w1", record=_record(cells, 1.0), content_hash="h2")
    with SharedGradebook(url) as target:
        for result in (first, again):
            classgrade.store(target, result, tmp_path / "out", "v1")
    counts = _counts(url)
    assert counts["submissions"] == 1 and counts["grades"] == counts["expected_grades"] == len(cells)
    assert counts["resume_rows"] == 1 and resume.load(url)[("ana", A)].content_hash == "h2"
    assert _grades(url)["ana"] == {name: min(1.0, most) for name, most in cells.items()}


def test_only_matching_successful_grades_are_skipped(tmp_path):
    from tlcourse.grader.gradebook import SharedGradebook, prepare_course
    from tlcourse.grader.submissions import Job

    out = tmp_path / "out"
    url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    prepare_course(out, [A], url)
    jobs = []
    for student in ("ana", "beto", "carla", "dora"):
        path = out / "submitted" / student / A / f"{A}.ipynb"
        path.parent.mkdir(parents=True)
        path.write_text(f'{{"student": "{student}"}}')
        jobs.append(Job(student, A, str(path)))
        notebook = out / "autograded" / student / A / f"{A}.ipynb"
        notebook.parent.mkdir(parents=True)
        notebook.write_text("{}")
    with SharedGradebook(url) as target:
        for job, ok, version in ((jobs[0], True, "v"), (jobs[1], False, "v"), (jobs[2], True, "old")):
            result = classgrade.JobResult(job.student, A, ok, 3.0, "w", incidents=[("ej1", "timeout", "x")],
                                          content_hash=classgrade.content_hash(job))
            target.write(lambda gb, r=result, v=version: resume.save(gb.db, r.student, A, r.content_hash, v,
                                                                     r.ok, r.seconds, r.incidents))
    done, todo = classgrade.already_graded(jobs, url, "v", out)
    assert [r.student for r in done] == ["ana"] and done[0].incidents == [("ej1", "timeout", "x")]
    assert [j.student for j in todo] == ["beto", "carla", "dora"]
    Path(jobs[0].path).write_text('{"student": "ana", "cambio": 1}')  # a new version of the notebook
    assert classgrade.already_graded(jobs, url, "v", out)[0] == []


# --------------------------------------------------------------------------- the class
@pytest.fixture(scope="module")
def local(tmp_path_factory):
    root = tmp_path_factory.mktemp("dask_local")
    _write_class(root / "in")
    settings = classgrade.Settings(workers=2, cell_timeout=15, memory_limit_mb=1536, feedback=False,
                                   progress=False)
    run = classgrade.grade_class(root / "in", root / "out", settings, assignments=[A])
    return {"root": root, "run": run, "grades": _grades(run.db_url)}


_ORPHAN = """
import subprocess, sys, time
from tlcourse.grader.gradejob import _die_with_parent
_die_with_parent()
kernel = subprocess.Popen(["sleep", "300"], start_new_session=True)  # as a kernel: own session
print(kernel.pid, flush=True)
time.sleep(300)
"""


def test_a_grading_process_and_its_kernels_end_when_their_worker_is_killed():
    """A killed worker (or client) leaves no grading process or kernel running on its own."""
    import psutil

    worker = subprocess.Popen([sys.executable, "-c", (
        "import subprocess, sys\n"
        f"job = subprocess.Popen([sys.executable, '-c', {_ORPHAN!r}], start_new_session=True,\n"
        "                       stdout=subprocess.PIPE, text=True)\n"
        "print(job.pid, job.stdout.readline().strip(), flush=True)\n"
        "job.wait()\n")], stdout=subprocess.PIPE, text=True, start_new_session=True)
    job, kernel = (psutil.Process(int(pid)) for pid in worker.stdout.readline().split())
    try:
        worker.kill()
        worker.wait(timeout=60)
        gone, alive = psutil.wait_procs([job, kernel], timeout=30)
        assert alive == [], f"still running after their worker was killed: {alive}"
    finally:
        for process in (job, kernel):
            try:
                process.kill()
            except psutil.Error:
                pass


@pytest.mark.slow
def test_local_cluster_grades_the_class(local):
    assert sorted(local["grades"]) == STUDENTS
    assert [r.ok for r in local["run"].results] == [True] * 3
    asesino = local["grades"]["asesino"]
    assert sum(v for k, v in asesino.items() if k.startswith("test_ej1")) == 0  # its kernel died there
    assert sum(v for k, v in asesino.items() if not k.startswith("test_ej1")) > 0
    notebook = local["root"] / "out" / "autograded" / "asesino" / A / f"{A}.ipynb"
    assert notebook.is_file()  # returned as data by the worker, written by the client


@pytest.mark.slow
def test_external_cluster_with_a_worker_killed_mid_job_gives_the_same_grades_once(local, tmp_path):
    """`dask scheduler` + two `dask worker`; one worker is killed while it grades."""
    from distributed import Client

    with _processes() as start:
        address = _cluster(start, tmp_path / "cluster", 2)
        client_run = _cli(start, local["root"] / "in", tmp_path / "out", "--scheduler", address)
        killed = None
        with Client(address, timeout="30s") as watcher:
            deadline = time.monotonic() + 900
            while killed is None and client_run.poll() is None and time.monotonic() < deadline:
                busy = [worker for worker, keys in watcher.processing().items() if keys]
                if busy:
                    time.sleep(5)  # inside the job: its course is being built or graded
                    pid = watcher.run(os.getpid, workers=busy[:1])[busy[0]]
                    os.kill(pid, signal.SIGKILL)
                    killed = busy[0]
                time.sleep(1)
        assert killed, "no worker was ever busy"
        assert client_run.wait(timeout=1800) == 0, (tmp_path / "out.log").read_text()[-3000:]
    url = f"sqlite:///{tmp_path / 'out' / 'gradebook.db'}"
    assert _grades(url) == local["grades"]
    counts = _counts(url)
    assert counts["submissions"] == counts["students"] == counts["resume_rows"] == len(STUDENTS)
    assert counts["grades"] == counts["expected_grades"]


@pytest.mark.slow
def test_rerun_after_the_client_was_killed_grades_only_what_is_missing(local, tmp_path):
    """The client is killed after its first grade; the same command resumes."""
    out = tmp_path / "out"
    url = f"sqlite:///{out / 'gradebook.db'}"
    with _processes() as start:
        client_run = _cli(start, local["root"] / "in", out, "--workers", "1")
        deadline = time.monotonic() + 1200
        rows: dict = {}
        while not rows and client_run.poll() is None and time.monotonic() < deadline:
            time.sleep(2)
            rows = resume.load(url) if (out / "gradebook.db").exists() else {}
        assert rows and client_run.poll() is None, "the client ended before a grade was recorded"
        os.kill(client_run.pid, signal.SIGKILL)
        client_run.wait(timeout=60)
    before = resume.load(url)
    settings = classgrade.Settings(workers=1, cell_timeout=15, memory_limit_mb=1536, feedback=False,
                                   progress=False)
    run = classgrade.grade_class(local["root"] / "in", out, settings, assignments=[A])
    after = resume.load(url)
    assert run.resumed == len(before) >= 1
    assert {r.student for r in run.results if r.resumed} == {s for s, _ in before}
    assert all(after[key].graded_at == row.graded_at for key, row in before.items())  # not regraded
    assert _grades(url) == local["grades"]
    counts = _counts(url)
    assert counts["submissions"] == counts["resume_rows"] == len(STUDENTS)
    assert counts["grades"] == counts["expected_grades"]


@pytest.mark.slow
def test_a_worker_with_another_course_version_is_refused(tmp_path):
    copy = _course_copy(tmp_path / "otro_curso")
    notebook = copy / "solutions" / A / f"{A}.ipynb"
    notebook.write_bytes(notebook.read_bytes().replace(b"ej1", b"ej1 ", 1))
    folder = tmp_path / "in"
    synthetic.write_class(folder, [A], 1)
    with _processes() as start:
        address = _cluster(start, tmp_path / "cluster", 1, env={**ENV, "TLCOURSE_DATA": str(copy / "data")})
        run = _cli(start, folder, tmp_path / "out", "--scheduler", address)
        code = run.wait(timeout=600)
    log = (tmp_path / "out.log").read_text()
    assert code == 2, log
    assert "holds a different course version" in log and "No submission was graded" in log, log
    assert not (tmp_path / "out" / "autograded").exists()


def test_projection_arithmetic():
    from tlcourse.build import bench

    costs = {"00": 30.0, "01": 60.0, "02": 90.0}  # 180 s of work per student
    block = bench.projection(costs, students=300, machines=(1, 2, 10), workers_per_machine=2, efficiency=0.9)
    assert block["work_hours"] == 15.0  # 300 × 180 s
    assert block["by_machines"]["1"] == {"workers": 2, "hours": round(54000 / (2 * 0.9) / 3600, 2)}
    assert block["by_machines"]["2"]["hours"] == round(54000 / (4 * 0.9) / 3600, 2)
    assert block["by_machines"]["10"]["workers"] == 20
    assert bench.projection(costs, students=1, machines=(1000,))["by_machines"]["1000"]["hours"] == \
        round(90 / 3600, 2)  # never shorter than the longest notebook
    assert bench.projection({}) == {}
    measured = [classgrade.JobResult("a", "00", True, 10.0, 0), classgrade.JobResult("b", "00", True, 20.0, 0),
                classgrade.JobResult("c", "00", False, 99.0, 0),
                classgrade.JobResult("d", "01", True, 5.0, 0, resumed=True)]
    assert bench.per_notebook_costs(measured) == {"00": 15.0}
