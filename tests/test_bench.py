"""``make bench`` reports each figure beside its budget and the machine's reference speed."""

from __future__ import annotations

import nbformat

from tlcourse.build import bench


def _results(execute_s: float, cell_s: float, memory_mb: int) -> dict:
    return {"machine": bench.machine(), "load_start": [0.1] * 3, "load_end": [0.1] * 3,
            "reference": {"seconds": 5.0, "runs": [5.0, 5.2, 4.9]},
            "notebooks": {"03_x": {"execute_s": execute_s, "autograde_s": execute_s + 1, "overhead_s": 1.0,
                                   "peak_rss_mb": memory_mb, "solution_lost": [], "failing_cells": [],
                                   "slowest_graded_cell": "test_ej6", "slowest_graded_cell_s": cell_s}}}


def test_figures_over_budget_are_marked_and_the_rest_are_not():
    over = bench.render(_results(61.0, 15.5, 4000))
    assert "**61.0 (over 60)**" in over and "**15.5 (over 15)**" in over and "**4000 (over 3072)**" in over
    within = bench.render(_results(59.0, 14.0, 2000))
    assert "(over " not in within


def test_report_states_the_reference_workload_and_each_time_in_its_units():
    page = bench.render(_results(30.0, 5.0, 2000))
    assert "**5.0 s**" in page and "| 03_x | 30.0 | 6.0 |" in page


def test_slowest_graded_cell_is_read_from_nbclient_timestamps():
    def cell(gid, grade, start, end):
        return nbformat.v4.new_code_cell("", metadata={
            "nbgrader": {"grade_id": gid, "grade": grade},
            "execution": {"iopub.execute_input": f"2026-01-01T00:00:{start:02d}.000000Z",
                          "shell.execute_reply": f"2026-01-01T00:00:{end:02d}.500000Z"}})
    notebook = nbformat.v4.new_notebook(cells=[cell("ej1", False, 0, 40), cell("test_ej1", True, 41, 44),
                                               cell("test_ej2", True, 45, 51)])
    assert bench.slowest_graded_cell(notebook) == ("test_ej2", 6.5)


def test_the_judge_share_is_read_from_the_verdicts_with_its_cpu_time(tmp_path):
    from tlcourse.grader.verdicts import EVIDENCE_DIR, VERDICTS_FILE

    folder = tmp_path / "03_x"
    (folder / EVIDENCE_DIR).mkdir(parents=True)
    assert bench._judge_seconds(folder) == (None, None)  # no judge ran
    (folder / EVIDENCE_DIR / VERDICTS_FILE).write_text('{"judge_s": 9.5, "judge_cpu_s": 7.25}')
    wall, cpu = bench._judge_seconds(folder)
    assert (wall, cpu) == (9.5, 7.25)
    results = _results(30.0, 5.0, 2000)
    results["notebooks"]["03_x"].update(judge_s=wall, judge_cpu_s=cpu)
    assert "| 9.5; CPU 7.25 |" in bench.render(results)
    (folder / EVIDENCE_DIR / VERDICTS_FILE).write_text('{"judge_s": 9.5}')  # recorded before CPU time was
    assert bench._judge_seconds(folder) == (9.5, None)


def test_times_are_divided_by_the_mean_of_the_reference_before_and_after():
    """The machine's speed drifts within the hour: the report says by how much, and uses the mean."""
    results = _results(50.0, 2.0, 900)
    results["reference"] = {"seconds": 4.0, "runs": [4.0, 4.1, 3.9]}
    results["reference_after"] = {"seconds": 6.0, "runs": [6.0, 6.2, 5.9]}
    text = bench.render(results)
    assert "divided by 5.0 s" in text and "+50 %" in text and "**6.0 s**" in text
    assert "| 03_x | 50.0 | 10.0 |" in text



def test_the_course_total_is_judged_only_when_every_notebook_was_timed():
    from tlcourse.grader.classgrade import course_assignments

    subset = bench.render(_results(200.0, 2.0, 900))
    n = len(course_assignments())
    assert "Whole course" not in subset and f"Timed here: 1 of the course's {n} notebooks, 200.0 s" in subset
    row = _results(60.0, 2.0, 900)["notebooks"]["03_x"]
    results = _results(60.0, 2.0, 900)
    results["notebooks"] = {name: dict(row) for name in course_assignments()}
    whole = bench.render(results)
    assert f"Whole course, top to bottom: **{60.0 * len(course_assignments())} (over 360)** s" in whole

# --------------------------------------------------------------------------- loaded check
def _row(student: str, assignment: str, points: dict[str, float]) -> dict[str, str]:
    return {"student": student, "assignment": assignment, **{e: str(p) for e, p in points.items()}}


def _full(assignment: str) -> dict[str, float]:
    return {e: s.max_score for e, s in bench.solution_points(assignment).items()}


