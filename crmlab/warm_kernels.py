"""Warm kernels: Jupyter kernels forked from a process that has already imported the course's libraries.

Every notebook the runner executes (``make course``, the test suite, ``crmlab run``) used to
start a fresh Python kernel and import ipykernel, pandas, matplotlib, seaborn and SciPy again:
about 3 s of CPU per notebook on 2 cores, more than most lessons' own cells. Here one *warm*
process imports them once, and each kernel is a ``fork()`` of it: the modules are shared
copy-on-write and the notebook's ``import pandas`` costs nothing.

Written by hand because no maintained library does it: ipykernel's fork proposal
(ipython/ipykernel#410) was closed, and Voila's kernel pool pre-starts whole kernels, which
hides the wait but spends the same CPU. It plugs into jupyter_client's documented extension
point, a kernel provisioner (entry point ``crmlab-warm-kernel``), so papermill, nbclient and
nbval use it unchanged.

What a warm kernel keeps exactly as a cold one: its own process, session and process group;
its working folder, environment (``os.environ`` is the one jupyter_client asked for) and
command line; the streams it inherits (the runner's ``NAME.log``); its exit status (``os._exit(3)``
gives 3, a SIGKILL -9) and its kill when the process that asked for it goes away. numpy's
global random state is reseeded in each kernel (Python's ``random`` reseeds itself on fork).
What differs: ``ps`` shows a warm kernel's command line as the warm process's
(``python -m crmlab.warm_kernels serve ...``), and its parent is the warm process.

Three things keep a warm kernel cheap to start and to stop (measured per kernel, 2-core machine):
the warm process also imports ipykernel's debugger (debugpy, 0.15 s); it calls ``gc.freeze()``
after its imports, as the :mod:`gc` documentation advises before ``fork()``, so the kernel's
collections (and IPython's one at exit, 0.2 s) skip the preloaded modules' objects; and a kernel
ends with ``os._exit`` once every exit handler has run, instead of tearing down the modules it
inherited object by object, which took 0.6 s. Its exit status is kept. The warm process also
makes the calls in :data:`WARM_UP` (the practice company of the exercises, the course's database),
whose cached results the kernels inherit.

It falls back to an ordinary (cold) start, silently and correctly, whenever a warm one could
differ: not on Linux; a command other than this interpreter's ``-m ipykernel_launcher`` (the
grader's sandbox, another kernel); an environment whose import-time settings differ from the
warm process's (``MPLBACKEND``, thread counts, ``PYTHON*``, locale, ``HOME`` ..., see
:data:`IMPORT_TIME_SETTINGS`); ``CRMLAB_WARM_KERNELS=off``; or a warm process that does not answer.

Use
---
>>> from crmlab import warm_kernels
>>> warm_kernels.PROVISIONER
'crmlab-warm-kernel'

``with warm_kernels.serving():`` starts a warm process for the block and names it in
``CRMLAB_WARM_KERNELS``; kernels started by :func:`crmlab.verdicts.kernel_manager_class`
(the runner), or by any jupyter_client kernel manager once
``KernelProvisionerFactory.instance().default_provisioner_name = PROVISIONER``, are then
forked from it. ``python -m crmlab.warm_kernels serve SOCKET`` is the warm process itself.
"""

from __future__ import annotations

import atexit
import functools
import gc
import hashlib
import json
import os
import selectors
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

__all__ = ["ENV", "IMPORT_TIME_SETTINGS", "PRELOAD", "PROVISIONER", "WARM_UP", "WarmKernel", "fingerprint", "launch",
           "served", "serving", "start_server"]

