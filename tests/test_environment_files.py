"""requirements.txt, environment.yml, pyproject and grader_config agree with each other."""

from __future__ import annotations

import re
import runpy
from importlib import metadata

import pytest
from traitlets.config import Config

PIN = re.compile(r"^(?P<name>[A-Za-z0-9_.\-]+)==(?P<version>[0-9][^\s#]*)\s+#\s*\S.*$")


def _requirements(repo):
    lines = (repo / "requirements.txt").read_text().splitlines()
    return [line for line in lines if line.strip() and not line.lstrip().startswith("#")]


def test_every_requirement_is_an_exact_pin_with_a_comment(repo):
    lines = _requirements(repo)
    assert len(lines) >= 15
    bad = [line for line in lines if not PIN.match(line)]
    assert not bad, f"not 'name==version  # what it is for': {bad}"


@pytest.mark.parametrize("name", ["tensorflow", "tf-keras", "tensorflow-hub", "nbgrader", "jupyterlab"])
def test_client_stack_is_pinned(repo, name):
    names = {PIN.match(line)["name"].lower() for line in _requirements(repo)}
    assert name in names


def test_installed_versions_match_the_pins(repo):
    wrong = []
    for line in _requirements(repo):
        match = PIN.match(line)
        installed = metadata.version(match["name"])
        if installed != match["version"]:
            wrong.append(f"{match['name']}: pinned {match['version']}, installed {installed}")
    assert not wrong, wrong


def test_environment_yml_installs_requirements_and_package(repo):
    text = (repo / "environment.yml").read_text()
    assert re.search(r"^\s*-\s*python=3\.11\s*$", text, re.M), "environment.yml must pin python 3.11"
    assert re.search(r"^\s*-\s*-r requirements\.txt\s*$", text, re.M), "pip section must install requirements.txt"
    assert re.search(r"^\s*-\s*-e \.\s*$", text, re.M), "pip section must install the helper package"
    # no second source of versions
    assert not re.search(r"==", text), "versions belong in requirements.txt only"


def test_pyproject_python_matches_environment(repo):
    text = (repo / "pyproject.toml").read_text()
    assert 'requires-python = ">=3.11,<3.12"' in text


def _grader_config(repo):
    config = Config()
    namespace = runpy.run_path(str(repo / "grader_config.py"), init_globals={"get_config": lambda: config})
    return config, namespace


def test_grader_config_settings(repo):
    config, namespace = _grader_config(repo)
    course = config.CourseDirectory
    assert course.source_directory == "solutions"
    assert course.release_directory == "notebooks"
    assert course.db_url.startswith("sqlite:///")
    assert 10 <= config.Execute.timeout <= 300, "a deliberate per-cell timeout"
    assert namespace["ASSIGNMENTS"] == sorted(namespace["ASSIGNMENTS"])


def test_db_url_and_timeout_follow_environment(repo, monkeypatch):
    monkeypatch.setenv("TLCOURSE_DB_URL", "postgresql://grader@localhost/course")
    monkeypatch.setenv("TLCOURSE_CELL_TIMEOUT", "45")
    config, _ = _grader_config(repo)
    assert config.CourseDirectory.db_url == "postgresql://grader@localhost/course"
    assert config.Execute.timeout == 45


def test_assignments_match_solutions_folders(repo):
    _, namespace = _grader_config(repo)
    folders = sorted(p.name for p in (repo / "solutions").iterdir() if p.is_dir())
    assert folders == namespace["ASSIGNMENTS"]


def test_nbgrader_config_is_two_lines_loading_grader_config(repo):
    lines = [l for l in (repo / "nbgrader_config.py").read_text().splitlines() if l.strip()]
    assert len(lines) == 2 and "grader_config.py" in lines[1]
