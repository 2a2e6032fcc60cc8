"""Where the course's files are, whatever directory a notebook runs from."""

from __future__ import annotations

import os
from pathlib import Path

#: Environment variable that overrides the data folder.
DATA_ENV = "TLCOURSE_DATA"
_MARKER = Path("fashion-mnist") / "SHA256SUMS"


class DataNotFoundError(FileNotFoundError):
    """The course data folder could not be located."""


def _candidates() -> list[Path]:
    found: list[Path] = []
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        found.append(folder / "data")
    # An editable install (pip install -e .) keeps the package inside the repository.
    package_root = Path(__file__).resolve().parents[2]
    found.append(package_root / "data")
    return found


def data_dir() -> Path:
    """Return the course ``data/`` folder.

    Order: ``$TLCOURSE_DATA``; a ``data/`` folder in the working directory or any parent
    (``solutions/``, ``notebooks/``, nbgrader's ``autograded/<student>/<id>/``, a
    student's copy inside the repository); the repository the package was installed from.
    """
    override = os.environ.get(DATA_ENV)
    if override:
        path = Path(override).expanduser().resolve()
        if not (path / _MARKER).is_file():
            raise DataNotFoundError(
                f"{DATA_ENV}={override} no contiene los datos del curso "
                f"(falta {path / _MARKER}). Corrige la variable o bórrala."
            )
        return path
    for path in _candidates():
        if (path / _MARKER).is_file():
            return path
    raise DataNotFoundError(
        "No encuentro la carpeta data/ del curso (con fashion-mnist/SHA256SUMS). "
        "Abre el notebook desde el repositorio del curso o define la variable de entorno "
        f"{DATA_ENV} con la ruta a data/."
    )


def repo_root() -> Path:
    """The repository root: the parent of :func:`data_dir`."""
    return data_dir().parent


def restore_hint(folder: str, rebuild: str | None = None) -> str:
    """How to get back a damaged ``data/<folder>``, in Spanish: from git (or the ``rebuild``
    command) in the course repository, or from the course kit (a student's copy has no git
    history and no build)."""
    try:
        root = data_dir().parent
    except DataNotFoundError:
        root = None
    if root is not None and (root / ".git").exists():
        return f"Restáuralo con `git checkout -- data/{folder}/`" + (f" o reconstrúyelo con `{rebuild}`." if rebuild else ".")
    return (f"Vuelve a copiar la carpeta data/{folder}/ del kit del curso (el .zip que te dio tu "
            "docente) o pídele una copia nueva.")

