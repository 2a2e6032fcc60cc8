"""``tlcourse.doctor()``: is this machine ready for the course?"""

from __future__ import annotations

import platform
import sys
from dataclasses import dataclass


class SetupError(RuntimeError):
    """The course environment is broken; the message lists what to fix."""


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


def _versions() -> Check:
    from importlib import metadata

    names = ["tensorflow", "tf-keras", "tensorflow-hub", "nbgrader", "jupyterlab", "pandas"]
    found = []
    for name in names:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            return Check("paquetes", False, f"falta {name}: ejecuta `make lab` o `pip install -r requirements.txt`")
    return Check("paquetes", True, ", ".join(found))


def _keras() -> Check:
    from tlcourse import _env

    tf = _env.import_tensorflow_quietly()
    ok = tf.keras.layers.Dense.__module__.startswith("tf_keras")
    if ok:
        import tf_keras

        detail = f"tf.keras es tf_keras {tf_keras.__version__} (Keras 2), como necesita hub.KerasLayer"
    else:
        import keras

        detail = f"tf.keras es Keras {keras.__version__} (Keras 3)"
    if not ok:
        detail += ": reinicia el kernel e importa tlcourse antes que tensorflow"
    return Check("keras", ok, detail)


def _data() -> Check:
    from tlcourse import data

    try:
        sums = data.verify()
    except Exception as error:  # report every kind of failure, don't crash the report
        return Check("datos", False, str(error))
    return Check("datos", True, f"Fashion-MNIST verificado ({len(sums)} archivos, sha256 OK)")


def _backbone() -> Check:
    try:
        from tlcourse import hub
    except ImportError:
        return Check("backbone", True, "todavía no incluido en esta versión del curso")
    try:
        return Check("backbone", True, hub.describe_backbone())
    except Exception as error:
        return Check("backbone", False, str(error))


def _device() -> Check:
    from tlcourse import _env

    tf = _env.import_tensorflow_quietly()
    gpus = tf.config.list_physical_devices("GPU")
    return Check("dispositivo", True, f"{len(gpus)} GPU" if gpus else "CPU (suficiente para el curso)")


def run(verbose: bool = True) -> dict:
    """Run every check, print a report, raise :class:`SetupError` if any failed."""
    from tlcourse import _env

    _env.prepare_environment()
    checks = [Check("python", sys.version_info[:2] == (3, 11), f"{platform.python_version()}")]
    for probe in (_versions, _keras, _data, _backbone, _device):
        try:
            checks.append(probe())
        except Exception as error:
            checks.append(Check(probe.__name__.strip("_"), False, f"{type(error).__name__}: {error}"))
    if verbose:
        print("Diagnóstico del entorno del curso")
        for check in checks:
            print(f"  [{'OK' if check.ok else 'ERROR'}] {check.name}: {check.detail}")
    failed = [c for c in checks if not c.ok]
    if failed:
        raise SetupError("El entorno tiene problemas: " + "; ".join(f"{c.name}: {c.detail}" for c in failed))
    if verbose:
        print("Todo listo.")
    return {c.name: c.detail for c in checks}


def main() -> int:
    """``python -m tlcourse.doctor``: the report; exit status 1 if something is broken."""
    try:
        run(verbose=True)
    except SetupError:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
