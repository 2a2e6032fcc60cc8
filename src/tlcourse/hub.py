"""The course hub: which backbone to use, the committed model, and a classroom TF Hub server.

* :func:`backbone_spec` turns one setting (argument or ``$TLCOURSE_BACKBONE``) into a
  :class:`BackboneSpec`; graded notebook code only reads ``spec.handle`` and
  ``spec.image_size``, so it does not change with the setting:

  - ``"local"`` (default): the committed SavedModel in ``data/hub/``;
  - ``http(s)://HOST:PORT`` or a full ``http(s)://.../models/<name>/<version>`` URL: a
    classroom server started with ``python -m tlcourse serve``;
  - a name from :data:`ONLINE_BACKBONES` (or its full handle): a real ImageNet feature
    vector from TF Hub / Kaggle Models, for online users;
  - a path to a SavedModel folder.

* :func:`keras_layer` and :func:`load` wrap ``hub.KerasLayer`` and ``hub.load`` with clear
  Spanish errors (unknown handle, corrupt archive, broken cache folder): never a silent load.
* :func:`describe_backbone` / :func:`verify_backbone` check the committed files against
  ``data/hub/MANIFEST.sha256`` (``tlcourse.doctor`` calls it).
* ``python -m tlcourse serve`` (and :func:`start_server`) serve the course models as
  TF Hub *compressed* handles: ``GET /models/<name>/<version>?tf-hub-format=compressed``
  returns a ``.tar.gz`` of the SavedModel folder, which ``hub.KerasLayer(url)`` downloads
  once and caches in ``$TFHUB_CACHE_DIR``.

The server needs neither TensorFlow nor tensorflow_hub; only the loaders import them.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import shutil
import socket
import tarfile
import threading
import urllib.error
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tlcourse import contract as _c
from tlcourse.paths import data_dir

BACKBONE_ENV = "TLCOURSE_BACKBONE"
DEFAULT_PORT = 8765
COURSE_INPUT = "float32 [lote, 32, 32, 3] en [0, 1] (gris replicado en 3 canales)"
IMAGENET_INPUT = "float32 [lote, alto, ancho, 3] en [0, 1] (convención de imágenes de TF Hub)"
#: File the server adds to every archive: sha256 of each SavedModel file, checked after download.
ARCHIVE_MANIFEST = "tlcourse_manifest.sha256"
COMPRESSED_QUERY = ("tf-hub-format", "compressed")


class HubError(RuntimeError):
    """A backbone could not be found, downloaded or loaded (message in Spanish)."""


class BackboneFilesError(HubError):
    """A committed backbone file in ``data/hub`` is missing or corrupt."""


# --------------------------------------------------------------------------------------
# Choosing the backbone
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BackboneSpec:
    """Everything a notebook needs to know to use a backbone.

    ``handle`` goes to ``hub.KerasLayer``; images must be resized to ``image_size`` and
    scaled as ``input_range`` says. ``feature_dim`` is ``None`` when unknown.
    """

    name: str
    handle: str
    image_size: int
    input_range: str
    feature_dim: int | None
    source: str  #: "local", "server", "online" or "path"


#: Real ImageNet feature-vector models for online users (TF Hub handles, which now
#: redirect to Kaggle Models): name -> (handle, native input size, feature size).
ONLINE_BACKBONES: dict[str, tuple[str, int, int]] = {
    "mobilenet_v2_035_96": (
        "https://tfhub.dev/google/imagenet/mobilenet_v2_035_96/feature_vector/4", 96, 1280),
    "mobilenet_v2_100_224": (
        "https://tfhub.dev/google/imagenet/mobilenet_v2_100_224/feature_vector/4", 224, 1280),
    "mobilenet_v3_small_100_224": (
        "https://tfhub.dev/google/imagenet/mobilenet_v3_small_100_224/feature_vector/5", 224, 1024),
    "efficientnet_v2_b0": (
        "https://tfhub.dev/google/imagenet/efficientnet_v2_imagenet1k_b0/feature_vector/2", 224, 1280),
}


def hub_dir() -> Path:
    """The folder with the committed course models (``data/hub``)."""
    return data_dir() / _c.HUB_FOLDER


def local_handle() -> str:
    """Path of the committed SavedModel: a valid ``hub.KerasLayer`` handle."""
    return str(hub_dir() / _c.SAVEDMODEL_DIR)


def keras_backbone_path() -> Path:
    """Path of the committed Keras (HDF5) file of the backbone, for layer-level fine-tuning."""
    return hub_dir() / _c.KERAS_FILE


def course_url(base: str, name: str = _c.MODEL_NAME, version: str = _c.MODEL_VERSION) -> str:
    """Handle of a course model on a classroom server: ``<base>/models/<name>/<version>``."""
    return f"{base.rstrip('/')}/models/{name}/{version}"


def _local_spec(handle: str, source: str) -> BackboneSpec:
    return BackboneSpec(name=_c.MODEL_NAME, handle=handle, image_size=_c.IMAGE_SIZE,
                        input_range=COURSE_INPUT, feature_dim=_c.FEATURE_DIM, source=source)


def backbone_spec(setting: str | None = None) -> BackboneSpec:
    """The backbone chosen by ``setting`` (default: ``$TLCOURSE_BACKBONE``, else ``"local"``).

    See the module docstring for the accepted values. Raises :class:`HubError` (Spanish)
    for a value that is none of them.
    """
    value = (setting if setting is not None else os.environ.get(BACKBONE_ENV, "")).strip() or "local"
    if value == "local":
        return _local_spec(local_handle(), "local")
    if value in ONLINE_BACKBONES:
        handle, size, dim = ONLINE_BACKBONES[value]
        return BackboneSpec(value, handle, size, IMAGENET_INPUT, dim, "online")
    for name, (handle, size, dim) in ONLINE_BACKBONES.items():
        if value.rstrip("/") == handle:
            return BackboneSpec(name, handle, size, IMAGENET_INPUT, dim, "online")
    if value.startswith(("http://", "https://")):
        path = urllib.parse.urlparse(value).path.strip("/")
        if not path:  # the base URL of a classroom server
            return _local_spec(course_url(value), "server")
        if path.startswith("models/") and len(path.split("/")) == 3:
            return _local_spec(value.rstrip("/"), "server")
        raise HubError(
            f"No sé qué tamaño de imagen espera {value!r}. Usa la URL de un servidor del aula "
            f"(http://HOST:PUERTO o http://HOST:PUERTO/models/<nombre>/<versión>) o uno de los "
            f"modelos en línea conocidos: {', '.join(sorted(ONLINE_BACKBONES))}.")
    if Path(value).expanduser().is_dir():
        return _local_spec(str(Path(value).expanduser().resolve()), "path")
    raise HubError(
        f"No reconozco el backbone {value!r} (variable {BACKBONE_ENV}). Valores válidos: "
        f"'local' (el modelo del curso), la URL de un servidor del aula "
        f"(p. ej. http://127.0.0.1:{DEFAULT_PORT}), una carpeta con un SavedModel o uno de: "
        + ", ".join(sorted(ONLINE_BACKBONES)) + "."
    )


# --------------------------------------------------------------------------------------
# The committed files
# --------------------------------------------------------------------------------------
def _restore() -> str:
    """How to get the backbone's files back (git in the repository, the kit elsewhere)."""
    from tlcourse.paths import restore_hint

    return restore_hint("hub", rebuild="make models")


