"""Judges: how each assignment's points are decided outside the student's kernel.

A judge module (one per assignment that has one) defines:

* ``challenge(seed) -> dict[str, np.ndarray]``: the inputs for this run, drawn from the seed
  (the grader draws a new seed per run, so answers cannot be precomputed);
* ``PROBES``: ``grade_id -> code`` run in the kernel right after that graded cell; the code
  sees the student's names, ``RETO`` (the challenge) and ``registrar(name, fn)``
  (:func:`tlcourse.grader.evidence.record` into this run's folder); every use of a student's name
  goes inside ``fn`` (a lambda), so a missing answer is recorded as an error, not as
  missing evidence (which is reported as tampering);
* ``judge(grade_id, evidence, challenge) -> Verdict``: the decision, from the evidence alone
  (:class:`tlcourse.grader.judging.Evidence`), recomputing what it checks.

Judges are instructor code: they are not part of the student kit.
"""

from __future__ import annotations

import importlib
from types import ModuleType

#: assignment id -> judge module (in this package).
JUDGES = {
    "00_entorno": "entorno",
    "01_evolucion_cnn": "cnn_table",
    "02_arquitecturas": "bloques",
    "03_extraccion_caracteristicas": "extraccion",
    "04_ajuste_fino": "ajuste",
    "05_tensorflow_hub": "hub_uso",
    "06_proyecto": "proyecto",
}


def judge_for(assignment: str | None) -> ModuleType | None:
    """The judge module of ``assignment``, or None when its grading is still in-kernel only."""
    name = JUDGES.get(assignment or "")
    return importlib.import_module(f"{__name__}.{name}") if name else None
