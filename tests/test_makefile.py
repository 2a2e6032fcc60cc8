"""The README's front door: `make lab` serves the course with nbgrader's extensions."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.request

import pytest

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_make_lab_starts_jupyterlab_for_the_course(repo, tmp_path):
    port = _free_port()
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime")}
    args = f"--no-browser --ip=127.0.0.1 --port={port} --IdentityProvider.token=test-token"
    log = tmp_path / "lab.log"
    lab = subprocess.Popen(["make", "-s", "lab", f"LAB_ARGS={args}"], cwd=repo, env=env,
                           stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True)
    try:
        servers = []
        for _ in range(60):
            assert lab.poll() is None, f"make lab exited: {log.read_text()[-2000:]}"
            listing = subprocess.run([str(repo / ".venv/bin/jupyter"), "server", "list", "--json"],
                                     capture_output=True, text=True, env=env)
            servers = [json.loads(line) for line in listing.stdout.splitlines() if line.strip()]
            if any(s["port"] == port for s in servers):
                break
            time.sleep(1)
        server = next(s for s in servers if s["port"] == port)
        assert os.path.realpath(server["root_dir"]) == os.path.realpath(repo)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status?token=test-token", timeout=10) as reply:
            assert reply.status == 200
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/lab?token=test-token", timeout=30) as reply:
            assert reply.status == 200
    finally:
        os.killpg(lab.pid, signal.SIGTERM)
        lab.wait(timeout=60)


def test_nbgrader_extensions_are_enabled(repo):
    jupyter = str(repo / ".venv/bin/jupyter")
    lab = subprocess.run([jupyter, "labextension", "list"], capture_output=True, text=True)
    text = lab.stdout + lab.stderr
    line = next(l for l in text.splitlines() if "@jupyter/nbgrader" in l)
    assert "enabled" in line and "OK" in line
    server = subprocess.run([jupyter, "server", "extension", "list"], capture_output=True, text=True)
    text = server.stdout + server.stderr
    for extension in ("formgrader", "validate_assignment", "assignment_list", "course_list"):
        assert re.search(rf"nbgrader\.server_extensions\.{extension}\s+\S*enabled", text), extension
