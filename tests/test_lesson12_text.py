"""Lesson 12's Caravan part names its model for what the data record: holding a policy (a propensity),
not answering a letter (a response); the mailing's economics wait for a response rate from a holdout."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

LESSON = Path(__file__).resolve().parents[1] / "notebooks" / "12_cross_selling.ipynb"


def caravan_text(path: Path = LESSON) -> list[str]:
    """The sentences of Part 2 (Caravan, up to the next part or the recap) and the recap, markdown only."""
    cells = [c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "markdown"]
    text = "\n".join(cells)
    start, recap = text.index("## Part 2"), text.index("## Recap")
    end = text.find("## Part 3", start)
    part2 = text[start:end if 0 <= end < recap else recap]
    return [s.strip() for s in re.split(r"(?<=[.:;])\s+|\n-", part2 + "\n" + text[recap:]) if s.strip()]


def misnamed(sentences: list[str]) -> list[str]:
    """Sentences that call the Caravan outcome a purchase answering a letter, or its model a response model."""
    bad = []
    for s in sentences:
        low = s.lower()
        buyers = re.search(r"\bbuyers?\b|\bbought caravan", low) and "not a" not in low
        # a response rate may only be named as what a holdout measures, or as what the model does not give
        response = "response" in low and not any(w in low for w in ("holdout", "never been measured", "not a"))
        if buyers or response:
            bad.append(s)
    return bad


def test_the_caravan_part_calls_the_model_a_propensity_not_a_response():
    sentences = caravan_text()
    assert misnamed(sentences) == []
    text = " ".join(sentences).lower()
    assert "the tool is a **propensity model** on real insurance customers" in text
    assert "**holds** a caravan insurance policy" in text
    assert "not a *response* model" in text and "randomised holdout" in text


def test_the_old_wording_is_caught(tmp_path):
    """The check is not vacuous: the lesson's earlier wording fails it."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(s) for s in [
        "## Part 2 · Whom to mail?\n- `Purchase`: \"Yes\" if they bought caravan insurance (the outcome).",
        "- **precision at k**: the share of buyers among the top k customers, the response rate of a mailing to k.",
        "## Part 3 · donors", "## Recap\n- Mail down to the depth where the last letter stops paying."]])
    path = tmp_path / "old.ipynb"
    nbformat.write(nb, path)
    assert len(misnamed(caravan_text(path))) == 2


@pytest.mark.parametrize("sentence", ["It is not a *response* model (who would answer a letter).",
                                      "Measure the response rate with a randomised holdout."])
def test_allowed_mentions_of_response(sentence):
    assert misnamed([sentence]) == []


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.:;?])\s+|\n-", text) if s.strip()]


def exercise_targeting_text() -> list[str]:
    """What the exercises say about targeting: q4, q5 and the quizzes q6, q8, and the notebook's cells on them."""
    from crmlab.exercises import lesson

    ex = lesson("12_cross_selling")
    parts = []
    for qid in ("q4", "q5"):
        q = ex.items[[i.id for i in ex.items].index(qid)]
        parts += [q.prompt, *q.hints, q.correct_message, *(m.message for m in q.mistakes)]
    for qid in ("q6", "q8"):
        quiz = ex.items[[i.id for i in ex.items].index(qid)]
        parts += [quiz.prompt, quiz.explanation, *quiz.options.values(), *quiz.why.values()]
    source = Path(__file__).resolve().parents[1] / "exercises" / "source" / "12_cross_selling_exercises.ipynb"
    cells = nbformat.read(source, as_version=4).cells
    parts += [c.source for c in cells if c.cell_type == "markdown" and re.search(r"Caravan|donor|p_give", c.source)]
    return [s for part in parts for s in _sentences(part)]


def test_the_exercises_name_holders_and_responses_for_what_they_are():
    """Caravan's outcome is never called buying or a response; the donors' is an answer to a mailing that
    every donor received, and what a letter adds is left to a holdout."""
    sentences = exercise_targeting_text()
    assert misnamed(sentences) == []
    text = " ".join(" ".join(sentences).split())
    assert "Unlike Caravan's `Purchase`, `respond` records an answer to a mailing" in text
    assert "only a holdout says that" in text and "randomised holdout" in text


def test_the_objectives_call_caravan_customers_holders():
    first = nbformat.read(LESSON, as_version=4).cells[0].source
    coil = [s for s in re.split(r"\n- ", first) if "CoIL" in s]
    assert coil and misnamed(coil) == [] and "6% holders" in coil[0]