def test_loaded_check_names_a_solution_that_lost_points_and_the_loop_that_lost_more():
    from tlcourse.build import loaded

    a, b = "00_entorno", "01_evolucion_cnn"
    short = {**_full(b), "ej2": 0.0}
    rows = [_row("solucion", a, _full(a)), _row("solucion", b, short),
            _row("bucle", a, {**_full(a), "ej2": 0.0, "ej3": 0.0})]
    verdicts = loaded._verdicts(rows, [a, b])
    assert verdicts[a]["full"] and not verdicts[b]["full"] and verdicts[b]["lost"] == ["ej2"]
    assert verdicts["loop"] == {"lost": ["ej2", "ej3"], "loses_only_its_exercise": False}


def test_loaded_check_passes_full_marks_and_a_loop_that_lost_only_its_exercise():
    from tlcourse.build import loaded

    a = "00_entorno"
    rows = [_row("solucion", a, _full(a)), _row("bucle", a, {**_full(a), "ej3": 0.0})]
    verdicts = loaded._verdicts(rows, [a])
    assert verdicts[a]["full"] and verdicts["loop"]["loses_only_its_exercise"]
    missing = loaded._verdicts([_row("bucle", a, _full(a))], [a])
    assert not missing[a]["full"], "a solution with no grade row did not keep its marks"


def test_loaded_check_writes_every_solution_and_the_endless_loop(tmp_path):
    from tlcourse.build import loaded

    loaded.write_submissions(tmp_path, ["00_entorno", "01_evolucion_cnn"])
    written = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.ipynb"))
    assert written == ["bucle/00_entorno/00_entorno.ipynb", "solucion/00_entorno/00_entorno.ipynb",
                       "solucion/01_evolucion_cnn/01_evolucion_cnn.ipynb"]
    loop = (tmp_path / "bucle/00_entorno/00_entorno.ipynb").read_text()
    assert "while True" in loop


def test_load_sampler_reports_median_and_lowest():
    from tlcourse.build import loaded

    sampler = loaded.LoadSampler()
    sampler.samples = [9.5, 2.0, 8.0, 9.0]
    assert sampler.summary() == {"median": 9.0, "min": 2.0, "samples": 4}


def test_a_poller_samples_while_its_block_runs_and_stops_after():
    import time

    class Counter(bench.Poller):
        every_s = 0.01
        count = 0

        def sample(self) -> None:
            self.count += 1

    with Counter() as counter:
        time.sleep(0.3)
    seen = counter.count
    time.sleep(0.1)
    assert seen >= 2 and counter.count == seen


def test_busy_cpu_counts_this_process_spinning():
    import time

    before, spent = bench.busy_cpu_s(), time.process_time()
    while time.process_time() - spent < 0.3:
        pass
    assert bench.busy_cpu_s() - before >= 0.25


def test_the_class_table_says_how_much_a_second_worker_can_add():
    runs = {name: {"wall_s": 100.0, "notebooks": 40, "throughput_per_min": 2.4, "sum_job_s": 90.0,
                   "cores_busy": busy, "failed": 0, "incidents": 0, "load_before": [0.1] * 3}
            for name, busy in (("1", 1.6), ("2", 1.95))}
    block = {"students": 20, "assignments": ["00_entorno"], "runs": runs, "cores": 2,
             "speedup_2_vs_1": 1.2, "identical_grades": True}
    text = "\n".join(bench._render_class(block))
    assert "| 1 | 100.0 | 40 | 2.4 | 90.0 | 1.6 |" in text
    assert "One worker kept 1.6 of the 2 cores busy" in text and "at most about 1.25x" in text


def _run(execute_s: float, autograde_s: float, cell_s: float, memory_mb: float, lost: list[str]) -> dict:
    return {"execute_s": execute_s, "autograde_s": autograde_s, "overhead_s": autograde_s - execute_s,
            "peak_rss_mb": memory_mb, "slowest_graded_cell": f"test_{cell_s}", "slowest_graded_cell_s": cell_s,
            "judge_s": 0.1, "judge_cpu_s": 5.0, "failing_cells": [], "solution_lost": lost}


def test_repeated_runs_give_median_times_and_the_worst_cell_memory_and_losses():
    """One run whose overhead jumped (another process woke up) moves no reported time."""
    row = bench.summarise_runs([_run(30.0, 36.0, 2.0, 1500, []), _run(31.0, 47.0, 2.5, 1800, ["test_ej6"]),
                                _run(29.0, 35.0, 2.1, 1600, [])])
    assert (row["execute_s"], row["autograde_s"], row["overhead_s"]) == (30.0, 36.0, 6.0)
    assert (row["slowest_graded_cell_s"], row["slowest_graded_cell"], row["peak_rss_mb"]) == (2.5, "test_2.5", 1800)
    assert row["solution_lost"] == ["test_ej6"] and row["repeats"] == 3
    page = bench.render({**_results(30.0, 2.0, 1800), "notebooks": {"03_x": row}})
    assert "medians of 3 runs" in page and "alternating order" in page and "| 6.0 |" in page


def test_bench_refuses_zero_repeats_before_measuring_anything(tmp_path, capsys):
    from tlcourse import cli

    assert cli.main(["bench", "--repeats", "0", "--out", str(tmp_path / "b")]) == 2
    assert "--repeats must be at least 1" in capsys.readouterr().err and not (tmp_path / "b").exists()