def verify_backbone(folder: Path | None = None) -> dict[str, str]:
    """Check every file listed in ``MANIFEST.sha256``; return relative path -> sha256.

    Raises :class:`BackboneFilesError` naming the missing or corrupt file.
    """
    folder = Path(folder) if folder else hub_dir()
    manifest = folder / _c.MANIFEST_FILE
    if not manifest.is_file():
        raise BackboneFilesError(f"Falta el manifiesto del backbone {manifest}. {_restore()}")
    entries = _c.read_manifest(folder)
    required = [_c.KERAS_FILE, _c.HEAD_FILE, f"{_c.SAVEDMODEL_DIR}/saved_model.pb"]
    for name in required:
        if name not in entries:
            raise BackboneFilesError(f"El manifiesto {manifest} no lista {name}. {_restore()}")
    for name, expected in entries.items():
        path = folder / name
        if not path.is_file():
            raise BackboneFilesError(f"Falta el archivo del backbone {path}. {_restore()}")
        actual = _c.sha256_file(path)
        if actual != expected:
            raise BackboneFilesError(
                f"El archivo del backbone {path} está dañado: su sha256 es {actual} y el "
                f"manifiesto dice {expected}. {_restore()}")
    return entries


def backbone_metrics(folder: Path | None = None) -> dict[str, Any]:
    """The build's ``metrics.json`` (accuracies, transfer table, timings)."""
    folder = Path(folder) if folder else hub_dir()
    return json.loads((folder / _c.METRICS_FILE).read_text())


