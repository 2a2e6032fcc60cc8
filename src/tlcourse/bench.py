"""Benchmarks the README quotes: ``python -m tlcourse bench`` -> ``benchmarks/results.{md,json}``.

1. Each solution notebook executed top to bottom (nbclient): seconds and peak kernel RSS.
2. Each solution autograded as a submission (nbgrader, scratch course): seconds, and the
   overhead over plain execution (budget: execution + 10 s).
3. Class-grading throughput: N synthetic students (:mod:`tlcourse.synthetic`) across the
   assignments, three of them misbehaving in 00_entorno (endless loop, memory hog, kernel
   killer), graded by :func:`tlcourse.classgrade.grade_class` with 1 and with 2 workers.
   Also checks that both runs give identical grades and that each misbehaving student lost
   exactly the affected exercise.
4. The transfer-learning table (scratch CNN, frozen backbone, fine-tuned; k = 5, 20, 100
   per class) computed by :mod:`tlcourse.transfer_baselines` and :func:`tlcourse.curves_sweep.fine_tuned`.

The machine's load average is recorded before and after each part: numbers measured while
other processes compete for the cores are slower and the speed-up of 2 workers smaller.
"""

from __future__ import annotations

import json
import os
import platform
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import psutil

from . import grading

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


class PeakRSS:
    """Peak resident memory of this process's new descendants (the kernel), polled."""

    def __init__(self) -> None:
        self.peak_mb = 0.0
        self._known = {p.pid for p in psutil.Process().children(recursive=True)}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self) -> None:
        while not self._stop.wait(0.2):
            total = 0
            for child in psutil.Process().children(recursive=True):
                if child.pid not in self._known:
                    try:
                        total += child.memory_info().rss
                    except psutil.Error:
                        pass
            self.peak_mb = max(self.peak_mb, total / 2**20)

    def __enter__(self) -> PeakRSS:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


