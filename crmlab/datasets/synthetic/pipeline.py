"""The sales pipeline and the reps' data-entry habits.

Reps who fill in more of the required fields close their deals faster, and their
completeness rises after training by an amount that depends on the training method.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._arrays import stable_argsort
from ._clock import HORIZON, business_hours, seasonal_days, to_date, to_utc
from .people import Population, Staff
from .truths import PLANTED

STAGES = np.array(["prospecting", "qualification", "proposal", "negotiation"])
ADVANCE = np.array([0.7, 0.65, 0.7, 0.55])  # chance to move on from each stage (last: to win)
MEAN_DAYS = np.array([8.0, 12.0, 16.0, 10.0])
FIELDS_PER_RECORD = 6


def completeness_after(staff: Staff) -> np.ndarray:
    """Each rep's data-entry completeness once trained."""
    gain = staff.reps["training_method"].map(PLANTED.training_gain).to_numpy()
    return np.clip(staff.baseline + gain, 0, 0.98)


def make_opportunities(
    rng: np.random.Generator, pop: Population, staff: Staff
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ``opportunities`` table and their ``opportunity_stages`` history."""
    enterprise = (pop.customers["segment"] == "enterprise").to_numpy()
    small = (pop.customers["segment"] == "small_business").to_numpy()
    rate = np.select([enterprise, small], [2.0, 0.8], 0.0) / 365.25
    owner, day = seasonal_days(rng, pop.signup_day, pop.active_until, rate, pop.market.day_factors)
    n = len(owner)
    team = np.where(enterprise[owner], "field_sales", "inside_sales")
    region = pop.region_idx[owner]
    from .commerce import assign_reps

    rep = np.empty(n, dtype="int64")
    for t in ["field_sales", "inside_sales"]:
        mask = team == t
        rep[mask] = assign_reps(rng, staff, t, region[mask])
    speed = 1.6 - 2.5 * (completeness_after(staff)[rep - 1] - 0.6)
    durations = rng.exponential(MEAN_DAYS, size=(n, 4)) * speed[:, None] + 1
    advance = rng.random((n, 4)) < ADVANCE
    first_fail = np.where(advance.all(axis=1), 4, np.argmin(advance, axis=1))
    created = day + business_hours(rng, n, 9, 17)
    entered = created[:, None] + np.c_[np.zeros(n), np.cumsum(durations, axis=1)[:, :3]]
    reached = np.arange(4)[None, :] <= np.minimum(first_fail, 3)[:, None]
    close = created + np.cumsum(durations, axis=1)[np.arange(n), np.minimum(first_fail, 3)]
    amount = np.round(rng.lognormal(np.where(team == "field_sales", np.log(25_000), np.log(3_000)), 0.6)) * 100
    amount = pop.market.price(amount * (pop.market.minor_per_dollar // 100), day)  # the market's money, that day
    sort = stable_argsort(created)
    ids = np.empty(n, dtype="int64")
    ids[sort] = np.arange(1, n + 1)
    visible = reached & (entered < HORIZON)
    current = STAGES[visible.sum(axis=1) - 1]
    closed = close < HORIZON
    outcome = np.where(first_fail == 4, "closed_won", "closed_lost")
    stage = np.where(closed, outcome, current)
    opps = pd.DataFrame({
        "opportunity_id": ids,
        "customer_id": owner + 1,
        "rep_id": rep,
        "created_at": to_utc(created),
        "amount_cents": amount.astype("int64"),
        "stage": stage,
        "closed_at": to_utc(close).where(closed),
    }, copy=False).sort_values("opportunity_id", ignore_index=True)
    row, col = np.nonzero(visible)
    hist = pd.DataFrame({"opportunity_id": ids[row], "stage": STAGES[col], "_t": entered[row, col]})
    done = np.flatnonzero(closed)
    hist = pd.concat([hist, pd.DataFrame({
        "opportunity_id": ids[done], "stage": outcome[done], "_t": close[done]})], ignore_index=True)
    hist = hist.sort_values(["opportunity_id", "_t"], ignore_index=True)
    hist["entered_at"] = to_utc(hist.pop("_t").to_numpy())
    return opps, hist


def make_rep_activity(rng: np.random.Generator, staff: Staff) -> pd.DataFrame:
    """Weekly data-entry records per rep: records entered and required fields filled."""
    reps = staff.reps
    hired = (reps["hired_on"] - pd.Timestamp("2022-01-01")).dt.days.to_numpy()
    first_week = np.maximum(np.ceil((hired - 2) / 7), 0).astype(int)
    n_weeks = int((HORIZON - 2) // 7)
    counts = n_weeks - first_week
    rep_idx = np.repeat(np.arange(len(reps)), counts)
    week = np.concatenate([np.arange(f, n_weeks) for f in first_week])
    week_day = 2.0 + 7 * week  # Mondays
    team = reps["team"].to_numpy()[rep_idx]
    trained = week_day >= staff.trained_day[rep_idx]
    gain = reps["training_method"].map(PLANTED.training_gain).to_numpy()[rep_idx]
    fading = week_day >= staff.disengaged_from[rep_idx]
    p = staff.baseline[rep_idx] + gain * trained - 0.35 * fading + rng.normal(0, 0.03, size=len(rep_idx))
    records = rng.poisson(np.where(team == "support", 45, 30) * np.where(fading, 0.5, 1.0))
    total = records * FIELDS_PER_RECORD
    filled = rng.binomial(total, np.clip(p, 0.02, 0.99))
    return pd.DataFrame({
        "rep_id": reps["rep_id"].to_numpy()[rep_idx],
        "week_start": to_date(week_day),
        "records_entered": records.astype("int32"),
        "required_fields_total": total.astype("int32"),
        "required_fields_filled": filled.astype("int32"),
    }, copy=False)
