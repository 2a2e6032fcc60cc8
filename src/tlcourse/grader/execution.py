"""Execute submissions so that a runaway cell loses only its own points.

nbgrader's ``Execute`` (nbclient underneath) already interrupts a cell that exceeds the
per-cell timeout. Everything else stops the whole notebook: a kernel that dies
(``os._exit``, a signal, a native crash, the memory watchdog) raises ``DeadKernelError``
and a loop that ignores the interrupt raises ``CellTimeoutError``; nbgrader then records
no grades for that submission at all. :class:`ContainedExecute` (configured in
``grader_config.py``) turns those into an error output on the offending cell (so it scores
0 like any failing cell), starts a fresh kernel, silently re-runs the cells that had
completed (to rebuild the state later cells need) and carries on. It also:

* limits each kernel's memory: ``RLIMIT_DATA`` set by :mod:`tlcourse.grader._kernel_launcher`
  (an oversized allocation fails inside its cell), plus a watchdog that kills the kernel
  when the resident memory of its process tree exceeds the limit + ``watchdog_margin_mb``
  (shared mappings and child processes escape ``RLIMIT_DATA``);
* measures a cell's time limit in **CPU seconds**, not wall-clock seconds: a busy machine
  (other graders, other jobs) slows a correct cell down but does not make it use more CPU,
  so it never costs a correct student points. A cell may use ``timeout`` seconds of CPU per
  core of the machine (:class:`CpuWatchdog` sums the kernel's process tree); past that it is
  interrupted (and killed if it ignores the interrupt) and scores 0 as ``TiempoAgotado``.
  The wall clock (``timeout`` × ``wall_factor``) only guards against cells that hang
  without computing (``time.sleep``, a blocked read);
* bounds the whole notebook by ``notebook_timeout`` seconds: once spent, remaining cells
  are not run and score 0;
* gives up after ``max_kernel_restarts`` restarts (remaining cells score 0);
* runs every kernel in a bubblewrap sandbox (``sandbox``, on by default:
  :class:`tlcourse.grader.sandbox.SandboxedKernelManager`): no view of the course's files or the
  network, an unprivileged user, limits on processes, CPU time, open files and file size.
  Without bubblewrap the kernel does not start (:class:`tlcourse.grader.sandbox.SandboxUnavailable`);
  only ``sandbox = False`` (``--no-sandbox``) runs submissions unconfined.

Without incidents it behaves exactly like nbgrader's ``Execute``. The error names it
writes (``ERROR_NAMES``) are how reports find incidents in autograded notebooks.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import typing as t
from time import monotonic

import psutil
from jupyter_client.manager import AsyncKernelManager
from nbclient.client import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbclient.util import run_sync
from nbformat import NotebookNode
from nbgrader.preprocessors import Execute
from traitlets import Bool, Dict, Float, Integer, observe

from tlcourse.grader import limits as _limits
from tlcourse.grader import sandbox as _sandbox

LAUNCHER = _sandbox.LAUNCHER

#: Error names written by ContainedExecute -> incident kind (for instructor reports).
ERROR_NAMES = {
    "TiempoAgotado": "timeout",
    "KernelDetenido": "kernel_died",
    "MemoriaExcedida": "memory",
    "TiempoTotalAgotado": "notebook_timeout",
    "CeldaNoEjecutada": "not_run",
}
#: Errors raised by the student's own code that also reveal a contained incident.
NATIVE_INCIDENTS = {"MemoryError": "memory", "ResourceExhaustedError": "memory"}


class LimitedKernelManager(AsyncKernelManager):
    """A kernel manager that starts the kernel through the memory-limit launcher."""

    memory_limit_mb = Integer(0, help="RLIMIT_DATA of the kernel in MB (0: no limit)").tag(config=True)

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        """The kernelspec's command, prefixed by the launcher when a limit is set."""
        cmd = super().format_kernel_cmd(extra_arguments)
        if self.memory_limit_mb <= 0:
            return cmd
        return [sys.executable, str(LAUNCHER), "--memory-mb", str(self.memory_limit_mb), "--", *cmd]


def error_output(ename: str, evalue: str) -> NotebookNode:
    """An ``error`` output as a kernel would write it (nbgrader scores the cell 0)."""
    return NotebookNode(output_type="error", ename=ename, evalue=evalue,
                        traceback=[f"\x1b[0;31m{ename}\x1b[0m: {evalue}"])


