"""The course hub: backbone setting, classroom server, TF Hub compressed handles, cache."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import socket
import subprocess
import sys
import tarfile
import textwrap
import time
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest

import tlcourse
from tlcourse import contract
from tlcourse import hub as course_hub

REPO = Path(__file__).resolve().parents[1]
KEY = f"{contract.MODEL_NAME}/{contract.MODEL_VERSION}"


@pytest.fixture
def server():
    with course_hub.start_server() as running:
        yield running


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    folder = tmp_path / "tfhub_cache"
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(folder))
    return folder


def cache_folder(cache_dir: Path, handle: str) -> Path:
    """Where tensorflow_hub caches a compressed URL handle: ``$TFHUB_CACHE_DIR/sha1(handle)``."""
    return cache_dir / hashlib.sha1(handle.encode("utf8")).hexdigest()


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


# ---------------------------------------------------------------------------------------
# One setting chooses the backbone
# ---------------------------------------------------------------------------------------
def test_default_spec_is_the_committed_savedmodel(monkeypatch):
    monkeypatch.delenv(course_hub.BACKBONE_ENV, raising=False)
    spec = course_hub.backbone_spec()
    assert spec.source == "local" and spec.image_size == 32 and spec.feature_dim == contract.FEATURE_DIM
    assert Path(spec.handle, "saved_model.pb").is_file()
    assert spec.handle == course_hub.local_handle()
    assert "[0, 1]" in spec.input_range


def test_environment_variable_selects_a_classroom_server(monkeypatch):
    monkeypatch.setenv(course_hub.BACKBONE_ENV, "http://10.0.0.5:8765")
    spec = course_hub.backbone_spec()
    assert spec.handle == f"http://10.0.0.5:8765/models/{KEY}"
    assert (spec.image_size, spec.source) == (32, "server")
    full = course_hub.backbone_spec(f"http://10.0.0.5:8765/models/{KEY}")
    assert full.handle == spec.handle


@pytest.mark.parametrize("name", sorted(course_hub.ONLINE_BACKBONES))
def test_named_online_backbones_have_their_native_size(name):
    spec = course_hub.backbone_spec(name)
    handle, size, dim = course_hub.ONLINE_BACKBONES[name]
    assert (spec.handle, spec.image_size, spec.feature_dim, spec.source) == (handle, size, dim, "online")
    assert handle.startswith("https://") and size in (96, 128, 160, 192, 224)
    assert course_hub.backbone_spec(handle).image_size == size  # the full handle works too


def test_unknown_setting_is_a_clear_error():
    with pytest.raises(course_hub.HubError, match="No reconozco el backbone"):
        course_hub.backbone_spec("resnet-mil-millones")
    with pytest.raises(course_hub.HubError, match="tamaño de imagen"):
        course_hub.backbone_spec("https://example.org/un/modelo/cualquiera")


def test_spec_fields_are_the_same_for_every_source():
    specs = [course_hub.backbone_spec(s) for s in ("local", "http://127.0.0.1:8765", "mobilenet_v2_100_224")]
    fields = [tuple(vars(spec)) for spec in specs]
    assert fields[0] == fields[1] == fields[2]
    for spec in specs:
        assert isinstance(spec.handle, str) and isinstance(spec.image_size, int)


# ---------------------------------------------------------------------------------------
# The server over HTTP (no TensorFlow needed)
# ---------------------------------------------------------------------------------------
def test_server_binds_loopback_by_default(server):
    host = server.httpd.server_address[0]
    assert host == "127.0.0.1" and server.url.startswith("http://127.0.0.1:")


def test_archive_is_a_savedmodel_tarball_with_checksums(server):
    status, body = _get(server.handle() + "?tf-hub-format=compressed")
    assert status == 200 and server.archive_requests == 1
    with tarfile.open(fileobj=io.BytesIO(body), mode="r:gz") as tar:
        names = set(tar.getnames())
        manifest = tar.extractfile(course_hub.ARCHIVE_MANIFEST).read().decode()
    assert "saved_model.pb" in names and "variables/variables.index" in names
    assert "saved_model.pb" in manifest
    assert course_hub.make_archive(course_hub.course_models()[KEY]) == body  # deterministic


def test_unknown_model_is_404_with_a_message(server):
    status, body = _get(f"{server.url}/models/no_existe/1?tf-hub-format=compressed")
    assert status == 404 and b"Modelo desconocido" in body and KEY.encode() in body
    assert server.archive_requests == 0


def test_index_and_plain_handle_explain_usage(server):
    status, body = _get(server.url + "/")
    assert status == 200 and KEY.encode() in body
    status, body = _get(server.handle())
    assert status == 200 and b"hub.KerasLayer" in body
    status, body = _get(server.url + "/models")
    assert status == 200 and json.loads(body) == [KEY]
    assert server.archive_requests == 0


def test_cli_serve_prints_its_handles(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "tlcourse", "serve", "--port", str(port), "--quiet"],
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = proc.stdout.readline()
        assert f"http://127.0.0.1:{port}" in first
        assert f"/models/{KEY}" in proc.stdout.readline()
        status, body = _get(f"http://127.0.0.1:{port}/models")
        assert status == 200 and json.loads(body) == [KEY]
    finally:
        proc.terminate()
        proc.wait(timeout=10)


# ---------------------------------------------------------------------------------------
# Loading through TF Hub: download once, cache, clear errors
# ---------------------------------------------------------------------------------------
LOAD_SCRIPT = textwrap.dedent("""
    import sys
    import tlcourse
    tf = tlcourse._env.import_tensorflow_quietly()
    import numpy as np
    import tensorflow_hub as hub
    from tlcourse import hub as course_hub

    handle, mode = sys.argv[1], sys.argv[2]
    layer = hub.KerasLayer(handle) if mode == "raw" else course_hub.keras_layer(handle)
    model = tf.keras.Sequential([tf.keras.Input((32, 32, 3)), layer, tf.keras.layers.Dense(5)])
    x = np.linspace(0, 1, 2 * 32 * 32 * 3, dtype="float32").reshape(2, 32, 32, 3)
    print("FEATURES", float(layer(x).numpy().sum()))
