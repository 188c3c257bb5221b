"""`crmlab gradebook DIR`: a class's hand-ins merged, counted right, escaped, and hostile files set aside.

The expected numbers are counted by hand from the events each made-up learner writes below,
never computed with the code under test.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import stat
import sys
import types
import zipfile
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest
from test_cli import _run

import crmlab.classroom.gradebook as gradebook_module
from crmlab.classroom import build_gradebook, make_handin
from crmlab.cli import main
from crmlab.exercises import ProgressLog, lesson

SCRIPT_NAME = "<script>alert(1)</script>"
FORMULA_NAME = "=1+2 Cleo"
IMG = "<img src=x onerror=alert(2)>"


def _t(minute: int) -> str:
    return (datetime(2025, 3, 1, 9, 0, tzinfo=UTC) + timedelta(minutes=minute)).isoformat()


def check(question, status, minute, **extra):
    return {"event": "check", "question": question, "status": status, "time": _t(minute), **extra}


def quiz(question, status, answer, minute):
    return {"event": "quiz", "question": question, "status": status, "answer": answer, "time": _t(minute)}


def hint(question, n, minute):
    return {"event": "hint", "question": question, "hint": n, "time": _t(minute)}


def solution(question, minute):
    return {"event": "solution", "question": question, "time": _t(minute)}


# Lesson 00_welcome (in the course): checked questions q1 q2 q3 q5, quizzes q4 q7, reflection q6.
LEARNERS = {
    "Ana Rahimi": {
        "00_welcome": [
            check("q1", "incorrect", 0, mistake="m1"),
            hint("q1", 1, 2), hint("q1", 2, 3),
            check("q1", "correct", 5),
            check("q2", "correct", 8),
            check("q3", "learner_error", 10),
            solution("q3", 12),
            quiz("q4", "incorrect", "b", 15),
            quiz("q4", "correct", "c", 16),
            check("q6", "unchecked", 30, answer="I learned a lot"),
        ],
    },
    SCRIPT_NAME: {
        "00_welcome": [
            check("q1", "incorrect", 0, mistake="m1"),
            check("q1", "incorrect", 10, mistake="m2"),
            check("q1", "incorrect", 20),
            hint("q2", 3, 30), hint("q2", 1, 31),
            solution("q2", 32),
            check("q2", "correct", 40),
            quiz("q4", "incorrect", "a", 50),
            check("q5", "not_attempted", 60),
            check("q5", "incorrect", 135, mistake="m9"),  # no 9th mistake: shown by its id
        ],
        # not in the course: its questions come from the class's logs (a1 a2 IMG questions, b1 a quiz)
        "99_custom": [
            check("a1", "correct", 0),
            check("a2", "incorrect", 1),
            quiz("b1", "correct", "a", 2),
            check(IMG, "<i>odd</i>", 3),
        ],
    },
    FORMULA_NAME: {
        "00_welcome": [
            check("q1", "incorrect", 0, mistake="m1"),
            check("q1", "correct", 7),
        ],
    },
}

# learner, lesson: questions_right, questions, quizzes_right, quizzes, quiz_answers_right, quiz_answers,
# hints, solutions, minutes_first_to_last, skipped_lines, events
EXPECTED = {
    ("Ana Rahimi", "00_welcome"): (2, 4, 1, 2, 1, 2, 2, 1, 30.0, 0, 10),
    ("Ana Rahimi", "99_custom"): (0, 3, 0, 1, 0, 0, 0, 0, None, 0, 0),
    (SCRIPT_NAME, "00_welcome"): (1, 4, 0, 2, 0, 1, 3, 1, 135.0, 0, 10),
    (SCRIPT_NAME, "99_custom"): (1, 3, 1, 1, 1, 1, 0, 0, 3.0, 0, 4),
    (FORMULA_NAME, "00_welcome"): (1, 4, 0, 2, 0, 0, 0, 0, 7.0, 1, 2),
    (FORMULA_NAME, "99_custom"): (0, 3, 0, 1, 0, 0, 0, 0, None, 0, 0),
}
NUMBERS = ["questions_right", "questions", "quizzes_right", "quizzes", "quiz_answers_right", "quiz_answers",
           "hints", "solutions", "minutes_first_to_last", "skipped_lines", "events"]  # fmt: skip


def _write_learner(root, monkeypatch, capsys, number, name, lessons):
    progress = root / f"learner{number}"
    monkeypatch.setenv("CRMLAB_PROGRESS_DIR", str(progress))
    assert _run(["name", name], capsys)[0] == 0
    log = ProgressLog()
    for lesson_id, events in lessons.items():
        for event in events:
            log.append(lesson_id, event)
    return progress


@pytest.fixture
def handins(tmp_path, monkeypatch, capsys):
    """A folder with one hand-in from each of the three learners, made with `crmlab handin`."""
    monkeypatch.delenv("CRMLAB_LEARNER_NAME", raising=False)
    folder, notebooks = tmp_path / "handins", tmp_path / "exercises"
    folder.mkdir()
    notebooks.mkdir()
    (notebooks / "00_welcome_exercises.ipynb").write_text('{"cells": []}')
    for number, (name, lessons) in enumerate(LEARNERS.items()):
        progress = _write_learner(tmp_path, monkeypatch, capsys, number, name, lessons)
        if name == FORMULA_NAME:
            with open(progress / "00_welcome.jsonl", "ab") as log:
                log.write(b'{"event": "check", "question": "q1", "status": 5}\n')  # one unreadable line
        status, out, err = _run(["handin", "--out", str(folder), "--notebooks", str(notebooks)], capsys)
        assert (status, err) == (0, ""), err
    return folder


def _table_numbers(table):
    out = {}
    for row in table.to_dict("records"):
        values = [None if column == "minutes_first_to_last" and row[column] != row[column] else row[column]
                  for column in NUMBERS]  # fmt: skip
        out[row["learner"], row["lesson"]] = tuple(values)
    return out


def test_the_gradebook_counts_what_the_learners_did(handins, capsys):
    status, out, err = _run(["gradebook", str(handins)], capsys)
    assert (status, err) == (0, "")
    assert out == f"Gradebook of 3 learner(s) written to {handins / 'gradebook.csv'} and {handins / 'gradebook.html'}\n"
    book = build_gradebook(handins)
    assert _table_numbers(book.table) == EXPECTED
    assert (book.table["tampered_lines"] == 0).all()
    assert book.rejected == () and book.superseded == ()

    with open(handins / "gradebook.csv", encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 6
    by_key = {(r["learner"], r["lesson"]): r for r in rows}
    assert ("'" + FORMULA_NAME, "00_welcome") in by_key  # the spreadsheet reads it as text, not a formula
    assert by_key[SCRIPT_NAME, "00_welcome"]["hints"] == "3"
    assert by_key[SCRIPT_NAME, "00_welcome"]["minutes_first_to_last"] == "135.0"
    assert by_key["Ana Rahimi", "99_custom"]["minutes_first_to_last"] == ""


def test_what_the_class_got_wrong(handins):
    book = build_gradebook(handins)
    questions = {(r["lesson"], r["question"]): (r["kind"], r["right"], r["tried"], r["learners"])
                 for r in book.questions.to_dict("records")}  # fmt: skip
    assert questions == {
        ("00_welcome", "q1"): ("question", 2, 3, 3),
        ("00_welcome", "q2"): ("question", 2, 2, 3),
        ("00_welcome", "q3"): ("question", 0, 1, 3),
        ("00_welcome", "q4"): ("quiz", 1, 2, 3),
        ("00_welcome", "q5"): ("question", 0, 1, 3),
        ("00_welcome", "q7"): ("quiz", 0, 0, 3),
        ("99_custom", IMG): ("question", 0, 1, 3),
        ("99_custom", "a1"): ("question", 1, 1, 3),
        ("99_custom", "a2"): ("question", 0, 1, 3),
        ("99_custom", "b1"): ("quiz", 1, 1, 3),
    }
    q1 = lesson("00_welcome").q1.question.mistakes
    why = {i.id: i.why for i in lesson("00_welcome").items if i.kind == "quiz"}["q4"]
    wrong = {(r["lesson"], r["question"], r["mistake"]): (r["learners"], r["answers"])
             for r in book.mistakes.to_dict("records")}  # fmt: skip
    assert wrong == {
        ("00_welcome", "q1", q1[0].message): (3, 3),
        ("00_welcome", "q1", q1[1].message): (1, 1),
        ("00_welcome", "q1", "incorrect"): (1, 1),
        ("00_welcome", "q3", "learner_error"): (1, 1),
        ("00_welcome", "q4", f"chose b: {why['b']}"): (1, 1),
        ("00_welcome", "q4", f"chose a: {why['a']}"): (1, 1),
        ("00_welcome", "q5", "mistake m9"): (1, 1),
        ("99_custom", "a2", "incorrect"): (1, 1),
        ("99_custom", IMG, "<i>odd</i>"): (1, 1),
    }
    assert book.mistakes.iloc[0]["mistake"] == q1[0].message  # the commonest first


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.attributes = set(), set()

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attributes |= {name for name, _ in attrs}


def test_the_page_escapes_every_learner_string_and_loads_nothing(handins, capsys):
    assert _run(["gradebook", str(handins), "--out", str(handins / "out")], capsys)[0] == 0
    page = (handins / "out" / "gradebook.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(2)&gt;" in page and "&lt;i&gt;odd&lt;/i&gt;" in page
    parser = _Tags()
    parser.feed(page)
    assert parser.tags <= {"html", "head", "meta", "title", "style", "body", "h1", "h2", "h3", "p", "table", "thead",
                           "tbody", "tr", "th", "td", "ul", "li"}  # fmt: skip
    assert parser.attributes <= {"lang", "charset", "http-equiv", "content", "class"}
    assert "http://" not in page and "https://" not in page and "url(" not in page
    assert "not focused time" in page
    assert lesson("00_welcome").q1.question.mistakes[0].message in page


def test_the_latest_hand_in_of_each_learner_counts(tmp_path, monkeypatch, capsys):
    folder = tmp_path / "handins"
    folder.mkdir()
    progress = _write_learner(tmp_path, monkeypatch, capsys, 0, "Ana Rahimi",
                              {"00_welcome": [check("q1", "incorrect", 0)]})  # fmt: skip
    early = make_handin(folder, notebooks=tmp_path, progress=progress, now=datetime(2025, 3, 1, 9, tzinfo=UTC))
    ProgressLog(progress).append("00_welcome", check("q1", "correct", 20))
    ProgressLog(progress).write_learner("ana  RAHIMI")  # the same learner, typed differently
    late = make_handin(folder, notebooks=tmp_path, progress=progress, now=datetime(2025, 3, 2, 9, tzinfo=UTC))
    early.path.rename(folder / "z-first.zip")  # the file names sort the other way round: `created` decides
    late.path.rename(folder / "a-second.zip")
    status, out, err = _run(["gradebook", str(folder)], capsys)
    assert (status, err) == (0, "")
    assert "Kept the latest hand-in of ana  RAHIMI (a-second.zip); older: z-first.zip" in out
    book = build_gradebook(folder)
    assert book.table[["learner", "questions_right", "events", "handin_file"]].to_numpy().tolist() == [
        ["ana  RAHIMI", 1, 2, "a-second.zip"]]  # fmt: skip
    assert [(s.kept, s.older) for s in book.superseded] == [("a-second.zip", "z-first.zip")]


def test_tampered_lines_are_reported(handins, monkeypatch):
    read = ProgressLog.read

    def with_tampering(self, lesson_id):
        contents = read(self, lesson_id)
        return types.SimpleNamespace(events=contents.events, skipped=contents.skipped,
                                     problems=contents.problems, tampered=2)  # fmt: skip

    monkeypatch.setattr(gradebook_module.ProgressLog, "read", with_tampering)
    table = build_gradebook(handins).table
    assert table.loc[table["events"] > 0, "tampered_lines"].tolist() == [2, 2, 2, 2]
    assert table.loc[table["events"] == 0, "tampered_lines"].tolist() == [0, 0]


# --- hostile files ----------------------------------------------------------------------------


def _zip(path, members, manifest=True, learner="Mallory", files=None):
    """A zip of ``members`` (name -> bytes) with a manifest whose checksums are right unless ``files``."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        if manifest:
            listed = files if files is not None else {n: hashlib.sha256(d).hexdigest() for n, d in members.items()}
            archive.writestr("manifest.json", json.dumps({
                "format": "crmlab-handin", "version": 1, "learner": learner, "created": "2025-03-01T09:00:00+00:00",
                "crmlab_version": "0.1.0", "files": listed}))  # fmt: skip
    return path


