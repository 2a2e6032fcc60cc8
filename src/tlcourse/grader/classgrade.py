"""Grade a whole class: autograde on a Dask cluster, one merged gradebook, feedback, reports.

``python -m tlcourse grade SUBMISSIONS [--workers N] [--scheduler tcp://HOST:8786] [--out DIR]``

How it works:

1. :func:`tlcourse.grader.submissions.collect` copies every submission into ``OUT/submitted/``.
2. The target gradebook is prepared (``TLCOURSE_DB_URL``, e.g. PostgreSQL for many graders
   merging at once (:mod:`tlcourse.grader.gradebook`), or ``OUT/gradebook.db``). Submissions that
   were graded before with the same content and the same grading version (course
   fingerprint and settings: :mod:`tlcourse.grader.resume`) are not graded again: rerunning a
   command whose client was killed resumes it.
3. Every other submission is one job on Dask (:mod:`tlcourse.grader.cluster`): a ``LocalCluster``
   with ``N`` worker processes (default: the number of cores, one thread each) or an
   existing cluster (``--scheduler``/``TLCOURSE_SCHEDULER``) whose workers hold the same
   course version (checked before any job is submitted). Jobs are sent longest first.
   A job is data in and data out (:mod:`tlcourse.grader.gradejob`): the notebook's bytes go to the
   worker, which grades it in a child process of its own and returns scores, incidents, the
   autograded notebook and the feedback HTML (hidden tests removed by ``grader_config``).
4. Containment, innermost first: per-cell CPU-time limit, kernel restart and per-kernel
   memory limit (``tlcourse.grader.execution.ContainedExecute``, configured in
   ``grader_config.py``), per-notebook time limit, and a hard per-job limit on the worker
   that kills the job's process with its kernels and scores that submission 0. A worker that
   dies mid-job: Dask runs its jobs on another worker.
5. As each result arrives the client writes its notebook and feedback into ``OUT`` (an
   nbgrader course folder: ``nbgrader formgrader`` works there), merges its scores through
   nbgrader's Gradebook API (``update_or_create_*``: merging twice creates no duplicates;
   manual scores entered by graders are kept) and records its content hash and version.
6. Reports in ``OUT/reports/``: ``grades.csv``, ``exercises.csv``, ``exercises.png`` and
   ``incidents.csv`` (:mod:`tlcourse.grader.reports`), and ``sandbox.txt``: whether the
   submissions ran in the sandbox.

Every kernel runs in a bubblewrap sandbox (:mod:`tlcourse.grader.sandbox`). Where it cannot run,
grading stops before the first job with :class:`GradingError` explaining the risk, unless
``Settings.sandbox`` is False (``--no-sandbox``); that run is then recorded as not
sandboxed in ``sandbox.txt`` and in the summary.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
import uuid
import warnings
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Callable, Iterable

import psutil

from tlcourse.grader.limits import GradingLimits
from tlcourse.grader.submissions import Job, collect

#: Extra seconds beyond the notebook time limit before a job's process is killed.


# --------------------------------------------------------------------------- course
def course_assignments(root: Path | None = None) -> list[str]:
    """``grader_config.ASSIGNMENTS`` that exist in ``solutions/``, in syllabus order."""
    import runpy

    from traitlets.config import Config

    from tlcourse.paths import repo_root

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
    scheduler: str | None = None  # tcp://HOST:8786 of an existing Dask cluster (else TLCOURSE_SCHEDULER, else local)
    dashboard: str | None = None  # the local cluster's dashboard address (default: a free port)
    resume: bool = True  # False (--regrade): grade again what was already graded

    def worker_count(self, jobs: int) -> int:
        return max(1, min(self.workers or cpu_count(), max(jobs, 1)))

    def limits(self) -> GradingLimits:
        """This run's limits: the defaults, then this machine's environment, then the options."""
        return GradingLimits.from_env().with_overrides(
            cell_s=self.cell_timeout, notebook_s=self.notebook_timeout, memory_mb=self.memory_limit_mb)

    def environment(self, workers: int) -> dict[str, str]:
        env = self.limits().to_env()  # explicit: a worker never falls back on its own environment
        threads = self.threads_per_kernel or max(1, cpu_count() // workers)
        env.update(TF_NUM_INTRAOP_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
        env["TLCOURSE_SANDBOX"] = "1" if self.sandbox else "0"  # explicit: never inherited
        return env

    def hard_limit(self) -> float:
        return self.job_limit_s or self.limits().hard_limit_s()


@dataclass
class JobResult:
    """What happened to one job, with its scores as data (``record``) and its output files.

    ``gradebook`` instead of ``record``: the URL of a gradebook that holds the scores.
    """

    student: str
    assignment: str
    ok: bool
    seconds: float
    worker: int | str
    gradebook: str = ""
    error: str = ""
    incidents: list[tuple[str, str, str]] = field(default_factory=list)
    record: dict[str, Any] | None = None
    files: dict[str, bytes] = field(default_factory=dict, repr=False)
    content_hash: str = ""
    resumed: bool = False  # graded by an earlier run (same content and version)

    @property
    def key(self) -> tuple[str, str]:
        return (self.student, self.assignment)


# --------------------------------------------------------------------------- one submission
def _quiet() -> None:
    warnings.filterwarnings("ignore")  # SQLAlchemy warnings from nbgrader's API


def incidents_in(notebook_path: Path) -> list[tuple[str, str, str]]:
    """(cell, kind, message) of every contained incident in an autograded notebook."""
    from tlcourse.grader.execution import ERROR_NAMES, NATIVE_INCIDENTS
    from tlcourse.grader.grading import grade_id, read_notebook

    from tlcourse.grader.verdicts import INCIDENT_MIME

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


def autograde_submission(course: Any, student: str, assignment: str,
                         feedback: bool = True) -> tuple[bool, str, list[tuple[str, str, str]]]:
    """Autograde one placed submission in ``course`` (and write its feedback).

    Returns (ok, error text, incidents). Runs in a job's child process on a worker
    (:mod:`tlcourse.grader.gradejob`).
    """
    result = course.api.autograde(assignment, student, force=True, create=True)
    if not result.get("success"):
        error = _tail(result.get("log") or "", 40) + "\n" + _tail(result.get("error") or "")
        return False, error, [("-", "autograde_failed", failure_reason(error))]
    incidents = incidents_in(course.root / "autograded" / student / assignment / f"{assignment}.ipynb")
    if feedback:
        made = course.api.generate_feedback(assignment, student, force=True)
        if not made.get("success"):
            incidents.append(("-", "feedback_failed", _tail(made.get("error", ""), 1)))
    return True, "", incidents


GENERIC_FAILURES = ("Please see", "There was an error processing", "Removing failed", "NbGraderException")


def failure_reason(log: str) -> str:
    """The most specific error line of a failed nbgrader run (not its generic epilogue)."""
    lines = [line.strip() for line in log.splitlines() if "Error" in line or "error" in line]
    specific = [line for line in lines if not any(g in line for g in GENERIC_FAILURES)]
    return (specific or lines or ["unknown error"])[-1][:300]


def _tail(text: str, lines: int = 15) -> str:
    return "\n".join(str(text).strip().splitlines()[-lines:])


class GradingError(RuntimeError):
    """The class could not be graded at all (a configuration problem, not a submission)."""


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

    from tlcourse.paths import repo_root

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


def job_spec(job: Job, assignments: list[str], settings: Settings, env: dict[str, str],
             course_version: str) -> Any:
    """The data a worker needs to grade ``job`` (the notebook's bytes, not its path)."""
    from tlcourse.grader.gradejob import JobSpec

    return JobSpec(job.student, job.assignment, Path(job.path).read_bytes(), _stamp_of(job),
                   assignments, course_version, env, settings.feedback, settings.hard_limit())


def _stamp_of(job: Job) -> str | None:
    stamp = Path(job.path).with_name("timestamp.txt")
    return stamp.read_text() if stamp.is_file() else None


def content_hash(job: Job) -> str:
    """The submission's identity for resuming: notebook bytes and timestamp."""
    from tlcourse.grader.courseversion import content_hash as digest

    return digest(Path(job.path).read_bytes(), _stamp_of(job))


def grading_version(settings: Settings, course_version: str | None = None) -> str:
    """Course fingerprint plus every setting that can change a grade (for resuming)."""
    import hashlib
    import json

    from tlcourse.grader.courseversion import fingerprint

    env = settings.environment(1)
    decisive = {k: v for k, v in env.items() if k.startswith("TLCOURSE_")}
    decisive.update(feedback=str(settings.feedback), hard_limit=str(settings.hard_limit()))
    text = (course_version or fingerprint()) + json.dumps(decisive, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def run_jobs(jobs: list[Job], workdir: Path, assignments: list[str], settings: Settings,
             on_result: Callable[[JobResult], None] | None = None) -> list[JobResult]:
    """Autograde ``jobs`` on the Dask cluster; ``on_result`` sees each result as it arrives.

    Results are sorted by (student, assignment). A job whose worker died is run again
    elsewhere by Dask; one that killed workers too often (Dask's ``allowed-failures``)
    scores 0 with a ``worker_died`` incident.
    """
    from tqdm import tqdm

    from tlcourse.grader import cluster
    from tlcourse.grader.courseversion import fingerprint
    from tlcourse.grader.gradejob import run_job

    if not jobs:
        return []
    address = cluster.scheduler_address(settings.scheduler)
    workers = settings.worker_count(len(jobs))
    workdir.mkdir(parents=True, exist_ok=True)
    version = fingerprint()
    results: dict[tuple[str, str], JobResult] = {}
    with cluster.connect(address, workers, settings.dashboard, str(workdir)) as client:
        cluster.announce(cluster.describe(client, address), quiet=not settings.progress)
        cluster.check_workers(client, version, settings.sandbox)
        count = len(client.scheduler_info().get("workers", {})) or workers
        env = settings.environment(count if not address else max(count, cpu_count()))
        ordered = schedule(jobs)
        specs = {job.key: job_spec(job, assignments, settings, env, version) for job in ordered}
        futures = {client.submit(run_job, specs[job.key], key=_task_key(job), pure=False, retries=1,
                                 priority=len(ordered) - index): job
                   for index, job in enumerate(ordered)}
        bar = tqdm(total=len(jobs), desc=f"grading ({count} workers)", unit="nb",
                   disable=not settings.progress, file=sys.stderr)
        try:
            for future in _as_completed(futures):
                result = _result_of(future, futures[future], content_hash(futures[future]))
                results[result.key] = result  # keyed: a result seen twice is kept once
                future.release()  # the cluster may forget it: its data are here now
                if on_result is not None:
                    on_result(result)
                    result.files = {}  # written by on_result: no need to hold every class file in memory
                bar.update(1)
                bar.set_postfix(failed=sum(not r.ok for r in results.values()),
                                incidents=sum(len(r.incidents) for r in results.values()))
        except BaseException:
            client.cancel(list(futures))
            raise
        finally:
            bar.close()
    return sorted(results.values(), key=lambda r: r.key)


def _task_key(job: Job) -> str:
    """A readable, unique Dask key (the dashboard shows it)."""
    return f"grade-{job.assignment}-{job.student}-{uuid.uuid4().hex[:8]}"


def _as_completed(futures: dict) -> Iterable[Any]:  # type: ignore[type-arg]
    from distributed import as_completed

    return as_completed(list(futures))


def _result_of(future: Any, job: Job, digest: str) -> JobResult:
    """A finished future as a JobResult; configuration errors stop the whole run."""
    from tlcourse.grader.gradejob import CourseVersionError, WorkerSetupError

    try:
        data = future.result()
    except (CourseVersionError, WorkerSetupError) as error:
        raise GradingError(str(error)) from error
    except Exception as error:  # e.g. KilledWorker: the job killed its worker too often
        message = f"{type(error).__name__}: {error}"[:300]
        return JobResult(job.student, job.assignment, False, 0.0, "-", error=message,
                         incidents=[("-", "worker_died", message)], content_hash=digest)
    return JobResult(data["student"], data["assignment"], bool(data["ok"]), float(data["seconds"]),
                     data["worker"], error=data.get("error") or "",
                     incidents=[tuple(i) for i in data["incidents"]], record=data.get("record"),
                     files=data.get("files") or {}, content_hash=digest)


# --------------------------------------------------------------------------- merging
def target_db_url(out: Path) -> str:
    """``TLCOURSE_DB_URL`` if set (e.g. PostgreSQL), else ``OUT/gradebook.db``."""
    return os.environ.get("TLCOURSE_DB_URL") or f"sqlite:///{out / 'gradebook.db'}"


def merge(results: list[JobResult], db_url: str) -> None:
    """Copy every job's autograde scores into the gradebook at ``db_url`` (Gradebook API).

    A result carries its scores as data (``record``, from a worker) or names the gradebook
    that holds them (``gradebook``). Failed jobs score 0 and are flagged for review. Manual
    scores already in the target (entered by graders) are kept. Merging is idempotent:
    merging a result twice (a job Dask ran twice) leaves one grade. Each submission is one
    writing unit of :class:`tlcourse.grader.gradebook.SharedGradebook`: with PostgreSQL, other
    grading runs merging into the same database at the same time wait for it (advisory
    lock), and a collision with a writer that does not lock is rolled back and merged again,
    so nothing is lost or duplicated.
    """
    from nbgrader.api import Gradebook

    from tlcourse.grader.gradebook import SharedGradebook

    sources: dict[str, Any] = {}
    try:
        with SharedGradebook(db_url) as target:
            for result in results:
                source = None
                if result.ok and result.record is None and result.gradebook:
                    if result.gradebook not in sources:
                        sources[result.gradebook] = Gradebook(result.gradebook)
                    source = sources[result.gradebook]
                target.write(partial(_merge_one, source=source, result=result))
    finally:
        for gradebook in sources.values():
            gradebook.close()


def _merge_one(target: Any, source: Any, result: JobResult) -> None:
    from datetime import datetime

    from tlcourse.grader.gradejob import record_of

    student, assignment = result.student, result.assignment
    record = result.record if result.ok else None
    if record is None and result.ok and source is not None:
        record = record_of(source, student, assignment)
    target.update_or_create_student(student)
    stamp = datetime.fromisoformat(record["timestamp"]) if record and record["timestamp"] else None
    submission = target.update_or_create_submission(assignment, student, timestamp=stamp)
    for notebook in submission.notebooks:
        origin = record["notebooks"].get(notebook.name) if record else None
        notebook.flagged = origin is None
        if origin is not None:
            notebook.late_submission_penalty = origin["late_submission_penalty"]
        scores = origin["grades"] if origin else {}
        for grade in notebook.grades:
            auto, manual = scores.get(grade.name, (0.0, False))
            grade.auto_score, grade.needs_manual_grade = auto, manual
        comments = origin["comments"] if origin else {}
        for comment in notebook.comments:
            comment.auto_comment = comments.get(comment.name)
    target.db.commit()


def write_outputs(result: JobResult, out: Path) -> None:
    """Put a result's autograded notebook and feedback into ``out`` (none for a failed job)."""
    for folder in ("autograded", "feedback"):
        target = out / folder / result.student / result.assignment
        if target.exists():
            shutil.rmtree(target)
    for name, data in (result.files.items() if result.ok else ()):
        path = out / name
        if path.resolve().is_relative_to(out.resolve()) and not path.is_symlink():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)


def store(target: Any, result: JobResult, out: Path, version: str) -> None:
    """Everything one finished job leaves: outputs, grade, then its resume row (last)."""
    from tlcourse.grader import resume

    write_outputs(result, out)
    target.write(partial(_merge_one, source=None, result=result))
    if result.content_hash:
        target.write(lambda gb: resume.save(gb.db, result.student, result.assignment, result.content_hash,
                                            version, result.ok, result.seconds, result.incidents))


def already_graded(jobs: list[Job], db_url: str, version: str, out: Path) -> tuple[list[JobResult], list[Job]]:
    """(results of jobs graded before with the same content and version, jobs left to grade).

    Only successful grades are kept (a failed job is graded again: its failure may have been
    the machine's), and only when their autograded notebook is in ``out``.
    """
    from tlcourse.grader import resume

    rows = resume.load(db_url)
    done, todo = [], []
    for job in jobs:
        row = rows.get(job.key)
        notebook = out / "autograded" / job.student / job.assignment / f"{job.assignment}.ipynb"
        if row and row.ok and row.version == version and row.content_hash == content_hash(job) \
                and notebook.is_file():
            done.append(JobResult(job.student, job.assignment, True, row.seconds, "resumed",
                                  incidents=list(row.incidents), content_hash=row.content_hash,
                                  resumed=True))
        else:
            todo.append(job)
    return done, todo


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
    resumed: int = 0  # submissions graded by an earlier run and not graded again

    @property
    def throughput(self) -> float:
        """Notebooks graded per minute (wall clock, whole run)."""
        return 60.0 * len(self.results) / self.seconds if self.seconds else 0.0


def _check_out(out: Path) -> Path:
    from tlcourse.paths import repo_root

    out = Path(out).resolve()
    if out == repo_root().resolve():
        raise GradingError("--out must not be the repository root (its solutions/ would be replaced)")
    return out


def _sandbox_check(settings: Settings) -> str:
    """Stop before grading when the sandbox was asked for and cannot run (no downgrade)."""
    if not settings.sandbox:
        return "not sandboxed: --no-sandbox"
    from tlcourse.grader import sandbox

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
                "(tlcourse.grader.sandbox): no network, no view of the course files, an unprivileged user.\n")
    else:
        text = ("sandbox: NO\nThis run used --no-sandbox: submission code ran as the grading user, "
                "with access to its files and network. Grades may have been tampered with.\n")
    path.write_text(text)
    return path


