"""Grader-validity corpora as files: ``tests/corpus/<assignment>/``.

Each submission is a folder of answer cells, one ``<grade_id>.py`` per cell it replaces in
the instructor's solution (an editor or linter can read it as Python). Lines at the top
that start with ``#:`` say what the answer does and are not part of the cell. A submission
with no folder is the solution itself.

``expected.toml`` beside them says what each submission must score::

    [errores]
    score = 0.0                     # autograded points it must get
    loses = ["ej1", "ej2", "ej3"]   # the exercises it must lose (every other: full marks)
    about = "typical mistakes, one per exercise"

The corpus tests (tests/grader_corpus.py) check both: the total and exercise by exercise.

A hostile submission (a trick that, without the judge, made in-kernel tests pass) is an entry
with ``flagged = true`` and no folder: tests/hostile.py builds its notebook. Its ``score`` and
``loses`` say what it honestly earns; it must also be reported as ``manipulacion``::

    [evidencia_falsificada]
    flagged = true
    score = 0.0
    loses = ["ej1", "ej2", "ej3"]
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent / "corpus"
NOTE = "#:"


@dataclass(frozen=True)
class Submission:
    """One corpus submission: the cells it replaces and what it must score."""

    overrides: dict[str, str]
    score: float
    loses: frozenset[str] = field(default_factory=frozenset)
    about: str = ""
    flagged: bool = False  # hostile: built by tests/hostile.py, must be reported as manipulacion


def cell_source(path: Path) -> str:
    """The cell's source: the file without its leading ``#:`` note lines."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    while lines and lines[0].startswith(NOTE):
        lines.pop(0)
    return "".join(lines)


def load(assignment: str, root: Path = ROOT) -> dict[str, Submission]:
    """Every submission of ``assignment``'s corpus, by name."""
    folder = root / assignment
    expected = tomllib.loads((folder / "expected.toml").read_text(encoding="utf-8"))
    found = {p.name for p in folder.iterdir() if p.is_dir()}
    unlisted = found - set(expected)
    if unlisted:
        raise ValueError(f"{folder}: folders without an entry in expected.toml: {sorted(unlisted)}")
    corpus = {}
    for name, entry in expected.items():
        hostile = bool(entry.get("flagged", False))
        if hostile and (folder / name).is_dir():
            raise ValueError(f"{folder / name}: a hostile entry (flagged = true) is built by tests/hostile.py, "
                             "not from a folder")
        cells = sorted((folder / name).glob("*.py")) if (folder / name).is_dir() else []
        corpus[name] = Submission(overrides={p.stem: cell_source(p) for p in cells},
                                  score=float(entry["score"]), loses=frozenset(entry.get("loses", [])),
                                  about=entry.get("about", ""), flagged=hostile)
    return corpus
