"""One command line: `python -m tlcourse <command>` for every instructor and developer command."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest

from tlcourse import cli, data

COMMANDS = {"doctor", "check", "grade", "models", "results", "finetune-study", "augment-study", "serve", "verify", "splits",
            "bench", "bench-loaded", "kit"}
#: The only other entry points: the students' own (Spanish, in the kit) and the grader's
#: internal child processes (a kernel launcher, a judge, a grading job), which no user types.
OTHER_ENTRY_POINTS = {"student_check.py", "doctor.py", "grader/_kernel_launcher.py", "grader/judging.py",
                      "grader/gradejob.py"}


def _commands() -> set[str]:
    sub = next(a for a in cli.parser()._actions if a.dest == "command")
    return set(sub.choices)


def test_every_command_is_a_subcommand_of_python_m_tlcourse():
    assert _commands() == COMMANDS


def test_no_other_module_has_a_command_line_of_its_own(repo):
    package = repo / "src" / "tlcourse"
    mains = {p.relative_to(package).as_posix() for p in package.rglob("*.py")
             if re.search(r'^if __name__ == "__main__":', p.read_text(encoding="utf-8"), re.M)}
    assert mains - {"__main__.py"} == OTHER_ENTRY_POINTS, mains
    parsers = {p.relative_to(package).as_posix() for p in package.rglob("*.py")
               if "ArgumentParser(" in p.read_text(encoding="utf-8")}
    assert parsers <= {"cli.py", "student_check.py"}, parsers


def test_the_makefile_calls_the_one_command_line(repo):
    makefile = (repo / "Makefile").read_text()
    for module in ("tlcourse.build.backbone", "tlcourse.hub", "tlcourse.curves", "tlcourse.data", "tlcourse.digits"):
        assert f"-m {module}" not in makefile, module
    for command in ("models", "serve", "check", "grade", "bench", "bench-loaded", "kit", "doctor"):
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


@pytest.mark.parametrize("argv", [["-m", "tlcourse", "--help"], ["-m", "tlcourse", "verify"]])
def test_entry_points_run(argv):
    """`python -m tlcourse` runs as a module (the one command line)."""
    done = subprocess.run([sys.executable, *argv], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-1500:]