def grade_class(submissions: Path, out: Path, settings: Settings | None = None,
                assignments: list[str] | None = None, regexp: str | None = None,
                keep_work: bool = False) -> ClassRun:
    """Collect, autograde on Dask, merge, write feedback and the reports.

    The local cluster's worker processes are started with ``spawn``: a script that calls
    this must guard its entry point with ``if __name__ == "__main__":``.
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


def clear_scratch(work: Path) -> None:
    """Remove the scratch folder ``work`` left by earlier runs, never failing on it.

    A run that was killed can leave grading processes that still write there for a moment
    (each stops once it sees its worker gone). The folder is renamed aside first, so this
    run starts on an empty one; what cannot be removed yet is removed by a later run.
    """
    stale = sorted(work.parent.glob(f"{work.name}-old-*"))
    if work.exists():
        stale.append(work.rename(work.with_name(f"{work.name}-old-{uuid.uuid4().hex[:8]}")))
    for folder in stale:
        shutil.rmtree(folder, ignore_errors=True)


def _grade_class(submissions: Path, out: Path, settings: Settings, assignments: list[str] | None,
                 regexp: str | None, keep_work: bool) -> ClassRun:
    from tlcourse.grader import reports
    from tlcourse.grader.gradebook import SharedGradebook, prepare_course

    out = _check_out(out)
    sandbox_detail = _sandbox_check(settings)
    assignments = assignments or course_assignments()
    start = time.perf_counter()
    jobs, skipped = collect(Path(submissions), assignments, out / "submitted", regexp)
    if not jobs:  # before anything in OUT is touched: earlier reports and gradebook stay
        raise GradingError(no_submissions_message(Path(submissions), assignments, skipped, out))
    used = [a for a in assignments if any(job.assignment == a for job in jobs)]
    db_url = target_db_url(out)
    prepare_course(out, used, db_url)
    version = grading_version(settings)
    done, todo = already_graded(jobs, db_url, version, out) if settings.resume else ([], jobs)
    work = out / ".work"
    clear_scratch(work)
    with SharedGradebook(db_url) as target:
        graded = run_jobs(todo, work, used, settings, on_result=partial(store, target, out=out, version=version))
    results = sorted(done + graded, key=lambda r: r.key)
    run = ClassRun(out, db_url, results, skipped, time.perf_counter() - start,
                   settings.worker_count(len(todo)), sandboxed=settings.sandbox,
                   sandbox_detail=sandbox_detail, resumed=len(done))
    run.reports = reports.write_all(out / "reports", db_url, used, results)
    run.reports["sandbox"] = write_sandbox_report(out / "reports", run)
    if not keep_work:
        clear_scratch(work)
    return run
