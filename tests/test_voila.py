"""Lesson 04 renders as a standalone app under Voila: a report without code, with its KPI dashboard.

Voila listens on 127.0.0.1 only; its kernels are culled when idle, and the server is
terminated at the end of the module.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

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
    with urllib.request.urlopen(url, timeout=timeout) as response:  # allowed: 127.0.0.1 only
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
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    env.update({
        "JUPYTER_CONFIG_DIR": str(tmp_path_factory.mktemp("cfg")),
        "JUPYTER_RUNTIME_DIR": str(tmp_path_factory.mktemp("rt")),
        "CRMLAB_PROGRESS_DIR": str(tmp_path_factory.mktemp("progress")),
        "CRMLAB_CHECK_MODE": "",
    })
    proc = subprocess.Popen(
        [sys.executable, "-m", "voila", NOTEBOOK, "--no-browser", f"--port={port}", "--Voila.ip=127.0.0.1",
         "--MappingKernelManager.cull_idle_timeout=30", "--MappingKernelManager.cull_interval=10"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
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
