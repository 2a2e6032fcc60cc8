"""Grade a whole class: parallel autograde, one merged gradebook, feedback, reports.

``python -m tlcourse grade SUBMISSIONS [--workers N] [--out DIR] [--memory-limit-mb M]``

How it works:

1. :func:`tlcourse.submissions.collect` copies every submission into ``OUT/submitted/``.
2. ``N`` worker processes (default: the number of cores) each build their own scratch
   course with its own SQLite gradebook (nbgrader's autograde is serial and SQLite does not
   take concurrent writers), then autograde the jobs the parent hands them one at a time,
   longest first, and write each student's feedback HTML (hidden tests removed by
   ``grader_config``). Each job talks to the parent over its own pipe, so a worker can be
   killed without disturbing the others.
3. Containment, innermost first: per-cell timeout, kernel restart and per-kernel memory
   limit (``tlcourse.execution.ContainedExecute``, configured in ``grader_config.py``),
   per-notebook time limit, and finally a hard per-job limit in the parent that kills a
   stuck worker with its kernels, scores that submission 0 and starts a fresh worker.
4. The parent merges the worker gradebooks into one, through nbgrader's Gradebook API
   (``update_or_create_*``: running twice creates no duplicates; manual scores entered
   by graders are kept). The target is ``TLCOURSE_DB_URL`` when set (e.g. PostgreSQL for
   many graders; several runs may merge into it at once: :mod:`tlcourse.gradebook`) or
   ``OUT/gradebook.db``. Autograded notebooks and feedback are copied
   into ``OUT`` (an nbgrader course folder: ``nbgrader formgrader`` works there).
5. Reports in ``OUT/reports/``: ``grades.csv``, ``exercises.csv``, ``exercises.png`` and
   ``incidents.csv`` (:mod:`tlcourse.reports`), and ``sandbox.txt``: whether the
   submissions ran in the sandbox.

Every kernel runs in a bubblewrap sandbox (:mod:`tlcourse.sandbox`). Where it cannot run,
grading stops before the first job with :class:`GradingError` explaining the risk, unless
``Settings.sandbox`` is False (``--no-sandbox``); that run is then recorded as not
sandboxed in ``sandbox.txt`` and in the summary.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import sys
import time
import traceback
import warnings
from collections import deque
from dataclasses import dataclass, field
from functools import partial
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any, Iterable

import psutil

from .submissions import Job, collect

#: Extra seconds beyond the notebook time limit before the parent kills a worker.
HARD_LIMIT_MARGIN = 300
DEFAULT_NOTEBOOK_TIMEOUT = 900


# --------------------------------------------------------------------------- course
def course_assignments(root: Path | None = None) -> list[str]:
    """``grader_config.ASSIGNMENTS`` that exist in ``solutions/``, in syllabus order."""
    import runpy

    from traitlets.config import Config

    from .paths import repo_root

    root = root or repo_root()
    names = runpy.run_path(str(root / "grader_config.py"), init_globals={"get_config": Config})
    return [a for a in names["ASSIGNMENTS"] if (root / "solutions" / a / f"{a}.ipynb").is_file()]


def cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


@dataclass
class Settings:
    """What a grading run may change; every field maps to an environment variable that
    ``grader_config.py`` reads in the workers (so kernels see the same configuration)."""

    workers: int = 0
    memory_limit_mb: int | None = None
    cell_timeout: int | None = None
    notebook_timeout: int | None = None
    threads_per_kernel: int | None = None
    feedback: bool = True
    progress: bool = True
    job_limit_s: float | None = None  # hard per-job limit; default: notebook limit + margin
    sandbox: bool = True  # False (--no-sandbox): submission code runs as the grading user

    def worker_count(self, jobs: int) -> int:
        return max(1, min(self.workers or cpu_count(), max(jobs, 1)))

    def environment(self, workers: int) -> dict[str, str]:
        env = {}
        if self.memory_limit_mb is not None:
            env["TLCOURSE_KERNEL_MEMORY_MB"] = str(self.memory_limit_mb)
        if self.cell_timeout is not None:
            env["TLCOURSE_CELL_TIMEOUT"] = str(self.cell_timeout)
        if self.notebook_timeout is not None:
            env["TLCOURSE_NOTEBOOK_TIMEOUT"] = str(self.notebook_timeout)
        threads = self.threads_per_kernel or max(1, cpu_count() // workers)
        env.update(TF_NUM_INTRAOP_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
        env["TLCOURSE_SANDBOX"] = "1" if self.sandbox else "0"  # explicit: never inherited
        return env

    def hard_limit(self) -> float:
        if self.job_limit_s:
            return self.job_limit_s
        notebook = self.notebook_timeout or int(os.environ.get("TLCOURSE_NOTEBOOK_TIMEOUT",
                                                               DEFAULT_NOTEBOOK_TIMEOUT))
        return notebook + HARD_LIMIT_MARGIN


@dataclass
class JobResult:
    """What happened to one job; the scores themselves live in the worker's gradebook."""

    student: str
    assignment: str
    ok: bool
    seconds: float
    worker: int
    gradebook: str = ""
    error: str = ""
    incidents: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def key(self) -> tuple[str, str]:
        return (self.student, self.assignment)


