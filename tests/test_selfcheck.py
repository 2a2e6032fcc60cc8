"""Self-check (`make check NB=...`): a Spanish report per exercise, no hidden test source."""

from __future__ import annotations

import nbformat
import pytest

from tlcourse import cli
from tlcourse.grader import feedback, grading, selfcheck

A = "00_entorno"
WRONG_EJ1 = ("def resumen_datos(x, y):\n"
             "    return {'n': 3, 'alto': 5, 'ancho': 4, 'clases': 2, 'min': 0, 'max': 0}\n")


def test_resolve_accepts_ids_prefixes_and_paths(tmp_path):
    names = [A, "01_evolucion_cnn"]
    assert selfcheck.resolve("00", names) == (A, grading.release_path(A).resolve())
    copy = tmp_path / "mi_copia" / f"{A}.ipynb"
    assert selfcheck.resolve(str(copy), names)[0] == A
    with pytest.raises(selfcheck.CheckError, match="no es una tarea"):
        selfcheck.resolve("99", names)
    with pytest.raises(selfcheck.CheckError, match="No reconozco"):
        selfcheck.resolve(str(tmp_path / "tarea.ipynb"), names)


@pytest.mark.slow
def test_check_reports_points_and_messages_without_hidden_source(tmp_path, capsys):
    path = tmp_path / f"{A}.ipynb"
    nbformat.write(grading.submission(A, overrides={"ej1_resumen_datos": WRONG_EJ1}), str(path))
    assert cli.main(["check", str(path)]) == 0
    report = capsys.readouterr().out
    # The answer hard-codes the visible example: the judge evaluates it on this run's own
    # inputs, so even the example's point is lost (00 has a judge: tlcourse.grader.judges).
    assert "Ejercicio 1: 0/2 puntos" in report
    assert "test_ej1_ejemplo (prueba): Veredicto: resumen_datos no da" in report
    assert "Ejercicio 2: 2/2 puntos" in report and "Ejercicio 3: 1/1 puntos" in report
    assert "Total: 3/5 puntos." in report
    # the failing hidden assert's own message, written for the student, is shown ...
    assert "test_ej1_fashion (prueba oculta): AssertionError: El resumen del conjunto" in report
    # ... but none of the hidden test's code
    lines = feedback.hidden_lines(grading.read_notebook(grading.source_path(A)),
                                  grading.read_notebook(grading.release_path(A)))
    assert not [line for line in lines if line in feedback.normalise(report)]
