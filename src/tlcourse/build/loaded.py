"""The loaded-machine check: ``python -m tlcourse bench-loaded`` -> ``benchmarks/loaded/``.

A busy machine must never cost a correct student points. This grades, as one class through
:func:`tlcourse.grader.classgrade.grade_class` (the path ``make grade`` takes, sandbox and
judges included), the solution of every notebook and a submission of 00_entorno whose
exercise 3 loops forever, while ``busy_per_core`` CPU-bound processes per core run beside it.
It then says, notebook by notebook, whether the solution kept every point, and whether the
endless loop lost exactly its exercise.

It is slow (every notebook several times slower than alone) and says nothing about speed, so
it lives beside ``make bench`` rather than in ``make test``; the test suite checks the same
mechanisms on small cases (``tests/test_classgrade.py``: the cell limit counts CPU time, and an
endless loop on a loaded machine loses only its cell).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import tempfile
from pathlib import Path
from typing import Any

from tlcourse.build import bench
from tlcourse.grader import grading

#: The load of the acceptance check: 4 busy processes per core.
BUSY_PER_CORE = 4
SOLUTION_STUDENT = "solucion"
LOOP_STUDENT = "bucle"
LOOP_EXERCISE = "ej3"


def _burn() -> None:
    while True:
        pass


class LoadSampler(bench.Poller):
    """The one-minute load average, sampled in a thread while the ``with`` block runs."""

    every_s = 10

    def __init__(self) -> None:
        super().__init__()
        self.samples: list[float] = []

    def sample(self) -> None:
        """Record the one-minute load average now."""
        self.samples.append(round(os.getloadavg()[0], 2))

    def summary(self) -> dict[str, float | int]:
        """Median and lowest sample, and how many were taken."""
        values = sorted(self.samples) or [0.0]
        return {"median": values[len(values) // 2], "min": values[0], "samples": len(self.samples)}


def write_submissions(folder: Path, assignments: list[str]) -> None:
    """Every solution as student ``solucion``; 00_entorno with an endless loop as ``bucle``."""
    from tlcourse.build.synthetic import misbehaving, write_submission

    for assignment in assignments:
        write_submission(folder, SOLUTION_STUDENT, assignment, grading.submission(assignment))
    if bench.BAD_ASSIGNMENT in assignments:
        notebook, _ = misbehaving(bench.BAD_ASSIGNMENT, "loop", LOOP_EXERCISE)
        write_submission(folder, LOOP_STUDENT, bench.BAD_ASSIGNMENT, notebook)


def _verdicts(rows: list[dict[str, str]], assignments: list[str]) -> dict[str, Any]:
    """Per solution notebook: points and maximum; for the loop: what it lost."""
    from tlcourse.build.synthetic import exercises

    found: dict[str, Any] = {}
    for assignment in assignments:
        maximum = {e: s.max_score for e, s in bench.solution_points(assignment).items()}
        row = next((r for r in rows if r["student"] == SOLUTION_STUDENT and r["assignment"] == assignment), None)
        points = {e: float(row[e]) for e in exercises(assignment)} if row else {}
        found[assignment] = {"points": sum(points.values()), "max": sum(maximum.values()),
                             "lost": [e for e in maximum if points.get(e) != maximum[e]],
                             "full": bool(row) and all(points.get(e) == m for e, m in maximum.items())}
    if bench.BAD_ASSIGNMENT in assignments:
        row = next((r for r in rows if r["student"] == LOOP_STUDENT), None)
        maximum = {e: s.max_score for e, s in bench.solution_points(bench.BAD_ASSIGNMENT).items()}
        lost = [e for e in maximum if row is None or float(row[e]) != maximum[e]]
        found["loop"] = {"lost": lost, "loses_only_its_exercise": lost == [LOOP_EXERCISE]}
    return found


def loaded_check(busy_per_core: int = BUSY_PER_CORE, workdir: Path | None = None,
                 assignments: list[str] | None = None, workers: int | None = None) -> dict[str, Any]:
    """Grade every solution and the endless loop with ``busy_per_core`` × cores busy processes."""
    from tlcourse.grader.classgrade import Settings, course_assignments, cpu_count, grade_class

    assignments = assignments or course_assignments()
    busy = busy_per_core * cpu_count()
    with tempfile.TemporaryDirectory(prefix="tlcourse-loaded-", dir=workdir) as scratch:
        folder = Path(scratch) / "class"
        write_submissions(folder, assignments)
        hogs = [multiprocessing.Process(target=_burn, daemon=True) for _ in range(busy)]
        for hog in hogs:
            hog.start()
        load = LoadSampler()
        try:
            with load:
                run = grade_class(folder, Path(scratch) / "out", Settings(workers=workers, progress=False))
        finally:
            for hog in hogs:
                hog.kill()
        rows = bench.read_grades(run.reports["grades"])
        jobs = {f"{r.student}/{r.assignment}": {"seconds": round(r.seconds, 1), "ok": r.ok,
                                                "incidents": [list(i) for i in r.incidents]}
                for r in run.results}
    verdicts = _verdicts(rows, assignments)
    return {"busy_processes": busy, "cores": cpu_count(), "workers": run.workers,
            "wall_s": round(run.seconds, 1), "load_1min": load.summary(),
            "jobs": jobs, "verdicts": verdicts,
            "every_solution_full": all(v["full"] for a, v in verdicts.items() if a != "loop"),
            "loop_loses_only_its_exercise": verdicts.get("loop", {}).get("loses_only_its_exercise")}


def render(result: dict[str, Any], machine: dict[str, Any]) -> str:
    """results.md of the loaded check."""
    lines = ["# Grading on a loaded machine", "",
             f"Measured {machine['date_utc']} on {machine['cpus']} CPU cores, {machine['memory_gb']} GB RAM, "
             f"TensorFlow {machine['tensorflow']}, nbgrader {machine['nbgrader']}.", "",
             f"{result['busy_processes']} CPU-bound processes ran beside the grading "
             f"({result['busy_processes'] // result['cores']} per core). One-minute load average while "
             f"grading, sampled every {LoadSampler.every_s} s: median {result['load_1min']['median']}, "
             f"lowest {result['load_1min']['min']} (it needs about a minute to climb after the start). "
             f"Class grading (`grade_class`, sandbox and judges, {result['workers']} workers) took "
             f"{result['wall_s']} s.", "",
             "| notebook | points | full marks | seconds (job) |", "|---|---|---|---|"]
    for assignment, v in result["verdicts"].items():
        if assignment == "loop":
            continue
        job = result["jobs"].get(f"{SOLUTION_STUDENT}/{assignment}", {})
        lines.append(f"| {assignment} | {v['points']:g} / {v['max']:g} | {'yes' if v['full'] else 'NO: ' + ', '.join(v['lost'])} "
                     f"| {job.get('seconds', '?')} |")
    loop = result["verdicts"].get("loop")
    if loop:
        job = result["jobs"].get(f"{LOOP_STUDENT}/{bench.BAD_ASSIGNMENT}", {})
        lines += ["", f"Endless loop in {bench.BAD_ASSIGNMENT} {LOOP_EXERCISE}: lost {', '.join(loop['lost']) or 'nothing'} "
                  f"({'only its exercise' if loop['loses_only_its_exercise'] else 'NOT only its exercise'}; "
                  f"job {job.get('seconds', '?')} s)."]
    lines += ["", f"Every solution kept full marks: **{'yes' if result['every_solution_full'] else 'NO'}**.", ""]
    return "\n".join(lines)


def run(out: Path, busy_per_core: int = BUSY_PER_CORE, assignments: list[str] | None = None,
        workers: int | None = None) -> dict[str, Any]:
    """Run the check and write ``out/results.json`` and ``out/results.md``."""
    result = loaded_check(busy_per_core, assignments=assignments, workers=workers)
    machine = bench.machine()
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps({"machine": machine, **result}, indent=1, ensure_ascii=False) + "\n")
    (out / "results.md").write_text(render(result, machine))
    return result
