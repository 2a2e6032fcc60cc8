"""Trusted verdicts: submission code cannot forge grades (the judge decides outside the kernel).

Fast unit tests of the evidence reader (no pickle, no symlinks, no custom Keras classes), the
judge's sandbox and its containment of errors. The hostile submissions themselves (tricks that,
before the judge existed, made in-kernel tests pass) are entries of each notebook's grader
corpus (tests/hostile.py, tests/corpus/<A>/expected.toml), graded with it in
tests/test_nb0*_*.py: each earns nothing it did not honestly solve and is reported as
``manipulacion``.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from tlcourse.grader import evidence, judging


# --------------------------------------------------------------------------- fast units
def test_evidence_round_trip_is_plain_data(tmp_path):
    evidence.record(tmp_path, "valores", lambda: {"n": np.int64(3), "p": np.array([0.5, 0.5])})
    evidence.record(tmp_path, "arreglo", lambda: np.arange(4))
    evidence.record(tmp_path, "fallo", lambda: 1 / 0)
    found = judging.Evidence(tmp_path)
    assert found.value("valores") == {"n": 3, "p": [0.5, 0.5]}
    assert found.value("arreglo").tolist() == [0, 1, 2, 3]
    with pytest.raises(judging.EvidenceError, match="ZeroDivisionError"):
        found.value("fallo")
    with pytest.raises(judging.MissingEvidence):
        found.value("nunca_escrita")


def test_pickled_arrays_and_symlinks_are_refused(tmp_path):
    np.save(tmp_path / "objetos.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    (tmp_path / "objetos.json").write_text(json.dumps({"kind": "array"}))
    (tmp_path / "enlace.json").symlink_to(tmp_path / "objetos.json")
    found = judging.Evidence(tmp_path)
    with pytest.raises(ValueError):
        found.value("objetos")
    with pytest.raises(judging.MissingEvidence):
        found.value("enlace")


def test_models_with_code_in_their_config_are_refused():
    config = {"class_name": "Sequential", "config": {"layers": [
        {"class_name": "InputLayer", "config": {}},
        {"class_name": "Lambda", "config": {"function": ["4wEAAAA...", None, None]}}]}}
    with pytest.raises(judging.EvidenceError, match="Lambda"):
        judging.check_classes(config, set())


def test_the_judge_runs_sandboxed_without_network_and_sees_the_evidence_read_only(tmp_path):
    from tlcourse.grader.verdicts import ApplyVerdicts

    evidence_folder = tmp_path / ".evidencia"
    evidence_folder.mkdir()
    state = {"assignment": "00_entorno", "folder": str(evidence_folder), "seed": 7}
    command = ApplyVerdicts().judge_command(state, tmp_path / "scratch")
    assert command[0] == "bwrap" and "--unshare-net" in command
    bound = [command[i:i + 3] for i, word in enumerate(command) if word in ("--bind", "--ro-bind")]
    assert ["--ro-bind", str(evidence_folder), str(evidence_folder)] in bound
    assert not any(b[0] == "--bind" and b[1] == str(evidence_folder) for b in bound)
    assert ApplyVerdicts(sandbox=False).judge_command(state, tmp_path)[:3] == [
        __import__("sys").executable, "-m", "tlcourse.grader.judging"]


def test_a_judge_error_on_malformed_evidence_fails_only_its_cell(tmp_path, monkeypatch):
    """judge_all contains whatever a judge raises on odd evidence: that cell fails, the others stand."""
    import types

    import tlcourse.grader.judges

    def judge(grade_id, found, reto):
        if grade_id == "roto":
            return found.value("valores")["no_esta"]  # KeyError on evidence of another shape
        return judging.PASS

    fake = types.SimpleNamespace(PROBES={"roto": "", "bien": ""}, challenge=lambda seed: {}, judge=judge)
    monkeypatch.setattr(tlcourse.grader.judges, "judge_for", lambda assignment: fake)
    evidence.record(tmp_path, "valores", lambda: {"n": 1})
    result = judging.judge_all("falso", tmp_path, 1)
    assert result["verdicts"]["bien"]["ok"] is True
    assert result["verdicts"]["roto"]["ok"] is False and "KeyError" in result["verdicts"]["roto"]["message"]



def _stream_judge(monkeypatch, calls):
    """A fake assignment whose cell ``a`` passes when the evidence ``valor`` is 1."""
    import types

    import tlcourse.grader.judges

    def judge(grade_id, found, reto):
        calls.append(grade_id)
        if grade_id == "a":
            return judging.PASS if found.value("valor") == 1 else judging.fail("no es 1")
        return judging.PASS

    fake = types.SimpleNamespace(PROBES={"a": "", "b": ""}, challenge=lambda seed: {"semilla": seed}, judge=judge)
    monkeypatch.setattr(tlcourse.grader.judges, "judge_for", lambda assignment: fake)


class _Lines:
    """stdin for :func:`judging.stream`, running ``before[line]`` just before that line is read."""

    def __init__(self, lines, before=None):
        self.lines, self.before = list(lines), before or {}

    def readline(self):
        return self._next() or ""

    def __iter__(self):
        return self

    def __next__(self):
        line = self._next()
        if line is None:
            raise StopIteration
        return line

    def _next(self):
        if not self.lines:
            return None
        line = self.lines.pop(0)
        self.before.get(line.strip(), lambda: None)()
        return line


def test_the_stream_judge_decides_each_cell_when_announced(tmp_path, monkeypatch):
    calls = []
    _stream_judge(monkeypatch, calls)
    evidence.record(tmp_path, "valor", lambda: 1)
    result = judging.stream("falso", tmp_path, _Lines(["7\n", "a\n", "fin\n"]))
    assert result["verdicts"]["a"]["ok"] and result["verdicts"]["b"]["ok"]
    assert result["judged_early"] == 1 and calls == ["a", "b"]  # b was never announced: judged at fin


def test_evidence_changed_after_its_judgement_is_judged_again(tmp_path, monkeypatch):
    """The verdicts are those of the evidence as it is at the end, as if judged only then."""
    calls = []
    _stream_judge(monkeypatch, calls)
    evidence.record(tmp_path, "valor", lambda: 1)
    later = {"fin": lambda: evidence.record(tmp_path, "valor", lambda: 2)}
    result = judging.stream("falso", tmp_path, _Lines(["7\n", "a\n", "b\n", "fin\n"], later))
    assert result["verdicts"]["a"]["ok"] is False and result["judged_early"] == 0
    assert calls == ["a", "b", "a", "b"]


def test_evidence_missing_when_judged_and_written_later_is_judged_again(tmp_path, monkeypatch):
    calls = []
    _stream_judge(monkeypatch, calls)
    later = {"fin": lambda: evidence.record(tmp_path, "valor", lambda: 1)}
    result = judging.stream("falso", tmp_path, _Lines(["7\n", "a\n", "fin\n"], later))
    assert result["verdicts"]["a"]["ok"] is True and result["judged_early"] == 0


def test_the_stream_judge_gives_nothing_if_never_asked(tmp_path, monkeypatch):
    """The grader died before ``fin``: no verdicts (the run is not graded), nothing printed."""
    _stream_judge(monkeypatch, [])
    assert judging.stream("falso", tmp_path, _Lines(["7\n", "a\n"])) is None


def test_the_seed_never_appears_on_the_stream_judge_s_command_line(tmp_path):
    """It runs beside the kernel, which could read another process's command line."""
    from tlcourse.grader.verdicts import judge_command

    command = judge_command("00_entorno", tmp_path, tmp_path, sandbox=False)
    assert command[-1] == "--stream" and not any(word.isdigit() for word in command)


