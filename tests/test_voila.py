"""Lesson 04 renders as a standalone app under Voila: a report without code, with its KPI dashboard.

Voila listens on 127.0.0.1 only; its kernels are culled when idle, and the server is
terminated at the end of the module.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from browser_support import VOILA_FLAGS, VOILA_TEMPLATE_PATH, voila_command, voila_env

import crmlab
from crmlab.analysis import bi
from crmlab.widgets.dashboard import format_value

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = "notebooks/04_bi_questions.ipynb"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, timeout: float = 25):
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never through a proxy
    with opener.open(url, timeout=timeout) as response:  # allowed: 127.0.0.1 only
        return response.status, response.read().decode("utf-8", errors="replace")


def _wait_for_port(port: int, proc: subprocess.Popen, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail("Voila exited early:\n" + proc.stderr.read().decode()[-2000:])
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    pytest.fail(f"Voila did not listen on 127.0.0.1:{port} within {seconds:.0f} s")


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    """The app's page, requested once; the server is terminated afterwards."""
    port = _free_port()
    env = voila_env({k: v for k, v in os.environ.items() if k != "MPLBACKEND"})
    env.update({
        "JUPYTER_CONFIG_DIR": str(tmp_path_factory.mktemp("cfg")),
        "JUPYTER_RUNTIME_DIR": str(tmp_path_factory.mktemp("rt")),
        "CRMLAB_PROGRESS_DIR": str(tmp_path_factory.mktemp("progress")),
        "CRMLAB_CHECK_MODE": "",
    })
    proc = subprocess.Popen(voila_command(NOTEBOOK, port), cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
    try:
        _wait_for_port(port, proc, seconds=15)
        yield _get(f"http://127.0.0.1:{port}/")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def test_the_lesson_renders_as_an_app(page):
    status, body = page
    assert status == 200
    assert "KPI dashboard · Nima Home &amp; Office" in body or "KPI dashboard &#183; Nima Home" in body


def test_the_page_holds_executed_kpis(page):
    _, body = page
    table = bi.kpi_table(crmlab.load_crm(tables=["customers", "orders", "tickets", "shipments", "invoices",
                                                 "payments"]))  # fmt: skip
    for kpi in ["SLA compliance", "Late deliveries", "Days to pay (business)"]:
        assert kpi in body
        assert format_value(table.loc[kpi, "value"], table.loc[kpi, "unit"]) in body
    assert "application/vnd.jupyter.widget-view+json" in body  # the interactive dashboard and quizzes


def test_no_code_and_no_errors(page):
    _, body = page
    assert "Traceback" not in body
    assert "There was an error when executing cell" not in body
    assert "crmlab.load_crm(DATA_DIR)" not in body  # sources are stripped: a report without code


def test_nothing_is_loaded_from_a_cdn(page):
    """Voila's own template links Font Awesome from a CDN; the crmlab template does not."""
    _, body = page
    assert "cdn.jsdelivr.net" not in body and "cdnjs.cloudflare.com" not in body
    outside = [url for url in re.findall(r"""(?:src|href)=["'](https?://[^"']+)""", body)
               if not url.startswith("http://127.0.0.1")]  # fmt: skip
    assert outside == []


def test_make_dashboard_starts_voila_like_the_tests():
    dry = subprocess.run(["make", "-n", "dashboard"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    command = dry.replace("\\\n", " ")
    assert f'JUPYTER_PATH="{VOILA_TEMPLATE_PATH}' in command
    assert all(flag in command.split() for flag in VOILA_FLAGS), command
    assert (VOILA_TEMPLATE_PATH / "voila" / "templates" / "crmlab" / "index.html.j2").is_file()
