"""environment.yml (conda, Binder) must list what pyproject.toml lists, with the same bounds.

conda cannot be reached on the build machines, so this test is what keeps the file honest.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: conda-forge names that differ from the PyPI names
CONDA_TO_PYPI = {"python-duckdb": "duckdb"}
_REQ = re.compile(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*?)\s*$")


def _parse(requirement: str) -> tuple[str, str]:
    name, spec = _REQ.match(requirement).groups()
    return name.lower().replace("_", "-"), spec.replace(" ", "")


def _pyproject() -> dict[str, str]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    reqs = data["project"]["dependencies"] + [r for group in data["dependency-groups"].values() for r in group]
    return dict(_parse(r) for r in reqs)


def _environment() -> dict[str, str]:
    """Requirements of environment.yml, read line by line (no YAML library needed)."""
    out = {}
    for line in (ROOT / "environment.yml").read_text().splitlines():
        item = re.match(r"^\s*-\s+([^#\s][^#]*?)\s*(#.*)?$", line)
        if not item or item.group(1) in {"pip", "pip:", "-e ."} or item.group(1).startswith(("conda-forge", "-e")):
            continue
        name, spec = _parse(item.group(1))
        if name in {"python"}:
            continue
        out[CONDA_TO_PYPI.get(name, name)] = spec
    return out


def test_environment_parses():
    env = _environment()
    assert "pandas" in env and env["pandas"].startswith(">=")
    assert "duckdb" in env  # mapped from python-duckdb


def test_same_packages_and_lower_bounds():
    assert _environment() == _pyproject()


def test_every_dependency_is_explained():
    for line in (ROOT / "environment.yml").read_text().splitlines():
        if re.match(r"^\s*-\s+[a-z]", line) and ">=" in line:
            assert "#" in line, f"environment.yml: explain where this is used: {line.strip()}"


@pytest.mark.parametrize("python", ["python>=3.11,<3.14"])
def test_same_python(python):
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert data["project"]["requires-python"] == python.removeprefix("python")
    assert f"- {python} " in (ROOT / "environment.yml").read_text()


def test_lock_file_pins_every_dependency():
    lock = (ROOT / "uv.lock").read_text()
    for name in _pyproject():
        assert re.search(rf'^name = "{re.escape(name)}"\nversion = "', lock, re.M), name


def test_browser_driver_is_for_development_only():
    """playwright drives Debian's chromium in tests/test_browser.py; learners never need it."""
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    runtime = {_parse(r)[0] for r in data["project"]["dependencies"]}
    dev = {_parse(r)[0] for r in data["dependency-groups"]["dev"]}
    assert "playwright" in dev and "playwright" not in runtime
    assert "mistune" in runtime  # quiz text is rendered from Markdown at run time
