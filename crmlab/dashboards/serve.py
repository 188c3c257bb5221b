"""``crmlab dashboard NAME``: check the data, then serve a dashboard notebook with Voila on 127.0.0.1.

Voila is started as a child process with the crmlab template (no script or font from a
CDN: see ``jupyter/voila/templates/crmlab``) and idle kernels culled; the data is passed to
the dashboard's kernel in environment variables (:data:`.apps.MAPPING_VARIABLE`,
:data:`.apps.DATA_VARIABLE`).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from crmlab.errors import CrmlabError

from .apps import DASHBOARDS, DATA_VARIABLE, MAPPING_VARIABLE, dashboard_data

__all__ = ["DashboardError", "serve", "template_path", "voila_command"]

_HERE = Path(__file__).resolve().parent
#: Idle kernels are stopped after this many seconds (a dashboard left open in a tab keeps its own).
CULL_SECONDS = 600


class DashboardError(CrmlabError, ValueError):
    """A dashboard that cannot be served: one line saying why and what to do."""


def template_path() -> Path:
    """The folder holding ``voila/templates/crmlab``: inside the wheel, or ``jupyter/`` of a checkout.

    Examples
    --------
    >>> (template_path() / "voila" / "templates" / "crmlab" / "conf.json").is_file()
    True
    """
    for folder in (_HERE, _HERE.parents[1] / "jupyter"):
        if (folder / "voila" / "templates" / "crmlab" / "conf.json").is_file():
            return folder
    raise DashboardError("the crmlab Voila template is missing (jupyter/voila/templates/crmlab); reinstall crmlab")


def voila_command(name: str, port: int = 8866, browser: bool = True) -> list[str]:
    """The Voila command line serving dashboard ``name`` on 127.0.0.1:``port``.

    Examples
    --------
    >>> voila_command("kpi", 9000, browser=False)[4:7]
    ['--Voila.ip=127.0.0.1', '--template=crmlab', '--port=9000']
    """
    if name not in DASHBOARDS:
        raise DashboardError(f"no dashboard {name!r}: give one of {', '.join(DASHBOARDS)}")
    notebook = _HERE / DASHBOARDS[name][0]
    return [sys.executable, "-m", "voila", str(notebook), "--Voila.ip=127.0.0.1", "--template=crmlab",
            f"--port={port}", f"--MappingKernelManager.cull_idle_timeout={CULL_SECONDS}",
            "--MappingKernelManager.cull_interval=60", *([] if browser else ["--no-browser"])]  # fmt: skip


def voila_environment(mapping=None, data=None, base: dict | None = None) -> dict[str, str]:
    """The environment of the Voila server: the data's paths (absolute) and where the template is."""
    env = dict(os.environ if base is None else base)
    for variable, value in ((MAPPING_VARIABLE, mapping), (DATA_VARIABLE, data)):
        if value:
            env[variable] = str(Path(value).resolve())
        else:
            env.pop(variable, None)
    extra = env.get("JUPYTER_PATH")
    env["JUPYTER_PATH"] = str(template_path()) + (os.pathsep + extra if extra else "")
    return env


def serve(name: str, mapping=None, data=None, port: int = 8866, browser: bool = True) -> int:
    """Check that the data loads, then serve dashboard ``name`` until Ctrl-C; Voila's exit status.

    Raises
    ------
    DashboardError
        Unknown dashboard, or data that does not load (the loader's message, in one line).
    """
    command = voila_command(name, port, browser)
    try:
        dashboard_data(mapping, data)
    except (ValueError, OSError) as err:  # the loaders' errors are ValueErrors naming file, column and fix
        raise DashboardError(" ".join(str(err).split())) from None
    print(f"Serving the {name} dashboard ({DASHBOARDS[name][1]}) on http://127.0.0.1:{port}/ ; Ctrl-C stops it.",
          flush=True)  # fmt: skip
    try:
        return subprocess.call(command, env=voila_environment(mapping, data))
    except KeyboardInterrupt:
        return 130