def test_the_judge_started_beside_the_kernel_answers_through_its_pipe(tmp_path):
    """A real judge process (00_entorno's, no sandbox): seed, a cell, ``fin``, JSON verdicts."""
    from tlcourse.grader.judges import judge_for
    from tlcourse.grader.verdicts import JudgeProcess

    evidence.save_challenge(tmp_path, judge_for("00_entorno").challenge(3))
    judge = JudgeProcess("00_entorno", tmp_path, 3, sandbox=False)
    judge.tell(next(iter(judge_for("00_entorno").PROBES)))
    result = judge.result(timeout=300)
    assert set(result["verdicts"]) == set(judge_for("00_entorno").PROBES)
    assert not any(v["ok"] for v in result["verdicts"].values())  # no evidence: every cell fails
    assert all(v["missing"] for v in result["verdicts"].values())
    assert judge.process.poll() is not None and not judge.scratch.exists()
    assert str(tmp_path) not in JudgeProcess.running


def test_drawn_tables_tell_a_hard_coded_human_error_from_the_table_s():
    """01 ej3: on every table the judge draws, hard-coding the course's 5.1 % gives another
    answer than reading the human row (before, about one run in twenty let it through)."""
    from tlcourse.grader.judges import cnn_table as judge
    for seed in range(30):
        reto = judge.challenge(seed)
        for i in range(3):
            table = judge._table(reto, f"tabla{i}")
            hard_coded = judge._first_below(table[table["model"] != judge.HUMAN], 5.1)
            assert hard_coded != judge._first_below_human(table), f"tabla{i} of seed {seed}"
