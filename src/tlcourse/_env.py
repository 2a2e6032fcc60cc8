"""Process set-up that must happen before TensorFlow is imported.

Importing :mod:`tlcourse` runs :func:`prepare_environment`, so the first line of every
notebook (``import tlcourse``) routes ``tf.keras`` to ``tf_keras`` and silences the
libraries that would otherwise write to stderr (a test cell that writes to stderr scores
zero in nbgrader).
"""

from __future__ import annotations

import ipaddress
import logging
import os
import socket
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

#: Environment variables set before TensorFlow loads.
TF_ENVIRONMENT = {
    "TF_USE_LEGACY_KERAS": "1",  # tf.keras -> tf_keras (Keras 2), needed by hub.KerasLayer
    "TF_CPP_MIN_LOG_LEVEL": "3",  # no C++ INFO/WARNING/ERROR lines on stderr
    "TF_ENABLE_ONEDNN_OPTS": "0",  # no oneDNN banner; results reproducible op to op
    "KERAS_BACKEND": "tensorflow",
    "GRPC_VERBOSITY": "ERROR",
    "ABSL_MIN_LOG_LEVEL": "3",
}

_NOISY_LOGGERS = ("tensorflow", "absl", "tf_keras", "keras", "tensorflow_hub", "h5py")


class ImportOrderError(ImportError):
    """TensorFlow was imported with Keras 3 before :mod:`tlcourse`."""


IMPORT_ORDER_MESSAGE = (
    "TensorFlow ya estaba importado con Keras 3 antes que tlcourse, así que tf.keras "
    "no es tf_keras y hub.KerasLayer fallará.\n"
    "Cómo arreglarlo: reinicia el kernel (menú Kernel > Restart Kernel) y ejecuta "
    "primero `import tlcourse` (o `tlcourse.setup()`), y solo después "
    "`import tensorflow as tf`."
)


def check_import_order() -> None:
    """Raise :class:`ImportOrderError` if TensorFlow was loaded with Keras 3 routing.

    TensorFlow decides at import time whether ``tf.keras`` is Keras 3 or ``tf_keras``
    (it reads ``TF_USE_LEGACY_KERAS`` once, in ``tensorflow/__init__.py``); setting the
    variable afterwards changes nothing, so the only fix is a fresh process.
    """
    tf = sys.modules.get("tensorflow")
    if tf is None:
        return
    if not getattr(tf, "_tf_uses_legacy_keras", True):
        raise ImportOrderError(IMPORT_ORDER_MESSAGE)


def silence_python_loggers() -> None:
    """Keep Python warnings and library loggers off stderr."""
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", category=PendingDeprecationWarning)
    for module in ("tensorflow", "tf_keras", "keras", "tensorflow_hub", "absl", "h5py", "google"):
        warnings.filterwarnings("ignore", module=module)
    warnings.filterwarnings("ignore", message=r".*tf\.keras.*")
    for name in _NOISY_LOGGERS:
        logging.getLogger(name).setLevel(logging.ERROR)
    try:
        import absl.logging

        absl.logging.set_verbosity(absl.logging.ERROR)
        absl.logging.set_stderrthreshold("error")
    except ImportError:  # absl arrives with TensorFlow
        pass


def _is_local(address: object) -> bool:
    if not isinstance(address, tuple) or not address:
        return True  # AF_UNIX paths and other non-IP families
    host = str(address[0])
    if host in {"localhost", ""}:
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        try:
            resolved = socket.gethostbyname(host)
        except OSError:
            return False
        return ipaddress.ip_address(resolved).is_loopback


class NetworkBlockedError(OSError):
    """Raised when code tries to reach a non-loopback address under the network guard."""


def block_network() -> None:
    """Refuse every socket connection except loopback and Unix sockets (used by tests)."""
    if getattr(socket.socket, "_tlcourse_guarded", False):
        return
    original_connect = socket.socket.connect
    original_connect_ex = socket.socket.connect_ex

    def connect(self, address):  # type: ignore[no-untyped-def]
        if not _is_local(address):
            raise NetworkBlockedError(f"network access blocked by TLCOURSE_BLOCK_NETWORK: {address!r}")
        return original_connect(self, address)

    def connect_ex(self, address):  # type: ignore[no-untyped-def]
        if not _is_local(address):
            raise NetworkBlockedError(f"network access blocked by TLCOURSE_BLOCK_NETWORK: {address!r}")
        return original_connect_ex(self, address)

    socket.socket.connect = connect  # type: ignore[method-assign]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign]
    socket.socket._tlcourse_guarded = True  # type: ignore[attr-defined]


def prepare_environment() -> None:
    """Set TensorFlow's environment, check import order, silence loggers.

    Cheap and idempotent: it does not import TensorFlow.
    """
    check_import_order()
    for key, value in TF_ENVIRONMENT.items():
        if key == "TF_USE_LEGACY_KERAS":
            os.environ[key] = value
        else:
            os.environ.setdefault(key, value)
    silence_python_loggers()
    if os.environ.get("TLCOURSE_BLOCK_NETWORK") == "1":
        block_network()


@contextmanager
def stderr_silenced() -> Iterator[None]:
    """Send file descriptor 2 to /dev/null for a moment.

    TensorFlow's C++ runtime writes a few lines (absl's "All log messages before
    absl::InitializeLog()", "Could not find cuda drivers") straight to fd 2 while it
    loads, ignoring ``TF_CPP_MIN_LOG_LEVEL``. Python exceptions are unaffected.
    """
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real fd 2 (some embedded interpreters)
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def import_tensorflow_quietly():  # type: ignore[no-untyped-def]
    """Import TensorFlow (and tf_keras through it) with nothing reaching stderr."""
    prepare_environment()
    with stderr_silenced():
        import tensorflow as tf

        tf.keras.layers  # resolve the lazy tf.keras -> tf_keras routing now
    silence_python_loggers()  # TF re-configures absl while importing
    return tf
