"""What moves satisfaction? Mean scores per factor, and a linear model that separates the factors.

A table of means answers "do customers whose ticket breached its SLA score lower?", but the
factors travel together: breached tickets also take more contacts, and the South has more of
both. :func:`satisfaction_drivers` fits one linear model, ``score = b0 + b1 breached +
b2 extra_contacts + ...``, so each effect is measured with the others held fixed, in points
of the 1-5 scale. With ``within_customer=True`` each customer is compared with themselves
(every score minus the customer's mean): whatever makes some customers score low on every
ticket (a hidden trait, bad luck with support) drops out.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from crmlab.conventions import COURSE
from crmlab.validation import choice

from .tickets import ticket_factors

__all__ = ["FACTORS", "satisfaction_by", "satisfaction_drivers"]

#: The factors a score is compared across, in the order tables show them.
FACTORS = ("sla_breached", "contacts", "channel", "priority", "region")
_NUMERIC = ("sla_breached", "extra_contacts")
_CATEGORICAL = ("channel", "priority", "region")


def satisfaction_by(
    tickets: pd.DataFrame,
    customers: pd.DataFrame,
    factors: Sequence[str] = FACTORS,
    *,
    as_of: pd.Timestamp = COURSE.end,
) -> pd.DataFrame:
    """Mean satisfaction score for each level of each factor: one small table for all of them.

    Parameters
    ----------
    tickets, customers : DataFrame
        The ``tickets`` and ``customers`` tables.
    factors : sequence of str
        Columns of :func:`~crmlab.analysis.service.ticket_factors`, by default :data:`FACTORS`.
    as_of : Timestamp
        The end of the export.

    Returns
    -------
    DataFrame
        Indexed by ``factor`` and ``level``: ``satisfaction`` (mean score of answered surveys),
        ``n`` (surveys) and ``gap`` (the level's mean minus the mean of all surveys).

    Examples
    --------
    >>> from crmlab import load_crm
    >>> crm = load_crm(tables=["tickets", "customers"])
    >>> table = satisfaction_by(crm.tickets, crm.customers, ["sla_breached"])
    >>> table["satisfaction"].round(2)
    factor        level
    sla_breached  False    4.12
                  True     2.47
    Name: satisfaction, dtype: float64
    """
    facts = ticket_factors(tickets, customers, as_of=as_of)
    for factor in factors:
        choice("factors", factor, list(facts.columns.drop("satisfaction")))
    scored = facts[facts["satisfaction"].notna()]
    overall = float(scored["satisfaction"].mean())
    parts = []
    for factor in factors:
        level = scored[factor].astype("object").where(scored[factor].notna(), "unknown")
        table = scored["satisfaction"].astype("float64").groupby(level.rename("level")).agg(["mean", "size"])
        parts.append(table.rename(columns={"mean": "satisfaction", "size": "n"}).assign(factor=factor))
    out = pd.concat(parts).reset_index().set_index(["factor", "level"])
    out["gap"] = out["satisfaction"] - overall
    return out[["satisfaction", "n", "gap"]]


def _design(facts: pd.DataFrame, terms: Sequence[str]) -> pd.DataFrame:
    """Numeric columns as they are; categories as 0/1 columns against their commonest level."""
    columns = {}
    for term in terms:
        if term in _NUMERIC:
            columns[term] = facts[term].astype("float64")
            continue
        base = facts[term].value_counts().sort_index().idxmax()
        for level in sorted(set(facts[term]) - {base}):
            columns[f"{term}={level}"] = (facts[term] == level).astype("float64")
    return pd.DataFrame(columns, index=facts.index)


def _demean(frame: pd.DataFrame, groups: pd.Series) -> pd.DataFrame:
    return frame - frame.groupby(groups).transform("mean")


def satisfaction_drivers(
    tickets: pd.DataFrame,
    customers: pd.DataFrame,
    terms: Sequence[str] = ("sla_breached", "extra_contacts", "channel", "priority", "region"),
    *,
    within_customer: bool = False,
    as_of: pd.Timestamp = COURSE.end,
) -> pd.DataFrame:
    """Effect of each factor on the satisfaction score, in points, from one linear model (least squares).

    Parameters
    ----------
    tickets, customers : DataFrame
        The ``tickets`` and ``customers`` tables.
    terms : sequence of str
        ``sla_breached`` (1 when the first answer came late), ``extra_contacts`` (contacts beyond
        the first), and categories ``channel``, ``priority``, ``region`` (each level against the
        commonest one: call centre, normal, Capital on the course's data).
    within_customer : bool
        Compare each customer's tickets with each other (a *fixed-effects* model): only customers
        with two or more surveys count, and customer-level terms such as ``region`` drop out.
    as_of : Timestamp
        The end of the export.

    Returns
    -------
    DataFrame
        Indexed by ``term`` (first ``intercept``, the score with every term at 0 or at its
        commonest level, unless ``within_customer``): ``effect`` (points on the 1-5 scale; negative: lowers the score),
        ``std_error``, ``ci_low`` and ``ci_high`` (95%). ``attrs`` holds ``n`` (surveys used) and
        ``customers``.

    Examples
    --------
    >>> from crmlab import load_crm
    >>> crm = load_crm(tables=["tickets", "customers"])
    >>> model = satisfaction_drivers(crm.tickets, crm.customers, ["sla_breached", "extra_contacts"])
    >>> model["effect"].round(2)
    term
    intercept         4.35
    sla_breached     -1.51
    extra_contacts   -0.50
    Name: effect, dtype: float64
    """
    allowed = [*_NUMERIC, *_CATEGORICAL]
    for term in terms:
        choice("terms", term, allowed)
    facts = ticket_factors(tickets, customers, as_of=as_of)
    used = facts.dropna(subset=["satisfaction", "sla_breached", "extra_contacts"])
    if within_customer:
        repeat = used.groupby("customer_id")["satisfaction"].transform("size") >= 2
        used = used[repeat]
    y = used["satisfaction"].astype("float64")
    x = _design(used, terms)
    if within_customer:
        y, x = _demean(y, used["customer_id"]), _demean(x, used["customer_id"])
        x = x.loc[:, (x.abs() > 1e-12).any()]
        lost = used["customer_id"].nunique()
    else:
        x.insert(0, "intercept", 1.0)
        lost = 0
    coef, *_ = np.linalg.lstsq(x.to_numpy(), y.to_numpy(), rcond=None)
    dof = len(y) - x.shape[1] - lost
    if dof <= 0:
        raise ValueError(f"Too few surveys ({len(y)}) to estimate {x.shape[1]} effects; use fewer `terms`.")
    residual = y.to_numpy() - x.to_numpy() @ coef
    sigma2 = residual @ residual / dof
    se = np.sqrt(np.diag(sigma2 * np.linalg.pinv(x.to_numpy().T @ x.to_numpy())))
    half = stats.t.ppf(0.975, dof) * se
    out = pd.DataFrame({"effect": coef, "std_error": se, "ci_low": coef - half, "ci_high": coef + half},
                       index=pd.Index(x.columns, name="term"))  # fmt: skip
    out.attrs.update(n=len(y), customers=int(used["customer_id"].nunique()))
    return out