LOG = b'{"event": "check", "question": "q1", "status": "correct", "learner": "Mallory"}\n'


def _hostile(folder, tmp_path):
    """File name -> a substring of the reason it must be rejected with."""
    (folder / "corrupt.zip").write_bytes(b"PK\x03\x04 this is not a zip at all")
    outside = tmp_path / "outside"
    _zip(folder / "bomb.zip", {"progress/00_welcome.jsonl": bytes(30 * 1024 * 1024)})
    _zip(folder / "traversal.zip", {"progress/00_welcome.jsonl": LOG, "../evil.jsonl": LOG})
    _zip(folder / "absolute.zip", {"progress/00_welcome.jsonl": LOG, f"{outside}/evil.jsonl": LOG})
    _zip(folder / "nomanifest.zip", {"progress/00_welcome.jsonl": LOG}, manifest=False)
    _zip(folder / "changed.zip", {"progress/00_welcome.jsonl": LOG},
         files={"progress/00_welcome.jsonl": hashlib.sha256(b"what was handed in").hexdigest()})
    _zip(folder / "unlisted.zip", {"progress/00_welcome.jsonl": LOG}, files={})
    _zip(folder / "notours.zip", {"progress/00_welcome.jsonl": LOG}, learner="")
    with zipfile.ZipFile(folder / "link.zip", "w") as archive:
        info = zipfile.ZipInfo("progress/00_welcome.jsonl")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(info, "/etc/passwd")
        archive.writestr("manifest.json", json.dumps({
            "format": "crmlab-handin", "version": 1, "learner": "Mallory", "created": "2025-03-01T09:00:00+00:00",
            "files": {"progress/00_welcome.jsonl": hashlib.sha256(b"/etc/passwd").hexdigest()}}))  # fmt: skip
    liar = _zip(tmp_path / "liar.zip", {"progress/00_welcome.jsonl": bytes(5 * 1024 * 1024)}).read_bytes()
    local, central = liar.index(b"PK\x03\x04"), liar.index(b"PK\x01\x02")
    small = (1000).to_bytes(4, "little")  # both headers claim 1,000 bytes; the data unpacks to 5 MB
    (folder / "liar.zip").write_bytes(liar[:local + 22] + small + liar[local + 26:central + 24] + small
                                      + liar[central + 28:])  # fmt: skip
    (folder / "notes.txt").write_text("not a hand-in: ignored")
    return {
        "liar.zip": "not a readable zip file",
        "absolute.zip": "unexpected member",
        "bomb.zip": "a zip bomb",
        "changed.zip": "does not match manifest.json",
        "corrupt.zip": "not a readable zip file",
        "link.zip": "not a regular file",
        "nomanifest.zip": "no manifest.json",
        "notours.zip": "`learner` is empty",
        "traversal.zip": "unexpected member '../evil.jsonl'",
        "unlisted.zip": "is not listed in manifest.json",
    }


