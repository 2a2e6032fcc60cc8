"""One grading job, as data in and data out: what a Dask worker runs for class grading.

:func:`run_job` takes a :class:`JobSpec` (the submission's bytes, the course version the
client holds, the grading settings) and returns a plain ``dict``: scores, incidents, the
autograded notebook and the feedback HTML as bytes. Nothing is shared through the file
system, so the worker may be on another machine.

On the worker, a job runs in a child process (``python -m tlcourse.grader.gradejob``), which
autogrades the submission in the worker's own scratch nbgrader course (built once per worker
and course version, in a child process too). Containment as for any grading: the sandbox
and per-cell limits inside nbgrader's execution (``grader_config.py``), plus a hard limit on
the whole job here: past it the child and its kernels are killed and the job scores 0
(``worker_killed``). If the Dask worker itself dies, the child notices that its parent is
gone and kills its kernels; Dask then runs the job on another worker.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
import traceback
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tlcourse.grader.limits import DEFAULT as _DEFAULT_LIMITS

#: Seconds a worker may take to build its scratch course (generate_assignment of every notebook).
PREPARE_LIMIT = 1800
RESULT_FILE = "result.json"


class CourseVersionError(RuntimeError):
    """This worker holds different course files than the client: it must not grade."""


class WorkerSetupError(RuntimeError):
    """A worker could not build its scratch course (a configuration problem, not a submission)."""


@dataclass
class JobSpec:
    """Everything a worker needs to grade one submission (plain data, sent over the network)."""

    student: str
    assignment: str
    notebook: bytes
    timestamp: str | None
    assignments: list[str]
    course_version: str
    env: dict[str, str] = field(default_factory=dict)
    feedback: bool = True
    hard_limit: float = _DEFAULT_LIMITS.hard_limit_s()


def version_message(worker: str, theirs: str, ours: str) -> str:
    """The refusal of a worker whose course files differ from the client's."""
    return (f"worker {worker} holds a different course version ({theirs[:12]}) than this client "
            f"({ours[:12]}): its solutions/, grader_config.py, nbgrader_config.py, data checksums "
            "or src/tlcourse/ differ. Install the same commit of the course on that machine, "
            "restart its `dask worker`, and grade again.")


def worker_fingerprint() -> str:
    """The course version of the machine this runs on (used by ``client.run``)."""
    from tlcourse.grader.courseversion import fingerprint

    return fingerprint()


# --------------------------------------------------------------------------- on the worker
def _worker_folder() -> Path:
    """The Dask worker's own scratch folder (or the system's outside a worker)."""
    try:
        from distributed import get_worker

        return Path(get_worker().local_directory)
    except (ImportError, ValueError):
        import tempfile

        return Path(tempfile.gettempdir())


def run_job(spec: JobSpec) -> dict[str, Any]:
    """Grade one submission in a child process; return its results as data."""
    mine = worker_fingerprint()
    if mine != spec.course_version:
        raise CourseVersionError(version_message(_worker_name(), mine, spec.course_version))
    course = _worker_folder() / f"tlcourse-course-{spec.course_version[:12]}-{'-'.join(sorted(spec.assignments))}"
    _prepare(course, spec)
    job = course / "jobs" / uuid.uuid4().hex
    job.mkdir(parents=True)
    try:
        return _grade_in_child(course, job, spec)
    finally:
        shutil.rmtree(job, ignore_errors=True)
        for folder in ("submitted", "autograded", "feedback"):
            shutil.rmtree(course / folder / spec.student / spec.assignment, ignore_errors=True)


def _worker_name() -> str:
    try:
        from distributed import get_worker

        return str(get_worker().address)
    except (ImportError, ValueError):
        return "local"


