"""Churn features as of a cutoff day, the churn label after it, and a time-based split.

The question "who will stop buying?" is asked on a given day, the *cutoff*. Features
describe each active customer with what was known that day (see :func:`crm_as_of`);
customer fields that a CRM overwrites in place (SMS and e-mail consent, segment) are used only when
the caller declares them unchanged since the cutoff (``stable_fields``, see :data:`AS_OF_RISKS`);
the label says whether they placed no completed order in the ``horizon_days`` after it.
A model is trained on an earlier cutoff and tested on a later one, never on a random
split of customers, which would let it learn from the future it is asked to predict.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from crmlab.analysis.kpis import ticket_sla
from crmlab.analysis.rfm import customer_summary
from crmlab.conventions import COURSE, Conventions
from crmlab.validation import require_table, require_tables, whole_number

from .snapshot import NEEDED, crm_as_of

__all__ = ["AS_OF_RISKS", "FEATURES", "churn_dataset", "churn_features", "churn_labels", "time_split"]

#: The features of :func:`churn_features` and what each one means.
FEATURES = {
    "recency_days": "days from the customer's last purchase (an order with a purchase status) to the cutoff",
    "n_orders": "purchases up to the cutoff",
    "avg_order": "mean value of those purchases, in the major unit of the data's currency",
    "tenure_days": "days from sign-up to the cutoff",
    "n_tickets": "support tickets opened up to the cutoff",
    "bad_tickets": "of those, tickets that breached their SLA or scored 1-2 (as known at the cutoff)",
    "n_channels": "channels the customer used: orders and inbound touches (company mailings not counted)",
    "single_channel": "True when the customer used one channel only",
    "no_email_consent": "True when the customer has not agreed to marketing e-mail",
    "no_sms_consent": "True when the customer has not agreed to marketing text messages (SMS)",
    "segment": "consumer, small_business or enterprise",
}

#: Customer fields an export holds with *today's* value only (a CRM overwrites them in place), and the
#: feature each one feeds. Their value on a past cutoff is unknown unless the field never changes, so
#: :func:`churn_features` leaves those features out unless the caller names the field in ``stable_fields``.
AS_OF_RISKS = {"consent_email": "no_email_consent", "consent_sms": "no_sms_consent", "segment": "segment"}
#: The consent fields among them: each feeds a ``no_<channel>_consent`` flag.
CONSENT_FIELDS = ("consent_email", "consent_sms")


def _stable_fields(
    stable_fields, customers: pd.DataFrame, day: pd.Timestamp, conventions: Conventions
) -> tuple[str, ...]:
    """Check the declared fields: known names, present in the export, and no recorded change after ``day``."""
    if isinstance(stable_fields, str):
        raise TypeError(f"`stable_fields` must be a list of field names, e.g. [{stable_fields!r}], "
                        f"but the string {stable_fields!r} was passed.")  # fmt: skip
    fields = tuple(stable_fields)
    unknown = [f for f in fields if f not in AS_OF_RISKS]
    if unknown:
        raise ValueError(f"The values of `stable_fields` must be among {list(AS_OF_RISKS)}, but {unknown} "
                         f"was passed.")  # fmt: skip
    absent = [f for f in fields if f not in customers.columns]
    if absent:
        raise KeyError(f"`stable_fields` names {absent}, but the customers table has no such column: "
                       f"leave {absent} out of `stable_fields`.")  # fmt: skip
    for field in fields:
        stamp = f"{field}_changed_at"
        if stamp in customers.columns:
            stamps = pd.to_datetime(customers[stamp])
            if stamps.dt.tz is not None:  # an instant: its day on the company's calendar
                stamps = stamps.dt.tz_convert(conventions.timezone).dt.tz_localize(None)
            changed = stamps.dt.normalize() > day
            if changed.any():
                raise ValueError(
                    f"`{field}` is declared stable, but `customers.{stamp}` shows {int(changed.sum()):,} "
                    f"customer(s) whose value changed after the cutoff {day.date()}: the export holds their new "
                    f"value, not the one known at the cutoff. Leave `{field}` out of `stable_fields`."
                )
    return fields


def churn_features(
    crm: Mapping[str, pd.DataFrame],
    cutoff,
    active_days: int = 365,
    *,
    stable_fields: Iterable[str] = (),
    conventions: Conventions = COURSE,
) -> pd.DataFrame:
    """One row per active customer with what the company knew about them at the end of ``cutoff``.

    Parameters
    ----------
    crm : mapping of DataFrames
        The CRM with ``customers``, ``orders``, ``tickets`` and ``interactions``.
    cutoff : date-like
        The day the question is asked (company calendar); only events up to its end count.
    active_days : int
        A customer is *active* with a completed order in the last ``active_days`` days;
        only active customers can churn.
    stable_fields : iterable of str, optional
        Customer fields (keys of :data:`AS_OF_RISKS`: ``"consent_sms"``, ``"consent_email"``, ``"segment"``) you know
        did not change between the cutoff and the export, e.g. because the CRM never changes them
        after sign-up or its audit log says so. Only these feed a feature. The default, none, is
        the safe one: an export holds today's consent and segment, which may have been overwritten
        *because* the customer left (an unsubscribe), a leak. A field with a ``<field>_changed_at``
        column that shows a change after the cutoff is refused.
    conventions : Conventions, optional
        The company's clock, purchase statuses and currency (default :data:`crmlab.conventions.COURSE`).

    Returns
    -------
    DataFrame
        Indexed by ``customer_id``, the columns of :data:`FEATURES` (``no_sms_consent``,
        ``no_email_consent`` and ``segment`` only from ``stable_fields``); ``avg_order`` in the major unit of
        ``conventions.currency``, rounded to its minor unit. ``attrs["currency"]`` names the
        currency, ``attrs["left_out"]`` the features left out as not known at the cutoff.

    Examples
    --------
    >>> from crmlab.datasets import load_crm
    >>> crm = load_crm(tables=["customers", "orders", "tickets", "interactions"])
    >>> features = churn_features(crm, "2024-12-31", stable_fields=["consent_sms", "segment"])
    >>> len(features), bool(features["recency_days"].max() < 365)
    (1569, True)
    >>> features.loc[1]  # avg_order in rials
    recency_days               80
    n_orders                    5
    avg_order         584756000.0
    tenure_days               694
    n_tickets                   2
    bad_tickets                 0
    n_channels                  2
    single_channel          False
    no_sms_consent           True
    segment              consumer
    Name: 1, dtype: object
    >>> features.attrs["currency"], features.attrs["left_out"]
    ('IRR', ['no_email_consent'])
    >>> churn_features(crm, "2024-12-31").attrs["left_out"]  # the safe default: today's values are not used
    ['no_email_consent', 'no_sms_consent', 'segment']
    """
    active_days = whole_number("active_days", active_days)
    day = conventions.local_date(cutoff, "cutoff")
    past = crm_as_of(crm, day, conventions=conventions)
    stable = _stable_fields(stable_fields, past["customers"], day, conventions)
    orders = past["orders"]
    completed = orders[orders["status"].isin(conventions.purchase_statuses)]
    local = completed.assign(ordered_at=completed["ordered_at"].dt.tz_convert(conventions.timezone))
    summary = customer_summary(local, as_of=day)
    summary = summary[summary["days_since_last_order"] < active_days]
    customers = past["customers"].set_index("customer_id")
    summary = summary[summary.index.isin(customers.index)]
    ids = summary.index
    out = pd.DataFrame({
        "recency_days": summary["days_since_last_order"].astype("int64"),
        "n_orders": summary["n_orders"].astype("int64"),
        "avg_order": conventions.major((summary["total_spend"] / summary["n_orders"]).round()),
        "tenure_days": (day - customers.loc[ids, "signup_date"]).dt.days.astype("int64"),
    }, index=ids)  # fmt: skip
    out["n_tickets"], out["bad_tickets"] = _ticket_counts(past["tickets"], conventions.end_of_day(day), ids)
    out["n_channels"] = _channel_counts(orders, past["interactions"], ids)
    out["single_channel"] = out["n_channels"] <= 1
    for field in CONSENT_FIELDS:
        if field in stable:
            out[AS_OF_RISKS[field]] = ~customers.loc[ids, field].astype(bool)
    if "segment" in stable:
        out["segment"] = customers.loc[ids, "segment"].astype(str)
    out.attrs["currency"] = conventions.currency
    out.attrs["left_out"] = [feature for field, feature in AS_OF_RISKS.items()
                             if field not in stable and field in customers.columns]  # fmt: skip
    return out.rename_axis("customer_id")


def _ticket_counts(tickets: pd.DataFrame, end: pd.Timestamp, ids: pd.Index) -> tuple[pd.Series, pd.Series]:
    """Tickets per customer, and bad ones: SLA breached (as known at ``end``) or a score of 1-2."""
    breached = ticket_sla(tickets, as_of=end)["sla_breached"].fillna(False).to_numpy(dtype=bool)
    low_score = tickets["satisfaction"].astype("Float64").le(2).fillna(False).to_numpy(dtype=bool)
    frame = pd.DataFrame({"customer_id": tickets["customer_id"].to_numpy(), "bad": breached | low_score})
    grouped = frame.groupby("customer_id")["bad"]
    return (grouped.size().reindex(ids, fill_value=0).astype("int64"),
            grouped.sum().reindex(ids, fill_value=0).astype("int64"))  # fmt: skip


def _channel_counts(orders: pd.DataFrame, interactions: pd.DataFrame, ids: pd.Index) -> pd.Series:
    """Distinct channels per customer over orders and interactions, without the company's mailings."""
    inbound = interactions[interactions["channel"] != "mail"]
    touches = pd.concat([orders[["customer_id", "channel"]], inbound[["customer_id", "channel"]]])
    return touches.drop_duplicates().groupby("customer_id").size().reindex(ids, fill_value=0).astype("int64")


