"""Exercises of lesson 01, *What a CRM is for*: the goals of a CRM as KPIs, and warning signs in data.

Expected values are computed from the course's database on the first check, never typed
in. Where a question asks for exactly what :mod:`crmlab.analysis.kpis` measures (q4), the
key is that function; elsewhere plain pandas computes the answer and, with other switches,
the known mistakes (the tests check that the answers agree with :mod:`crmlab.analysis.kpis`).
"""

from functools import cache

import pandas as pd

from crmlab.analysis import kpis
from crmlab.datasets import load_crm
from crmlab.exercises import CompareOptions, Mistake, Question, Reflection
from crmlab.exercises.lessons import shown_by

TITLE = "What a CRM is for"
SINCE = pd.Timestamp("2025-07-01", tz="UTC")  # start of the recent window of question 5
WEEKS = 26  # length of each window of question 4
MIN_DROP = 0.15  # fall in completeness that flags a rep


@cache
def _crm():
    return load_crm(tables=["customers", "orders", "order_lines", "products", "tickets",
                            "opportunities", "interactions", "rep_activity"])  # fmt: skip


def _is_number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


# ---------------------------------------------------------------- q1: first-contact resolution


def _fcr(channel: str | None = "call_centre", open_as_first: bool = False, open_in_base: bool = False) -> float:
    tickets = _crm().tickets
    if channel is not None:
        tickets = tickets[tickets["channel"] == channel]
    contacts = tickets["contacts_to_resolve"].astype("float64")
    if open_as_first:
        contacts = contacts.fillna(1)
    first = (contacts == 1).sum()
    base = len(contacts) if open_in_base else contacts.notna().sum()
    return float(first / base)


# ---------------------------------------------------------------- q2: cross-selling


def _categories_per_customer(statuses=("completed",)) -> pd.Series:
    crm = _crm()
    orders = crm.orders if statuses is None else crm.orders[crm.orders["status"].isin(statuses)]
    lines = crm.order_lines.merge(orders[["order_id", "customer_id"]], on="order_id")
    lines = lines.merge(crm.products[["product_id", "category_id"]], on="product_id")
    return lines.groupby("customer_id")["category_id"].nunique()


def _multi_share(statuses=("completed",), over_all_customers: bool = False) -> float:
    n = _categories_per_customer(statuses)
    base = len(_crm().customers) if over_all_customers else len(n)
    return float((n >= 2).sum() / base)


def _multi_share_per_order() -> float:
    crm = _crm()
    completed = crm.orders.loc[crm.orders["status"] == "completed", ["order_id"]]
    lines = crm.order_lines.merge(completed, on="order_id")
    lines = lines.merge(crm.products[["product_id", "category_id"]], on="product_id")
    return float((lines.groupby("order_id")["category_id"].nunique() >= 2).mean())


# ---------------------------------------------------------------- q3: sales cycle


def _cycle(stages=("closed_won",), how: str = "median", unit: str = "days") -> float:
    opps = _crm().opportunities
    deals = opps[opps["stage"].isin(stages)]
    span = deals["closed_at"] - deals["created_at"]
    if unit == "whole_days":
        return float(span.dt.days.agg(how))
    return float((span / pd.Timedelta(**{unit: 1})).agg(how))


# ---------------------------------------------------------------- q4: reps whose data entry collapsed


def _collapsed_reps() -> list[int]:
    flagged = kpis.disengaged_reps(_crm().rep_activity, weeks=WEEKS, min_drop=MIN_DROP)
    return sorted(int(r) for r in flagged.index)


def _lowest_overall_reps() -> list[int]:
    pooled = kpis.pooled_completeness(_crm().rep_activity)["completeness"]
    return [int(r) for r in pooled.nsmallest(len(_collapsed_reps())).index]


def _lowest_overall(answer) -> bool:
    """The answer lists the reps with the lowest completeness over all time, not those whose entry fell."""
    items = {int(x) for x in answer}
    lowest = kpis.pooled_completeness(_crm().rep_activity)["completeness"].nsmallest(len(items)).index
    return bool(items) and items == {int(r) for r in lowest} and items != set(_collapsed_reps())


# ---------------------------------------------------------------- q5: the single customer view


def _activity(unanswered_count: bool = False) -> pd.DataFrame:
    crm = _crm()
    touches = crm.interactions
    if not unanswered_count:
        touches = touches[touches["outcome"] != "no_response"]
    return pd.concat([
        touches[["customer_id", "channel", "occurred_at"]].rename(columns={"occurred_at": "at"}),
        crm.orders[["customer_id", "channel", "ordered_at"]].rename(columns={"ordered_at": "at"}),
    ])  # fmt: skip


