"""The Dask cluster class grading runs on, from the client's side.

* No scheduler given: a ``LocalCluster`` inside the command (worker processes, one thread
  each), closed when grading ends.
* ``--scheduler tcp://HOST:8786`` or ``TLCOURSE_SCHEDULER``: an existing cluster started with
  Dask's own commands (``dask scheduler``; ``dask worker tcp://HOST:8786 --nthreads 1`` on each
  machine holding the course), or by dask-jobqueue / dask-kubernetes.

Before any job is submitted, every worker reports its course fingerprint
(:mod:`tlcourse.grader.courseversion`); a worker whose course files differ is refused with
:func:`tlcourse.grader.gradejob.version_message` and nothing is graded; so is a worker that cannot
run the sandbox when the run asks for it. Each job checks it again on
its worker, for workers that join later.
"""

from __future__ import annotations

import logging
import os
import sys
from contextlib import contextmanager
from typing import Any, Iterator

SCHEDULER_ENV = "TLCOURSE_SCHEDULER"
#: Seconds to wait for the first worker of an external cluster.
WORKER_WAIT_S = 120


def scheduler_address(given: str | None) -> str | None:
    """``--scheduler`` if given, else ``TLCOURSE_SCHEDULER``, else None (a local cluster)."""
    return given or os.environ.get(SCHEDULER_ENV) or None


def bokeh_available() -> bool:
    """Whether Dask's dashboard can run here (it needs bokeh)."""
    try:
        import bokeh  # noqa: F401
    except ImportError:
        return False
    return True


@contextmanager
def connect(scheduler: str | None, workers: int, dashboard: str | None = None,
            local_directory: str | None = None) -> Iterator[Any]:
    """A ``distributed.Client`` on the cluster (a new LocalCluster when ``scheduler`` is None)."""
    from distributed import Client, LocalCluster

    if scheduler:
        with Client(scheduler, timeout="60s") as client:
            client.wait_for_workers(1, timeout=WORKER_WAIT_S)
            yield client
        return
    address = (dashboard or ":0") if bokeh_available() else None
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                      dashboard_address=address, silence_logs=logging.ERROR,
                      local_directory=local_directory) as cluster, Client(cluster) as client:
        yield client


def describe(client: Any, scheduler: str | None) -> str:
    """One line for the instructor: which cluster, how many workers, the dashboard's address."""
    workers = client.scheduler_info().get("workers", {})
    kind = f"scheduler {scheduler}" if scheduler else "local cluster"
    link = client.dashboard_link if _has_dashboard(client) else None
    why = "the scheduler runs none" if bokeh_available() else "bokeh is not installed"
    board = f"dashboard {link}" if link else f"dashboard off ({why})"
    return f"Dask: {kind}, {len(workers)} workers; {board}"


def _has_dashboard(client: Any) -> bool:
    services = client.scheduler_info().get("services", {})
    return "dashboard" in services


def check_workers(client: Any, ours: str, sandbox: bool = True) -> None:
    """Refuse the run if any worker's course fingerprint differs from ``ours``, or (when the
    sandbox is asked for) if a worker cannot run it."""
    from tlcourse.grader.classgrade import GradingError
    from tlcourse.grader.gradejob import version_message, worker_fingerprint

    theirs = client.run(worker_fingerprint)
    wrong = [version_message(worker, version, ours) for worker, version in sorted(theirs.items())
             if version != ours]
    if sandbox and not wrong:
        for worker, (ok, message) in sorted(client.run(worker_sandbox).items()):
            if not ok:
                wrong.append(f"worker {worker} cannot run the sandbox: {message}")
    if wrong:
        raise GradingError("\n".join(wrong) + "\nNo submission was graded.")


def worker_sandbox() -> tuple[bool, str]:
    """(whether the bubblewrap sandbox works on this worker's machine, why not)."""
    from tlcourse.grader import sandbox

    status = sandbox.status()
    return bool(status.ok), "" if status.ok else status.message()


def announce(message: str, quiet: bool = False) -> None:
    """Print a line for the instructor on stderr (the summary stays alone on stdout)."""
    if not quiet:
        print(message, file=sys.stderr, flush=True)