PROVISIONER = "crmlab-warm-kernel"
"""The provisioner's name (its entry point in ``jupyter_client.kernel_provisioners``)."""
ENV = "CRMLAB_WARM_KERNELS"
"""The warm process's socket; ``off`` (or ``0``, ``no``) turns warm kernels off."""
PRELOAD = ("numpy", "pandas", "pyarrow", "scipy.stats", "matplotlib", "matplotlib.pyplot", "seaborn",
           "ipywidgets", "IPython", "ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.debugger", "duckdb",
           "threadpoolctl", "sklearn.base",
           "sklearn.cluster", "sklearn.compose", "sklearn.ensemble", "sklearn.linear_model", "sklearn.metrics",
           "sklearn.model_selection", "sklearn.pipeline", "sklearn.preprocessing", "statsmodels.stats.power",
           "statsmodels.stats.proportion", "pyarrow.parquet", "pyarrow.dataset", "pyarrow.csv",
           "persiantools.jdatetime", "rapidfuzz.process", "tomllib", "crmlab.datasets", "crmlab.exercises",
           "crmlab.analysis.bi", "crmlab.analysis.churn", "crmlab.analysis.clusters", "crmlab.analysis.clv",
           "crmlab.analysis.cohorts", "crmlab.analysis.crosssell", "crmlab.analysis.experiments",
           "crmlab.analysis.kpis", "crmlab.analysis.pipeline", "crmlab.analysis.quality", "crmlab.analysis.rfm",
           "crmlab.analysis.service", "crmlab.analysis.training")
"""What the warm process imports: the libraries the lessons and crmlab's analyses import (not polars,
whose thread pool does not survive a fork), and crmlab's own data, exercise and analysis modules, which
read their settings (``CRMLAB_CHECK_MODE``, ``CRMLAB_PROGRESS_DIR``...) when used, never when imported."""
WARM_UP = ("crmlab.datasets.practice:practice_crm", "crmlab.datasets.storage:load_crm")
"""Calls (``module:function``, no arguments) the warm process makes after its imports; every kernel
inherits what they cache: the practice company, generated once instead of in each of the 28
exercise notebooks (0.3 s each), and the course's database, read once instead of in every lesson
(0.2-0.3 s each; a kernel gets copies, and reads the files again if any has changed since). Only
cached results of seeded, deterministic calls belong here."""
IMPORT_TIME_SETTINGS = ("PYTHON", "MPLBACKEND", "MPLCONFIGDIR", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                        "MKL_NUM_THREADS", "NUMEXPR_", "ARROW_", "LANG", "LC_", "TZ", "HOME", "XDG_CONFIG_HOME",
                        "XDG_CACHE_HOME", "SKLEARN_", "JOBLIB_")
"""Environment variables (names or prefixes) that the preloaded libraries read when imported."""
_INLINE = "module://matplotlib_inline.backend_inline"  # what ipykernel sets when MPLBACKEND is unset
_OFF = {"", "off", "0", "no", "false"}


def fingerprint(env: Mapping[str, str]) -> str:
    """A digest of the settings in ``env`` that the preloaded libraries read at import.

    Two environments with equal fingerprints import the preloaded libraries the same way;
    an unset ``MPLBACKEND`` counts as ipykernel's inline backend, which the kernel sets.

    >>> fingerprint({"PATH": "/a", "HOME": "/h"}) == fingerprint({"PATH": "/b", "HOME": "/h"})
    True
    >>> fingerprint({"HOME": "/h"}) == fingerprint({"HOME": "/h", "OMP_NUM_THREADS": "1"})
    False
    >>> fingerprint({}) == fingerprint({"MPLBACKEND": "module://matplotlib_inline.backend_inline"})
    True
    """
    items = {k: v for k, v in env.items() if k.startswith(IMPORT_TIME_SETTINGS)}
    items["MPLBACKEND"] = items.get("MPLBACKEND") or _INLINE
    items["sys.executable"] = sys.executable
    return hashlib.sha256(json.dumps(sorted(items.items())).encode()).hexdigest()[:16]


def served(env: Mapping[str, str] | None = None) -> str | None:
    """The warm process's socket named in ``env`` (default: this process's), or ``None`` if none is or it is off.

    >>> served({"CRMLAB_WARM_KERNELS": "/tmp/crmlab-warm-x/kernels.sock"})
    '/tmp/crmlab-warm-x/kernels.sock'
    >>> served({"CRMLAB_WARM_KERNELS": "off"}), served({})
    (None, None)
    """
    where = (os.environ if env is None else env).get(ENV, "")
    return None if where.lower() in _OFF else where


# ---------------------------------------------------------------------------------------------
# The asking side: a Popen-like handle and the provisioner.


