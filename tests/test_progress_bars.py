"""Progress bars on the course runner and on grading (issue 14): shown when asked, counted right, else silent.

Most cases replace the worker pool with a fake that "finishes" each notebook at once, so the
bar's logic is tested without a kernel; one case runs two tiny notebooks for real.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

import crmlab.workers
from crmlab.classroom import grading
from crmlab.progress_bars import progress_bar, progress_stream
from crmlab.runner import Job, RunResult, run_jobs

# tqdm's line: "notebooks:  67%|######6   | 2/3 [00:01<00:00,  1.90notebook/s, now: 02_c]"
BAR = re.compile(r"(?P<desc>\w+): +(?P<percent>\d+)%\|[^|]*\| (?P<n>\d+)/(?P<total>\d+) \[(?P<rest>[^\]]*)\]")


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _states(text: str) -> list[re.Match]:
    """Every state the bar was drawn in, oldest first."""
    return [m for part in text.split("\r") if (m := BAR.search(part))]


def _write(path: Path, *sources: str) -> Path:
    nb = new_notebook(cells=[new_code_cell(s) for s in sources])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


@pytest.fixture
def instant_workers(monkeypatch):
    """run_in_workers replaced: tasks 'finish' one by one, in order, without a process or a kernel."""
    calls = []

    def fake(work, tasks, finished, lost, jobs_at_once=2, timeout=None, preload=()):
        calls.append(len(tasks))
        for k, task in enumerate(tasks):
            if work is grading._grade_notebook:
                finished(k, grading._Outcome("ok", "", 0.1))
            else:
                job, _source, output, *_ = task.args
                finished(k, RunResult(job.notebook, output, 0.1, mode=job.mode))

    monkeypatch.setattr(crmlab.workers, "run_in_workers", fake)  # the runner imports it when it runs
    monkeypatch.setattr(grading, "run_in_workers", fake)
    return calls


# --- where a bar goes ---------------------------------------------------------------------------------------------


def test_a_bar_is_shown_only_when_asked_or_on_a_terminal(monkeypatch):
    stream = io.StringIO()
    assert progress_stream(False) is None and progress_stream(stream) is stream
    monkeypatch.setattr("sys.stderr", io.StringIO())  # captured: not a terminal
    assert progress_stream(None) is None
    terminal = _Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    assert progress_stream(None) is terminal and progress_stream(True) is terminal
    with pytest.raises(TypeError, match="must be True, False, None .* but 1 was passed"):
        progress_stream(1)


def test_the_bar_counts_to_its_total_and_echoes_lines_above_it():
    stream, lines = io.StringIO(), []
    with progress_bar(3, stream, desc="notebooks") as bar:
        bar.now(["00_a", "01_b"])
        for name in ["00_a", "01_b", "02_c"]:
            bar.echo(f"done {name}", lines.append)
            bar.advance()
    states = _states(stream.getvalue())
    assert {m["total"] for m in states} == {"3"} and states[-1]["n"] == "3" and states[-1]["percent"] == "100"
    assert lines == ["done 00_a", "done 01_b", "done 02_c"]
    assert "now: 00_a, 01_b" in stream.getvalue()
    assert "<" in states[1]["rest"]  # elapsed<remaining


def test_names_cannot_send_escape_sequences_to_the_terminal():
    stream = io.StringIO()
    with progress_bar(1, stream) as bar:
        bar.now(["evil\x1b[2J\rname"])
    assert "\x1b" not in stream.getvalue() and "evil?[2J?name" in stream.getvalue()


def test_no_bar_writes_nothing_and_still_echoes(capsys):
    lines = []
    with progress_bar(2) as bar:
        bar.now(["00_a"])
        bar.echo("a line", lines.append)
        bar.advance(2)
    assert not bar.shown and lines == ["a line"]
    assert capsys.readouterr() == ("", "")


# --- the course runner ------------------------------------------------------------------------------------------


def _runner_jobs(folder: Path) -> list[Job]:
    return [Job(_write(folder / "nb" / f"0{i}_{n}.ipynb", "1"), m)
            for i, (n, m) in enumerate([("a", "lesson"), ("b", "solution"), ("c", "learner")])]


def test_the_runner_draws_a_bar_when_asked(tmp_path, monkeypatch, instant_workers):
    monkeypatch.chdir(tmp_path)
    stream, lines = io.StringIO(), []
    results = run_jobs(_runner_jobs(tmp_path), out_dir="build", echo=lines.append, progress=stream)
    states = _states(stream.getvalue())
    assert instant_workers == [3] and all(r.ok for r in results)
    assert {m["desc"] for m in states} == {"notebooks"} and {m["total"] for m in states} == {"3"}
    assert states[-1]["n"] == "3"
    assert "now: 00_a, 01_b (solution)" in stream.getvalue()  # two at once (the default)
    assert [line[:5] for line in lines] == ["[1/3]", "[2/3]", "[3/3]"]  # the verdict lines stay


def test_the_runner_shows_no_bar_by_default(tmp_path, monkeypatch, capsys, instant_workers):
    monkeypatch.chdir(tmp_path)
    run_jobs(_runner_jobs(tmp_path), out_dir="build")
    out, err = capsys.readouterr()
    assert err == "" and out.count("\n") == 3 and not _states(out)


def test_a_real_run_of_two_notebooks_counts_both(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    jobs = [Job(_write(tmp_path / "nb" / "00_a.ipynb", "x = 1")), Job(_write(tmp_path / "nb" / "01_b.ipynb", "1/0"))]
    stream, lines = io.StringIO(), []
    results = run_jobs(jobs, out_dir="build", echo=lines.append, timeout=120, progress=stream)
    assert [r.verdict for r in results] == ["ok", "FAILED"]
    states = _states(stream.getvalue())
    assert states[0]["n"] == "0" and states[-1]["n"] == states[-1]["total"] == "2"
    assert len(lines) == 2


# --- grading ----------------------------------------------------------------------------------------------------


def _class(folder: Path) -> Path:
    for name in ["ana", "bo", "sara"]:
        _write(folder / f"{name}.ipynb", "x = 6 * 7")
    return folder


def test_grading_draws_a_bar_when_asked(tmp_path, instant_workers):
    stream = io.StringIO()
    table = grading.grade(_class(tmp_path), isolation="none", workers=2, progress=stream)
    states = _states(stream.getvalue())
    assert instant_workers == [3] and table["verdict"].dropna().eq("ok").all()
    assert {m["desc"] for m in states} == {"grading"} and {m["total"] for m in states} == {"3"}
    assert states[-1]["n"] == "3" and "now: ana: ana, bo: bo" in stream.getvalue()


@pytest.mark.parametrize(("flags", "shown"), [([], False), (["--progress"], True), (["--quiet"], False)])
def test_the_grade_command_shows_a_bar_on_a_terminal_or_when_asked(tmp_path, capsys, instant_workers, flags,
                                                                   shown):
    status = grading.grade_main([str(_class(tmp_path)), "--isolation", "none", *flags])
    out, err = capsys.readouterr()  # captured: stderr is not a terminal
    assert status == 0 and "Ran 3 notebook(s) of 3 learner(s)" in out  # the summary lines stay
    assert bool(_states(err)) is shown
    if shown:
        assert _states(err)[-1]["n"] == "3"


def test_grading_shows_no_bar_by_default(tmp_path, capsys, instant_workers):
    grading.grade(_class(tmp_path), isolation="none")
    assert not _states(capsys.readouterr().err)
