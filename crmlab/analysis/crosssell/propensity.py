"""Propensity models: who is likeliest to buy (or give) if we mail them, judged by ranking.

A mailing goes to the top of a list, so what matters is the *order* of the customers, not
whether each one is classified right: with 6% buyers, calling nobody a buyer is 94%
"accurate" and worthless. The tools here:

- :func:`split_target`: the inputs ``X`` and a 0/1 outcome ``y`` from a table;
- :func:`propensity_model`: a scikit-learn pipeline (optional log of skewed amounts,
  standardising, logistic regression);
- :func:`out_of_fold_scores` and :func:`fold_metrics`: stratified cross-validation with a
  fixed seed, so every customer is scored by a model that never saw them;
- :func:`top_k_summary`: what mailing the top ``k`` customers catches.

For gains and lift use :func:`crmlab.analysis.churn.gains_table` and
:func:`~crmlab.analysis.churn.lift_at`: they work for any outcome.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from crmlab.analysis.churn import lift_at
from crmlab.validation import binary_outcomes, require_table, scores

__all__ = ["fold_metrics", "out_of_fold_scores", "propensity_model", "split_target", "top_k_summary"]


def split_target(
    frame: pd.DataFrame, target: str, positive: object, *, drop: Sequence[str] = ()
) -> tuple[pd.DataFrame, pd.Series]:
    """The model inputs ``X`` and the outcome ``y`` (1 = ``positive``) of a table.

    Parameters
    ----------
    frame : DataFrame
        One row per customer.
    target : str
        The outcome column, e.g. ``"Purchase"``.
    positive : object
        The value of ``target`` that counts as 1, e.g. ``"Yes"``.
    drop : sequence of str
        Other columns that must not be inputs, e.g. an amount known only after the outcome.

    Returns
    -------
    X : DataFrame
        Every other column.
    y : Series of int
        1 where ``target == positive``, else 0; named like ``target``.

    Examples
    --------
    >>> frame = pd.DataFrame({"age": [30, 40, 50], "gift": [0, 10, 0], "respond": [0, 1, 0]})
    >>> X, y = split_target(frame, "respond", 1, drop=["gift"])
    >>> list(X.columns), y.tolist()
    (['age'], [0, 1, 0])
    """
    frame = require_table(frame, "frame", [target, *drop])
    values = frame[target]
    if not (values == positive).any():
        seen = sorted(map(str, values.dropna().unique()))[:10]
        raise ValueError(f"No row has `{target}` == {positive!r}; its values are {seen}. "
                         "Pass the value that means yes.")  # fmt: skip
    y = (values == positive).astype("int64").rename(target)
    return frame.drop(columns=[target, *drop]), y


def propensity_model(
    C: float = 1.0, *, class_weight: str | None = None, log_columns: Sequence[str] = ()
) -> Pipeline:
    """An unfitted logistic propensity model: log of skewed columns, standardise, logistic regression.

    Parameters
    ----------
    C : float
        Inverse strength of the L2 penalty: smaller values keep the weights smaller, which
        helps when there are many inputs and few buyers (0.01 suits Caravan's 85 inputs and
        348 buyers).
    class_weight : {None, "balanced"}
        ``"balanced"`` weighs buyers up to as much as non-buyers in total. It mostly moves
        the intercept, so the ranking barely changes, but the probabilities stop being
        real probabilities.
    log_columns : sequence of str
        Columns of skewed amounts or counts to replace by ``log(1 + x)`` first.

    Returns
    -------
    Pipeline
        Steps ``prepare`` and ``model``; fit it with ``fit(X, y)``.

    Examples
    --------
    >>> X = pd.DataFrame({"gifts": [0, 1, 3, 8, 20, 50], "weeks": [90, 60, 40, 20, 10, 5]})
    >>> y = [0, 0, 0, 1, 1, 1]
    >>> model = propensity_model(log_columns=["gifts"]).fit(X, y)
    >>> model.predict_proba(X)[:, 1].round(2)
    array([0.07, 0.2 , 0.39, 0.65, 0.8 , 0.89])
    """
    if class_weight not in (None, "balanced"):
        raise ValueError("The value for `class_weight` must be one of [None, 'balanced'], "
                         f"but {class_weight!r} was passed.")  # fmt: skip
    if isinstance(C, bool) or not isinstance(C, int | float) or not C > 0:
        raise ValueError(f"The value for `C` must be a number above 0, such as 0.01 or 1.0, but {C!r} was passed.")
    logged = list(log_columns)
    prepare = ColumnTransformer(
        [("log", FunctionTransformer(np.log1p, feature_names_out="one-to-one"), logged)],
        remainder="passthrough",
        verbose_feature_names_out=False,
    )
    model = LogisticRegression(C=C, class_weight=class_weight, max_iter=5_000)
    return Pipeline([("prepare", prepare), ("scale", StandardScaler()), ("model", model)])


def out_of_fold_scores(
    model: Pipeline, X: pd.DataFrame, y: pd.Series, *, n_splits: int = 5, seed: int = 0
) -> pd.DataFrame:
    """Score every customer with a model trained on the other folds (stratified cross-validation).

    Each fold keeps the share of buyers of the whole table, and the seed fixes the folds, so
    the result is the same on every run.

    Parameters
    ----------
    model : estimator
        Unfitted, with ``predict_proba`` (e.g. :func:`propensity_model`); cloned for each fold.
    X : DataFrame
        Inputs, one row per customer.
    y : Series
        0/1 outcomes, aligned with ``X``.
    n_splits : int
        Number of folds.
    seed : int
        Seed of the shuffle that makes the folds.

    Returns
    -------
    DataFrame
        Indexed like ``X``: ``fold`` (1 to ``n_splits``), ``y`` and ``score`` (the out-of-fold
        probability).

    Examples
    --------
    >>> X = pd.DataFrame({"x": range(20)})
    >>> y = pd.Series([0, 1] * 10)
    >>> oof = out_of_fold_scores(propensity_model(), X, y, n_splits=2)
    >>> oof["fold"].value_counts().sort_index().tolist(), oof.groupby("fold")["y"].sum().tolist()
    ([10, 10], [5, 5])
    """
    if not isinstance(X, pd.DataFrame):
        raise TypeError(f"The value for `X` must be a DataFrame of inputs, but a {type(X).__name__} was passed.")
    target = binary_outcomes(y, "y")
    if len(target) != len(X):
        raise ValueError(f"`X` and `y` must have one row per customer each, but they have {len(X)} and {len(target)}.")
    if isinstance(n_splits, bool) or not isinstance(n_splits, int | np.integer) or n_splits < 2:
        raise ValueError("The value for `n_splits` must be a whole number >= 2, such as 5, "
                         f"but {n_splits!r} was passed.")  # fmt: skip
    folds = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    fold = np.zeros(len(X), dtype="int64")
    score = np.zeros(len(X))
    for k, (train, test) in enumerate(folds.split(X, target), start=1):
        fitted = clone(model).fit(X.iloc[train], target[train])
        score[test] = fitted.predict_proba(X.iloc[test])[:, 1]
        fold[test] = k
    return pd.DataFrame({"fold": fold, "y": target.astype("int64"), "score": score}, index=X.index)


def fold_metrics(oof: pd.DataFrame, *, share: float = 0.1) -> pd.DataFrame:
    """AUC and top-``share`` lift on each fold of :func:`out_of_fold_scores`: how much they vary.

    Parameters
    ----------
    oof : DataFrame
        From :func:`out_of_fold_scores`: columns ``fold``, ``y`` and ``score``.
    share : float
        The top share of each fold whose lift is reported (0.1: the top decile).

    Returns
    -------
    DataFrame
        Indexed by ``fold``: ``customers``, ``buyers``, ``auc`` and ``lift`` (of the top ``share``).

    Examples
    --------
    >>> oof = pd.DataFrame({"fold": [1, 1, 1, 1, 2, 2, 2, 2], "y": [1, 0, 0, 0, 1, 0, 1, 0],
    ...                     "score": [0.9, 0.2, 0.1, 0.3, 0.8, 0.9, 0.7, 0.1]})
    >>> fold_metrics(oof, share=0.25)
          customers  buyers  auc  lift
    fold
    1             4       1  1.0   4.0
    2             4       2  0.5   0.0
    """
    oof = require_table(oof, "oof", ["fold", "y", "score"])
    rows = {}
    for fold, part in oof.groupby("fold"):
        y = binary_outcomes(part["y"])
        rows[fold] = {"customers": len(part), "buyers": int(y.sum()),
                      "auc": roc_auc_score(y, part["score"]), "lift": lift_at(y, part["score"], share)}  # fmt: skip
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("fold")


def top_k_summary(y_true, score, k: int) -> pd.Series:
    """What mailing the ``k`` customers with the highest score catches.

    Parameters
    ----------
    y_true : array-like of 0/1
        Who bought.
    score : array-like of float
        The model's score; higher means likelier.
    k : int
        How many customers are mailed, from the top.

    Returns
    -------
    Series
        ``mailed`` (k), ``buyers`` (among them), ``precision`` (buyers / k, the response rate),
        ``share_caught`` (of all buyers) and ``lift`` (precision / overall buyer rate).

    Examples
    --------
    >>> top_k_summary([1, 0, 1, 0, 0, 0, 0, 1], [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2], k=2)
    mailed          2.000000
    buyers          1.000000
    precision       0.500000
    share_caught    0.333333
    lift            1.333333
    dtype: float64
    """
    y = binary_outcomes(y_true)
    s = scores(score, len(y))
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or not 1 <= k <= len(y):
        raise ValueError(f"The value for `k` must be a whole number from 1 to {len(y)}, but {k!r} was passed.")
    if y.sum() == 0:
        raise ValueError("`y_true` holds no buyer: there is nothing to catch.")
    top = y[np.argsort(-s, kind="stable")[:k]]
    return pd.Series({"mailed": k, "buyers": top.sum(), "precision": top.mean(),
                      "share_caught": top.sum() / y.sum(), "lift": top.mean() / y.mean()}, dtype="float64")  # fmt: skip