class WarmKernel:
    """A kernel forked by the warm process: what jupyter_client uses of a ``subprocess.Popen``.

    The warm process is the kernel's parent, so it reports the exit status on the connection
    that asked for the kernel; closing that connection (this process ending) kills the kernel.
    """

    stdin = stdout = stderr = None

    def __init__(self, conn: socket.socket, pid: int) -> None:
        self._conn, self._buffer = conn, b""
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            self._conn.setblocking(False)
            self._read()
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            self._conn.settimeout(timeout)
            try:
                self._read()
            except TimeoutError:
                raise subprocess.TimeoutExpired(["warm kernel", str(self.pid)], timeout) from None
        return self.returncode  # type: ignore[return-value]

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def _read(self) -> None:
        """Read the warm process's ``exit CODE`` line, if it has come (it blocks as the socket is set)."""
        while b"\n" not in self._buffer:
            try:
                chunk = self._conn.recv(4096)
            except BlockingIOError:
                return
            if not chunk:  # the warm process is gone: so is its kernel (ipykernel exits without its parent)
                with suppress(OSError):
                    os.kill(self.pid, signal.SIGKILL)
                self._buffer += b"exit -9\n"
                break
            self._buffer += chunk
        line = self._buffer.split(b"\n", 1)[0].decode()
        self.returncode = int(line.split()[1])
        self._conn.close()


def _stream_fd(stream: Any, default: int) -> int:
    if stream is None:
        return default
    if isinstance(stream, int):
        return stream if stream >= 0 else default  # PIPE, DEVNULL, STDOUT: the usual stream
    return stream.fileno()


def launch(cmd: list[str], env: Mapping[str, str] | None = None, cwd: str | os.PathLike | None = None,
           stdout: Any = None, stderr: Any = None, **_ignored: Any) -> WarmKernel | None:
    """Fork a kernel for ``cmd`` from the warm process named in ``CRMLAB_WARM_KERNELS``.

    ``None`` when it cannot be warm (see the module's docstring): the caller starts it cold.
    """
    where = served()
    if sys.platform != "linux" or where is None:
        return None
    if cmd[:3] != [sys.executable, "-m", "ipykernel_launcher"]:
        return None
    env = dict(os.environ if env is None else env)
    request = {"args": cmd[3:], "env": env, "cwd": os.fspath(cwd or os.getcwd()), "fingerprint": fingerprint(env)}
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.settimeout(30)
        conn.connect(where)
        fds = [_stream_fd(stdout, 1), _stream_fd(stderr, 2)]
        socket.send_fds(conn, [json.dumps(request).encode() + b"\n"], fds)
        answer = b""
        while not answer.endswith(b"\n"):
            chunk = conn.recv(4096)
            if not chunk:
                break
            answer += chunk
    except OSError:
        conn.close()
        return None
    word, _, value = answer.decode().strip().partition(" ")
    if word != "pid":
        conn.close()
        return None
    conn.settimeout(None)
    return WarmKernel(conn, int(value))


@functools.cache  # one class, however often jupyter_client loads the entry point
def _provisioner_class():
    from jupyter_client.provisioning import LocalProvisioner

    class WarmKernelProvisioner(LocalProvisioner):
        """jupyter_client's local provisioner, forking kernels from the warm process when it can."""

        async def launch_kernel(self, cmd: list[str], **kwargs: Any):
            process = launch(cmd, **kwargs)
            if process is None:
                return await super().launch_kernel(cmd, **kwargs)
            self.process, self.pid, self.pgid = process, process.pid, process.pid  # its own session
            self.cwd = kwargs.get("cwd", Path.cwd())
            return self.connection_info

    return WarmKernelProvisioner