# --------------------------------------------------------------------------- worker side
def _quiet() -> None:
    warnings.filterwarnings("ignore")  # SQLAlchemy warnings from nbgrader's API


def incidents_in(notebook_path: Path) -> list[tuple[str, str, str]]:
    """(cell, kind, message) of every contained incident in an autograded notebook."""
    from .execution import ERROR_NAMES, NATIVE_INCIDENTS
    from .grading import grade_id, read_notebook

    from .verdicts import INCIDENT_MIME

    found = []
    for index, cell in enumerate(read_notebook(notebook_path).cells):
        for output in cell.get("outputs", []):
            name = output.get("ename") if output.get("output_type") == "error" else None
            kind = ERROR_NAMES.get(name) or NATIVE_INCIDENTS.get(name)
            if kind:
                found.append((grade_id(cell) or f"cell {index}", kind, str(output.get("evalue") or name)[:200]))
            report = output.get("data", {}).get(INCIDENT_MIME) if output.get("output_type") == "display_data" else None
            if isinstance(report, dict):
                found.append((grade_id(cell) or f"cell {index}", str(report.get("kind")), str(report.get("reason"))[:300]))
    return found


def _place_submission(course: Any, job: Job) -> None:
    target = course.submitted_path(job.student, job.assignment)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(job.path, target)
    stamp, target_stamp = Path(job.path).with_name("timestamp.txt"), target.with_name("timestamp.txt")
    if stamp.is_file():
        shutil.copyfile(stamp, target_stamp)
    elif target_stamp.exists():
        target_stamp.unlink()


def grade_job(course: Any, job: Job, worker: int, feedback: bool = True) -> JobResult:
    """Autograde one submission in a worker's course (and write its feedback)."""
    start = time.perf_counter()
    _place_submission(course, job)
    result = course.api.autograde(job.assignment, job.student, force=True, create=True)
    done = JobResult(job.student, job.assignment, bool(result.get("success")), 0.0, worker,
                     gradebook=course.db_url)
    if not done.ok:
        done.error = _tail(result.get("log") or "", 40) + "\n" + _tail(result.get("error") or "")
        done.incidents = [("-", "autograde_failed", failure_reason(done.error))]
    else:
        done.incidents = incidents_in(course.root / "autograded" / job.student / job.assignment
                                      / f"{job.assignment}.ipynb")
        if feedback:
            made = course.api.generate_feedback(job.assignment, job.student, force=True)
            if not made.get("success"):
                done.incidents.append(("-", "feedback_failed", _tail(made.get("error", ""), 1)))
    done.seconds = time.perf_counter() - start
    return done


