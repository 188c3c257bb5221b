"""`crmlab grade`: every handed-in notebook re-executed in its sandbox, every check recorded.

One batch (a module fixture, graded once, 2 workers) holds right and wrong answers whose
statuses are known by hand, a hand-in zip, broken zips, and hostile notebooks: an endless
loop, a kernel that kills itself, 2 GB printed, 10 GB allocated, `shutil.rmtree` of HOME, of
the working folder's parent and of every folder it can name, and a connection to 1.1.1.1.
Each gets its verdict, the batch completes, and the submissions and the grader's files survive.
One more notebook asserts every wall of the sandbox from inside (network, the grader's sockets and
folders, other processes, devices, sysctls, root and capabilities).
The batch takes about 25-30 s on 2 cores (one notebook waits out its 20 s time limit; a cold sandboxed
kernel with crmlab imported takes 3-5 s of it).
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import tempfile
import threading
import time
import zipfile
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from crmlab.classroom.grading import (
    COLUMNS,
    GradingError,
    _choose_sandbox,
    _Limits,
    _read_checks,
    _text_bytes,
    _verdict,
    grade,
    grade_main,
)
from crmlab.classroom.handin import make_handin
from crmlab.exercises import ProgressLog, set_learner_name

psutil = pytest.importorskip("psutil")

TIMEOUT = 20
SECRET = "CRMLAB_TEST_SECRET_TOKEN"
OPENING = 'import crmlab\nfrom crmlab.exercises import ____, lesson\nex = lesson("00_welcome")'
DATA = 'crm = crmlab.practice_crm()\ncompleted = crm.orders[crm.orders["status"] == "completed"]'
RIGHT_Q1 = 'ex.q1.check(completed["customer_id"].nunique())'

# name -> code cells. Every status below is known by hand from lesson 00's questions.
NOTEBOOKS = {
    "ana": [
        OPENING,
        DATA,
        "ex.q1.check(len(completed))",  # orders, not customers: incorrect
        RIGHT_Q1,  # then right: q1 ends correct after 2 checks
        "ex.q5.check(____)",  # the blank: not attempted
        'ex.quiz("q4", answer="a")',  # the solution is "c": incorrect
        'ex.q6.check("SQL to join and filter; pandas for the charts.")',  # a reflection: unchecked
        "ex.q2.check_code(lambda: 1 / 0)",  # the learner's code raises: learner_error
    ],
    # an endless loop, at the lowest priority: it burns a core for the whole time limit, which the other
    # tests running beside it need more
    "loop": [OPENING, DATA, RIGHT_Q1, "import os\nos.nice(19)\nwhile True:\n    pass", 'ex.quiz("q7", answer="b")'],
    "kill": [OPENING, 'ex.quiz("q7", answer="b")', "import os\nos.kill(os.getpid(), 9)"],
    # 2 GB in 64 KB lines: with 1 MB lines the kernel's own IOPub queue (1,000 messages) can hold a
    # gigabyte before the grader sees it, and the memory limit may strike before the output cap
    "printer": ["for _ in range(2**15):\n    print('x' * 2**16)"],
    "hog": ["import numpy as np\nhuge = np.ones(10 * 2**30 // 8)"],
    "rm_home_parent": [
        OPENING,
        "import os, shutil\nfrom pathlib import Path\nshutil.rmtree(os.path.expanduser('~'))",
        'ex.quiz("q7", answer="b")',  # recorded after HOME is gone
        "shutil.rmtree(Path.cwd().parent)",
    ],
}


def _notebook(path: Path, cells: list[str]) -> Path:
    nb = new_notebook(cells=[new_code_cell(code) for code in cells])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def _rm_everything(targets: list[Path]) -> list[str]:
    """Delete HOME, every folder above the working folder and ``targets``; only below the system temp folder."""
    temp = tempfile.gettempdir()
    return [
        "import os, shutil\nfrom pathlib import Path\n"
        f"TEMP, TARGETS = {temp!r}, {[str(t) for t in targets]!r}\n"
        "shutil.rmtree(os.path.expanduser('~'), ignore_errors=True)\n"
        "for folder in [*Path.cwd().parents, *map(Path, TARGETS)]:\n"
        "    if str(folder).startswith(TEMP + os.sep):\n"
        "        shutil.rmtree(folder, ignore_errors=True)"
    ]


def _walls(folder: Path, sock: Path) -> list[str]:
    """Each cell asserts one wall of the sandbox; the notebook is ``ok`` only if every one holds."""
    return [
        f"import os, socket, time\nfrom pathlib import Path\nFOLDER, SOCK = {str(folder)!r}, {str(sock)!r}\n"
        f'assert "{SECRET}" not in os.environ, "the grader\'s environment leaked"',
        "start = time.monotonic()\ntry:\n    socket.create_connection(('1.1.1.1', 80), timeout=20)\n"
        "    reached = True\nexcept OSError:\n    reached = False\n"
        "assert not reached and time.monotonic() - start < 2, 'the network was reachable, or slow to refuse'",
        "unix = socket.socket(socket.AF_UNIX)\ntry:\n    unix.connect(SOCK)\n    reached = True\n"
        "except OSError:\n    reached = False\nassert not reached, 'a Unix socket of the grader was reachable'",
        "assert not os.path.exists(FOLDER) or os.listdir(FOLDER) == [], 'the hand-ins are visible'\n"
        "root = Path.cwd().parents[3]\n"
        "assert os.listdir(root) == [Path.cwd().parents[2].name], 'other submissions are visible'",
        "assert os.getpid() == 2 and len([p for p in os.listdir('/proc') if p.isdigit()]) <= 3, 'other processes'",
        "assert sorted(os.listdir('/dev')) == ['fd', 'full', 'null', 'random', 'shm', 'stderr', 'stdin', 'stdout', "
        "'tty', 'urandom', 'zero'], sorted(os.listdir('/dev'))",
        "for path in ['/proc/sys/kernel/core_pattern', '/sys/kernel/mm/transparent_hugepage/enabled']:\n"
        "    try:\n        os.close(os.open(path, os.O_WRONLY))\n        writable = True\n"
        "    except OSError:\n        writable = False\n    assert not writable, path",
        "status = open('/proc/self/status').read()\n"
        "assert os.getuid() != 0 and 'CapEff:\\t0000000000000000' in status, 'root, or capabilities'",
    ]


def _handin(folder: Path, work: Path) -> Path:
    """A real hand-in of Bo Chen: one notebook, q1 right and quiz q7 right."""
    progress, notebooks = work / "progress", work / "exercises"
    set_learner_name("Bo Chen", directory=progress)
    ProgressLog(progress).append("00_welcome", {"event": "check", "question": "q1", "status": "incorrect"})
    _notebook(notebooks / "00_welcome_exercises.ipynb", [OPENING, DATA, RIGHT_Q1, 'ex.quiz("q7", answer="b")'])
    return make_handin(folder, notebooks=notebooks, progress=progress).path


def _broken_zips(folder: Path, good: Path) -> None:
    with zipfile.ZipFile(good) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    notebook = "notebooks/00_welcome_exercises.ipynb"
    with zipfile.ZipFile(folder / "changed.crmlab-handin.zip", "w") as archive:  # edited after the hand-in
        for name, data in members.items():
            archive.writestr(name, data.replace(b"nunique", b"count") if name == notebook else data)
    manifest = json.loads(members["manifest.json"])
    manifest["files"]["../escape.ipynb"] = hashlib.sha256(b"{}").hexdigest()
    with zipfile.ZipFile(folder / "escape.crmlab-handin.zip", "w") as archive:  # a path out of the folder
        archive.writestr("manifest.json", json.dumps(manifest))
        archive.writestr("../escape.ipynb", b"{}")
    (folder / "junk.crmlab-handin.zip").write_bytes(os.urandom(300))


class _PeakMemory:
    """The largest resident memory of any process started below this one while it samples, per kind
    (kernel or grader). Processes already there (the test worker's warm kernel process, a Spark JVM left
    by another test file of the same worker) and their children are not the grader's."""

    def __init__(self) -> None:
        self.peak = {"kernel": 0, "grader": 0}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._before: set[int] = set()

    def _sample(self) -> None:
        me = psutil.Process()
        while not self._stop.wait(0.05):
            for child in me.children(recursive=True):
                try:
                    if child.pid in self._before or any(p.pid in self._before for p in child.parents()):
                        continue
                    cmdline = " ".join(child.cmdline())
                    rss = child.memory_info().rss
                except psutil.Error:
                    continue
                kind = "kernel" if "ipykernel" in cmdline or "_launch(" in cmdline else "grader"
                self.peak[kind] = max(self.peak[kind], rss)

    def __enter__(self):
        self._before = {child.pid for child in psutil.Process().children(recursive=True)}
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """The batch graded once: table, folder, out, bytes of each submission, peak memory, seconds, leftovers."""
    base = tmp_path_factory.mktemp("grading")
    folder, out = base / "handins", base / "out"
    (base / "probe").mkdir()
    for name, cells in NOTEBOOKS.items():
        _notebook(folder / f"{name}.ipynb", cells)
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(base / "grader.sock"))  # a socket of the grader's user, as Docker's or tmux's
    listener.listen()
    if _choose_sandbox("auto", base / "probe", folder, out).mode == "namespaces":  # never run these unprotected
        _notebook(folder / "rm_everything.ipynb", _rm_everything([folder, out, base]))
        _notebook(folder / "walls.ipynb", _walls(folder, base / "grader.sock"))
    good = _handin(folder, base / "bo")
    _broken_zips(folder, good)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    temporary = set(Path(tempfile.gettempdir()).glob("crmlab-grade-*"))
    os.environ[SECRET] = "s3cret"  # must not reach any kernel
    try:
        with _PeakMemory() as memory:
            started = time.monotonic()
            table = grade(folder, out, timeout=TIMEOUT, workers=2)
            seconds = time.monotonic() - started
    finally:
        del os.environ[SECRET]
        listener.close()
    leftovers = set(Path(tempfile.gettempdir()).glob("crmlab-grade-*")) - temporary
    return table, folder, out, before, memory.peak, seconds, leftovers