def __getattr__(name: str):  # the provisioner class imports jupyter_client only when it is asked for
    if name == "WarmKernelProvisioner":
        return _provisioner_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def start_server(env: Mapping[str, str] | None = None, timeout: float = 120) -> tuple[subprocess.Popen, str]:
    """Start a warm process with ``env`` (default: this one's); return it and its socket's path.

    It ends when the returned process's stdin is closed, that is when this process ends.
    """
    folder = tempfile.mkdtemp(prefix="crmlab-warm-")  # mode 0700: only this user may ask for kernels
    path = os.path.join(folder, "kernels.sock")
    server_env = dict(os.environ if env is None else env)
    server_env.setdefault("MPLBACKEND", _INLINE)
    server = subprocess.Popen([sys.executable, "-m", __name__, "serve", path], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, env=server_env, cwd=folder, start_new_session=True)
    ready = selectors.DefaultSelector()
    ready.register(server.stdout, selectors.EVENT_READ)
    if not ready.select(timeout) or server.stdout.readline() != b"ready\n":
        server.kill()
        raise RuntimeError("the warm kernel process did not start")
    return server, path


@contextmanager
def serving(env: Mapping[str, str] | None = None) -> Iterator[str | None]:
    """Warm kernels for the block: start a warm process and name it in ``CRMLAB_WARM_KERNELS``.

    Yields its socket's path, or ``None`` (kernels start cold) when warm kernels are off, not on
    Linux, or already served by an outer block or a parent process (whose socket is kept).
    """
    if sys.platform != "linux" or os.environ.get(ENV):
        yield served()
        return
    try:
        server, path = start_server(env)
    except (OSError, RuntimeError):
        yield None
        return
    os.environ[ENV] = path
    try:
        yield path
    finally:
        os.environ.pop(ENV, None)
        _stop(server)


def _stop(server: subprocess.Popen) -> None:
    with suppress(OSError):
        server.stdin.close()
    try:
        server.wait(10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


# ---------------------------------------------------------------------------------------------
# The warm process.


def _serve(path: str) -> dict | None:
    """Import :data:`PRELOAD`, then fork a kernel per request until stdin closes.

    Returns ``None`` in the warm process when it is told to stop, and the request in each
    forked child, which then becomes the kernel (:func:`_become_kernel`).
    """
    if sys.path and Path(sys.path[0] or ".").resolve() == Path.cwd().resolve():
        del sys.path[0]  # as ipykernel_launcher does: the kernel puts its own folder back
    import importlib

    for name in PRELOAD:
        with suppress(ImportError), _quiet_stderr(name == "ipykernel.debugger"):
            importlib.import_module(name)
    for call in WARM_UP:
        module, _, function = call.partition(":")
        with suppress(Exception):  # a kernel then does the work itself, as a cold one does
            getattr(importlib.import_module(module), function)()
    gc.freeze()  # what the kernels inherit is never collected: their collections skip it
    own = fingerprint(os.environ)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(16)
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)  # wakes the loop through the wakeup fd
    sel = selectors.DefaultSelector()
    sel.register(listener, selectors.EVENT_READ, "accept")
    sel.register(sys.stdin, selectors.EVENT_READ, "stdin")
    sel.register(wake_r, selectors.EVENT_READ, "child")
    children: dict[int, socket.socket] = {}
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    while True:
        for key, _ in sel.select():
            if key.data == "stdin":
                if not os.read(sys.stdin.fileno(), 4096):  # whoever started us has ended
                    for pid in children:
                        with suppress(OSError):
                            os.killpg(pid, signal.SIGKILL)
                    with suppress(OSError):
                        os.unlink(path)
                    return None
            elif key.data == "child":
                os.read(wake_r, 4096)
                _reap(children, sel)
            elif key.data == "accept":
                conn, _ = listener.accept()
                request = _receive(conn)
                if request is None:
                    conn.close()
                elif request["fingerprint"] != own:
                    _close_fds(request)
                    _answer(conn, "refused: import-time settings differ")
                    conn.close()
                else:
                    pid = _fork(request)
                    if pid == 0:  # the child: leave the warm process's sockets and pipes behind
                        signal.set_wakeup_fd(-1)
                        sel.close()
                        listener.close()
                        os.close(wake_r)
                        os.close(wake_w)
                        for other in (conn, *children.values()):
                            other.close()
                        return request
                    _close_fds(request)
                    _answer(conn, f"pid {pid}")
                    children[pid] = conn
                    sel.register(conn, selectors.EVENT_READ, pid)
            else:  # the asking process closed its connection: its kernel goes with it
                with suppress(OSError):
                    os.killpg(key.data, signal.SIGKILL)
                sel.unregister(key.fileobj)


