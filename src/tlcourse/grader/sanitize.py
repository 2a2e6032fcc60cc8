"""Repair damaged submissions before nbgrader's ``OverwriteCells`` restores them.

What nbgrader 0.9.6 does with damaged notebooks (measured in
``tests/test_grading_damaged.py``):

* changed cell type, edited locked cells, changed ``locked``/``points``: ``OverwriteCells``
  restores type, source, flags and points from the gradebook. Good.
* a deleted grade cell: scores 0 and is flagged for manual grading; with
  ``OverwriteCells.add_missing_cells`` it is re-inserted, but deleting a solution cell
  together with its test cell raises ``KeyError`` and fails the whole submission.
  Deleted locked non-grade cells (imports, data loading) are never restored, so every
  later test fails.
* a duplicated cell (copy & paste in JupyterLab copies the metadata): ``DeduplicateIds``
  empties the copy's metadata to ``{}``, which then fails validation as "an old version of
  the nbgrader metadata format": the whole submission scores nothing
  (jupyter/nbgrader#1083, still open).
* a grade cell whose ``grade_id`` the student renamed: ``OverwriteCells`` drops the id but
  leaves ``grade: true``, which fails ``CheckCellMetadata``: the whole submission fails.

:class:`RepairCells` replaces ``DeduplicateIds`` in ``Autograde.sanitize_preprocessors``
(``grader_config.py``) and leaves the restoring to ``OverwriteCells``: it keeps the last
copy of a duplicated id and turns earlier copies into plain cells, turns cells with an
unknown id into plain cells, and re-inserts every missing cell of the source notebook
(locked cells with their source, solution cells with the release stub, so a deleted answer
scores 0 and nothing else does) next to its neighbour in the source order.
"""

from __future__ import annotations

import typing as t
from pathlib import Path

import nbformat
from nbformat import NotebookNode
from nbformat.v4 import new_code_cell, new_markdown_cell
from nbgrader import utils
from nbgrader.api import Gradebook
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode

#: (cell type, source, nbgrader metadata) of each cell of the source notebook, by grade_id.
CellSpec = tuple[str, str, dict]


class RepairCells(NbGraderPreprocessor):
    """Deduplicate ids, drop unknown ids and re-insert missing cells (see module doc)."""

    missing_cell_notification = Unicode(
        "Esta celda faltaba en tu entrega y se restauró al calificar.",
        help="Comment added on top of a re-inserted solution (answer) cell.",
    ).tag(config=True)

    def preprocess(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        info = resources["nbgrader"]
        specs = self._source_cells(info["db_url"], info["notebook"], info["assignment"])
        order = self._source_order(info["assignment"], info["notebook"]) or list(specs)
        order = [gid for gid in order if gid in specs] + [gid for gid in specs if gid not in order]
        self._forget_unknown_ids(nb, set(specs))
        self._deduplicate(nb)
        self._insert_missing(nb, order, specs)
        self._unique_cell_ids(nb)
        return nb, resources

    # ----------------------------------------------------------------- sources
    @staticmethod
    def _source_cells(db_url: str, notebook_id: str, assignment_id: str) -> dict[str, CellSpec]:
        """What the gradebook knows of every locked, solution, grade or task cell."""
        with Gradebook(db_url) as gb:
            notebook = gb.find_notebook(notebook_id, assignment_id)
            points = {c.name: c.max_score for c in notebook.grade_cells}
            tasks = {c.name: c.max_score for c in notebook.task_cells}
            solutions = {c.name for c in notebook.solution_cells}
            specs = {}
            for cell in notebook.source_cells:
                meta = {"grade": cell.name in points, "grade_id": cell.name, "locked": bool(cell.locked),
                        "schema_version": 3, "solution": cell.name in solutions,
                        "task": cell.name in tasks}
                if cell.name in points or cell.name in tasks:
                    meta["points"] = float(points.get(cell.name, tasks.get(cell.name, 0.0)))
                specs[cell.name] = (cell.cell_type, cell.source or "", meta)
        return specs

    def _source_order(self, assignment_id: str, notebook_id: str) -> list[str]:
        """grade_ids in the order of the course's source notebook (empty if not found)."""
        coursedir = getattr(getattr(self.parent, "parent", None), "coursedir", None)
        if coursedir is None:
            return []
        folder = Path(coursedir.format_path(coursedir.source_directory, ".", assignment_id))
        path = folder / f"{notebook_id}.ipynb"
        if not path.is_file():
            return []
        source = nbformat.read(str(path), as_version=4)
        return [gid for cell in source.cells if (gid := _grade_id(cell))]

    # ----------------------------------------------------------------- repairs
    def _forget_unknown_ids(self, nb: NotebookNode, known: set[str]) -> None:
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader")
            if meta is not None and meta.get("grade_id") not in known:
                self.log.warning("Cell with unknown grade id %r becomes a plain cell", meta.get("grade_id"))
                del cell.metadata["nbgrader"]

    def _deduplicate(self, nb: NotebookNode) -> None:
        seen: set[str] = set()
        for cell in reversed(nb.cells):
            gid = _grade_id(cell)
            if gid is None:
                continue
            if gid in seen:
                self.log.warning("Cell with id %r exists multiple times: earlier copy becomes a plain cell", gid)
                del cell.metadata["nbgrader"]
            seen.add(gid)

    def _insert_missing(self, nb: NotebookNode, order: list[str], specs: dict[str, CellSpec]) -> None:
        for rank, gid in enumerate(order):
            present = {_grade_id(cell): index for index, cell in enumerate(nb.cells)}
            if gid in present:
                continue
            self.log.warning("Missing cell %r re-inserted from the gradebook", gid)
            before = [present[g] for g in reversed(order[:rank]) if g in present]
            after = [present[g] for g in order[rank + 1:] if g in present]
            position = before[0] + 1 if before else (after[0] if after else len(nb.cells))
            nb.cells.insert(position, self._restored_cell(*specs[gid]))

    def _restored_cell(self, cell_type: str, source: str, meta: dict) -> NotebookNode:
        """The cell as the gradebook has it. Only a plain solution cell gets a note: locked
        cells are re-checked by ``OverwriteCells`` and a manually graded answer must keep
        the stub's checksum so that it scores 0 as "no response"."""
        metadata: dict[str, t.Any] = {"nbgrader": dict(meta)}
        if meta["locked"]:
            metadata.update(deletable=False, editable=False)
        if meta["solution"] and not meta["grade"] and cell_type == "code":
            source = f"# {self.missing_cell_notification}\n{source}"
        if cell_type == "code":
            return new_code_cell(source, metadata=metadata)
        return new_markdown_cell(source, metadata=metadata)

    @staticmethod
    def _unique_cell_ids(nb: NotebookNode) -> None:
        """Copies share the nbformat cell ``id`` too; make ids unique, deterministically."""
        seen: set[str] = set()
        for index, cell in enumerate(nb.cells):
            cell_id = cell.get("id")
            if cell_id is None:
                continue
            if cell_id in seen:
                cell["id"] = f"{cell_id[:50]}-{index}"
            seen.add(cell["id"])


def _grade_id(cell: NotebookNode) -> str | None:
    meta = cell.get("metadata", {}).get("nbgrader")
    if not meta or not (utils.is_grade(cell) or utils.is_solution(cell) or utils.is_locked(cell)
                        or meta.get("task")):
        return None
    return meta.get("grade_id")
