"""Grading limits: defined once (tlcourse.grader.limits), read by every grader, documented from there."""

from __future__ import annotations

import re

import pytest

from tlcourse import cli
from tlcourse.grader import limits
from tlcourse.grader.classgrade import Settings
from tlcourse.grader.limits import DEFAULT, GradingLimits


def test_environment_overrides_the_defaults_and_bad_values_are_named():
    found = GradingLimits.from_env({"TLCOURSE_CELL_TIMEOUT": "15", "TLCOURSE_KERNEL_MEMORY_MB": ""})
    assert found == GradingLimits(cell_s=15, notebook_s=DEFAULT.notebook_s, memory_mb=DEFAULT.memory_mb)
    with pytest.raises(ValueError, match="TLCOURSE_NOTEBOOK_TIMEOUT='diez'"):
        GradingLimits.from_env({"TLCOURSE_NOTEBOOK_TIMEOUT": "diez"})


def test_a_run_passes_every_limit_to_its_workers_explicitly(monkeypatch):
    monkeypatch.setenv("TLCOURSE_NOTEBOOK_TIMEOUT", "600")
    settings = Settings(cell_timeout=20)
    env = settings.environment(workers=2)
    assert GradingLimits.from_env(env) == GradingLimits(cell_s=20, notebook_s=600, memory_mb=DEFAULT.memory_mb)
    assert settings.hard_limit() == 600 + DEFAULT.hard_margin_s
    assert Settings(job_limit_s=77).hard_limit() == 77


def test_grader_config_reads_the_limits(repo, monkeypatch):
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    monkeypatch.setenv("TLCOURSE_CELL_TIMEOUT", "33")
    monkeypatch.setenv("TLCOURSE_KERNEL_MEMORY_MB", "2048")
    config: Config = PyFileConfigLoader("grader_config.py", path=str(repo)).load_config()
    assert config.Execute.timeout == 33
    assert config.ContainedExecute.memory_limit_mb == 2048
    assert config.ContainedExecute.notebook_timeout == DEFAULT.notebook_s


def test_the_grade_help_is_derived_from_the_definitions():
    grade = next(a for a in cli.parser()._actions if a.dest == "command").choices["grade"]
    text = grade.format_help()
    for name, (variable, _) in limits.SETTINGS.items():
        assert f"default {getattr(DEFAULT, name)}" in re.sub(r"\s+", " ", text) and variable in text


def test_no_other_module_defines_a_limit(repo):
    """The environment variables are named only in tlcourse.grader.limits (grader_config reads them there)."""
    names = [variable for variable, _ in limits.SETTINGS.values()]
    offenders = [path.name for path in (repo / "src" / "tlcourse").rglob("*.py")
                 if path.name != "limits.py" and any(n in path.read_text() for n in names)]
    assert offenders == []
