"""Tamper-evident progress logs: every line's checksum chains to the line before.

The oracle recomputes the chain from the file's bytes with hashlib and hmac, following the
rule written in the module's docstring, never with the code under test.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import multiprocessing
import os
import signal
import time

import pytest

from crmlab.exercises import Lesson, ProgressLog, Question
from crmlab.exercises.certificate import CertificateError, write_certificate
from crmlab.exercises.cli import progress_main
from crmlab.exercises.progress import Item, course_progress, summarize

_CTX = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods()
                                   else "spawn")  # fmt: skip
LESSON = "00_chain"
EVENTS = [
    {"event": "check", "question": "q1", "status": "incorrect", "mistake": "m2"},
    {"event": "hint", "question": "q1", "hint": 1},
    {"event": "check", "question": "q1", "status": "correct"},
    {"event": "check", "question": "q2", "status": "unchecked", "answer": "Sara's café: ۱۲ مشتری"},
    {"event": "quiz", "question": "q3", "status": "correct", "answer": "b"},
]
ITEMS = [Item("q1"), Item("q2", "reflection"), Item("q3", "quiz")]


@pytest.fixture(autouse=True)
def _no_class_key(monkeypatch):
    monkeypatch.delenv("CRMLAB_CLASS_KEY", raising=False)


def _oracle(raw: bytes, key: str | None = None) -> list[str]:
    """Each line's sum, recomputed: sha256 (or HMAC) of the previous sum + the sorted, compact JSON."""
    previous, sums = "", []
    for line in raw.splitlines():
        entry = json.loads(line)
        body = {name: value for name, value in entry.items() if name != "sum"}
        message = (previous + json.dumps(body, sort_keys=True, separators=(",", ":"))).encode()
        if key is None:
            expected = hashlib.sha256(message).hexdigest()[:16]
        else:
            expected = "k" + hmac.new(key.encode(), message, hashlib.sha256).hexdigest()[:16]
        assert entry["sum"] == expected, f"line {len(sums) + 1}: {entry['sum']} != {expected}"
        previous = expected
        sums.append(expected)
    return sums


def _log(tmp_path, events=EVENTS, key=None):
    log = ProgressLog(tmp_path, key=key)
    for event in events:
        log.append(LESSON, event)
    return log, tmp_path / f"{LESSON}.jsonl"


def _lines(path):
    return path.read_bytes().splitlines(keepends=True)


def _counts(log):
    contents = log.read(LESSON)
    return len(contents.events), contents.skipped, contents.tampered, contents.unverified


def test_every_line_carries_a_sum_that_chains_to_the_line_before(tmp_path):
    log, path = _log(tmp_path)
    sums = _oracle(path.read_bytes())
    assert len(sums) == len(EVENTS) == len(set(sums)) and all(len(s) == 16 for s in sums)
    assert _counts(log) == (5, 0, 0, 0)
    assert log.read(LESSON).flagged == ()
    assert [e["sum"] for e in log.read(LESSON).events] == sums


def test_an_edited_line_is_flagged_and_the_rest_still_verifies(tmp_path):
    log, path = _log(tmp_path)
    lines = _lines(path)
    lines[0] = lines[0].replace(b'"status": "incorrect"', b'"status": "correct"')
    path.write_bytes(b"".join(lines))
    contents = log.read(LESSON)
    assert (contents.tampered, contents.unverified, contents.skipped) == (1, 0, 0)
    assert contents.flagged == ("line 1: its checksum does not match: the line was edited, or a line just "
                                "before it was removed, added or moved",)  # fmt: skip
    assert len(contents.events) == 5  # still read and counted: the whole log is flagged, not silently cut


@pytest.mark.parametrize(("edit", "flagged_lines"), [
    (lambda lines: lines[:2] + lines[3:], [3]),  # delete line 3: the line after the gap is flagged
    (lambda lines: lines[1:], [1]),  # delete the first line
    (lambda lines: lines[:2] + [lines[0]] + lines[2:], [3, 4]),  # insert a copy of line 1 after line 2
    (lambda lines: [lines[0], lines[2], lines[1], *lines[3:]], [2, 3, 4]),  # swap lines 2 and 3
    (lambda lines: lines + [lines[2]], [6]),  # replay a "correct" line at the end
])  # fmt: skip
def test_deleted_inserted_and_moved_lines_are_flagged(tmp_path, edit, flagged_lines):
    log, path = _log(tmp_path)
    path.write_bytes(b"".join(edit(_lines(path))))
    contents = log.read(LESSON)
    assert contents.tampered == len(flagged_lines)
    assert [int(reason.split(":")[0].removeprefix("line ")) for reason in contents.flagged] == flagged_lines


