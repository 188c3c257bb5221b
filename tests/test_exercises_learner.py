"""The learner's name: set once, validated, stored in the progress folder, printed on certificates."""

from __future__ import annotations

import getpass
import json
from datetime import date

import pytest

from crmlab.exercises import Lesson, ProgressLog, Question, learner_name, set_learner_name
from crmlab.exercises.certificate import CertificateError, write_certificate
from crmlab.exercises.learner import LearnerNameError, check_learner_name
from crmlab.exercises.progress import Item, summarize

HOW = ('Set your name once: set_learner_name("Your Name") in a notebook (from crmlab.exercises import '
       'set_learner_name), or crmlab name "Your Name" in a terminal.')  # fmt: skip


@pytest.fixture(autouse=True)
def _no_login_name(monkeypatch):
    """The computer's user name must never reach a certificate."""
    monkeypatch.setattr(getpass, "getuser", lambda: pytest.fail("getpass.getuser() was called"))
    monkeypatch.delenv("CRMLAB_LEARNER_NAME", raising=False)


def _complete(lesson_id="00_demo"):
    return summarize(lesson_id, [{"event": "check", "question": "q1", "status": "correct"}], [Item("q1")],
                     title="Demo")  # fmt: skip


def test_set_once_stored_as_json_in_the_progress_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("CRMLAB_PROGRESS_DIR", str(tmp_path))
    message = set_learner_name("  سارا احمدی ")
    assert str(message) == (
        f'Learner name: Saved "سارا احمدی". Your certificates will show this name; it is '
        f"stored in {tmp_path / 'learner.json'}. To change it, call set_learner_name again.")  # fmt: skip
    assert json.loads((tmp_path / "learner.json").read_text(encoding="utf-8")) == {"v": 1, "name": "سارا احمدی"}
    assert learner_name() == "سارا احمدی"
    set_learner_name("Sara Ahmadi")
    assert learner_name() == "Sara Ahmadi"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["learner.json"]  # no temporary file left behind


@pytest.mark.parametrize(("name", "message"), [
    (None, '`name` must be text in quotes, e.g. "Sara Ahmadi", but a NoneType was passed.'),
    (42, '`name` must be text in quotes, e.g. "Sara Ahmadi", but a int was passed.'),
    ("", '`name` is empty. Give the name to print, e.g. "Sara Ahmadi".'),
    (" \t ", '`name` is empty. Give the name to print, e.g. "Sara Ahmadi".'),
    ("x" * 81, "`name` has 81 characters; a name may have at most 80. Shorten it, e.g. leave out middle names."),
    ("Sara\x1b[31m", "`name` holds a control character (U+001B) at character 5. Type the name with letters, "
                     "spaces and punctuation only, on one line."),
    ("Sara\nAhmadi", "`name` holds a control character (U+000A) at character 5. Type the name with letters, "
                     "spaces and punctuation only, on one line."),
    ("Sara\u2028A", "`name` holds a line break (U+2028) at character 5. Type the name with letters, "
                    "spaces and punctuation only, on one line."),
    ("\u202eimdahA araS", "`name` holds a text-direction control character (U+202E) at character 1. Type the "
                          "name with letters, spaces and punctuation only, on one line."),
    ("Sara\udcff", "`name` holds an unpaired surrogate (U+DCFF) at character 5. Type the name with letters, "
                   "spaces and punctuation only, on one line."),
])  # fmt: skip
def test_bad_names_are_refused_and_nothing_is_stored(tmp_path, name, message):
    with pytest.raises(LearnerNameError) as caught:
        set_learner_name(name, directory=tmp_path)
    assert str(caught.value) == message
    assert not (tmp_path / "learner.json").exists()


def test_names_that_are_allowed():
    assert check_learner_name("x" * 80) == "x" * 80
    assert check_learner_name("محمد\u200cرضا") == "محمد\u200cرضا"  # a zero-width non-joiner, as Persian writes
    assert check_learner_name("Zoë O'Brien-Smith <Jr.>") == "Zoë O'Brien-Smith <Jr.>"


def test_no_name_is_none_then_the_environment_then_the_file(tmp_path, monkeypatch):
    assert learner_name(directory=tmp_path) is None
    monkeypatch.setenv("CRMLAB_LEARNER_NAME", "  Ada  ")
    assert learner_name(directory=tmp_path) == "Ada"
    set_learner_name("Sara", directory=tmp_path)
    assert learner_name(directory=tmp_path) == "Sara"  # the learner's own choice wins
    monkeypatch.setenv("CRMLAB_LEARNER_NAME", "bad\x1b")
    assert learner_name(directory=tmp_path) == "Sara"
    (tmp_path / "learner.json").unlink()
    with pytest.raises(LearnerNameError, match=r"^`\$CRMLAB_LEARNER_NAME` holds a control character \(U\+001B\)"):
        learner_name(directory=tmp_path)


