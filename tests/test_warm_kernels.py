"""Warm kernels (crmlab/warm_kernels.py) behave as cold ones: folder, environment, session, exit
status, random state, figures and their end with whoever asked for them; only the imports are done.

The oracle is a cold kernel started by jupyter_client's own LocalProvisioner (``CRMLAB_WARM_KERNELS=off``)
and the operating system's view of the processes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from jupyter_client.manager import KernelManager

from crmlab import warm_kernels

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="warm kernels fork: Linux only")


@pytest.fixture(scope="module")
def server():
    with warm_kernels.serving() as path:  # the conftest's warm process when there is one
        if path is None:
            pytest.skip("warm kernels are off (CRMLAB_WARM_KERNELS)")
        yield path


def start(tmp_path: Path, env: dict | None = None) -> tuple[KernelManager, object]:
    km = KernelManager(kernel_name="python3")
    km.kernel_spec.metadata["kernel_provisioner"] = {"provisioner_name": warm_kernels.PROVISIONER}
    km.start_kernel(cwd=str(tmp_path), env=env if env is not None else dict(os.environ))
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=60)
    return km, kc


def run(kc, code: str) -> str:
    out: list[str] = []

    def hook(msg):
        if msg["msg_type"] == "stream":
            out.append(msg["content"]["text"])
        elif msg["msg_type"] == "error":
            out.append("ERROR " + msg["content"]["ename"])
        elif msg["msg_type"] == "display_data":
            out.append("DISPLAY " + ",".join(sorted(msg["content"]["data"])))

    kc.execute_interactive(code, output_hook=hook, timeout=60)
    return "".join(out)


def stop(km, kc) -> None:
    kc.stop_channels()
    km.shutdown_kernel(now=True)


def test_a_warm_kernel_has_the_libraries_imported_and_a_cold_one_does_not(server, tmp_path, monkeypatch):
    km, kc = start(tmp_path)
    try:
        assert isinstance(km.provisioner.process, warm_kernels.WarmKernel)
        assert run(kc, "import sys; print('pandas' in sys.modules, 'seaborn' in sys.modules)") == "True True\n"
    finally:
        stop(km, kc)
    monkeypatch.setenv(warm_kernels.ENV, "off")
    km, kc = start(tmp_path)
    try:
        assert not isinstance(km.provisioner.process, warm_kernels.WarmKernel)
        assert run(kc, "import sys; print('pandas' in sys.modules, 'seaborn' in sys.modules)") == "False False\n"
    finally:
        stop(km, kc)


def test_a_warm_kernel_inherits_the_practice_company_and_the_course_database_equal_to_fresh_ones(server, tmp_path):
    """WARM_UP generated the practice company and read the course's database in the warm process; a
    kernel gets them from the caches, and they are the same, table by table, as those a cold process
    generates and reads (the oracle: this process, caches emptied)."""
    import pandas as pd

    from crmlab.datasets import load_crm, practice_crm, storage
    from crmlab.datasets.practice import _practice

    def digests(crm):
        return sorted((n, int(pd.util.hash_pandas_object(t).sum())) for n, t in crm.items())

    km, kc = start(tmp_path)
    try:
        code = ("from crmlab.datasets import load_crm, practice, practice_crm, storage\n"
                "print(practice._practice.cache_info().currsize, len(storage._COURSE_CACHE))\n"
                "import pandas as pd\n"
                "digests = lambda crm: sorted((n, int(pd.util.hash_pandas_object(t).sum())) for n, t in crm.items())\n"
                "print(digests(practice_crm()))\n"
                "print(digests(load_crm()))")
        cached, practice, course = run(kc, code).splitlines()
    finally:
        stop(km, kc)
    assert cached == "1 1"  # already generated and read when the kernel started
    _practice.cache_clear()
    storage._COURSE_CACHE.clear()
    assert practice == str(digests(practice_crm()))
    assert course == str(digests(load_crm()))


def test_folder_environment_session_and_parent_are_the_kernels_own(server, tmp_path):
    env = dict(os.environ, CRMLAB_TEST_MARK="only-for-this-kernel")
    (tmp_path / "helper_module_here.py").write_text("VALUE = 41\n")
    km, kc = start(tmp_path, env)
    try:
        code = textwrap.dedent("""
            import json, os, sys
            import helper_module_here
            print(json.dumps([os.getcwd(), os.environ.get("CRMLAB_TEST_MARK"), os.getsid(0) == os.getpid(),
                              os.getpgid(0) == os.getpid(), helper_module_here.VALUE, sys.argv[0].endswith(
                              "ipykernel_launcher.py")]))
        """)
        cwd, mark, own_session, own_group, value, argv0 = json.loads(run(kc, code))
        assert Path(cwd) == tmp_path
        assert mark == "only-for-this-kernel"
        assert own_session and own_group
        assert value == 41  # the kernel's folder is on sys.path, as in a cold kernel
        assert argv0
        assert "CRMLAB_TEST_MARK" not in os.environ  # nothing leaked back into this process
    finally:
        stop(km, kc)


def test_two_warm_kernels_draw_different_random_numbers(server, tmp_path):
    draws = []
    for _ in range(2):
        km, kc = start(tmp_path)
        try:
            draws.append(run(kc, "import numpy as np, random; print(np.random.rand(), random.random())"))
        finally:
            stop(km, kc)
    first, second = (d.split() for d in draws)
    assert first[0] != second[0] and first[1] != second[1]


def test_figures_show_inline(server, tmp_path):
    km, kc = start(tmp_path)
    try:
        shown = run(kc, "import matplotlib.pyplot as plt\nplt.plot([1, 2, 3])\nplt.show()")
        assert "DISPLAY image/png,text/plain" in shown
    finally:
        stop(km, kc)


@pytest.mark.parametrize(("code", "status"), [("import os; os._exit(3)", 3),
                                               ("import os, signal; os.kill(os.getpid(), signal.SIGKILL)", -9)])
def test_the_exit_status_is_the_kernels(server, tmp_path, code, status):
    km, kc = start(tmp_path)
    try:
        kc.execute(code)
        process = km.provisioner.process
        assert process.wait(timeout=30) == status
        assert process.poll() == status
    finally:
        stop(km, kc)


@pytest.mark.parametrize("warm", [True, False])
def test_a_graceful_shutdown_runs_the_exit_handlers_and_exits_0(server, tmp_path, monkeypatch, warm):
    """A warm kernel ends with os._exit once the exit handlers have run: a handler the notebook
    registered still writes its file, a file left open is flushed (IPython's handler clears the
    namespace), and the status is 0; a cold kernel (the oracle) does the same."""
    if not warm:
        monkeypatch.setenv(warm_kernels.ENV, "off")
    km, kc = start(tmp_path)
    try:
        assert isinstance(km.provisioner.process, warm_kernels.WarmKernel) is warm
        frozen = run(kc, textwrap.dedent("""
            import atexit, gc
            left_open = open("left-open.txt", "w")
            left_open.write("written, never closed")
            atexit.register(lambda: open("handler.txt", "w").write("the handler ran"))
            print(gc.get_freeze_count() > 0)
        """))
        assert frozen == f"{warm}\n"  # the warm process froze what it imported; a cold kernel froze nothing
        process = km.provisioner.process
        kc.stop_channels()
        km.shutdown_kernel(now=False)  # a shutdown request, as nbclient and papermill send at the end
        assert process.wait(timeout=30) == 0
    finally:
        if km.has_kernel:
            stop(km, kc)
    assert (tmp_path / "handler.txt").read_text() == "the handler ran"
    assert (tmp_path / "left-open.txt").read_text() == "written, never closed"


def test_a_kernel_ends_with_the_process_that_asked_for_it(server, tmp_path):
    script = textwrap.dedent(f"""
        import os, sys
        from jupyter_client.manager import KernelManager
        km = KernelManager(kernel_name="python3")
        km.kernel_spec.metadata["kernel_provisioner"] = {{"provisioner_name": "{warm_kernels.PROVISIONER}"}}
        km.start_kernel(cwd={str(tmp_path)!r})
        print(type(km.provisioner.process).__name__, km.provisioner.pid, flush=True)
        os._exit(0)  # no shutdown: the warm process must notice and kill the kernel
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, **{warm_kernels.ENV: server}))
    kind, pid = done.stdout.split()
    assert kind == "WarmKernel"
    deadline = time.monotonic() + 20
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not Path(f"/proc/{pid}").exists()


