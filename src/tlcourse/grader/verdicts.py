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
2. The judge runs in a separate process where no submission code ever runs
   (``python -m tlcourse.grader.judging``), with the seed kept outside the kernel.
   :class:`JudgedExecute` starts it beside the kernel (:class:`JudgeProcess`): it loads
   TensorFlow while the notebook starts, and judges each graded cell as soon as its probe
   has written the evidence, so little is left to do once the notebook has run.
   :class:`ApplyVerdicts` then asks for the verdicts (or runs the judge whole, if it was not
   started) and rewrites each graded cell's outputs: a cell the judge rejects gets an error output with the judge's
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

import atexit
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


def judge_command(assignment: str, folder: Path, scratch: Path, sandbox: bool, seed: int | None = None) -> list[str]:
    """``python -m tlcourse.grader.judging`` for one run, in a bubblewrap sandbox of its own
    unless ``sandbox`` is False. Without ``seed``, the stream mode (the seed then goes on stdin,
    never on a command line that other processes can read)."""
    command = [sys.executable, "-m", "tlcourse.grader.judging", assignment, str(folder),
               "--stream" if seed is None else str(seed)]
    if not sandbox:
        return command
    from tlcourse.grader import sandbox as _sandbox

    # A uid of its own (not the kernel's), a read-only view of the evidence, no network.
    uid = 100000 + (_sandbox.sandbox_uid() - 100000 + 1) % 100000  # the next uid of the range
    return _sandbox.bwrap_command(command, workdir=scratch, rundir=scratch, uid=uid,
                                  read_only=(Path(folder),))


def _judge_env() -> dict[str, str]:
    return {**os.environ, "TLCOURSE_BLOCK_NETWORK": "1"}


class JudgeProcess:
    """The judge of one run, started beside the kernel (``--stream``; see
    :func:`tlcourse.grader.judging.stream`): told the seed, then each graded cell whose probe
    has run, then asked for the verdicts."""

    #: Judges started and not yet asked, by evidence folder (at most one per run).
    running: dict[str, "JudgeProcess"] = {}

    def __init__(self, assignment: str, folder: Path, seed: int, sandbox: bool) -> None:
        self.folder = str(folder)
        self.scratch = Path(tempfile.mkdtemp(prefix="tlcourse-judge-"))
        os.chmod(self.scratch, 0o755)  # the judge's uid must be able to enter it (it writes nothing)
        self.started = time.perf_counter()
        try:
            self.process = subprocess.Popen(
                judge_command(assignment, folder, self.scratch, sandbox), stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=_judge_env())
        except OSError:
            shutil.rmtree(self.scratch, ignore_errors=True)
            raise
        JudgeProcess.running[self.folder] = self
        self.tell(str(seed))

    def tell(self, line: str) -> None:
        """One line to the judge; a judge that already died is found out by :meth:`result`."""
        try:
            assert self.process.stdin is not None
            self.process.stdin.write(line + "\n")
            self.process.stdin.flush()
        except (OSError, ValueError):
            pass

    def result(self, timeout: float) -> dict[str, t.Any]:
        """``fin``, then the judge's JSON (raises if it fails or takes over ``timeout`` seconds)."""
        try:
            self.tell("fin")
            out, _ = self.process.communicate(timeout=timeout)
            return json.loads(out.strip().splitlines()[-1])
        finally:
            self.stop()

    def stop(self) -> None:
        """Kill the judge if it still runs, and remove its scratch folder."""
        JudgeProcess.running.pop(self.folder, None)
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass
        shutil.rmtree(self.scratch, ignore_errors=True)

    @classmethod
    def stop_all(cls) -> None:
        """Stop every judge still waiting (a run that never reached :class:`ApplyVerdicts`)."""
        for judge in list(cls.running.values()):
            judge.stop()


atexit.register(JudgeProcess.stop_all)


class JudgedExecute(ContainedExecute):
    """:class:`ContainedExecute` that also collects the judge's evidence from the kernel."""

    def preprocess(self, nb: NotebookNode, resources: t.Any = None, km: t.Any = None):  # type: ignore[no-untyped-def]
        from tlcourse.grader.judges import judge_for

        resources = resources if resources is not None else {}
        assignment = resources.get("nbgrader", {}).get("assignment")
        self._judge = judge_for(assignment)
        self._judge_process: JudgeProcess | None = None
        if self._judge is None:
            return super().preprocess(nb, resources, km)
        folder = Path(resources.get("metadata", {}).get("path") or ".").resolve() / EVIDENCE_DIR
        leftover = JudgeProcess.running.get(str(folder))
        if leftover is not None:  # an earlier run of this notebook that never asked for its verdicts
            leftover.stop()
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
        try:
            self._judge_process = JudgeProcess(assignment, folder, seed, self.sandbox)
        except OSError as error:  # ApplyVerdicts runs the judge whole instead
            self.log.warning("Could not start the judge beside the kernel: %s", error)
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
            if self._judge_process is not None:
                self._judge_process.tell(gid)  # its evidence is written: the judge may decide it now
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
        # The wait for the verdicts once the notebook has run (what the judge adds to grading).
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
        """The whole judge for one run (:func:`judge_command` with the seed)."""
        return judge_command(state["assignment"], Path(state["folder"]), scratch, self.sandbox, state["seed"])

    def _run_judge(self, state: dict[str, t.Any]) -> dict[str, t.Any]:
        try:
            started = JudgeProcess.running.get(state["folder"])
            if started is not None:
                result = started.result(self.judge_timeout)
                result["judge_total_s"] = round(time.perf_counter() - started.started, 2)
                return result
            with tempfile.TemporaryDirectory(prefix="tlcourse-judge-") as scratch:
                os.chmod(scratch, 0o755)  # the judge's uid must be able to enter it (it writes nothing)
                done = subprocess.run(self.judge_command(state, Path(scratch)), capture_output=True, text=True,
                                      env=_judge_env(), timeout=self.judge_timeout)
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
