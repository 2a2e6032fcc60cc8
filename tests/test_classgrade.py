"""Class grading: parallel workers, containment, leak-free feedback, stable reports.

One small class on 00_entorno (cheap), graded twice with 2 workers (the second time through
the CLI, from a zip in zip_collect naming): two ordinary synthetic students, one endless
loop, one memory hog, one kernel killer, one corrupted file and one hostile submission (a
trick of tests/hostile.py: the corpora check its score, here it must reach incidents.csv). Plus fast unit tests of
the collector and of the execution containment (no TensorFlow).
"""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

import hostile
from tlcourse.grader import classgrade, feedback, grading
from tlcourse import cli
from tlcourse.build import synthetic
from tlcourse.grader.execution import ContainedExecute
from tlcourse.grader.submissions import collect

A = "00_entorno"
NORMAL = ["alumno00", "alumno01"]
BAD = {"bucle": ("loop", "ej3"), "memoria": ("memory", "ej2"), "asesino": ("kill", "ej1")}
BROKEN = "roto"
#: A hostile student: a blank 00 with a kernel trick in its first answer (tests/hostile.py).
TRICKSTER, TRICK = "tramposo", "transformador_entrada"
SETTINGS = dict(workers=2, cell_timeout=15, memory_limit_mb=1536)  # 30 CPU-s per cell on 2 cores


# --------------------------------------------------------------------------- fast units
def test_collect_accepts_nbgrader_and_zip_collect_layouts(tmp_path):
    notebook = new_notebook()
    files = {
        "submitted/ana/00_entorno/00_entorno.ipynb": notebook,
        "flat/beto_00_entorno.ipynb": notebook,
        "flat/carla.diaz_attempt_2024-03-01 10:00:00_01_evolucion_cnn.ipynb": notebook,
        "porcarpeta/dora/00_entorno.ipynb": notebook,
        "flat/notas.ipynb": notebook,
        "submitted/ana/00_entorno/.ipynb_checkpoints/00_entorno-checkpoint.ipynb": notebook,
    }
    source = tmp_path / "src"
    for name, nb in files.items():
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, str(source / name))
    (source / "submitted/ana/00_entorno/timestamp.txt").write_text("2024-02-01 09:00:00 UTC")
    archive = tmp_path / "entregas.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in source.rglob("*"):
            zf.write(path, path.relative_to(source))
    jobs, skipped = collect(archive, ["00_entorno", "01_evolucion_cnn"], tmp_path / "out")
    assert [job.key for job in jobs] == [("ana", "00_entorno"), ("beto", "00_entorno"),
                                        ("carla.diaz", "01_evolucion_cnn"), ("dora", "00_entorno")]
    assert all(Path(job.path).is_file() for job in jobs)
    assert (tmp_path / "out/ana/00_entorno/timestamp.txt").read_text().startswith("2024-02-01")
    assert (tmp_path / "out/carla.diaz/01_evolucion_cnn/timestamp.txt").read_text().startswith("2024-03-01")
    assert len(skipped) == 1 and "notas.ipynb" in skipped[0]


def _run_cells(tmp_path: Path, sources: list[str], **traits) -> list:
    notebook = new_notebook(cells=[new_code_cell(s) for s in sources])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    executor = ContainedExecute(**traits)
    executor.preprocess(notebook, {"metadata": {"path": str(tmp_path)}})
    return [[o.get("ename") for o in cell.outputs if o.output_type == "error"] for cell in notebook.cells]


@pytest.mark.slow
def test_containment_loses_only_the_offending_cells(tmp_path):
    """Dead kernel, ignored interrupt, memory over RLIMIT_DATA and over the watchdog: each
    costs its own cell, and the state of completed cells survives the restarts."""
    errors = _run_cells(tmp_path, [
        "x = 1",
        "import os; os.kill(os.getpid(), 9)",
        "y = x + 1",
        "while True:\n    try:\n        while True: pass\n    except BaseException:\n        pass",
        "z = y + 1",
        "lastre = [bytearray(10**8) for _ in range(100)]",
        "import mmap, time\nm = mmap.mmap(-1, 2 * 2**30)\nfor i in range(0, 2 * 2**30, 4096): m[i] = 1\ntime.sleep(5)",
        "assert (x, y, z) == (1, 2, 3)",
    ], timeout=5, memory_limit_mb=512, watchdog_margin_mb=512)
    assert errors[0] == [] and errors[2] == [] and errors[4] == [] and errors[7] == []
    assert errors[1] == ["KernelDetenido"]
    assert "TiempoAgotado" in errors[3]
    assert errors[5] == ["MemoryError"]
    assert errors[6] == ["MemoriaExcedida"]