""")


def _load_in_new_process(handle: str, mode: str, cache: Path) -> float:
    env = dict(os.environ, TFHUB_CACHE_DIR=str(cache), TLCOURSE_BLOCK_NETWORK="1")
    result = subprocess.run([sys.executable, "-c", LOAD_SCRIPT, handle, mode], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return float(result.stdout.split("FEATURES")[-1])


def _local_features() -> float:
    tf = tlcourse._env.import_tensorflow_quietly()
    import tensorflow_hub as hub

    x = np.linspace(0, 1, 2 * 32 * 32 * 3, dtype="float32").reshape(2, 32, 32, 3)
    return float(hub.KerasLayer(course_hub.local_handle())(tf.constant(x)).numpy().sum())


@pytest.mark.slow
def test_second_process_loads_from_cache(server, tmp_path):
    cache = tmp_path / "cache"
    handle = server.handle()
    first = _load_in_new_process(handle, "raw", cache)  # plain hub.KerasLayer(url)
    assert server.archive_requests == 1
    assert any(p.is_dir() for p in cache.iterdir())
    second = _load_in_new_process(handle, "course", cache)  # new process, same cache
    assert server.archive_requests == 1, "la segunda carga debería salir de la caché"
    assert first == pytest.approx(second, rel=1e-6) == pytest.approx(_local_features(), rel=1e-5)


def test_wrapper_downloads_once_and_reuses_the_cache(server, cache_dir):
    layer = course_hub.keras_layer(server.handle(), trainable=False)
    assert layer.trainable_weights == [] and server.archive_requests == 1
    folder = cache_folder(cache_dir, server.handle())
    assert (folder / "saved_model.pb").is_file() and (folder / course_hub.ARCHIVE_MANIFEST).is_file()
    course_hub.load(server.handle())
    assert server.archive_requests == 1


def test_unknown_handle_raises_a_clear_error(server, cache_dir):
    handle = f"{server.url}/models/no_existe/1"
    with pytest.raises(course_hub.HubError) as info:
        course_hub.keras_layer(handle)
    message = str(info.value)
    assert "no tiene ese modelo" in message and "404" in message and "Modelo desconocido" in message
    assert not cache_folder(cache_dir, handle).exists()


def test_unreachable_server_raises_a_clear_error(cache_dir):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nobody listens here once the probe is closed
    with pytest.raises(course_hub.HubError, match="No pude conectar"):
        course_hub.load(f"http://127.0.0.1:{port}/models/{KEY}")


def _corrupt_variables_archive(good: bytes) -> bytes:
    """A well-formed tar.gz whose variables file does not match the archive's checksums."""
    source = tarfile.open(fileobj=io.BytesIO(good), mode="r:gz")
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as gz, tarfile.open(fileobj=gz, mode="w") as out:
        for info in source.getmembers():
            payload = source.extractfile(info).read() if info.isfile() else None
            if info.name.endswith("variables.data-00000-of-00001"):
                payload = payload[:-16] + bytes(16)
                info.size = len(payload)
            out.addfile(info, io.BytesIO(payload) if payload is not None else None)
    return buffer.getvalue()


