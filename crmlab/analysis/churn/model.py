"""Churn models as scikit-learn pipelines, and what the logistic one says about each driver.

:func:`churn_model` builds an unfitted :class:`~sklearn.pipeline.Pipeline` that takes the
table of :func:`~crmlab.analysis.churn.churn_dataset` as it is: it picks the feature
columns, takes the log of the skewed counts and amounts and standardises them, keeps the
yes/no flags and the bad-ticket count as they are, and one-hot encodes the segment
(consumers are the reference). :func:`odds_ratios` reads the fitted logistic model.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

from .features import AS_OF_RISKS

__all__ = [
    "FEATURE_LABELS", "MODEL_KINDS", "churn_model", "drivers_from_truth", "model_features", "odds_ratios",
    "planted_drivers",
]

#: Skewed amounts and counts: log(1 + x), then standardised.
_LOGGED = ["recency_days", "n_orders", "avg_order", "tenure_days", "n_tickets"]
#: Kept as they are: a count read "per ticket" and yes/no flags.
_AS_IS = ["bad_tickets", "single_channel", "no_email_consent", "no_sms_consent"]
_SEGMENTS = ["consumer", "small_business", "enterprise"]
MODEL_KINDS = ("logistic", "boosting", "forest")
#: Plain names of the model inputs, for charts.
FEATURE_LABELS = {
    "recency_days": "days since the last order",
    "n_orders": "number of orders",
    "avg_order": "average order value",
    "tenure_days": "time as a customer",
    "n_tickets": "support tickets",
    "bad_tickets": "bad support tickets",
    "single_channel": "one channel only",
    "no_email_consent": "no e-mail consent",
    "no_sms_consent": "no SMS consent",
    "segment_small_business": "small business",
    "segment_enterprise": "enterprise",
}


def _present(names: list[str], data: pd.DataFrame) -> list[str]:
    """The columns of ``names`` that ``data`` has: features left out as not known at the cutoff are skipped."""
    return [name for name in names if name in data.columns]


def _preprocess() -> ColumnTransformer:
    logged = make_pipeline(FunctionTransformer(np.log1p, feature_names_out="one-to-one"), StandardScaler())
    return ColumnTransformer(
        [
            ("logged", logged, _LOGGED),
            ("as_is", FunctionTransformer(lambda x: np.asarray(x, dtype=float), feature_names_out="one-to-one"),
             partial(_present, _AS_IS)),
            ("segment", OneHotEncoder(categories=[_SEGMENTS], drop="first", handle_unknown="ignore"),
             partial(_present, ["segment"])),
        ],
        verbose_feature_names_out=False,
    )


def churn_model(kind: str = "logistic", random_state: int = 0) -> Pipeline:
    """An unfitted churn model that takes the churn dataset's columns as they are.

    Parameters
    ----------
    kind : {"logistic", "boosting", "forest"}
        Logistic regression (readable: odds ratios and reasons), gradient boosting
        (100 small trees, each correcting the previous ones) or a random forest. All run
        on one core, so timings stay steady on a busy machine.
    random_state : int
        Seed of the tree models, so every run gives the same model.

    Returns
    -------
    Pipeline
        Steps ``prepare`` (a ColumnTransformer) and ``model``; ``fit(X, y)`` with ``X``
        the churn dataset (extra columns such as ``churned`` are ignored). The consent flags
        (SMS, e-mail) and the segment are used when ``X`` has them (see ``stable_fields`` of
        :func:`~crmlab.analysis.churn.churn_features`).

    Examples
    --------
    >>> from crmlab.datasets import load_crm
    >>> from crmlab.analysis.churn import time_split
    >>> train, test = time_split(load_crm(), "2023-12-31", "2024-12-31", stable_fields=["consent_sms", "segment"])
    >>> model = churn_model("logistic").fit(train, train["churned"])
    >>> model.predict_proba(test)[:, 1].round(2)[:3]
    array([0.3 , 0.31, 0.32])
    """
    if kind not in MODEL_KINDS:
        raise ValueError(f"The value for `kind` must be one of {list(MODEL_KINDS)}, but {kind!r} was passed.")
    estimators = {
        "logistic": lambda: LogisticRegression(max_iter=2_000),
        "boosting": lambda: GradientBoostingClassifier(n_estimators=100, max_depth=2, learning_rate=0.05,
                                                       subsample=0.8, random_state=random_state),  # fmt: skip
        "forest": lambda: RandomForestClassifier(n_estimators=200, min_samples_leaf=20, n_jobs=1,
                                                 random_state=random_state),  # fmt: skip
    }
    return Pipeline([("prepare", _preprocess()), ("model", estimators[kind]())])


def model_features(model: Pipeline) -> list[str]:
    """Names of the model's inputs after preparation, e.g. ``segment_enterprise``.

    Examples
    --------
    >>> model_features(churn_model())[-3:]
    ['no_sms_consent', 'segment_small_business', 'segment_enterprise']
    """
    prepare = model.named_steps["prepare"]
    if hasattr(prepare, "transformers_"):
        return list(prepare.get_feature_names_out())
    return [*_LOGGED, *_AS_IS, *(f"segment_{s}" for s in _SEGMENTS[1:])]


def _logistic(model) -> Pipeline:
    if not isinstance(model, Pipeline) or not isinstance(model.named_steps.get("model"), LogisticRegression):
        raise TypeError("This needs the logistic pipeline of `churn_model('logistic')`, fitted; "
                        f"a {type(model).__name__} was passed. Tree models have no coefficients to read.")  # fmt: skip
    if not hasattr(model.named_steps["model"], "coef_"):
        raise RuntimeError("The model is not fitted yet: call `model.fit(train, train['churned'])` first.")
    return model


def odds_ratios(model: Pipeline, planted: dict | None = None) -> pd.DataFrame:
    """How each input moves the odds of churning, read from a fitted logistic pipeline.

    Returns
    -------
    DataFrame
        Indexed by ``feature``, largest effect first: ``coefficient`` (log odds),
        ``odds_ratio`` (``exp(coefficient)``), ``unit`` (what one step of the input is)
        and ``planted`` (the hazard ratio of each planted driver in ``planted``, else NaN; NaN
        throughout when no answer key is passed, as for a company's own data).

    Parameters
    ----------
    model : Pipeline
        A fitted :func:`churn_model` of kind ``"logistic"``.
    planted : dict, optional
        A generated company's answer key, ``drivers_from_truth(crm.truth)``; the answer key is
        an argument, never a default, so no company's truths are assumed.

    Examples
    --------
    >>> from crmlab.datasets import load_crm
    >>> from crmlab.analysis.churn import time_split
    >>> train, _ = time_split(load_crm(), "2023-12-31", "2024-12-31", stable_fields=["consent_sms", "segment"])
    >>> table = odds_ratios(churn_model().fit(train, train["churned"]))
    >>> table.loc["bad_tickets", "unit"]
    'per bad ticket'
    """
    fitted = _logistic(model)
    names = model_features(fitted)
    coefficient = fitted.named_steps["model"].coef_[0]
    units = {**{n: "per SD of log(1 + x)" for n in _LOGGED}, "bad_tickets": "per bad ticket",
             "single_channel": "yes vs no", "no_email_consent": "yes vs no", "no_sms_consent": "yes vs no"}  # fmt: skip
    out = pd.DataFrame({
        "coefficient": coefficient,
        "odds_ratio": np.exp(coefficient),
        "unit": [units.get(n, "vs consumer") for n in names],
        "planted": [({} if planted is None else planted).get(n, np.nan) for n in names],
    }, index=pd.Index(names, name="feature"))  # fmt: skip
    out["planted"] = out["planted"].astype(float)
    return out.iloc[np.argsort(-np.abs(coefficient), kind="stable")]


def drivers_from_truth(truth: dict) -> dict:
    """The planted churn drivers of a generated CRM's answer key (``crm.truth``), named as the model's inputs.

    Returns the inputs of :func:`churn_model` that are planted drivers, each with its planted
    hazard ratio (``None`` for bad tickets, planted as a share of customers who leave).

    The course's company (``market="iran"``) plants the lack of SMS consent as a driver; the
    generic company (``generate_crm(market="generic")``) plants the lack of e-mail consent instead.

    Examples
    --------
    >>> from crmlab.datasets import generate_crm
    >>> drivers_from_truth(generate_crm(200, market="iran").truth)
    {'bad_tickets': None, 'single_channel': 1.6, 'no_sms_consent': 1.3, 'segment_enterprise': 0.5, \
'segment_small_business': 0.8}
    """
    try:
        ratios = truth["planted"]["churn_hazard_ratios"]
    except (KeyError, TypeError):
        raise ValueError("`truth` must be a generated CRM's answer key (`crm.truth`), with "
                         "truth['planted']['churn_hazard_ratios'].") from None  # fmt: skip
    consent = [key for key in ratios if key.startswith("no_") and key.endswith("_consent")]
    return {"bad_tickets": None, "single_channel": ratios["single_channel"], **{k: ratios[k] for k in consent},
            "segment_enterprise": ratios["enterprise"], "segment_small_business": ratios["small_business"]}


def planted_drivers(
    odds: pd.DataFrame, planted: Mapping[str, float | None], factor: float = 1.5, bad_ticket_min: float = 1.5
) -> pd.DataFrame:
    """Are the planted churn drivers recovered? Fitted odds ratios against the generator's values.

    The generator plants *hazard ratios* on the hidden moment a customer leaves, while
    the label counts every customer without an order in the window, including some who
    are still there but did not buy: that dilutes each effect towards 1. So the
    tolerance is loose on purpose, and stated:

    - a driver with a planted hazard ratio is recovered when its odds ratio lies on the
      same side of 1 and within a factor of ``factor`` of it (1.5: 1.6 may read 1.07 to 2.4);
    - bad tickets (planted: 35% of customers leave after one) are recovered when each bad
      ticket multiplies the odds by at least ``bad_ticket_min`` and no other driver moves
      the odds more (largest ``|log odds ratio|``).

    Parameters
    ----------
    odds : DataFrame
        :func:`odds_ratios` of a fitted logistic pipeline.
    planted : mapping
        The planted drivers and their hazard ratios (``None`` for bad tickets): the answer key
        of a generated company, ``drivers_from_truth(crm.truth)``.
    factor, bad_ticket_min : float
        The tolerances above.

    Returns
    -------
    DataFrame
        Indexed by the drivers' ``feature``: ``odds_ratio``, ``planted``, ``rule`` and ``recovered``.

    Examples
    --------
    >>> key = {"bad_tickets": None, "single_channel": 1.6, "no_sms_consent": 1.3,
    ...        "segment_enterprise": 0.5, "segment_small_business": 0.8}
    >>> odds = pd.DataFrame({"odds_ratio": [2.4, 1.3, 1.2, 0.55, 0.85]}, index=list(key))
    >>> planted_drivers(odds, planted=key)[["planted", "recovered"]]
                            planted  recovered
    feature
    bad_tickets                 NaN       True
    single_channel              1.6       True
    no_sms_consent              1.3       True
    segment_enterprise          0.5       True
    segment_small_business      0.8       True
    """
    if not isinstance(odds, pd.DataFrame) or "odds_ratio" not in odds.columns:
        raise TypeError("`odds` must be the table of `odds_ratios(model)`, with an `odds_ratio` column.")
    if not isinstance(planted, Mapping):
        raise TypeError("`planted` must be the answer key of a generated company, e.g. "
                        "`planted=churn.drivers_from_truth(crm.truth)`; a company's own data has none.")
    drivers = dict(planted)
    missing = [d for d in drivers if d not in odds.index]
    if missing:
        fields = [f for f, feature in AS_OF_RISKS.items() if feature in drivers] + ["segment"]
        raise KeyError(f"`odds` lacks the driver(s) {missing}: fit `churn_model('logistic')` on the churn dataset "
                       f"built with stable_fields={sorted(set(fields))} (the planted drivers need them).")
    ratio = odds.loc[list(drivers), "odds_ratio"].astype(float)
    planted = pd.Series(drivers, dtype=float)
    log_gap = np.abs(np.log(ratio) - np.log(planted))
    same_side = np.sign(np.log(ratio)) == np.sign(np.log(planted))
    recovered = same_side & (log_gap <= np.log(factor))
    strongest = np.abs(np.log(ratio)).idxmax() == "bad_tickets"
    recovered["bad_tickets"] = bool(ratio["bad_tickets"] >= bad_ticket_min and strongest)
    rule = [f"odds ratio >= {bad_ticket_min:g} and the strongest driver" if name == "bad_tickets"
            else f"same side of 1, within x{factor:g} of {planted[name]:g}" for name in drivers]  # fmt: skip
    return pd.DataFrame({"odds_ratio": ratio, "planted": planted, "rule": rule,
                         "recovered": recovered.astype(bool)}).rename_axis("feature")  # fmt: skip
