"""The student kit (``make kit``): no answers in it, only the student side, and its own check works.

Secret lines are the lines of every solution region (``### BEGIN SOLUTION`` ...
``### END SOLUTION``, code and markdown), of every solution cell without regions (nbgrader
replaces it whole) and of every hidden-test block of ``solutions/``. The rule for the
lines that cannot be secrets, and nothing else:

* shorter than :data:`MIN_SECRET` (20) characters after collapsing whitespace: Python
  idioms any module may contain (``else:``, ``return modelo``, ``if ax is None:``,
  ``super().__init__()``); every line that states an answer is longer;
* also written outside every solution region and hidden block of the course's source
  notebooks: students read it in the release anyway.

Every text file of the archive is compared line by line (whitespace collapsed); notebooks
by the lines of their cells.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tlcourse.build import kit
from tlcourse.contract import STUDENT_MODULES
from tlcourse.grader.feedback import hidden_blocks, normalise

REPO = Path(__file__).resolve().parents[1]
SOLUTION_BEGIN, SOLUTION_END = "### BEGIN SOLUTION", "### END SOLUTION"
HIDDEN_BEGIN, HIDDEN_END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
MIN_SECRET = 20  #: shorter lines are generic (see the module docstring)


# --------------------------------------------------------------------------------------
# The secrets of solutions/
# --------------------------------------------------------------------------------------
def _split(source: str) -> tuple[list[str], list[str]]:
    """(lines inside solution regions or hidden blocks, lines outside them) of one cell."""
    inside, outside, depth = [], [], 0
    for line in source.splitlines():
        if SOLUTION_BEGIN in line or HIDDEN_BEGIN in line:
            depth += 1
        elif SOLUTION_END in line or HIDDEN_END in line:
            depth -= 1
        elif depth:
            inside.append(line)
        else:
            outside.append(line)
    return inside, outside


def _cells(notebook: Path) -> list[dict]:
    return json.loads(notebook.read_text())["cells"]


def _source(cell: dict) -> str:
    return "".join(cell["source"])


def secret_lines() -> dict[str, str]:
    """Normalised secret line -> the notebook it comes from (see the module docstring)."""
    secrets: dict[str, str] = {}
    public: set[str] = set()
    for notebook in sorted((REPO / "solutions").glob("*/*.ipynb")):
        for cell in _cells(notebook):
            source = _source(cell)
            inside, outside = _split(source)
            whole_solution = cell.get("metadata", {}).get("nbgrader", {}).get("solution") and \
                SOLUTION_BEGIN not in source
            if whole_solution:
                inside, outside = inside + outside, []
            assert set(hidden_blocks(source)) <= set(inside), "the hidden blocks are part of the secrets"
            for line in inside:
                secrets.setdefault(normalise(line), notebook.name)
            public.update(normalise(line) for line in outside)
    return {line: nb for line, nb in secrets.items() if len(line) >= MIN_SECRET and line not in public}


def test_secret_lines_cover_every_solution_and_hidden_test():
    secrets = secret_lines()
    notebooks = {nb.name for nb in (REPO / "solutions").glob("*/*.ipynb")}
    assert set(secrets.values()) == notebooks, "every notebook has solution lines"
    # Known lines: a solution of notebook 03, a markdown model answer of 01, a hidden test of 04.
    assert 'x = np.repeat(x[..., np.newaxis], 3, axis=-1) # gris -> 3 canales' in secrets
    assert any(line.startswith("**Respuesta modelo.**") for line in secrets)
    assert 'assert abs(exactitud(p, np.array([0, 1, 2, 3, 4, 4])) - 5 / 6) < 1e-9, "exactitud falla con 5 clases."' in secrets


# --------------------------------------------------------------------------------------
# The kit
# --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """(archive, unpacked kit root) built from this repository."""
    out = tmp_path_factory.mktemp("kit")
    result = subprocess.run([sys.executable, "-m", "tlcourse", "kit", "--out", str(out)],
                            cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    archive = Path(result.stdout.strip().splitlines()[-1])  # the path is the last line
    assert archive.parent == out and archive.suffix == ".zip"
    from tlcourse import __version__

    assert archive.name == f"{kit.kit_name(__version__)}.zip"
    with zipfile.ZipFile(archive) as zf:
        zf.extractall(out / "unpacked")
    return archive, out / "unpacked" / kit.kit_name(__version__)


def _text_lines(path: Path) -> list[str] | None:
    """The lines of a text file (a notebook: the lines of its cells and outputs); None if binary."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return None
    if path.suffix == ".ipynb":
        parts = []
        for cell in json.loads(text)["cells"]:
            parts.append(_source(cell))
            for output in cell.get("outputs", []):
                parts.append(json.dumps(output, ensure_ascii=False))
        text = "\n".join(parts)
    return text.splitlines()


def test_kit_contains_no_solution_or_hidden_test_line(built):
    _, root = built
    secrets = secret_lines()
    leaks, scanned = [], 0
    for path in sorted(root.rglob("*")):
        lines = _text_lines(path) if path.is_file() else None
        if lines is None:
            continue
        scanned += 1
        for number, line in enumerate(lines, start=1):
            text = normalise(line)
            if text in secrets:
                leaks.append(f"{path.relative_to(root)}:{number} (from {secrets[text]}): {text[:120]}")
    assert scanned > 20, "the scan read the kit's text files"
    assert not leaks, "lines of solutions or hidden tests in the kit:\n" + "\n".join(leaks)


