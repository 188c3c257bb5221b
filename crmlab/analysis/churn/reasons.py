"""An at-risk list with reasons: who is likely to leave, and what pushes their score up.

A retention call goes better when the caller knows *why* a customer is on the list.
For a logistic model the log-odds are a sum of one term per input, so each customer's
score splits exactly into contributions: coefficient x (the customer's prepared value -
the average customer's). The largest positive ones are the customer's reasons.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from crmlab.conventions import COURSE, Conventions

from .model import _logistic, model_features

__all__ = ["MONEY_FEATURES", "REASONS", "at_risk_list", "driver_contributions"]

#: How each model input reads as a reason, from the customer's own values (true / false text for flags);
#: money (:data:`MONEY_FEATURES`) is filled in already written in the data's currency, e.g. "GBP 1,297.98".
REASONS = {
    "recency_days": "last order {recency_days} days ago",
    "n_orders": "orders so far: {n_orders}",
    "avg_order": "average order {avg_order}",
    "tenure_days": "customer for {tenure_days} days",
    "n_tickets": "support tickets: {n_tickets}",
    "bad_tickets": "bad tickets (SLA breached or scored 1-2): {bad_tickets}",
    "single_channel": ("uses one channel only", "uses several channels"),
    "no_email_consent": ("no e-mail consent", "agreed to e-mail"),
    "no_sms_consent": ("no SMS consent", "agreed to SMS"),
    "segment_small_business": "{segment} segment",
    "segment_enterprise": "{segment} segment",
}
#: Inputs that are amounts of money, in the major unit of the data's currency.
MONEY_FEATURES = ("avg_order",)


def driver_contributions(model: Pipeline, data: pd.DataFrame) -> pd.DataFrame:
    """Each input's push on each customer's log-odds of churning, relative to the average customer.

    Parameters
    ----------
    model : Pipeline
        A fitted ``churn_model("logistic")``.
    data : DataFrame
        Customers to explain (the churn dataset's columns), e.g. the test set.

    Returns
    -------
    DataFrame
        Same index as ``data``, one column per model input; a row sums to the customer's
        log-odds minus the mean log-odds of ``data``.

    Examples
    --------
    >>> from crmlab.datasets import load_crm
    >>> from crmlab.analysis.churn import churn_model, time_split
    >>> train, test = time_split(load_crm(), "2023-12-31", "2024-12-31")
    >>> model = churn_model().fit(train, train["churned"])
    >>> push = driver_contributions(model, test)
    >>> bool(np.allclose(push.sum(axis=1), model.decision_function(test) - model.decision_function(test).mean()))
    True
    """
    fitted = _logistic(model)
    prepared = np.asarray(fitted.named_steps["prepare"].transform(data), dtype="float64")
    coefficient = fitted.named_steps["model"].coef_[0]
    push = (prepared - prepared.mean(axis=0)) * coefficient
    return pd.DataFrame(push, index=data.index, columns=model_features(fitted))


def _reason(feature: str, row: pd.Series, conventions: Conventions) -> str:
    template = REASONS.get(feature, feature)
    if isinstance(template, tuple):
        flag = feature if feature in row.index else None
        return template[0] if flag is not None and bool(row[flag]) else template[1]
    values = {k: (int(v) if isinstance(v, (bool, np.bool_, np.integer)) else v) for k, v in row.items()}
    values.update({k: conventions.money_major(values[k]) for k in MONEY_FEATURES if k in values})
    try:
        return template.format(**values)
    except (KeyError, ValueError, TypeError):
        return feature


def at_risk_list(
    model: Pipeline, data: pd.DataFrame, top: int = 20, n_reasons: int = 3, *, conventions: Conventions = COURSE
) -> pd.DataFrame:
    """The ``top`` customers by churn probability, each with the inputs that push their score up most.

    Parameters
    ----------
    model : Pipeline
        A fitted ``churn_model("logistic")``.
    data : DataFrame
        Customers to rank (the churn dataset's columns), as of the latest cutoff.
    top : int
        Length of the list.
    n_reasons : int
        At most this many reasons per customer (only inputs that push the score *up*).
    conventions : Conventions, optional
        The conventions ``data`` was built with (default :data:`crmlab.conventions.COURSE`):
        the average order reads in their currency, e.g. "average order GBP 1,297.98".

    Raises
    ------
    ValueError
        When ``data`` says it holds another currency (``data.attrs["currency"]``, set by
        :func:`churn_features`) than ``conventions``.

    Returns
    -------
    DataFrame
        Indexed like ``data``, riskiest first: ``churn_probability``, ``main_driver``
        (the model input with the largest push) and ``reasons`` (plain words, "; "-separated).

    Examples
    --------
    >>> from crmlab.datasets import load_crm
    >>> from crmlab.analysis.churn import churn_model, time_split
    >>> train, test = time_split(load_crm(), "2023-12-31", "2024-12-31")
    >>> model = churn_model().fit(train, train["churned"])
    >>> at_risk = at_risk_list(model, test, top=3)
    >>> list(at_risk.columns), bool(at_risk["churn_probability"].is_monotonic_decreasing)
    (['churn_probability', 'main_driver', 'reasons'], True)
    """
    currency = data.attrs.get("currency") if isinstance(data, pd.DataFrame) else None
    if currency is not None and currency != conventions.currency:
        raise ValueError(f"`data` holds amounts in {currency} (it was built with those conventions), but "
                         f"`conventions` are in {conventions.currency}: pass the same conventions, e.g. "
                         "at_risk_list(model, data, conventions=crm.conventions).")  # fmt: skip
    for name, value in {"top": top, "n_reasons": n_reasons}.items():
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"The value for `{name}` must be a whole number >= 1, but {value!r} was passed.")
    push = driver_contributions(model, data)
    probability = pd.Series(model.predict_proba(data)[:, 1], index=data.index)
    chosen = probability.sort_values(ascending=False, kind="stable").index[:top]
    rows = []
    for customer in chosen:
        ranked = push.loc[customer].sort_values(ascending=False, kind="stable")
        ranked = ranked[ranked > 0].iloc[:n_reasons]
        rows.append({
            "churn_probability": probability[customer],
            "main_driver": ranked.index[0] if len(ranked) else "",
            "reasons": "; ".join(_reason(f, data.loc[customer], conventions) for f in ranked.index),
        })  # fmt: skip
    return pd.DataFrame(rows, index=chosen)
