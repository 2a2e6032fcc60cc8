"""Find the submissions of a class in a folder or an archive, in nbgrader's conventions.

Accepted layouts (mixed freely, inside a folder or a ``.zip``/``.tar.gz``, nested archives
included; archives are unpacked by nbgrader's ``zip_collect`` extractor):

1. nbgrader's ``submitted/<student>/<assignment>/<assignment>.ipynb`` (the folder given
   may be ``submitted/`` itself or any parent); a ``timestamp.txt`` next to the notebook
   is kept.
2. ``zip_collect``-style flat file names, parsed by nbgrader's ``FileNameCollectorPlugin``
   with :func:`default_regexp`: ``<student>_<assignment>.ipynb`` or
   ``<student>_attempt_<timestamp>_<assignment>.ipynb`` (``-`` also separates).
3. One folder per student: ``<student>/<assignment>.ipynb``.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from nbgrader.plugins.zipcollect import ExtractorPlugin, FileNameCollectorPlugin
from nbgrader.utils import parse_utc

ARCHIVE_SUFFIXES = (".zip", ".gz", ".tgz")
#: Folders of an nbgrader course that hold notebooks that are not submissions.
COURSE_FOLDERS = {"autograded", "feedback", "source", "release", "solutions", "notebooks",
                  "downloaded", ".work", ".ipynb_checkpoints"}


@dataclass(frozen=True, order=True)
class Job:
    """One notebook to autograde: ``path`` in nbgrader's ``submitted/`` layout."""

    student: str
    assignment: str
    path: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.student, self.assignment)


def default_regexp(assignments: list[str]) -> str:
    """``named_regexp`` for nbgrader's ``FileNameCollectorPlugin`` (flat file names)."""
    ids = "|".join(re.escape(a) for a in sorted(assignments, key=len, reverse=True))
    return (r".*/(?P<student_id>[^/]+?)(?:_attempt_(?P<timestamp>[0-9][0-9:T .+-]*))?"
            rf"[_-](?P<file_id>(?:{ids})\.ipynb)$")


def _unpack(source: Path, scratch: Path) -> Path:
    """``source`` itself if a folder; else the archive extracted with nbgrader's extractor."""
    if source.is_dir():
        return source
    if not source.exists():
        raise FileNotFoundError(f"{source} does not exist (expected a folder or a .zip/.tar.gz of submissions)")
    if not source.name.endswith(ARCHIVE_SUFFIXES):
        raise ValueError(f"{source} is neither a folder nor a .zip/.tar.gz archive")
    archive, extracted = scratch / "archive", scratch / "extracted"
    archive.mkdir(parents=True)
    shutil.copyfile(source, archive / source.name)
    ExtractorPlugin().extract(str(archive), str(extracted))
    return extracted


def _identify(path: Path, root: Path, assignments: set[str],
              collector: FileNameCollectorPlugin) -> tuple[str, str, str | None] | None:
    """(student, assignment, timestamp) of a notebook, or None if it is not a submission."""
    parts = path.relative_to(root).parts
    stem = path.stem
    if stem in assignments and len(parts) >= 3 and parts[-2] == stem:
        return parts[-3], stem, None
    found = collector.collect(str(path))
    if found:
        assignment = Path(found["file_id"]).stem
        return found["student_id"], assignment, found.get("timestamp")
    if stem in assignments and len(parts) >= 2:
        return parts[-2], stem, None
    return None


def _timestamp(text: str | None) -> str | None:
    if not text:
        return None
    try:
        return parse_utc(text).isoformat()
    except ValueError:
        return None


def collect(source: Path, assignments: list[str], dest: Path,
            regexp: str | None = None) -> tuple[list[Job], list[str]]:
    """Copy every submission found in ``source`` to ``dest/<student>/<assignment>/``.

    Returns the jobs (sorted) and the notebooks that were skipped (with the reason).
    When a student has two files for one assignment, the last in path order wins and the
    other is reported as skipped.
    """
    source, dest = Path(source).resolve(), Path(dest).resolve()
    collector = FileNameCollectorPlugin(named_regexp=regexp or default_regexp(assignments))
    collector.log.disabled = True
    found: dict[tuple[str, str], tuple[Path, str | None]] = {}
    skipped: list[str] = []
    with tempfile.TemporaryDirectory() as scratch:
        root = _unpack(source, Path(scratch))
        for path in sorted(root.rglob("*.ipynb")):
            if COURSE_FOLDERS & set(path.relative_to(root).parts[:-1]):
                continue
            match = _identify(path, root, set(assignments), collector)
            if match is None or match[1] not in assignments or "/" in match[0]:
                skipped.append(f"{path.relative_to(root)}: not a submission of {', '.join(assignments)}")
                continue
            student, assignment, stamp = match
            if (student, assignment) in found:
                skipped.append(f"{found[(student, assignment)][0].relative_to(root)}: replaced by {path.name}")
            found[(student, assignment)] = (path, stamp)
        jobs = [_place(path, stamp, dest, student, assignment)
                for (student, assignment), (path, stamp) in sorted(found.items())]
    return jobs, skipped


def _place(path: Path, stamp: str | None, dest: Path, student: str, assignment: str) -> Job:
    """Copy one notebook (and its timestamp) into ``dest`` in nbgrader's layout."""
    target = dest / student / assignment / f"{assignment}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    if path.resolve() != target.resolve():
        shutil.copyfile(path, target)
        sibling = path.with_name("timestamp.txt")
        stamp_file = target.with_name("timestamp.txt")
        text = _timestamp(stamp) or (sibling.read_text().strip() if sibling.is_file() else None)
        if text:
            stamp_file.write_text(text)
        elif stamp_file.exists():
            stamp_file.unlink()
    return Job(student, assignment, str(target))