def _forged(**entry) -> bytes:
    return json.dumps({"v": 1, "lesson": LESSON, "event": "check", "question": "q9", "status": "correct",
                       **entry}).encode() + b"\n"  # fmt: skip


NO_SUM = "it has no checksum, after lines that have one"
MISMATCH = "its checksum does not match"


@pytest.mark.parametrize(("line", "key", "tampered", "reason"), [
    (_forged(), None, 1, NO_SUM),
    (_forged(), "class key", 1, NO_SUM),
    (_forged(sum="0123456789abcdef"), None, 1, MISMATCH),
    (_forged(sum="0123456789abcdef"), "class key", 1, MISMATCH),
    (_forged(sum="k0123456789abcdef"), "class key", 1, MISMATCH),
    (_forged(sum="k0123456789abcdef"), None, 0, ""),  # a keyed sum cannot be checked without the key: unverified
])  # fmt: skip
def test_a_forged_line_appended_by_hand_is_flagged(tmp_path, line, key, tampered, reason):
    log, path = _log(tmp_path, key=key)
    with open(path, "ab") as handle:
        handle.write(line)
    contents = log.read(LESSON)
    assert (contents.tampered, contents.unverified, len(contents.events)) == (tampered, 1 - tampered, 6)
    assert [r.startswith(f"line 6: {reason}") for r in contents.flagged] == [True] * tampered
    log.append(LESSON, {"event": "hint", "question": "q1", "hint": 2})  # later lines chain on
    assert log.read(LESSON).tampered == tampered


def test_a_forger_who_recomputes_the_sums_is_not_caught(tmp_path):
    """The documented limit: the rule is public, so a determined learner can follow it."""
    log, path = _log(tmp_path)
    previous = json.loads(_lines(path)[-1])["sum"]
    body = {"v": 1, "lesson": LESSON, "event": "check", "question": "q9", "status": "correct"}
    body["sum"] = hashlib.sha256((previous + json.dumps(body, sort_keys=True, separators=(",", ":")))
                                 .encode()).hexdigest()[:16]  # fmt: skip
    with open(path, "ab") as handle:
        handle.write(json.dumps(body).encode() + b"\n")
    assert log.read(LESSON).tampered == 0
    path.write_bytes(b"".join(_lines(path)[:-2]))  # nor is cutting lines off the end
    assert _counts(log) == (4, 0, 0, 0)


def test_an_old_log_without_sums_reads_as_unverified_then_chains_on(tmp_path):
    old = b"".join(json.dumps({"v": 1, "time": "2025-01-01T00:00:00.000+00:00", "lesson": LESSON, **e}).encode()
                   + b"\n" for e in EVENTS[:3])  # fmt: skip
    path = tmp_path / f"{LESSON}.jsonl"
    path.write_bytes(old)
    log = ProgressLog(tmp_path)
    assert _counts(log) == (3, 0, 0, 3)
    for event in EVENTS[3:]:
        log.append(LESSON, event)
    assert _counts(log) == (5, 0, 0, 3)
    new = path.read_bytes()[len(old):]
    assert len(_oracle(new)) == 2  # the chain starts afresh after the old lines
    progress = summarize(LESSON, log.read(LESSON), ITEMS)
    assert progress.complete and progress.log_text() == (
        "Note: 3 line(s) of the log carry no checksum this course can verify (sums removed, written by a course "
        "version before checksums, or with another class key setting), so no certificate is issued for this "
        "lesson.")  # fmt: skip
    with pytest.raises(CertificateError, match=r"^No certificate: 3 line\(s\) of .* carry no checksum"):
        write_certificate(progress, tmp_path / "cert.html", name="Ada", directory=tmp_path)
    assert not (tmp_path / "cert.html").exists()


