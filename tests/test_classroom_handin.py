"""`crmlab handin`: one zip of the learner's progress and notebooks, exactly the files promised."""

from __future__ import annotations

import hashlib
import json
import re
import zipfile
from datetime import UTC, datetime, timedelta

import pytest
from test_cli import _run

import crmlab.classroom.handin as handin_module
from crmlab.classroom import HandinError, extract_handin, make_handin, read_handin
from crmlab.classroom.handin import handin_name, learner_slug
from crmlab.exercises import ProgressLog

NAME_PATTERN = re.compile(r"^sara-ahmadi-(\d{8}-\d{6})\.crmlab-handin\.zip$")




@pytest.fixture
def course(tmp_path, monkeypatch):
    """A learner's course folder (the current folder) and progress folder, with a name set."""
    progress, work = tmp_path / "progress", tmp_path / "course"
    monkeypatch.setenv("CRMLAB_PROGRESS_DIR", str(progress))
    monkeypatch.delenv("CRMLAB_LEARNER_NAME", raising=False)
    (work / "exercises" / ".ipynb_checkpoints").mkdir(parents=True)
    monkeypatch.chdir(work)
    return work, progress


def _notebook(path, text="print(1)"):
    cell = {"cell_type": "code", "metadata": {}, "source": text, "outputs": [], "execution_count": None}
    path.write_text(json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    return path


def test_handin_bundles_exactly_the_logs_and_exercise_notebooks(course, capsys):
    work, progress = course
    assert _run(["name", "Sara Ahmadi"], capsys)[0] == 0
    log = ProgressLog()
    log.append("00_welcome", {"event": "check", "question": "q1", "status": "correct"})
    log.append("05_rfm", {"event": "hint", "question": "q2", "hint": 1})
    (progress / "05_rfm.jsonl").open("ab").write(b'{"torn": ')  # a torn last line goes in byte for byte
    (progress / "notes.txt").write_text("not a log")
    (progress / "certificates").mkdir()
    (progress / "certificates" / "00_welcome.html").write_text("<p>certificate</p>")
    first = _notebook(work / "exercises" / "00_welcome_exercises.ipynb", "x = 1")
    second = _notebook(work / "exercises" / "05_rfm_exercises.ipynb", "y = 'سلام'")
    _notebook(work / "exercises" / "scratch.ipynb")
    _notebook(work / "exercises" / ".ipynb_checkpoints" / "00_welcome_exercises-checkpoint.ipynb")
    (work / "exercises" / "data.csv").write_text("a,b\n")

    before = datetime.now(UTC).replace(microsecond=0)
    status, out, err = _run(["handin"], capsys)
    after = datetime.now(UTC)
    assert (status, err) == (0, "")
    [made] = [p for p in work.iterdir() if p.suffix == ".zip"]
    assert NAME_PATTERN.match(made.name)
    assert out == ("Handed in 2 lesson log(s) and 2 notebook(s) of Sara Ahmadi (notebooks up to 20 MB each).\n"
                   f"Send this file to your instructor: {made.name}\n")  # fmt: skip

    sources = {
        "progress/00_welcome.jsonl": progress / "00_welcome.jsonl",
        "progress/05_rfm.jsonl": progress / "05_rfm.jsonl",
        "progress/learner.json": progress / "learner.json",
        "notebooks/00_welcome_exercises.ipynb": first,
        "notebooks/05_rfm_exercises.ipynb": second,
    }
    with zipfile.ZipFile(made) as archive:
        assert sorted(archive.namelist()) == sorted([*sources, "manifest.json"])
        for member, source in sources.items():
            assert archive.read(member) == source.read_bytes(), member
        manifest = json.loads(archive.read("manifest.json"))
    assert set(manifest) == {"format", "version", "learner", "created", "crmlab_version", "files"}
    assert (manifest["format"], manifest["version"], manifest["learner"]) == ("crmlab-handin", 1, "Sara Ahmadi")
    assert manifest["files"] == {m: hashlib.sha256(p.read_bytes()).hexdigest() for m, p in sources.items()}
    created = datetime.fromisoformat(manifest["created"])
    assert created.utcoffset() == timedelta(0) and before <= created <= after
    assert NAME_PATTERN.match(made.name).group(1) == created.strftime("%Y%m%d-%H%M%S")
    assert manifest["crmlab_version"] == __import__("crmlab").__version__


def test_handin_options_choose_the_folders(course, tmp_path, capsys):
    work, progress = course
    ProgressLog().append("00_welcome", {"event": "solution", "question": "q1"})
    mine = tmp_path / "my notebooks"
    mine.mkdir()
    _notebook(mine / "00_welcome_exercises.ipynb")
    other = tmp_path / "elsewhere"
    other.mkdir()
    (other / "p").mkdir()
    assert _run(["name", "--dir", str(other / "p"), "Reza"], capsys)[0] == 0
    ProgressLog(other / "p").append("01_crm_goals", {"event": "hint", "question": "q1", "hint": 1})
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    status, out, err = _run(["handin", "--out", str(out_dir), "--notebooks", str(mine), "--dir", str(other / "p")],
                            capsys)  # fmt: skip
    assert (status, err) == (0, "")
    [made] = list(out_dir.iterdir())
    handin = read_handin(made)
    assert handin.learner == "Reza" and made.name.startswith("reza-")
    assert handin.lessons == ["01_crm_goals"] and handin.notebooks == ["00_welcome_exercises.ipynb"]
    assert not list(work.glob("*.zip"))


def test_no_learner_name_is_refused_with_the_command_to_run(course, capsys):
    ProgressLog().append("00_welcome", {"event": "check", "question": "q1", "status": "correct"})
    status, out, err = _run(["handin"], capsys)
    assert (status, out) == (2, "")
    assert err.count("\n") == 1 and err.startswith("crmlab handin: error: No learner name is set")
    assert 'crmlab name "Your Name"' in err
    assert not list(course[0].glob("*.zip"))


def test_a_notebook_over_the_limit_is_refused_and_nothing_is_left(course, capsys, monkeypatch):
    work, _ = course
    monkeypatch.setattr(handin_module, "MAX_FILE_BYTES", 1000)
    assert _run(["name", "Sara Ahmadi"], capsys)[0] == 0
    _notebook(work / "exercises" / "00_welcome_exercises.ipynb", "x" * 2000)
    status, out, err = _run(["handin"], capsys)
    assert (status, out) == (2, "")
    assert "00_welcome_exercises.ipynb" in err and "Clear Outputs" in err and err.count("\n") == 1
    assert not list(work.glob("*.zip"))


def test_links_out_of_the_folders_are_never_followed(course, tmp_path, capsys):
    work, progress = course
    assert _run(["name", "Sara Ahmadi"], capsys)[0] == 0
    secret = tmp_path / "secret.txt"
    secret.write_text("password=hunter2")
    ProgressLog().append("00_welcome", {"event": "check", "question": "q1", "status": "correct"})
    (progress / "66_secret.jsonl").symlink_to(secret)
    (work / "exercises" / "07_evil_exercises.ipynb").symlink_to(secret)
    real = _notebook(work / "exercises" / "real.ipynb")
    (work / "exercises" / "00_welcome_exercises.ipynb").symlink_to(real)  # a link that stays inside
    status, out, err = _run(["handin"], capsys)
    assert (status, err) == (0, "")
    assert "07_evil_exercises.ipynb': it is a link to a file outside" in out
    assert "66_secret.jsonl': it is a link to a file outside" in out
    [made] = list(work.glob("*.zip"))
    with zipfile.ZipFile(made) as archive:
        assert sorted(archive.namelist()) == ["manifest.json", "notebooks/00_welcome_exercises.ipynb",
                                              "progress/00_welcome.jsonl", "progress/learner.json"]  # fmt: skip
        assert all(b"hunter2" not in archive.read(name) for name in archive.namelist())


def test_nothing_to_hand_in_is_an_error(course, capsys):
    assert _run(["name", "Sara Ahmadi"], capsys)[0] == 0
    status, out, err = _run(["handin"], capsys)
    assert (status, out) == (2, "")
    assert "There is nothing to hand in" in err and err.count("\n") == 1


def test_usage_errors_are_one_line(course, capsys):
    assert _run(["handin", "--bogus"], capsys) == (2, "", "crmlab handin: error: unrecognized arguments: --bogus\n")
    status, out, err = _run(["handin", "--out", "no/such/folder"], capsys)
    assert (status, out) == (2, "") and err.count("\n") == 1


def test_two_hand_ins_in_one_second_never_overwrite(tmp_path):
    folder = tmp_path / "p"
    ProgressLog(folder).write_learner("Sara Ahmadi")
    ProgressLog(folder).append("00_welcome", {"event": "hint", "question": "q1", "hint": 1})
    when = datetime(2025, 3, 20, 21, 10, 5, 999, tzinfo=UTC)
    first = make_handin(tmp_path, notebooks=tmp_path / "none", progress=folder, now=when)
    assert first.path.name == "sara-ahmadi-20250320-211005.crmlab-handin.zip"
    kept = first.path.read_bytes()
    with pytest.raises(HandinError, match="already exists"):
        make_handin(tmp_path, notebooks=tmp_path / "none", progress=folder, now=when)
    assert first.path.read_bytes() == kept


def test_extract_writes_only_under_the_destination(tmp_path):
    folder = tmp_path / "p"
    ProgressLog(folder).write_learner("Sara Ahmadi")
    ProgressLog(folder).append("00_welcome", {"event": "hint", "question": "q1", "hint": 1})
    made = make_handin(tmp_path, notebooks=tmp_path, progress=folder)
    dest = tmp_path / "dest"
    dest.mkdir()
    handin = extract_handin(made.path, dest)
    assert sorted(str(p.relative_to(dest)) for p in dest.rglob("*")) == [
        "progress", "progress/00_welcome.jsonl", "progress/learner.json"]  # fmt: skip
    assert (dest / "progress" / "00_welcome.jsonl").read_bytes() == (folder / "00_welcome.jsonl").read_bytes()
    assert handin.created == made.created and handin.files == made.files


def test_names_in_any_script_make_file_names():
    assert learner_slug("سارا احمدی") == "سارا-احمدی"
    assert learner_slug("  José  O'Neil ") == "josé-o-neil"
    assert learner_slug("../../etc/passwd") == "etc-passwd"
    assert handin_name("x" * 80, datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)) == (
        "x" * 40 + "-20250102-030405.crmlab-handin.zip")