@pytest.fixture(scope="module")
def isolated(batch):
    if batch[0].attrs["isolation"] != "namespaces":
        pytest.skip("no Linux namespaces here: the network and files are not protected (see crmlab.classroom.grading)")


def _verdicts(table: pd.DataFrame) -> dict[str, tuple[str, str]]:
    rows = table[table["verdict"].notna()]
    return {
        f: (v, d if isinstance(d, str) else "")
        for f, v, d in zip(rows["file"], rows["verdict"], rows["detail"], strict=True)
    }


def _statuses(table: pd.DataFrame, file: str) -> dict[str, tuple[str, int]]:
    rows = table[(table["file"] == file) & table["question"].notna()]
    return {q: (s, n) for q, s, n in zip(rows["question"], rows["status"], rows["checks"], strict=True)}


def test_every_check_is_recorded_with_its_last_status_and_count(batch):
    table = batch[0]
    assert list(table.columns) == COLUMNS
    assert _statuses(table, "ana.ipynb") == {
        "q1": ("correct", 2),
        "q2": ("learner_error", 1),
        "q4": ("incorrect", 1),
        "q5": ("not_attempted", 1),
        "q6": ("unchecked", 1),
    }
    assert _verdicts(table)["ana.ipynb"] == ("ok", "")
    ana = table[(table["file"] == "ana.ipynb") & table["verdict"].notna()].iloc[0]
    assert (ana["learner"], ana["notebook"], ana["checks"]) == ("ana", "ana.ipynb", 6)
    assert 0 < ana["seconds"] < TIMEOUT


