"""The scorecard's known order channels: the course company's by default, any company's by parameter."""

from __future__ import annotations

import pytest

import crmlab
from crmlab.analysis.quality import scorecard


@pytest.fixture(scope="module")
def crm():
    return crmlab.load_crm(tables=["customers", "orders", "tickets"])


def _orders_validity(card):
    return card.set_index(["table", "dimension"]).loc[("orders", "validity")]


def test_instagram_and_telegram_orders_are_valid_for_the_course_company(crm):
    assert {"instagram", "telegram"} <= set(crm.orders["channel"])  # the Iranian company sells there
    assert _orders_validity(scorecard(crm.customers, crm.orders, crm.tickets))["failing"] == 0


def test_a_company_passes_its_own_channels(crm):
    own = ["web", "store"]
    row = _orders_validity(scorecard(crm.customers, crm.orders, crm.tickets, order_channels=own))
    # oracle: the rows whose channel is not in the list, counted with pandas
    assert row["failing"] == int((~crm.orders["channel"].isin(own)).sum())
    assert row["score"] == pytest.approx(crm.orders["channel"].isin(own).mean())


@pytest.mark.parametrize("bad", [[], [1, 2], 42])
def test_order_channels_must_be_names(crm, bad):
    with pytest.raises(ValueError, match="order_channels must be a list of channel names"):
        scorecard(crm.customers, crm.orders, crm.tickets, order_channels=bad)
