#!/usr/bin/env python3
"""Install crmlab on computers without internet, from a bundle made on a connected one.

On a connected machine, in the course folder (Python 3.11; network to the package index):

    python3.11 install/offline.py build                # Linux x86_64, macOS arm64, Windows x86_64
    python3.11 install/offline.py build --host-only    # only this machine's platform

writes build/offline-bundle/: every wheel uv.lock pins for those platforms (Python 3.11), the
build backend that builds crmlab itself (install/build-requirements.txt), uv's own wheels,
the exported requirements, this script, and manifest.json with the sha256 of every file.

On each laptop, network off, in the course folder (no make needed):

    python3.11 install/offline.py install --bundle /media/usb/offline-bundle   # Linux, macOS
    py -3.11 install\\offline.py install --bundle D:\\offline-bundle            # Windows

checks every file's sha256, puts uv (from the bundle's wheel) into .tools/ if it is missing,
creates .venv with `uv pip sync --require-hashes --offline --no-index --find-links <bundle>/wheels`
of the pins exported from uv.lock, builds crmlab itself (editable) with the bundled hatchling,
copies jupyter/overrides.json into .venv as `make install` does, and says how to start the course.

Standard library only: `build` runs pip and uv from a private tools venv (build/offline-tools),
`install` runs the bundle's uv. docs/offline.md is the guide.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import tomllib
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
FORMAT = 1
PYTHON = "3.11"  # the course's tested Python; the wheels of a bundle are for one Python version
MANYLINUX = "2.28"  # oldest glibc the Linux wheels must run on (Debian 10, Ubuntu 20.04, RHEL 8)
MACOS = {"arm64": "12.0", "x86_64": "12.0"}  # oldest macOS the wheels must run on
# macos-x86_64 (Intel Macs) is left out: uv.lock's argon2-cffi-bindings has no wheel for it
DEFAULT_PLATFORMS = ["linux-x86_64", "macos-arm64", "windows-x86_64"]
#: marker environment of each platform a bundle can target (PEP 508 names)
PLATFORMS = {
    "linux-x86_64": {"sys_platform": "linux", "os_name": "posix", "platform_system": "Linux",
                     "platform_machine": "x86_64"},
    "linux-aarch64": {"sys_platform": "linux", "os_name": "posix", "platform_system": "Linux",
                      "platform_machine": "aarch64"},
    "macos-arm64": {"sys_platform": "darwin", "os_name": "posix", "platform_system": "Darwin",
                    "platform_machine": "arm64"},
    "macos-x86_64": {"sys_platform": "darwin", "os_name": "posix", "platform_system": "Darwin",
                     "platform_machine": "x86_64"},
    "windows-x86_64": {"sys_platform": "win32", "os_name": "nt", "platform_system": "Windows",
                       "platform_machine": "AMD64"},
    "windows-arm64": {"sys_platform": "win32", "os_name": "nt", "platform_system": "Windows",
                      "platform_machine": "ARM64"},
}
TOOLS_ENV = "CRMLAB_OFFLINE_TOOLS"  # set when `build` re-runs itself inside the tools venv


class BundleError(SystemExit):
    """A problem the user can act on: printed as one message, exit status 1."""

    def __init__(self, message: str):
        super().__init__(f"offline.py: {message}")


# ---------------------------------------------------------------------------------------------
# shared by build and install (standard library only)


def host_platform() -> str:
    """This computer's platform key, as used in a bundle: linux-x86_64, macos-arm64, windows-x86_64 ..."""
    system = {"linux": "linux", "darwin": "macos", "win32": "windows"}.get(sys.platform, sys.platform)
    machine = platform.machine().lower()
    machine = {"amd64": "x86_64", "x64": "x86_64", "arm64": "arm64", "aarch64": "aarch64"}.get(machine, machine)
    if system == "macos" and machine == "aarch64":
        machine = "arm64"
    if system in {"linux", "windows"} and machine == "arm64":
        machine = "aarch64" if system == "linux" else "arm64"
    return f"{system}-{machine}"


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def find_project(given: str | None) -> Path:
    """The course folder: --project, else the folder this script's install/ sits in, else the cwd."""
    for candidate in ([Path(given)] if given else [HERE.parent, Path.cwd()]):
        if (candidate / "pyproject.toml").is_file() and (candidate / "uv.lock").is_file():
            return candidate.resolve()
    where = given or f"{HERE.parent} or {Path.cwd()}"
    raise BundleError(f"no course folder (pyproject.toml and uv.lock) at {where}: pass --project DIR")


