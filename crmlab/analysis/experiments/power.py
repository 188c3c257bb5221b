"""Before the next test: how many customers, and what can a given test detect?

Power is the chance that a test finds an uplift that is really there. The sample
size, the smallest uplift worth finding, the base rate, the significance level and
the power are tied together: fix four and the fifth follows. The computations use
:mod:`statsmodels` (``NormalIndPower`` with Cohen's effect size
``h = 2 asin(sqrt(p1)) - 2 asin(sqrt(p0))``), which for two equal groups gives the
textbook ``n = 2 (z_{1-alpha/2} + z_{power})^2 / h^2`` customers **per group**.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import proportion_effectsize

from crmlab.validation import fraction, positive

__all__ = ["minimum_detectable_effect", "power_curve", "sample_size_per_group", "sample_size_table"]


def _rates(base_rate: float, uplift: float) -> tuple[float, float]:
    base = fraction("base_rate", base_rate)
    try:
        uplift = float(uplift)
    except (TypeError, ValueError):
        uplift = float("nan")
    if not (uplift != 0 and 0 < base + uplift < 1):
        raise ValueError(
            f"The value for `uplift` must be an absolute change in the rate (e.g. 0.02 for 2 percentage "
            f"points), not 0, with `base_rate + uplift` between 0 and 1; but {uplift!r} was passed "
            f"with base_rate={base!r}."
        )
    return base, uplift


def sample_size_per_group(
    base_rate: float, uplift: float, alpha: float = 0.05, power: float = 0.8, ratio: float = 1.0
) -> int:
    """Customers needed **in each group** to detect ``uplift`` with the given power.

    Parameters
    ----------
    base_rate : float
        The control group's expected response rate, e.g. the rate observed last time.
    uplift : float
        The smallest absolute uplift worth detecting (0.02 = 2 percentage points).
    alpha : float
        Significance level of the two-sided test.
    power : float
        Chance of detecting the uplift if it is real.
    ratio : float
        Size of the control group relative to the treatment group (1: equal groups).

    Returns
    -------
    int
        Customers in the treatment group, rounded up (the control group needs
        ``ratio`` times as many). The experiment needs both groups: the total is
        ``n * (1 + ratio)``.

    Examples
    --------
    >>> sample_size_per_group(0.06, 0.04)
    712
    >>> sample_size_per_group(0.06, 0.02)
    2543
    """
    base, uplift = _rates(base_rate, uplift)
    h = proportion_effectsize(base + uplift, base)
    n = NormalIndPower().solve_power(
        effect_size=h, alpha=fraction("alpha", alpha), power=fraction("power", power),
        ratio=positive("ratio", ratio), alternative="two-sided",
    )  # fmt: skip
    return int(np.ceil(n - 1e-9))


def sample_size_table(
    base_rate: float, uplifts: Iterable[float], alpha: float = 0.05, power: float = 0.8
) -> pd.DataFrame:
    """Sample sizes for several uplifts: per group and in total (two equal groups).

    Examples
    --------
    >>> sample_size_table(0.06, [0.02, 0.04])
            relative_uplift  per_group  total
    uplift
    0.02           0.333333       2543   5086
    0.04           0.666667        712   1424
    """
    rows = [
        (float(u), float(u) / base_rate, sample_size_per_group(base_rate, u, alpha, power)) for u in uplifts
    ]
    out = pd.DataFrame(rows, columns=["uplift", "relative_uplift", "per_group"]).set_index("uplift")
    return out.assign(total=2 * out["per_group"])


def power_curve(
    base_rate: float, uplifts: float | Iterable[float], sizes: Iterable[int], alpha: float = 0.05
) -> pd.DataFrame:
    """The power of a test with two equal groups, for each uplift and group size.

    Parameters
    ----------
    base_rate : float
        The control group's response rate.
    uplifts : float or iterable of float
        Absolute uplifts to draw one curve each.
    sizes : iterable of int
        Customers per group.
    alpha : float
        Significance level of the two-sided test.

    Returns
    -------
    pandas.DataFrame
        One row per uplift and size: ``uplift``, ``n_per_group``, ``power``.

    Examples
    --------
    >>> power_curve(0.06, 0.04, [356, 712, 1424]).round(3)
       uplift  n_per_group  power
    0    0.04          356  0.509
    1    0.04          712  0.800
    2    0.04         1424  0.977
    """
    uplifts = [uplifts] if np.isscalar(uplifts) else list(uplifts)
    sizes = np.asarray(list(sizes), dtype=float)
    if len(sizes) == 0 or not (sizes > 1).all():
        raise ValueError("The values for `sizes` must be group sizes above 1, e.g. `range(100, 5000, 100)`.")
    alpha = fraction("alpha", alpha)
    parts = []
    for u in uplifts:
        base, u = _rates(base_rate, u)
        h = proportion_effectsize(base + u, base)
        power = NormalIndPower().power(effect_size=h, nobs1=sizes, alpha=alpha, ratio=1.0)
        parts.append(pd.DataFrame({"uplift": u, "n_per_group": sizes.astype(int), "power": power}))
    return pd.concat(parts, ignore_index=True)


def minimum_detectable_effect(
    base_rate: float, n_treatment: int, n_control: int | None = None, alpha: float = 0.05, power: float = 0.8
) -> float:
    """The smallest absolute uplift a test of this size detects with the given power.

    Parameters
    ----------
    base_rate : float
        The control group's response rate.
    n_treatment : int
        Customers in the treatment group.
    n_control : int, optional
        Customers in the control group; by default as many as in treatment.
    alpha : float
        Significance level of the two-sided test.
    power : float
        The power required.

    Returns
    -------
    float
        The minimum detectable effect (MDE), an absolute uplift: 0.03 = 3 points.

    Examples
    --------
    >>> round(minimum_detectable_effect(0.06, 712), 4)
    0.04
    """
    base = fraction("base_rate", base_rate)
    n1 = positive("n_treatment", n_treatment)
    n0 = n1 if n_control is None else positive("n_control", n_control)
    h = NormalIndPower().solve_power(
        nobs1=n1, ratio=n0 / n1, alpha=fraction("alpha", alpha), power=fraction("power", power),
        alternative="two-sided",
    )  # fmt: skip
    treated = np.sin(np.arcsin(np.sqrt(base)) + float(h) / 2) ** 2
    return float(treated - base)