@pytest.mark.slow
def test_containment_gives_up_after_too_many_restarts_or_time(tmp_path):
    kill = "import os; os._exit(1)"
    errors = _run_cells(tmp_path, [kill, kill, "a = 1", "import time; time.sleep(30)", "b = 2"],
                        timeout=60, max_kernel_restarts=1, notebook_timeout=120)
    assert errors == [["KernelDetenido"], ["KernelDetenido"], ["CeldaNoEjecutada"],
                      ["CeldaNoEjecutada"], ["CeldaNoEjecutada"]]
    errors = _run_cells(tmp_path, ["a = 1", "import time; time.sleep(30)", "b = 2"],
                        timeout=60, notebook_timeout=5)
    assert errors[0] == [] and "TiempoAgotado" in errors[1] and errors[2] == ["TiempoTotalAgotado"]


@pytest.mark.slow
def test_cell_limit_counts_cpu_time_not_wall_clock(tmp_path):
    """A cell that takes longer than the limit on the clock but computes little (as a correct
    cell does on a busy machine) keeps its points; wall time only guards against hangs."""
    errors = _run_cells(tmp_path, [
        "import time\nstart = time.time()\ntime.sleep(4)\nsuma = sum(range(10**6))",
        "assert suma == 499999500000",
        "time.sleep(60)",
    ], timeout=2, wall_factor=5)
    assert errors[0] == [] and errors[1] == []
    assert "TiempoAgotado" in errors[2]  # the 10 s wall-clock guard still stops a hang


@pytest.mark.slow
def test_endless_loop_on_a_loaded_machine_loses_only_its_cell(tmp_path):
    """With more busy processes than cores, the loop is still stopped by its CPU time."""
    import multiprocessing

    hogs = [multiprocessing.Process(target=_burn, daemon=True) for _ in range(2 * classgrade.cpu_count())]
    for hog in hogs:
        hog.start()
    try:
        errors = _run_cells(tmp_path, ["x = 1", "while True:\n    pass", "y = x + 1"],
                            timeout=2, wall_factor=60)
    finally:
        for hog in hogs:
            hog.kill()
    assert errors[0] == [] and errors[2] == []
    assert "TiempoAgotado" in errors[1]


def _burn() -> None:
    while True:
        pass


def test_failure_reason_skips_nbgrader_generic_epilogue():
    log = ("[AutogradeApp | ERROR] There was an error processing assignment: x\n"
           "nbformat.reader.NotJSONError: Notebook does not appear to be JSON: '{\"cells\": [ esto'\n"
           "[AutogradeApp | ERROR] Please see the the above traceback for details\n"
           "nbgrader.converters.base.NbGraderException: Please see the above traceback")
    assert classgrade.failure_reason(log).startswith("nbformat.reader.NotJSONError")


def test_a_rerun_clears_scratch_that_a_killed_run_still_writes(tmp_path):
    """A killed run's leftover process still writes in ``.work``; the rerun starts anyway."""
    import subprocess
    import sys

    work = tmp_path / "out" / ".work"
    deep = work / "dask-scratch-space" / "worker-x" / "curso"
    deep.mkdir(parents=True)
    for index in range(200):
        (deep / f"f{index}").write_text("x")
    writer = subprocess.Popen([sys.executable, "-c", (
        "import time, os\n"
        "end = time.monotonic() + 4\n"
        "while time.monotonic() < end:\n"
        "    try:\n"
        "        open(f'n{time.monotonic_ns()}', 'w').close()\n"
        "    except OSError:\n"
        "        pass\n")], cwd=deep)
    try:
        import time

        time.sleep(0.5)
        classgrade.clear_scratch(work)  # the old rmtree raised "Directory not empty" here
        assert not work.exists()
    finally:
        writer.wait(timeout=60)
    classgrade.clear_scratch(work)  # once the leftover is gone, nothing of it remains
    assert sorted(p.name for p in work.parent.iterdir()) == []


