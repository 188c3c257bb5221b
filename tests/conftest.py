"""Shared fixtures: generated databases (session-wide, they are read-only) and figure cleanup."""

from __future__ import annotations

from contextlib import ExitStack

import matplotlib
import matplotlib.pyplot as plt
import pytest

from crmlab.datasets import generate_crm

matplotlib.use("Agg")


def pytest_configure(config):
    """Kernels started by nbval inherit this: lessons' quizzes never write to the real home folder."""
    import os
    import tempfile

    os.environ["CRMLAB_PROGRESS_DIR"] = tempfile.mkdtemp(prefix="crmlab-test-progress-")
    os.environ.update(loopback_without_proxy(os.environ))  # behind an HTTP proxy, 127.0.0.1 stays direct
    os.environ.pop("CRMLAB_CHECK_MODE", None)  # lessons run with ordinary, never-raising checks
    os.environ.setdefault("OMP_NUM_THREADS", "1")  # nbval kernels: no thread oversubscription on 2 cores
    if not hasattr(config, "workerinput") and config.getoption("numprocesses", None):
        return  # pytest-xdist's controller runs no test: each worker gets its own warm process
    # Every kernel a test starts (nbval's, papermill's, the runner's) is forked from a warm process
    # that has imported the course's libraries (crmlab/warm_kernels.py), unless CRMLAB_WARM_KERNELS=off.
    from jupyter_client.provisioning import KernelProvisionerFactory

    from crmlab import warm_kernels

    config._warm_kernels = ExitStack()  # closed by pytest_unconfigure: the warm process ends with the session
    if config._warm_kernels.enter_context(warm_kernels.serving()):
        KernelProvisionerFactory.instance().default_provisioner_name = warm_kernels.PROVISIONER


# The files that take longest, longest first (test times summed per file, docs/test-time.md). With
# `--dist loadfile --no-loadscope-reorder` (the Makefile's PARALLEL) pytest-xdist hands files to
# workers in collection order, one more each time a worker is nearly done: starting with these, the
# many short files fill in at the end and the workers finish together. (xdist's default order, by
# number of tests, starts with the contract suite's 1,438 quick tests and leaves the browser's 6 slow
# ones to the end.) Only speed depends on this list: a file missing from it runs after these.
SLOWEST_FIRST = (
    "tests/test_browser.py",
    "tests/test_spark_engine.py",
    "tests/test_classroom_grading.py",
    "tests/test_reports.py",
    "tests/test_offline_install.py",
    "tests/test_exercise_notebooks.py",
    "tests/test_browser_dashboards.py",
    "tests/test_runner.py",
    "tests/test_exercise_contract.py",
    "tests/test_foreign_exports.py",
    "tests/test_warm_kernels.py",
    "tests/test_pizza_lessons.py",
    "tests/test_lesson06_own_data.py",
    "tests/test_site.py",
    "tests/test_exercise_mistakes.py",
    "tests/test_docstrings.py",
    "tests/test_voila.py",
)


def pytest_collection_modifyitems(session, config, items):
    """The slowest files first (a stable sort: tests keep their order within a file)."""
    rank = {name: i for i, name in enumerate(SLOWEST_FIRST)}
    root = config.rootpath
    items.sort(key=lambda item: rank.get(item.path.relative_to(root).as_posix(), len(rank)))


def pytest_unconfigure(config):
    if hasattr(config, "_warm_kernels"):
        config._warm_kernels.close()


LOOPBACK = ("127.0.0.1", "localhost", "::1")


def loopback_without_proxy(environ) -> dict[str, str]:
    """NO_PROXY and no_proxy with the loopback names appended to what they already hold."""
    entries = []
    for key in ("NO_PROXY", "no_proxy"):
        entries += [e.strip() for e in environ.get(key, "").split(",") if e.strip()]
    entries += [host for host in LOOPBACK if host not in entries]
    merged = ",".join(dict.fromkeys(entries))
    return {"NO_PROXY": merged, "no_proxy": merged}


@pytest.fixture(scope="session")
def crm():
    """The course's default database, generated afresh (3,000 customers, seed 2024)."""
    return generate_crm()


@pytest.fixture(scope="session")
def big_crm():
    """A larger database, where planted effects show with less noise."""
    return generate_crm(n_customers=20_000, seed=11)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(autouse=True)
def private_progress(tmp_path, monkeypatch):
    """Keep every test's exercise progress log out of the real home folder."""
    monkeypatch.setenv("CRMLAB_PROGRESS_DIR", str(tmp_path / "progress"))