def describe_backbone(folder: Path | None = None) -> str:
    """One line describing the verified committed backbone (raises if files are bad)."""
    folder = Path(folder) if folder else hub_dir()
    entries = verify_backbone(folder)
    try:
        acc = backbone_metrics(folder)["source_test_accuracy"]
        accuracy = f"; exactitud en la tarea fuente {acc['campo']:.3f} (campo)"
    except (OSError, KeyError, ValueError):
        accuracy = ""
    return (f"{_c.MODEL_NAME} v{_c.MODEL_VERSION}: SavedModel + {_c.KERAS_FILE}, "
            f"{_c.FEATURE_DIM} características, entrada {COURSE_INPUT}{accuracy}; "
            f"sha256 verificado ({len(entries)} archivos)")


def load_keras_backbone(path: Path | None = None, verify: bool = True):  # type: ignore[no-untyped-def]
    """The backbone as a ``tf_keras`` model (layers ``block1_*`` ... ``block4_*``, ``features``)."""
    from tlcourse._env import import_tensorflow_quietly

    tf = import_tensorflow_quietly()
    if path is None:
        if verify:
            verify_backbone()
        path = keras_backbone_path()
    if not Path(path).is_file():
        raise BackboneFilesError(f"Falta el archivo del backbone {path}. {_restore()}")
    return tf.keras.models.load_model(path, compile=False)


def load_source_head(folder: Path | None = None):  # type: ignore[no-untyped-def]
    """The pretraining head (features -> probabilities of the 5 source classes), a ``tf_keras`` model.

    ``Sequential([Input((FEATURE_DIM,)), projector, BN, ReLU, softmax])``; put it after the
    backbone to get the pretraining classifier back.
    """
    tf, _ = _tf_and_hub()
    path = (Path(folder) if folder else hub_dir()) / _c.HEAD_FILE
    if not path.is_file():
        raise BackboneFilesError(f"Falta el archivo del backbone {path}. {_restore()}")
    return tf.keras.models.load_model(path, compile=False)


# --------------------------------------------------------------------------------------
# Loading handles with clear errors
# --------------------------------------------------------------------------------------
def _is_url(handle: str) -> bool:
    return str(handle).startswith(("http://", "https://"))


def _tf_and_hub():  # type: ignore[no-untyped-def]
    """TensorFlow (imported quietly, tf.keras = tf_keras) and tensorflow_hub."""
    from tlcourse._env import import_tensorflow_quietly

    tf = import_tensorflow_quietly()
    import tensorflow_hub

    return tf, tensorflow_hub


def _hub_cache_folder(handle: str) -> Path:
    """The folder where tensorflow_hub itself caches the compressed URL ``handle``.

    Asked of tensorflow_hub's own resolver (the function its downloader calls, pinned
    tensorflow-hub 0.16.1), so this module checks exactly the folder hub writes. Private
    on purpose: notebook 05 asks students to work this location out themselves.
    """
    _tf_and_hub()
    from tensorflow_hub import compressed_module_resolver

    return Path(compressed_module_resolver._module_dir(handle))


def _cache_problem(folder: Path) -> str | None:
    """Why a cached module folder cannot be trusted (``None`` if it looks complete)."""
    if not (folder / "saved_model.pb").is_file():
        return "no contiene saved_model.pb (descarga incompleta o archivo que no es un modelo)"
    manifest = folder / ARCHIVE_MANIFEST
    if manifest.is_file():
        for line in manifest.read_text().splitlines():
            if not line.strip():
                continue
            digest, name = line.split(maxsplit=1)
            path = folder / name.strip()
            if not path.is_file():
                return f"falta {name.strip()}"
            if _c.sha256_file(path) != digest:
                return f"{name.strip()} no coincide con su sha256"
    return None