@pytest.mark.slow
def test_a_stuck_worker_is_killed_replaced_and_its_job_scored_zero(tmp_path, monkeypatch):
    """Also: with TLCOURSE_DB_URL set (PostgreSQL in real use), the merge goes there."""
    shared = f"sqlite:///{tmp_path / 'compartida.db'}"
    monkeypatch.setenv("TLCOURSE_DB_URL", shared)
    synthetic.write_class(tmp_path / "in", [A], 2)
    settings = classgrade.Settings(workers=1, feedback=False, progress=False, job_limit_s=1)
    run = classgrade.grade_class(tmp_path / "in", tmp_path / "out", settings, assignments=[A])
    assert run.db_url == shared and not (tmp_path / "out" / "gradebook.db").exists()
    assert [(r.student, r.ok, r.incidents[0][1]) for r in run.results] == [
        ("alumno00", False, "worker_killed"), ("alumno01", False, "worker_killed")]
    assert sum(sum(scores.values()) for scores in _cell_scores(run.db_url).values()) == 0


# --------------------------------------------------------------------------- the class
def _write_class(folder: Path) -> None:
    synthetic.write_class(folder, [A], len(NORMAL), {s: (A, kind, ex) for s, (kind, ex) in BAD.items()})
    broken = folder / BROKEN / A / f"{A}.ipynb"
    broken.parent.mkdir(parents=True)
    broken.write_text('{"cells": [ esto no es JSON')
    tricked = folder / TRICKSTER / A / f"{A}.ipynb"
    tricked.parent.mkdir(parents=True)
    nbformat.write(hostile.build(A, hostile.TRICKS[A][TRICK]), str(tricked))


def _zip_collect_archive(folder: Path, archive: Path) -> Path:
    """The same class as an LMS download: flat <student>_<assignment>.ipynb names."""
    with zipfile.ZipFile(archive, "w") as zf:
        for path in folder.rglob("*.ipynb"):
            student = path.relative_to(folder).parts[0]
            zf.write(path, f"descarga/{student}_{path.name}")
    return archive


def _cell_scores(db_url: str) -> dict:
    from nbgrader.api import Gradebook

    with Gradebook(db_url) as gb:
        return {s.student.id: {g.name: float(g.score or 0) for n in s.notebooks for g in n.grades}
                for s in gb.assignment_submissions(A)}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("clase")
    _write_class(root / "in")
    first = classgrade.grade_class(root / "in", root / "out", classgrade.Settings(progress=False, **SETTINGS),
                                   assignments=[A])
    csv_first = (root / "out/reports/grades.csv").read_text()
    archive = _zip_collect_archive(root / "in", root / "entregas.zip")
    code = cli.main(["grade", str(archive), "--out", str(root / "out"), "--workers", "2", "--quiet",
                     "--assignment", A, "--cell-timeout", "15", "--memory-limit-mb", "1536",
                     "--regrade"])  # graded and merged again, not resumed from the first run
    alone = grading.grade(root / "solo", A, {s: root / "in" / s / A / f"{A}.ipynb" for s in NORMAL})
    return {"root": root, "first": first, "csv_first": csv_first, "cli_code": code, "alone": alone,
            "scores": _cell_scores(first.db_url)}


@pytest.mark.slow
def test_each_misbehaving_student_loses_only_the_affected_exercise(graded):
    most = _max_scores(graded)
    for student, (kind, lost) in BAD.items():
        scores = {g: grading.Score(s, most[g]) for g, s in graded["scores"][student].items()}
        for exercise, score in grading.by_exercise(scores).items():
            want = 0.0 if exercise == lost else score.max_score
            assert score.score == want, f"{student} ({kind}): {exercise} = {score.score}, expected {want}"


