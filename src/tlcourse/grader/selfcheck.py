"""Self-check: grade one notebook with the hidden tests, report in Spanish, reveal nothing.

``python -m tlcourse check NB`` (``NB``: an assignment id such as ``00_entorno`` or ``00``,
meaning ``notebooks/<id>/<id>.ipynb``, or the path of any copy of the notebook).

The notebook is autograded in a throwaway nbgrader course with the instructor's settings
and hidden tests (exactly as the class grader does), and the report shows, per exercise,
the points and, for each failing test, the message of the failing assert (``ename:
evalue``), never the source or traceback of a hidden test.

The notebook runs in the grading sandbox (:mod:`tlcourse.grader.sandbox`) where bubblewrap works;
elsewhere (macOS, no user namespaces) it runs without it, since it is the student's own
code on the student's own machine, and the report says so.
"""

from __future__ import annotations

import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from nbformat import NotebookNode

from tlcourse.grader import grading
from tlcourse._env import stderr_silenced
from tlcourse.grader.feedback import has_hidden_tests, short_error, strip_hidden

STUDENT = "autoevaluacion"


class CheckError(RuntimeError):
    """The notebook could not be checked (message in Spanish, for the student)."""


@dataclass
class TestReport:
    """One graded cell: its points and, when it lost points, why."""

    grade_id: str
    score: float
    max_score: float
    hidden: str  # "", "oculta" or "en parte oculta"
    reasons: list[str] = field(default_factory=list)


def resolve(target: str, assignments: list[str]) -> tuple[str, Path]:
    """(assignment id, notebook path) from an id, an id prefix (``"03"``) or a path."""
    path = Path(target)
    if path.suffix == ".ipynb" or path.exists():
        if path.is_dir():
            path = path / f"{path.name}.ipynb"
        for candidate in (path.stem, path.parent.name):
            if candidate in assignments:
                return candidate, path.resolve()
        raise CheckError(f"No reconozco a qué tarea corresponde {path}: el archivo o su carpeta "
                         f"debe llamarse como una de estas: {', '.join(assignments)}.")
    matches = [a for a in assignments if a == target or a.startswith(target)]
    if len(matches) != 1:
        raise CheckError(f"'{target}' no es una tarea del curso. Tareas: {', '.join(assignments)}.")
    return matches[0], grading.release_path(matches[0]).resolve()


def _reasons(cell: NotebookNode) -> list[str]:
    """Why a graded cell lost points: error names and messages, never code."""
    reasons = []
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error" and output.get("ename") == "NotImplementedError":
            reasons.append("NotImplementedError: todavía no escribiste tu solución "
                           "(la celda aún tiene `raise NotImplementedError()`).")
        elif output.get("output_type") == "error":
            reasons.append(short_error(output).traceback[0])
        elif output.get("output_type") == "stream" and output.get("name") == "stderr":
            first = (output.get("text", "").strip().splitlines() or [""])[0][:160]
            reasons.append(f"la celda escribió en stderr (nbgrader la califica con 0): {first}")
    return reasons or ["la prueba no obtuvo los puntos (sin mensaje de error)."]


SIN_AISLAMIENTO = ("Aviso: esta autoevaluación se ejecutó sin aislamiento (bubblewrap no está "
                   "disponible en esta máquina), con tus permisos y tu red. Para tu propio cuaderno "
                   "no es un problema; el profesor califica siempre dentro del aislamiento.")


def sandbox_available() -> bool:
    """Whether the grading sandbox works here (``tlcourse.grader.sandbox.status``)."""
    from tlcourse.grader import sandbox

    return sandbox.status().ok


def check(notebook: Path, assignment: str, workdir: Path | None = None,
          sandbox: bool | None = None) -> list[TestReport]:
    """Autograde ``notebook`` as ``assignment`` in a scratch course; one report per graded cell.

    ``sandbox``: run the kernel in the grading sandbox (default: where it works).
    """
    if not notebook.is_file():
        raise CheckError(f"No existe el cuaderno {notebook}.")
    if sandbox is None:
        sandbox = sandbox_available()
    with tempfile.TemporaryDirectory(prefix="tlcourse-check-") as scratch, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        course = grading.ScratchCourse(Path(workdir or scratch), [assignment],
                                       extra_config=f"c.ContainedExecute.sandbox = {bool(sandbox)}\n")
        course.submit(STUDENT, assignment, notebook)
        try:
            with stderr_silenced():  # the kernel's own start-up warnings, not cell outputs
                scores = course.autograde(STUDENT, assignment)
        except grading.GradingError as error:
            last = [line for line in str(error).splitlines() if line.strip()][-1:] or [""]
            raise CheckError("nbgrader no pudo calificar el cuaderno (¿está dañado o no es un "
                             f"cuaderno de {assignment}?). Último mensaje: {last[0]}") from error
        autograded = grading.cells_by_id(course.autograded_notebook(STUDENT, assignment))
    source = grading.cells_by_id(grading.read_notebook(grading.source_path(assignment)))
    reports = []
    for gid, score in scores.items():
        text = source[gid].source if gid in source else ""
        hidden = "" if not has_hidden_tests(text) else ("en parte oculta" if strip_hidden(text).strip()
                                                        else "oculta")
        report = TestReport(gid, score.score, score.max_score, hidden)
        if not score.full and gid in autograded and not gid.startswith("manual"):
            report.reasons = _reasons(autograded[gid])
        reports.append(report)
    return reports


def _points(value: float) -> str:
    return f"{value:g}"


def render(assignment: str, notebook: Path, reports: list[TestReport], sandboxed: bool = True) -> str:
    """The Spanish report, grouped by exercise."""
    lines = [f"Autoevaluación de {assignment}", f"Cuaderno: {notebook}", ""]
    groups: dict[str, list[TestReport]] = {}
    for report in reports:
        groups.setdefault(grading.exercise_of(report.grade_id) or report.grade_id, []).append(report)
    for key, items in groups.items():
        got, most = sum(r.score for r in items), sum(r.max_score for r in items)
        manual = key.startswith("manual")
        title = f"Ejercicio {key[2:]}" if key.startswith("ej") else f"Respuesta {key}"
        mark = "calificación manual" if manual else ("OK" if got >= most else "revisa")
        lines.append(f"{title}: {_points(got)}/{_points(most)} puntos  [{mark}]")
        for report in items:
            for reason in report.reasons:
                kind = f"prueba {report.hidden}" if report.hidden else "prueba"
                lines.append(f"    - {report.grade_id} ({kind}): {reason}")
    total = sum(r.score for r in reports)
    most = sum(r.max_score for r in reports)
    lines += ["", f"Total: {_points(total)}/{_points(most)} puntos."]
    if any(r.grade_id.startswith("manual") for r in reports):
        lines.append("Las respuestas de calificación manual las revisa tu profesor: aquí cuentan 0.")
    lines.append("Las pruebas ocultas muestran solo su mensaje, no su código.")
    if not sandboxed:
        lines.append(SIN_AISLAMIENTO)
    return "\n".join(lines)


def run(target: str, workdir: Path | None = None) -> str:
    """Resolve, check and render (what the command prints)."""
    from tlcourse.grader.classgrade import course_assignments

    assignment, notebook = resolve(target, course_assignments())
    sandboxed = sandbox_available()
    return render(assignment, notebook, check(notebook, assignment, workdir, sandboxed), sandboxed)
