"""``python -m tlcourse kit``: the archive an instructor hands to a class.

A ``.zip`` with one folder, ``tl-tensorflow-kit-<version>/``:

* ``notebooks/``: the release notebooks (no solutions, no hidden tests: nbgrader removed them);
* ``data/``: the course data, the course backbone and the shipped results;
* ``src/tlcourse/``: the student side of the package, exactly the modules of
  :data:`STUDENT_MODULES`;
* ``requirements.txt``, ``environment.yml`` and a minimal ``pyproject.toml`` (so
  ``pip install -e .`` works), a tiny ``Makefile`` and a Spanish ``README.md``.

Nothing else: not ``solutions/``, ``tests/``, ``benchmarks/``, no grading module, no
gradebook, no model-building code (``backbone.py`` holds the answer to notebook 03's first
exercise). ``tests/test_kit.py`` unpacks the archive and checks all of this.
"""

from __future__ import annotations

import tomllib
import zipfile
from pathlib import Path

from tlcourse.contract import STUDENT_MODULES

#: Top-level files copied from the repository as they are.
COPIED_FILES = ("requirements.txt", "environment.yml")
#: Folders copied whole (minus caches and checkpoints).
COPIED_FOLDERS = ("notebooks", "data")
_SKIPPED_PARTS = {"__pycache__", ".ipynb_checkpoints"}
_SKIPPED_SUFFIXES = (".pyc", ".db")  # e.g. a gradebook.db left in a folder


class KitError(RuntimeError):
    """The kit cannot be built (message names what is missing)."""


def kit_name(version: str) -> str:
    return f"tl-tensorflow-kit-{version}"


def _pyproject(repo: Path, version: str) -> str:
    """A minimal ``pyproject.toml``: the package from ``src/``, the repository's dependencies."""
    project = tomllib.loads((repo / "pyproject.toml").read_text())["project"]
    deps = "".join(f'    "{dep}",\n' for dep in project["dependencies"])
    return f"""# Paquete del curso para estudiantes (instalado por `make lab` o `pip install -e .`).
# Las versiones exactas están en requirements.txt.
[build-system]
requires = ["setuptools>=68", "wheel"]
build-backend = "setuptools.build_meta"

[project]
name = "{project["name"]}"
version = "{version}"
description = "{project["description"]}"
requires-python = "{project["requires-python"]}"
license = "{project["license"]}"
dependencies = [
{deps}]

[tool.setuptools.packages.find]
where = ["src"]
"""


MAKEFILE = """\
# Comandos del curso. Ejecútalos en la terminal de JupyterLab (o en la del sistema).
#
#   make lab                    instala todo la primera vez y abre JupyterLab
#   make comprobar NB=00_entorno   revisa tu entorno y ejecuta las pruebas visibles

PYTHON ?= python3
VENV   := .venv
BIN    := $(CURDIR)/$(VENV)/bin
STAMP  := $(VENV)/.instalado
# Jupyter no corre como root si no se le indica (contenedores).
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: instalar lab comprobar

$(STAMP): requirements.txt pyproject.toml
\t@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
\t$(BIN)/python -m pip install --quiet --upgrade pip
\t$(BIN)/python -m pip install --quiet -r requirements.txt
\t$(BIN)/python -m pip install --quiet --no-deps -e .
\t@touch $(STAMP)

instalar: $(STAMP)

lab: instalar
\t$(BIN)/jupyter lab --ServerApp.root_dir="$(CURDIR)" $(ALLOW_ROOT)

comprobar: instalar
\t@test -n "$(NB)" || (echo "uso: make comprobar NB=00_entorno"; exit 2)
\t$(BIN)/python -m tlcourse.student_check "$(NB)"
"""