# --------------------------------------------------------------------------- notebooks
def execute(path: Path, timeout: int = 600) -> tuple[float, list[str]]:
    """Run a notebook top to bottom (errors allowed); seconds and ``cell: ename`` of failures."""
    from nbclient import NotebookClient

    notebook = grading.read_notebook(path)
    client = NotebookClient(notebook, timeout=timeout, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    failing = [f"{grading.grade_id(cell) or index}: {output.ename}"
               for index, cell in enumerate(notebook.cells) for output in cell.get("outputs", [])
               if output.get("output_type") == "error"]
    return seconds, failing


def time_notebooks(assignments: list[str], workdir: Path) -> dict[str, dict[str, float]]:
    """Execution and autograde seconds (and peak kernel memory) of each solution."""
    course = grading.ScratchCourse(workdir / "course", assignments)
    results = {}
    for assignment in assignments:
        load = _load()
        with PeakRSS() as peak:
            execute_s, failing = execute(grading.source_path(assignment))
        course.submit("bench", assignment, grading.submission(assignment))
        start = time.perf_counter()
        scores = course.autograde("bench", assignment)
        autograde_s = time.perf_counter() - start
        results[assignment] = {
            "execute_s": round(execute_s, 1), "autograde_s": round(autograde_s, 1),
            "overhead_s": round(autograde_s - execute_s, 1), "peak_rss_mb": round(peak.peak_mb),
            "solution_lost": sorted(g for g, s in scores.items() if not s.full and not g.startswith("manual")),
            "load_before": load,
            "failing_cells": failing,
        }
        print(f"bench {assignment}: execute {execute_s:.1f} s, autograde {autograde_s:.1f} s, "
              f"peak {peak.peak_mb:.0f} MB", flush=True)
    return results


# --------------------------------------------------------------------------- class
def _grades(path: Path) -> list[dict[str, str]]:
    import csv

    with path.open() as handle:
        return list(csv.DictReader(handle))


def _bad_checks(rows: list[dict[str, str]]) -> dict[str, bool]:
    """Each misbehaving student lost exactly the affected exercise of BAD_ASSIGNMENT."""
    from .synthetic import exercises

    checks = {}
    names = exercises(BAD_ASSIGNMENT)
    for student, (kind, lost) in BAD_STUDENTS.items():
        row = next((r for r in rows if r["student"] == student and r["assignment"] == BAD_ASSIGNMENT), None)
        solution = {e: s.max_score for e, s in _solution_points(BAD_ASSIGNMENT).items()}
        checks[f"{kind}: loses only {lost}"] = row is not None and all(
            float(row[e]) == (0.0 if e == lost else solution[e]) for e in names)
    return checks


def _solution_points(assignment: str) -> dict[str, Any]:
    source = grading.read_notebook(grading.source_path(assignment))
    scores = {gid: grading.Score(float(cell.metadata["nbgrader"]["points"]), float(cell.metadata["nbgrader"]["points"]))
              for gid, cell in grading.cells_by_id(source).items()
              if cell.metadata["nbgrader"].get("grade") and not cell.metadata["nbgrader"].get("solution")}
    return grading.by_exercise(scores)


def class_throughput(assignments: list[str], students: int, workers: list[int], workdir: Path,
                     cell_timeout: int | None = None) -> dict[str, Any]:
    """Grade the same synthetic class with each worker count; compare time and grades."""
    from .classgrade import Settings, grade_class
    from .synthetic import write_class

    folder = workdir / "class"
    bad = {s: (BAD_ASSIGNMENT, kind, ex) for s, (kind, ex) in BAD_STUDENTS.items()
           if BAD_ASSIGNMENT in assignments and int(s[-2:]) < students}
    write_class(folder, assignments, students, bad)
    runs, tables = {}, {}
    for count in workers:
        load = _load()
        run = grade_class(folder, workdir / f"out-{count}", Settings(workers=count, cell_timeout=cell_timeout))
        tables[count] = _grades(run.reports["grades"])
        runs[str(count)] = {
            "wall_s": round(run.seconds, 1), "notebooks": len(run.results),
            "throughput_per_min": round(run.throughput, 2),
            "sum_job_s": round(sum(r.seconds for r in run.results), 1),
            "failed": sum(not r.ok for r in run.results),
            "incidents": sum(len(r.incidents) for r in run.results),
            "load_before": load, "load_after": _load(),
        }
        print(f"bench class: {count} worker(s): {run.seconds:.0f} s, {run.throughput:.2f} notebooks/min",
              flush=True)
    first = tables[workers[0]]
    result: dict[str, Any] = {"students": students, "assignments": assignments, "runs": runs,
                              "identical_grades": all(t == first for t in tables.values()),
                              "misbehaving": {s: f"{a}/{k} in {e}" for s, (a, k, e) in bad.items()}}
    if bad:
        result["misbehaving_checks"] = _bad_checks(first)
    if "1" in runs and "2" in runs:
        result["speedup_2_vs_1"] = round(runs["2"]["throughput_per_min"] / runs["1"]["throughput_per_min"], 2)
    return result


# --------------------------------------------------------------------------- transfer
def transfer_table(ks: tuple[int, ...] = TRANSFER_KS) -> dict[str, Any]:
    """Scratch, frozen and fine-tuned test accuracy per k, or a TODO if the code is missing."""
    try:
        from . import curves_sweep as curves, transfer_baselines as baselines
    except ImportError as error:
        return {"todo": f"tlcourse.transfer_baselines / tlcourse.curves_sweep not available ({error})"}
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
    lines += _render_notebooks(results.get("notebooks", {}))
    lines += _render_class(results.get("class"))
    lines += _render_transfer(results.get("transfer"))
    return "\n".join(lines) + "\n"


def _render_notebooks(notebooks: dict[str, Any]) -> list[str]:
    if not notebooks:
        return []
    lines = ["## Notebooks", "",
             "| notebook | execute (s) | autograde (s) | overhead (s) | peak kernel RSS (MB) | solution: autograded cells that lost points |",
             "|---|---|---|---|---|---|"]
    for name, r in notebooks.items():
        lines.append(f"| {name} | {r['execute_s']} | {r['autograde_s']} | {r['overhead_s']} | "
                     f"{r['peak_rss_mb']} | {', '.join(r['solution_lost']) or 'none'} |")
    failing = {name: r["failing_cells"] for name, r in notebooks.items() if r.get("failing_cells")}
    for name, cells in failing.items():
        lines.append(f"\nNote: the solution {name} had failing cells while measured: {', '.join(cells)}.")
    total = sum(r["execute_s"] for r in notebooks.values())
    lines += ["", f"Whole course, top to bottom: {total:.0f} s (budget 360 s). "
              "Budgets: ≤ 90 s per notebook, autograde ≤ execution + 10 s, ≤ 3 GB per kernel.", ""]
    return lines


def _render_class(block: dict[str, Any] | None) -> list[str]:
    if not block:
        return []
    lines = ["## Class grading throughput", "",
             f"{block['students']} synthetic students × {len(block['assignments'])} assignments "
             f"({', '.join(block['assignments'])}).",
             "", "| workers | wall (s) | notebooks | notebooks/min | sum of job times (s) | failed | incidents | load before |",
             "|---|---|---|---|---|---|---|---|"]
    for count, r in block["runs"].items():
        lines.append(f"| {count} | {r['wall_s']} | {r['notebooks']} | {r['throughput_per_min']} | "
                     f"{r['sum_job_s']} | {r['failed']} | {r['incidents']} | {r['load_before']} |")
    if block.get("reduced"):
        lines += ["", f"**Reduced run**: {block['reduced']}. The acceptance run (20 students × every "
                  "assignment) is `make bench` with no options, on a quiet machine."]
    if "speedup_2_vs_1" in block:
        lines += ["", f"Speed-up of 2 workers over 1: **{block['speedup_2_vs_1']}x** (acceptance: ≥ 1.6x)."]
    lines.append(f"Identical grades in every run: {'yes' if block['identical_grades'] else 'NO'}.")
    for student, what in block.get("misbehaving", {}).items():
        lines.append(f"- misbehaving {student}: {what}")
    for check, ok in block.get("misbehaving_checks", {}).items():
        lines.append(f"- {check}: {'yes' if ok else 'NO'}")
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


def run_bench(out: Path, students: int = 20, workers: list[int] | None = None,
              assignments: list[str] | None = None, class_assignments: list[str] | None = None,
              transfer: bool = True, cell_timeout: int | None = None) -> dict[str, Any]:
    """Run every benchmark and write ``out/results.json`` and ``out/results.md``."""
    from .classgrade import course_assignments

    available = course_assignments()
    results: dict[str, Any] = {"machine": machine(), "load_start": _load()}
    with tempfile.TemporaryDirectory(prefix="tlcourse-bench-") as scratch:
        work = Path(scratch)
        results["notebooks"] = time_notebooks(assignments or available, work)
        if students > 0:
            results["class"] = class_throughput(class_assignments or available, students,
                                                workers or [1, 2], work, cell_timeout)
            missing = [a for a in available if a not in results["class"]["assignments"]]
            if missing or students < 20:
                results["class"]["reduced"] = (f"{students} students; assignments not included: "
                                               f"{', '.join(missing) or 'none'}")
    if transfer:
        results["transfer"] = transfer_table()
    results["load_end"] = _load()
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n")
    (out / "results.md").write_text(render(results))
    return results