GENERIC_FAILURES = ("Please see", "There was an error processing", "Removing failed", "NbGraderException")


def failure_reason(log: str) -> str:
    """The most specific error line of a failed nbgrader run (not its generic epilogue)."""
    lines = [line.strip() for line in log.splitlines() if "Error" in line or "error" in line]
    specific = [line for line in lines if not any(g in line for g in GENERIC_FAILURES)]
    return (specific or lines or ["unknown error"])[-1][:300]


def _tail(text: str, lines: int = 15) -> str:
    return "\n".join(str(text).strip().splitlines()[-lines:])


def _redirect_output(path: Path) -> None:
    """Send this worker's and its kernels' stdout/stderr to a log file, not the terminal."""
    path.parent.mkdir(parents=True, exist_ok=True)
    log = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)


def _worker_main(index: int, workdir: str, assignments: list[str], env: dict[str, str],
                 conn: Connection, feedback: bool) -> None:
    """Worker process: build a scratch course, then grade jobs until told to stop."""
    os.environ.update(env)
    _quiet()
    _redirect_output(Path(workdir).with_suffix(".log"))
    try:
        from .grading import ScratchCourse

        course = ScratchCourse(Path(workdir), assignments)
    except Exception:
        conn.send(("fatal", index, traceback.format_exc()))
        return
    conn.send(("ready", index, None))
    while True:
        job = conn.recv()
        if job is None:
            return
        try:
            conn.send(("done", index, grade_job(course, job, index, feedback)))
        except Exception:
            failed = JobResult(job.student, job.assignment, False, 0.0, index, course.db_url,
                               error=traceback.format_exc())
            failed.incidents = [("-", "grader_error", _tail(failed.error, 1))]
            conn.send(("done", index, failed))


# --------------------------------------------------------------------------- parent side
@dataclass
class _Worker:
    index: int
    process: Any
    conn: Connection
    folder: Path
    ready: bool = False
    job: Job | None = None
    started: float = 0.0


class GradingError(RuntimeError):
    """The class could not be graded at all (a configuration problem, not a submission)."""