def test_kit_has_only_the_student_side(built):
    archive, root = built
    with zipfile.ZipFile(archive) as zf:
        names = zf.namelist()
    assert all(name.startswith(root.name + "/") for name in names), "one top-level folder"
    files = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
    top = {name.split("/")[0] for name in files}
    assert top == {"notebooks", "data", "src", "requirements.txt", "environment.yml", "pyproject.toml",
                   "Makefile", "README.md"}
    modules = {name for name in files if name.startswith("src/")}
    assert modules == {f"src/tlcourse/{m}.py" for m in STUDENT_MODULES}
    assert not [m for m in modules if m.count("/") > 2], "no build/ or grader/ folder"
    assert "src/tlcourse/cli.py" not in modules and "src/tlcourse/__main__.py" not in modules
    assert not [n for n in files if n.endswith(".db") or "solutions/" in n or "tests/" in n
                or "benchmarks/" in n or "gradebook" in n]
    released = {p.relative_to(REPO).as_posix() for p in (REPO / "notebooks").glob("*/*.ipynb")}
    assert {n for n in files if n.endswith(".ipynb")} == released
    for notebook in released:  # the release notebooks as they are: no solutions, no hidden tests
        assert (root / notebook).read_bytes() == (REPO / notebook).read_bytes()
    readme = (root / "README.md").read_text()
    assert "make lab" in readme and "make comprobar NB=00_entorno" in readme
    assert "Qué significa una prueba visible que falla" in readme


def _kit_env(root: Path) -> dict[str, str]:
    """The .venv's Python importing the kit's package (not the repository's), nothing else."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TLCOURSE_DATA", "PYTHONPATH"))}
    env["PYTHONPATH"] = str(root / "src")
    return env


def test_kit_package_imports_alone_and_answers_nothing(built, tmp_path):
    _, root = built
    code = f"""
import importlib, sys
import tlcourse
assert tlcourse.__file__.startswith({str(root / 'src')!r}), tlcourse.__file__
for name in {[m for m in STUDENT_MODULES if m != '__init__']!r}:
    importlib.import_module('tlcourse.' + name)
from tlcourse import curves, hub, model_checks
assert not hasattr(hub, 'cache_folder') and not hasattr(curves, 'unfreeze_top_block')
assert not hasattr(model_checks, 'accuracy'), 'model_checks.accuracy would answer the exercises exactitud'
for missing in ('build', 'grader', 'build.backbone', 'grader.hidden_test_helpers', 'cli'):
    try:
        importlib.import_module('tlcourse.' + missing)
    except ModuleNotFoundError:
        continue
    raise AssertionError('tlcourse.' + missing + ' is importable from the kit')
assert not hasattr(curves, '_sweep') and curves.learning_curves()['accuracy'].between(0, 1).all()
print('ok')
"""
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=_kit_env(root),
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0 and result.stdout.strip().endswith("ok"), result.stdout + result.stderr


def _student_check(root: Path, notebook: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tlcourse.student_check", notebook], cwd=root,
                          env=_kit_env(root), capture_output=True, text=True, timeout=900)


def _test_cells(notebook: Path) -> list[str]:
    """grade_ids of the test cells with visible code (the others hold only hidden tests)."""
    return [c["metadata"]["nbgrader"]["grade_id"] for c in _cells(notebook)
            if c["cell_type"] == "code" and c.get("metadata", {}).get("nbgrader", {}).get("grade")
            and not c["metadata"]["nbgrader"].get("solution")
            and any(line.strip() and not line.strip().startswith("#") for line in _source(c).splitlines())]


@pytest.mark.slow
def test_student_check_on_a_fresh_copy_of_the_kit(built, tmp_path):
    """doctor passes; the blank notebook's visible tests fail as a student's would, in Spanish."""
    _, unpacked = built
    root = tmp_path / unpacked.name
    shutil.copytree(unpacked, root)
    result = _student_check(root, "00_entorno")
    out = result.stdout
    assert result.returncode == 1, out + result.stderr
    assert f"Paquete del curso: {root / 'src' / 'tlcourse'}" in out  # the kit's package, not the repo's
    assert "Diagnóstico del entorno del curso" in out and "Todo listo." in out and "[ERROR]" not in out
    tests = _test_cells(root / "notebooks" / "00_entorno" / "00_entorno.ipynb")
    assert tests and f"Pruebas visibles de 00_entorno.ipynb: 0 de {len(tests)} pasan." in out
    assert "solo tienen pruebas ocultas" in out  # 00 has test cells with hidden tests only
    for grade_id in tests:
        assert re.search(rf"\[FALLA\] {grade_id}: NotImplementedError", out), (grade_id, out)
    assert out.count("Significa que todavía no resolviste el ejercicio") == len(tests)
    assert "Una prueba visible que falla indica que ese ejercicio todavía no está bien" in out


@pytest.mark.slow
def test_student_check_passes_a_solved_notebook(built, tmp_path):
    """The same check on the instructor's solved notebook: every visible test passes."""
    _, unpacked = built
    root = tmp_path / unpacked.name
    shutil.copytree(unpacked, root)
    solved = root / "notebooks" / "00_entorno" / "00_entorno.ipynb"
    shutil.copyfile(REPO / "solutions" / "00_entorno" / "00_entorno.ipynb", solved)
    result = _student_check(root, str(solved))
    tests = _test_cells(solved)  # the source: hidden tests too, run here by the kit's package
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Pruebas visibles de 00_entorno.ipynb: {len(tests)} de {len(tests)} pasan." in result.stdout
    assert "[FALLA]" not in result.stdout
