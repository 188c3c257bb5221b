"""install/offline.py: the course installs on a laptop with no network at all, from a bundle.

The proof (test_install_*): a copy of the course is installed from a bundle for this machine by
`install/offline.py install`, inside `unshare -rn`, a network namespace that has a loopback
interface and nothing else, with an empty uv cache: every file must come from the bundle,
including uv itself and the hatchling that builds crmlab. The bundle is downloaded before the
tests, while the network is allowed (`make test` runs `install/offline.py build --host-only --out
build/offline-host` first; about 400 MB, once per uv.lock). Binder's postBuild is run the same way.

The other tests need neither network nor bundle: which wheel the builder picks for each platform
(on a made-up lock, then on uv.lock), and how the installer refuses a bad bundle.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "install" / "offline.py"
PYTHON = ".".join(map(str, sys.version_info[:2]))
#: files and folders of a checkout that a laptop does not get (see .gitignore)
NOT_COPIED = {".git", ".venv", ".tools", "build", ".pytest_cache", ".ruff_cache", "progress", "reports"}


def _load_script():
    spec = importlib.util.spec_from_file_location("crmlab_offline_installer", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


offline = _load_script()


# --- which wheels a bundle holds, on a made-up lock ------------------------------------------


def _wheel(filename: str) -> dict:
    return {"url": f"https://files.example/{filename}", "hash": "sha256:" + "ab" * 32, "size": 10}


def _req(name: str, version: str, marker: str = "") -> dict:
    return {"name": name, "version": version, "marker": marker, "hashes": []}


FAKE_LOCK = {"package": [
    {"name": "purelib", "version": "1.0", "wheels": [_wheel("purelib-1.0-py3-none-any.whl")]},
    {"name": "winonly", "version": "2.0", "wheels": [_wheel("winonly-2.0-cp311-cp311-win_amd64.whl")]},
    {"name": "posixonly", "version": "1.0", "wheels": [_wheel("posixonly-1.0-py3-none-any.whl")]},
    {"name": "native", "version": "3.0", "wheels": [
        _wheel("native-3.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"),
        _wheel("native-3.0-cp311-cp311-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl"),
        _wheel("native-3.0-cp311-cp311-musllinux_1_2_x86_64.whl"),
        _wheel("native-3.0-cp311-cp311-macosx_14_0_arm64.whl"),
        _wheel("native-3.0-cp311-cp311-macosx_11_0_arm64.whl"),
        _wheel("native-3.0-cp312-cp312-win_amd64.whl"),
    ]},
    {"name": "stable-abi", "version": "1.0", "wheels": [
        _wheel("stable_abi-1.0-cp310-abi3-manylinux_2_34_x86_64.whl"),
        _wheel("stable_abi-1.0-cp310-abi3-win_amd64.whl"),
        _wheel("stable_abi-1.0-cp310-abi3-macosx_11_0_arm64.whl"),
    ]},
    {"name": "soup", "version": "1.0", "wheels": [_wheel("soup-1.0-py3-none-any.whl")]},
    {"name": "soup", "version": "2.0", "wheels": [_wheel("soup-2.0-py3-none-any.whl")]},
]}
FAKE_EXPORT = [
    _req("purelib", "1.0"),
    _req("winonly", "2.0", "sys_platform == 'win32'"),
    _req("posixonly", "1.0", "os_name != 'nt' or (sys_platform != 'emscripten' and sys_platform != 'win32')"),
    _req("native", "3.0"),
    _req("stable-abi", "1.0"),
    _req("soup", "1.0", "python_full_version < '3.11.5'"),
    _req("soup", "2.0", "python_full_version >= '3.11.5'"),
    _req("not-for-311", "9.0", "python_full_version >= '3.12'"),  # not even in the lock: never looked up
]


@pytest.fixture(scope="module")
def fake_plan():
    return offline.plan(FAKE_LOCK, FAKE_EXPORT, ["linux-x86_64", "windows-x86_64", "macos-arm64"], "3.11", "2.28")


def _files(plan: dict, key: str) -> dict[str, str]:
    return {w["name"]: w["filename"] for w in plan[key]["wheels"]}


def test_linux_gets_the_newest_allowed_manylinux_and_reports_what_needs_a_newer_glibc(fake_plan):
    files = _files(fake_plan, "linux-x86_64")
    assert files["native"] == "native-3.0-cp311-cp311-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl"
    assert "winonly" not in files and files["posixonly"] == "posixonly-1.0-py3-none-any.whl"
    assert fake_plan["linux-x86_64"]["missing"] == ["stable-abi==1.0"]  # needs glibc 2.34 > 2.28


def test_windows_gets_its_markers_and_reports_a_package_without_a_cp311_wheel(fake_plan):
    files = _files(fake_plan, "windows-x86_64")
    assert files["winonly"] == "winonly-2.0-cp311-cp311-win_amd64.whl"
    assert files["stable-abi"] == "stable_abi-1.0-cp310-abi3-win_amd64.whl"  # abi3 built for 3.10 runs on 3.11
    assert "posixonly" not in files
    assert fake_plan["windows-x86_64"]["missing"] == ["native==3.0"]  # only a cp312 wheel


def test_macos_wheels_run_on_the_oldest_supported_macos(fake_plan):
    files = _files(fake_plan, "macos-arm64")
    assert files["native"] == "native-3.0-cp311-cp311-macosx_11_0_arm64.whl"  # the 14.0 one needs a newer macOS
    assert fake_plan["macos-arm64"]["missing"] == []


def test_both_sides_of_a_python_micro_version_split_are_bundled(fake_plan):
    """uv.lock may pin one version below 3.11.5 and another above; a laptop can have either."""
    soups = {(w["version"], w["python"]) for w in fake_plan["linux-x86_64"]["wheels"] if w["name"] == "soup"}
    assert soups == {("1.0", "3.11.4"), ("2.0", "3.11.20")}  # pip checks Requires-Python at that version


def test_exported_requirements_are_parsed_with_markers_and_hashes():
    text = ("numpy==2.4.6 ; python_full_version < '3.12' \\\n    --hash=sha256:" + "a" * 64 + " \\\n"
            "    --hash=sha256:" + "b" * 64 + "\n    # via pandas\ncolorama==0.4.6 ; sys_platform == 'win32'\n")
    numpy, colorama = offline.parse_requirements(text)
    assert (numpy["name"], numpy["version"], numpy["marker"]) == ("numpy", "2.4.6", "python_full_version < '3.12'")
    assert numpy["hashes"] == ["a" * 64, "b" * 64]
    assert colorama["marker"] == "sys_platform == 'win32'" and colorama["hashes"] == []


# --- which wheels a bundle holds, on uv.lock -------------------------------------------------


def _uv() -> Path:
    uv = ROOT / ".tools" / "bin" / "uv"
    if not uv.is_file():
        pytest.skip(f"{uv} is missing: `make install` puts it there")
    return uv


def test_uv_lock_has_wheels_for_linux_windows_and_apple_silicon():
    """docs/offline.md says so; a new dependency without such wheels would break the offline install."""
    exported = subprocess.run([_uv(), "export", "--frozen", "--format", "requirements-txt", "--no-emit-project",
                               "--no-header", "--project", ROOT], capture_output=True, text=True, check=True).stdout
    lock = tomllib.loads((ROOT / "uv.lock").read_text(encoding="utf-8"))
    keys = ["linux-x86_64", "windows-x86_64", "macos-arm64"]
    layout = offline.plan(lock, offline.parse_requirements(exported), keys, "3.11", offline.MANYLINUX)
    for key in keys:
        assert layout[key]["missing"] == [], f"{key}: no wheel in uv.lock for {layout[key]['missing']}"
        names = {canonicalize_name(w["name"]) for w in layout[key]["wheels"]}
        assert {"jupyterlab", "pandas", "duckdb", "pyarrow"} <= names
        assert ("pywinpty" in names) == key.startswith("windows")


def test_binder_uses_the_makefiles_uv_and_the_course_python():
    requirements = (ROOT / "binder" / "requirements.txt").read_text(encoding="utf-8").split()
    assert f"uv=={offline.makefile_uv_version(ROOT)}" in requirements
    assert (ROOT / "binder" / "runtime.txt").read_text(encoding="utf-8").strip() == f"python-{offline.PYTHON}"
    assert os.access(ROOT / "binder" / "postBuild", os.X_OK), "repo2docker runs binder/postBuild as a program"


# --- the installer refuses a bundle it cannot trust, before touching anything ---------------


@pytest.fixture
def fake_bundle(tmp_path):
    project = tmp_path / "course"
    (project / "jupyter").mkdir(parents=True)
    for name in ("pyproject.toml", "uv.lock"):
        shutil.copy2(ROOT / name, project / name)
    bundle = tmp_path / "bundle"
    (bundle / "wheels").mkdir(parents=True)
    (bundle / "wheels" / "purelib-1.0-py3-none-any.whl").write_bytes(b"not the file the manifest names")
    manifest = {
        "format": offline.FORMAT, "python": PYTHON, "dev": True, "uv_version": "0.0.0",
        "uv_lock_sha256": offline.sha256(project / "uv.lock"),
        "platforms": {offline.host_platform(): {"missing": [], "uv_wheel": "uv/none.whl", "wheels": 1}},
        "files": {"wheels/purelib-1.0-py3-none-any.whl": {"sha256": "ab" * 32, "size": 31}},
    }
    (bundle / "manifest.json").write_text(json.dumps(manifest))
    return project, bundle, manifest


def _install(project: Path, bundle: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, SCRIPT, "install", "--bundle", bundle, "--project", project, *extra],
                          capture_output=True, text=True, timeout=120)


def test_a_damaged_file_is_named_and_nothing_is_installed(fake_bundle):
    project, bundle, _ = fake_bundle
    done = _install(project, bundle)
    assert done.returncode == 1
    assert "damaged (sha256 differs): wheels/purelib-1.0-py3-none-any.whl" in done.stderr
    assert not (project / ".venv").exists() and not (project / ".tools").exists()


def test_a_bundle_for_another_uv_lock_or_python_or_platform_is_refused(fake_bundle):
    project, bundle, manifest = fake_bundle
    with open(project / "uv.lock", "a", encoding="utf-8") as fh:
        fh.write("\n")
    assert "built for another uv.lock" in _install(project, bundle).stderr
    for change, message in [({"python": "3.99"}, "this bundle is for Python 3.99"),
                            ({"platforms": {"plan9-mips": {}}}, "no wheels for this computer")]:
        (bundle / "manifest.json").write_text(json.dumps({**manifest, **change}))
        done = _install(project, bundle)
        assert done.returncode == 1 and message in done.stderr
    assert not (project / ".venv").exists()


@pytest.mark.skipif(os.name != "posix", reason="the stand-in for uv is a shell script")
def test_the_default_install_compiles_bytecode(fake_bundle):
    """The installer asks uv to byte-compile (the full install below runs with --no-compile, to save time)."""
    project, bundle, _ = fake_bundle
    (project / "jupyter" / "overrides.json").write_text("{}")
    log = project / "uv-calls.txt"
    uv = project / ".tools" / "bin" / "uv"  # where the installer looks first; this one records its arguments
    uv.parent.mkdir(parents=True)
    uv.write_text(f'#!/bin/sh\necho "$@" >> {shlex.quote(str(log))}\n'
                  '[ "$1" = --version ] && echo "uv 0.0.0"\nexit 0\n')  # fmt: skip
    uv.chmod(0o755)
    for extra, compiled in [((), True), (("--no-compile",), False)]:
        log.write_text("")
        done = _install(project, bundle, "--no-verify", *extra)
        assert done.returncode == 0, done.stdout + done.stderr
        installs = [line for line in log.read_text().splitlines() if line.startswith(("pip sync", "pip install"))]
        assert [line.split()[1] for line in installs] == ["sync", "install"], installs
        assert all(("--compile-bytecode" in line.split()) == compiled for line in installs), installs


# --- the proof: an install with no network ---------------------------------------------------


def _host_bundle() -> Path:
    """A bundle holding this machine's wheels for this uv.lock, made before the tests (with network)."""
    lock = offline.sha256(ROOT / "uv.lock")
    given = os.environ.get("CRMLAB_OFFLINE_BUNDLE")
    candidates = [Path(given)] if given else [ROOT / "build" / "offline-host", ROOT / "build" / "offline-bundle"]
    for folder in candidates:
        manifest = folder / "manifest.json"
        if manifest.is_file():
            data = json.loads(manifest.read_text(encoding="utf-8"))
            if (data.get("uv_lock_sha256") == lock and data.get("python") == PYTHON
                    and not data["platforms"].get(offline.host_platform(), {"missing": ["all"]})["missing"]):
                return folder
    reason = (f"no offline bundle for this uv.lock and {offline.host_platform()} in "
              f"{' or '.join(map(str, candidates))}: make one with network first: "
              "python3.11 install/offline.py build --host-only --out build/offline-host (make test does)")
    if os.environ.get("CI"):
        pytest.fail(reason)  # CI must prove it, never skip it
    pytest.skip(reason)


