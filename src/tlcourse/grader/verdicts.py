"""Grades that submission code cannot forge: the judge's verdict decides each graded cell.

Every test cell runs in the student's kernel, after the student's code, so code in the
kernel can make any in-kernel test pass (an IPython input transformer that turns later cells
into ``pass``, a silenced ``showtraceback``, a rebound ``np.isclose``...). For assignments
that have a judge (:mod:`tlcourse.grader.judges`) two preprocessors, configured in
``grader_config.py`` around nbgrader's ``SaveAutoGrades``, take the decision out of the
kernel:

1. :class:`JudgedExecute` (a :class:`~tlcourse.grader.execution.ContainedExecute`) draws a fresh
   seed, writes the judge's challenge for this run into an evidence folder next to the
   notebook, and after each graded cell runs that cell's probe in the kernel: the probe
   evaluates the student's objects on the challenge and writes inert evidence
   (:mod:`tlcourse.grader.evidence`). A first and a last probe record the kernel's machinery.
2. :class:`ApplyVerdicts` runs the judge in a separate process where no submission code ever
   ran (``python -m tlcourse.grader.judging``), with the seed kept outside the kernel, and rewrites
   each graded cell's outputs: a cell the judge rejects gets an error output with the judge's
   Spanish reason (nbgrader scores it 0); a cell the judge accepts loses the kernel's error
   outputs (it scores full). The in-kernel messages stay for the student's feedback.

Tampering is reported, never scored on its own: the kernel's machinery changed, evidence is
missing although the cell ran, or the kernel passed a cell the judge rejected. Each becomes a
``manipulacion`` incident (a course-MIME output that :func:`tlcourse.grader.classgrade.incidents_in`
reads into ``reports/incidents.csv``). The judge has no network and only prints its result:
it runs in a bubblewrap sandbox of its own (:mod:`tlcourse.grader.sandbox`)
with a read-only view of the evidence, unless grading runs with ``--no-sandbox``.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import typing as t
from pathlib import Path

from nbformat import NotebookNode
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Bool, Integer

from tlcourse.grader.execution import ContainedExecute, error_output

EVIDENCE_DIR = ".evidencia"
VERDICTS_FILE = "veredictos.json"
INCIDENT_MIME = "application/vnd.tlcourse.incidente+json"
VERDICT_ENAME = "Veredicto"
_STATE = "tlcourse_judge"

PROBE_TEMPLATE = """
def _tlc_probe():
    import tlcourse.grader.evidence as _tlc_ev
    RETO = _tlc_ev.load_challenge({folder!r})
    def registrar(nombre, funcion):
        _tlc_ev.record({folder!r}, nombre, funcion)
    exec(compile({code!r}, "<sonda>", "exec"), {{**globals(), "RETO": RETO, "registrar": registrar}})
_tlc_probe()
del _tlc_probe
"""


def _grade_id(cell: NotebookNode) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


class JudgedExecute(ContainedExecute):
    """:class:`ContainedExecute` that also collects the judge's evidence from the kernel."""

    def preprocess(self, nb: NotebookNode, resources: t.Any = None, km: t.Any = None):  # type: ignore[no-untyped-def]
        from tlcourse.grader.judges import judge_for

        resources = resources if resources is not None else {}
        assignment = resources.get("nbgrader", {}).get("assignment")
        self._judge = judge_for(assignment)
        if self._judge is None:
            return super().preprocess(nb, resources, km)
        folder = Path(resources.get("metadata", {}).get("path") or ".").resolve() / EVIDENCE_DIR
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        seed = secrets.randbits(31)
        from tlcourse.grader.evidence import save_challenge

        save_challenge(folder, self._judge.challenge(seed))
        self._folder = folder
        self._probed: list[str] = []
        self._code_cells = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and c.source.strip()]
        resources[_STATE] = {"assignment": assignment, "folder": str(folder), "seed": seed,
                             "probed": self._probed}
        return super().preprocess(nb, resources, km)

    def _run_cell(self, cell: NotebookNode, resources: t.Any, index: int) -> None:
        judge = getattr(self, "_judge", None)
        if judge is None:
            return super()._run_cell(cell, resources, index)
        if self._code_cells and index == self._code_cells[0]:
            self._probe("registrar('integridad_inicio', __import__('tlcourse.grader.evidence').grader.evidence.kernel_state)")
        super()._run_cell(cell, resources, index)
        gid = _grade_id(cell)
        if gid in judge.PROBES and self._gave_up is None:
            self._probe(judge.PROBES[gid])
            self._probed.append(gid)
        if self._code_cells and index == self._code_cells[-1]:
            self._probe("registrar('integridad_fin', __import__('tlcourse.grader.evidence').grader.evidence.kernel_state)")

    def _probe(self, code: str) -> None:
        """Run a probe silently in the kernel; its failures are the evidence's business."""
        if self.kc is None:
            return
        source = PROBE_TEMPLATE.format(folder=str(self._folder), code=code)
        try:
            msg_id = self.kc.execute(source, silent=True, store_history=False, stop_on_error=False)
            self.wait_for_reply(msg_id)
        except Exception as error:  # a dead or stuck kernel: the evidence will be missing
            self.log.warning("Probe failed: %s", error)


