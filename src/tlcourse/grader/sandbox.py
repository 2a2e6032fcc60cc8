"""Run every grading kernel inside a bubblewrap sandbox.

While grading, a submission's code runs in a Jupyter kernel. Without a sandbox that kernel
runs as the instructor, inside the course folder: it can read ``solutions/`` and the hidden
tests, rewrite the gradebook or other students' submissions, patch ``src/tlcourse/``,
leave daemons behind, kill the grader, start hundreds of processes and open network
connections. :class:`SandboxedKernelManager` starts the kernel with `bubblewrap
<https://github.com/containers/bubblewrap>`_ (``bwrap``, Debian package ``bubblewrap``)
instead:

* **Namespaces of its own**: PID (the grader's processes are invisible, so they cannot be
  signalled; when the sandbox's PID 1 exits every process left inside dies, daemons
  started with ``setsid`` included), network (only a loopback of its own: no connection to
  anything, the host's loopback included; a server a notebook starts on its own
  ``127.0.0.1`` still works), IPC and UTS.
* **A read-only view of only what the notebook needs**: the system (``/usr``, ``/etc``...),
  the Python installation and virtual environment, ``data/`` and the student side of the
  course package (:func:`kernel_modules`: the kit's modules plus what test cells use; no
  judge, grader or build code). Nothing else of the repository (no ``solutions/``), no course root of
  the grader (gradebook, ``submitted/``, other students' ``autograded/``), no home folder.
* **Private writable places**: the kernel's working folder (nbgrader runs a notebook in
  ``autograded/<student>/<assignment>/``; only that folder is bound, nothing above it) and
  a size-limited ``/tmp`` (``HOME`` is ``/tmp/home``: Keras' and TF-Hub's caches go there;
  the course's Fashion-MNIST is bound read-only into Keras' cache, since ``load_data()``
  cannot download).
* **An unprivileged user**: when the grader runs as root, the kernel runs as a uid of its
  own (``100000 + grader pid % 100000``; see :func:`sandbox_uid`), so ``RLIMIT_NPROC``
  counts only this sandbox's processes; otherwise a user namespace maps the instructor to
  ``nobody`` inside.
* **Limits** (:class:`Limits`, set by :mod:`tlcourse.grader._kernel_launcher`): processes and
  threads, memory, CPU time, open files, file size, ``/tmp`` size.

The kernel talks to the grader over ZeroMQ ``ipc`` sockets in a private run folder bound
into the sandbox (TCP cannot cross the network namespace), and interrupts are sent as
messages (a signal to ``bwrap`` would not reach the kernel, or would kill the sandbox).

Where ``bwrap`` is missing or cannot work (macOS, user namespaces disabled),
:func:`status` says why: ``tlcourse grade`` then stops unless given ``--no-sandbox``, and
``make check`` runs without it and says so (:mod:`tlcourse.grader.classgrade`,
:mod:`tlcourse.grader.selfcheck`). There is never a silent downgrade: a kernel manager asked for
a sandbox that cannot build one raises :class:`SandboxUnavailable`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from traitlets import Integer

from tlcourse.grader import limits as _limits

#: Sets the limits and the user, then execs the kernel (run as a script, never imported).
LAUNCHER = Path(__file__).with_name("_kernel_launcher.py")

# --------------------------------------------------------------------------- limits
# Each limit's default is defined here once; ContainedExecute's traits start from them.

#: Processes + threads of the sandbox's user (RLIMIT_NPROC counts threads too). A TensorFlow
#: kernel alone has ~100-200 threads (one pool per core, Eigen, gRPC, data pipelines);
#: 512 leaves room for that plus the few subprocesses a notebook may start, and stops a
#: fork bomb long before it hurts the machine.
PROCESS_LIMIT = 512
#: RLIMIT_DATA per kernel in MB: the course's memory limit (tlcourse.grader.limits).
MEMORY_LIMIT_MB = _limits.DEFAULT.memory_mb
#: CPU seconds per kernel process (all its threads together). The notebook time limit is
#: 900 s of wall clock; a kernel using ~4 cores for all of it stays under 3600 s. This only
#: backs up the per-cell timeout (e.g. a child process that spins after its cell ended).
CPU_LIMIT_S = 3600
#: Open files per process: the usual Linux default soft limit, plenty for a kernel
#: (TensorFlow keeps a few dozen open), and it bounds descriptor exhaustion.
OPEN_FILES_LIMIT = 1024
#: Largest file a kernel may write, in MB: saved models and the Keras cache copy of
#: Fashion-MNIST are tens of MB; 1 GB stops a runaway writer from filling the disk at once.
FILE_SIZE_LIMIT_MB = 1024
#: Size of the private /tmp (tmpfs, held in memory): caches of Keras (~30 MB) and TF-Hub
#: (a few MB for the course backbone) fit many times over.
TMP_SIZE_MB = 512
#: Size of the private /dev/shm (shared memory of multiprocessing/joblib; counts as memory).
SHM_SIZE_MB = 256

#: Where the kernel's home is inside the sandbox (private /tmp).
HOME = "/tmp/home"
#: Read-only system folders (symbolic links such as /bin -> usr/bin are recreated as links).
SYSTEM_PATHS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc")
#: Host environment variables passed into the sandbox (prefixes); everything else is
#: dropped (the instructor's tokens, paths of their home, JPY_PARENT_PID: ipykernel would
#: exit because the PID namespace hides its parent).
ENV_PREFIXES = ("PATH", "LANG", "LANGUAGE", "LC_", "TZ", "TF_", "TFHUB_", "OMP_", "MKL_", "OPENBLAS_",
                "KMP_", "CUDA_", "TLCOURSE_", "PYTHONHASHSEED", "PYDEVD_", "MPLBACKEND")


@dataclass(frozen=True)
class Limits:
    """The limits of one sandboxed kernel (0: not limited)."""

    processes: int = PROCESS_LIMIT
    memory_mb: int = MEMORY_LIMIT_MB
    cpu_seconds: int = CPU_LIMIT_S
    open_files: int = OPEN_FILES_LIMIT
    file_size_mb: int = FILE_SIZE_LIMIT_MB
    tmp_mb: int = TMP_SIZE_MB

    def launcher_options(self) -> list[str]:
        pairs = {"--memory-mb": self.memory_mb, "--processes": self.processes,
                 "--cpu-seconds": self.cpu_seconds, "--open-files": self.open_files,
                 "--file-size-mb": self.file_size_mb}
        return [item for name, value in pairs.items() if value > 0 for item in (name, str(value))]


class SandboxUnavailable(RuntimeError):
    """bubblewrap is missing or cannot create a sandbox on this machine."""


# --------------------------------------------------------------------------- identity
def privileged() -> bool:
    """Root builds the sandbox directly and drops to a uid of its own inside."""
    return os.geteuid() == 0


def sandbox_uid(pid: int | None = None) -> int:
    """The uid a sandbox started by process ``pid`` runs as (when the grader is root).

    ``RLIMIT_NPROC`` counts every process and thread of a uid machine-wide, so each
    concurrently running sandbox needs a uid of its own: a grading worker runs one kernel
    at a time, so its pid makes the uid unique among the workers of a run.
    """
    return 100000 + (os.getpid() if pid is None else pid) % 100000


def _threads_of(uid: int) -> int:
    import psutil

    total = 0
    for process in psutil.process_iter(["uids", "num_threads"]):
        uids = process.info.get("uids")
        if uids is not None and uids.real == uid:
            total += process.info.get("num_threads") or 0
    return total


# --------------------------------------------------------------------------- command
def package_dir() -> Path:
    """The ``tlcourse`` package folder (the editable install points into ``src/``)."""
    return Path(__file__).resolve().parent.parent


#: The grader's modules a kernel needs (paths inside the package, without ``.py``): what the
#: in-kernel test cells and probes import. Nothing else of ``grader/``, nothing of ``build/``.
KERNEL_GRADER_MODULES = ("grader/__init__", "grader/evidence", "grader/hidden_test_helpers")


def kernel_modules() -> tuple[str, ...]:
    """Modules of ``tlcourse`` a submission's kernel sees (paths inside the package, without
    ``.py``): the student side (:data:`tlcourse.contract.STUDENT_MODULES`, the kit's list)
    plus :data:`KERNEL_GRADER_MODULES`. Never the judges, the rest of the grader or the build side."""
    from tlcourse.contract import STUDENT_MODULES

    return (*STUDENT_MODULES, *KERNEL_GRADER_MODULES)


def stage_kernel_package(folder: Path) -> Path:
    """A copy of the package holding only :func:`kernel_modules` (and :data:`LAUNCHER`, which
    starts the kernel inside), to bind in its place."""
    staged = Path(folder) / "tlcourse"
    staged.mkdir(parents=True, exist_ok=True)
    for name in (*kernel_modules(), f"grader/{LAUNCHER.stem}"):
        (staged / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(package_dir() / f"{name}.py", staged / f"{name}.py")
    return staged


def _read_only_paths(package: bool = True) -> list[Path]:
    from tlcourse.paths import data_dir

    paths = [Path(sys.base_prefix), Path(sys.prefix), *([package_dir()] if package else []), data_dir()]
    executable = Path(sys.executable).resolve()
    if not any(executable.is_relative_to(p.resolve()) for p in paths):
        paths.append(executable.parent)
    unique: list[Path] = []
    for path in (p.resolve() for p in paths):
        if path not in unique and not any(path.is_relative_to(u) for u in unique):
            unique = [u for u in unique if not u.is_relative_to(path)] + [path]
    return unique


class _Mounts:
    """bwrap arguments, creating the parent folders of each mount point traversable (0755:
    bwrap would create missing parents 0700, which the unprivileged user cannot enter)."""

    def __init__(self) -> None:
        self.args: list[str] = []
        self.present: list[Path] = [Path("/")]
        self.covered: list[Path] = []  # mount points whose insides already exist

    def _parents(self, path: Path) -> None:
        for parent in reversed(path.parents):
            if parent in self.present or any(parent.is_relative_to(c) for c in self.covered):
                continue
            self.args += ["--perms", "0755", "--dir", str(parent)]
            self.present.append(parent)

    def add(self, option: str, source: str | Path, target: str | Path, *extra: str) -> None:
        target = Path(target)
        self._parents(target)
        self.args += [*extra, option, str(source), str(target)] if option in ("--bind", "--ro-bind") \
            else [*extra, option, str(target)]
        self.present.append(target)
        if option in ("--bind", "--ro-bind"):  # a tmpfs starts empty; a bound folder does not
            self.covered.append(target)

    def symlink(self, destination: str, target: str) -> None:
        self.args += ["--symlink", destination, target]
        self.present.append(Path(target))


def _keras_cache(mounts: _Mounts) -> None:
    """Fashion-MNIST where ``tf.keras.datasets.fashion_mnist.load_data()`` looks for it.

    Notebooks call ``load_data()``, which downloads into ``~/.keras`` unless the files are
    there; the sandbox has no network and a fresh home, so the verified course copy is bound
    read-only at ``$HOME/.keras/datasets/fashion-mnist``. The folders above it are writable
    (1777): tf_keras uses ``~/.keras`` only if it can write there, and other datasets or
    models may be cached beside it.
    """
    from tlcourse.paths import data_dir

    source = data_dir() / "fashion-mnist"
    if not source.is_dir():
        return
    home = Path(HOME)
    for folder in (home, home / ".keras", home / ".keras" / "datasets"):
        mounts.args += ["--perms", "1777", "--dir", str(folder)]
        mounts.present.append(folder)
    mounts.add("--ro-bind", source.resolve(), home / ".keras" / "datasets" / "fashion-mnist")


def bwrap_command(command: list[str], workdir: Path, rundir: Path, limits: Limits = Limits(),
                  uid: int | None = None, extra_env: dict[str, str] | None = None,
                  read_only: tuple[Path, ...] = (), package: Path | None = None) -> list[str]:
    """The full command that runs ``command`` in a sandbox.

    ``workdir`` (the kernel's working folder) and ``rundir`` (connection file and ipc
    sockets) are the only writable folders of the host it sees; both are bound at their own
    paths, and so are the ``read_only`` folders (read-only). ``package``, when given, is
    shown read-only in place of the ``tlcourse`` package (a kernel gets
    :func:`stage_kernel_package`; the judge, the whole package). ``uid`` is the user inside
    when running as root (default :func:`sandbox_uid`).
    """
    mounts = _Mounts()
    for path in SYSTEM_PATHS:
        if os.path.islink(path):
            mounts.symlink(os.readlink(path), path)
        elif os.path.isdir(path):
            mounts.add("--ro-bind", path, path)
    mounts.add("--proc", "", "/proc")
    mounts.add("--dev", "", "/dev")
    # POSIX semaphores and shared memory (multiprocessing, joblib via scikit-learn) need a
    # writable /dev/shm; without it joblib warns on stderr, and stderr zeroes a graded cell.
    mounts.add("--tmpfs", "", "/dev/shm", "--perms", "1777", "--size", str(SHM_SIZE_MB * 1024 * 1024))
    tmp_options = ["--perms", "1777"] + (["--size", str(limits.tmp_mb * 1024 * 1024)] if limits.tmp_mb > 0 else [])
    mounts.add("--tmpfs", "", "/tmp", *tmp_options)
    # The tmpfs hides anything below /tmp mounted before it: host folders come after.
    for path in _read_only_paths(package=package is None):
        if not any(path.is_relative_to(c) for c in mounts.covered):  # e.g. Python in /usr
            mounts.add("--ro-bind", path, path)
    if package is not None:
        mounts.add("--ro-bind", Path(package).resolve(), package_dir())
    _keras_cache(mounts)
    for path in read_only:
        mounts.add("--ro-bind", Path(path).resolve(), Path(path).resolve())
    for path in (Path(rundir).resolve(), Path(workdir).resolve()):
        mounts.add("--bind", path, path)
    cmd = ["bwrap", "--die-with-parent", "--new-session", "--unshare-pid", "--unshare-net",
           "--unshare-ipc", "--unshare-uts", "--hostname", "sandbox"]
    launcher = [sys.executable, str(LAUNCHER), *limits.launcher_options(), "--home", HOME]
    if privileged():
        uid = sandbox_uid() if uid is None else uid
        launcher += ["--uid", str(uid), "--gid", str(uid)]
    else:
        cmd += ["--unshare-user", "--uid", "65534", "--gid", "65534"]
        if limits.processes > 0:  # the count is the instructor's own, outside: add to it
            index = launcher.index("--processes")
            launcher[index + 1] = str(limits.processes + _threads_of(os.getuid()))
    cmd += mounts.args + ["--chdir", str(Path(workdir).resolve()), "--clearenv"]
    env = {k: v for k, v in os.environ.items() if k.startswith(ENV_PREFIXES)}
    from tlcourse.paths import data_dir

    env.update(HOME=HOME, TMPDIR="/tmp", TFHUB_CACHE_DIR="/tmp/tfhub", TLCOURSE_DATA=str(data_dir()),
               TLCOURSE_SANDBOXED="1", **(extra_env or {}))
    # ipykernel exits when its parent changes and, without a parent pid, prints a Ctrl-C
    # notice: inside the PID namespace its parent is the sandbox's init, pid 1.
    env["JPY_PARENT_PID"] = "1"
    for name, value in sorted(env.items()):
        cmd += ["--setenv", name, value]
    return [*cmd, "--", *launcher, "--", *command]


# --------------------------------------------------------------------------- ownership
def _chown_tree(root: Path, uid: int, gid: int) -> None:
    """``chown -R`` without following symbolic links (a submission may plant them)."""
    os.lchown(root, uid, gid)
    for folder, dirs, files in os.walk(root, followlinks=False):
        for name in dirs + files:
            try:
                os.lchown(os.path.join(folder, name), uid, gid)
            except FileNotFoundError:
                pass


def _check_workdir(workdir: Path) -> None:
    """Refuse a working folder that would expose (and hand over) more than one job's files:
    the kernel gets it read-write and, as root, its ownership."""
    if not workdir.is_dir():
        raise SandboxUnavailable(f"the kernel's working folder {workdir} does not exist")
    protected = [Path.home().resolve(), *(p for p in _read_only_paths())]
    if workdir == Path("/") or any(p.is_relative_to(workdir) for p in protected):
        raise SandboxUnavailable(f"refusing {workdir} as a sandboxed kernel's working folder: it "
                                 "contains the home folder, the Python environment or the course")


def _short_tempdir() -> str:
    """A folder for ipc sockets: unix socket paths must stay under ~100 bytes."""
    base = tempfile.gettempdir()
    return base if len(base) < 40 else "/tmp"


# --------------------------------------------------------------------------- kernels
class SandboxedKernelManager(AsyncKernelManager):
    """A kernel manager whose kernels run in a bubblewrap sandbox (see the module doc).

    The kernel's working folder is the ``cwd`` nbclient passes (nbgrader: the autograded
    notebook's folder); while the kernel runs it belongs to the sandbox user, and its
    previous owner gets it back (without following links) when the kernel is cleaned up.
    """

    memory_limit_mb = Integer(MEMORY_LIMIT_MB, help="RLIMIT_DATA of the kernel in MB").tag(config=True)
    process_limit = Integer(PROCESS_LIMIT, help="RLIMIT_NPROC (processes + threads)").tag(config=True)
    cpu_limit_s = Integer(CPU_LIMIT_S, help="RLIMIT_CPU of the kernel in seconds").tag(config=True)
    open_files_limit = Integer(OPEN_FILES_LIMIT, help="RLIMIT_NOFILE of the kernel").tag(config=True)
    file_size_limit_mb = Integer(FILE_SIZE_LIMIT_MB, help="RLIMIT_FSIZE of the kernel in MB").tag(config=True)
    tmp_size_mb = Integer(TMP_SIZE_MB, help="size of the sandbox's private /tmp in MB").tag(config=True)

    _workdir: Path | None = None
    _rundir: Path | None = None
    _owner: tuple[int, int] | None = None

    def limits(self) -> Limits:
        return Limits(processes=self.process_limit, memory_mb=self.memory_limit_mb,
                      cpu_seconds=self.cpu_limit_s, open_files=self.open_files_limit,
                      file_size_mb=self.file_size_limit_mb, tmp_mb=self.tmp_size_mb)

    async def _async_pre_start_kernel(self, **kw):  # type: ignore[no-untyped-def]
        check = status()
        if not check.ok:
            raise SandboxUnavailable(check.message())
        self._workdir = Path(kw.get("cwd") or os.getcwd()).resolve()
        _check_workdir(self._workdir)
        self._rundir = Path(tempfile.mkdtemp(prefix="tlsb-", dir=_short_tempdir()))
        self.transport = "ipc"
        self.ip = str(self._rundir / "k")
        self.connection_file = str(self._rundir / "kernel.json")
        self.kernel_spec.interrupt_mode = "message"  # see the module doc
        self._uid = sandbox_uid()
        if privileged():
            stat = self._workdir.stat()
            self._owner = (stat.st_uid, stat.st_gid)
            os.chown(self._rundir, self._uid, self._uid)
            _chown_tree(self._workdir, self._uid, self._uid)
        return await super()._async_pre_start_kernel(**kw)

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        """The kernelspec's command wrapped in bwrap and the limits launcher."""
        assert self._workdir is not None and self._rundir is not None
        command = super().format_kernel_cmd(extra_arguments)
        if privileged():  # written 0600 by jupyter_client: the kernel's user must read it
            os.chown(self.connection_file, self._uid, self._uid)
        package = stage_kernel_package(self._rundir / "paquete")  # no judge, no grader inside
        return bwrap_command(command, self._workdir, self._rundir, self.limits(), uid=self._uid,
                             package=package)

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        if restart:
            return
        rundir, self._rundir = self._rundir, None
        if rundir is not None:
            shutil.rmtree(rundir, ignore_errors=True)
        owner, self._owner = self._owner, None
        if owner is not None and self._workdir is not None and self._workdir.is_dir():
            _chown_tree(self._workdir, *owner)

    pre_start_kernel = _async_pre_start_kernel  # the public names of AsyncKernelManager
    cleanup_resources = _async_cleanup_resources


# --------------------------------------------------------------------------- status
@dataclass(frozen=True)
class Status:
    """Whether a sandbox can be built here, and why not."""

    ok: bool
    detail: str
    seconds: float = 0.0

    def message(self) -> str:
        """The instructor's explanation when the sandbox cannot be used."""
        if self.ok:
            return f"sandbox: bubblewrap works ({self.detail})"
        return (f"The grading sandbox cannot run on this machine: {self.detail}.\n"
                "Without it, submission code would run as you, with access to your files "
                "(solutions, gradebook, other submissions, your home) and to your network.\n"
                "Install bubblewrap (Debian/Ubuntu: `apt-get install bubblewrap`; it needs "
                "unprivileged user namespaces unless you grade as root), or, if you trust "
                "every submission, grade anyway with --no-sandbox.")


PROBE = ("import os, socket, sys\n"
         "names = [n for _, n in socket.if_nameindex()]\n"
         "assert names == ['lo'], names\n"
         "assert os.getuid() != 0 or not {root}, os.getuid()\n"
         "print('sandbox-ok')\n")


@lru_cache(maxsize=1)
def status() -> Status:
    """Build a sandbox once and run a tiny probe in it (cached for the process)."""
    if not sys.platform.startswith("linux"):
        return Status(False, f"bubblewrap needs Linux (this is {sys.platform})")
    if shutil.which("bwrap") is None:
        return Status(False, "the `bwrap` command (package bubblewrap) is not installed")
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="tlsb-probe-", dir=_short_tempdir()) as scratch:
        work, run = Path(scratch, "w"), Path(scratch, "r")
        work.mkdir()
        run.mkdir()
        if privileged():
            os.chown(work, sandbox_uid(), sandbox_uid())
        probe = PROBE.format(root=privileged())
        command = bwrap_command([sys.executable, "-c", probe], work, run)
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired) as error:
            return Status(False, f"bwrap could not run ({error})")
    seconds = time.perf_counter() - start
    if done.returncode != 0 or "sandbox-ok" not in done.stdout:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        return Status(False, f"bwrap failed ({last})")
    version = subprocess.run(["bwrap", "--version"], capture_output=True, text=True).stdout.strip()
    mode = "as root, one uid per kernel" if privileged() else "user namespace"
    return Status(True, f"{version or 'bwrap'}, {mode}", seconds)