def _remove_stale_lock(folder: Path) -> None:
    """Delete a download lock left by a dead process on this machine (hub would wait 10 min)."""
    lock = Path(f"{folder}.lock")
    try:
        host, pid, _ = lock.read_text().rsplit(".", 2)
    except (OSError, ValueError):
        return
    if host != socket.gethostname():
        return
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        lock.unlink(missing_ok=True)
        for tmp in folder.parent.glob(f"{folder.name}.*.tmp"):
            shutil.rmtree(tmp, ignore_errors=True)
    except (OSError, ValueError):
        pass


def _http_error_detail(error: urllib.error.HTTPError) -> str:
    try:
        body = error.read().decode("utf8", "replace").strip()
    except Exception:  # the body is only a hint
        body = ""
    return f"HTTP {error.code}" + (f": {body[:300]}" if body else "")


def resolve(handle: str) -> str:
    """Resolve ``handle`` to a local SavedModel folder, downloading URLs once into the cache.

    A cached folder that is incomplete or fails its checksums is deleted and downloaded
    again (once); every failure becomes a :class:`HubError` in Spanish.
    """
    handle = str(handle)
    if not _is_url(handle):
        folder = Path(handle).expanduser()
        if folder.resolve() == Path(local_handle()).resolve():
            verify_backbone()  # the committed model: check it against its manifest
        if not (folder / "saved_model.pb").is_file():
            raise HubError(
                f"No encuentro un SavedModel en {folder} (falta saved_model.pb). Revisa la ruta "
                f"o usa backbone_spec().handle.")
        return str(folder)
    _, hub = _tf_and_hub()
    folder = _hub_cache_folder(handle)
    for attempt in (1, 2):
        _remove_stale_lock(folder)
        try:
            path = Path(hub.resolve(handle))
        except urllib.error.HTTPError as error:
            hint = "el servidor no tiene ese modelo" if error.code == 404 else "el servidor respondió con error"
            raise HubError(f"No pude descargar {handle}: {hint} ({_http_error_detail(error)}). "
                           f"Revisa la URL (formato http://HOST:PUERTO/models/<nombre>/<versión>).") from error
        except urllib.error.URLError as error:
            raise HubError(f"No pude conectar con {handle}: {error.reason}. ¿Está el servidor del "
                           f"aula en marcha (python -m tlcourse serve) y es correcta la URL?") from error
        except (OSError, ValueError, EOFError, tarfile.TarError, gzip.BadGzipFile) as error:
            raise HubError(f"El archivo descargado de {handle} está dañado o no es un modelo de TF Hub "
                           f"({type(error).__name__}: {error}). Pide al docente que revise el servidor; "
                           f"no se guardó nada en la caché.") from error
        if not path.is_dir():  # e.g. a gs:// path with TFHUB_MODEL_LOAD_FORMAT=UNCOMPRESSED
            return str(path)
        problem = _cache_problem(path)
        if problem is None:
            return str(path)
        shutil.rmtree(path, ignore_errors=True)
        Path(f"{path}.descriptor.txt").unlink(missing_ok=True)
        if attempt == 2:
            raise HubError(f"El modelo descargado de {handle} está dañado: {problem}. Se borró la "
                           f"carpeta {path} de la caché; pide al docente que revise el servidor.")
        print(f"La copia en caché de {handle} ({path}) estaba dañada: {problem}. "
              f"La borré y la descargo de nuevo.")
    raise AssertionError("unreachable")


@contextmanager
def _load_errors(tf: Any, handle: str, path: str) -> Iterator[None]:
    """Turn the errors of loading ``path`` (resolved from ``handle``) into a Spanish :class:`HubError`."""
    try:
        yield
    except (OSError, ValueError, tf.errors.OpError) as error:
        raise HubError(f"No pude cargar el modelo {handle} desde {path}: {type(error).__name__}: "
                       f"{str(error)[:300]}") from error


