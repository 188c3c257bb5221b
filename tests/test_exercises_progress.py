"""The progress log survives concurrent writers, killed writers and hostile files; summaries and CLI."""

import builtins
import contextlib
import json
import multiprocessing
import os
import signal
import time

import pytest

from crmlab.exercises import ProgressLog, progress_dir, set_learner_name
from crmlab.exercises.cli import progress_main
from crmlab.exercises.progress import Item, course_progress, summarize
from crmlab.exercises.progress_log import MAX_LINE_BYTES, ProgressLogError

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
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("crmlab progress: There is no lesson '99_nope'")


FIX = ("How to fix it: Move it away or delete it (a new log then starts for this lesson), or set the "
       "environment variable CRMLAB_PROGRESS_DIR to another folder.")  # fmt: skip


@contextlib.contextmanager
def _no_hang(seconds=10):
    """Fail instead of hanging (a FIFO opened for reading blocks until a writer comes)."""

    def _timeout(signum, frame):
        raise TimeoutError(f"hung for {seconds} s")

    previous = signal.signal(signal.SIGALRM, _timeout)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _line(**entry):
    return json.dumps({"v": 1, "event": "check", "question": "q1", **entry}).encode() + b"\n"


BAD_LINES = [  # (raw line, the reason given); each one is skipped and counted, never a crash
    (_line(status=5), "`status` is 5, not text"),
    (_line(status=None), "`status` is null, not text"),
    (_line(question=["q1"]), '`question` is ["q1"], not text'),
    (_line(event={"a": 1}), '`event` is {"a": 1}, not text'),
    (b"[1, 2]\n", "a JSON list, not an entry {...}"),
    (b'"correct"\n', "a JSON str, not an entry {...}"),
    (b"42\n", "a JSON int, not an entry {...}"),
    (b'{"v": 1, "event": "check", "status": "correct"}\n', "no `question`"),
    (b'{"v": 1, "question": "q1", "status": "correct"}\n', "no `event`"),
    (b'{"v": 1, "event": "check", "question": "q1", "status": "corr\xff\xfe"}\n', "not UTF-8 text"),
    (b"\xff\xfe{}\n", "not UTF-8 text"),
    (b'{"v": 1, "event": "check", "quest\n', "not valid JSON (e.g. cut short by a stopped kernel)"),
    (_line(event="hint", hint=True), "`hint` is true, not a hint number"),
    (_line(event="hint", hint=-1), "`hint` is -1, not a hint number"),
    (_line(event="hint", hint="2"), '`hint` is "2", not a hint number'),
]


