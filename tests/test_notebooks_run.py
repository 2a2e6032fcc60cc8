"""Every solution notebook runs top to bottom within its time and memory budget, silently.

These are marked ``timing``: ``make test`` runs them on their own after the parallel
suite, so the measured times are those of an otherwise idle machine, as the budgets in
DESIGN.md assume.
"""

from __future__ import annotations

import threading
import time

import psutil
import pytest

from conftest import assignments
from tlcourse import grading

BUDGET_S = {"01_evolucion_cnn": 30}
DEFAULT_BUDGET_S = 90
COURSE_BUDGET_S = 6 * 60
MEMORY_BUDGET_MB = 3 * 1024
pytestmark = [pytest.mark.slow, pytest.mark.timing]
_elapsed: dict[str, float] = {}


class PeakMemory:
    """Polls the RSS of the notebook's kernel (and its children) while it runs."""

    def __init__(self) -> None:
        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._known = {p.pid for p in psutil.Process().children(recursive=True)}

    def _poll(self) -> None:
        while not self._stop.wait(0.2):
            for child in psutil.Process().children(recursive=True):
                if child.pid in self._known:
                    continue
                try:
                    rss = child.memory_info().rss + sum(
                        c.memory_info().rss for c in child.children(recursive=True))
                except psutil.Error:
                    continue
                self.peak_mb = max(self.peak_mb, rss / 2**20)

    def __enter__(self) -> "PeakMemory":
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


@pytest.mark.parametrize("assignment", assignments())
def test_solution_runs_within_budget_without_stderr(assignment, capsys):
    with PeakMemory() as memory:
        notebook, seconds = grading.execute_notebook(grading.source_path(assignment), timeout=300)
    _elapsed[assignment] = seconds
    with capsys.disabled():
        print(f"\n  {assignment}: {seconds:.1f} s, kernel peak {memory.peak_mb:.0f} MB")
    assert grading.stderr_outputs(notebook) == [], "no cell may write to stderr"
    assert seconds <= BUDGET_S.get(assignment, DEFAULT_BUDGET_S)
    assert memory.peak_mb <= MEMORY_BUDGET_MB


def test_whole_course_within_budget():
    missing = set(assignments()) - set(_elapsed)
    if missing:
        pytest.skip(f"needs the per-notebook runs first: {sorted(missing)}")
    assert sum(_elapsed.values()) <= COURSE_BUDGET_S
