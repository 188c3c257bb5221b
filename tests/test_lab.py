"""`make lab`'s server: JupyterLab starts from the project environment and serves the course.

It binds 127.0.0.1 only, and the settings that would reach the internet (news, update checks,
the extension manager's index) are switched off by jupyter/overrides.json.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, token: str):
    request = urllib.request.Request(url, headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(request, timeout=5) as response:  # allowed: 127.0.0.1 only
        return response.status, response.read()


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    port, token = _free_port(), secrets.token_hex(16)
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(tmp_path_factory.mktemp("cfg")),
           "JUPYTER_RUNTIME_DIR": str(tmp_path_factory.mktemp("rt"))}
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", f"--port={port}",
         "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={ROOT}"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            _get(f"{base}/api/status", token)
            break
        except OSError:
            if proc.poll() is not None:
                pytest.fail(proc.stderr.read().decode()[-2000:])
            time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail("JupyterLab did not answer within 60 s")
    yield base, token
    proc.terminate()
    proc.wait(timeout=20)


def test_serves_the_welcome_lesson(lab):
    base, token = lab
    status, body = _get(f"{base}/api/contents/notebooks/00_welcome.ipynb", token)
    assert status == 200
    nb = json.loads(body)["content"]
    assert nb["cells"][0]["source"].startswith("# 00 · Welcome to crmlab")


def test_lab_page_loads(lab):
    base, token = lab
    status, body = _get(f"{base}/lab", token)
    assert status == 200 and b"JupyterLab" in body


@pytest.mark.skipif(not (Path(sys.prefix) / "share/jupyter/lab/settings/overrides.json").exists(),
                    reason="overrides are installed by `make install`")
def test_news_and_update_checks_are_off(lab):
    base, token = lab
    _, body = _get(f"{base}/lab/api/settings/@jupyterlab/apputils-extension:notification", token)
    defaults = json.loads(body)["schema"]["properties"]  # overrides change the defaults
    assert defaults["fetchNews"]["default"] == "false"
    assert defaults["checkForUpdates"]["default"] is False


def test_rejects_requests_without_the_token(lab):
    base, _ = lab
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(f"{base}/api/contents/notebooks", timeout=5)  # allowed: 127.0.0.1 only
    assert err.value.code == 403


def test_make_lab_serves_the_whole_course_and_opens_the_welcome_lesson():
    """`make lab` must show exercises/ too (root = the checkout), bind loopback, and open lesson 00."""
    dry = subprocess.run(["make", "-n", "lab"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    command = dry.replace("\\\n", " ")  # join the recipe's continued lines
    assert "--ServerApp.ip=127.0.0.1" in command
    assert f'--ServerApp.root_dir="{ROOT}"' in command
    assert "--LabApp.default_url=/lab/tree/notebooks/00_welcome.ipynb" in command
    assert (ROOT / "notebooks" / "00_welcome.ipynb").exists()
    assert (ROOT / "exercises" / "00_welcome_exercises.ipynb").exists()