README = """\
# Transfer Learning con TensorFlow: material del estudiante (versión {version})

Siete cuadernos de Jupyter (00 a 06) con ejercicios que se califican automáticamente, los
datos del curso y el backbone preentrenado. Todo funciona sin conexión a internet, en la CPU
de una computadora portátil. Requisitos: Linux o macOS con Python 3.11 y `make`.

## Los dos comandos

```bash
make lab                       # la primera vez instala todo (unos minutos) y abre JupyterLab
make comprobar NB=00_entorno   # revisa tu entorno y ejecuta las pruebas visibles del cuaderno
```

Escribe el segundo en la terminal de JupyterLab (*File → New → Terminal*) después de guardar
el cuaderno. Con el número basta (`make comprobar NB=03`).

¿Usas conda? `conda env create -f environment.yml && conda activate tl-tensorflow`, luego
`jupyter lab` y `python -m tlcourse.student_check 00_entorno` (los mismos dos pasos).

## Cómo trabajar

1. Abre `notebooks/00_entorno/00_entorno.ipynb` y sigue los cuadernos en orden (00 → 06).
2. La primera celda de cada cuaderno es `import tlcourse`: ejecútala siempre **antes** de
   importar TensorFlow.
3. Escribe tus soluciones donde dice `# TU CÓDIGO AQUÍ` (borra el `raise NotImplementedError()`).
4. Antes de entregar: *Kernel → Restart Kernel and Run All Cells*, guarda, y ejecuta
   `make comprobar NB=...` (o el botón **Validate** de JupyterLab).

## Qué significa una prueba visible que falla

Cada ejercicio tiene debajo una celda de pruebas visibles. `make comprobar` ejecuta el
cuaderno completo, tal como lo guardaste, y dice qué pruebas pasan. Si una falla:

- con `NotImplementedError`: todavía no resolviste ese ejercicio;
- con `AssertionError`: tu código corre, pero no hace lo que pide el enunciado (el mensaje
  dice qué revisar);
- con otro error: tu código o una celda anterior falló al ejecutarse.

Que todas las pruebas visibles pasen no garantiza la nota completa: al calificar, tu docente
agrega pruebas ocultas que revisan más casos.

Si `make comprobar` informa un `[ERROR]` del entorno, arréglalo primero (el mensaje dice cómo).
"""


def build_kit(repo: Path, out_dir: Path) -> Path:
    """Write ``<out_dir>/tl-tensorflow-kit-<version>.zip`` from the repository ``repo``; return its path."""
    from tlcourse import __version__

    repo, out_dir = Path(repo).resolve(), Path(out_dir).resolve()
    package = repo / "src" / "tlcourse"
    missing = [f"src/tlcourse/{m}.py" for m in STUDENT_MODULES if not (package / f"{m}.py").is_file()]
    missing += [name for name in (*COPIED_FILES, *COPIED_FOLDERS, "pyproject.toml") if not (repo / name).exists()]
    if missing:
        raise KitError(f"cannot build the kit from {repo}: missing {', '.join(missing)}")
    root = kit_name(__version__)
    out_dir.mkdir(parents=True, exist_ok=True)
    archive = out_dir / f"{root}.zip"
    tmp = archive.with_suffix(".zip.tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as kit:
        def add(path: Path, name: str) -> None:
            kit.write(path, f"{root}/{name}")

        for folder in COPIED_FOLDERS:
            for path in sorted((repo / folder).rglob("*")):
                skipped = _SKIPPED_PARTS & set(path.parts) or path.name.endswith(_SKIPPED_SUFFIXES)
                if path.is_file() and not skipped:
                    add(path, path.relative_to(repo).as_posix())
        for module in STUDENT_MODULES:
            add(package / f"{module}.py", f"src/tlcourse/{module}.py")
        for name in COPIED_FILES:
            add(repo / name, name)
        kit.writestr(f"{root}/pyproject.toml", _pyproject(repo, __version__))
        kit.writestr(f"{root}/Makefile", MAKEFILE)
        kit.writestr(f"{root}/README.md", README.format(version=__version__))
    tmp.replace(archive)
    return archive
