"""Which version of the course a grader holds, and which version of a submission it graded.

Class grading may run on many machines (Dask workers). A worker must grade with exactly the
course the instructor's client holds, or two students could be graded by different hidden
tests. :func:`fingerprint` is a SHA-256 over every file that decides a grade:

* ``solutions/`` (the source notebooks, hidden tests included, and their data files),
* ``grader_config.py`` and ``nbgrader_config.py`` (timeouts, limits, preprocessors),
* the package's code ``src/tlcourse/**/*.py`` (the grading code, judges, evidence probes
  and the student-side modules the kernels import),
* the checksums of the course data (``data/**/SHA256SUMS``; the data themselves are
  covered by those sums, and hashing them would take longer than grading a notebook).

:func:`content_hash` identifies a submission's content (notebook bytes and its
``timestamp.txt``), so that a rerun can tell an already graded submission from a new one.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

SKIPPED_PARTS = {"__pycache__", ".ipynb_checkpoints"}


def course_files(root: Path) -> list[Path]:
    """The files :func:`fingerprint` covers, sorted by their path inside ``root``."""
    root = Path(root)
    found = [root / "grader_config.py", root / "nbgrader_config.py"]
    found += (root / "solutions").rglob("*")
    found += (root / "src" / "tlcourse").rglob("*.py")
    found += (root / "data").rglob("SHA256SUMS")
    files = {p for p in found if p.is_file() and not SKIPPED_PARTS & set(p.relative_to(root).parts)}
    return sorted(files, key=lambda p: p.relative_to(root).as_posix())


def fingerprint(root: Path | None = None) -> str:
    """Hex SHA-256 of the course version at ``root`` (default: this repository)."""
    from tlcourse.paths import repo_root

    return _fingerprint(Path(root or repo_root()).resolve())


@lru_cache(maxsize=8)
def _cached(root: Path, stamp: tuple[tuple[str, int, int], ...]) -> str:
    digest = hashlib.sha256()
    for name, _, _ in stamp:
        digest.update(name.encode() + b"\0")
        digest.update(hashlib.sha256((root / name).read_bytes()).digest())
    return digest.hexdigest()


def _fingerprint(root: Path) -> str:
    """Hash again only when a file's name, size or modification time changed."""
    stamp = tuple((p.relative_to(root).as_posix(), p.stat().st_size, p.stat().st_mtime_ns)
                  for p in course_files(root))
    return _cached(root, stamp)


def content_hash(notebook: bytes, timestamp: str | None = None) -> str:
    """Hex SHA-256 of a submission: its notebook bytes and its timestamp (if any)."""
    digest = hashlib.sha256(notebook)
    digest.update(b"\0timestamp\0" + (timestamp or "").encode())
    return digest.hexdigest()
