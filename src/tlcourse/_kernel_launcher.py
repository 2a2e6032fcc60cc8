"""Start a Jupyter kernel with a memory limit: ``python _kernel_launcher.py MB -- CMD...``.

Run as a script (never imported), so the kernel starts exactly as without it: the launcher
sets ``RLIMIT_DATA`` (private writable memory: heap and anonymous ``mmap``) and replaces
itself with the kernel command. ``RLIMIT_AS`` would count TensorFlow's large virtual
reservations (thread stacks, allocator arenas: ~2.7 GB of address space for a tiny
model); ``RLIMIT_DATA`` tracks real allocations, so an allocation beyond the limit fails
with ``MemoryError`` (NumPy, Python) or ``ResourceExhaustedError`` (TensorFlow) inside the
cell that made it, and the kernel survives.
"""

import os
import resource
import sys


def main(argv: list[str]) -> None:
    """Set the limit and exec the kernel command (everything after ``--``)."""
    limit_mb, separator, *command = argv
    if separator != "--" or not command:
        raise SystemExit("usage: _kernel_launcher.py MEGABYTES -- KERNEL_COMMAND...")
    limit = int(limit_mb) * 1024 * 1024
    if limit > 0:
        resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
    os.execvp(command[0], command)


if __name__ == "__main__":
    main(sys.argv[1:])
