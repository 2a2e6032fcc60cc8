"""The helper package's set-up: import order, silence, seeds, doctor, offline guard."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import textwrap

import pytest

from tlcourse import _env


def run_python(code: str, **env: str) -> subprocess.CompletedProcess:
    """Run code in a fresh interpreter; an env value of "" removes that variable."""
    full_env = {k: v for k, v in {**os.environ, **env}.items() if v != ""}
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, env=full_env, timeout=300)


def test_tensorflow_imported_first_gives_a_spanish_error():
    result = run_python("""
        import tensorflow
        import tlcourse
    """, TF_USE_LEGACY_KERAS="")
    assert result.returncode != 0
    assert "ImportOrderError" in result.stderr
    assert "reinicia el kernel" in result.stderr and "import tlcourse" in result.stderr


def test_importing_tensorflow_first_is_fine_when_the_variable_was_set_outside():
    result = run_python("""
        import tensorflow as tf
        import tlcourse
        print(tf.keras.layers.Dense.__module__)
    """, TF_USE_LEGACY_KERAS="1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("tf_keras")


def test_setup_routes_tf_keras_and_writes_nothing_to_stderr():
    result = run_python("""
        import tlcourse
        tlcourse.setup()
        import tensorflow as tf
        import tensorflow_hub as hub
        model = tf.keras.Sequential([tf.keras.Input((4,)), tf.keras.layers.Dense(2)])
        model.compile("adam", "mse")
        model.fit(tf.zeros((8, 4)), tf.zeros((8, 2)), verbose=0)
        print(tf.keras.layers.Dense.__module__)
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().startswith("tf_keras"), result.stdout
    assert result.stderr == "", f"stderr must be empty, got:\n{result.stderr}"


def test_setup_makes_the_canonical_loader_work_offline_on_a_fresh_home(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    result = run_python("""
        import tlcourse
        tlcourse.setup()
        import tensorflow as tf
        (x, y), (xt, yt) = tf.keras.datasets.fashion_mnist.load_data()
        print(x.shape, xt.shape)
    """, HOME=str(home), KERAS_HOME="")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "(60000, 28, 28) (10000, 28, 28)"
    assert (home / ".keras" / "datasets" / "fashion-mnist").is_dir()


def test_setup_fixes_seeds():
    code = """
        import tlcourse
        tlcourse.setup(123)
        import numpy as np, tensorflow as tf
        print(np.random.rand(), float(tf.random.uniform(())))
    """
    first, second = run_python(code), run_python(code)
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout


def test_doctor_reports_all_green():
    result = run_python("import tlcourse; tlcourse.doctor()")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ERROR" not in result.stdout
    for word in ("tf_keras", "Fashion-MNIST verificado", "Todo listo"):
        assert word in result.stdout


def test_doctor_names_a_corrupted_data_file(repo, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(repo / "data" / "fashion-mnist", data / "fashion-mnist")
    victim = data / "fashion-mnist" / "t10k-labels-idx1-ubyte.gz"
    raw = bytearray(victim.read_bytes())
    raw[100] ^= 0xFF
    victim.write_bytes(bytes(raw))
    result = run_python("import tlcourse; tlcourse.doctor()", TLCOURSE_DATA=str(data))
    assert result.returncode != 0
    assert "t10k-labels-idx1-ubyte.gz" in result.stdout
    assert "SetupError" in result.stderr and "t10k-labels-idx1-ubyte.gz" in result.stderr


def test_network_guard_blocks_everything_but_loopback():
    assert os.environ.get("TLCOURSE_BLOCK_NETWORK") == "1"
    with socket.socket() as sock, pytest.raises(_env.NetworkBlockedError):
        sock.connect(("192.0.2.1", 80))  # TEST-NET-1: never routable
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.socket() as client:
            client.connect(server.getsockname())  # loopback is allowed


def test_kernels_and_subprocesses_inherit_the_guard():
    result = run_python("""
        import socket, tlcourse
        try:
            socket.create_connection(("192.0.2.1", 80), timeout=1)
        except tlcourse._env.NetworkBlockedError:
            print("blocked")
    """)
    assert result.stdout.strip() == "blocked", result.stdout + result.stderr
