"""Is a committed release notebook what ``make release`` generates from ``solutions/``?

The release notebooks (``notebooks/``) are where students work, in JupyterLab. Opening,
running or validating one rewrites parts of the file that nobody edits by hand, so the sync
check (``tests/test_release.py``) compares both notebooks after :func:`normalise`, which
drops exactly these:

* ``metadata.language_info`` except its ``name``: the kernel's reply when JupyterLab starts
  it (``"version": "3.11"`` becomes ``"3.11.7"``, plus ``codemirror_mode``,
  ``pygments_lexer``...); nbgrader's Validate saves the notebook first, so one click
  rewrites it.
* ``metadata.widgets``: ipywidgets' saved state.
* code cells' ``outputs`` and ``execution_count``: a run. That the committed release has
  no outputs is checked separately, on git's copy of the file.
* cell metadata that only records a run or the view: ``execution`` (timings),
  ``collapsed``, ``scrolled``, ``trusted`` and ``jupyter.outputs_hidden`` /
  ``jupyter.source_hidden``.

Everything else (sources, cell ids and types, nbgrader metadata, locks, the kernelspec)
must match, and :func:`differences` says where it does not.

The choice of the check over the alternatives: a git clean filter only changes what git
stores, not the file the check reads, and it needs configuration in every clone; and the
release cannot carry the "right" ``language_info`` because it depends on each student's
Python.
"""

from __future__ import annotations

import copy
from typing import Any, Mapping

#: Notebook metadata the kernel or JupyterLab rewrites (``language_info`` keeps its name).
VOLATILE_NOTEBOOK_METADATA = ("widgets",)
#: Cell metadata that records a run or the view, never the content.
VOLATILE_CELL_METADATA = ("execution", "collapsed", "scrolled", "trusted")
VOLATILE_JUPYTER_CELL_METADATA = ("outputs_hidden", "source_hidden")


def normalise(notebook: Mapping[str, Any]) -> dict[str, Any]:
    """A plain-dict copy of ``notebook`` without what opening or running it rewrites."""
    nb = copy.deepcopy(_plain(notebook))
    meta = nb.setdefault("metadata", {})
    for key in VOLATILE_NOTEBOOK_METADATA:
        meta.pop(key, None)
    if "language_info" in meta:
        name = meta["language_info"].get("name")
        meta["language_info"] = {"name": name} if name is not None else {}
    for cell in nb.get("cells", []):
        cell_meta = cell.setdefault("metadata", {})
        for key in VOLATILE_CELL_METADATA:
            cell_meta.pop(key, None)
        jupyter = cell_meta.get("jupyter")
        if isinstance(jupyter, dict):
            for key in VOLATILE_JUPYTER_CELL_METADATA:
                jupyter.pop(key, None)
            if not jupyter:
                del cell_meta["jupyter"]
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
    return nb


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _leaf_differences(a: Any, b: Any, path: str) -> list[str]:
    """``path: committed X, generated Y`` for every key where two JSON values differ."""
    if isinstance(a, dict) and isinstance(b, dict):
        found = []
        for key in sorted(set(a) | set(b)):
            where = f"{path}.{key}" if path else key
            if key not in a:
                found.append(f"{where}: missing in the committed notebook")
            elif key not in b:
                found.append(f"{where}: not in the generated notebook (committed {_short(a[key])})")
            else:
                found += _leaf_differences(a[key], b[key], where)
        return found
    if isinstance(a, str) and isinstance(b, str) and a != b and ("\n" in a or "\n" in b):
        return [_first_different_line(a, b, path)]
    if a != b:
        return [f"{path}: committed {_short(a)}, generated {_short(b)}"]
    return []


def _first_different_line(a: str, b: str, path: str) -> str:
    lines_a, lines_b = a.splitlines(), b.splitlines()
    line = next((i for i, (x, y) in enumerate(zip(lines_a, lines_b)) if x != y), min(len(lines_a), len(lines_b)))

    def show(lines: list[str]) -> str:
        return _short(lines[line]) if line < len(lines) else "(no such line)"
    return f"{path} line {line + 1}: committed {show(lines_a)}, generated {show(lines_b)}"


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _cell_name(index: int, cell: Mapping[str, Any]) -> str:
    gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
    return f"cell {index} ({cell.get('cell_type')}{', grade_id ' + gid if gid else ''})"


def differences(committed: Mapping[str, Any], generated: Mapping[str, Any], limit: int = 12) -> list[str]:
    """What differs between two notebooks after :func:`normalise`, one line per difference:
    which cell (index and ``grade_id``) and which field, or which metadata key."""
    a, b = normalise(committed), normalise(generated)
    found = []
    for key in sorted((set(a) | set(b)) - {"cells"}):
        found += _leaf_differences(a.get(key), b.get(key), key)
    cells_a, cells_b = a.get("cells", []), b.get("cells", [])
    if len(cells_a) != len(cells_b):
        found.append(f"number of cells: committed {len(cells_a)}, generated {len(cells_b)}")
    for index, (cell_a, cell_b) in enumerate(zip(cells_a, cells_b)):
        if cell_a != cell_b:
            name = _cell_name(index, cell_b)
            found += [f"{name}: {line}" for line in _leaf_differences(cell_a, cell_b, "")]
    if len(found) > limit:
        found = found[:limit] + [f"... and {len(found) - limit} more differences"]
    return found
