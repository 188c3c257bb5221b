"""What the browser tests share: Chromium through Playwright, servers on 127.0.0.1, course copies.

Recipe and pitfalls: shared TOOLCHAIN.md. Debian's ``/usr/bin/chromium`` is driven by the PyPI
``playwright`` package (``playwright install`` is never run: it downloads a browser). JupyterLab
and Voila bind 127.0.0.1, need a token (Lab), serve copies of the notebooks (Lab autosaves), and
are stopped afterwards with every kernel they started. Every request the browser makes is
recorded; one to any host but 127.0.0.1 is refused and reported.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from crmlab import warm_kernels

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip
LOOPBACK = "127.0.0.1"
#: Loopback never goes through a proxy: for the browser, the servers, their kernels and urllib.
NO_PROXY = {"NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}
SCREENSHOTS = ROOT / "build" / "screenshots"
#: Voila as `make dashboard` runs it: the crmlab template (no CDN) from jupyter/, idle kernels culled.
VOILA_TEMPLATE_PATH = ROOT / "jupyter"
VOILA_FLAGS = [
    "--Voila.ip=127.0.0.1", "--template=crmlab",
    "--MappingKernelManager.cull_idle_timeout=30", "--MappingKernelManager.cull_interval=10",
]  # fmt: skip
#: Lab settings for the tests only, on top of jupyter/overrides.json: lay out every cell. Lab's
#: default ("contentVisibility") lets the browser skip cells out of view, whose text then reads
#: as "" and whose boxes are estimates, so assertions on them would check nothing. (Lesson 05's
#: quizzes, at the end of the notebook, pass under the default too.)
TEST_SETTINGS = {"@jupyterlab/notebook-extension:tracker": {"windowingMode": "none"}}

__all__ = [
    "CHROMIUM", "LAUNCH_ARGS", "NO_PROXY", "ROOT", "SCREENSHOTS", "VOILA_FLAGS", "VOILA_TEMPLATE_PATH",
    "NetworkLog", "Server", "browser_skip_reason", "course_copy", "free_port", "lab_server", "server_env",
    "voila_command", "voila_env", "voila_server",
]  # fmt: skip


#: urllib without any proxy: requests to 127.0.0.1 must never go through one (even with NO_PROXY unset).
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def browser_skip_reason() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the `playwright` package is missing: run `make install`"
    if not CHROMIUM.exists():
        return (
            f"{CHROMIUM} is missing: install Debian's browser with `sudo apt-get update && "
            "sudo apt-get install -y chromium` (`make test` does it when run as root)"
        )
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def server_env(tmp: Path, progress_dir: Path) -> dict[str, str]:
    """The environment of a server: private Jupyter dirs, a private progress log, no proxy for loopback."""
    env = {k: v for k, v in os.environ.items() if k not in {"MPLBACKEND", "CRMLAB_CHECK_MODE"}}
    for name in ("config", "runtime", "data"):
        (tmp / name).mkdir(parents=True, exist_ok=True)
    env.update({
        "JUPYTER_CONFIG_DIR": str(tmp / "config"), "JUPYTER_RUNTIME_DIR": str(tmp / "runtime"),
        "JUPYTER_DATA_DIR": str(tmp / "data"), "CRMLAB_PROGRESS_DIR": str(progress_dir), **NO_PROXY,
    })  # fmt: skip
    return env


@dataclass
class Server:
    """A server process in its own process group, so that stopping it ends its kernels too."""

    proc: subprocess.Popen
    base: str
    token: str = ""
    log: Path | None = None

    def url(self, path: str, **query: str) -> str:
        query = {**({"token": self.token} if self.token else {}), **query}
        return f"{self.base}/{path.lstrip('/')}" + (f"?{urllib.parse.urlencode(query)}" if query else "")

    def api(self, method: str, path: str) -> object:
        """A REST call to the server (127.0.0.1 only, no proxy)."""
        request = urllib.request.Request(f"{self.base}/{path.lstrip('/')}", method=method,
                                         headers={"Authorization": f"token {self.token}"})  # fmt: skip
        with _OPENER.open(request, timeout=20) as response:  # allowed: 127.0.0.1 only
            body = response.read()
        return json.loads(body) if body else None

    def wait_ready(self, path: str, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited early:\n{self.tail()}")
            try:
                with _OPENER.open(f"{self.base}/{path}", timeout=5):  # allowed: 127.0.0.1 only
                    return
            except urllib.error.HTTPError:  # it answers, if only to refuse
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"the server did not answer within {seconds:.0f} s:\n{self.tail()}")

    def shutdown_kernels(self) -> None:
        for kernel in self.api("GET", "api/kernels"):
            self.api("DELETE", f"api/kernels/{kernel['id']}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # Jupyter servers shut their kernels down on SIGINT x2
            time.sleep(0.1)
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.terminate()
                try:
                    self.proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait(timeout=5)
        try:  # kernels are in the server's process group: end any left behind
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log and self.log.exists() else ""


def _start(args: list[str], cwd: Path, env: dict, log: Path, base: str, token: str = "") -> Server:
    handle = log.open("wb")
    proc = subprocess.Popen(args, cwd=cwd, env=env, stdout=handle, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, start_new_session=True)  # fmt: skip
    handle.close()
    return Server(proc, base, token, log)


def _write_settings(config_dir: Path) -> None:
    """jupyter/overrides.json (what `make install` installs) plus TEST_SETTINGS, as user settings."""
    overrides = json.loads((ROOT / "jupyter" / "overrides.json").read_text())
    for plugin, values in {**overrides, **TEST_SETTINGS}.items():
        package, name = plugin.split(":")
        file = config_dir / "lab" / "user-settings" / package / f"{name}.jupyterlab-settings"
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(json.dumps(values))


@contextmanager
def lab_server(root: Path, tmp: Path, progress_dir: Path) -> Iterator[Server]:
    """JupyterLab serving ``root`` on 127.0.0.1 with a token; stopped with its kernels afterwards."""
    env = server_env(tmp, progress_dir)
    _write_settings(tmp / "config")
    port, token = free_port(), secrets.token_hex(16)
    args = [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", f"--port={port}",
            "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={root}",
            # window.jupyterapp: the browser tests open each notebook without loading Lab again
            "--LabApp.expose_app_in_browser=True"]  # fmt: skip
    if warm_kernels.served(env):
        # the test session's warm process (tests/conftest.py) forks this Lab's kernels: the browser tests
        # open every lesson, and each saves its imports; `make lab` itself (tests/test_lab.py) starts them cold
        args.append(f"--KernelProvisionerFactory.default_provisioner_name={warm_kernels.PROVISIONER}")
    server = _start(args, root, env, tmp / "lab.log", f"http://{LOOPBACK}:{port}", token)
    try:
        server.wait_ready("api/status", 60)
        yield server
    finally:
        server.stop()


def voila_command(notebook: str, port: int) -> list[str]:
    return [sys.executable, "-m", "voila", notebook, "--no-browser", f"--port={port}", *VOILA_FLAGS]


def voila_env(env: dict[str, str]) -> dict[str, str]:
    """Where Voila finds the crmlab template, as `make dashboard` sets it."""
    extra = env.get("JUPYTER_PATH")
    return {**env, "JUPYTER_PATH": str(VOILA_TEMPLATE_PATH) + (os.pathsep + extra if extra else "")}


@contextmanager
def voila_server(notebook: str, cwd: Path, tmp: Path, progress_dir: Path) -> Iterator[Server]:
    """Voila as `make dashboard` starts it, on a free port; stopped with its kernels afterwards."""
    port = free_port()
    env = voila_env(server_env(tmp, progress_dir))
    server = _start(voila_command(notebook, port), cwd, env, tmp / "voila.log", f"http://{LOOPBACK}:{port}")
    try:
        server.wait_ready("", 30)
        yield server
    finally:
        server.stop()


def course_copy(dest: Path) -> Path:
    """A copy of the lessons and exercises (never the originals: Lab autosaves)."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copytree(ROOT / "notebooks", dest / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    shutil.copytree(ROOT / "exercises", dest / "exercises", ignore=shutil.ignore_patterns("source", ".ipynb_*"))
    return dest


@dataclass
class NetworkLog:
    """Every URL the browser asked for; requests to other hosts are refused and kept in ``outside``."""

    urls: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)

    def attach(self, context) -> None:
        context.route("**/*", self._route)
        context.on("request", lambda request: self._seen(request.url))
        context.on("page", lambda page: page.on("websocket", lambda ws: self._seen(ws.url)))

    def hosts(self) -> set[str]:
        return {urllib.parse.urlsplit(url).hostname for url in self.urls if _has_host(url)}

    def _seen(self, url: str) -> None:
        self.urls.append(url)
        if _has_host(url) and urllib.parse.urlsplit(url).hostname != LOOPBACK:
            self.outside.append(url)

    def _route(self, route) -> None:
        url = route.request.url
        if _has_host(url) and urllib.parse.urlsplit(url).hostname != LOOPBACK:
            self.outside.append(url)
            route.abort()
        else:
            route.continue_()


def _has_host(url: str) -> bool:
    return urllib.parse.urlsplit(url).scheme in {"http", "https", "ws", "wss"}
