"""Behind an HTTP proxy the suite still reaches its own servers on 127.0.0.1 (conftest sets NO_PROXY)."""

from __future__ import annotations

import http.server
import os
import socket
import threading
import urllib.error
import urllib.request

import pytest
from conftest import LOOPBACK, loopback_without_proxy


@pytest.fixture
def loopback_server():
    """A tiny HTTP server on 127.0.0.1 that answers every GET with "hello"."""

    class Hello(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"hello")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hello)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def _dead_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # closed on exit: nothing listens there


def _get(url: str) -> bytes:
    opener = urllib.request.build_opener()  # a fresh opener reads the proxy variables now
    with opener.open(url, timeout=10) as response:
        return response.read()


def test_loopback_bypasses_a_dead_proxy(loopback_server, monkeypatch):
    dead = f"http://127.0.0.1:{_dead_port()}"
    monkeypatch.setenv("HTTP_PROXY", dead)
    monkeypatch.setenv("http_proxy", dead)
    assert all(host in os.environ["NO_PROXY"].split(",") for host in ("127.0.0.1", "localhost"))
    assert _get(loopback_server) == b"hello"


def test_without_no_proxy_the_dead_proxy_is_used(loopback_server, monkeypatch):
    """The test above can fail: without NO_PROXY the request goes to the dead proxy."""
    dead = f"http://127.0.0.1:{_dead_port()}"
    monkeypatch.setenv("HTTP_PROXY", dead)
    monkeypatch.setenv("http_proxy", dead)
    monkeypatch.delenv("NO_PROXY")
    monkeypatch.delenv("no_proxy")
    with pytest.raises(urllib.error.URLError, match="Connection refused"):
        _get(loopback_server)


def test_existing_no_proxy_entries_are_kept():
    merged = loopback_without_proxy({"NO_PROXY": "example.com, .corp", "no_proxy": "intranet,example.com"})
    assert merged == {"NO_PROXY": "example.com,.corp,intranet,127.0.0.1,localhost,::1",
                      "no_proxy": "example.com,.corp,intranet,127.0.0.1,localhost,::1"}  # fmt: skip
    assert loopback_without_proxy({}) == {"NO_PROXY": ",".join(LOOPBACK), "no_proxy": ",".join(LOOPBACK)}
    again = loopback_without_proxy({"NO_PROXY": "localhost,127.0.0.1"})
    assert again["NO_PROXY"] == "localhost,127.0.0.1,::1"
