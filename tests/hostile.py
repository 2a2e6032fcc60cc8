"""Hostile submissions: shared tricks and the grading of a hostile corpus.

A hostile corpus (tests/test_verdicts*.py) is a set of submissions, each a blank release (or a
typical mistake) plus a trick in one answer cell that, without the judge, made in-kernel
tests pass. :func:`grade_hostile` autogrades them beside one honest student in one scratch
course per notebook; the tests then check that each trick earns nothing it did not honestly
solve and is reported as ``manipulacion``, and that the honest student is untouched.
"""

from __future__ import annotations

from pathlib import Path

from nbformat import NotebookNode

from tlcourse.grader import classgrade, grading

HONEST = "honesta"

#: Tricks that work on any notebook: they change how the kernel runs later cells.
KERNEL_TRICKS = {
    # every later cell becomes `pass`
    "transformador_entrada": "get_ipython().input_transformers_cleanup.append(lambda lineas: ['pass\\n'])",
    # every later cell runs inside try/except: errors vanish
    "transformador_ast": (
        "import ast\n"
        "class Tragar(ast.NodeTransformer):\n"
        "    def visit_Module(self, nodo):\n"
        "        manejador = ast.ExceptHandler(type=ast.Name('BaseException', ast.Load()), name=None, body=[ast.Pass()])\n"
        "        nodo.body = [ast.Try(body=nodo.body or [ast.Pass()], handlers=[manejador], orelse=[], finalbody=[])]\n"
        "        return ast.fix_missing_locations(nodo)\n"
        "get_ipython().ast_transformers.append(Tragar())\n"
    ),
    # errors are never shown, so no error output is recorded
    "sin_tracebacks": ("ip = get_ipython()\n"
                       "ip.showtraceback = lambda *a, **k: None\n"
                       "ip._showtraceback = lambda *a, **k: None\n"),
    # a custom exception handler swallows every error
    "manejador_excepciones": "get_ipython().set_custom_exc((BaseException,), lambda *a, **k: None)",
}


#: The kernel tricks do not depend on the notebook: the integrity probes and the judge catch
#: them the same way everywhere. The cheap notebooks (00, 01) try all four; each heavier one
#: tries one, a different one each, so every trick runs on a heavy notebook too.
ONE_TRICK = {"02_arquitecturas": "transformador_entrada", "03_extraccion_caracteristicas": "transformador_ast",
             "04_ajuste_fino": "sin_tracebacks", "05_tensorflow_hub": "manejador_excepciones"}


def kernel_tricks_for(assignment: str) -> dict[str, str]:
    """The kernel tricks a notebook's hostile corpus tries (see :data:`ONE_TRICK`)."""
    if assignment in ONE_TRICK:
        return {ONE_TRICK[assignment]: KERNEL_TRICKS[ONE_TRICK[assignment]]}
    return dict(KERNEL_TRICKS)

def hostile_notebook(assignment: str, cell: str, code: str, base: NotebookNode | None = None) -> NotebookNode:
    """``base`` (default: the blank release) with ``cell``'s source replaced by ``code``."""
    notebook = base if base is not None else grading.read_notebook(grading.release_path(assignment))
    grading.cells_by_id(notebook)[cell].source = code
    return notebook


def grade_hostile(root: Path, assignment: str, students: dict[str, NotebookNode]) -> dict[str, tuple]:
    """Autograde ``students`` and one honest solution: name -> (scores, incidents)."""
    course = grading.ScratchCourse(root, [assignment])
    graded = {}
    for student, notebook in [*students.items(), (HONEST, grading.submission(assignment))]:
        course.submit(student, assignment, notebook)
        scores = course.autograde(student, assignment)
        path = course.root / "autograded" / student / assignment / f"{assignment}.ipynb"
        graded[student] = (scores, classgrade.incidents_in(path))
    return graded


def earned(scores: dict) -> float:
    """Autograded points (manual cells excluded)."""
    return sum(s.score for g, s in scores.items() if not g.startswith("manual_"))


def flagged(incidents: list) -> bool:
    return any(kind == "manipulacion" for _, kind, _ in incidents)
