"""Start a Jupyter kernel with limits: ``python _kernel_launcher.py [OPTIONS] -- CMD...``.

Run as a script (never imported), so the kernel starts exactly as without it: the launcher
sets resource limits, optionally drops to an unprivileged user, and replaces itself with
the kernel command (so the limits and the user apply to the kernel and everything it
starts). Options (all optional; a limit of 0 means "leave as it is"):

``--memory-mb MB``
    ``RLIMIT_DATA`` (private writable memory: heap and anonymous ``mmap``). ``RLIMIT_AS``
    would count TensorFlow's large virtual reservations (thread stacks, allocator arenas:
    ~2.7 GB of address space for a tiny model); ``RLIMIT_DATA`` tracks real allocations,
    so an allocation beyond the limit fails with ``MemoryError`` (NumPy, Python) or
    ``ResourceExhaustedError`` (TensorFlow) inside the cell that made it, and the kernel
    survives.
``--processes N``
    ``RLIMIT_NPROC``: processes *and threads* of the kernel's real user id, machine-wide.
    Only meaningful together with ``--uid`` (a user of its own per sandbox): root ignores it.
``--cpu-seconds S``, ``--open-files N``, ``--file-size-mb MB``
    ``RLIMIT_CPU`` (the process is killed once it used S seconds of CPU), ``RLIMIT_NOFILE``
    and ``RLIMIT_FSIZE`` (a write beyond MB fails with ``OSError: File too large``).
``--uid U --gid G``
    Drop to this user and group (no supplementary groups) before the kernel starts; used
    inside the bubblewrap sandbox when the grader runs as root (:mod:`tlcourse.grader.sandbox`).
    ``no_new_privs`` is set as well, so no set-user-id program can give root back.
``--home DIR``
    Create ``DIR`` (after dropping privileges) and make it ``HOME``.

Core dumps are always disabled (``RLIMIT_CORE`` 0): a crashing kernel must not write
gigabytes into the grading folder.
"""

import ctypes
import os
import resource
import sys

PR_SET_NO_NEW_PRIVS = 38
OPTIONS = ("--memory-mb", "--processes", "--cpu-seconds", "--open-files", "--file-size-mb",
           "--uid", "--gid", "--home")
MB = 1024 * 1024


def parse(argv: list[str]) -> tuple[dict[str, str], list[str]]:
    """Options before ``--`` and the command after it."""
    options: dict[str, str] = {}
    args = list(argv)
    while args and args[0] != "--":
        name = args.pop(0)
        if name not in OPTIONS or not args:
            raise SystemExit(f"_kernel_launcher.py: bad option {name!r}; usage: "
                             f"_kernel_launcher.py [{' N] ['.join(OPTIONS)} N] -- KERNEL_COMMAND...")
        options[name] = args.pop(0)
    if not args or len(args) < 2:
        raise SystemExit("usage: _kernel_launcher.py [OPTIONS] -- KERNEL_COMMAND...")
    return options, args[1:]


def _limit(kind: int, value: int) -> None:
    if value > 0:
        resource.setrlimit(kind, (value, value))


def drop_privileges(uid: int, gid: int) -> None:
    """Become ``uid``:``gid`` for good (real, effective and saved ids; capabilities go too)."""
    os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)
    if os.getuid() != uid or os.geteuid() != uid or os.getgid() != gid:
        raise SystemExit(f"_kernel_launcher.py: could not become uid {uid}")


def no_new_privs() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise SystemExit("_kernel_launcher.py: prctl(PR_SET_NO_NEW_PRIVS) failed")


def main(argv: list[str]) -> None:
    """Set the limits, drop privileges if asked, exec the kernel command."""
    options, command = parse(argv)
    number = {name: int(options.get(name, "0")) for name in OPTIONS if name != "--home"}
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if "--uid" in options:
        drop_privileges(number["--uid"], number["--gid"] if "--gid" in options else number["--uid"])
    no_new_privs()
    _limit(resource.RLIMIT_DATA, number["--memory-mb"] * MB)
    _limit(resource.RLIMIT_NPROC, number["--processes"])
    _limit(resource.RLIMIT_CPU, number["--cpu-seconds"])
    _limit(resource.RLIMIT_NOFILE, number["--open-files"])
    _limit(resource.RLIMIT_FSIZE, number["--file-size-mb"] * MB)
    if "--home" in options:
        os.makedirs(options["--home"], mode=0o700, exist_ok=True)
        os.environ["HOME"] = options["--home"]
    os.execvp(command[0], command)


if __name__ == "__main__":
    main(sys.argv[1:])
