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