def test_a_log_written_by_hand_without_sums_scores_but_gets_no_certificate(tmp_path, monkeypatch):
    """The issue's forgery: every answer "correct", typed by hand with no checksums. The score is what the
    lines say, but the log is marked unverified, the certificate is refused and the gradebook counts it."""
    from crmlab.classroom import build_gradebook, make_handin

    monkeypatch.delenv("CRMLAB_CLASS_KEY", raising=False)
    progress_folder = tmp_path / "progress"
    progress_folder.mkdir()
    forged = [{"v": 1, "time": f"2026-12-01T10:0{i}:00.000+00:00", "lesson": LESSON, "learner": "Sam",
               "event": "check", "question": q, "status": "correct"} for i, q in enumerate(("q1", "q2"))]  # fmt: skip
    (progress_folder / f"{LESSON}.jsonl").write_text("".join(json.dumps(e) + "\n" for e in forged))
    ex = Lesson(LESSON, [Question("q1", "6 * 7?", expected=lambda: 42), Question("q2", "1 + 1?", expected=lambda: 2)],
                title="Forged", log=ProgressLog(progress_folder))  # fmt: skip
    progress = ex.progress()
    assert (progress.score, progress.max_score, progress.tampered_lines, progress.unverified_lines) == (2, 2, 0, 2)
    assert "carry no checksum this course can verify" in str(progress)
    assert course_progress(ProgressLog(progress_folder)).rows() == [[LESSON, "", "2/2", "unverified"]]
    message = str(ex.certificate(tmp_path / "cert.html", name="Sam"))
    assert message.startswith("Certificate: No certificate: 2 line(s) of ") and not (tmp_path / "cert.html").exists()
    (tmp_path / "exercises").mkdir()
    (tmp_path / "hand").mkdir()
    monkeypatch.setenv("CRMLAB_LEARNER_NAME", "Sam")
    make_handin(tmp_path / "hand", notebooks=tmp_path / "exercises", progress=progress_folder)
    row = build_gradebook(tmp_path / "hand", describe=lambda _: None).table.iloc[0]
    assert (row["lesson"], row["tampered_lines"], row["unverified_lines"]) == (LESSON, 0, 2)


def test_a_sum_that_is_not_text_is_an_unreadable_line(tmp_path):
    log, path = _log(tmp_path)
    with open(path, "ab") as handle:
        handle.write(_forged(sum=5))
    contents = log.read(LESSON)
    assert (contents.skipped, contents.problems, contents.tampered) == (1, ("line 6: `sum` is 5, not text",), 0)


def test_torn_and_over_long_lines_do_not_break_the_chain(tmp_path):
    log, path = _log(tmp_path, EVENTS[:2])
    with open(path, "ab") as handle:
        handle.write(b'{"event": "check", "question": "q1", "status": "' + b"x" * (3 << 20) + b'"}\n')
        handle.write(b"junk\n\n")
        handle.write(b'{"v": 1, "event": "check", "quest')  # torn by a killed writer
    for event in EVENTS[2:]:
        log.append(LESSON, event)
    assert _counts(log) == (5, 3, 0, 0)
    valid = b"".join(line for line in _lines(path) if b'"sum"' in line)
    assert len(_oracle(valid)) == 5
    with open(path, "ab") as handle:  # an over-long line with no newline at the end
        handle.write(b'{"event": "hint", "question": "q1", "hint": 1, "pad": "' + b"y" * (2 << 20))
    log.append(LESSON, {"event": "hint", "question": "q1", "hint": 3})
    assert _counts(log) == (6, 4, 0, 0)


def _writer(directory, worker, count):
    log = ProgressLog(directory)
    for seq in range(count):
        log.append(LESSON, {"event": "check", "question": f"w{worker}", "seq": seq, "pad": "é" * (seq % 97)})


