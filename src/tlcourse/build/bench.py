"""Benchmarks the README quotes: ``python -m tlcourse bench`` -> ``benchmarks/results.{md,json}``.

0. The machine's speed: a fixed reference workload (a small Keras CNN trained on fixed data,
   in a fresh process), median of 3, so figures from different machines can be compared.
1. Each solution notebook executed top to bottom (nbclient): seconds, the slowest graded
   cell, and peak kernel RSS, each beside its budget (:data:`BUDGETS`).
2. Each solution autograded as a submission (nbgrader, scratch course): seconds, and the
   overhead over plain execution (budget: execution + 10 s). Parts 1 and 2 run as
   :data:`NOTEBOOK_REPEATS` pairs per notebook, in alternating order, and report medians: one
   pair's overhead moves by several seconds from run to run.
3. Class-grading throughput: N synthetic students (:mod:`tlcourse.build.synthetic`) across the
   assignments, three of them misbehaving in 00_entorno (endless loop, memory hog, kernel
   killer), graded by :func:`tlcourse.grader.classgrade.grade_class` with 1 and with 2 workers of
   the local Dask cluster, and with 2 ``dask worker`` processes through a separate ``dask
   scheduler`` (all on this machine). Also checks that every run gives identical grades and
   that each misbehaving student lost exactly the affected exercise, and projects the
   wall time of 300 students × 7 notebooks on N machines from the measured per-notebook
   costs (:func:`projection`).
4. Sandbox start-up (:func:`sandbox_startup`): seconds until a kernel answers, started
   with and without the bubblewrap sandbox (median of 5 each; budget: +0.5 s).
5. The transfer-learning table (scratch CNN, frozen backbone, fine-tuned; k = 5, 20, 100
   per class) computed by :mod:`tlcourse.build.transfer_baselines` and :func:`tlcourse.build.curves_sweep.fine_tuned`.

The machine's load average is recorded before and after each part: numbers measured while
other processes compete for the cores are slower and the speed-up of 2 workers smaller.

Speed goals live here, never in the tests: ``make test`` must pass on any machine of the
kind, however slow or busy; ``make bench`` says which figure is over its budget.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Self

import psutil

from tlcourse.grader import grading

#: The course's speed and memory budgets (2-core CPU, no GPU), defined once. Seconds are
#: wall clock on an idle machine of the slowest kind the course supports.
BUDGETS = {
    "notebook_s": 60,          # one solution notebook, top to bottom
    "graded_cell_s": 15,       # one graded (test) cell
    "course_s": 360,           # the seven notebooks one after the other
    "autograde_overhead_s": 10,  # autograding a solution beyond its plain execution
    "kernel_memory_mb": 3072,  # peak resident memory of one notebook's kernel
}
REFERENCE_REPEATS = 3
TRANSFER_KS = (5, 20, 100)
BAD_STUDENTS = {"alumno17": ("loop", "ej3"), "alumno18": ("memory", "ej2"), "alumno19": ("kill", "ej1")}
BAD_ASSIGNMENT = "00_entorno"


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def machine() -> dict[str, Any]:
    from importlib import metadata

    return {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
            "tensorflow": metadata.version("tensorflow"), "nbgrader": metadata.version("nbgrader"),
            "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
            "date_utc": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}


class Poller:
    """Calls :meth:`sample` every ``every_s`` seconds in a thread while the ``with`` block runs.

    Subclasses say what one sample is (:class:`PeakRSS`, :class:`tlcourse.build.loaded.LoadSampler`).
    """

    every_s = 0.2

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def sample(self) -> None:
        """Take one sample (called from the polling thread)."""
        raise NotImplementedError

    def _poll(self) -> None:
        while not self._stop.wait(self.every_s):
            self.sample()

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


class PeakRSS(Poller):
    """Peak resident memory of this process's new descendants (the kernel), polled."""

    def __init__(self) -> None:
        super().__init__()
        self.peak_mb = 0.0
        self._known = {p.pid for p in psutil.Process().children(recursive=True)}

    def sample(self) -> None:
        """Add up the resident memory of every descendant started since ``__init__``."""
        total = 0
        for child in psutil.Process().children(recursive=True):
            if child.pid not in self._known:
                try:
                    total += child.memory_info().rss
                except psutil.Error:
                    pass
        self.peak_mb = max(self.peak_mb, total / 2**20)