class WorkerPool:
    """Worker processes fed one job at a time; stuck or dead workers are replaced."""

    def __init__(self, workdir: Path, assignments: list[str], settings: Settings, workers: int) -> None:
        self.workdir, self.assignments, self.settings = workdir, assignments, settings
        self.env = settings.environment(workers)
        self.context = multiprocessing.get_context("spawn")
        self.next_index = 0
        self.workers = [self._spawn() for _ in range(workers)]

    def _spawn(self) -> _Worker:
        index, self.next_index = self.next_index, self.next_index + 1
        folder = self.workdir / f"worker-{index}"
        parent, child = self.context.Pipe()
        process = self.context.Process(
            target=_worker_main, name=f"tlcourse-grader-{index}",
            args=(index, str(folder), self.assignments, self.env, child, self.settings.feedback))
        process.start()
        child.close()
        return _Worker(index, process, parent, folder)

    def run(self, jobs: Iterable[Job], on_result) -> None:  # type: ignore[no-untyped-def]
        """Grade every job, calling ``on_result(JobResult)`` as each finishes."""
        pending = deque(jobs)
        while pending or any(w.job for w in self.workers):
            for worker in self.workers:
                if worker.ready and worker.job is None and pending:
                    worker.job, worker.started = pending.popleft(), time.monotonic()
                    worker.conn.send(worker.job)
            for conn in wait([w.conn for w in self.workers], timeout=1.0):
                self._receive(next(w for w in self.workers if w.conn is conn), on_result)
            self._police(on_result)

    def _receive(self, worker: _Worker, on_result) -> None:  # type: ignore[no-untyped-def]
        try:
            kind, _, payload = worker.conn.recv()
        except (EOFError, OSError):
            self._lost(worker, on_result)
            return
        if kind == "fatal":
            self.close()
            raise GradingError(f"a grading worker could not start:\n{payload}")
        if kind == "ready":
            worker.ready = True
        elif kind == "done":
            worker.job = None
            on_result(payload)

    def _police(self, on_result) -> None:  # type: ignore[no-untyped-def]
        limit = self.settings.hard_limit()
        for worker in list(self.workers):
            if worker.job and time.monotonic() - worker.started > limit:
                self._replace(worker, on_result, "worker_killed",
                              f"no result after {limit:.0f} s: worker and kernels killed")
            elif not worker.process.is_alive() and not worker.conn.poll():
                self._lost(worker, on_result)

    def _lost(self, worker: _Worker, on_result) -> None:  # type: ignore[no-untyped-def]
        """A worker exited: replace it, unless it never started (then nothing would)."""
        if not worker.ready:
            worker.process.join(timeout=5)
            self.close()
            raise GradingError(f"grading worker {worker.index} exited while starting (exit code "
                               f"{worker.process.exitcode}); when calling grade_class from a "
                               "script, guard it with `if __name__ == '__main__':`")
        self._replace(worker, on_result, "worker_died", "the worker process exited")

    def _replace(self, worker: _Worker, on_result, kind: str, message: str) -> None:  # type: ignore[no-untyped-def]
        _kill_tree(worker.process.pid)
        worker.conn.close()
        if worker.job is not None:
            job = worker.job
            failed = JobResult(job.student, job.assignment, False, time.monotonic() - worker.started,
                               worker.index, error=message, incidents=[("-", kind, message)])
            on_result(failed)
        self.workers[self.workers.index(worker)] = self._spawn()

    def close(self) -> None:
        for worker in self.workers:
            try:
                worker.conn.send(None)
            except OSError:
                pass
        deadline = time.monotonic() + 30
        for worker in self.workers:
            worker.process.join(timeout=max(0.1, deadline - time.monotonic()))
            if worker.process.is_alive():
                _kill_tree(worker.process.pid)


def _kill_tree(pid: int | None) -> None:
    """Kill a process and all its descendants (kernels run in their own sessions)."""
    if not pid:
        return
    try:
        root = psutil.Process(pid)
        tree = [*root.children(recursive=True), root]
    except psutil.Error:
        return
    for process in tree:
        try:
            process.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(tree, timeout=10)


def expected_cost(assignment: str, root: Path | None = None) -> float:
    """Seconds one autograde of ``assignment`` is expected to take (for scheduling).

    Measured numbers from ``benchmarks/results.json`` when present, else a guess by the
    syllabus (00-01 are light, 02-06 train models).
    """
    import json

    from .paths import repo_root

    path = (root or repo_root()) / "benchmarks" / "results.json"
    try:
        seconds = json.loads(path.read_text())["notebooks"][assignment]["autograde_s"]
        return float(seconds)
    except (OSError, KeyError, TypeError, ValueError):
        return 10.0 if assignment[:2] in {"00", "01"} else 60.0


def schedule(jobs: list[Job]) -> list[Job]:
    """Longest jobs first (LPT), so that workers finish together."""
    costs = {a: expected_cost(a) for a in {job.assignment for job in jobs}}
    return sorted(jobs, key=lambda job: (-costs[job.assignment], job.assignment, job.student))


def run_jobs(jobs: list[Job], workdir: Path, assignments: list[str], settings: Settings) -> list[JobResult]:
    """Autograde ``jobs`` with parallel workers; results sorted by (student, assignment)."""
    from tqdm import tqdm

    if not jobs:
        return []
    workers = settings.worker_count(len(jobs))
    results: list[JobResult] = []
    bar = tqdm(total=len(jobs), desc=f"grading ({workers} workers)", unit="nb",
               disable=not settings.progress, file=sys.stderr)

    def on_result(result: JobResult) -> None:
        results.append(result)
        bar.update(1)
        bar.set_postfix(failed=sum(not r.ok for r in results),
                        incidents=sum(len(r.incidents) for r in results))

    pool = WorkerPool(workdir, assignments, settings, workers)
    try:
        pool.run(schedule(jobs), on_result)
    finally:
        pool.close()
        bar.close()
    return sorted(results, key=lambda r: r.key)