def load(handle: str, **kwargs: Any):  # type: ignore[no-untyped-def]
    """``hub.load(handle)`` with the checks of :func:`resolve` and Spanish errors."""
    tf, hub = _tf_and_hub()
    path = resolve(handle)
    with _load_errors(tf, handle, path):
        return hub.load(path, **kwargs)


def keras_layer(handle: str, **kwargs: Any):  # type: ignore[no-untyped-def]
    """``hub.KerasLayer(handle, **kwargs)`` with the checks of :func:`resolve` and Spanish errors.

    URL handles are downloaded (once) and checked first; the layer is then built from the
    verified local folder, so ``get_config()["handle"]`` is that folder.
    """
    tf, hub = _tf_and_hub()
    path = resolve(handle)
    with _load_errors(tf, handle, path):
        return hub.KerasLayer(path, **kwargs)


# --------------------------------------------------------------------------------------
# The classroom server
# --------------------------------------------------------------------------------------
def course_models(folder: Path | None = None) -> dict[str, Path]:
    """Served models: ``"<name>/<version>"`` -> SavedModel folder (every ``data/hub/*/*/saved_model.pb``)."""
    folder = Path(folder) if folder else hub_dir()
    return {p.parent.relative_to(folder).as_posix(): p.parent
            for p in sorted(folder.glob("*/*/saved_model.pb"))}


def make_archive(saved_model_dir: Path) -> bytes:
    """A deterministic ``.tar.gz`` of a SavedModel folder, files at the archive root.

    Adds :data:`ARCHIVE_MANIFEST` (sha256 of every file) so clients can check the download.
    """
    root = Path(saved_model_dir)
    files = sorted(p for p in root.rglob("*") if p.is_file())
    manifest = "".join(f"{_c.sha256_file(p)}  {p.relative_to(root).as_posix()}\n" for p in files)
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as gz:
        with tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar:
            dirs = sorted({p.parent for p in files if p.parent != root})
            for path in dirs:
                info = tarfile.TarInfo(path.relative_to(root).as_posix())
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                tar.addfile(info)
            entries = [(p.relative_to(root).as_posix(), p.read_bytes()) for p in files]
            entries.append((ARCHIVE_MANIFEST, manifest.encode()))
            for name, payload in entries:
                info = tarfile.TarInfo(name)
                info.size, info.mode = len(payload), 0o644
                tar.addfile(info, io.BytesIO(payload))
    return buffer.getvalue()