def _hidden_store(unanswered_count: bool = False, part: str = "answer") -> int:
    activity = _activity(unanswered_count)
    before, recent = activity[activity["at"] < SINCE], activity[activity["at"] >= SINCE]
    store_before = set(before.loc[before["channel"] == "store", "customer_id"])
    store_recent = set(recent.loc[recent["channel"] == "store", "customer_id"])
    elsewhere = set(recent.loc[recent["channel"] != "store", "customer_id"])
    if part == "silent":
        return len(store_before - store_recent)
    if part == "never_store":
        return len(elsewhere - store_recent)
    return len((store_before - store_recent) & elsewhere)


QUESTIONS = [
    Question(
        "q1",
        "First-contact resolution of the call centre: among the resolved tickets of channel "
        "'call_centre', the share (between 0 and 1) solved at the first contact.",
        expected=_fcr,
        hints=[
            "Keep the tickets whose `channel` is 'call_centre'. Which of them are resolved?",
            "Open tickets have an empty `contacts_to_resolve`: leave them out of the count and of the base.",
            "`resolved = calls[calls['contacts_to_resolve'].notna()]`, then "
            "`(resolved['contacts_to_resolve'] == 1).mean()`",
        ],
        solution="calls = crm.tickets[crm.tickets['channel'] == 'call_centre']\n"
        "resolved = calls[calls['contacts_to_resolve'].notna()]\n"
        "fcr = (resolved['contacts_to_resolve'] == 1).mean()",
        mistakes=[
            Mistake("You counted open tickets as solved at the first contact (did you fill their empty "
                    "`contacts_to_resolve` with 1?). An open ticket is not resolved: leave it out.",
                    expected=lambda: _fcr(open_as_first=True)),  # fmt: skip
            Mistake("Your base includes the open tickets, so they count as failures. An open ticket has "
                    "no result yet: divide by the resolved tickets only.",
                    expected=lambda: _fcr(open_in_base=True)),  # fmt: skip
            Mistake("That is the rate over every channel. The question is about the call centre: keep "
                    "`channel == 'call_centre'` first.",
                    expected=lambda: _fcr(channel=None)),  # fmt: skip
            Mistake("Your number looks like a percentage. Give the share between 0 and 1 (e.g. 0.5, not 50).",
                    when=shown_by(lambda a: _is_number(a) and abs(a - 100 * _fcr()) < 0.06,
                                 example=lambda: 100 * _fcr())),  # fmt: skip
        ],
        compare=CompareOptions(atol=2e-4, rtol=0),
    ),
    Question(
        "q2",
        "Cross-selling: among the customers with at least one completed order, the share "
        "(between 0 and 1) who bought from two or more product categories, over all their completed orders.",
        expected=_multi_share,
        hints=[
            "Join the completed orders to their lines, and the lines to `products` for the `category_id`.",
            "Count distinct categories per customer: `.groupby('customer_id')['category_id'].nunique()`.",
            "The share is `(n_categories >= 2).mean()`, over buyers only.",
        ],
        solution="completed = crm.orders[crm.orders['status'] == 'completed']\n"
        "lines = crm.order_lines.merge(completed[['order_id', 'customer_id']], on='order_id')\n"
        "lines = lines.merge(crm.products[['product_id', 'category_id']], on='product_id')\n"
        "n_categories = lines.groupby('customer_id')['category_id'].nunique()\n"
        "share_multi = (n_categories >= 2).mean()",
        mistakes=[
            Mistake("You divided by every customer in the CRM. Customers who never bought are an "
                    "acquisition matter, not a cross-selling one: divide by the buyers.",
                    expected=lambda: _multi_share(over_all_customers=True)),  # fmt: skip
            Mistake("Your purchases include cancelled and returned orders: keep `status == 'completed'`.",
                    expected=lambda: _multi_share(statuses=None)),  # fmt: skip
            Mistake("That is the share of orders with two or more categories. The question is about "
                    "customers, over all their orders: group by `customer_id`.",
                    expected=_multi_share_per_order),  # fmt: skip
            Mistake("Your number looks like a percentage. Give the share between 0 and 1.",
                    when=shown_by(lambda a: _is_number(a) and abs(a - 100 * _multi_share()) < 0.06,
                                 example=lambda: 100 * _multi_share())),  # fmt: skip
        ],
        compare=CompareOptions(atol=2e-4, rtol=0),
    ),
    Question(
        "q3",
        "Deal speed: the median number of days from opening a deal (`created_at`) to closing it "
        "(`closed_at`), over the won deals (`stage == 'closed_won'`). Keep fractions of days.",
        expected=_cycle,
        hints=[
            "Keep the opportunities whose `stage` is 'closed_won'.",
            "Subtracting two timestamps gives a Timedelta; divide it by `pd.Timedelta(days=1)` for days.",
            "`((won['closed_at'] - won['created_at']) / pd.Timedelta(days=1)).median()`",
        ],
        solution="won = crm.opportunities[crm.opportunities['stage'] == 'closed_won']\n"
        "cycle_days = (won['closed_at'] - won['created_at']) / pd.Timedelta(days=1)\n"
        "median_cycle = cycle_days.median()",
        mistakes=[
            Mistake("You included the lost deals. A deal that dies in its first week is not a fast sale: "
                    "keep `stage == 'closed_won'`.",
                    expected=lambda: _cycle(stages=("closed_won", "closed_lost"))),  # fmt: skip
            Mistake("That is the mean. A few very long deals pull the mean up; the question asks for the median.",
                    expected=lambda: _cycle(how="mean")),  # fmt: skip
            Mistake("You rounded each deal down to whole days (`.dt.days`). Divide by `pd.Timedelta(days=1)` "
                    "to keep the fractions.",
                    expected=lambda: _cycle(unit="whole_days")),  # fmt: skip
            Mistake("Your number is in hours: divide by `pd.Timedelta(days=1)`, not by an hour.",
                    expected=lambda: _cycle(unit="hours")),  # fmt: skip
        ],
        compare=CompareOptions(atol=0.01, rtol=0),
    ),
    Question(
        "q4",
        f"Warning signs: a list of the `rep_id`s whose data-entry completeness (fields filled / fields "
        f"required, summed over the weeks) in the last {WEEKS} weeks is {MIN_DROP} or more lower than "
        f"in the {WEEKS} weeks before.",
        expected=_collapsed_reps,
        hints=[
            "Split `rep_activity` into the two windows with `recent_start` and `before_start`.",
            "In each window, per rep: the sum of `filled` divided by the sum of `total`.",
            "Subtract: `change = recent - before`, then `change[change <= -0.15].index.tolist()`.",
        ],
        solution="recent_weeks = act[act['week_start'] >= recent_start]\n"
        "before_weeks = act[(act['week_start'] >= before_start) & (act['week_start'] < recent_start)]\n"
        "recent = recent_weeks.groupby('rep_id')[['filled', 'total']].sum()\n"
        "before = before_weeks.groupby('rep_id')[['filled', 'total']].sum()\n"
        "change = recent['filled'] / recent['total'] - before['filled'] / before['total']\n"
        "collapsed = change[change <= -0.15].index.tolist()",
        mistakes=[
            Mistake("These are the reps whose data entry is poorest overall. The warning sign is a change: "
                    "compare each rep's recent weeks with their own earlier weeks.",
                    when=shown_by(_lowest_overall, example=_lowest_overall_reps)),  # fmt: skip
        ],
    ),
    Question(
        "q5",
        "The single customer view: how many customers were active in the store channel before "
        "1 July 2025, show no store activity since, yet were active in another channel since? "
        "(Activity: an order, or an interaction whose outcome is not 'no_response'; use `activity`.)",
        expected=_hidden_store,
        hints=[
            "Split `activity` at `since`; take the sets of `customer_id`s of the store rows in each part.",
            "Silent in store: in the 'before' set but not in the 'recent' one. Then keep those who appear "
            "in the recent rows of another channel.",
            "`len((store_before - store_recent) & elsewhere_recent)`",
        ],
        solution="before = activity[activity['at'] < since]\n"
        "recent = activity[activity['at'] >= since]\n"
        "store_before = set(before.loc[before['channel'] == 'store', 'customer_id'])\n"
        "store_recent = set(recent.loc[recent['channel'] == 'store', 'customer_id'])\n"
        "elsewhere_recent = set(recent.loc[recent['channel'] != 'store', 'customer_id'])\n"
        "n_hidden = len((store_before - store_recent) & elsewhere_recent)",
        mistakes=[
            Mistake("You counted every customer who went quiet in the store, including those quiet everywhere. "
                    "Keep only those active in another channel since 1 July.",
                    expected=lambda: _hidden_store(part="silent")),  # fmt: skip
            Mistake("Your count includes customers who never used the store. Start from those active in the "
                    "store before 1 July.",
                    expected=lambda: _hidden_store(part="never_store")),  # fmt: skip
            Mistake("You counted mailings nobody answered as activity. A mailing the customer ignored says "
                    "nothing about them: drop `outcome == 'no_response'`.",
                    expected=lambda: _hidden_store(unanswered_count=True)),  # fmt: skip
        ],
    ),
    Reflection(
        "q7",
        "The scorecard has ten KPIs for seven goals. Which one would you show Nima's board first, "
        "and which department must keep its data complete for that KPI to be right?",
        solution="For example first-contact resolution: it drives both service and cost, and it is only "
        "right if the support agents record every contact on the ticket. Every KPI depends on some "
        "department's data entry, which is why a CRM belongs to the whole organisation.",
    ),
]
