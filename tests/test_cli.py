"""One command line: `python -m tlcourse <command>` for every instructor and developer command."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from tlcourse import cli, data

COMMANDS = {"doctor", "check", "grade", "models", "results", "serve", "verify", "splits", "bench", "kit"}


def _commands() -> set[str]:
    sub = next(a for a in cli.parser()._actions if a.dest == "command")
    return set(sub.choices)


def test_every_command_is_a_subcommand_of_python_m_tlcourse():
    assert _commands() == COMMANDS


def test_the_makefile_calls_the_one_command_line(repo):
    makefile = (repo / "Makefile").read_text()
    for module in ("tlcourse.backbone", "tlcourse.hub", "tlcourse.curves", "tlcourse.data", "tlcourse.digits"):
        assert f"-m {module}" not in makefile, module
    for command in ("models", "serve", "check", "grade", "bench", "kit", "doctor"):
        assert f"-m tlcourse {command}" in makefile, command


def test_verify_checks_the_committed_data_and_backbone(capsys):
    assert cli.main(["verify"]) == 0
    out = capsys.readouterr().out
    assert out.count("OK  ") == len(data.FILES) and "sha256 verificado" in out


def test_verify_names_a_corrupt_data_file_and_fails(tmp_path, monkeypatch, capsys):
    copy = tmp_path / "fashion-mnist"
    shutil.copytree(data.data_dir() / "fashion-mnist", copy)
    damaged = copy / data.FILES["test_labels"]
    damaged.write_bytes(b"no es un gzip")
    monkeypatch.setattr(data, "data_dir", lambda: tmp_path)
    assert cli.main(["verify"]) == 1
    assert damaged.name in capsys.readouterr().err


def test_models_card_on_a_folder_without_a_build_fails_clearly(tmp_path, capsys):
    assert cli.main(["models", "--card", "--out", str(tmp_path)]) == 2
    assert "make models" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["-m", "tlcourse", "--help"], ["-m", "tlcourse.hub", "verify"]])
def test_entry_points_run(argv):
    """`python -m tlcourse` and the classroom alias `python -m tlcourse.hub serve|verify`."""
    done = subprocess.run([sys.executable, *argv], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-1500:]
