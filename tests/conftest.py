"""Shared test set-up: offline by construction, TensorFlow silent, course helpers."""

from __future__ import annotations

import os

# Kernels, subprocesses and this process inherit the guard: only loopback connections.
os.environ["TLCOURSE_BLOCK_NETWORK"] = "1"
os.environ.setdefault("TFHUB_CACHE_DIR", os.path.join(os.getcwd(), ".cache", "tfhub-tests"))

import tlcourse  # noqa: E402  (must come before TensorFlow)
from tlcourse import _env  # noqa: E402

_env.block_network()

import pytest  # noqa: E402

from tlcourse import grading  # noqa: E402

# A PostgreSQL server of the tests' own (tests/pg_server.py): postgres_server, postgres_url.
from pg_server import postgres_server, postgres_url  # noqa: E402,F401


def assignments() -> list[str]:
    """Assignments that exist in solutions/ (the syllabus grows issue by issue)."""
    root = grading.repo_root() / "solutions"
    return sorted(p.name for p in root.iterdir() if (p / f"{p.name}.ipynb").is_file())


@pytest.fixture(scope="session")
def repo():
    return grading.repo_root()


def pytest_generate_tests(metafunc):
    """``corpus_entry``: every submission of the module's grader corpus (tests/grader_corpus.py)."""
    if "corpus_entry" in metafunc.fixturenames:
        metafunc.parametrize("corpus_entry", sorted(metafunc.module.CORPUS))