def churn_labels(
    orders: pd.DataFrame, customer_ids, cutoff, horizon_days: int = 365, *, conventions: Conventions = COURSE
) -> pd.Series:
    """Whether each customer placed no completed order in the ``horizon_days`` after ``cutoff``.

    Parameters
    ----------
    orders : DataFrame
        The ``orders`` table (all of it: the label looks into the future on purpose).
    customer_ids : array-like
        The customers to label, e.g. ``features.index``.
    cutoff : date-like
        The day the question was asked; the outcome window starts the day after.
    horizon_days : int
        Length of the outcome window in days; it must end by the last day with orders.
    conventions : Conventions, optional
        The company's clock and purchase statuses (default :data:`crmlab.conventions.COURSE`).

    Returns
    -------
    Series
        ``churned`` (bool) indexed by ``customer_id``.

    Examples
    --------
    >>> orders = pd.DataFrame({"customer_id": [1, 2, 2, 3], "status": ["completed"] * 3 + ["cancelled"],
    ...     "ordered_at": pd.to_datetime(["2025-01-05", "2024-12-01", "2025-06-30", "2025-02-01"], utc=True)})
    >>> churn_labels(orders, [1, 2, 3], "2024-12-31", horizon_days=90)
    customer_id
    1    False
    2     True
    3     True
    Name: churned, dtype: bool
    """
    horizon_days = whole_number("horizon_days", horizon_days)
    require_table(orders, "orders", ["customer_id", "ordered_at", "status"])
    day = conventions.local_date(cutoff, "cutoff")
    last_day = day + pd.Timedelta(days=horizon_days)
    data_ends = conventions.local_day(orders["ordered_at"].max())
    if last_day > data_ends:
        raise ValueError(
            f"The outcome window ends on {last_day.date()}, after the last day with orders ({data_ends.date()}): "
            f"the label is not known yet. Choose an earlier `cutoff` or a shorter `horizon_days`."
        )
    start, end = conventions.end_of_day(day), conventions.end_of_day(last_day)
    bought = orders["status"].isin(conventions.purchase_statuses)
    window = orders[(orders["ordered_at"] >= start) & (orders["ordered_at"] < end) & bought]
    ids = pd.Index(np.asarray(customer_ids), name="customer_id")
    return pd.Series(~ids.isin(window["customer_id"]), index=ids, name="churned")


