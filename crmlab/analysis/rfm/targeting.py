"""Targeting lists: who to contact in each segment, why, how, and with what offer."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from crmlab.conventions import COURSE, Conventions
from crmlab.validation import column_arguments

from .segments import SEGMENTS, Segment

__all__ = ["CONTACT_COLUMNS", "targeting_list"]

#: Columns of the customers table copied into the list, for the marketing tool.
CONTACT_COLUMNS = ("first_name", "last_name", "company_name", "email", "phone")
_NEEDED = {"segment": "segment", "days_since_last_order": "days_since_last_order", "n_orders": "n_orders",
           "total_spend": "total_spend", "m_score": "m_score"}  # fmt: skip


def targeting_list(
    rfm: pd.DataFrame,
    customers: pd.DataFrame,
    segments: Sequence[str] | None = None,
    consented_only: bool = True,
    minor_units: bool = True,
    rules: Sequence[Segment] = SEGMENTS,
    *,
    channels: Sequence[str] = ("sms", "email"),
    conventions: Conventions = COURSE,
) -> pd.DataFrame:
    """One row per customer to contact: segment, priority, contact details, channel, reason, action.

    Parameters
    ----------
    rfm : DataFrame
        From :func:`rfm_table`: indexed by customer id, with ``segment``, ``m_score``,
        ``days_since_last_order``, ``n_orders`` and ``total_spend``.
    customers : DataFrame
        The ``customers`` table: ``customer_id``, the contact columns and a consent column
        ``consent_<channel>`` for each of ``channels``.
    segments : sequence of str, optional
        The segments to list; by default all of them.
    consented_only : bool, default True
        Keep only customers who agreed to marketing on one of ``channels`` (priorities are
        counted among them); how many were left out is in ``result.attrs["without_consent"]``.
    minor_units : bool, default True
        ``total_spend`` is in the currency's minor unit (cents, pence; rials have none), as
        :func:`customer_summary` gives it from ``total_cents``; False: already in the major unit.
    rules : sequence of Segment
        Where the suggested actions come from; by default :data:`SEGMENTS`.
    channels : sequence of str, default ("sms", "email")
        The company's marketing channels in the order it prefers them: a customer is contacted
        on the first one they consented to (column ``consent_<channel>``). Text message first by
        default, as in Iran where SMS is the main consented channel; a company that mails first
        passes ``("email", "sms")``.
    conventions : Conventions, optional
        The company's conventions (default :data:`crmlab.conventions.COURSE`, Iranian rials): the
        reason shows the spend in whole units of their currency, e.g. "GBP 2,500".

    Returns
    -------
    DataFrame
        Indexed by customer id, sorted by segment then ``priority`` (1 = contact first:
        highest M score, then highest spend, then lowest id): ``segment``, ``priority``, the contact columns,
        ``contact_by`` (one of ``channels``, or "none"), ``reason`` and ``action``.

    Examples
    --------
    >>> rfm = pd.DataFrame({"segment": ["At risk", "At risk", "Champions"], "m_score": [5, 3, 5],
    ...                     "days_since_last_order": [400, 380, 12], "n_orders": [8, 6, 20],
    ...                     "total_spend": [250_000_000, 90_000_000, 800_000_000]},  # rials
    ...                    index=pd.Index([1, 2, 3], name="customer_id"))
    >>> customers = pd.DataFrame({"customer_id": [1, 2, 3], "first_name": ["Ali", "Sara", "Reza"],
    ...                           "last_name": ["Karimi", "Ahmadi", "Moradi"], "company_name": [None, None, None],
    ...                           "email": ["a@x.ir", "s@x.ir", "r@x.ir"], "phone": ["+98912", "+98913", "+98914"],
    ...                           "consent_email": [True, False, True], "consent_sms": [False, True, False]})
    >>> targets = targeting_list(rfm, customers, segments=["At risk"])
    >>> targets[["priority", "contact_by"]]
                 priority contact_by
    customer_id
    1                   1      email
    2                   2        sms
    >>> customers["consent_sms"] = True  # both consents: the first of `channels` wins
    >>> targeting_list(rfm, customers, segments=["At risk"])["contact_by"].tolist()
    ['sms', 'sms']
    >>> targeting_list(rfm, customers, segments=["At risk"], channels=("email", "sms"))["contact_by"].tolist()
    ['email', 'sms']
    >>> targets["reason"].tolist()
    ['8 orders, the last 400 days ago; IRR 250,000,000 spent', '6 orders, the last 380 days ago; IRR 90,000,000 spent']
    >>> from crmlab.conventions import from_mapping
    >>> shop = from_mapping({"timezone": "Europe/London", "currency": "GBP", "as_of": "2011-12-09"})
    >>> targeting_list(rfm, customers, segments=["At risk"], conventions=shop)["reason"].iloc[0]
    '8 orders, the last 400 days ago; GBP 2,500,000 spent'
    >>> toman = from_mapping({"timezone": "Asia/Tehran", "currency": "IRR", "as_of": "2025-12-31",
    ...                       "display_unit": "toman"})
    >>> targeting_list(rfm, customers, segments=["At risk"], conventions=toman)["reason"].iloc[0]
    '8 orders, the last 400 days ago; 25,000,000 toman spent'
    """
    column_arguments(rfm, _NEEDED, "rfm")
    channels = _channels(channels)
    consents = [f"consent_{channel}" for channel in channels]
    needed = {c: c for c in ("customer_id", *CONTACT_COLUMNS, *consents)}
    column_arguments(customers, needed, "customers")
    actions = {s.name: s.action for s in rules}
    chosen = _chosen(segments, actions)
    rows = rfm[rfm["segment"].astype(str).isin(chosen)]
    people = customers.set_index("customer_id").reindex(rows.index)
    agreed = [people[c].fillna(False).astype(bool).to_numpy() for c in consents]
    contact_by = pd.Series(np.select(agreed, channels, "none"), index=rows.index)
    without = int((contact_by == "none").sum())
    if consented_only:
        keep = contact_by != "none"
        rows, people, contact_by = rows[keep], people[keep], contact_by[keep]
    out = pd.DataFrame({"segment": rows["segment"].astype(str), "priority": _priority(rows)}, index=rows.index)
    out = out.join(people[list(CONTACT_COLUMNS)])
    out["contact_by"] = contact_by
    out["reason"] = _reasons(rows, minor_units, conventions)
    out["action"] = out["segment"].map(actions)
    order = {name: i for i, name in enumerate(actions)}
    out = out.sort_values("priority").sort_values("segment", key=lambda s: s.map(order), kind="stable")
    out.attrs["without_consent"] = without
    return out


def _channels(channels: Sequence[str]) -> list[str]:
    if isinstance(channels, str):
        channels = [channels]
    ok = isinstance(channels, Sequence) and len(channels) > 0
    if not ok or not all(isinstance(c, str) and c.isidentifier() and c != "none" for c in channels):
        raise ValueError(f"The value for `channels` must be channel names in order of preference, each with a "
                         f"`consent_<channel>` column, e.g. ('sms', 'email'), but {channels!r} was passed.")
    if len(set(channels)) != len(channels):
        raise ValueError(f"The value for `channels` names a channel twice: {list(channels)}.")
    return list(channels)


def _chosen(segments: Sequence[str] | None, actions: dict[str, str]) -> list[str]:
    if segments is None:
        return list(actions)
    if isinstance(segments, str):
        segments = [segments]
    unknown = [s for s in segments if s not in actions]
    if unknown:
        raise ValueError(f"The values for `segments` must be among {list(actions)}, but {unknown} was passed.")
    return list(segments)


def _priority(rows: pd.DataFrame) -> pd.Series:
    """1 for the customer to contact first in each segment: highest M score, then highest spend, then lowest id.

    The last key makes the priorities independent of the order of the rows.
    """
    ranked = rows.sort_index(kind="stable").sort_values(["m_score", "total_spend"], ascending=False, kind="stable")
    priority = ranked.groupby(ranked["segment"].astype(str), sort=False).cumcount() + 1
    return priority.reindex(rows.index).astype("int64")


def _reasons(rows: pd.DataFrame, minor_units: bool, conventions: Conventions) -> pd.Series:
    write = conventions.money if minor_units else conventions.money_major
    spend = rows["total_spend"].map(lambda amount: write(amount, decimals=0))
    n = rows["n_orders"].astype("int64")
    return (n.astype(str) + np.where(n == 1, " order", " orders") + ", the last "
            + rows["days_since_last_order"].astype("int64").astype(str) + " days ago; " + spend
            + " spent")  # fmt: skip
