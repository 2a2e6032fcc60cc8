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

from tlcourse.grader import grading  # noqa: E402

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
    """``corpus_entry``: every submission of the module's grader corpus (tests/corpus/<A>/);
    ``hostile_entry``: its hostile submissions only (``flagged = true``)."""
    if "corpus_entry" in metafunc.fixturenames:
        import corpus_files

        metafunc.parametrize("corpus_entry", sorted(corpus_files.load(metafunc.module.A)))
    if "hostile_entry" in metafunc.fixturenames:
        import corpus_files

        metafunc.parametrize("hostile_entry", sorted(name for name, entry in corpus_files.load(metafunc.module.A).items()
                                                     if entry.flagged))


#: Test modules that take longest (each grades whole corpora or classes), longest first, from
#: `pytest --durations` of the whole suite (2026-12-03, 68 min run; test_nb06_ since also
#: holds the manual-grading workflow, about 190 s). `make test` runs pytest-xdist with `--dist loadfile
#: --no-loadscope-reorder`, which hands modules to the two workers in collection order: putting
#: the longest first (longest-processing-time scheduling) lets the short ones fill the end,
#: instead of one long module starting last while the other worker idles.
LONGEST_FIRST = (
    "test_nb06_", "test_nb04_", "test_nb03_", "test_classgrade", "test_dask", "test_nb02_", "test_nb05_",
    "test_postgres", "test_grading_damaged", "test_sandbox", "test_browser", "test_nb00_", "test_nb01_",
    "test_selfcheck",
)


def _module_rank(name: str, has_slow: bool) -> tuple[int, int]:
    for position, prefix in enumerate(LONGEST_FIRST):
        if name.startswith(prefix):
            return (0, position)
    return (1, 0) if has_slow else (2, 0)


def pytest_collection_modifyitems(config, items):
    """Order modules longest first (see LONGEST_FIRST); tests keep their order within a module."""
    slow_modules = {item.path for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: _module_rank(item.path.name, item.path in slow_modules))