# --------------------------------------------------------------------------- merging
def target_db_url(out: Path) -> str:
    """``TLCOURSE_DB_URL`` if set (e.g. PostgreSQL), else ``OUT/gradebook.db``."""
    return os.environ.get("TLCOURSE_DB_URL") or f"sqlite:///{out / 'gradebook.db'}"


def merge(results: list[JobResult], db_url: str) -> None:
    """Copy every job's autograde scores into the gradebook at ``db_url`` (Gradebook API).

    Failed jobs score 0 and are flagged for review. Manual scores already in the target
    (entered by graders) are kept. Each submission is one writing unit of
    :class:`tlcourse.gradebook.SharedGradebook`: with PostgreSQL, other grading runs merging
    into the same database at the same time wait for it (advisory lock), and a collision with
    a writer that does not lock is rolled back and merged again, so nothing is lost or
    duplicated.
    """
    from nbgrader.api import Gradebook

    from .gradebook import SharedGradebook

    sources: dict[str, Any] = {}
    try:
        with SharedGradebook(db_url) as target:
            for result in results:
                source = None
                if result.ok:
                    if result.gradebook not in sources:
                        sources[result.gradebook] = Gradebook(result.gradebook)
                    source = sources[result.gradebook]
                target.write(partial(_merge_one, source=source, result=result))
    finally:
        for gradebook in sources.values():
            gradebook.close()


def _merge_one(target: Any, source: Any, result: JobResult) -> None:
    student, assignment = result.student, result.assignment
    target.update_or_create_student(student)
    stamp = source.find_submission(assignment, student).timestamp if source else None
    submission = target.update_or_create_submission(assignment, student, timestamp=stamp)
    for notebook in submission.notebooks:
        origin = source.find_submission_notebook(notebook.name, assignment, student) if source else None
        notebook.flagged = origin is None
        if origin is not None:
            notebook.late_submission_penalty = origin.late_submission_penalty
        scores = {g.name: g for g in origin.grades} if origin else {}
        for grade in notebook.grades:
            copied = scores.get(grade.name)
            grade.auto_score = copied.auto_score if copied else 0.0
            grade.needs_manual_grade = copied.needs_manual_grade if copied else False
        comments = {c.name: c for c in origin.comments} if origin else {}
        for comment in notebook.comments:
            comment.auto_comment = comments[comment.name].auto_comment if comment.name in comments else None
    target.db.commit()


def collect_outputs(results: list[JobResult], work: Path, out: Path) -> None:
    """Copy autograded notebooks and feedback from the workers into ``out``."""
    for result in results:
        for folder in ("autograded", "feedback"):
            target = out / folder / result.student / result.assignment
            if target.exists():
                shutil.rmtree(target)
            source = work / f"worker-{result.worker}" / folder / result.student / result.assignment
            if result.ok and source.is_dir():
                shutil.copytree(source, target)


# --------------------------------------------------------------------------- whole run
@dataclass
class ClassRun:
    """Where a grading run put things, and how it went."""

    out: Path
    db_url: str
    results: list[JobResult]
    skipped: list[str]
    seconds: float
    workers: int
    reports: dict[str, Path] = field(default_factory=dict)
    sandboxed: bool = True
    sandbox_detail: str = ""

    @property
    def throughput(self) -> float:
        """Notebooks graded per minute (wall clock, whole run)."""
        return 60.0 * len(self.results) / self.seconds if self.seconds else 0.0


def _check_out(out: Path) -> Path:
    from .paths import repo_root

    out = Path(out).resolve()
    if out == repo_root().resolve():
        raise GradingError("--out must not be the repository root (its solutions/ would be replaced)")
    return out


