"""``python -m tlcourse.student_check NB``: a student's own check, in Spanish.

1. :func:`tlcourse.doctor` checks the environment (packages, Keras, data, backbone);
2. the notebook, as saved on disk, runs top to bottom in a fresh kernel (a copy in memory:
   the file is never modified), like *Restart Kernel and Run All Cells*;
3. every visible test cell (nbgrader ``grade: true``) is reported: passed, or failed with
   its message, and what that failure means.

Only the visible tests a student already has in the notebook run here; the hidden tests
that grading adds are not in the student kit. Exit status 0 if every visible test passes,
1 if one fails, 2 if the notebook cannot be found or run.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

#: Seconds one cell may run before the check gives up on it (training cells take a while).
CELL_TIMEOUT = 600


class StudentCheckError(RuntimeError):
    """The notebook could not be found or run (message in Spanish)."""


@dataclass
class TestResult:
    name: str
    passed: bool
    error: str = ""  #: ``ename: evalue`` of the failure
    ename: str = ""
    hidden_only: bool = False  #: an empty test cell in the release: only hidden tests, run at grading


def find_notebook(name: str, root: Path | None = None) -> Path:
    """A notebook path, or the release notebook of an assignment id (``00_entorno`` or ``00``)."""
    path = Path(name).expanduser()
    if path.is_file():
        return path.resolve()
    from tlcourse.paths import repo_root

    root = root or repo_root()
    matches = sorted((root / "notebooks").glob(f"{name}*/*.ipynb"))
    matches = [m for m in matches if ".ipynb_checkpoints" not in m.parts]
    if len(matches) == 1:
        return matches[0]
    available = sorted(p.parent.name for p in (root / "notebooks").glob("*/*.ipynb"))
    if not matches:
        raise StudentCheckError(f"No encuentro el cuaderno {name!r}. Escribe su ruta o uno de: "
                                + ", ".join(available))
    raise StudentCheckError(f"{name!r} coincide con varios cuadernos: "
                            + ", ".join(str(m) for m in matches) + ". Escribe uno completo.")


def _error_of(cell) -> tuple[str, str] | None:  # type: ignore[no-untyped-def]
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            return output.get("ename", "Error"), output.get("evalue", "")
    return None


def _code_lines(source: str) -> list[str]:
    return [line for line in source.splitlines() if line.strip() and not line.strip().startswith("#")]


def run_visible_tests(notebook: Path, timeout: int = CELL_TIMEOUT) -> list[TestResult]:
    """Execute ``notebook`` (a copy) in a fresh kernel; one result per visible test cell."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    nb = nbformat.read(notebook, as_version=4)
    client = NotebookClient(nb, timeout=timeout, allow_errors=True, kernel_name="python3",
                            resources={"metadata": {"path": str(notebook.parent)}})
    try:
        client.execute()
    except (CellTimeoutError, DeadKernelError) as error:
        raise StudentCheckError(
            f"El cuaderno no terminó de ejecutarse: {type(error).__name__}. ¿Hay un ciclo sin fin o "
            f"una celda que tarda más de {timeout} s?") from error
    results = []
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.cell_type != "code" or not meta.get("grade") or meta.get("solution"):
            continue
        failure = _error_of(cell)
        name = meta.get("grade_id", "?")
        if not _code_lines(cell.source):
            results.append(TestResult(name, True, hidden_only=True))
        elif failure is None:
            results.append(TestResult(name, True))
        else:
            ename, evalue = failure
            results.append(TestResult(name, False, f"{ename}: {evalue}".strip().rstrip(":"), ename))
    return results


def meaning(result: TestResult) -> str:
    """What a failed visible test tells the student, in Spanish."""
    if result.ename == "NotImplementedError":
        return ("todavía no resolviste el ejercicio que prueba esta celda: su función aún hace "
                "`raise NotImplementedError()`. Escribe tu código donde dice `# TU CÓDIGO AQUÍ`.")
    if result.ename == "AssertionError":
        return "tu solución se ejecuta, pero no cumple lo que la prueba comprueba: lee el mensaje."
    if result.ename == "NameError":
        return ("falta algo que la prueba usa: ¿no ejecutaste una celda anterior o cambiaste el "
                "nombre de una función o variable?")
    return "tu código (o una celda anterior) produjo un error al ejecutarse: lee el mensaje."


def report(notebook: Path, results: list[TestResult]) -> str:
    """The Spanish report of :func:`run_visible_tests`."""
    hidden = [r for r in results if r.hidden_only]
    visible = [r for r in results if not r.hidden_only]
    failed = [r for r in visible if not r.passed]
    lines = [f"Pruebas visibles de {notebook.name}: {len(visible) - len(failed)} de {len(visible)} pasan."]
    if hidden:
        lines.append(f"  ({len(hidden)} celdas de prueba solo tienen pruebas ocultas, que se ejecutan al "
                     f"calificar: {', '.join(r.name for r in hidden)}.)")
    for result in visible:
        if result.passed:
            lines.append(f"  [OK]    {result.name}")
        else:
            lines.append(f"  [FALLA] {result.name}: {result.error[:300]}")
            lines.append(f"          Significa que {meaning(result)}")
    if failed:
        lines.append("Una prueba visible que falla indica que ese ejercicio todavía no está bien: "
                     "corrígelo antes de entregar. Que todas pasen no garantiza la nota: al "
                     "calificar se agregan pruebas ocultas.")
    else:
        lines.append("Todas las pruebas visibles pasan. Al calificar se agregan pruebas ocultas: "
                     "revisa también los casos que el enunciado menciona.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tlcourse.student_check",
        description="Revisa tu entorno y ejecuta las pruebas visibles de un cuaderno.")
    parser.add_argument("notebook", help="id del cuaderno (p. ej. 00_entorno o 00) o su ruta")
    parser.add_argument("--timeout", type=int, default=CELL_TIMEOUT, help="segundos por celda")
    args = parser.parse_args(argv)
    import tlcourse
    from tlcourse.doctor import SetupError, run

    print(f"Paquete del curso: {Path(tlcourse.__file__).parent}")
    try:
        run(verbose=True)
    except SetupError:
        print("Arregla el entorno antes de comprobar un cuaderno (ver los [ERROR] de arriba).")
        return 1
    try:
        notebook = find_notebook(args.notebook)
        print(f"\nEjecutando {notebook} de principio a fin (puede tardar un minuto)...", flush=True)
        results = run_visible_tests(notebook, args.timeout)
    except StudentCheckError as error:
        print(f"Error: {error}", file=sys.stderr)
        return 2
    print(report(notebook, results))
    return 0 if all(r.passed for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
