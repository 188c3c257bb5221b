"""The two times lessons 01 and 10 use, pinned on a hand-made ticket: the lead time from first answer to
solution (hours of calendar time, lesson 01) is not the average handling time of a call (an agent's seconds
of work, lesson 10's Erlang C input)."""

from __future__ import annotations

import pandas as pd
import pytest

from crmlab.analysis import kpis, service


@pytest.fixture
def ticket():
    # Opened Monday 08:00, answered 09:00 (an agent talked for 6 minutes), solved Wednesday 13:00.
    return pd.DataFrame({
        "channel": ["call_centre"],
        "created_at": pd.to_datetime(["2025-01-06 08:00"], utc=True),
        "first_response_at": pd.to_datetime(["2025-01-06 09:00"], utc=True),
        "resolved_at": pd.to_datetime(["2025-01-08 13:00"], utc=True),
    })  # fmt: skip


def test_lead_time_is_calendar_hours_from_first_answer_to_solution(ticket):
    # By hand: Monday 09:00 to Wednesday 13:00 is 2 days and 4 hours, nights included: 52 hours.
    assert kpis.answer_to_solution_time(ticket) == 52.0
    assert kpis.response_time(ticket) == 1.0  # opening to first answer
    assert kpis.resolution_time(ticket) == 53.0  # opening to solution = response + lead time
    assert kpis.resolution_time(ticket) == kpis.response_time(ticket) + kpis.answer_to_solution_time(ticket)


def test_old_name_gives_the_same_lead_time(ticket):
    assert kpis.handling_time(ticket, channel="call_centre") == kpis.answer_to_solution_time(ticket)
    by_old = kpis.handling_time(ticket, by="channel")
    by_new = kpis.answer_to_solution_time(ticket, by="channel")
    assert list(by_old.columns) == ["handling_time", "n"]  # old callers keep their column
    assert by_old["handling_time"].tolist() == by_new["answer_to_solution_time"].tolist() == [52.0]


def test_erlang_c_wants_handling_seconds_not_the_lead_time(ticket):
    # The agent's 6 minutes of work are the handling time: 100 such calls in a half-hour keep 20 agents busy.
    assert service.traffic_erlangs(100, period_minutes=30, aht_seconds=6 * 60) == 20.0
    # Fed the lead time instead (52 hours in seconds), ONE call would seem to keep 104 agents busy for the half-hour.
    lead_seconds = kpis.answer_to_solution_time(ticket) * 3600
    assert service.traffic_erlangs(1, period_minutes=30, aht_seconds=lead_seconds) == 104.0


def test_docstrings_state_the_units():
    assert "lead time" in kpis.answer_to_solution_time.__doc__ and "hours" in kpis.answer_to_solution_time.__doc__
    assert "seconds" in kpis.answer_to_solution_time.__doc__  # and says AHT is in seconds
    assert "answer_to_solution_time" in kpis.handling_time.__doc__