# --------------------------------------------------------------------------- machine speed
#: The reference workload, run in a fresh interpreter: TensorFlow's import is not timed;
#: a fixed small CNN (the kind of work the notebooks do) trains on fixed random data.
REFERENCE_CODE = """
import time, tlcourse
tlcourse.setup(0)
import numpy as np, tensorflow as tf
x = np.random.default_rng(0).random((512, 32, 32, 3), dtype=np.float32)
y = np.arange(512) % 5
model = tf.keras.Sequential([tf.keras.Input((32, 32, 3)),
    tf.keras.layers.Conv2D(32, 3, activation="relu"), tf.keras.layers.MaxPooling2D(),
    tf.keras.layers.Conv2D(64, 3, activation="relu"), tf.keras.layers.GlobalAveragePooling2D(),
    tf.keras.layers.Dense(5, activation="softmax")])
model.compile("adam", "sparse_categorical_crossentropy")
start = time.perf_counter()
model.fit(x, y, epochs=6, batch_size=32, verbose=0)
model.predict(x, verbose=0)
print(time.perf_counter() - start)
"""


def reference_workload(repeats: int = REFERENCE_REPEATS) -> dict[str, Any]:
    """Seconds of :data:`REFERENCE_CODE` (median of ``repeats`` fresh processes).

    The same code on another machine gives its speed relative to this one: divide any time
    of this report by ``seconds`` to compare machines.
    """
    import subprocess
    import sys

    runs = []
    for _ in range(repeats):
        done = subprocess.run([sys.executable, "-c", REFERENCE_CODE], capture_output=True,
                              text=True, check=True, timeout=600)
        runs.append(float(done.stdout.strip().splitlines()[-1]))
    print(f"bench reference workload: {statistics.median(runs):.2f} s (runs {runs})", flush=True)
    return {"seconds": round(statistics.median(runs), 2), "runs": [round(r, 2) for r in runs]}


# --------------------------------------------------------------------------- notebooks
def cell_seconds(cell: Any) -> float | None:
    """Seconds a cell took, from the timestamps nbclient records in its metadata."""
    from datetime import datetime

    timing = cell.get("metadata", {}).get("execution", {})
    start, end = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
    if not (start and end):
        return None
    parse = lambda stamp: datetime.fromisoformat(stamp.replace("Z", "+00:00"))  # noqa: E731
    return (parse(end) - parse(start)).total_seconds()


def slowest_graded_cell(notebook: Any) -> tuple[str, float]:
    """``(grade_id, seconds)`` of the slowest graded test cell (``("", 0.0)`` if none)."""
    graded = [(grading.grade_id(cell) or "", cell_seconds(cell) or 0.0) for cell in notebook.cells
              if cell.get("metadata", {}).get("nbgrader", {}).get("grade") and cell.cell_type == "code"]
    return max(graded, key=lambda item: item[1], default=("", 0.0))