def test_a_handin_is_graded_by_rerunning_its_notebook_not_by_its_log(batch):
    table = batch[0]
    (file,) = {f for f in table["file"] if f.startswith("bo-chen-")}
    assert set(table.loc[table["file"] == file, "learner"]) == {"Bo Chen"}
    assert _statuses(table, file) == {"q1": ("correct", 1), "q7": ("correct", 1)}  # its log said incorrect
    assert _verdicts(table)[file] == ("ok", "")
    assert table.loc[(table["file"] == file) & table["verdict"].notna(), "notebook"].item() == (
        "00_welcome_exercises.ipynb"
    )


def test_broken_zips_are_rejected_with_the_reason(batch):
    verdicts = _verdicts(batch[0])
    assert verdicts["changed.crmlab-handin.zip"][0].startswith("rejected: the sha256 of ")
    assert "unexpected member '../escape.ipynb'" in verdicts["escape.crmlab-handin.zip"][0]
    assert verdicts["junk.crmlab-handin.zip"][0].startswith("rejected: not a readable zip file")
    rejected = batch[0][batch[0]["verdict"].str.startswith("rejected", na=False)]
    assert rejected["notebook"].isna().all() and (rejected["checks"] == 0).all()


def test_an_endless_loop_times_out_and_its_earlier_checks_count(batch):
    verdict, detail = _verdicts(batch[0])["loop.ipynb"]
    assert (verdict, detail) == ("timeout", f"stopped after {TIMEOUT} s: cell 4 was still running; 1 cell never ran")
    assert _statuses(batch[0], "loop.ipynb") == {"q1": ("correct", 1)}