def _no_network() -> list[str]:
    """Prefix that runs a command in a new network namespace: loopback only (and down)."""
    if not sys.platform.startswith("linux") or not shutil.which("unshare"):
        pytest.skip("needs Linux's `unshare -rn` (util-linux) to cut the network")
    probe = subprocess.run(["unshare", "-rn", "true"], capture_output=True, text=True)
    if probe.returncode:
        pytest.skip(f"`unshare -rn` is not permitted here ({probe.stderr.strip()}): cannot cut the network")
    return ["unshare", "-rn"]


def _copy_course(dest: Path) -> Path:
    def ignore(folder, names):
        top = Path(folder) == ROOT
        return {n for n in names if (top and n in NOT_COPIED) or n in {"__pycache__", ".ipynb_checkpoints"}}

    shutil.copytree(ROOT, dest, ignore=ignore)
    return dest


def _offline_env(tmp: Path, **extra: str) -> dict[str, str]:
    """The environment without any uv/pip setting from outside, and an empty uv cache of its own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("UV_", "PIP_", "VIRTUAL_ENV", "CONDA_"))}
    env.update(UV_CACHE_DIR=str(tmp / "uv-cache"), XDG_CONFIG_HOME=str(tmp / "config"), **extra)
    return env


def _interfaces(output: str) -> set[str]:
    table = output.split("-- end of /proc/net/dev")[0].splitlines()[2:]  # two header lines
    return {line.split(":", 1)[0].strip() for line in table if ":" in line}


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A copy of the course installed from the bundle with no network: (project, bundle, output).

    With ``--no-compile``: byte-compiling the 10,948 modules is uv's own work (``--compile-bytecode``,
    which :func:`test_the_default_install_compiles_bytecode` sees the installer ask for), it reads no
    network, and it cost 24 CPU-seconds of the suite's 2 cores (compileall on the same modules).
    """
    bundle = _host_bundle()
    netns = _no_network()
    tmp = tmp_path_factory.mktemp("offline")
    project = _copy_course(tmp / "course")
    # /proc/net/dev lists the interfaces of the namespace the command runs in
    cmd = [*netns, "sh", "-c", 'cat /proc/net/dev && echo "-- end of /proc/net/dev" && exec "$@"', "sh",
           sys.executable, project / "install" / "offline.py", "install", "--bundle", bundle, "--no-compile"]
    done = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, cwd=project,
                          env=_offline_env(tmp), timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    yield project, bundle, done.stdout + done.stderr, tmp
    shutil.rmtree(tmp, ignore_errors=True)  # about 1.5 GB (the venvs are hard links into the uv cache)