@contextmanager
def _quiet_stderr(quiet: bool) -> Iterator[None]:
    """Send file descriptor 2 to the null device for the block, if ``quiet``.

    debugpy warns on stderr, when imported, that frozen modules may hide breakpoints: every cold
    kernel writes that into its own log, where it is harmless; the warm process would write it on
    the terminal of whoever runs ``make course``.
    """
    if not quiet:
        yield
        return
    sys.stderr.flush()
    saved, null = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 2)
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        os.close(null)


def _receive(conn: socket.socket) -> dict | None:
    conn.settimeout(30)
    try:
        data, fds, _, _ = socket.recv_fds(conn, 1 << 20, 2)
        while not data.endswith(b"\n"):
            more = conn.recv(1 << 20)
            if not more:
                break
            data += more
        request = json.loads(data)
    except (OSError, ValueError):
        return None
    conn.settimeout(None)
    request["_fds"] = fds
    return request


def _answer(conn: socket.socket, text: str) -> None:
    with suppress(OSError):
        conn.sendall(text.encode() + b"\n")


def _close_fds(request: dict) -> None:
    for fd in request.get("_fds", []):
        with suppress(OSError):
            os.close(fd)


def _fork(request: dict) -> int:
    """Fork; the child starts its own session before the parent answers (jupyter_client signals its group)."""
    ready_r, ready_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(ready_r)
        os.setsid()
        os.close(ready_w)
        return 0
    os.close(ready_w)
    os.read(ready_r, 1)  # returns at EOF: the child has called setsid
    os.close(ready_r)
    return pid


def _reap(children: dict[int, socket.socket], sel: selectors.BaseSelector) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        conn = children.pop(pid, None)
        if conn is not None:
            with suppress(KeyError, ValueError):
                sel.unregister(conn)
            _answer(conn, f"exit {os.waitstatus_to_exitcode(status)}")
            conn.close()


def _become_kernel(request: dict) -> None:
    """In the forked child: take the asked-for streams, folder and environment, and run ipykernel."""
    import time

    for sig in (signal.SIGCHLD, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    out, err = request["_fds"]
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(out, 1)
    os.dup2(err, 2)
    for fd in {devnull, out, err} - {0, 1, 2}:
        os.close(fd)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    os.environ["JPY_PARENT_PID"] = str(os.getppid())  # the warm process: ipykernel exits if it goes
    time.tzset()
    if "numpy" in sys.modules:
        sys.modules["numpy"].random.seed()  # a fresh global random state, as a new process has
    import ipykernel_launcher
    from ipykernel import kernelapp

    # ipykernel reads JPY_PARENT_PID when it is imported (a trait's default): here, after the fork, in argv
    args = [*request["args"], f"--IPKernelApp.parent_handle={os.getppid()}"]
    sys.argv = [ipykernel_launcher.__file__, *args]
    _EXIT["kernel"] = True
    try:
        kernelapp.launch_new_instance(argv=args)
    except SystemExit as stop:
        _EXIT["code"] = stop.code if isinstance(stop.code, int) else int(stop.code is not None)
        raise
    except BaseException:
        _EXIT["code"] = 1  # Python prints the traceback, runs the exit handlers, and exits with 1
        raise


_EXIT = {"kernel": False, "code": 0}


def _end_kernel() -> None:
    """The last exit handler of a kernel: every other one has run (atexit runs the latest first).

    ``os._exit`` skips the interpreter's teardown of the modules inherited from the warm process
    (0.6 s a kernel, touching every page they share); IPython's own exit handler has already
    cleared the user's namespace, so files a notebook left open are closed and flushed by then.
    """
    if _EXIT["kernel"]:
        with suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(_EXIT["code"])


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2 or argv[0] != "serve":
        print("usage: python -m crmlab.warm_kernels serve SOCKET", file=sys.stderr)
        return 2
    atexit.register(_end_kernel)  # first registered, so in a kernel it runs after every other handler
    request = _serve(argv[1])
    if request is not None:
        _become_kernel(request)
    return 0


if __name__ == "__main__":
    sys.exit(main())
