"""P5, what a CRM project costs and when it pays: a cost, time and return-on-investment calculator.

Vendors quote a price and a go-live date; projects tend to cost more and go live later
(the source's 2001 TDWI survey: about half of 1,600 respondents budgeted under USD 500k, some
over USD 1M, and most took longer than planned). :func:`project_roi` prices a plan month by
month with an overrun on the one-off cost and a delay before the benefits start, so the
vendor's plan and a realistic one can be compared side by side.
"""

from __future__ import annotations

import math
import numbers

import numpy as np
import pandas as pd

__all__ = ["project_roi"]


def _number(name: str, value: object, *, whole: bool = False) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise ValueError(f"The value for `{name}` must be a finite number, but {value!r} was passed.")
    if value < 0:
        raise ValueError(f"The value for `{name}` must be 0 or more, but {value!r} was passed.")
    if whole and value != int(value):
        raise ValueError(f"The value for `{name}` must be a whole number of months, but {value!r} was passed.")
    return float(value)


def project_roi(
    *,
    one_off: float,
    monthly_cost: float,
    monthly_benefit: float,
    months: int = 36,
    build_months: int = 6,
    overrun: float = 0.0,
    delay_months: int = 0,
) -> pd.Series:
    """Cost, time and return of a CRM project over a horizon, month by month.

    The one-off cost (licences bought, implementation, data migration, training) is paid
    in month 1, raised by ``overrun`` (0.5 for 50 % over budget). Running costs (licence
    subscriptions, support, a CRM administrator) are paid every month from month 1. The
    benefit starts the month after go-live, which is ``build_months + delay_months`` in.

    Parameters
    ----------
    one_off : float
        The quoted one-off cost, in money (any currency, major unit).
    monthly_cost, monthly_benefit : float
        Running cost and expected benefit (extra margin, time saved) per month once live.
    months : int
        The horizon, in months from the start of the project.
    build_months : int
        The months to go-live the vendor plans.
    overrun : float
        Cost overrun on the one-off cost, as a share (0.5 = 50 % more).
    delay_months : int
        Months the go-live slips beyond ``build_months``.

    Returns
    -------
    Series
        ``cost`` (one-off with its overrun plus running costs over the horizon),
        ``benefit``, ``net`` (benefit - cost), ``roi`` (net / cost, a share),
        ``live_month`` (the first month with a benefit) and ``payback_month`` (the first
        month whose cumulative net is 0 or more; NaN if not within the horizon).

    Raises
    ------
    ValueError
        For a negative, non-finite or (for months) fractional input, naming it.

    Examples
    --------
    A vendor's plan: 120,000 up front, 2,000 a month to run, 8,000 a month of benefit from
    month 7. Over 36 months: cost 120,000 + 72,000 = 192,000; benefit 30 x 8,000 = 240,000;
    after month 6 the project is 132,000 behind and gains 6,000 a month: paid back in month 28.

    >>> project_roi(one_off=120_000, monthly_cost=2_000, monthly_benefit=8_000, months=36,
    ...             build_months=6)[["cost", "benefit", "net", "roi", "payback_month"]].tolist()
    [192000.0, 240000.0, 48000.0, 0.25, 28.0]

    The same plan 50 % over budget and six months late: cost 252,000, benefit 24 x 8,000.

    >>> project_roi(one_off=120_000, monthly_cost=2_000, monthly_benefit=8_000, months=36,
    ...             build_months=6, overrun=0.5, delay_months=6)[["cost", "benefit", "roi"]].round(3).tolist()
    [252000.0, 192000.0, -0.238]
    """
    one_off, monthly_cost = _number("one_off", one_off), _number("monthly_cost", monthly_cost)
    monthly_benefit, overrun = _number("monthly_benefit", monthly_benefit), _number("overrun", overrun)
    months, build = int(_number("months", months, whole=True)), int(_number("build_months", build_months, whole=True))
    delay = int(_number("delay_months", delay_months, whole=True))
    if months < 1:
        raise ValueError(f"The value for `months` must be at least 1, but {months!r} was passed.")
    month = np.arange(1, months + 1)
    live = build + delay + 1
    cost = np.full(months, monthly_cost)
    cost[0] += one_off * (1 + overrun)
    benefit = np.where(month >= live, monthly_benefit, 0.0)
    cumulative = np.cumsum(benefit - cost)
    paid_back = month[cumulative >= 0]
    total_cost, total_benefit = float(cost.sum()), float(benefit.sum())
    return pd.Series({
        "cost": total_cost,
        "benefit": total_benefit,
        "net": total_benefit - total_cost,
        "roi": (total_benefit - total_cost) / total_cost if total_cost else float("nan"),
        "live_month": float(live),
        "payback_month": float(paid_back[0]) if len(paid_back) else float("nan"),
    }, name="project")  # fmt: skip