def test_concurrent_writers_make_one_chain(tmp_path):
    workers, count = 4, 200
    procs = [_CTX.Process(target=_writer, args=(tmp_path, w, count)) for w in range(workers)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(60)
    assert [proc.exitcode for proc in procs] == [0] * workers
    assert _counts(ProgressLog(tmp_path)) == (workers * count, 0, 0, 0)
    assert len(_oracle((tmp_path / f"{LESSON}.jsonl").read_bytes())) == workers * count


def _endless_writer(directory):
    log = ProgressLog(directory)
    seq = 0
    while True:
        log.append(LESSON, {"event": "check", "question": "q1", "seq": seq, "pad": "x" * 4000})
        seq += 1


def test_a_writer_killed_mid_write_leaves_a_chain_that_still_verifies(tmp_path):
    proc = _CTX.Process(target=_endless_writer, args=(tmp_path,))
    proc.start()
    path = tmp_path / f"{LESSON}.jsonl"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and (not path.exists() or path.stat().st_size < 400_000):
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.join(10)
    log = ProgressLog(tmp_path)
    before = log.read(LESSON)
    assert len(before.events) >= 90 and before.skipped <= 1 and before.tampered == 0
    log.append(LESSON, {"event": "check", "question": "q1", "seq": "after"})
    after = log.read(LESSON)
    assert (after.tampered, after.skipped, len(after.events)) == (0, before.skipped, len(before.events) + 1)
    whole = b"".join(line for line in _lines(path) if line.endswith(b"}\n"))
    assert len(_oracle(whole)) == len(after.events)


def test_a_class_key_makes_keyed_sums(tmp_path, monkeypatch):
    monkeypatch.setenv("CRMLAB_CLASS_KEY", "class-2025 secret")
    log, path = _log(tmp_path)
    sums = _oracle(path.read_bytes(), key="class-2025 secret")
    assert all(s.startswith("k") and len(s) == 17 for s in sums)
    assert _counts(log) == (5, 0, 0, 0)
    assert _counts(ProgressLog(tmp_path, key="")) == (5, 0, 0, 5)  # no key: cannot be checked
    assert _counts(ProgressLog(tmp_path, key="another class")) == (5, 0, 5, 0)
    monkeypatch.delenv("CRMLAB_CLASS_KEY")
    assert _counts(ProgressLog(tmp_path)) == (5, 0, 0, 5)
    plain, _ = _log(tmp_path / "plain")
    assert _counts(ProgressLog(tmp_path / "plain", key="class-2025 secret")) == (5, 0, 0, 5)  # anyone can make these
    lines = _lines(path)
    lines[2] = lines[2].replace(b'"correct"', b'"incorrect"')
    path.write_bytes(b"".join(lines))
    assert _counts(ProgressLog(tmp_path, key="class-2025 secret")) == (5, 0, 1, 0)


def test_a_tampered_log_is_shown_and_gets_no_certificate(tmp_path, capsys):
    ex = Lesson(LESSON, [Question("q1", "6 * 7?", expected=lambda: 42)], title="Chain",
                log=ProgressLog(tmp_path))  # fmt: skip
    ex.q1.check(41)
    ex.q1.check(6 * 7)
    assert ex.progress().complete and ex.progress().log_text() == ""
    path = tmp_path / f"{LESSON}.jsonl"
    lines = _lines(path)
    path.write_bytes(lines[1] + lines[0])  # "correct" first: the learner "got it first time"
    progress = ex.progress()
    assert (progress.tampered_lines, progress.complete, progress.remaining) == (2, False, [])
    assert str(progress).splitlines()[-1].startswith(
        "Warning: this log was edited by hand: 2 line(s) do not match their checksums, so the score above cannot "
        "be trusted and no certificate is issued (line 1: its checksum does not match")  # fmt: skip
    assert "edited by hand" in progress._repr_html_()
    message = str(ex.certificate(tmp_path / "cert.html", name="Ada"))
    assert message.startswith("Certificate: No certificate: this log was edited by hand. 2 line(s) of "
                              f"{path} do not match their checksums")  # fmt: skip
    assert not (tmp_path / "cert.html").exists()
    with pytest.raises(CertificateError, match="this log was edited by hand"):
        write_certificate(progress, tmp_path / "cert.html", name="Ada", directory=tmp_path)
    course = course_progress(ProgressLog(tmp_path))
    assert course.rows() == [[LESSON, "", "1/1", "edited by hand"]]
    assert str(course).splitlines()[-2:] == [
        "Lessons complete: 0 of 1; points: 1 of 1",
        f"Lesson {LESSON}: warning, the log was edited by hand: 2 line(s) do not match their checksums; its score "
        "cannot be trusted."]  # fmt: skip
    assert progress_main(["--dir", str(tmp_path)]) == 0
    assert capsys.readouterr().out == str(course) + "\n"


def test_crmlab_progress_of_one_lesson_shows_the_edit(tmp_path, capsys):
    """`crmlab progress LESSON` (a registered lesson) reads the whole log: the swap is shown, in text and JSON."""
    from crmlab.exercises.registry import lesson

    ex = lesson("00_welcome", log=ProgressLog(tmp_path))
    ex.q1.check(None)
    ex.q1.check("")
    path = tmp_path / "00_welcome.jsonl"
    lines = _lines(path)
    path.write_bytes(lines[1] + lines[0])
    assert progress_main(["00_welcome", "--dir", str(tmp_path)]) == 0
    assert "Warning: this log was edited by hand: 2 line(s)" in capsys.readouterr().out
    assert progress_main(["00_welcome", "--dir", str(tmp_path), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert (shown["tampered_lines"], shown["unverified_lines"], shown["complete"]) == (2, 0, False)
