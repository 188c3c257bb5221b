"""The `crmlab` command line: every error is one clear line with exit status 2, never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

import crmlab.datasets.synthetic as synthetic
from crmlab.cli import main
from crmlab.datasets import generate_crm


def _run(argv, capsys):
    """Exit status, stdout and stderr of `crmlab ARGV`, in this process."""
    try:
        status = main(argv)
    except SystemExit as exc:  # argparse leaves this way
        status = exc.code
    out, err = capsys.readouterr()
    return status, out, err


@pytest.mark.parametrize(("argv", "error"), [
    (["--out", "x", "--customers", "abc"], "argument --customers: must be a whole number, e.g. 3000, but 'abc' "
                                           "was passed"),
    (["--out", "x", "--customers", "1e6"], "argument --customers: must be a whole number, e.g. 3000, but '1e6' "
                                           "was passed"),
    (["--out", "x", "--customers", "0"], "argument --customers: must be at least 100, but '0' was passed"),
    (["--out", "x", "--customers", "-5"], "argument --customers: must be at least 100, but '-5' was passed"),
    (["--out", "x", "--seed", "-1"], "argument --seed: must be at least 0, but '-1' was passed"),
    (["--out", "x", "--seed", "1.5"], "argument --seed: must be a whole number, e.g. 2024, but '1.5' was passed"),
    (["--customers", "200"], "the following arguments are required: --out"),
    (["--out", "x", "--bogus"], "unrecognized arguments: --bogus"),
])  # fmt: skip
def test_generate_argument_errors_are_one_line(tmp_path, monkeypatch, capsys, argv, error):
    monkeypatch.chdir(tmp_path)
    assert _run(["generate", *argv], capsys) == (2, "", f"crmlab generate: error: {error}\n")
    assert list(tmp_path.iterdir()) == []


def test_generate_destinations_are_checked_before_generating(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("crmlab.datasets.generate_crm", lambda **kw: pytest.fail("generated before checking"))
    (tmp_path / "afile").write_text("keep me")
    (tmp_path / "folder").mkdir()
    cases = {
        ("--out", "afile"): "--out 'afile' is a file; give a folder to write the tables into",
        ("--out", "afile/sub"): "--out 'afile/sub' cannot be created: 'afile' is a file, not a folder",
        ("--out", "x", "--readme", "nodir/R.md"): "--readme 'nodir/R.md': the folder 'nodir' does not exist; "
                                                  "create it first",
        ("--out", "x", "--readme", "folder"): "--readme 'folder' is a folder; give a file name, e.g. folder/README.md",
    }  # fmt: skip
    for argv, error in cases.items():
        assert _run(["generate", *argv], capsys) == (2, "", f"crmlab generate: error: {error}\n"), argv
    assert (tmp_path / "afile").read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile", "folder"]


def test_generate_refuses_more_customers_than_memory_allows(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(synthetic, "_available_memory", lambda: 10 * 10**9)
    status, out, err = _run(["generate", "--out", str(tmp_path / "x"), "--customers", "100000000"], capsys)
    assert (status, out) == (2, "")
    assert err == ("crmlab generate: error: generate_crm(n_customers=100,000,000) would need about 650.0 GB of "
                   "memory (6.5 kB per customer), more than the 8.0 GB it may use here (80% of the 10.0 GB "
                   "available now). Use at most n_customers=1,230,000 on this machine, or free memory first.\n")
    assert not (tmp_path / "x").exists()


def test_generate_running_out_of_memory_is_one_line(tmp_path, capsys, monkeypatch):
    def _oom(**kwargs):
        raise MemoryError

    monkeypatch.setattr("crmlab.datasets.generate_crm", _oom)
    status, out, err = _run(["generate", "--out", str(tmp_path / "x"), "--customers", "5000"], capsys)
    assert (status, out, err) == (2, "", "crmlab generate: error: ran out of memory for 5,000 customers; use fewer "
                                         "with --customers\n")  # fmt: skip


def test_generate_writes_what_generate_crm_gives(tmp_path, capsys):
    status, out, err = _run(["generate", "--out", str(tmp_path / "db"), "--customers", "150", "--seed", "7",
                             "--readme", str(tmp_path / "README.md")], capsys)  # fmt: skip
    assert (status, err) == (0, "")
    assert out == f"Wrote the synthetic CRM (150 customers, seed 7) to {tmp_path / 'db'}\n"
    expected = generate_crm(150, seed=7)
    for name in ("customers", "orders"):
        pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "db" / f"{name}.parquet"), expected[name],
                                      check_dtype=False)  # fmt: skip
    assert json.loads((tmp_path / "db" / "truth.json").read_text())["n_customers"] == 150
    assert (tmp_path / "README.md").stat().st_size > 0


def test_generate_places_the_company_in_a_market(tmp_path, capsys):
    status, out, err = _run(["generate", "--out", str(tmp_path / "us"), "--customers", "150", "--seed", "7",
                             "--market", "generic"], capsys)  # fmt: skip
    assert (status, err) == (0, "")
    assert out == f"Wrote the synthetic CRM (150 customers, seed 7, market generic) to {tmp_path / 'us'}\n"
    expected = generate_crm(150, seed=7, market="generic")
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "us" / "orders.parquet"), expected["orders"],
                                  check_dtype=False)  # fmt: skip
    assert json.loads((tmp_path / "us" / "truth.json").read_text())["market"]["currency"] == "USD"
    status, out, err = _run(["generate", "--out", str(tmp_path / "x"), "--market", "mars"], capsys)
    assert (status, out) == (2, "")
    assert "argument --market: invalid choice: 'mars' (choose from 'iran', 'generic')" in err
    assert not (tmp_path / "x").exists()


def test_a_real_bad_call_prints_no_traceback(tmp_path):
    done = subprocess.run([sys.executable, "-m", "crmlab.cli", "generate", "--out", str(tmp_path), "--customers",
                           "lots"], capture_output=True, text=True, timeout=120)  # fmt: skip
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == ("crmlab generate: error: argument --customers: must be a whole number, e.g. 3000, but "
                           "'lots' was passed\n")


def test_name_sets_shows_and_refuses(tmp_path, capsys):
    folder = str(tmp_path)
    assert _run(["name", "--dir", folder], capsys) == (0, (
        'No name set yet. Set your name once: set_learner_name("Your Name") in a notebook (from crmlab.exercises '
        'import set_learner_name), or crmlab name "Your Name" in a terminal.\n'), "")
    status, out, err = _run(["name", "--dir", folder, "Sara", "Ahmadi"], capsys)
    assert (status, err) == (0, "")
    assert out == (f'Learner name: Saved "Sara Ahmadi". Your certificates will show this name; it is stored in '
                   f"{tmp_path / 'learner.json'}. To change it, call set_learner_name again.\n")
    assert _run(["name", "--dir", folder], capsys) == (0, "Your name on certificates: Sara Ahmadi\n", "")
    assert _run(["name", "--dir", folder, "Sara\x1b[2J"], capsys) == (2, "", (
        "crmlab name: `name` holds a control character (U+001B) at character 5. Type the name with letters, "
        "spaces and punctuation only, on one line.\n"))
    assert _run(["name", "--dir", folder, "  "], capsys) == (2, "", (
        'crmlab name: `name` is empty. Give the name to print, e.g. "Sara Ahmadi".\n'))
    assert _run(["name", "--dir", folder], capsys)[1] == "Your name on certificates: Sara Ahmadi\n"  # unchanged


def test_progress_through_the_main_command(tmp_path, capsys):
    (tmp_path / "00_a.jsonl").write_text('{"event": "check", "question": "q1", "status": 5}\n')
    assert _run(["progress", "--dir", str(tmp_path)], capsys) == (0, (
        "lesson  title  score  complete\n00_a           0/0    no\nLessons complete: 0 of 1; points: 0 of 0\n"
        "Lesson 00_a: 1 unreadable line(s) in the log were skipped (crmlab progress 00_a lists them).\n"), "")


def test_check_reports_usage_errors_with_status_2(tmp_path, capsys):
    from crmlab.cli import main

    assert main(["check", str(tmp_path / "nowhere")]) == 2
    assert "no such mapping file or folder" in capsys.readouterr().err
    (tmp_path / "m.toml").write_text('folder = "."\n[tables.ordres]\n')
    assert main(["check", str(tmp_path / "m.toml")]) == 2
    assert "did you mean `orders`?" in capsys.readouterr().err


def test_check_prints_json_on_request(capsys):
    import json

    from crmlab.cli import main
    from crmlab.datasets.mapping import EXAMPLE

    assert main(["check", str(EXAMPLE), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [t["rows_loaded"] for t in data["tables"]] == [5, 3] and data["lessons"]["05_rfm"] == []
