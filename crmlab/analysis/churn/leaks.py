"""A field overwritten after the cutoff: how today's value in an export leaks the future.

A CRM keeps one value of ``consent_sms``, ``consent_email`` or ``segment`` per customer and overwrites
it when it changes. An export taken today holds today's value. Customers who drift away often say
"stop sending me offers" on the way out, so today's "no consent" partly *records* that they left.
A model trained and tested on such an export looks better than it is: in use, on the day it
scores a customer, the unsubscribe has not happened yet.

:func:`overwrite_field` plants such an overwrite in a copy of the CRM, and
:func:`overwrite_leak` measures what it does to a churn model's AUC, three ways: the backtest
with today's value (what an analyst would report), the same model in use (the value as it
stood at the test cutoff) and the field left out (the safe default of
:func:`~crmlab.analysis.churn.churn_features`).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from crmlab.conventions import COURSE, Conventions
from crmlab.datasets.crm import CRM

from .features import AS_OF_RISKS, churn_dataset, time_split
from .model import churn_model

__all__ = ["overwrite_field", "overwrite_leak"]


def overwrite_field(crm: Mapping[str, pd.DataFrame], field: str, value, customer_ids) -> CRM:
    """A copy of ``crm`` whose ``customers.<field>`` is set to ``value`` for ``customer_ids``, as an export shows it.

    Parameters
    ----------
    crm : mapping of DataFrames
        The CRM, with a ``customers`` table.
    field : str
        The overwritten column, e.g. ``"consent_email"``.
    value
        Its new value, e.g. False (unsubscribed).
    customer_ids : array-like
        The customers whose value was overwritten.

    Returns
    -------
    CRM
        The other tables are the same objects; ``conventions`` kept when ``crm`` has them.

    Examples
    --------
    >>> crm = {"customers": pd.DataFrame({"customer_id": [1, 2], "consent_email": [True, True]})}
    >>> overwrite_field(crm, "consent_email", False, [2])["customers"]["consent_email"].tolist()
    [True, False]
    """
    customers = crm["customers"]
    if field not in customers.columns:
        raise KeyError(f"The customers table has no column `{field}`; it has {list(customers.columns)}.")
    changed = customers.copy()
    changed.loc[changed["customer_id"].isin(np.asarray(customer_ids)), field] = value
    return CRM({**dict(crm), "customers": changed}, conventions=getattr(crm, "conventions", None))


def _auc(model, data: pd.DataFrame) -> float:
    return float(roc_auc_score(data["churned"], model.predict_proba(data)[:, 1]))


def overwrite_leak(
    crm: Mapping[str, pd.DataFrame],
    train_cutoff,
    test_cutoff,
    *,
    field: str,
    value=False,
    share: float = 0.5,
    seed: int = 0,
    horizon_days: int = 365,
    active_days: int = 365,
    conventions: Conventions = COURSE,
) -> pd.Series:
    """Plant an overwrite on leavers and compare a logistic churn model's AUC with and without the field.

    ``crm`` must hold ``field`` as it stood at both cutoffs (e.g. the course's data, where consent
    and segment are set at sign-up). Each customer labelled churned at either cutoff has ``field``
    overwritten with ``value`` with probability ``share`` (seeded), later than the cutoff: that is
    the export of today. Then:

    - ``backtest, today's value``: trained and tested on today's export with ``field`` declared stable;
    - ``in use, value at the cutoff``: the same model scoring the test customers with the value as it
      stood at the test cutoff (only the training year's leavers overwritten), which is what it meets in use;
    - ``left out (the default)``: trained and tested on today's export without the field.

    Parameters
    ----------
    crm : mapping of DataFrames
        The CRM, with ``customers``, ``orders`` and what :func:`~.features.churn_features` reads.
    train_cutoff, test_cutoff : date-like
        The two cutoffs of :func:`~.features.time_split`.
    field : str
        The overwritten field, one of :data:`~.features.AS_OF_RISKS`: the consent customers
        withdraw on the way out at *this* company (``"consent_sms"`` where offers go by text
        message, ``"consent_email"`` where they go by e-mail). No default: which consent
        matters is the company's, not the library's.
    value
        The overwritten value (default False: consent withdrawn).
    share : float
        The share of leavers overwritten (seeded by ``seed``).
    horizon_days, active_days : int
        As in :func:`~.features.time_split`.
    conventions : Conventions, optional
        The company's conventions (its clock decides the cutoff days).

    Returns
    -------
    Series
        The three AUCs, indexed by those labels; ``attrs["overwritten"]`` counts the planted overwrites.

    Examples
    --------
    >>> from crmlab.datasets import load_crm
    >>> auc = overwrite_leak(load_crm(), "2023-12-31", "2024-12-31", field="consent_sms")
    >>> bool(auc["backtest, today's value"] > auc["left out (the default)"] > auc["in use, value at the cutoff"])
    True
    """
    if field not in AS_OF_RISKS:
        raise ValueError(f"The value for `field` must be one of {list(AS_OF_RISKS)}, but {field!r} was passed.")
    if not 0 <= share <= 1:
        raise ValueError(f"The value for `share` must lie between 0 and 1, but {share!r} was passed.")
    split = {"horizon_days": horizon_days, "active_days": active_days, "conventions": conventions}
    train, test = time_split(crm, train_cutoff, test_cutoff, stable_fields=[field], **split)  # the true values
    leavers = np.union1d(train.index[train["churned"]], test.index[test["churned"]])
    overwritten = leavers[np.random.default_rng(seed).random(len(leavers)) < share]
    today = overwrite_field(crm, field, value, overwritten)
    # at the test cutoff only the training year's leavers had been overwritten (its window ends by then)
    before_test = overwrite_field(crm, field, value, np.intersect1d(overwritten, train.index[train["churned"]]))
    in_use = churn_dataset(before_test, test_cutoff, horizon_days, active_days, stable_fields=[field],
                           conventions=conventions)  # fmt: skip
    leaky_train, leaky_test = time_split(today, train_cutoff, test_cutoff, stable_fields=[field], **split)
    safe_train, safe_test = time_split(today, train_cutoff, test_cutoff, **split)
    leaky = churn_model("logistic").fit(leaky_train, leaky_train["churned"])
    safe = churn_model("logistic").fit(safe_train, safe_train["churned"])
    out = pd.Series({
        "backtest, today's value": _auc(leaky, leaky_test),
        "in use, value at the cutoff": _auc(leaky, in_use),
        "left out (the default)": _auc(safe, safe_test),
    }, name="AUC")  # fmt: skip
    out.attrs["overwritten"] = len(overwritten)
    return out
