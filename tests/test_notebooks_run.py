"""Every solution notebook runs top to bottom silently and within its memory budget.

Nothing here depends on the machine's speed: wall-clock budgets (per notebook, per graded
cell, whole course) are measured and reported by ``make bench`` (:mod:`tlcourse.bench`),
never pass/fail in ``make test``. The execution timeout below only guards against hangs.
"""

from __future__ import annotations

import pytest

from conftest import assignments
from tlcourse import bench, grading

HANG_GUARD_S = 1200  # per cell; a solution cell takes seconds
pytestmark = pytest.mark.slow


@pytest.mark.parametrize("assignment", assignments())
def test_solution_runs_silently_within_memory_budget(assignment):
    with bench.PeakRSS() as memory:
        notebook, _ = grading.execute_notebook(grading.source_path(assignment), timeout=HANG_GUARD_S)
    assert grading.stderr_outputs(notebook) == [], "no cell may write to stderr"
    assert memory.peak_mb <= bench.BUDGETS["kernel_memory_mb"], (
        f"peak kernel memory {memory.peak_mb:.0f} MB > {bench.BUDGETS['kernel_memory_mb']} MB")