@pytest.mark.parametrize(("raw", "reason"), BAD_LINES)
def test_bad_lines_are_skipped_with_their_reason(tmp_path, capsys, raw, reason):
    good = _line(status="incorrect")
    (tmp_path / "00_bad.jsonl").write_bytes(good + raw + good)
    contents = ProgressLog(tmp_path).read("00_bad")
    assert [e["status"] for e in contents.events] == ["incorrect", "incorrect"]
    assert (contents.skipped, contents.problems) == (1, (f"line 2: {reason}",))
    assert progress_main(["--dir", str(tmp_path)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "lesson  title  score  complete",
        "00_bad         0/1    no",
        "Lessons complete: 0 of 1; points: 0 of 1",
        "Lesson 00_bad: 1 unreadable line(s) in the log were skipped (crmlab progress 00_bad lists them).",
    ]
    summary = summarize("00_bad", contents.events, [Item("q1")], "", contents.skipped, contents.problems)
    assert str(summary).splitlines()[-1] == f"(1 unreadable line(s) in the log were skipped: line 2: {reason}.)"
    assert (summary.items[0].status, summary.items[0].attempts) == ("incorrect", 2)


def test_a_numeric_status_no_longer_crashes_the_cli(tmp_path, capsys):
    (tmp_path / "00_welcome.jsonl").write_bytes(_line(status=5) + _line(question="q2", status="correct"))
    assert progress_main(["--dir", str(tmp_path), "00_welcome", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["skipped_lines"], data["skipped_reasons"]) == (1, ["line 1: `status` is 5, not text"])
    assert [(q["id"], q["status"]) for q in data["questions"][:2]] == [("q1", "not_attempted"), ("q2", "correct")]


def test_summaries_take_odd_events_given_directly():
    events = [{"event": "check", "question": "q1", "status": 5}, {"event": ["x"], "question": "q1"},
              "not a dict", {"event": "hint", "question": "q1", "hint": True},
              {"event": "hint", "question": "q1", "hint": 2},
              {"event": "check", "question": "q1", "status": "correct"}]  # fmt: skip
    progress = summarize("00_x", events)
    assert [(i.id, i.kind, i.status, i.attempts, i.hints_used) for i in progress.items] == [
        ("q1", "question", "correct", 1, 2)]


def test_many_bad_lines_keep_an_exact_count_and_twenty_reasons(tmp_path):
    (tmp_path / "00_junk.jsonl").write_bytes(b"junk\n" * 1000 + _line(status="correct"))
    contents = ProgressLog(tmp_path).read("00_junk")
    assert (contents.skipped, len(contents.problems), len(contents.events)) == (1000, 20, 1)
    summary = summarize("00_junk", contents.events, [Item("q1")], "", contents.skipped, contents.problems)
    assert str(summary).splitlines()[-1] == (
        "(1000 unreadable line(s) in the log were skipped: line 1: not valid JSON (e.g. cut short by a stopped "
        "kernel); line 2: not valid JSON (e.g. cut short by a stopped kernel); line 3: not valid JSON (e.g. cut "
        "short by a stopped kernel), ...)")  # fmt: skip


@pytest.mark.parametrize("size", [MAX_LINE_BYTES + 1, 3 * MAX_LINE_BYTES])
def test_huge_lines_are_skipped_without_losing_neighbours(tmp_path, size):
    huge = b'{"event": "check", "question": "q1", "status": "' + b"x" * size + b'"}\n'
    (tmp_path / "00_huge.jsonl").write_bytes(_line(status="incorrect") + huge + _line(status="correct"))
    contents = ProgressLog(tmp_path).read("00_huge")
    assert [e["status"] for e in contents.events] == ["incorrect", "correct"]
    assert contents.problems == ("line 2: longer than 1,048,576 bytes",)
    (tmp_path / "00_tail.jsonl").write_bytes(_line(status="incorrect") + huge[:-1])  # no newline at the end
    tail = ProgressLog(tmp_path).read("00_tail")
    assert (len(tail.events), tail.problems) == (1, ("line 2: longer than 1,048,576 bytes",))


def test_a_line_just_under_the_limit_is_kept(tmp_path):
    head = _line(status="s")[:-3]  # ends with `"s` before `"}\n`
    filler = b"x" * (MAX_LINE_BYTES - len(head) - 2)
    line = head + filler + b'"}'
    assert len(line) == MAX_LINE_BYTES
    (tmp_path / "00_edge.jsonl").write_bytes(line + b"\n")
    contents = ProgressLog(tmp_path).read("00_edge")
    assert contents.skipped == 0 and len(contents.events[0]["status"]) == 1 + len(filler)


def test_an_oversized_event_is_refused_not_written(tmp_path):
    log = ProgressLog(tmp_path)
    with pytest.raises(ValueError, match=r"longer than the log keeps \(1,048,576\); cut long answers"):
        log.append("00_a", {"event": "check", "question": "q1", "answer": "x" * MAX_LINE_BYTES})
    assert not (tmp_path / "00_a.jsonl").exists()


def _hostile_logs(folder):
    (folder / "01_folder.jsonl").mkdir()
    os.mkfifo(folder / "02_fifo.jsonl")
    os.symlink("03_loop.jsonl", folder / "03_loop.jsonl")
    os.symlink("missing.jsonl", folder / "04_dangling.jsonl")


HOSTILE_REASONS = {
    "01_folder": "Cannot read the progress log: it is a folder, not a regular file",
    "02_fifo": "Cannot read the progress log: it is a named pipe (FIFO), not a regular file",
    "03_loop": "Cannot read the progress log: it is a symbolic link that loops back on itself",
    "04_dangling": "Cannot read the progress log: it is a link to a file that does not exist",
}


def test_hostile_log_files_are_named_and_the_rest_still_shows(tmp_path, capsys):
    log = ProgressLog(tmp_path)
    log.append("00_ok", {"event": "check", "question": "q1", "status": "correct"})
    _hostile_logs(tmp_path)
    with _no_hang():
        course = course_progress(log)
        assert progress_main(["--dir", str(tmp_path)]) == 1
    assert [p.lesson for p in course.lessons] == ["00_ok"]
    assert course.unreadable == tuple(
        (lesson, f"{reason}: {tmp_path / lesson}.jsonl\n{FIX}") for lesson, reason in HOSTILE_REASONS.items())
    out = capsys.readouterr().out
    assert out.splitlines()[:4] == [
        "lesson  title  score  complete", "00_ok          1/1    yes", "Lessons complete: 1 of 1; points: 1 of 1",
        f"Lesson 01_folder: {HOSTILE_REASONS['01_folder']}: {tmp_path}/01_folder.jsonl"]  # fmt: skip
    assert out.count(FIX) == 4 and "Traceback" not in out


@pytest.mark.parametrize("lesson_id", sorted(HOSTILE_REASONS))
def test_hostile_logs_fail_reading_and_writing_with_a_clear_error(tmp_path, lesson_id):
    _hostile_logs(tmp_path)
    log = ProgressLog(tmp_path)
    with _no_hang(), pytest.raises(ProgressLogError) as caught:
        log.read(lesson_id)
    assert str(caught.value) == f"{HOSTILE_REASONS[lesson_id]}: {tmp_path / lesson_id}.jsonl\n{FIX}"
    if lesson_id == "04_dangling":
        return  # appending creates the missing target: that works
    with _no_hang(), pytest.raises(ProgressLogError, match=r"^Cannot write to the progress log: it is "):
        log.append(lesson_id, {"event": "check", "question": "q1", "status": "correct"})


def test_a_fifo_log_never_blocks_the_one_lesson_view(tmp_path, capsys):
    os.mkfifo(tmp_path / "00_welcome.jsonl")
    with _no_hang():
        assert progress_main(["--dir", str(tmp_path), "00_welcome"]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err == (f"crmlab progress: {HOSTILE_REASONS['02_fifo']}: "
                                 f"{tmp_path}/00_welcome.jsonl\n{FIX}\n")  # fmt: skip


def test_an_unreadable_log_says_so(tmp_path, monkeypatch):
    """Tests run as root, who may read anything: the refusal is simulated at os.open."""
    log = ProgressLog(tmp_path)
    log.append("00_a", {"event": "check", "question": "q1", "status": "correct"})
    real_open = os.open

    def _denied(path, *args, **kwargs):
        if str(path).endswith("00_a.jsonl"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", _denied)
    with pytest.raises(ProgressLogError) as caught:
        log.read("00_a")
    assert str(caught.value) == (
        f"Cannot read the progress log: permission denied: {tmp_path}/00_a.jsonl\nHow to fix it: Give yourself "
        f"access (chmod u+rw {tmp_path}/00_a.jsonl) or set CRMLAB_PROGRESS_DIR to another folder.")  # fmt: skip
    course = course_progress(log)
    assert course.lessons == () and course.unreadable[0][0] == "00_a"
    assert str(course).splitlines()[:2] == [
        "No progress could be read.",
        f"Lesson 00_a: Cannot read the progress log: permission denied: {tmp_path}/00_a.jsonl"]


def test_a_read_error_midway_is_reported(tmp_path, monkeypatch):
    ProgressLog(tmp_path).append("00_a", {"event": "hint", "question": "q1", "hint": 1})
    monkeypatch.setattr(os, "read", lambda fd, n: (_ for _ in ()).throw(OSError(5, "Input/output error")))
    with pytest.raises(ProgressLogError, match=r"^Cannot read the progress log \(Input/output error\): "):
        ProgressLog(tmp_path).read("00_a")


def test_progress_folder_that_is_a_file(tmp_path, capsys):
    blocker = tmp_path / "progress"
    blocker.write_text("not a folder")
    assert progress_main(["--dir", str(blocker)]) == 1
    assert capsys.readouterr().err == (
        f"crmlab progress: The progress folder is a file, not a folder: {blocker}\nHow to fix it: Move {blocker} "
        "away, or set the environment variable CRMLAB_PROGRESS_DIR to a folder you can write to.\n")  # fmt: skip
    with pytest.raises(ProgressLogError, match="The progress folder is a file, not a folder"):
        ProgressLog(blocker).append("00_a", {"event": "hint", "question": "q1", "hint": 1})
    assert blocker.read_text() == "not a folder"


def test_lines_carry_the_learner_name_once_set_and_old_lines_still_read(tmp_path):
    log = ProgressLog(tmp_path)
    (tmp_path / "00_a.jsonl").write_bytes(b'{"v": 1, "time": "2026-01-01T00:00:00.000+00:00", "lesson": "00_a", '
                                          b'"event": "check", "question": "q1", "status": "incorrect"}\n')  # fmt: skip
    log.append("00_a", {"event": "check", "question": "q1", "status": "incorrect"})
    set_learner_name("Sara Ahmadi", directory=tmp_path)
    log.append("00_a", {"event": "check", "question": "q1", "status": "correct"})
    events = log.read("00_a").events
    assert [e.get("learner") for e in events] == [None, None, "Sara Ahmadi"]
    assert summarize("00_a", events, [Item("q1")]).items[0].attempts == 3
    assert log.lessons() == ["00_a"]  # learner.json is not a lesson


def test_a_broken_learner_file_never_stops_a_check_being_recorded(tmp_path):
    (tmp_path / "learner.json").write_text("{not json")
    log = ProgressLog(tmp_path)
    log.append("00_a", {"event": "check", "question": "q1", "status": "correct"})
    assert [e.get("learner") for e in log.read("00_a").events] == [None]


def test_open_is_not_used_for_logs(tmp_path, monkeypatch):
    """Reads go through os.open with O_NONBLOCK: builtins.open would block on a FIFO."""
    monkeypatch.setattr(builtins, "open", lambda *a, **k: pytest.fail(f"open{a}"))
    log = ProgressLog(tmp_path)
    log.append("00_a", {"event": "check", "question": "q1", "status": "correct"})
    assert len(log.read("00_a").events) == 1


def test_a_progress_folder_that_cannot_be_listed(tmp_path, monkeypatch, capsys):
    """Simulated at os.scandir: root may list any folder."""

    def _denied(path):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(os, "scandir", _denied)
    assert progress_main(["--dir", str(tmp_path)]) == 1
    assert capsys.readouterr().err == (
        f"crmlab progress: The progress folder cannot be listed (Permission denied): {tmp_path}\nHow to fix it: "
        f"Give yourself access to {tmp_path} (chmod u+rwx), or set the environment variable CRMLAB_PROGRESS_DIR "
        "to a folder you can write to.\n")