class ApplyVerdicts(NbGraderPreprocessor):
    """Decide each judged cell's score by the judge's verdict (before ``SaveAutoGrades``)."""

    judge_timeout = Integer(600, help="Seconds the judge may take (it loads TensorFlow)").tag(config=True)
    sandbox = Bool(True, help="Run the judge in a bubblewrap sandbox (no network; it sees the evidence "
                              "read-only and writes nothing but its result)").tag(config=True)

    def preprocess(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        state = resources.get(_STATE)
        if not state:
            return nb, resources
        start = time.perf_counter()
        result = self._run_judge(state)
        result["judge_s"] = round(time.perf_counter() - start, 2)
        # The CPU seconds the judge reports for itself (None if it failed): on a busy machine
        # its wall time says more about the neighbours than about the judge.
        cpu = result.pop("cpu_s", None)
        result["judge_cpu_s"] = float(cpu) if isinstance(cpu, (int, float)) else None
        # After the kernel is gone: the instructor's record of why each cell scored as it did.
        (Path(state["folder"]) / VERDICTS_FILE).write_text(json.dumps(result, ensure_ascii=False, indent=1))
        verdicts = result.get("verdicts", {})
        probed = set(state.get("probed", []))
        first_graded = None
        for cell in nb.cells:
            gid = _grade_id(cell)
            if gid not in verdicts:
                continue
            first_graded = first_graded or cell
            self._apply(cell, gid, verdicts[gid], gid in probed)
        findings = result.get("integrity", [])
        if findings and first_graded is not None:
            reason = "la maquinaria del kernel cambió durante la ejecución: " + "; ".join(findings)
            first_graded.outputs.append(incident_output("-", reason))
        return nb, resources

    def judge_command(self, state: dict[str, t.Any], scratch: Path) -> list[str]:
        """``python -m tlcourse.grader.judging``, in a sandbox of its own unless ``sandbox`` is False."""
        command = [sys.executable, "-m", "tlcourse.grader.judging", state["assignment"], state["folder"], str(state["seed"])]
        if not self.sandbox:
            return command
        from tlcourse.grader import sandbox

        # A uid of its own (not the kernel's), a read-only view of the evidence, no network.
        uid = 100000 + (sandbox.sandbox_uid() - 100000 + 1) % 100000  # the next uid of the range
        return sandbox.bwrap_command(command, workdir=scratch, rundir=scratch, uid=uid,
                                     read_only=(Path(state["folder"]),))

    def _run_judge(self, state: dict[str, t.Any]) -> dict[str, t.Any]:
        env = {**os.environ, "TLCOURSE_BLOCK_NETWORK": "1"}
        try:
            with tempfile.TemporaryDirectory(prefix="tlcourse-judge-") as scratch:
                os.chmod(scratch, 0o755)  # the judge's uid must be able to enter it (it writes nothing)
                done = subprocess.run(self.judge_command(state, Path(scratch)), capture_output=True, text=True,
                                      env=env, timeout=self.judge_timeout)
            return json.loads(done.stdout.strip().splitlines()[-1])
        except Exception as error:  # the judge itself failed: every judged cell fails, visibly
            self.log.error("The judge failed: %s", error)
            from tlcourse.grader.judges import judge_for

            message = "el calificador no pudo evaluar esta prueba; avisa a tu profesor."
            return {"verdicts": {gid: {"ok": False, "message": message}
                                 for gid in judge_for(state["assignment"]).PROBES},
                    "integrity": [], "judge_error": str(error)[:300]}

    @staticmethod
    def _apply(cell: NotebookNode, gid: str, verdict: dict[str, t.Any], probed: bool) -> None:
        kernel_failed = any(o.get("output_type") == "error" for o in cell.get("outputs", []))
        evidence_missing = bool(verdict.get("missing"))
        if verdict.get("ok"):
            cell.outputs = [o for o in cell.outputs if o.get("output_type") != "error"
                            and not (o.get("output_type") == "stream" and o.get("name") == "stderr")]
            return
        cell.outputs.append(error_output(VERDICT_ENAME, str(verdict.get("message") or "la prueba no pasó.")))
        if probed and evidence_missing:
            cell.outputs.append(incident_output(gid, "la celda se ejecutó pero su evidencia no existe"))
        elif not kernel_failed:
            cell.outputs.append(incident_output(
                gid, f"el kernel dio la prueba por buena y el juez no: {verdict.get('message', '')}"[:300]))


def incident_output(cell: str, reason: str, kind: str = "manipulacion") -> NotebookNode:
    """An output that reports an incident to the instructor without changing the score."""
    return NotebookNode(output_type="display_data", metadata={},
                        data={INCIDENT_MIME: {"kind": kind, "cell": cell, "reason": reason}})