def test_install_ran_with_loopback_only_and_an_empty_cache(installed):
    _, _, output, _ = installed
    assert _interfaces(output) == {"lo"}, output[:500]
    assert "bundle verified" in output
    assert "unpacked from the bundle" in output  # uv itself came from the bundle too
    assert "Building crmlab" in output  # built here, by the bundled hatchling


def test_install_gives_the_pins_of_uv_lock_and_crmlab_editable(installed):
    project, bundle, _, _ = installed
    uv = project / ".tools" / "bin" / "uv"
    freeze = subprocess.run([uv, "pip", "freeze", "--python", project / ".venv"],
                            capture_output=True, text=True, check=True).stdout.splitlines()
    got = {tuple(line.split("==")) for line in freeze if "==" in line}
    got = {(canonicalize_name(n), v) for n, v in got}
    wanted = {(canonicalize_name(r["name"]), r["version"])
              for r in offline.parse_requirements((bundle / "requirements.txt").read_text(encoding="utf-8"))
              if not r["marker"] or Marker(r["marker"]).evaluate()}
    assert got == wanted
    assert f"-e file://{project}" in freeze


def test_installed_course_starts_without_network(installed):
    project, _, _, tmp = installed
    netns = _no_network()
    venv_bin = project / ".venv" / "bin"
    code = "import crmlab, pandas, duckdb, sklearn, papermill, voila, ipywidgets; print(crmlab.__file__)"
    done = subprocess.run([*netns, venv_bin / "python", "-c", code], capture_output=True, text=True, cwd=tmp,
                          check=True)
    assert done.stdout.strip() == str(project / "crmlab" / "__init__.py")
    lab = subprocess.run([*netns, venv_bin / "jupyter-lab", "--version"], capture_output=True, text=True,
                         check=True)
    assert lab.stdout.strip().startswith("4.")
    settings = project / ".venv" / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    assert json.loads(settings.read_text()) == json.loads((ROOT / "jupyter" / "overrides.json").read_text())