def test_hostile_files_are_rejected_with_the_reason_and_the_class_still_graded(handins, tmp_path, capsys,
                                                                                 monkeypatch):  # fmt: skip
    reasons = _hostile(handins, tmp_path)
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(temp))
    before = {p for p in tmp_path.rglob("*")}
    status, out, err = _run(["gradebook", str(handins)], capsys)
    assert (status, err) == (1, "")
    rejected = {line.split(":")[0][len("Rejected "):]: line for line in out.splitlines() if line.startswith("Rejected")}
    assert sorted(rejected) == sorted(reasons)
    for name, reason in reasons.items():
        assert reason in rejected[name], rejected[name]
    assert out.endswith(f"Gradebook of 3 learner(s) written to {handins / 'gradebook.csv'} and "
                        f"{handins / 'gradebook.html'}\n")  # fmt: skip
    after = {p for p in tmp_path.rglob("*")}
    assert after - before == {handins / "gradebook.csv", handins / "gradebook.html"}  # temp folders gone
    assert not (tmp_path / "evil.jsonl").exists() and not (tmp_path / "outside").exists()
    book = build_gradebook(handins)
    assert _table_numbers(book.table) == EXPECTED
    page = (handins / "gradebook.html").read_text(encoding="utf-8")
    assert "unexpected member &#x27;../evil.jsonl&#x27;" in page