def test_a_kernel_that_kills_itself_is_reported_with_its_signal(batch):
    assert _verdicts(batch[0])["kill.ipynb"] == ("kernel died", "killed by SIGKILL in cell 3")
    assert _statuses(batch[0], "kill.ipynb") == {"q7": ("correct", 1)}


def test_printing_gigabytes_is_stopped_early_and_the_grader_stays_small(batch):
    table, *_, peak, _, _ = batch
    assert _verdicts(table)["printer.ipynb"] == ("output too large", "more than 20 MB of output in cell 1")
    row = table[(table["file"] == "printer.ipynb") & table["verdict"].notna()].iloc[0]
    assert row["seconds"] < TIMEOUT
    # 2 GB printed: no process of the grader grew by more than a few times the 20 MB cap
    assert 0 < peak["grader"] < 500 * 2**20, peak


@pytest.mark.parametrize(
    ("saved", "expected"),
    [
        ([1, None], ("memory", "MemoryError in cell 1 (limit 1500 MB)")),  # papermill's count found: that cell
        ([], ("memory", "MemoryError (limit 1500 MB)")),  # no saved cell has it: no cell named
    ],
)
def test_an_error_papermill_raised_but_did_not_save_gets_its_own_verdict(tmp_path, saved, expected):
    """papermill raised the cell's error, but the saved copy holds no error output (seen with the printer
    notebook above: twice in 13 gradings outside pytest, verdict "error in the grader"). The error is
    the notebook's verdict, not the grader's."""
    from papermill.exceptions import PapermillExecutionError

    cells = [new_code_cell(f"print({n})", execution_count=n) for n in saved]
    executed = new_notebook(cells=cells) if saved else None
    failure = PapermillExecutionError(0, 1, "for _ in range(2**15): print('x' * 2**16)", "MemoryError", "", [])
    assert _verdict(failure, executed, False, _Limits(20, 1500, 20), tmp_path / "kernel.log") == expected
    other = PapermillExecutionError(0, 1, "1 / 0", "ZeroDivisionError", "division by zero", [])
    assert _verdict(other, executed, False, _Limits(20, 1500, 20), tmp_path / "kernel.log") == (
        f"error{' in cell 1' if saved else ''}: ZeroDivisionError: division by zero", "")


def test_allocating_10_gb_is_a_memory_verdict(batch):
    assert _verdicts(batch[0])["hog.ipynb"] == ("memory", "MemoryError in cell 1 (limit 1500 MB)")
    assert batch[4]["kernel"] < 1500 * 2**20


def test_the_walls_hold_network_sockets_folders_processes_devices_and_privileges(batch, isolated):
    assert _verdicts(batch[0])["walls.ipynb"] == ("ok", "")


def test_deleting_home_and_the_working_folder_hurts_only_the_notebook(batch, isolated):
    verdict, _ = _verdicts(batch[0])["rm_home_parent.ipynb"]
    assert verdict.startswith("error in cell 4: OSError: [Errno 16] Device or resource busy")  # its tmpfs
    assert _statuses(batch[0], "rm_home_parent.ipynb") == {"q7": ("correct", 1)}


def test_deleting_every_folder_it_can_name_spares_the_submissions_and_the_grader(batch, isolated):
    table, folder, out, before, *_ = batch
    assert _verdicts(table)["rm_everything.ipynb"] == ("ok", "its progress folder was deleted during the run")
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    assert (out / "grades.csv").is_file() and (out / "grades.json").is_file()
    verdicts = _verdicts(table)
    assert len(verdicts) == len(NOTEBOOKS) + 2 + 4  # every notebook, the hand-in and 3 broken zips
    assert not [v for v, _ in verdicts.values() if v.startswith("error in the grader")]


def test_the_batch_finishes_soon_after_its_slowest_notebook(batch):
    assert batch[5] < TIMEOUT + 60
    assert not batch[6], "the grader's temporary folder is removed"


def test_the_files_hold_the_table_and_say_how_kernels_were_isolated(batch):
    table, _, out, *_ = batch
    written = pd.read_csv(out / "grades.csv", encoding="utf-8-sig")
    assert list(written.columns) == COLUMNS and len(written) == len(table)
    assert written["checks"].tolist() == table["checks"].tolist()
    grades = json.loads((out / "grades.json").read_text(encoding="utf-8"))
    assert grades["format"] == "crmlab-grades" and grades["isolation"] == table.attrs["isolation"]
    assert (grades["timeout_s"], grades["memory_mb"], grades["workers"]) == (TIMEOUT, 1500, 2)
    assert [r["verdict"] for r in grades["rows"]] == [v if isinstance(v, str) else None for v in table["verdict"]]