def test_make_lab_then_needs_no_install(installed):
    """The Makefile's stamp and .tools/bin/uv are in place: `make lab` would not go to the network."""
    project = installed[0]
    if not shutil.which("make"):
        pytest.skip("make is not installed")
    done = subprocess.run(["make", "-q", "-C", project, ".venv/.crmlab-installed"], capture_output=True, text=True)
    assert done.returncode == 0, "make would reinstall: " + done.stdout + done.stderr


def test_binder_postbuild_installs_the_same_pins_without_network(installed):
    """binder/postBuild, pointed at the bundle instead of PyPI: runtime pins, crmlab, Lab settings."""
    project, bundle, _, tmp = installed
    netns = _no_network()
    uv_dir = project / ".tools" / "bin"
    prefix = tmp / "binder-env"
    subprocess.run([uv_dir / "uv", "venv", "-q", prefix, "--python", sys.executable], check=True,
                   env=_offline_env(tmp))
    env = _offline_env(tmp, NB_PYTHON_PREFIX=str(prefix), PATH=f"{uv_dir}{os.pathsep}{os.environ['PATH']}",
                       UV_OFFLINE="1", UV_NO_INDEX="1", UV_FIND_LINKS=str(bundle / "wheels"), UV_COMPILE_BYTECODE="0")
    done = subprocess.run([*netns, project / "binder" / "postBuild"], capture_output=True, text=True, cwd=tmp,
                          env=env, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    settings = prefix / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    assert settings.read_text() == (ROOT / "jupyter" / "overrides.json").read_text()
    check = "import crmlab, jupyterlab, importlib.util as u; print(crmlab.__file__, u.find_spec('pytest'))"
    out = subprocess.run([prefix / "bin" / "python", "-c", check], capture_output=True, text=True, cwd=tmp,
                         check=True).stdout.split()
    assert out == [str(project / "crmlab" / "__init__.py"), "None"]  # no dev group on Binder