def churn_dataset(
    crm: Mapping[str, pd.DataFrame],
    cutoff,
    horizon_days: int = 365,
    active_days: int = 365,
    *,
    stable_fields: Iterable[str] = (),
    conventions: Conventions = COURSE,
) -> pd.DataFrame:
    """Features as of ``cutoff`` and the label after it: one row per active customer.

    ``stable_fields`` is passed to :func:`churn_features`.

    Examples
    --------
    >>> from crmlab.datasets import load_crm
    >>> crm = load_crm(tables=["customers", "orders", "tickets", "interactions"])
    >>> data = churn_dataset(crm, "2024-12-31", stable_fields=["consent_sms", "segment"])
    >>> data.shape[1], data["churned"].dtype.name, data.attrs["left_out"]
    (11, 'bool', ['no_email_consent'])
    """
    features = churn_features(crm, cutoff, active_days, stable_fields=stable_fields, conventions=conventions)
    orders = require_tables(crm, ["orders"], NEEDED)["orders"]
    out = features.assign(churned=churn_labels(orders, features.index, cutoff, horizon_days, conventions=conventions))
    out.attrs.update(cutoff=str(conventions.local_date(cutoff, "cutoff").date()), horizon_days=horizon_days)
    return out


def time_split(
    crm: Mapping[str, pd.DataFrame],
    train_cutoff,
    test_cutoff,
    horizon_days: int = 365,
    active_days: int = 365,
    *,
    stable_fields: Iterable[str] = (),
    conventions: Conventions = COURSE,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A training set at an earlier cutoff and a test set at a later one.

    The training labels must be known by the test cutoff: otherwise the model would be
    trained on orders that, on the test day, had not happened yet. ``stable_fields`` is
    passed to :func:`churn_features` (both sets: they must have the same columns).

    Returns
    -------
    train, test : DataFrame
        As :func:`churn_dataset` returns.

    Examples
    --------
    >>> from crmlab.datasets import load_crm
    >>> crm = load_crm(tables=["customers", "orders", "tickets", "interactions"])
    >>> train, test = time_split(crm, "2023-12-31", "2024-12-31")
    >>> len(train), len(test)
    (966, 1569)
    >>> time_split(crm, "2024-06-30", "2024-12-31")
    Traceback (most recent call last):
    ...
    ValueError: The training labels look at orders up to 2025-06-30, after the test cutoff 2024-12-31: ...
    """
    train_day = conventions.local_date(train_cutoff, "train_cutoff")
    test_day = conventions.local_date(test_cutoff, "test_cutoff")
    window_end = train_day + pd.Timedelta(days=whole_number("horizon_days", horizon_days))
    if window_end > test_day:
        raise ValueError(
            f"The training labels look at orders up to {window_end.date()}, after the test cutoff {test_day.date()}: "
            f"the model would learn from the period it is tested on. Move `train_cutoff` back to "
            f"{(test_day - pd.Timedelta(days=horizon_days)).date()} or earlier, or shorten `horizon_days`."
        )
    stable = tuple(stable_fields) if not isinstance(stable_fields, str) else stable_fields
    return tuple(churn_dataset(crm, day, horizon_days, active_days, stable_fields=stable, conventions=conventions)
                 for day in (train_day, test_day))  # fmt: skip
