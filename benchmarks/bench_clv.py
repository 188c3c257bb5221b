"""Benchmark: fitting BG/NBD and Gamma-Gamma on CDNOW master (issue 14 asks at least 2x faster than lifetimes).

The input is Fader and Hardie's calibration summary, built untimed: every customer of the
CDNOW master file (23,570) with their purchases to 1997-09-30 (39 weeks), frequency,
recency and T in weeks (:func:`crmlab.analysis.clv.calibration_holdout`). A smaller size
takes the first customers by id. The Gamma-Gamma figure fits the customers among them
with a repeat purchase of positive value (9,450 of 23,570). The timed work is one
``fit`` in a fresh interpreter, as a learner's notebook does it: crmlab's
``BetaGeoModel`` / ``GammaGammaModel`` (BFGS with exact gradients on the distinct rows),
lifetimes' ``BetaGeoFitter`` / ``GammaGammaFitter`` (BFGS with autograd gradients), and
pymc-marketing's maximum a posteriori fit with flat priors where pymc-marketing is
installed. The digest is the fitted parameters to 4 significant digits, so the table says
whether the tools agree.

Run ``python benchmarks/harness.py bench_clv [--rounds 3]``.
"""

from __future__ import annotations

import importlib.util
from functools import cache

N_CUSTOMERS = 23_570  # CDNOW master
CAL_END, HOLD_END = "1997-09-30", "1998-06-30"
BGNBD, GAMMA_GAMMA = "BG/NBD fit (CDNOW master)", "Gamma-Gamma fit (CDNOW master)"
PARAMETERS = {BGNBD: ("r", "alpha", "a", "b"), GAMMA_GAMMA: ("p", "q", "v")}


@cache
def _summary(size: int):
    """The calibration summary of the first ``size`` customers, in weeks (rows: customers)."""
    from crmlab.analysis.clv import calibration_holdout
    from crmlab.datasets import load_cdnow

    log = load_cdnow("master")
    log = log[log["customer_id"].isin(log["customer_id"].drop_duplicates().nsmallest(size))]
    cal, _ = calibration_holdout(log, CAL_END, HOLD_END, period_days=7, monetary_value_col="amount")
    return cal


def _repeat(size: int):
    cal = _summary(size)
    return cal[(cal["frequency"] > 0) & (cal["monetary_value"] > 0)]


def crmlab_bgnbd(size: int):
    from crmlab.analysis.clv import BetaGeoModel

    cal = _summary(size)
    return lambda: BetaGeoModel().fit(cal["frequency"], cal["recency"], cal["T"])


def crmlab_gamma_gamma(size: int):
    from crmlab.analysis.clv import GammaGammaModel

    repeat = _repeat(size)
    return lambda: GammaGammaModel().fit(repeat["frequency"], repeat["monetary_value"])


def _quiet_lifetimes():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # lifetimes sets a pandas option that pandas 3 deprecates, on import
        import lifetimes
    return lifetimes


def lifetimes_bgnbd(size: int):
    lifetimes = _quiet_lifetimes()
    cal = _summary(size)
    return lambda: lifetimes.BetaGeoFitter().fit(cal["frequency"], cal["recency"], cal["T"])


def lifetimes_gamma_gamma(size: int):
    lifetimes = _quiet_lifetimes()
    repeat = _repeat(size)
    return lambda: lifetimes.GammaGammaFitter().fit(repeat["frequency"], repeat["monetary_value"])


def pymc_marketing_bgnbd(size: int):  # pragma: no cover - runs only where pymc-marketing is installed
    from pymc_marketing.clv import BetaGeoModel

    data = _summary(size)[["frequency", "recency", "T"]].rename_axis("customer_id").reset_index()
    return lambda: BetaGeoModel(data=data).fit(method="map", progressbar=False)


def pymc_marketing_gamma_gamma(size: int):  # pragma: no cover - runs only where pymc-marketing is installed
    from pymc_marketing.clv import GammaGammaModel

    data = _repeat(size)[["frequency", "monetary_value"]].rename_axis("customer_id").reset_index()
    return lambda: GammaGammaModel(data=data).fit(method="map", progressbar=False)


def _tools(crmlab, lifetimes, pymc_marketing) -> dict:
    tools = {"crmlab": crmlab, "lifetimes": lifetimes}
    if importlib.util.find_spec("pymc_marketing") is not None:
        tools["pymc-marketing"] = pymc_marketing
    return tools


FIGURES = {
    BGNBD: {
        "sizes": (N_CUSTOMERS,),
        "unit": "customers",
        "tools": _tools(crmlab_bgnbd, lifetimes_bgnbd, pymc_marketing_bgnbd),
    },
    GAMMA_GAMMA: {
        "sizes": (N_CUSTOMERS,),
        "unit": "customers",
        "tools": _tools(crmlab_gamma_gamma, lifetimes_gamma_gamma, pymc_marketing_gamma_gamma),
    },
}


def digest(figure: str, value) -> str:
    """The fitted parameters to 4 significant digits, whichever tool fitted them."""
    names = PARAMETERS[figure]
    if hasattr(value, "convergence_"):  # crmlab
        values = [getattr(value, f"{n}_") for n in names]
    elif hasattr(value, "params_"):  # lifetimes
        values = [value.params_[n] for n in names]
    else:  # pymc-marketing: the MAP point in its fit result
        values = [value.posterior[n].values.item() for n in names]
    return " ".join(f"{n}={float(v):.4g}" for n, v in zip(names, values, strict=True))
