"""Whom to target: uplift modelling on a randomised campaign.

A randomised test gives one average uplift, but customers differ. Four kinds matter:
**persuadables** buy only when contacted, **sure things** buy anyway, **lost causes**
do not buy either way, and **sleeping dogs** buy *less* when contacted. A campaign pays
best when it reaches the persuadables and leaves the sleeping dogs alone.

- :class:`TwoModelUplift` (the "two-model" or T-learner approach): one response model
  fitted on the treated customers, one on the control customers; a customer's
  predicted uplift is the difference of the two predicted probabilities. This needs a
  randomised campaign: only then are the two groups alike in everything but the contact.
- :func:`qini_curve`: rank the customers by predicted uplift and count, for the top
  share of them, the responders the contact added (treated responders minus control
  responders scaled to the treated group's size). A model that ranks well climbs
  above the straight line of random targeting; :func:`qini_coefficient` is the area
  between the two.
- :func:`uplift_by_group`: the observed uplift (treatment rate minus control rate)
  within groups of customers, such as deciles of predicted uplift.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from crmlab.validation import choice, require_table

__all__ = ["TwoModelUplift", "qini_coefficient", "qini_curve", "uplift_by_group"]


def _default_model(frame: pd.DataFrame, features: Sequence[str]):
    """A logistic regression: text and True/False columns one-hot, numbers standardised."""
    types = pd.api.types
    numeric = [f for f in features if types.is_numeric_dtype(frame[f]) and not types.is_bool_dtype(frame[f])]
    other = [f for f in features if f not in numeric]
    columns = ColumnTransformer([("numbers", StandardScaler(), numeric),
                                 ("labels", OneHotEncoder(handle_unknown="ignore"), other)])  # fmt: skip
    return make_pipeline(columns, LogisticRegression(max_iter=1000))


def _as_model_input(frame: pd.DataFrame, features: Sequence[str]) -> pd.DataFrame:
    out = frame[list(features)].copy()
    for name in out.columns:
        if pd.api.types.is_bool_dtype(out[name]) or not pd.api.types.is_numeric_dtype(out[name]):
            out[name] = out[name].astype(str)
    return out


class TwoModelUplift:
    """Predicted uplift as the difference of two response models (the two-model approach).

    Parameters
    ----------
    estimator : scikit-learn classifier, optional
        The response model, cloned for each group. By default a logistic regression
        on the features (text and True/False columns one-hot encoded, numbers scaled).
    treatment, control : str
        The two groups in ``group_col``.
    group_col, outcome : str
        The columns holding the group and the response (True/False).

    Attributes
    ----------
    features_ : list of str
        The columns the models were fitted on.
    model_treatment_, model_control_ : fitted classifiers
        The response models of the treated and the control customers.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> frame = pd.DataFrame({"group": rng.choice(["treatment", "control"], 4000),
    ...                       "young": rng.random(4000) < 0.5})
    >>> p = 0.05 + 0.30 * ((frame["group"] == "treatment") & frame["young"])
    >>> frame["responded"] = rng.random(4000) < p
    >>> model = TwoModelUplift().fit(frame, ["young"])
    >>> model.predict(frame).groupby(frame["young"]).mean().round(1).abs().tolist()
    [0.0, 0.3]
    """

    def __init__(self, estimator=None, treatment: str = "treatment", control: str = "control",
                 group_col: str = "group", outcome: str = "responded") -> None:  # fmt: skip
        self.estimator = estimator
        self.treatment = treatment
        self.control = control
        self.group_col = group_col
        self.outcome = outcome

    def fit(self, frame: pd.DataFrame, features: Sequence[str]) -> TwoModelUplift:
        """Fit one response model per group on ``features`` of ``frame``; return self."""
        if isinstance(features, str):
            raise TypeError(f"`features` must be a list of column names, e.g. [{features!r}], but a text was passed.")
        require_table(frame, "frame", [self.group_col, self.outcome, *features])
        groups = sorted(map(str, frame[self.group_col].unique()))
        choice("treatment", self.treatment, groups)
        choice("control", self.control, groups)
        self.features_ = list(features)
        base = self.estimator if self.estimator is not None else _default_model(frame, self.features_)
        x = _as_model_input(frame, self.features_)
        y = frame[self.outcome].astype(bool).astype(int)
        for name, group in [("model_treatment_", self.treatment), ("model_control_", self.control)]:
            mask = (frame[self.group_col] == group).to_numpy()
            if y[mask].nunique() < 2:
                raise ValueError(f"The {group!r} group needs responders and non-responders to fit a model.")
            setattr(self, name, clone(base).fit(x[mask], y[mask]))
        return self

    def _probability(self, frame: pd.DataFrame, model: str) -> np.ndarray:
        if not hasattr(self, "features_"):
            raise ValueError("This TwoModelUplift is not fitted yet: call `.fit(frame, features)` first.")
        require_table(frame, "frame", self.features_)
        return getattr(self, model).predict_proba(_as_model_input(frame, self.features_))[:, 1]

    def predict(self, frame: pd.DataFrame) -> pd.Series:
        """Predicted uplift of each row: P(respond | contacted) - P(respond | held back)."""
        uplift = self._probability(frame, "model_treatment_") - self._probability(frame, "model_control_")
        return pd.Series(uplift, index=frame.index, name="uplift")

    def propensity(self, frame: pd.DataFrame) -> pd.Series:
        """P(respond | contacted): a propensity score, who is likely to buy, not who the contact moves."""
        return pd.Series(self._probability(frame, "model_treatment_"), index=frame.index, name="propensity")


def qini_curve(
    frame: pd.DataFrame,
    score: pd.Series | str,
    treatment: str = "treatment",
    control: str = "control",
    group_col: str = "group",
    outcome: str = "responded",
) -> pd.DataFrame:
    """Responders added by targeting the top share of customers, best predicted uplift first.

    With the customers sorted by ``score`` (highest first), after the first ``k`` of
    them: ``incremental = R_t(k) - R_c(k) * N_t(k) / N_c(k)``, the treated responders
    minus the control responders scaled to the treated count (Radcliffe's Qini
    curve). ``random`` is the straight line a random order gives on average.

    Parameters
    ----------
    frame : DataFrame
        One row per customer of a randomised campaign: group and response.
    score : Series or str
        Predicted uplift (aligned on ``frame``'s index), or the column holding it.
    treatment, control, group_col, outcome : str
        The groups compared and the columns holding the group and the response.

    Returns
    -------
    pandas.DataFrame
        One row per customer in targeting order, plus a first row for nobody targeted:
        ``share`` (of all customers), ``treated``, ``control``, ``incremental``, ``random``.

    Examples
    --------
    >>> frame = pd.DataFrame({"group": ["treatment", "control"] * 3, "responded": [1, 0, 1, 1, 0, 0],
    ...                       "score": [0.3, 0.3, 0.1, 0.1, -0.2, -0.2]})
    >>> qini_curve(frame, "score")[["share", "incremental", "random"]].round(2).to_numpy().tolist()[-2:]
    [[0.83, 0.5, 0.83], [1.0, 1.0, 1.0]]
    """
    require_table(frame, "frame", [group_col, outcome])
    score = frame[score] if isinstance(score, str) else score
    if not isinstance(score, pd.Series) or not score.index.equals(frame.index):
        raise ValueError("`score` must be a column name of `frame` or a Series with the same index as `frame`.")
    kept = frame[group_col].isin([treatment, control]).to_numpy()
    order = np.argsort(-score.to_numpy()[kept], kind="stable")
    group = frame[group_col].to_numpy()[kept][order]
    y = frame[outcome].astype(bool).to_numpy()[kept][order]
    n_t = np.r_[0, np.cumsum(group == treatment)]
    n_c = np.r_[0, np.cumsum(group == control)]
    r_t = np.r_[0, np.cumsum(y & (group == treatment))]
    r_c = np.r_[0, np.cumsum(y & (group == control))]
    with np.errstate(divide="ignore", invalid="ignore"):
        incremental = np.where(n_c > 0, r_t - r_c * n_t / n_c, r_t)
    share = np.arange(len(group) + 1) / len(group)
    return pd.DataFrame({"share": share, "treated": n_t, "control": n_c, "incremental": incremental,
                         "random": share * incremental[-1]})  # fmt: skip


def qini_coefficient(curve: pd.DataFrame) -> float:
    """Area between a :func:`qini_curve` and random targeting, per customer targeted (0: no better than random)."""
    require_table(curve, "curve", ["share", "incremental", "random"])
    gap = (curve["incremental"] - curve["random"]).to_numpy()
    return float(np.trapezoid(gap, curve["share"].to_numpy()))


def uplift_by_group(
    frame: pd.DataFrame,
    by: pd.Series | str,
    treatment: str = "treatment",
    control: str = "control",
    group_col: str = "group",
    outcome: str = "responded",
) -> pd.DataFrame:
    """Observed uplift within groups of customers (for example deciles of predicted uplift).

    Returns
    -------
    pandas.DataFrame
        Indexed by the values of ``by``: ``customers``, ``rate_treatment``,
        ``rate_control`` and ``uplift`` (their difference).

    Examples
    --------
    >>> frame = pd.DataFrame({"group": ["treatment", "control"] * 2, "responded": [1, 0, 1, 1],
    ...                       "young": [True, True, False, False]})
    >>> uplift_by_group(frame, "young")["uplift"].tolist()
    [0.0, 1.0]
    """
    require_table(frame, "frame", [group_col, outcome])
    key = frame[by] if isinstance(by, str) else by
    y = frame[outcome].astype(bool).astype(float)
    rates = y.groupby([key, frame[group_col]], observed=True).mean().unstack(group_col)
    out = pd.DataFrame({"customers": key.value_counts().reindex(rates.index),
                        "rate_treatment": rates[treatment], "rate_control": rates[control]})  # fmt: skip
    out["uplift"] = out["rate_treatment"] - out["rate_control"]
    return out