def _child(args: list[str], env: dict[str, str], log: Path, limit: float) -> tuple[int | None, float]:
    """Run ``python -m tlcourse.grader.gradejob ARGS``; (exit code or None if killed at the limit, seconds)."""
    from tlcourse.grader.classgrade import _kill_tree

    start = time.perf_counter()
    with open(log, "ab") as out:
        process = subprocess.Popen([sys.executable, "-m", "tlcourse.grader.gradejob", *args],
                                   env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            code: int | None = process.wait(timeout=limit)
        except subprocess.TimeoutExpired:
            code = None
        finally:
            _kill_tree(process.pid)  # kernels left behind by a finished child, or all of a stuck one
    return code, time.perf_counter() - start


def _prepare(course: Path, spec: JobSpec) -> None:
    """Build this worker's scratch course once (all assignments of the run)."""
    if (course / ".ready").is_file():
        return
    course.mkdir(parents=True, exist_ok=True)
    code, _ = _child(["prepare", str(course), *spec.assignments], spec.env, course / "prepare.log",
                     PREPARE_LIMIT)
    if code != 0 or not (course / ".ready").is_file():
        tail = _tail_file(course / "prepare.log", 30)
        raise WorkerSetupError(f"worker {_worker_name()} could not build its grading course "
                               f"(exit {code}):\n{tail}")


def _grade_in_child(course: Path, job: Path, spec: JobSpec) -> dict[str, Any]:
    (job / "submission.ipynb").write_bytes(spec.notebook)
    meta = {"student": spec.student, "assignment": spec.assignment, "timestamp": spec.timestamp,
            "assignments": spec.assignments, "feedback": spec.feedback}
    (job / "job.json").write_text(json.dumps(meta))
    code, seconds = _child(["grade", str(course), str(job)], spec.env, job / "job.log", spec.hard_limit)
    base = {"student": spec.student, "assignment": spec.assignment, "seconds": seconds,
            "worker": _worker_name(), "record": None, "files": {}}
    if code is None:
        message = f"no result after {spec.hard_limit:.0f} s: job process and kernels killed"
        return {**base, "ok": False, "error": message, "incidents": [("-", "worker_killed", message)]}
    if not (job / RESULT_FILE).is_file():
        error = _tail_file(job / "job.log", 40)
        return {**base, "ok": False, "error": error,
                "incidents": [("-", "grader_error", f"grading process exited with {code}")]}
    result = json.loads((job / RESULT_FILE).read_text())
    result["incidents"] = [tuple(i) for i in result["incidents"]]
    files = _read_outputs(course, spec.student, spec.assignment) if result["ok"] else {}
    return {**base, **result, "files": files}


def _read_outputs(course: Path, student: str, assignment: str) -> dict[str, bytes]:
    """``autograded/…`` and ``feedback/…`` files of one submission, by path inside the course."""
    files = {}
    for folder in ("autograded", "feedback"):
        root = course / folder / student / assignment
        for path in sorted(root.rglob("*")) if root.is_dir() else []:
            if path.is_file():
                files[path.relative_to(course).as_posix()] = path.read_bytes()
    return files


def _tail_file(path: Path, lines: int) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").strip().splitlines()[-lines:])
    except OSError:
        return ""


# --------------------------------------------------------------------------- in the child
def _die_with_parent() -> None:
    """Kill this process and its kernels when the worker that started it is gone."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        from tlcourse.grader.classgrade import _kill_tree

        for child in _children():
            _kill_tree(child)
        os._exit(3)

    threading.Thread(target=watch, daemon=True, name="tlcourse-parent-watch").start()


def _children() -> list[int]:
    import psutil

    return [p.pid for p in psutil.Process().children()]


def _child_prepare(course: Path, assignments: list[str]) -> None:
    from tlcourse.grader.grading import ScratchCourse

    ScratchCourse(course, assignments)
    (course / ".ready").write_text("ok\n")


def record_of(gradebook: Any, student: str, assignment: str) -> dict[str, Any]:
    """A submission's autograde results in an nbgrader gradebook, as plain data."""
    submission = gradebook.find_submission(assignment, student)
    notebooks = {}
    for notebook in submission.notebooks:
        notebooks[notebook.name] = {
            "late_submission_penalty": notebook.late_submission_penalty,
            "grades": {g.name: [g.auto_score, bool(g.needs_manual_grade)] for g in notebook.grades},
            "comments": {c.name: c.auto_comment for c in notebook.comments},
        }
    stamp = submission.timestamp
    return {"timestamp": stamp.isoformat() if stamp else None, "notebooks": notebooks}


def _child_grade(course_dir: Path, job: Path) -> None:
    import warnings

    from nbgrader.api import Gradebook

    from tlcourse.grader.classgrade import autograde_submission
    from tlcourse.grader.grading import ScratchCourse

    warnings.filterwarnings("ignore")
    meta = json.loads((job / "job.json").read_text())
    student, assignment = meta["student"], meta["assignment"]
    course = ScratchCourse.reopen(course_dir, meta["assignments"])
    target = course.submitted_path(student, assignment)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(job / "submission.ipynb", target)
    stamp = target.with_name("timestamp.txt")
    if meta["timestamp"]:
        stamp.write_text(meta["timestamp"])
    elif stamp.exists():
        stamp.unlink()
    ok, error, incidents = autograde_submission(course, student, assignment, meta["feedback"])
    record = None
    if ok:
        with Gradebook(course.db_url) as gradebook:
            record = record_of(gradebook, student, assignment)
    result = {"ok": ok, "error": error, "incidents": incidents, "record": record}
    (job / (RESULT_FILE + ".part")).write_text(json.dumps(result))
    (job / (RESULT_FILE + ".part")).rename(job / RESULT_FILE)


def main(argv: list[str] | None = None) -> int:
    """``python -m tlcourse.grader.gradejob prepare COURSE ASSIGNMENT...`` or ``grade COURSE JOB``."""
    args = list(sys.argv[1:] if argv is None else argv)
    _die_with_parent()
    try:
        if args[0] == "prepare":
            _child_prepare(Path(args[1]), args[2:])
        elif args[0] == "grade":
            _child_grade(Path(args[1]), Path(args[2]))
        else:
            raise SystemExit(f"unknown command {args[0]!r}")
    except Exception:
        traceback.print_exc()
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