@pytest.mark.parametrize("damage", ["garbage", "truncated", "checksum"])
def test_corrupted_archive_raises_a_clear_error(server, cache_dir, damage):
    good = server.archive(KEY, count=False)
    bad = {"garbage": b"esto no es un tar.gz" * 100,
           "truncated": good[: len(good) // 2],
           "checksum": _corrupt_variables_archive(good)}[damage]
    server._archives[KEY] = bad
    with pytest.raises(course_hub.HubError, match="dañad"):
        course_hub.keras_layer(server.handle())
    folder = cache_folder(cache_dir, server.handle())
    assert not folder.exists(), "un modelo dañado no debe quedarse en la caché"
    server._archives[KEY] = good  # the server is repaired: the next load works
    assert course_hub.keras_layer(server.handle()) is not None


def test_half_downloaded_cache_folder_is_not_used(server, cache_dir, capsys):
    folder = cache_folder(cache_dir, server.handle())
    (folder / "variables").mkdir(parents=True)
    (folder / "variables" / "variables.index").write_bytes(b"a medias")
    layer = course_hub.keras_layer(server.handle())
    assert server.archive_requests == 1  # it was downloaded again, not used as it was
    assert "dañada" in capsys.readouterr().out
    assert (folder / "saved_model.pb").is_file() and layer(np.zeros((1, 32, 32, 3), "float32")).shape[-1] == contract.FEATURE_DIM


def test_stale_download_lock_does_not_block(server, cache_dir):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    folder = cache_folder(cache_dir, server.handle())
    folder.parent.mkdir(parents=True, exist_ok=True)
    Path(f"{folder}.lock").write_text(f"{socket.gethostname()}.{dead.pid}.deadbeef")
    start = time.monotonic()
    course_hub.keras_layer(server.handle())
    assert time.monotonic() - start < 60  # tensorflow_hub alone would wait 10 minutes
    assert server.archive_requests == 1


def test_missing_local_path_is_a_clear_error(tmp_path):
    with pytest.raises(course_hub.HubError, match="saved_model.pb"):
        course_hub.keras_layer(str(tmp_path / "nada"))


@pytest.mark.parametrize("loader", ["keras_layer", "load"])
def test_corrupt_local_savedmodel_is_a_clear_error(tmp_path, loader):
    (tmp_path / "saved_model.pb").write_bytes(b"esto no es un SavedModel")
    with pytest.raises(course_hub.HubError, match="No pude cargar el modelo .*saved_model.pb"):
        getattr(course_hub, loader)(str(tmp_path))


def test_hub_does_not_import_the_build_code():
    """The course side ships without backbone.py (training, export, the input conversion)."""
    code = ("import sys, tlcourse.hub, tlcourse.curves, tlcourse.baselines, tlcourse.model_checks; "
            "print(sorted(m for m in sys.modules if m.startswith('tlcourse.')))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    for build_module in ("tlcourse.build.backbone", "tlcourse.build.transfer_baselines", "tlcourse.build.curves_sweep",
                         "tlcourse.grader.hidden_test_helpers"):
        assert f"'{build_module}'" not in loaded, loaded
    assert not hasattr(course_hub, "cache_folder"), "notebook 05 asks students to write it"


def test_contract_matches_the_built_backbone():
    from tlcourse.build import backbone as bb

    model = bb.build_backbone()
    assert model.input_shape == (None, contract.IMAGE_SIZE, contract.IMAGE_SIZE, 3)
    assert model.output_shape == (None, contract.FEATURE_DIM)
    top = [layer.name for layer in model.layers if layer.name.startswith(contract.TOP_BLOCK + "_")]
    assert f"{contract.TOP_BLOCK}_conv1" in top
    assert not any(layer.name.startswith(f"block{len(bb.BLOCKS) + 1}") for layer in model.layers)


def test_contract_reads_the_checksum_files():
    manifest = contract.read_manifest(course_hub.hub_dir())
    assert manifest == course_hub.verify_backbone()
    assert f"{contract.SAVEDMODEL_DIR}/saved_model.pb" in manifest and contract.KERAS_FILE in manifest
    keras_file = course_hub.hub_dir() / contract.KERAS_FILE
    assert contract.sha256_file(keras_file) == hashlib.sha256(keras_file.read_bytes()).hexdigest()