# --- without the sandbox, and the command line --------------------------------------------------


def test_without_namespaces_the_limits_still_hold_and_checks_are_recorded(tmp_path, capsys):
    _notebook(tmp_path / "in" / "ana.ipynb", [OPENING, 'ex.quiz("q7", answer="b")', "print('done')"])
    _notebook(tmp_path / "in" / "hog.ipynb", ["big = bytearray(4 * 2**30)"])
    table = grade(tmp_path / "in", tmp_path / "out", isolation="none", timeout=60, workers=2)
    assert table.attrs["isolation"] == "none"
    assert _statuses(table, "ana.ipynb") == {"q7": ("correct", 1)}
    assert _verdicts(table) == {
        "ana.ipynb": ("ok", ""),
        "hog.ipynb": ("memory", "MemoryError in cell 1 (limit 1500 MB)"),
    }
    assert "warning: --isolation none" in capsys.readouterr().err


def test_the_command_line_grades_and_exits_1_when_a_file_is_rejected(tmp_path, capsys):
    _notebook(tmp_path / "ok.ipynb", ["x = 6 * 7"])
    (tmp_path / "bad.ipynb").write_text("{ not json")
    status = grade_main([str(tmp_path), "--quiet", "--timeout", "60", "--workers", "1"])
    out = capsys.readouterr().out
    assert status == 1
    assert "Ran 1 notebook(s) of 2 learner(s)" in out and ": 1 ok, 1 rejected\n" in out
    table = pd.read_csv(tmp_path / "grades.csv", encoding="utf-8-sig")
    verdicts = dict(zip(table["file"], table["verdict"], strict=True))
    assert verdicts["ok.ipynb"] == "ok" and verdicts["bad.ipynb"].startswith("rejected: not a readable notebook")


@pytest.mark.parametrize(
    "args, message",
    [
        (["{missing}"], "is not a folder"),
        (["{empty}"], "There is nothing to grade"),
        (["{empty}", "--timeout", "0"], "`timeout` must be a number of at least 1"),
        (["{empty}", "--workers", "0"], "`workers` must be a whole number"),
        (["{empty}", "--isolation", "docker"], "invalid choice: 'docker'"),
    ],
)
def test_usage_errors_are_one_line_with_exit_status_2(tmp_path, capsys, args, message):
    (tmp_path / "empty").mkdir()
    argv = [a.format(missing=tmp_path / "missing", empty=tmp_path / "empty") for a in args]
    try:
        status = grade_main(argv)
    except SystemExit as exc:  # argparse leaves this way
        status = exc.code
    err = capsys.readouterr().err
    assert status == 2 and message in err and err.count("\n") == 1, err


def test_grade_names_the_argument_it_refuses(tmp_path):
    _notebook(tmp_path / "a.ipynb", ["x = 1"])
    with pytest.raises(GradingError, match=r"`isolation` must be one of \['auto', 'namespaces', 'none'\]"):
        grade(tmp_path, isolation="chroot")
    with pytest.raises(GradingError, match="`memory` must be a number of at least 200, but 10 was passed"):
        grade(tmp_path, memory=10)


# --- reading what a notebook left behind ----------------------------------------------------------


def test_logs_are_read_only_from_regular_files(tmp_path):
    log = ProgressLog(tmp_path)
    log.append("00_welcome", {"event": "check", "question": "q1", "status": "incorrect"})
    log.append("00_welcome", {"event": "hint", "question": "q1", "hint": 1})
    log.append("00_welcome", {"event": "check", "question": "q1", "status": "correct"})
    (tmp_path / "05_rfm.jsonl").symlink_to("/etc/passwd")  # a notebook's trick: not followed
    (tmp_path / "06_clusters.jsonl").mkdir()
    checks, notes = _read_checks(tmp_path)
    assert checks == {("00_welcome", "q1"): ["incorrect", "correct"]}
    assert [n.split(" ignored")[0] for n in notes] == ["05_rfm.jsonl", "06_clusters.jsonl"]
    assert _read_checks(tmp_path / "gone") == ({}, ["its progress folder was deleted during the run"])


def test_output_is_counted_in_characters_of_every_nested_text():
    content = {"name": "stdout", "text": "x" * 10, "data": {"text/plain": ["ab", "c"], "image/png": "Zm9v"}}
    assert _text_bytes(content) == len("stdout") + 10 + 3 + 4
