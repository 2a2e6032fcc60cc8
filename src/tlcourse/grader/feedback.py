"""Feedback that never reveals hidden tests.

nbgrader's feedback HTML shows the autograded notebook, whose test cells hold the hidden
tests restored from the gradebook (jupyter/nbgrader#917, #1363); a failing hidden test also
shows its source lines in the traceback. :class:`HideHiddenTests` (first of
``GenerateFeedback.preprocessors`` in ``grader_config.py``) removes every
``### BEGIN HIDDEN TESTS`` ... ``### END HIDDEN TESTS`` block with nbgrader's own
``ClearHiddenTests`` logic, keeps only ``ename: evalue`` (the assert's message, written for
the student) of errors in those cells or of any traceback that quotes a hidden line, and
drops the other outputs of cells with hidden tests. Grades are read from the gradebook, so
they are unaffected.

:func:`leaked_hidden_lines` is the check used by the tests and the class grader: it
searches the visible text of an HTML page for every hidden line that the release notebook
does not also contain.
"""

from __future__ import annotations

import html
import re
import typing as t

from nbformat import NotebookNode
from nbgrader.preprocessors import ClearHiddenTests, NbGraderPreprocessor
from traitlets import Unicode

BEGIN, END = "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"
ANSI_RE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
TAG_RE = re.compile(r"<[^>]+>")
SPACE_RE = re.compile(r"\s+")
MIN_LINE = 12  # shorter hidden lines ("else:", "m = f()") are not distinctive markers


def has_hidden_tests(source: str) -> bool:
    return BEGIN in source


def hidden_blocks(source: str) -> list[str]:
    """The lines inside each hidden-test block of ``source``."""
    lines, inside = [], False
    for line in source.splitlines():
        if BEGIN in line:
            inside = True
        elif END in line:
            inside = False
        elif inside:
            lines.append(line)
    return lines


def strip_hidden(source: str) -> str:
    """``source`` without its hidden-test blocks (nbgrader's own ``ClearHiddenTests``)."""
    cell = NotebookNode(cell_type="code", source=source, metadata={})
    ClearHiddenTests(enforce_metadata=False)._remove_hidden_test_region(cell)
    return cell.source


def normalise(text: str) -> str:
    return SPACE_RE.sub(" ", ANSI_RE.sub("", text)).strip()


def hidden_lines(notebook: NotebookNode, release: NotebookNode | None = None) -> set[str]:
    """Distinctive hidden-test lines of a source notebook (normalised).

    Lines that also occur in ``release`` (what students see anyway) are left out.
    """
    visible = " ".join(normalise(c.source) for c in release.cells) if release is not None else ""
    found = set()
    for cell in notebook.cells:
        for line in hidden_blocks(cell.source):
            text = normalise(line)
            if len(text) >= MIN_LINE and not text.startswith("#") and text not in visible:
                found.add(text)
    return found


def visible_text(page: str) -> str:
    """The text a browser shows for an HTML page (tags removed, entities decoded)."""
    page = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", page)
    return normalise(html.unescape(TAG_RE.sub("", page)))


def leaked_hidden_lines(page: str, lines: t.Iterable[str]) -> list[str]:
    """The hidden lines that can be read in ``page`` (HTML)."""
    text = visible_text(page)
    return sorted(line for line in lines if line in text)


def short_error(output: NotebookNode) -> NotebookNode:
    """An error output reduced to ``ename: evalue``, without the traceback's code."""
    message = f"{output.ename}: {output.evalue}" if output.get("evalue") else output.ename
    return NotebookNode(output_type="error", ename=output.ename, evalue=output.get("evalue", ""),
                        traceback=[message])


class HideHiddenTests(NbGraderPreprocessor):
    """Remove hidden tests, and any trace of their source, from a notebook."""

    placeholder = Unicode(
        "# Pruebas ocultas: se ejecutaron al calificar, pero su código no se muestra.",
        help="Line left where a hidden-test block was.",
    ).tag(config=True)
    stderr_note = Unicode(
        "(Esta celda escribió en stderr, por ejemplo una advertencia: nbgrader la califica con 0.)\n",
        help="Shown instead of the stderr output of a cell with hidden tests.",
    ).tag(config=True)

    def preprocess(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        self._lines = {normalise(line) for cell in nb.cells for line in hidden_blocks(cell.source)}
        self._lines = {line for line in self._lines if len(line) >= MIN_LINE}
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell: NotebookNode, resources: dict, index: int) -> tuple[NotebookNode, dict]:
        if cell.cell_type != "code":
            return cell, resources
        # Incident reports (tlcourse.grader.verdicts) are for the instructor's reports, not feedback.
        from tlcourse.grader.verdicts import INCIDENT_MIME

        cell.outputs = [o for o in cell.outputs if INCIDENT_MIME not in o.get("data", {})]
        if has_hidden_tests(cell.source):
            cell.source = self._without_hidden(cell.source)
            cell.outputs = self._hidden_cell_outputs(cell.outputs)
        else:
            cell.outputs = [self._safe(output) for output in cell.outputs]
        return cell, resources

    def _without_hidden(self, source: str) -> str:
        marked = re.sub(rf"(?m)^.*{BEGIN}.*$", lambda m: "#__placeholder__\n" + m.group(0), source)
        stripped = strip_hidden(marked)
        return stripped.replace("#__placeholder__", self.placeholder)

    def _hidden_cell_outputs(self, outputs: list[NotebookNode]) -> list[NotebookNode]:
        kept = [short_error(o) for o in outputs if o.output_type == "error"]
        if any(o.output_type == "stream" and o.get("name") == "stderr" for o in outputs):
            kept.insert(0, NotebookNode(output_type="stream", name="stdout", text=self.stderr_note))
        return kept

    def _safe(self, output: NotebookNode) -> NotebookNode:
        if output.output_type != "error" or not self._lines:
            return output
        trace = normalise("\n".join(output.get("traceback", [])))
        return short_error(output) if any(line in trace for line in self._lines) else output