class HubServer:
    """A running classroom hub server (see :func:`start_server`).

    ``url`` is its base URL, ``handle(name, version)`` a model's handle,
    ``archive_requests`` counts the archives served (per ``"<name>/<version>"`` in
    ``archive_counts``). Use as a context manager or call :meth:`stop`.
    """

    def __init__(self, httpd: ThreadingHTTPServer, models: dict[str, Path], verbose: bool = False) -> None:
        self.httpd = httpd
        self.models = models
        self.verbose = verbose
        self.archive_counts: dict[str, int] = {}
        self._archives: dict[str, bytes] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        host, port = httpd.server_address[:2]
        shown = f"[{host}]" if ":" in str(host) else host
        self.url = f"http://{shown}:{port}"

    @property
    def archive_requests(self) -> int:
        """Total number of ``.tar.gz`` archives served."""
        return sum(self.archive_counts.values())

    def handle(self, name: str = _c.MODEL_NAME, version: str = _c.MODEL_VERSION) -> str:
        """The TF Hub handle of a served model."""
        return course_url(self.url, name, version)

    def archive(self, key: str, count: bool = True) -> bytes:
        """The (memoised) archive of model ``key``; ``count`` records one request."""
        with self._lock:
            if key not in self._archives:
                self._archives[key] = make_archive(self.models[key])
            if count:
                self.archive_counts[key] = self.archive_counts.get(key, 0) + 1
            return self._archives[key]

    def start(self) -> HubServer:
        """Serve in a daemon thread."""
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True,
                                        name="tlcourse-hub")
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in this thread until interrupted."""
        self.httpd.serve_forever()

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._thread is not None:
            self.httpd.shutdown()
            self._thread.join(timeout=10)
            self._thread = None
        self.httpd.server_close()

    def __enter__(self) -> HubServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _Handler(BaseHTTPRequestHandler):
    server_version = "tlcourse-hub/1"
    hub: HubServer  # set on the subclass made by make_server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (stdlib signature)
        if self.hub.verbose:
            print(f"{self.address_string()} {format % args}", flush=True)

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _text(self, status: int, text: str) -> None:
        self._send(status, (text + "\n").encode("utf8"), "text/plain; charset=utf-8")

    def do_HEAD(self) -> None:  # noqa: N802 (stdlib name)
        self.do_GET()

    def do_GET(self) -> None:  # noqa: N802 (stdlib name)
        parsed = urllib.parse.urlparse(self.path)
        query = dict(urllib.parse.parse_qsl(parsed.query))
        parts = [p for p in parsed.path.split("/") if p]
        available = ", ".join(f"/models/{k}" for k in self.hub.models) or "(ninguno)"
        if not parts:
            self._text(HTTPStatus.OK, f"Servidor de modelos del curso (TF Hub). Modelos: {available}\n"
                       f"Uso: hub.KerasLayer(\"{self.hub.url}/models/<nombre>/<versión>\")")
            return
        if parts == ["models"]:
            self._send(HTTPStatus.OK, json.dumps(sorted(self.hub.models)).encode(), "application/json")
            return
        key = "/".join(parts[1:3])
        if parts[0] != "models" or len(parts) != 3 or key not in self.hub.models:
            self._text(HTTPStatus.NOT_FOUND, f"Modelo desconocido: {parsed.path}. Disponibles: {available}")
            return
        fmt = query.get(COMPRESSED_QUERY[0])
        if fmt != COMPRESSED_QUERY[1]:
            self._text(HTTPStatus.BAD_REQUEST if fmt else HTTPStatus.OK,
                       f"Modelo {key} del curso. Cárgalo con hub.KerasLayer(\"{self.hub.handle(*key.split('/'))}\"); "
                       f"solo se sirve el formato comprimido (?tf-hub-format=compressed).")
            return
        self._send(HTTPStatus.OK, self.hub.archive(key, count=self.command == "GET"), "application/gzip")


def make_server(host: str = "127.0.0.1", port: int = DEFAULT_PORT,
                folder: Path | None = None, verbose: bool = False) -> HubServer:
    """Bind a :class:`HubServer` for the models in ``folder`` (default ``data/hub``), not started."""
    models = course_models(folder)
    if not models:
        raise HubError(f"No hay modelos que servir en {Path(folder) if folder else hub_dir()} "
                       f"(ninguna carpeta <nombre>/<versión>/saved_model.pb). {_restore()}")
    handler = type("Handler", (_Handler,), {})
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    server_cls = type("Server", (ThreadingHTTPServer,), {"address_family": family, "daemon_threads": True})
    httpd = server_cls((host, port), handler)
    hub = HubServer(httpd, models, verbose)
    handler.hub = hub
    return hub


def start_server(host: str = "127.0.0.1", port: int = 0, folder: Path | None = None,
                 verbose: bool = False) -> HubServer:
    """Start a classroom hub server in a background thread (``port=0``: any free port).

    Returns a :class:`HubServer` with ``.url``, ``.handle()``, ``.archive_requests`` and
    ``.stop()``; usable as ``with start_server() as server: ...``.
    """
    return make_server(host, port, folder, verbose).start()


def lan_address() -> str:
    """This machine's address on the local network (the interface of the default route)."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("10.255.255.255", 1))  # UDP: nothing is sent
        return probe.getsockname()[0]
    except OSError:
        return socket.gethostbyname(socket.gethostname())
    finally:
        probe.close()


def serve_command(host: str | None = None, port: int = DEFAULT_PORT, lan: bool = False,
                  folder: Path | None = None, quiet: bool = False) -> int:
    """``python -m tlcourse serve``: the classroom server, until Ctrl+C."""
    host = host or (lan_address() if lan else "127.0.0.1")
    server = make_server(host, port, folder, verbose=not quiet)
    print(f"Sirviendo {len(server.models)} modelo(s) en {server.url}", flush=True)
    for key in server.models:
        print(f"  hub.KerasLayer(\"{server.handle(*key.split('/'))}\")", flush=True)
    print("Ctrl+C para detener.", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0

