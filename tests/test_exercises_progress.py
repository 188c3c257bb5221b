"""The progress log survives concurrent writers and killed writers; summaries and CLI."""

import json
import multiprocessing
import os
import signal
import time

import pytest

from crmlab.exercises import ProgressLog, progress_dir
from crmlab.exercises.cli import progress_main
from crmlab.exercises.progress import Item, course_progress, summarize

_CTX = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods()
                                   else "spawn")  # fmt: skip


def _writer(directory, worker, count):
    log = ProgressLog(directory)
    for seq in range(count):
        log.append("00_shared", {"event": "check", "question": f"w{worker}", "seq": seq,
                                 "pad": "é" * (seq % 97)})  # fmt: skip


def _endless_writer(directory):
    log = ProgressLog(directory)
    seq = 0
    while True:
        log.append("00_killed", {"event": "check", "question": "q1", "seq": seq, "pad": "x" * 4000})
        seq += 1


def test_default_folder_and_override(monkeypatch, tmp_path):
    monkeypatch.delenv("CRMLAB_PROGRESS_DIR", raising=False)
    assert progress_dir() == progress_dir().home() / ".crmlab" / "progress"
    monkeypatch.setenv("CRMLAB_PROGRESS_DIR", str(tmp_path))
    assert progress_dir() == tmp_path
    ProgressLog().append("00_a", {"event": "hint", "question": "q1", "hint": 1})
    assert (tmp_path / "00_a.jsonl").is_file()


def test_each_append_is_one_write_of_a_whole_line(tmp_path, monkeypatch):
    writes = []
    real_write = os.write
    monkeypatch.setattr(os, "write", lambda fd, data: writes.append(data) or real_write(fd, data))
    log = ProgressLog(tmp_path)
    log.append("00_a", {"event": "check", "question": "q1", "status": "correct"})
    log.append("00_a", {"event": "hint", "question": "q1", "hint": 2})
    assert len(writes) == 2 and all(w.endswith(b"\n") and w.count(b"\n") == 1 for w in writes)
    record = json.loads(writes[0])
    assert {k: record[k] for k in ("v", "lesson", "event", "question", "status")} == {
        "v": 1, "lesson": "00_a", "event": "check", "question": "q1", "status": "correct"}


def test_concurrent_writers_lose_nothing(tmp_path):
    workers, count = 4, 300
    procs = [_CTX.Process(target=_writer, args=(tmp_path, w, count)) for w in range(workers)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(60)
    assert [proc.exitcode for proc in procs] == [0] * workers
    contents = ProgressLog(tmp_path).read("00_shared")
    assert contents.skipped == 0
    assert len(contents.events) == workers * count
    for w in range(workers):
        seqs = [e["seq"] for e in contents.events if e["question"] == f"w{w}"]
        assert seqs == list(range(count))  # each writer's entries, complete and in order
    lines = (tmp_path / "00_shared.jsonl").read_bytes().split(b"\n")
    assert lines[-1] == b"" and all(json.loads(line) for line in lines[:-1])


def test_writer_killed_mid_write_keeps_earlier_entries(tmp_path):
    proc = _CTX.Process(target=_endless_writer, args=(tmp_path,))
    proc.start()
    path = tmp_path / "00_killed.jsonl"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and (not path.exists() or path.stat().st_size < 800_000):
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.join(10)
    assert proc.exitcode == -signal.SIGKILL
    log = ProgressLog(tmp_path)
    before = log.read("00_killed")
    assert len(before.events) >= 150 and before.skipped <= 1
    assert [e["seq"] for e in before.events] == list(range(len(before.events)))
    log.append("00_killed", {"event": "check", "question": "q1", "seq": "after"})
    after = log.read("00_killed")
    assert after.events[:-1] == before.events and after.events[-1]["seq"] == "after"
    assert after.skipped == before.skipped


def test_torn_tail_is_skipped_counted_and_isolated(tmp_path):
    log = ProgressLog(tmp_path)
    log.append("00_torn", {"event": "check", "question": "q1", "status": "incorrect"})
    with open(tmp_path / "00_torn.jsonl", "ab") as handle:
        handle.write(b'{"v": 1, "event": "check", "quest')  # a writer killed mid-line
    torn = log.read("00_torn")
    assert (len(torn.events), torn.skipped) == (1, 1)
    log.append("00_torn", {"event": "check", "question": "q1", "status": "correct"})
    healed = log.read("00_torn")
    assert [e["status"] for e in healed.events] == ["incorrect", "correct"]
    assert healed.skipped == 1
    summary = summarize("00_torn", healed.events, [Item("q1")], skipped_lines=healed.skipped)
    assert "(1 unreadable line(s) in the log were skipped.)" in str(summary)


def test_lesson_ids_are_checked(tmp_path):
    with pytest.raises(ValueError, match="must be letters, digits"):
        ProgressLog(tmp_path).append("../evil", {"event": "hint"})


def test_summary_rules():
    events = [
        {"event": "check", "question": "q1", "status": "not_attempted"},
        {"event": "check", "question": "q1", "status": "learner_error"},
        {"event": "check", "question": "q1", "status": "correct"},
        {"event": "check", "question": "q1", "status": "incorrect"},
        {"event": "hint", "question": "q2", "hint": 2},
        {"event": "hint", "question": "q2", "hint": 1},
        {"event": "solution", "question": "q2"},
        {"event": "quiz", "question": "q3", "status": "incorrect", "answer": "a"},
        {"event": "check", "question": "q9", "status": "correct"},  # not in the lesson
    ]
    items = [Item("q1"), Item("q2", points=2), Item("q3", "quiz"), Item("q4", "reflection")]
    progress = summarize("00_x", events, items, title="Demo")
    assert [(i.id, i.status, i.attempts, i.hints_used, i.solution_viewed)
            for i in progress.items] == [
        ("q1", "correct", 3, 0, False), ("q2", "not_attempted", 0, 2, True),
        ("q3", "incorrect", 1, 0, False), ("q4", "not_attempted", 0, 0, False)]  # fmt: skip
    assert (progress.score, progress.max_score, progress.complete) == (1, 4, False)
    assert str(progress).splitlines()[:3] == [
        "Lesson 00_x · Demo",
        "question  kind        status         attempts  hints  solution",
        "q1        question    correct        3         0      -",
    ]


def test_course_progress_and_cli(tmp_path, capsys):
    log = ProgressLog(tmp_path)
    log.append("00_a", {"event": "check", "question": "q1", "status": "correct"})
    log.append("01_b", {"event": "check", "question": "q1", "status": "incorrect"})
    log.append("01_b", {"event": "check", "question": "q2", "status": "unchecked",
                        "answer": "text"})  # fmt: skip
    course = course_progress(log)
    assert [(p.lesson, p.score, p.max_score, p.complete) for p in course.lessons] == [
        ("00_a", 1, 1, True), ("01_b", 0, 1, False)]
    assert str(course).splitlines()[-1] == "Lessons complete: 1 of 2; points: 1 of 2"
    assert progress_main(["--dir", str(tmp_path)]) == 0
    assert capsys.readouterr().out == str(course) + "\n"
    assert progress_main(["--dir", str(tmp_path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [d["lesson"] for d in data] == ["00_a", "01_b"]
    assert data[1]["questions"][1] == {"id": "q2", "kind": "reflection", "status": "unchecked",
                                       "attempts": 1, "hints_used": 0, "solution_viewed": False}
    assert progress_main(["--dir", str(tmp_path), "99_nope"]) == 2
    assert "There is no lesson '99_nope'" in capsys.readouterr().out