class _Watchdog:
    """A daemon thread that runs ``_watch`` until :meth:`stop`; ``fired`` tells if it acted."""

    def __init__(self, pid: int, interval: float, name: str) -> None:
        self.pid, self.interval = pid, interval
        self.fired = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True, name=f"{name}-{pid}")

    def start(self):  # type: ignore[no-untyped-def]
        self._thread.start()
        return self

    def stop(self) -> bool:
        """Stop watching; return whether the watchdog fired."""
        self._stop.set()
        self._thread.join(timeout=5)
        return self.fired

    def _watch(self) -> None:
        raise NotImplementedError


class MemoryWatchdog(_Watchdog):
    """Kill a process tree whose resident memory exceeds ``limit_bytes``."""

    def __init__(self, pid: int, limit_bytes: int, interval: float = 0.5) -> None:
        super().__init__(pid, interval, "watchdog")
        self.limit = limit_bytes
        self.peak = 0

    def _tree(self) -> list[psutil.Process]:
        root = psutil.Process(self.pid)
        return [root, *root.children(recursive=True)]

    def _watch(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                tree = self._tree()
                rss = sum(p.memory_info().rss for p in tree)
            except psutil.Error:
                return
            self.peak = max(self.peak, rss)
            if rss > self.limit:
                self.fired = True
                for process in reversed(tree):
                    try:
                        process.kill()
                    except psutil.Error:
                        pass
                return


def cpu_count() -> int:
    """Cores this process may run on (the CPU budget of a cell scales with them)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def tree_cpu_seconds(root: psutil.Process) -> float:
    """User + system CPU seconds of a process tree (reaped children included)."""
    total = 0.0
    for process in [root, *root.children(recursive=True)]:
        try:
            times = process.cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system + times.children_user + times.children_system
    return total


class CpuWatchdog(_Watchdog):
    """Interrupt, then kill, a kernel whose process tree uses more than ``limit_s`` CPU seconds.

    Started for one cell. When the kernel's CPU time since the start exceeds the limit it
    sends SIGINT to the kernel's Python processes (a ``KeyboardInterrupt`` in the cell);
    if the cell still runs ``grace_s`` wall-clock seconds later it kills the whole tree (a
    dead kernel, which :class:`ContainedExecute` contains).
    """

    def __init__(self, pid: int, limit_s: float, grace_s: float = 10.0, interval: float = 0.25) -> None:
        super().__init__(pid, interval, "cpu-watchdog")
        self.limit, self.grace = limit_s, grace_s
        self._root = psutil.Process(pid)
        self._start = tree_cpu_seconds(self._root)

    def used(self) -> float:
        return tree_cpu_seconds(self._root) - self._start

    def _watch(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                if self.used() <= self.limit:
                    continue
            except psutil.Error:
                return
            self.fired = True
            self._signal(signal.SIGINT)
            if not self._stop.wait(self.grace):
                self._signal(signal.SIGKILL)
            return

    def _signal(self, signum: int) -> None:
        try:
            tree = [self._root, *self._root.children(recursive=True)]
        except psutil.Error:
            return
        for process in tree:
            try:
                if signum == signal.SIGKILL or "python" in process.name().lower():
                    process.send_signal(signum)
            except psutil.Error:
                pass


class ContainedExecute(Execute):
    """nbgrader's ``Execute`` that contains dead kernels, endless loops and memory hogs."""

    notebook_timeout = Integer(_limits.DEFAULT.notebook_s, help="Seconds for the whole notebook (0: no limit)").tag(config=True)
    memory_limit_mb = Integer(_sandbox.MEMORY_LIMIT_MB,
                              help="Per-kernel memory limit in MB (0: no limit)").tag(config=True)
    sandbox = Bool(True, help="Run kernels in a bubblewrap sandbox (tlcourse.grader.sandbox); False runs "
                              "submission code as the grading user").tag(config=True)
    process_limit = Integer(_sandbox.PROCESS_LIMIT, help="Sandbox: processes + threads").tag(config=True)
    cpu_limit_s = Integer(_sandbox.CPU_LIMIT_S, help="Sandbox: CPU seconds per process").tag(config=True)
    open_files_limit = Integer(_sandbox.OPEN_FILES_LIMIT, help="Sandbox: open files").tag(config=True)
    file_size_limit_mb = Integer(_sandbox.FILE_SIZE_LIMIT_MB, help="Sandbox: largest file (MB)").tag(config=True)
    tmp_size_mb = Integer(_sandbox.TMP_SIZE_MB, help="Sandbox: size of the private /tmp (MB)").tag(config=True)
    watchdog_margin_mb = Integer(
        1024, help="Resident memory allowed above memory_limit_mb before the watchdog kills "
                   "the kernel (shared libraries count in RSS, not in RLIMIT_DATA)").tag(config=True)
    max_kernel_restarts = Integer(3, help="Kernel restarts per notebook before giving up").tag(config=True)
    wall_factor = Float(
        5.0, help="Wall-clock guard of a cell = timeout × wall_factor: only for cells that hang "
                  "without computing; computing cells are limited by CPU time").tag(config=True)
    error_on_timeout = Dict(
        default_value={
            "ename": "TiempoAgotado",
            "evalue": "la celda no terminó a tiempo y se interrumpió (¿un bucle infinito?).",
            "traceback": ["\x1b[0;31mTiempoAgotado\x1b[0m: la celda no terminó a tiempo y se "
                          "interrumpió (¿un bucle infinito?)."],
        },
    ).tag(config=True)

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        chosen = "kernel_manager_class" in kwargs
        super().__init__(*args, **kwargs)  # nbgrader's Execute sets AsyncKernelManager
        if not chosen:  # after the configuration, which may have set `sandbox`
            self._choose_manager({"new": self.sandbox})
        self._watchdog: MemoryWatchdog | None = None

    @observe("sandbox")
    def _choose_manager(self, change: t.Any) -> None:
        self.kernel_manager_class = _sandbox.SandboxedKernelManager if change["new"] else LimitedKernelManager

    # ----------------------------------------------------------------- kernel
    def create_kernel_manager(self):  # type: ignore[no-untyped-def]
        km = super().create_kernel_manager()
        if isinstance(km, (LimitedKernelManager, _sandbox.SandboxedKernelManager)):
            km.memory_limit_mb = self.memory_limit_mb
        if isinstance(km, _sandbox.SandboxedKernelManager):
            km.process_limit, km.cpu_limit_s = self.process_limit, self.cpu_limit_s
            km.open_files_limit, km.file_size_limit_mb = self.open_files_limit, self.file_size_limit_mb
            km.tmp_size_mb = self.tmp_size_mb
        return km

    def _kernel_pid(self) -> int | None:
        process = getattr(getattr(self.km, "provisioner", None), "process", None)
        return getattr(process, "pid", None)

    def _start_watchdog(self) -> None:
        pid = self._kernel_pid()
        if pid and self.memory_limit_mb > 0:
            limit = (self.memory_limit_mb + self.watchdog_margin_mb) * 1024 * 1024
            self._watchdog = MemoryWatchdog(pid, limit).start()

    def _stop_watchdog(self) -> bool:
        """Stop the watchdog; return whether it killed the kernel."""
        watchdog, self._watchdog = self._watchdog, None
        if watchdog is None:
            return False
        watchdog.stop()
        return watchdog.fired

    def _start_kernel(self) -> None:
        if self.km is None:
            self.km = self.create_kernel_manager()
        self.start_new_kernel()
        self.start_new_kernel_client()
        self.wait_for_reply(self.kc.kernel_info())
        self._start_watchdog()

    async def _async_cleanup_kernel(self) -> None:
        """nbclient's clean-up, tolerating a kernel already killed by :meth:`_kill_kernel`."""
        if self.km is not None:
            await super()._async_cleanup_kernel()

    _cleanup_kernel = run_sync(_async_cleanup_kernel)

    def _kill_kernel(self) -> None:
        self._stop_watchdog()
        mode, self.shutdown_kernel = self.shutdown_kernel, "immediate"
        try:
            self._cleanup_kernel()
        finally:
            self.shutdown_kernel = mode
        self.km, self.kc = None, None

    # ----------------------------------------------------------------- timing
    def _remaining(self) -> float | None:
        return None if self._deadline is None else self._deadline - monotonic()

    def cpu_limit(self) -> float | None:
        """CPU seconds a cell may use: ``timeout`` per core of the machine (None: no limit)."""
        return None if self.timeout is None else float(self.timeout * cpu_count())

    def _get_timeout(self, cell: NotebookNode | None) -> int | None:
        """The cell's wall-clock guard (``timeout`` × ``wall_factor``), never beyond what is
        left of the notebook's time."""
        timeout = super()._get_timeout(cell)
        if timeout is not None:
            timeout = max(1, int(timeout * self.wall_factor))
        remaining = self._remaining() if getattr(self, "_deadline", None) is not None else None
        if remaining is None:
            return timeout
        left = max(1, int(remaining) + 1)
        return left if timeout is None else min(timeout, left)

    # ----------------------------------------------------------------- running
    def preprocess(self, nb: NotebookNode, resources: t.Any = None, km: t.Any = None):  # type: ignore[no-untyped-def]
        """Run every cell like nbclient does, containing incidents cell by cell."""
        NotebookClient.__init__(self, nb, km)
        self.reset_execution_trackers()
        self._check_assign_resources(resources)
        self._deadline: float | None = None
        self._restarts = 0
        self._completed: list[int] = []
        self._gave_up: tuple[str, str] | None = None
        with self.setup_kernel():
            self._start_watchdog()
            info_msg = self.wait_for_reply(self.kc.kernel_info())
            self.nb.metadata["language_info"] = info_msg["content"]["language_info"]
            if self.notebook_timeout > 0:  # the clock starts once the kernel is up
                self._deadline = monotonic() + self.notebook_timeout
            for index, cell in enumerate(self.nb.cells):
                self._run_cell(cell, resources, index)
            self._stop_watchdog()
        self.set_widgets_metadata()
        return self.nb, self.resources

    def _run_cell(self, cell: NotebookNode, resources: t.Any, index: int) -> None:
        if cell.cell_type != "code" or not cell.source.strip():
            return
        remaining = self._remaining()
        if self._gave_up is None and remaining is not None and remaining <= 0:
            self._gave_up = ("TiempoTotalAgotado",
                             f"el cuaderno superó el tiempo total de calificación "
                             f"({self.notebook_timeout} s); esta celda no se ejecutó.")
        if self._gave_up is not None:
            cell.outputs = [error_output(*self._gave_up)]
            return
        self._cpu_watchdog = self._start_cpu_watchdog()
        try:
            self.preprocess_cell(cell, resources, index)
        except (DeadKernelError, CellTimeoutError) as error:
            self.log.warning("Contained %s in cell %d", type(error).__name__, index)
            cell.outputs.append(error_output(*self._incident_message(error)))
            self._recover()
        else:
            if self._stop_cpu_watchdog():
                cell.outputs.append(error_output(*self._cpu_message()))
            else:
                self._completed.append(index)

    def _start_cpu_watchdog(self) -> CpuWatchdog | None:
        pid, limit = self._kernel_pid(), self.cpu_limit()
        if not pid or limit is None:
            return None
        try:
            return CpuWatchdog(pid, limit).start()
        except psutil.Error:
            return None

    def _stop_cpu_watchdog(self) -> bool:
        """Stop the cell's CPU watchdog; return whether it interrupted the cell."""
        watchdog, self._cpu_watchdog = getattr(self, "_cpu_watchdog", None), None
        return watchdog.stop() if watchdog is not None else False

    def _cpu_message(self) -> tuple[str, str]:
        return ("TiempoAgotado",
                f"la celda usó más de {self.cpu_limit():.0f} s de CPU ({self.timeout} s por núcleo) y se "
                "interrumpió (¿un bucle infinito?).")

    def _incident_message(self, error: Exception) -> tuple[str, str]:
        restart = "se reinició el kernel y se volvieron a ejecutar las celdas anteriores."
        if self._stop_cpu_watchdog():
            return ("TiempoAgotado",
                    f"la celda usó más de {self.cpu_limit():.0f} s de CPU ({self.timeout} s por núcleo) y "
                    f"no respondió a la interrupción; {restart}")
        if self._stop_watchdog():
            return ("MemoriaExcedida",
                    f"la celda usó más de {self.memory_limit_mb} MB de memoria y se detuvo el kernel; {restart}")
        if isinstance(error, CellTimeoutError):
            return ("TiempoAgotado",
                    f"la celda no terminó en {self._get_timeout(None)} s de reloj y no respondió a la "
                    f"interrupción; {restart}")
        return ("KernelDetenido",
                "el proceso de Python (kernel) se detuvo durante esta celda (os._exit, una señal, "
                f"un fallo nativo o falta de memoria); {restart}")

    def _recover(self) -> None:
        """Fresh kernel, then silently replay the completed cells (bounded by the restarts)."""
        while self._gave_up is None:
            self._restarts += 1
            self._kill_kernel()
            if self._restarts > self.max_kernel_restarts:
                self._gave_up = ("CeldaNoEjecutada",
                                 f"el kernel se detuvo demasiadas veces ({self.max_kernel_restarts}); "
                                 "esta celda no se ejecutó.")
                return
            try:
                self._start_kernel()
                self._replay()
                return
            except (DeadKernelError, CellTimeoutError, RuntimeError) as error:
                self.log.warning("Kernel lost while replaying: %s", error)

    def _replay(self) -> None:
        for index in list(self._completed):
            cell = self.nb.cells[index]
            msg_id = self.kc.execute(cell.source, silent=True, store_history=False,
                                     stop_on_error=False)
            self.wait_for_reply(msg_id, cell)
            if self._watchdog is not None and self._watchdog.fired:
                raise DeadKernelError("memory watchdog fired while replaying")