def test_a_folder_without_hand_ins_is_a_usage_error(tmp_path, capsys):
    assert _run(["gradebook", str(tmp_path)], capsys) == (2, "", (
        f"crmlab gradebook: error: There is no hand-in (*.zip) in {str(tmp_path)!r}. Put the learners' "
        "*.crmlab-handin.zip files there (made with crmlab handin).\n"))
    status, out, err = _run(["gradebook", str(tmp_path / "nowhere")], capsys)
    assert (status, out) == (2, "") and "is not a folder" in err and err.count("\n") == 1
    assert _run(["gradebook"], capsys) == (2, "", "crmlab gradebook: error: the following arguments are "
                                                  "required: DIR\n")  # fmt: skip


def test_progress_on_a_class_folder_points_to_the_gradebook(handins, tmp_path, capsys):
    """The issue: `crmlab progress --dir` on a folder of hand-ins said "No progress recorded yet" and
    exited 0; on learners' logs renamed after them it showed lessons called by their names."""
    status, out, err = _run(["progress", "--dir", str(handins)], capsys)
    assert (status, out) == (2, "No progress recorded yet.\n")
    assert err == (f"crmlab progress: {handins} holds 3 zip file(s): `crmlab progress` shows one learner's own "
                   f"progress folder. For a class, run `crmlab gradebook {handins}` on a folder of hand-ins "
                   "(`crmlab handin` makes them).\n")  # fmt: skip
    status, _, err = _run(["progress", "--dir", str(tmp_path)], capsys)  # the learners' own folders
    assert status == 2 and "holds 3 folder(s) of logs" in err
    flat = tmp_path / "flat"
    flat.mkdir()
    (flat / "00_welcome.jsonl").write_bytes((tmp_path / "learner0" / "00_welcome.jsonl").read_bytes())
    (flat / "99_ana.jsonl").write_bytes((tmp_path / "learner0" / "00_welcome.jsonl").read_bytes())
    status, out, err = _run(["progress", "--dir", str(flat)], capsys)
    assert status == 1 and "holds 1 log(s) named after something other than their lesson" in err
    status, out, err = _run(["progress", "--dir", str(tmp_path / "learner0")], capsys)  # one learner: no note
    assert (status, err) == (0, "") and "00_welcome" in out


# --- `crmlab grade` is wired to the third engineer's module -----------------------------------


def test_grade_without_its_module_is_a_clean_error(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "crmlab.classroom.grading", None)  # as if the module were missing
    status, out, err = _run(["grade", "handins"], capsys)
    assert (status, out) == (2, "")
    assert err.startswith("crmlab grade: error: ") and err.count("\n") == 1


def test_grade_hands_its_arguments_to_grade_main(monkeypatch):
    seen = []
    fake = types.ModuleType("crmlab.classroom.grading")
    fake.grade_main = lambda argv: seen.append(list(argv)) or 7
    monkeypatch.setitem(sys.modules, "crmlab.classroom.grading", fake)
    assert main(["grade", "handins", "--timeout", "5"]) == 7
    assert seen == [["handins", "--timeout", "5"]]


def test_csv_text_is_what_to_safe_csv_writes(handins, capsys):
    assert _run(["gradebook", str(handins)], capsys)[0] == 0
    raw = (handins / "gradebook.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with a byte-order mark, as crmlab.export writes
    header = next(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert header == gradebook_module.COLUMNS
