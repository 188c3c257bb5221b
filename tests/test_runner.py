"""The course runner (`crmlab run`, `make course`): one line per notebook, failures detected."""

from __future__ import annotations

import os

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from crmlab.cli import main
from crmlab.runner import Job, course_jobs, discover, run_jobs, run_notebook, widget_errors

WIDGET_CALLBACK_RAISES = """\
import ipywidgets as widgets
from IPython.display import display
out = widgets.Output()
slider = widgets.IntSlider()
def on_change(change):
    with out:
        raise ValueError("boom in a callback")
slider.observe(on_change, "value")
display(slider, out)
slider.value = 3
print("the cell itself finished")
"""


def _write(folder, name, *sources):
    nb = new_notebook(cells=[new_code_cell(s) for s in sources])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = folder / name
    nbformat.write(nb, path)
    return path


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    folder = tmp_path_factory.mktemp("course")
    _write(folder, "00_good.ipynb", "x = 6 * 7", "print(x)")
    _write(folder, "01_cell_error.ipynb", "x = 1", "{}['missing']")
    _write(folder, "02_widget_error.ipynb", WIDGET_CALLBACK_RAISES)
    (folder / "notes.ipynb").write_text("{}")  # not numbered: not a lesson
    lines = []
    results = run_jobs(discover([folder]), out_dir=folder / "build", jobs_at_once=2, echo=lines.append, html=True)
    return folder, results, lines


def test_discover_finds_numbered_notebooks_in_order(course):
    folder, _, _ = course
    assert [p.name for p in discover([folder])] == ["00_good.ipynb", "01_cell_error.ipynb", "02_widget_error.ipynb"]


def test_one_line_per_notebook_with_seconds_and_status(course):
    _, results, lines = course
    assert len(lines) == 3
    assert lines[0].split()[-2:] == ["s", "ok"] and lines[0].split()[1] == "lesson"
    assert "FAILED" in lines[1] and "KeyError" in lines[1]
    assert all(r.seconds > 0 for r in results)


def test_good_notebook_is_executed_into_build(course):
    folder, results, _ = course
    good = results[0]
    assert good.ok
    executed = nbformat.read(good.output, as_version=4)
    assert executed.cells[1].outputs[0]["text"] == "42\n"
    assert good.output.parent.name == folder.name  # build/<same relative path>


def test_cell_error_fails(course):
    _, results, _ = course
    assert not results[1].ok
    assert results[1].error.startswith("cell 2: KeyError")


def test_widget_callback_error_fails_although_papermill_passes(course):
    _, results, _ = course
    widget = results[2]
    assert "ValueError: boom in a callback" in widget.error
    executed = nbformat.read(widget.output, as_version=4)
    assert widget_errors(executed) == ["widget callback raised ValueError: boom in a callback"]
    assert "the cell itself finished" in executed.cells[0].outputs[-1].get("text", "")


def test_cli_exit_codes(course, capsys, tmp_path):
    folder, _, _ = course
    good = folder / "00_good.ipynb"
    assert main(["run", str(good), "--out", str(tmp_path), "--jobs", "1"]) == 0
    assert capsys.readouterr().out.strip().endswith("1 passed, 0 failed")
    assert main(["run", str(folder / "01_cell_error.ipynb"), "--out", str(tmp_path)]) == 1
    assert "0 passed, 1 failed" in capsys.readouterr().out
    assert main(["run", str(tmp_path / "empty")]) == 2


def test_cli_generate_and_datadict(tmp_path, capsys):
    assert main(["generate", "--out", str(tmp_path / "db"), "--customers", "150", "--seed", "3",
                 "--readme", str(tmp_path / "README.md")]) == 0
    assert (tmp_path / "db" / "orders.parquet").exists()
    assert (tmp_path / "README.md").read_text().startswith("# The crmlab datasets")
    capsys.readouterr()
    assert main(["datadict"]) == 0
    assert "### `customers`" in capsys.readouterr().out


def test_html_copy_is_written(course):
    _, results, _ = course
    page = results[0].html
    assert page is not None and page.suffix == ".html"
    assert "42" in page.read_text()


def test_course_jobs_cover_lessons_and_both_exercise_modes():
    jobs = course_jobs()
    modes = {(j.notebook.as_posix(), j.mode) for j in jobs}
    assert ("notebooks/00_welcome.ipynb", "lesson") in modes
    assert ("exercises/source/00_welcome.ipynb", "solution") in modes
    assert ("exercises/00_welcome.ipynb", "learner") in modes
    assert Job(discover(["notebooks"])[0]).mode == "lesson"


def test_mode_sets_strict_checks_and_a_private_progress_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _write(tmp_path, "00_env.ipynb",
           "import os\nassert os.environ['CRMLAB_CHECK_MODE'] == 'solution'\n"
           "assert 'crmlab-progress-' in os.environ['CRMLAB_PROGRESS_DIR']")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.delenv("CRMLAB_CHECK_MODE", raising=False)
    result = run_notebook("00_env.ipynb", out_dir="out", mode="solution")
    assert result.ok, result.error
    assert "CRMLAB_CHECK_MODE" not in os.environ  # restored: nothing leaks into later runs
    assert os.environ["MPLBACKEND"] == "Agg"
    with pytest.raises(ValueError, match="`mode` must be one of"):
        run_notebook("00_env.ipynb", mode="teacher")


def test_cli_progress_and_release_parse_their_own_options(capsys, tmp_path):
    assert main(["progress", "--dir", str(tmp_path)]) == 0
    assert "No progress recorded yet." in capsys.readouterr().out
    assert main(["release", "--check"]) == 0
    assert "Student copies are up to date." in capsys.readouterr().out