def test_other_commands_and_settings_start_cold(server):
    assert warm_kernels.launch(["/bin/sh", "-c", "true"]) is None
    # an import-time setting the warm process was not started with: refused, so started cold
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "/nonexistent.json"]
    assert warm_kernels.launch(argv, env=dict(os.environ, MPLBACKEND="Agg")) is None
    assert warm_kernels.launch(argv, env=dict(os.environ, OMP_NUM_THREADS="7")) is None


def test_the_runner_starts_a_warm_process_for_a_batch_only(tmp_path, monkeypatch):
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    from crmlab.runner import run_jobs

    started = []
    real = warm_kernels.start_server
    monkeypatch.setattr(warm_kernels, "start_server", lambda env=None: started.append(1) or real(env))
    monkeypatch.delenv(warm_kernels.ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    for name in ("00_a.ipynb", "01_b.ipynb"):
        nb = new_notebook(cells=[new_code_cell("import sys\nprint('pandas' in sys.modules)")])
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nbformat.write(nb, tmp_path / name)

    def printed(result) -> str:
        return nbformat.read(result.output, as_version=4).cells[0].outputs[0]["text"]

    (one,) = run_jobs(["00_a.ipynb"], out_dir="build", echo=lambda _: None, html=False)
    assert one.ok and started == [] and printed(one) == "False\n"  # one notebook: a cold kernel
    both = run_jobs(["00_a.ipynb", "01_b.ipynb"], out_dir="build2", echo=lambda _: None, html=False)
    assert all(r.ok for r in both) and started == [1]
    assert [printed(r) for r in both] == ["True\n", "True\n"]  # forked from the warm process
    assert warm_kernels.ENV not in os.environ