def _sandbox_check(settings: Settings) -> str:
    """Stop before grading when the sandbox was asked for and cannot run (no downgrade)."""
    if not settings.sandbox:
        return "not sandboxed: --no-sandbox"
    from . import sandbox

    status = sandbox.status()
    if not status.ok:
        raise GradingError(status.message())
    return f"sandboxed: {status.detail}"


def write_sandbox_report(folder: Path, run: ClassRun) -> Path:
    """``reports/sandbox.txt``: whether this run's submissions ran in the sandbox."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "sandbox.txt"
    if run.sandboxed:
        text = (f"sandbox: yes\n{run.sandbox_detail}\nEvery kernel ran in a bubblewrap sandbox "
                "(tlcourse.sandbox): no network, no view of the course files, an unprivileged user.\n")
    else:
        text = ("sandbox: NO\nThis run used --no-sandbox: submission code ran as the grading user, "
                "with access to its files and network. Grades may have been tampered with.\n")
    path.write_text(text)
    return path


def grade_class(submissions: Path, out: Path, settings: Settings | None = None,
                assignments: list[str] | None = None, regexp: str | None = None,
                keep_work: bool = False) -> ClassRun:
    """Collect, autograde in parallel, merge, copy feedback and write the reports.

    Worker processes are started with ``spawn``: a script that calls this must guard its
    entry point with ``if __name__ == "__main__":``.
    """
    with warnings.catch_warnings():
        _quiet()
        return _grade_class(submissions, out, settings or Settings(), assignments, regexp, keep_work)


def no_submissions_message(submissions: Path, assignments: list[str], skipped: list[str], out: Path) -> str:
    """Why there is nothing to grade, for the instructor (``make grade`` on the wrong folder)."""
    ids = ", ".join(assignments)
    lines = [f"no submissions to grade in {submissions} (assignments: {ids}).",
             "Expected notebooks as submitted/<student>/<id>/<id>.ipynb, <student>_<id>.ipynb "
             "or <student>/<id>.ipynb.",
             f"Nothing was graded and nothing in {out} was changed."]
    if skipped:
        lines.append(f"{len(skipped)} notebooks found but not recognised as submissions:")
        lines += [f"  {line}" for line in skipped[:10]]
        if len(skipped) > 10:
            lines.append(f"  ... and {len(skipped) - 10} more")
    return "\n".join(lines)


def _grade_class(submissions: Path, out: Path, settings: Settings, assignments: list[str] | None,
                 regexp: str | None, keep_work: bool) -> ClassRun:
    from . import reports
    from .gradebook import prepare_course

    out = _check_out(out)
    sandbox_detail = _sandbox_check(settings)
    assignments = assignments or course_assignments()
    start = time.perf_counter()
    jobs, skipped = collect(Path(submissions), assignments, out / "submitted", regexp)
    if not jobs:  # before anything in OUT is touched: earlier reports and gradebook stay
        raise GradingError(no_submissions_message(Path(submissions), assignments, skipped, out))
    used = [a for a in assignments if any(job.assignment == a for job in jobs)]
    work = out / ".work"
    if work.exists():
        shutil.rmtree(work)
    results = run_jobs(jobs, work, used, settings)
    db_url = target_db_url(out)
    if used:
        prepare_course(out, used, db_url)
        merge(results, db_url)
        collect_outputs(results, work, out)
    run = ClassRun(out, db_url, results, skipped, time.perf_counter() - start,
                   settings.worker_count(len(jobs)), sandboxed=settings.sandbox,
                   sandbox_detail=sandbox_detail)
    run.reports = reports.write_all(out / "reports", db_url, used, results)
    run.reports["sandbox"] = write_sandbox_report(out / "reports", run)
    if not keep_work and work.exists():
        shutil.rmtree(work)
    return run
