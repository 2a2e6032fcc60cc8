"""The package's layout is its architecture: who may import whom (ARCHITECTURE.md).

Every ``import`` in ``src/tlcourse`` (module level or inside a function: a lazy import is
still a dependency) is read with :mod:`ast`, resolved to a module of the package, and
checked against the rules:

* the course side (``contract.STUDENT_MODULES``: what students import and the kit ships)
  never imports ``build/`` or ``grader/``, nor the command line;
* the two grader modules a submission's kernel imports import nothing of the package;
* ``grader/`` never imports ``build/``;
* no import cycle between modules (module-level imports);
* no module of ``grader/`` imports TensorFlow when imported (the judges do when they judge).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from tlcourse.contract import STUDENT_MODULES
from tlcourse.grader.sandbox import KERNEL_GRADER_MODULES

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "tlcourse"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(["tlcourse", *parts])


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _resolve(name: str) -> str | None:
    """The package module ``name`` refers to (a module, or the package holding a name)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def imports(module: str, lazy: bool = True) -> set[str]:
    """Package modules ``module`` imports; ``lazy=False``: module-level statements only."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    nodes = ast.walk(tree) if lazy else tree.body
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        found |= {m for m in map(_resolve, names) if m and m.startswith("tlcourse")}
    found.discard(module)
    found.discard("tlcourse")  # the package itself: its __init__ is course side (checked below)
    return found


def test_the_rules_see_the_whole_package():
    assert {"tlcourse.hub", "tlcourse.build.backbone", "tlcourse.grader.judges.ajuste"} <= set(MODULES)
    assert "tlcourse.data" in imports("tlcourse.hub", lazy=True) | imports("tlcourse.curves")
    assert "tlcourse.grader.sandbox" in imports("tlcourse.cli")  # a lazy import is seen


@pytest.mark.parametrize("module", [f"tlcourse.{m}".removesuffix(".__init__") for m in STUDENT_MODULES])
def test_the_course_side_never_imports_build_grader_or_the_command_line(module):
    wrong = {m for m in imports(module) if m.startswith(("tlcourse.build", "tlcourse.grader"))
             or m in ("tlcourse.cli", "tlcourse.__main__")}
    assert not wrong, f"{module} imports {sorted(wrong)}"


@pytest.mark.parametrize("module", [f"tlcourse.{m.replace('/', '.')}".removesuffix(".__init__")
                                    for m in KERNEL_GRADER_MODULES])
def test_what_a_kernel_imports_from_the_grader_stands_alone(module):
    assert not imports(module), f"{module} imports {sorted(imports(module))}"


def test_the_grader_never_imports_the_build_side():
    wrong = {(m, i) for m in MODULES if m.startswith("tlcourse.grader")
             for i in imports(m) if i.startswith("tlcourse.build")}
    assert not wrong, sorted(wrong)


def test_no_import_cycles():
    graph = {m: imports(m, lazy=False) for m in MODULES}
    state: dict[str, int] = {}

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for other in sorted(graph[module]):
            if state.get(other) == 1:
                raise AssertionError("import cycle: " + " -> ".join(path[path.index(other):] + [module, other]))
            if other not in state:
                visit(other, path + [module])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [])


def test_importing_the_grader_does_not_import_tensorflow():
    grader = sorted(m for m in MODULES if m.startswith("tlcourse.grader"))
    code = ("import sys, importlib\n"
            f"for name in {grader!r}:\n"
            "    importlib.import_module(name)\n"
            "heavy = [m for m in ('tensorflow', 'tf_keras', 'keras', 'tensorflow_hub') if m in sys.modules]\n"
            "assert not heavy, heavy\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