@pytest.mark.parametrize(("content", "problem"), [
    (b"{not json", 'The learner file does not hold {"name": "..."}'),
    (b'["Sara"]', 'The learner file does not hold {"name": "..."}'),
    (b'{"name": 5}', 'The learner file does not hold {"name": "..."}'),
    (b"\xff\xfe", 'The learner file does not hold {"name": "..."}'),
])  # fmt: skip
def test_a_broken_learner_file_says_how_to_mend_it(tmp_path, content, problem):
    (tmp_path / "learner.json").write_bytes(content)
    with pytest.raises(LearnerNameError) as caught:
        learner_name(directory=tmp_path)
    assert str(caught.value) == (f"{problem}: {tmp_path / 'learner.json'}\nHow to fix it: Set your name again: "
                                 'set_learner_name("Your Name") in a notebook, or crmlab name "Your Name" in a '
                                 "terminal.")  # fmt: skip
    set_learner_name("Sara", directory=tmp_path)  # and setting it again mends it
    assert learner_name(directory=tmp_path) == "Sara"


def test_a_hand_edited_name_breaking_the_rules_is_refused(tmp_path):
    (tmp_path / "learner.json").write_text(json.dumps({"name": "Sara\x07"}))
    with pytest.raises(LearnerNameError, match=r"^The stored learner name cannot be used: `name` holds a control "):
        learner_name(directory=tmp_path)


def test_a_learner_file_that_is_a_folder(tmp_path):
    (tmp_path / "learner.json").mkdir()
    with pytest.raises(LearnerNameError, match=r"^Cannot read the progress log: it is a folder, not a regular file"):
        learner_name(directory=tmp_path)
    with pytest.raises(LearnerNameError, match=r"^The learner file is not a regular file: "):
        set_learner_name("Sara", directory=tmp_path)


def test_certificate_without_a_name_says_how_to_set_one(tmp_path):
    with pytest.raises(CertificateError) as caught:
        write_certificate(_complete(), directory=tmp_path)
    assert str(caught.value) == f"Your certificate is ready except for your name. {HOW} Then ask for the " \
                                "certificate again."
    assert not (tmp_path / "certificates").exists()


def test_certificate_carries_the_name_set_once_escaped(tmp_path):
    set_learner_name("Sara <b>Ahmadi</b> & co", directory=tmp_path)
    path = write_certificate(_complete(), directory=tmp_path)
    assert path == tmp_path / "certificates" / "00_demo.html"
    page = path.read_text(encoding="utf-8")
    assert '<div class="name">Sara &lt;b&gt;Ahmadi&lt;/b&gt; &amp; co</div>' in page
    assert "<b>Ahmadi</b>" not in page and "root" not in page
    assert f'<p class="small">{date.today().isoformat()}</p>' in page


def test_certificate_name_argument_is_checked_too(tmp_path):
    with pytest.raises(CertificateError, match=r"^Your certificate is ready except for your name: `name` holds a "
                                               r"control character \(U\+000A\)"):  # fmt: skip
        write_certificate(_complete(), tmp_path / "c.html", name="Sara\nX")
    path = write_certificate(_complete(), tmp_path / "c.html", name=" Ada ")
    assert '<div class="name">Ada</div>' in path.read_text(encoding="utf-8")


def test_lesson_certificate_in_a_notebook(tmp_path):
    ex = Lesson("99_demo", [Question("q1", "6 * 7?", expected=lambda: 42)], title="Demo",
                log=ProgressLog(tmp_path))  # fmt: skip
    ex.q1.check(42)
    assert str(ex.certificate()) == (f"Certificate: Your certificate is ready except for your name. {HOW} Then ask "
                                     "for the certificate again.")  # fmt: skip
    set_learner_name("Sara Ahmadi", directory=tmp_path)
    target = tmp_path / "certificates" / "99_demo.html"
    assert str(ex.certificate()) == f"Certificate: Well done! Your certificate is at {target}"
    assert '<div class="name">Sara Ahmadi</div>' in target.read_text(encoding="utf-8")
    ex.q1.check(42)
    assert [e.get("learner") for e in ProgressLog(tmp_path).read("99_demo").events] == [None, "Sara Ahmadi"]
