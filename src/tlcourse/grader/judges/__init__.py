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

A judge module may also define ``warm()``: load what every run needs before any evidence exists
(TensorFlow, the published backbone). The grader starts the judge beside the kernel
(:func:`tlcourse.grader.judging.stream`), so this work overlaps the notebook's execution.

An assignment may have several judge modules (a tuple in :data:`JUDGES`): each owns some of
the graded cells and some challenge keys; :func:`judge_for` combines them into one
(:class:`Combined`), so the grader sees a single judge either way.

Judges are instructor code: they are not part of the student kit.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any, Callable

import numpy as np

#: assignment id -> judge module (in this package), or a tuple of modules with disjoint cells.
JUDGES: dict[str, str | tuple[str, ...]] = {
    "00_entorno": "entorno",
    "01_evolucion_cnn": "cnn_table",
    "02_arquitecturas": "bloques",
    "03_extraccion_caracteristicas": "extraccion",
    "04_ajuste_fino": ("ajuste", "ajuste_regularizacion"),
    "05_tensorflow_hub": "hub_uso",
    "06_proyecto": "proyecto",
}


class Combined:
    """Several judge modules acting as one: merged ``PROBES`` and ``challenge``; ``judge``
    asks the module that owns the cell. Cells and challenge keys must not overlap."""

    def __init__(self, modules: list[ModuleType]) -> None:
        self.modules = modules
        self.PROBES: dict[str, str] = {}
        self._owner: dict[str, ModuleType] = {}
        for module in modules:
            shared = set(self.PROBES) & set(module.PROBES)
            if shared:
                raise ValueError(f"judge modules share graded cells: {sorted(shared)}")
            self.PROBES.update(module.PROBES)
            self._owner.update(dict.fromkeys(module.PROBES, module))

    def challenge(self, seed: int) -> dict[str, np.ndarray]:
        """Every module's challenge for ``seed``, in one dictionary (keys must be disjoint)."""
        merged: dict[str, np.ndarray] = {}
        for module in self.modules:
            arrays = module.challenge(seed)
            if set(arrays) & set(merged):
                raise ValueError(f"judge modules share challenge keys: {sorted(set(arrays) & set(merged))}")
            merged.update(arrays)
        return merged

    def judge(self, grade_id: str, evidence: Any, reto: dict[str, np.ndarray]) -> Any:
        """The verdict of the module that owns ``grade_id``."""
        owner = self._owner.get(grade_id, self.modules[0])
        decide: Callable[..., Any] = owner.judge
        return decide(grade_id, evidence, reto)


def _modules(judge: ModuleType | Combined) -> list[ModuleType]:
    return judge.modules if isinstance(judge, Combined) else [judge]


def warm(judge: ModuleType | Combined) -> None:
    """Run every module's ``warm()`` (those that define one)."""
    for module in _modules(judge):
        getattr(module, "warm", lambda: None)()


def forget() -> None:
    """Clear every ``functools`` cache of the judge modules, the evidence-derived ones included
    (before every cell is judged again on evidence that changed)."""
    import sys

    for name, module in list(sys.modules.items()):
        if module is None or not name.startswith(f"{__name__}."):
            continue
        for value in vars(module).values():
            clear = getattr(value, "cache_clear", None)
            if callable(clear):
                clear()


def judge_for(assignment: str | None) -> ModuleType | Combined | None:
    """The judge of ``assignment`` (a module, or :class:`Combined`), or None when its grading is
    still in-kernel only."""
    names = JUDGES.get(assignment or "")
    if not names:
        return None
    if isinstance(names, str):
        return importlib.import_module(f"{__name__}.{names}")
    return Combined([importlib.import_module(f"{__name__}.{name}") for name in names])