def execute(path: Path, timeout: int = 600) -> tuple[float, list[str], Any]:
    """Run a notebook top to bottom (errors allowed): seconds, ``cell: ename`` of failures,
    and the executed notebook (its cells carry nbclient's timestamps)."""
    from nbclient import NotebookClient

    notebook = grading.read_notebook(path)
    client = NotebookClient(notebook, timeout=timeout, kernel_name="python3", allow_errors=True,
                            record_timing=True, resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    failing = [f"{grading.grade_id(cell) or index}: {output.ename}"
               for index, cell in enumerate(notebook.cells) for output in cell.get("outputs", [])
               if output.get("output_type") == "error"]
    return seconds, failing, notebook


#: Interleaved execute/autograde pairs per notebook: one pair moves by several seconds from run to run.
NOTEBOOK_REPEATS = 3


def _time_once(assignment: str, course: Any, student: str, autograde_first: bool = False) -> dict[str, Any]:
    """One plain execution of the solution and one autograde of it as ``student``, in either
    order (alternating the order cancels a machine that speeds up or slows down steadily)."""
    def run_plain() -> tuple[float, list[str], Any, float]:
        with PeakRSS() as peak:
            seconds, failing, executed = execute(grading.source_path(assignment))
        return seconds, failing, executed, peak.peak_mb

    def run_autograde() -> tuple[float, Any]:
        course.submit(student, assignment, grading.submission(assignment))
        start = time.perf_counter()
        scores = course.autograde(student, assignment)
        return time.perf_counter() - start, scores

    if autograde_first:
        autograde_s, scores = run_autograde()
        execute_s, failing, executed, peak_mb = run_plain()
    else:
        execute_s, failing, executed, peak_mb = run_plain()
        autograde_s, scores = run_autograde()
    cell, cell_s = slowest_graded_cell(executed)
    judge_s, judge_cpu_s = _judge_seconds(course.root / "autograded" / student / assignment)
    return {"execute_s": execute_s, "autograde_s": autograde_s, "overhead_s": autograde_s - execute_s,
            "peak_rss_mb": peak_mb, "slowest_graded_cell": cell, "slowest_graded_cell_s": cell_s,
            "judge_s": judge_s, "judge_cpu_s": judge_cpu_s, "failing_cells": failing,
            "solution_lost": sorted(g for g, s in scores.items() if not s.full and not g.startswith("manual")),
            "autograde_first": autograde_first}


def summarise_runs(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """One notebook's row from its repeated runs: medians of the times (the overhead is the
    median of each pair's difference), the largest peak memory and slowest graded cell, and
    every cell that lost points or failed in any run."""
    def median_of(key: str, digits: int = 1) -> float | None:
        values = [r[key] for r in runs if r.get(key) is not None]
        return round(statistics.median(values), digits) if values else None

    slowest = max(runs, key=lambda r: r["slowest_graded_cell_s"])
    return {
        "execute_s": median_of("execute_s"), "autograde_s": median_of("autograde_s"),
        "overhead_s": median_of("overhead_s"), "peak_rss_mb": round(max(r["peak_rss_mb"] for r in runs)),
        "slowest_graded_cell": slowest["slowest_graded_cell"],
        "slowest_graded_cell_s": round(slowest["slowest_graded_cell_s"], 1),
        "judge_s": median_of("judge_s", 2), "judge_cpu_s": median_of("judge_cpu_s", 2),
        "solution_lost": sorted({g for r in runs for g in r["solution_lost"]}),
        "failing_cells": sorted({c for r in runs for c in r["failing_cells"]}),
        "repeats": len(runs),
        "runs": [{k: (round(v, 2) if isinstance(v, float) else v) for k, v in r.items()
                  if k in ("execute_s", "autograde_s", "overhead_s", "judge_cpu_s", "autograde_first")}
                 for r in runs],
    }


def time_notebooks(assignments: list[str], workdir: Path,
                   repeats: int = NOTEBOOK_REPEATS) -> dict[str, dict[str, Any]]:
    """Execution and autograde seconds (and peak kernel memory) of each solution: ``repeats``
    interleaved pairs per notebook, summarised by :func:`summarise_runs`."""
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, not {repeats}")
    course = grading.ScratchCourse(workdir / "course", assignments)
    results = {}
    for assignment in assignments:
        load = _load()
        runs = [_time_once(assignment, course, f"bench{i}", autograde_first=i % 2 == 1) for i in range(repeats)]
        results[assignment] = summarise_runs(runs) | {"load_before": load}
        r = results[assignment]
        print(f"bench {assignment}: execute {r['execute_s']} s, autograde {r['autograde_s']} s, overhead "
              f"{r['overhead_s']} s (medians of {repeats}), slowest graded cell {r['slowest_graded_cell']} "
              f"{r['slowest_graded_cell_s']} s, peak {r['peak_rss_mb']} MB", flush=True)
    return results


def _judge_seconds(folder: Path) -> tuple[float | None, float | None]:
    """Seconds the grader waited for the judge once the notebook had run, and the judge's CPU
    seconds, on an autograded submission (None: no judge for it; CPU None: a verdict file
    written before the judge's CPU time was recorded)."""
    from tlcourse.grader.verdicts import EVIDENCE_DIR, VERDICTS_FILE

    try:
        result = json.loads((folder / EVIDENCE_DIR / VERDICTS_FILE).read_text())
        wall = float(result["judge_s"])
    except (OSError, KeyError, ValueError, TypeError):
        return None, None
    cpu = result.get("judge_cpu_s")
    return wall, float(cpu) if isinstance(cpu, (int, float)) else None


# --------------------------------------------------------------------------- class
def read_grades(path: Path) -> list[dict[str, str]]:
    """The rows of a class run's ``grades.csv``."""
    import csv

    with path.open() as handle:
        return list(csv.DictReader(handle))


def _bad_checks(rows: list[dict[str, str]]) -> dict[str, bool]:
    """Each misbehaving student lost exactly the affected exercise of BAD_ASSIGNMENT."""
    from tlcourse.build.synthetic import exercises

    checks = {}
    names = exercises(BAD_ASSIGNMENT)
    for student, (kind, lost) in BAD_STUDENTS.items():
        row = next((r for r in rows if r["student"] == student and r["assignment"] == BAD_ASSIGNMENT), None)
        solution = {e: s.max_score for e, s in solution_points(BAD_ASSIGNMENT).items()}
        checks[f"{kind}: loses only {lost}"] = row is not None and all(
            float(row[e]) == (0.0 if e == lost else solution[e]) for e in names)
    return checks


def solution_points(assignment: str) -> dict[str, Any]:
    """Points of each exercise of ``assignment`` (autograded cells only), with its maximum."""
    source = grading.read_notebook(grading.source_path(assignment))
    scores = {gid: grading.Score(float(cell.metadata["nbgrader"]["points"]), float(cell.metadata["nbgrader"]["points"]))
              for gid, cell in grading.cells_by_id(source).items()
              if cell.metadata["nbgrader"].get("grade") and not cell.metadata["nbgrader"].get("solution")}
    return grading.by_exercise(scores)


#: What the projection answers: a cohort of 300 students, each notebook of the course.
PROJECTION_STUDENTS = 300
PROJECTION_MACHINES = (1, 2, 4, 8, 16)


def busy_cpu_s() -> float:
    """CPU seconds the machine's cores have spent busy since boot: user, nice, system and
    interrupts; not idle, I/O wait, time stolen by the hypervisor, or guests (already in user)."""
    times = psutil.cpu_times()
    return sum(getattr(times, field, 0.0) for field in ("user", "nice", "system", "irq", "softirq"))


def _run_row(run: Any, load: list[float], busy_s: float) -> dict[str, Any]:
    """One class run: wall time, throughput, and ``cores_busy``, the mean number of cores the
    machine kept busy (``busy_s`` / wall: the grading's own use when the bench runs alone)."""
    return {"wall_s": round(run.seconds, 1), "notebooks": len(run.results),
            "cores_busy": round(busy_s / run.seconds, 2) if run.seconds else None,
            "throughput_per_min": round(run.throughput, 2),
            "sum_job_s": round(sum(r.seconds for r in run.results), 1),
            "failed": sum(not r.ok for r in run.results),
            "incidents": sum(len(r.incidents) for r in run.results),
            "load_before": load, "load_after": _load()}


def class_throughput(assignments: list[str], students: int, workers: list[int], workdir: Path,
                     cell_timeout: int | None = None, external: int = 2) -> dict[str, Any]:
    """Grade the same synthetic class with each local worker count and through an external
    scheduler with ``external`` workers (0: not); compare time and grades; project."""
    from tlcourse.grader.classgrade import Settings, grade_class
    from tlcourse.build.synthetic import write_class

    folder = workdir / "class"
    bad = {s: (BAD_ASSIGNMENT, kind, ex) for s, (kind, ex) in BAD_STUDENTS.items()
           if BAD_ASSIGNMENT in assignments and int(s[-2:]) < students}
    write_class(folder, assignments, students, bad)
    runs, tables, costs = {}, {}, {}
    plans = [(str(count), count, None) for count in workers]
    if external:
        plans.append((f"{external} external", external, "external"))
    for name, count, kind in plans:
        load, busy = _load(), busy_cpu_s()
        settings = Settings(workers=count, cell_timeout=cell_timeout)
        if kind == "external":
            with external_cluster(count, workdir / "external") as address:
                settings.scheduler = address
                run = grade_class(folder, workdir / f"out-{name}", settings)
        else:
            run = grade_class(folder, workdir / f"out-{name}", settings)
        tables[name] = read_grades(run.reports["grades"])
        runs[name] = _run_row(run, load, busy_cpu_s() - busy)
        if not costs:
            costs = per_notebook_costs(run.results)
        print(f"bench class: {name} worker(s): {run.seconds:.0f} s, {run.throughput:.2f} notebooks/min",
              flush=True)
    first = tables[plans[0][0]]
    result: dict[str, Any] = {"students": students, "assignments": assignments, "runs": runs,
                              "cores": os.cpu_count(),
                              "identical_grades": all(t == first for t in tables.values()),
                              "misbehaving": {s: f"{a}/{k} in {e}" for s, (a, k, e) in bad.items()}}
    if bad:
        result["misbehaving_checks"] = _bad_checks(first)
    if "1" in runs and "2" in runs:
        result["speedup_2_vs_1"] = round(runs["2"]["throughput_per_min"] / runs["1"]["throughput_per_min"], 2)
    result["costs_s"] = costs
    return result


def per_notebook_costs(results: list[Any]) -> dict[str, float]:
    """Mean seconds one worker spends on one notebook of each assignment (successful jobs)."""
    seconds: dict[str, list[float]] = {}
    for result in results:
        if result.ok and not getattr(result, "resumed", False):
            seconds.setdefault(result.assignment, []).append(result.seconds)
    return {a: round(sum(v) / len(v), 2) for a, v in sorted(seconds.items())}


def projection(costs: dict[str, float], students: int = PROJECTION_STUDENTS,
               machines: tuple[int, ...] = PROJECTION_MACHINES, workers_per_machine: int = 2,
               efficiency: float = 1.0) -> dict[str, Any]:
    """Wall time to grade ``students`` × every notebook in ``costs`` on N machines.

    ``costs``: seconds one worker spends per notebook (measured). The work is
    ``students × Σ costs``; N machines run ``N × workers_per_machine`` jobs at once, each at
    ``efficiency`` of a lone worker's speed (the measured 2-worker speed-up / 2 on one
    machine). No run is shorter than its longest notebook.
    """
    if not costs:
        return {}
    work = students * sum(costs.values())
    rows = {}
    for count in machines:
        slots = count * workers_per_machine
        wall = max(work / (slots * efficiency), max(costs.values()))
        rows[str(count)] = {"workers": slots, "hours": round(wall / 3600, 2)}
    return {"students": students, "notebooks": len(costs), "costs_s": costs,
            "work_hours": round(work / 3600, 2), "workers_per_machine": workers_per_machine,
            "efficiency": round(efficiency, 3), "by_machines": rows}


def external_cluster(workers: int, folder: Path):  # type: ignore[no-untyped-def]
    """A ``dask scheduler`` and ``workers`` ``dask worker`` processes on this machine (context
    manager yielding the scheduler's address); every process is killed on exit."""
    import contextlib
    import signal
    import socket
    import subprocess
    import sys

    @contextlib.contextmanager
    def cluster():  # type: ignore[no-untyped-def]
        from distributed import Client

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        address, dask = f"tcp://127.0.0.1:{port}", str(Path(sys.executable).parent / "dask")
        folder.mkdir(parents=True, exist_ok=True)
        commands = [[dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"]]
        commands += [[dask, "worker", address, "--nthreads", "1", "--nworkers", "1", "--no-dashboard",
                      "--local-directory", str(folder / f"w{i}")] for i in range(workers)]
        processes = []
        try:
            for index, command in enumerate(commands):
                with open(folder / f"process{index}.log", "ab") as log:
                    processes.append(subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                                      stdin=subprocess.DEVNULL, start_new_session=True))
            time.sleep(5)
            with Client(address, timeout="120s") as client:
                client.wait_for_workers(workers, timeout=300)
            yield address
        finally:
            for process in processes:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=60)

    return cluster()


# --------------------------------------------------------------------------- transfer
def transfer_table(ks: tuple[int, ...] = TRANSFER_KS) -> dict[str, Any]:
    """Scratch, frozen and fine-tuned test accuracy per k, or a TODO if the code is missing."""
    try:
        from tlcourse.build import curves_sweep as curves, transfer_baselines as baselines
    except ImportError as error:
        return {"todo": f"tlcourse.build.transfer_baselines / tlcourse.build.curves_sweep not available ({error})"}
    rows = {}
    for k in ks:
        start = time.perf_counter()
        scratch = baselines.scratch_cnn(k)
        paired = curves.fine_tuned(k)
        rows[str(k)] = {"pixels": round(baselines.pixels_logistic(k), 4), "scratch": round(scratch, 4),
                        "frozen": round(paired["frozen"], 4), "fine_tuned": round(paired["fine_tuned"], 4),
                        "seconds": round(time.perf_counter() - start, 1)}
        print(f"bench transfer k={k}: {rows[str(k)]}", flush=True)
    return {"condition": "campo", "test_images": "all target test images", "by_k": rows}


# --------------------------------------------------------------------------- sandbox
#: The acceptance budget for what the sandbox adds to each notebook's kernel start.
SANDBOX_BUDGET_S = 0.5


def _kernel_ready_s(manager_class: type, workdir: Path) -> float:
    """Seconds from starting a kernel to its first ``kernel_info`` reply."""
    import asyncio

    from tlcourse.grader.sandbox import MEMORY_LIMIT_MB

    async def once() -> float:
        km = manager_class(kernel_name="python3", memory_limit_mb=MEMORY_LIMIT_MB)
        start = time.perf_counter()
        await km.start_kernel(cwd=str(workdir))
        client = km.client()
        client.start_channels()
        try:
            await client.wait_for_ready(timeout=120)
            return time.perf_counter() - start
        finally:
            client.stop_channels()
            await km.shutdown_kernel(now=True)

    return asyncio.run(once())


def sandbox_startup(repeats: int = 5) -> dict[str, Any]:
    """Kernel ready with vs without the sandbox: medians of ``repeats`` alternating starts."""
    from tlcourse.grader.execution import LimitedKernelManager
    from tlcourse.grader.sandbox import SandboxedKernelManager, status

    check = status()
    if not check.ok:
        return {"todo": check.detail}
    times: dict[str, list[float]] = {"plain": [], "sandboxed": []}
    with tempfile.TemporaryDirectory(prefix="tlcourse-bench-sandbox-") as scratch:
        for _ in range(repeats):
            times["plain"].append(_kernel_ready_s(LimitedKernelManager, Path(scratch)))
            times["sandboxed"].append(_kernel_ready_s(SandboxedKernelManager, Path(scratch)))
    plain, boxed = statistics.median(times["plain"]), statistics.median(times["sandboxed"])
    block = {"plain_s": round(plain, 3), "sandboxed_s": round(boxed, 3),
             "overhead_s": round(boxed - plain, 3), "budget_s": SANDBOX_BUDGET_S, "repeats": repeats,
             "all": {k: [round(v, 3) for v in values] for k, values in times.items()}, "load": _load()}
    print(f"bench sandbox: {block}", flush=True)
    return block


def _render_sandbox(block: dict[str, Any] | None) -> list[str]:
    if not block:
        return []
    lines = ["## Sandbox start-up", ""]
    if "todo" in block:
        return lines + [f"Not measured: the sandbox cannot run here ({block['todo']}).", ""]
    ok = "within" if block["overhead_s"] <= block["budget_s"] else "OVER"
    return lines + [f"Kernel ready (median of {block['repeats']}): {block['plain_s']} s without the "
                    f"sandbox, {block['sandboxed_s']} s with it: **{block['overhead_s']:+.3f} s** per notebook "
                    f"({ok} the {block['budget_s']} s budget; load {block['load']}).", ""]


# --------------------------------------------------------------------------- report
def render(results: dict[str, Any]) -> str:
    """results.md: the numbers, the machine and how busy it was."""
    m = results["machine"]
    lines = ["# Benchmarks", "",
             f"Measured {m['date_utc']} on {m['cpus']} CPU cores, {m['memory_gb']} GB RAM, "
             f"Python {m['python']}, TensorFlow {m['tensorflow']}, nbgrader {m['nbgrader']}.",
             f"Load average (1, 5, 15 min) at start: {results['load_start']}; at end: {results['load_end']}. "
             "A load above the core count means other processes competed for the CPU: times are "
             "then slower than on a quiet machine and the 2-worker speed-up is smaller.",
             "", "Regenerate with `make bench` (`python -m tlcourse bench`).", ""]
    lines += _render_reference(results.get("reference"), results.get("reference_after"))
    lines += _render_notebooks(results.get("notebooks", {}), _reference_for_notebooks(results))
    lines += _render_class(results.get("class"))
    lines += _render_sandbox(results.get("sandbox"))
    lines += _render_transfer(results.get("transfer"))
    return "\n".join(lines) + "\n"


def _reference_for_notebooks(results: dict[str, Any]) -> dict[str, Any] | None:
    """The reference figure the notebook times are divided by: the mean of the runs before and
    after the notebooks when both exist, else the one before."""
    before, after = results.get("reference"), results.get("reference_after")
    if before and after:
        return {"seconds": round((before["seconds"] + after["seconds"]) / 2, 2)}
    return before


def _render_reference(block: dict[str, Any] | None, after: dict[str, Any] | None = None) -> list[str]:
    if not block:
        return []
    lines = ["## Machine speed", "",
             f"Reference workload (`tlcourse.build.bench.REFERENCE_CODE`: a small CNN trained on fixed data in a "
             f"fresh process; median of {len(block['runs'])}): **{block['seconds']} s** (runs: "
             f"{', '.join(str(r) for r in block['runs'])}). The same code on another machine gives its speed "
             "relative to this one; the column \"× ref\" below is each time divided by this figure."]
    if after:
        mean = round((block["seconds"] + after["seconds"]) / 2, 2)
        lines[-1] = lines[-1].replace("divided by this figure.", f"divided by {mean} s, the mean of this "
                                      "figure and the same workload run again after the notebooks: "
                                      f"**{after['seconds']} s** (runs: {', '.join(str(r) for r in after['runs'])}); "
                                      f"the machine's speed changed by {100 * (after['seconds'] / block['seconds'] - 1):+.0f} % "
                                      "while the notebooks ran.")
    return lines + [""]


def _budget(value: float, budget: float) -> str:
    """``value`` with a mark when it is over ``budget``."""
    return f"{value}" if value <= budget else f"**{value} (over {budget})**"


def _judge_cell(r: dict[str, Any]) -> str:
    """The wait for the judge once the notebook has run, and the judge's CPU time when recorded
    (``-``: no judge). The judge starts beside the kernel, so most of its CPU overlaps the run."""
    if r.get("judge_s") is None:
        return "-"
    return f"{r['judge_s']}; CPU {r['judge_cpu_s']}" if r.get("judge_cpu_s") is not None else f"{r['judge_s']}"


def _render_notebooks(notebooks: dict[str, Any], reference: dict[str, Any] | None = None) -> list[str]:
    if not notebooks:
        return []
    b = BUDGETS
    ref = reference["seconds"] if reference else None
    lines = ["## Notebooks", "",
             f"Budgets: notebook ≤ {b['notebook_s']} s, graded cell ≤ {b['graded_cell_s']} s, autograde ≤ "
             f"execution + {b['autograde_overhead_s']} s, kernel ≤ {b['kernel_memory_mb']} MB; "
             "a figure over its budget is marked **over**.", ""]
    repeats = max(int(r.get("repeats", 1)) for r in notebooks.values())
    if repeats > 1:
        lines += [f"Times are medians of {repeats} runs per notebook, each a plain execution and an autograde, "
                  "in alternating order (the overhead is the median of each run's difference); the slowest "
                  "graded cell and the peak memory are the largest of the runs.", ""]
    lines += ["| notebook | execute (s) | × ref | slowest graded cell (s) | autograde (s) | overhead (s) | "
              "judge: wait after the run (s); its CPU (s) | peak kernel RSS (MB) | solution: autograded cells that "
              "lost points |",
              "|---|---|---|---|---|---|---|---|---|"]
    for name, r in notebooks.items():
        cell_s = r.get("slowest_graded_cell_s", 0.0)
        cell = f"{_budget(cell_s, b['graded_cell_s'])} ({r.get('slowest_graded_cell') or '-'})"
        ratio = f"{r['execute_s'] / ref:.1f}" if ref else "-"
        lines.append(f"| {name} | {_budget(r['execute_s'], b['notebook_s'])} | {ratio} | {cell} | "
                     f"{r['autograde_s']} | {_budget(r['overhead_s'], b['autograde_overhead_s'])} | "
                     f"{_judge_cell(r)} | "
                     f"{_budget(r['peak_rss_mb'], b['kernel_memory_mb'])} | {', '.join(r['solution_lost']) or 'none'} |")
    failing = {name: r["failing_cells"] for name, r in notebooks.items() if r.get("failing_cells")}
    for name, cells in failing.items():
        lines.append(f"\nNote: the solution {name} had failing cells while measured: {', '.join(cells)}.")
    return lines + ["", _total_line(notebooks, b["course_s"]), ""]


def _total_line(notebooks: dict[str, Any], budget: float) -> str:
    """The course's execution time beside its budget; for a subset, its sum without a verdict."""
    from tlcourse.grader.classgrade import course_assignments

    total = round(sum(r["execute_s"] for r in notebooks.values()), 1)
    course = course_assignments()
    if set(course) <= set(notebooks):
        return f"Whole course, top to bottom: {_budget(total, budget)} s (budget {budget} s)."
    return (f"Timed here: {len(notebooks)} of the course's {len(course)} notebooks, {total} s together "
            f"(the {budget} s budget is for the whole course).")


def _render_class(block: dict[str, Any] | None) -> list[str]:
    if not block:
        return []
    lines = ["## Class grading throughput", "",
             f"{block['students']} synthetic students × {len(block['assignments'])} assignments "
             f"({', '.join(block['assignments'])}).",
             "", "| workers | wall (s) | notebooks | notebooks/min | sum of job times (s) | cores busy (mean) "
             "| failed | incidents | load before |",
             "|---|---|---|---|---|---|---|---|---|"]
    for count, r in block["runs"].items():
        lines.append(f"| {count} | {r['wall_s']} | {r['notebooks']} | {r['throughput_per_min']} | "
                     f"{r['sum_job_s']} | {r.get('cores_busy', '')} | {r['failed']} | {r['incidents']} | "
                     f"{r['load_before']} |")
    if block.get("reduced"):
        lines += ["", f"**Reduced run**: {block['reduced']}. The acceptance run (20 students × every "
                  "assignment) is `make bench` with no options, on a quiet machine."]
    if "speedup_2_vs_1" in block:
        lines += ["", f"Speed-up of 2 workers over 1: **{block['speedup_2_vs_1']}x** (acceptance: ≥ 1.6x)."]
        lines += _render_ceiling(block)
    lines.append(f"Identical grades in every run: {'yes' if block['identical_grades'] else 'NO'}.")
    lines += _render_projection(block.get("projection"))
    for student, what in block.get("misbehaving", {}).items():
        lines.append(f"- misbehaving {student}: {what}")
    for check, ok in block.get("misbehaving_checks", {}).items():
        lines.append(f"- {check}: {'yes' if ok else 'NO'}")
    return lines + [""]


def _render_ceiling(block: dict[str, Any]) -> list[str]:
    """How much a second worker could add at most: the cores one worker left idle."""
    one, cores = block["runs"].get("1", {}).get("cores_busy"), block.get("cores") or os.cpu_count()
    if not one:
        return []
    return [f"One worker kept {one} of the {cores} cores busy on average (its kernel's threads and "
            f"the judge beside it), so a second worker can add at most the idle rest: a speed-up of "
            f"at most about {cores / one:.2f}x on this machine."]


def _render_projection(block: dict[str, Any] | None) -> list[str]:
    if not block:
        return []
    costs = ", ".join(f"{a} {s} s" for a, s in block["costs_s"].items())
    lines = ["", f"Projection for {block['students']} students × {block['notebooks']} notebooks "
             f"({block['work_hours']} worker-hours; measured seconds per notebook: {costs}; "
             f"{block['workers_per_machine']} workers per machine at {block['efficiency']} of a lone "
             "worker's speed):", "", "| machines | workers | hours |", "|---|---|---|"]
    for count, row in block["by_machines"].items():
        lines.append(f"| {count} | {row['workers']} | {row['hours']} |")
    return lines + [""]


def _render_transfer(block: dict[str, Any] | None) -> list[str]:
    if not block:
        return []
    lines = ["## Transfer learning (target task, campo)", ""]
    if "todo" in block:
        return lines + [f"TODO: {block['todo']}. Re-run `make bench` once it exists.", ""]
    lines += ["Test accuracy on all target test images; k labelled images per class.", "",
              "| k | pixels + logistic | CNN from scratch | frozen backbone + linear head | fine-tuned top block | seconds |",
              "|---|---|---|---|---|---|"]
    for k, r in block["by_k"].items():
        lines.append(f"| {k} | {r['pixels']:.3f} | {r['scratch']:.3f} | {r['frozen']:.3f} | "
                     f"{r['fine_tuned']:.3f} | {r['seconds']} |")
    return lines + [""]


def _course_projection(block: dict[str, Any], notebooks: dict[str, Any]) -> dict[str, Any]:
    """The projection from the class run's costs; assignments the class run did not include
    take their single-autograde time from part 2."""
    costs = dict(block.get("costs_s") or {})
    for assignment, row in notebooks.items():
        if assignment not in costs and isinstance(row, dict) and row.get("autograde_s"):
            costs[assignment] = float(row["autograde_s"])
    speedup = block.get("speedup_2_vs_1")
    return projection(costs, efficiency=min(1.0, speedup / 2) if speedup else 1.0)


def run_bench(out: Path, students: int = 20, workers: list[int] | None = None,
              assignments: list[str] | None = None, class_assignments: list[str] | None = None,
              transfer: bool = True, cell_timeout: int | None = None,
              repeats: int = NOTEBOOK_REPEATS) -> dict[str, Any]:
    """Run every benchmark and write ``out/results.json`` and ``out/results.md``."""
    from tlcourse.grader.classgrade import course_assignments

    available = course_assignments()
    results: dict[str, Any] = {"machine": machine(), "load_start": _load(), "budgets": BUDGETS,
                               "reference": reference_workload()}
    with tempfile.TemporaryDirectory(prefix="tlcourse-bench-") as scratch:
        work = Path(scratch)
        results["notebooks"] = time_notebooks(assignments or available, work, repeats)
        # Again right after the notebooks: machines of this kind change speed within the hour.
        results["reference_after"] = reference_workload()
        if students > 0:
            results["class"] = class_throughput(class_assignments or available, students,
                                                workers or [1, 2], work, cell_timeout)
            results["class"]["projection"] = _course_projection(results["class"], results["notebooks"])
            missing = [a for a in available if a not in results["class"]["assignments"]]
            if missing or students < 20:
                results["class"]["reduced"] = (f"{students} students; assignments not included: "
                                               f"{', '.join(missing) or 'none'}")
    results["sandbox"] = sandbox_startup()
    if transfer:
        results["transfer"] = transfer_table()
    results["load_end"] = _load()
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n")
    (out / "results.md").write_text(render(results))
    return results