def _max_scores(graded) -> dict[str, float]:
    from nbgrader.api import Gradebook

    with Gradebook(graded["first"].db_url) as gb:
        notebook = gb.find_notebook(A, A)
        return {cell.name: float(cell.max_score) for cell in notebook.grade_cells}


@pytest.mark.slow
def test_incidents_are_reported_where_they_happened(graded):
    rows = list(csv.DictReader((graded["root"] / "out/reports/incidents.csv").open()))
    kinds = {(r["student"], r["kind"]) for r in rows}
    assert ("bucle", "timeout") in kinds
    assert ("memoria", "memory") in kinds
    assert ("asesino", "kernel_died") in kinds
    assert ("roto", "autograde_failed") in kinds
    assert (TRICKSTER, "manipulacion") in kinds
    assert not any(r["student"] in NORMAL for r in rows)
    assert not any(r["kind"] == "manipulacion" for r in rows if r["student"] != TRICKSTER)


@pytest.mark.slow
def test_the_hostile_student_earns_nothing(graded):
    scores = graded["scores"][TRICKSTER]
    assert scores and sum(scores.values()) == 0, scores


@pytest.mark.slow
def test_a_corrupted_file_scores_zero_and_is_flagged_without_stopping_the_class(graded):
    from nbgrader.api import Gradebook

    assert sum(graded["scores"][BROKEN].values()) == 0
    with Gradebook(graded["first"].db_url) as gb:
        assert gb.find_submission_notebook(A, A, BROKEN).flagged
    assert graded["cli_code"] == 1  # the CLI reports the failure in its exit code


@pytest.mark.slow
def test_other_students_get_the_grades_they_get_alone(graded):
    for student in NORMAL:
        alone = {gid: s.score for gid, s in graded["alone"][student].items()}
        assert graded["scores"][student] == alone, student


@pytest.mark.slow
def test_grading_twice_gives_same_grades_without_duplicates(graded):
    from nbgrader.api import Gradebook

    assert (graded["root"] / "out/reports/grades.csv").read_text() == graded["csv_first"]
    with Gradebook(graded["first"].db_url) as gb:
        submissions = gb.assignment_submissions(A)
        students = [s.student.id for s in submissions]
        assert sorted(students) == sorted(NORMAL + list(BAD) + [BROKEN, TRICKSTER])
        cells = len(gb.find_notebook(A, A).grade_cells)
        assert all(len(n.grades) == cells for s in submissions for n in s.notebooks)


@pytest.mark.slow
def test_feedback_shows_no_hidden_test_source(graded):
    from nbconvert import HTMLExporter

    out = graded["root"] / "out"
    lines = feedback.hidden_lines(grading.read_notebook(grading.source_path(A)),
                                  grading.read_notebook(grading.release_path(A)))
    assert len(lines) >= 5
    pages = sorted(out.glob(f"feedback/*/{A}/{A}.html"))
    assert {p.parts[-3] for p in pages} == set(NORMAL) | set(BAD) | {TRICKSTER}
    for page in pages:
        assert not feedback.leaked_hidden_lines(page.read_text(), lines), page
        assert "Pruebas ocultas" in page.read_text()
    # The marker check does find hidden tests in nbgrader's own rendering of the notebook.
    raw, _ = HTMLExporter().from_filename(str(out / "autograded" / "bucle" / A / f"{A}.ipynb"))
    assert feedback.leaked_hidden_lines(raw, lines)


@pytest.mark.slow
def test_reports_summarise_the_class(graded):
    reports = graded["root"] / "out/reports"
    grades = list(csv.DictReader((reports / "grades.csv").open()))
    assert {"student", "assignment", "score", "max_score", "ej1", "ej2", "ej3"} <= set(grades[0])
    summary = list(csv.DictReader((reports / "exercises.csv").open()))
    assert [r["exercise"] for r in summary] == ["ej1", "ej2", "ej3"]
    assert all(int(r["students"]) == 7 for r in summary)
    assert (reports / "exercises.png").stat().st_size > 5000