def makefile_uv_version(project: Path) -> str | None:
    """UV_VERSION of the Makefile: the uv that `make install` uses."""
    makefile = project / "Makefile"
    if makefile.is_file():
        found = re.search(r"^UV_VERSION\s*:?=\s*(\S+)", makefile.read_text(encoding="utf-8"), re.M)
        if found:
            return found.group(1)
    return None


def uv_version(exe: Path) -> str | None:
    try:
        out = subprocess.run([str(exe), "--version"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    found = re.match(r"uv (\S+)", out)
    return found.group(1) if found else None


def shown(cmd: list) -> str:
    """The command as printed: a run of `--platform TAG` options is shortened to the first and a count."""
    words, i = [], 0
    while i < len(cmd):
        n = 0
        while cmd[i + 2 * n: i + 2 * n + 1] == ["--platform"] and i + 2 * n + 1 < len(cmd):
            n += 1
        if n > 1:
            words += ["--platform", str(cmd[i + 1]), f"... ({n} platform tags)"]
            i += 2 * n
        else:
            words.append(str(cmd[i]))
            i += 1
    return " ".join(words)


def run(cmd: list, **kwargs) -> None:
    print("+", shown(cmd), flush=True)
    done = subprocess.run([str(c) for c in cmd], **kwargs)
    if done.returncode:
        raise BundleError(f"this command failed (exit status {done.returncode}): {shown(cmd)}")


def verify(bundle: Path, manifest: dict, only: set[str] | None = None) -> int:
    """Check size and sha256 of the bundle's files against the manifest; return the bytes checked."""
    bad, total = [], 0
    for rel, meta in sorted(manifest["files"].items()):
        if only is not None and rel not in only:
            continue
        path = bundle / rel
        if not path.is_file():
            bad.append(f"missing: {rel}")
        elif path.stat().st_size != meta["size"] or sha256(path) != meta["sha256"]:
            bad.append(f"damaged (sha256 differs): {rel}")
        else:
            total += meta["size"]
    if bad:
        shown = "\n  ".join(bad[:20]) + ("\n  ..." if len(bad) > 20 else "")
        raise BundleError(f"the bundle at {bundle} is incomplete or damaged; copy it again:\n  {shown}")
    return total


def read_manifest(bundle: Path) -> dict:
    path = bundle / "manifest.json"
    if not path.is_file():
        raise BundleError(f"{path} does not exist: pass the folder made by `offline.py build` as --bundle")
    manifest = json.loads(path.read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT:
        raise BundleError(f"{path} has format {manifest.get('format')}; this script reads format {FORMAT}")
    return manifest


# ---------------------------------------------------------------------------------------------
# install (on the laptop: standard library and the bundle's uv only)


def ensure_uv(project: Path, bundle: Path, manifest: dict, key: str) -> Path:
    """uv of the bundle's version: .tools/bin/uv if it is that version, else unpacked from the bundle."""
    want = manifest["uv_version"]
    windows = os.name == "nt"
    exe = "uv.exe" if windows else "uv"
    standard = project / ".tools" / ("Scripts" if windows else "bin") / exe  # where `make install` puts it
    private = project / ".tools" / f"uv-{want}" / exe
    for candidate in (standard, private):
        if candidate.is_file() and uv_version(candidate) == want:
            return candidate
    target = private if standard.exists() else standard
    wheel = bundle / manifest["platforms"][key]["uv_wheel"]
    with zipfile.ZipFile(wheel) as zf:
        members = [m for m in zf.namelist() if m.endswith(f".data/scripts/{exe}")]
        if len(members) != 1:
            raise BundleError(f"{wheel} holds no {exe}")
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".partial")
        with zf.open(members[0]) as src, open(partial, "wb") as dst:
            shutil.copyfileobj(src, dst)
    partial.chmod(partial.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    os.replace(partial, target)
    if uv_version(target) != want:
        raise BundleError(f"{target} (from {wheel.name}) does not run here")
    print(f"uv {want} unpacked from the bundle into {target}")
    return target


def start_hint(project: Path) -> str:
    url = "--LabApp.default_url=/lab/tree/notebooks/00_welcome.ipynb --ServerApp.ip=127.0.0.1"
    if os.name == "nt":
        return (f"Start the course:\n    cd {project}\n    .venv\\Scripts\\jupyter-lab.exe {url}\n"
                "(add .venv\\Scripts to PATH, or activate .venv\\Scripts\\activate, for the `crmlab` command)")
    make = "    make lab          # same thing, where make is installed\n" if shutil.which("make") else ""
    return (f"Start the course:\n    cd {project}\n    .venv/bin/jupyter lab {url}\n{make}"
            "(`source .venv/bin/activate` first puts the `crmlab` command on PATH)")


def cmd_install(args) -> None:
    started = time.monotonic()
    if args.bundle is None and not (HERE / "manifest.json").is_file():
        raise BundleError("pass --bundle DIR: the folder made by `offline.py build`")
    bundle = Path(args.bundle).resolve() if args.bundle else HERE
    project = find_project(args.project)
    manifest = read_manifest(bundle)
    python = ".".join(map(str, sys.version_info[:2]))
    if python != manifest["python"]:
        launcher = f"py -{manifest['python']}" if os.name == "nt" else f"python{manifest['python']}"
        raise BundleError(f"this bundle is for Python {manifest['python']}, and this is Python {python}: "
                          f"run it with {launcher}")
    key = host_platform()
    target = manifest["platforms"].get(key)
    if target is None:
        raise BundleError(f"the bundle has no wheels for this computer ({key}); it holds "
                          f"{', '.join(manifest['platforms'])}. Build one with --platform {key}")
    if target["missing"]:
        raise BundleError(f"the bundle is incomplete for {key}: no wheel of "
                          f"{', '.join(target['missing'])} (see docs/offline.md)")
    lock = project / "uv.lock"
    if sha256(lock) != manifest["uv_lock_sha256"]:
        raise BundleError(f"the bundle was built for another uv.lock than {lock}: "
                          "rebuild it from this version of the course, or copy the course it was built from")
    if not args.no_verify:
        wanted = {rel for rel in manifest["files"] if not rel.startswith("uv/")} | {target["uv_wheel"]}
        checked = verify(bundle, manifest, wanted)
        print(f"bundle verified: {len(wanted)} files, {checked / 1e6:.0f} MB, sha256 as in manifest.json")

    uv = ensure_uv(project, bundle, manifest, key)
    venv = project / ".venv"
    env = dict(os.environ)
    for name in ("UV_INDEX_URL", "UV_EXTRA_INDEX_URL", "UV_INDEX", "UV_DEFAULT_INDEX", "UV_FIND_LINKS"):
        env.pop(name, None)
    env.update(UV_PYTHON_DOWNLOADS="never", UV_OFFLINE="1",
               UV_NO_INDEX="1", UV_COMPILE_BYTECODE="0" if args.no_compile else "1")
    # `uv sync --frozen` fetches each wheel from the URL written in uv.lock, so it cannot use
    # --find-links; the same pins exported from that lock (with its sha256 hashes) can.
    wheels = bundle / "wheels"
    offline = ["--offline", "--no-index", "--find-links", wheels]
    cfg = venv / "pyvenv.cfg"  # a .venv of another Python is made anew, one of this Python kept and synced
    same = cfg.is_file() and re.search(rf"^version_info = {re.escape(python)}\.", cfg.read_text(encoding="utf-8"), re.M)
    run([uv, "venv", venv, "--python", sys.executable, "--allow-existing" if same else "--clear", "--no-project",
         "--prompt", manifest.get("project", "crmlab")], env=env, cwd=project)
    compile_ = [] if args.no_compile else ["--compile-bytecode"]
    run([uv, "pip", "sync", "--python", venv, "--require-hashes", *offline, *compile_,
         bundle / "requirements.txt"], env=env, cwd=project)
    # crmlab itself, editable as `uv sync` installs it, built by the bundled hatchling
    run([uv, "pip", "install", "--python", venv, "--no-deps", *offline, *compile_,
         "--build-constraints", bundle / "build-requirements.txt", "--editable", project], env=env, cwd=project)
    run([uv, "pip", "check", "--python", venv], env=env, cwd=project)

    settings = venv / "share" / "jupyter" / "lab" / "settings"
    settings.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(project / "jupyter" / "overrides.json", settings / "overrides.json")
    (venv / ".crmlab-installed").touch()  # the Makefile's stamp: `make lab` now starts without installing
    print(f"\ncrmlab is installed in {venv} ({time.monotonic() - started:.0f} s, without network).\n")
    print(start_hint(project))


def cmd_verify(args) -> None:
    bundle = Path(args.bundle).resolve()
    manifest = read_manifest(bundle)
    checked = verify(bundle, manifest)
    print(f"{len(manifest['files'])} files, {checked / 1e6:.0f} MB: every sha256 matches manifest.json")
    for key, target in manifest["platforms"].items():
        state = "complete" if not target["missing"] else "missing " + ", ".join(target["missing"])
        print(f"  {key:15} {target['wheels']:4} wheels  {state}")


# ---------------------------------------------------------------------------------------------
# build (on a connected machine; runs inside the tools venv, which has pip, uv and packaging)


def parse_requirements(text: str) -> list[dict]:
    """`name==version ; marker` lines with their --hash options (uv export, pip-compile format)."""
    out = []
    for line in re.sub(r"\\\n", " ", text).splitlines():
        line = line.split(" #", 1)[0].strip()
        if not line or line.startswith(("#", "-")):
            continue
        hashes = re.findall(r"--hash=sha256:([0-9a-f]{64})", line)
        spec = re.sub(r"\s--hash=\S+", "", line).strip()
        requirement, _, marker = spec.partition(";")
        name, _, version = requirement.strip().partition("==")
        if not version:
            raise BundleError(f"not pinned with ==: {line}")
        out.append({"name": name.strip(), "version": version.strip(), "marker": marker.strip(), "hashes": hashes})
    return out


def platform_tags(key: str, manylinux: str) -> list[str]:
    """Platform tags a wheel may carry for `key`, best first (as pip's --platform takes them)."""
    from packaging.tags import mac_platforms

    system, machine = key.split("-", 1)
    if system == "linux":
        newest = int(manylinux.split(".")[1])
        tags = [f"manylinux_2_{minor}_{machine}" for minor in range(newest, 16, -1)]
        tags.append(f"manylinux2014_{machine}")
        if machine == "x86_64":
            tags += [f"manylinux_2_{minor}_{machine}" for minor in range(16, 4, -1)]
            tags += [f"manylinux2010_{machine}", f"manylinux1_{machine}"]
        return tags
    if system == "macos":
        major, minor = (int(part) for part in MACOS[machine].split("."))
        return list(mac_platforms((major, minor), machine))
    if system == "windows":
        return ["win_amd64" if machine == "x86_64" else "win_arm64"]
    raise BundleError(f"unknown platform {key}")


def plan(lock: dict, exported: list[dict], keys: list[str], python: str, manylinux: str) -> dict:
    """For each platform: the lock's wheel to download for every requirement it needs, or what lacks one.

    Markers are evaluated for that platform and every micro version of `python` (uv.lock splits
    some packages at 3.11.5, for instance); pip is later told that micro version, so that it
    checks each wheel's Requires-Python the way the laptop will.
    """
    from packaging.markers import Marker
    from packaging.tags import compatible_tags, cpython_tags
    from packaging.utils import canonicalize_name, parse_wheel_filename

    major, minor = (int(p) for p in python.split("."))
    probes = [f"{major}.{minor}.{micro}" for micro in range(0, 21)]
    packages = {(canonicalize_name(p["name"]), p["version"]): p for p in lock["package"]}
    result = {}
    for key in keys:
        plats = platform_tags(key, manylinux)
        abi = f"cp{major}{minor}"
        tags = list(cpython_tags((major, minor), [abi], plats)) + list(compatible_tags((major, minor), abi, plats))
        rank = {tag: i for i, tag in enumerate(tags)}
        chosen, missing = [], []
        for req in exported:
            true_at = [v for v in probes if not req["marker"] or Marker(req["marker"]).evaluate(
                {**PLATFORMS[key], "python_full_version": v, "python_version": python,
                 "implementation_name": "cpython", "platform_python_implementation": "CPython",
                 "implementation_version": v, "platform_release": "", "platform_version": ""})]
            if not true_at:
                continue
            package = packages[(canonicalize_name(req["name"]), req["version"])]
            best = None
            for wheel in package.get("wheels", []):
                filename = wheel["url"].rsplit("/", 1)[1]
                score = min((rank[t] for t in parse_wheel_filename(filename)[3] if t in rank), default=None)
                if score is not None and (best is None or score < best[0]):
                    best = (score, filename, wheel)
            if best is None:
                missing.append(f"{req['name']}=={req['version']}")
                continue
            _, filename, wheel = best
            chosen.append({"name": req["name"], "version": req["version"], "filename": filename,
                           "sha256": wheel["hash"].removeprefix("sha256:"), "size": wheel.get("size"),
                           "python": true_at[-1]})
        result[key] = {"platform_tags": plats, "wheels": chosen, "missing": missing}
    return result


def pip_download(tools_python: Path, lines: list[str], dest: Path, flags: list[str]) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    try:
        run([tools_python, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--disable-pip-version-check",
             "--no-input", "--progress-bar", "off", "-q", "-d", dest, "-r", fh.name, *flags])
    finally:
        os.unlink(fh.name)


def build_in_tools(args) -> None:
    from packaging.utils import canonicalize_name, parse_wheel_filename

    project = find_project(args.project)
    out = Path(args.out or project / "build" / "offline-bundle").resolve()
    uv_ver = args.uv_version or makefile_uv_version(project)
    keys = [host_platform()] if args.host_only else (args.platform or DEFAULT_PLATFORMS)
    for key in keys:
        if key not in PLATFORMS:
            raise BundleError(f"unknown platform {key}; known: {', '.join(PLATFORMS)}")
    tools_python = Path(sys.executable)
    uv = Path(os.environ["CRMLAB_OFFLINE_UV"])
    started = time.monotonic()

    # 1. the pins of uv.lock for Python 3.11, as uv exports them (with the lock's hashes)
    with tempfile.TemporaryDirectory() as scratch:
        export_cmd = [uv, "export", "--frozen", "--format", "requirements-txt", "--no-emit-project",
                      "--project", project, "--no-header", "-o", Path(scratch) / "requirements.txt"]
        if args.no_dev:
            export_cmd.append("--no-dev")
        run(export_cmd, stdout=subprocess.DEVNULL)
        requirements = (Path(scratch) / "requirements.txt").read_text(encoding="utf-8")
    exported = parse_requirements(requirements)
    lock = tomllib.loads((project / "uv.lock").read_text(encoding="utf-8"))
    layout = plan(lock, exported, keys, args.python, args.manylinux)
    if args.dry_run:
        unique = {w["filename"]: w["size"] or 0 for key in keys for w in layout[key]["wheels"]}
        print(f"{len(unique)} wheels, {sum(unique.values()) / 1e6:.0f} MB (without uv and hatchling)")
        for key in keys:
            wheels = layout[key]["wheels"]
            size = sum(w["size"] or 0 for w in wheels)
            state = "complete" if not layout[key]["missing"] else "no wheel of " + ", ".join(layout[key]["missing"])
            print(f"  {key:15} {len(wheels):4} wheels {size / 1e6:6.0f} MB  {state}")
        return
    (out / "wheels").mkdir(parents=True, exist_ok=True)
    (out / "manifest.json").unlink(missing_ok=True)  # a build stopped half-way is no bundle
    (out / "requirements.txt").write_text(requirements, encoding="utf-8")

    # 2. those wheels, each file once, checked against the lock's sha256 by pip's hash-checking mode
    wanted: dict[str, dict] = {}
    for key in keys:
        groups: dict[str, list[str]] = {}
        for wheel in layout[key]["wheels"]:
            if wheel["filename"] in wanted:
                continue
            wanted[wheel["filename"]] = wheel
            if (out / "wheels" / wheel["filename"]).is_file() and sha256(out / "wheels" / wheel["filename"]) == \
                    wheel["sha256"]:
                continue
            groups.setdefault(wheel["python"], []).append(
                f"{wheel['name']}=={wheel['version']} --hash=sha256:{wheel['sha256']}")
        for python_version, lines in groups.items():
            print(f"{key}: downloading {len(lines)} wheels (Python {python_version})", flush=True)
            flags = ["--implementation", "cp", "--python-version", python_version, "--abi",
                     "cp" + args.python.replace(".", "")]
            for tag in layout[key]["platform_tags"]:
                flags += ["--platform", tag]
            pip_download(tools_python, lines, out / "wheels", flags)

    # 3. the build backend (pure-Python wheels), pinned with hashes in install/build-requirements.txt
    backend_file = Path(args.build_requirements or HERE / "build-requirements.txt")
    backend = parse_requirements(backend_file.read_text(encoding="utf-8"))
    pip_download(tools_python, [f"{r['name']}=={r['version']} " + " ".join(f"--hash=sha256:{h}" for h in r["hashes"])
                                for r in backend], out / "wheels", [])
    shutil.copyfile(backend_file, out / "build-requirements.txt")
    backend_pins = {(canonicalize_name(r["name"]), r["version"]) for r in backend}
    for path in (out / "wheels").glob("*.whl"):
        name, version, _, _ = parse_wheel_filename(path.name)
        if (name, str(version)) in backend_pins:
            wanted[path.name] = {"name": name, "version": str(version)}
    if len([w for w in wanted.values() if (canonicalize_name(w["name"]), w["version"]) in backend_pins]) \
            < len(backend_pins):
        raise BundleError(f"pip did not download every wheel of {backend_file}")

    # 4. uv itself, one wheel per platform (a wheel is a zip: the laptop unpacks the binary from it)
    uv_wheels = {}
    for key in keys:
        folder = out / "uv" / key
        found = sorted(folder.glob(f"uv-{uv_ver}-*.whl")) if folder.is_dir() else []
        if len(found) != 1:
            shutil.rmtree(folder, ignore_errors=True)
            flags = []
            for tag in platform_tags(key, args.manylinux):
                flags += ["--platform", tag]
            print(f"{key}: downloading uv {uv_ver}", flush=True)
            pip_download(tools_python, [f"uv=={uv_ver}"], folder, flags)
            found = sorted(folder.glob(f"uv-{uv_ver}-*.whl"))
        uv_wheels[key] = found[0].relative_to(out).as_posix()
    for folder in (out / "uv").iterdir():
        if folder.name not in keys:
            shutil.rmtree(folder)

    # 5. drop what an earlier build left that this one does not need; the installer; the manifest
    for path in (out / "wheels").iterdir():
        if path.name not in wanted:
            print(f"removing {path.name}: not in this bundle any more")
            path.unlink()
    shutil.copyfile(Path(__file__).resolve(), out / "offline.py")
    files = {}
    for path in sorted(out.rglob("*")):
        rel = path.relative_to(out).as_posix()
        if path.is_file() and rel not in {"manifest.json", "SHA256SUMS"}:
            files[rel] = {"sha256": sha256(path), "size": path.stat().st_size}
    for name, wheel in wanted.items():
        if "sha256" in wheel and files[f"wheels/{name}"]["sha256"] != wheel["sha256"]:
            raise BundleError(f"wheels/{name} differs from the sha256 in uv.lock")
    platforms = {}
    for key in keys:
        names = {w["filename"] for w in layout[key]["wheels"]}
        platforms[key] = {
            "wheels": len(names) + len(backend_pins),
            "bytes": sum(files[f"wheels/{n}"]["size"] for n in names),
            "missing": layout[key]["missing"],
            "uv_wheel": uv_wheels[key],
            "platform_tags": layout[key]["platform_tags"],
        }
    manifest = {
        "format": FORMAT,
        "project": tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))["project"]["name"],
        "python": args.python,
        "dev": not args.no_dev,
        "uv_version": uv_ver,
        "uv_lock_sha256": sha256(project / "uv.lock"),
        "build_backend": sorted(f"{n}=={v}" for n, v in backend_pins),
        "manylinux": args.manylinux,
        "macos": MACOS,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "platforms": platforms,
        "files": files,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    (out / "SHA256SUMS").write_text("".join(f"{m['sha256']}  {rel}\n" for rel, m in files.items()),
                                    encoding="utf-8")

    total = sum(m["size"] for m in files.values())
    print(f"\n{out}: {len(files)} files, {total / 1e6:.0f} MB, built in {time.monotonic() - started:.0f} s")
    for key, target in platforms.items():
        state = "complete" if not target["missing"] else "INCOMPLETE, no wheel of " + ", ".join(target["missing"])
        print(f"  {key:15} {target['wheels']:4} wheels {target['bytes'] / 1e6:6.0f} MB  {state}")
    if any(t["missing"] for t in platforms.values()):
        print("An incomplete platform cannot install offline; the others can.")
    print("Copy the whole folder to the laptops; there, in the course folder: "
          "python3.11 install/offline.py install --bundle <that folder>")


def cmd_build(args, argv: list[str]) -> None:
    """Create (once) the tools venv with pip, uv and packaging; then run the build inside it."""
    if os.environ.get(TOOLS_ENV):
        return build_in_tools(args)
    project = find_project(args.project)
    uv_ver = args.uv_version or makefile_uv_version(project)
    if not uv_ver:
        raise BundleError("no UV_VERSION in the Makefile: pass --uv-version")
    tools = Path(args.tools or project / "build" / "offline-tools").resolve()
    windows = os.name == "nt"
    tools_python = tools / ("Scripts/python.exe" if windows else "bin/python")
    tools_uv = tools / ("Scripts/uv.exe" if windows else "bin/uv")
    if not tools_python.is_file():
        run([sys.executable, "-m", "venv", tools])
    ready = subprocess.run([tools_python, "-c", "import packaging.tags, pip"], capture_output=True).returncode == 0
    if not ready or uv_version(tools_uv) != uv_ver:
        run([tools_python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
             f"uv=={uv_ver}", "packaging>=24"])
    env = dict(os.environ, **{TOOLS_ENV: "1", "CRMLAB_OFFLINE_UV": str(tools_uv)})
    done = subprocess.run([tools_python, str(Path(__file__).resolve()), *argv], env=env)
    if done.returncode:
        sys.exit(done.returncode)


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="docs/offline.md explains the whole procedure.")
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="on a connected machine: download everything into a bundle folder")
    b.add_argument("--out", help="bundle folder (default: build/offline-bundle)")
    b.add_argument("--platform", action="append", metavar="KEY",
                   help=f"one of {', '.join(PLATFORMS)}; repeatable (default: {' '.join(DEFAULT_PLATFORMS)})")
    b.add_argument("--host-only", action="store_true", help="only this machine's platform")
    b.add_argument("--no-dev", action="store_true",
                   help="leave out the dev group (pytest, playwright, sphinx ...): enough for learners")
    b.add_argument("--dry-run", action="store_true", help="only report which platforms the lock fully covers")
    b.add_argument("--python", default=PYTHON, help=f"Python version of the laptops (default {PYTHON})")
    b.add_argument("--manylinux", default=MANYLINUX, help=f"newest glibc a Linux wheel may need (default {MANYLINUX})")
    b.add_argument("--uv-version", help="default: UV_VERSION of the Makefile")
    b.add_argument("--build-requirements", help="default: install/build-requirements.txt")
    b.add_argument("--tools", help="venv holding pip, uv and packaging for the build (default: build/offline-tools)")
    b.add_argument("--project", help="course folder (default: the one holding this script)")
    i = sub.add_parser("install", help="on a laptop, network off: create .venv from a bundle")
    i.add_argument("--bundle", help="the folder made by `build` (e.g. on a USB stick); default: the folder "
                   "holding this script, when it is the bundle's own copy")
    i.add_argument("--project", help="course folder (default: the one holding this script)")
    i.add_argument("--no-verify", action="store_true", help="skip checking the sha256 of the bundle's files")
    i.add_argument("--no-compile", action="store_true",
                   help="do not compile bytecode now (faster install, slower first imports)")
    v = sub.add_parser("verify", help="check every file of a bundle against its manifest")
    v.add_argument("--bundle", required=True)
    args = parser.parse_args(argv)
    if args.command == "build":
        cmd_build(args, argv)
    elif args.command == "install":
        cmd_install(args)
    else:
        cmd_verify(args)


if __name__ == "__main__":
    main()
