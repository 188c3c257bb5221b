"""Exercises of lesson 01, *What a CRM is for*: the goals of a CRM as KPIs, and warning signs in data;
channels (P4), a project's cost, time and ROI (P5), pricing (P7), the data collected (P6), who keeps
it (P8) and a life event (P2).

Expected values are computed from the course's database on the first check, never typed
in. Where a question asks for exactly what :mod:`crmlab.analysis.kpis` measures (q4), the
key is that function; elsewhere plain pandas computes the answer and, with other switches,
the known mistakes (the tests check that the answers agree with :mod:`crmlab.analysis.kpis`).
"""

from functools import cache

import pandas as pd

from crmlab.analysis import kpis
from crmlab.conventions import COURSE
from crmlab.datasets import practice_crm
from crmlab.exercises import CompareOptions, Mistake, Question, Reflection
from crmlab.exercises.lessons import shown_by
from crmlab.exercises.lessons.money_mistakes import unit_mistakes

TITLE = "What a CRM is for"
SINCE = pd.Timestamp("2025-07-01", tz="UTC")  # start of the recent window of question 5
WEEKS = 26  # length of each window of question 4
MIN_DROP = 0.15  # fall in completeness that flags a rep
#: q10: channels from which a customer counts as spread out (P4).
MANY_CHANNELS = 3
#: q11: the project of the cost, time and ROI question (P5), in rials (the course's currency) and months.
PROJECT = {"one_off": 150_000_000_000, "monthly_cost": 2_500_000_000, "months": 36, "build_months": 6}
REALITY = {"overrun": 0.5, "delay_months": 6}
UPLIFT = 0.03  # the vendor's promise: 3 % more revenue a year
#: q13: the kinds of data a CRM collects (P6) and the table that holds each; q14: who keeps it (P8).
SOURCES = {"sales": "orders", "fulfilment": "shipments", "accounting": "invoices",
           "website": "web_registrations", "after_sales": "tickets", "sms_responses": "interactions"}  # fmt: skip
MAILINGS = "sms"  # q13: the channel of the company's mailings, whose answers are its "mail responses" (P6)
DEPARTMENTS = {"orders": "sales", "opportunities": "sales", "shipments": "logistics", "invoices": "finance",
               "web_registrations": "marketing", "interactions": "marketing", "tickets": "support"}  # fmt: skip
MIN_DEPARTMENTS = 4
#: q15: a business customer's first order this big, in rials (at 2025 prices), is a life event (P2).
BIG_ORDER = 3_000_000_000


@cache
def _crm():
    return practice_crm(tables=["customers", "orders", "order_lines", "products", "tickets", "opportunities",
                            "interactions", "rep_activity", "shipments", "invoices", "web_registrations"])  # fmt: skip


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


# ---------------------------------------------------------------- q10: channels per customer (P4)


def _spread(unanswered_count: bool = False, over_all_customers: bool = False, scale: float = 1) -> float:
    crm = _crm()
    n = _activity(unanswered_count).drop_duplicates(["customer_id", "channel"]).groupby("customer_id").size()
    base = len(crm.customers) if over_all_customers else len(n)
    return float((n >= MANY_CHANNELS).sum() / base * scale)


# ---------------------------------------------------------------- q11: cost, time and ROI (P5)


def _revenue_last_year() -> float:
    crm = _crm()
    completed = crm.orders[crm.orders["status"].isin(crm.conventions.purchase_statuses)]
    year = crm.conventions.local_day(completed["ordered_at"]).dt.year
    return float(crm.conventions.major(completed.loc[year == crm.conventions.as_of.year, "total_cents"].sum()))


def _roi(reality: dict = REALITY, how: str = "roi", scale: float = 1, revenue_divide: float = 1) -> float:
    """``revenue_divide=100``: the cents habit; ``10``: the revenue in toman against a quote in rials."""
    revenue = _revenue_last_year() / revenue_divide
    plan = kpis.project_roi(**PROJECT, **reality, monthly_benefit=UPLIFT * revenue / 12)
    if how == "benefit_over_cost":
        return float(plan["benefit"] / plan["cost"])
    return float(plan["roi"] * scale)


# ---------------------------------------------------------------- q12: pricing in the CRM (P7)


def _discount(statuses=("completed",), how: str = "ratio_of_sums", weigh_quantity: bool = True) -> pd.DataFrame:
    crm = _crm()
    orders = crm.orders if statuses is None else crm.orders[crm.orders["status"].isin(statuses)]
    lines = crm.order_lines.merge(orders[["order_id", "customer_id"]], on="order_id")
    lines = lines.merge(crm.products[["product_id", "list_price_cents"]], on="product_id")
    lines = lines.merge(crm.customers[["customer_id", "segment"]], on="customer_id")
    q = lines["quantity"] if weigh_quantity else 1
    lines["list"] = lines["list_price_cents"] * q
    lines["paid"] = lines["unit_price_cents"] * q - lines["discount_cents"]
    if how == "mean_of_ratios":
        rate = (1 - lines["paid"] / lines["list"]).groupby(lines["segment"]).mean()
    else:
        sums = lines.groupby("segment")[["list", "paid"]].sum()
        rate = 1 - sums["paid"] / sums["list"]
    return rate.rename("discount_rate").rename_axis("segment").to_frame()


# ---------------------------------------------------------------- q13, q14: the data, and who keeps it (P6, P8)


def _buyers() -> pd.Index:
    crm = _crm()
    return pd.Index(crm.orders.loc[crm.orders["status"] == "completed", "customer_id"].unique())


def _holders(table: str, answered_only: bool = True, mailings_only: bool = True) -> set:
    crm = _crm()
    rows = crm[table]
    if table == "shipments":  # logistics knows the order, the order knows the customer
        rows = rows.merge(crm.orders[["order_id", "customer_id"]], on="order_id")
    if table == "interactions" and mailings_only:
        rows = rows[rows["channel"] == MAILINGS]
    if table == "interactions":
        if answered_only:
            rows = rows[rows["outcome"] != "no_response"]
    return set(rows["customer_id"])


def _coverage(answered_only: bool = True, over_all_customers: bool = False) -> pd.DataFrame:
    base = set(_crm().customers["customer_id"]) if over_all_customers else set(_buyers())
    share = {kind: len(_holders(table, answered_only) & base) / len(base) for kind, table in SOURCES.items()}
    return pd.Series(share, name="share_of_buyers").rename_axis("kind").to_frame()


def _departments_per_buyer(tables=tuple(DEPARTMENTS)) -> pd.Series:
    pairs = [(c, DEPARTMENTS[t]) for t in tables for c in _holders(t, answered_only=False, mailings_only=False)]
    kept = pd.DataFrame(pairs, columns=["customer_id", "department"])
    n = kept.drop_duplicates().groupby("customer_id").size()
    return n.reindex(_buyers(), fill_value=0)


def _many_departments(tables=tuple(DEPARTMENTS), per_table: bool = False) -> float:
    if per_table:  # every table counted as a department of its own
        pairs = [(c, t) for t in tables for c in _holders(t, answered_only=False, mailings_only=False)]
        kept = pd.DataFrame(pairs, columns=["customer_id", "table"])
        n = kept.drop_duplicates().groupby("customer_id").size().reindex(_buyers(), fill_value=0)
    else:
        n = _departments_per_buyer(tables)
    return float((n >= MIN_DEPARTMENTS).mean())


# ---------------------------------------------------------------- q15: life events (P2)


def _first_big(year_only: bool = True, business_only: bool = True, first_only: bool = True,
               threshold: float = BIG_ORDER) -> int:
    crm = _crm()
    completed = crm.orders[crm.orders["status"] == "completed"]
    big = completed[completed["total_cents"] >= threshold]
    if business_only:
        big = big[big["customer_id"].isin(crm.customers.loc[crm.customers["segment"] != "consumer", "customer_id"])]
    if first_only:
        big = big.sort_values("ordered_at").drop_duplicates("customer_id")
    if year_only:
        big = big[crm.conventions.local_day(big["ordered_at"]).dt.year == crm.conventions.as_of.year]
    return int(big["customer_id"].nunique())


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
    Question(
        "q10",
        f"How many channels (P4)? Using `activity` of question 5 (orders, and interactions the customer took "
        f"part in), the share (0 to 1) of the customers in `activity` who reached the company through "
        f"{MANY_CHANNELS} or more distinct channels.",
        expected=_spread,
        hints=[
            "One row per customer and channel: `activity.drop_duplicates(['customer_id', 'channel'])`.",
            "Count the rows per customer: `.groupby('customer_id').size()`.",
            f"`(n_channels >= {MANY_CHANNELS}).mean()`: the base is the customers in `activity`.",
        ],
        solution="n_channels = activity.drop_duplicates(['customer_id', 'channel']).groupby('customer_id').size()\n"
        f"spread = (n_channels >= {MANY_CHANNELS}).mean()",
        mistakes=[
            Mistake("You counted mailings nobody answered: a channel the customer ignored is not one they reach "
                    "the company through. Use `activity`, which leaves them out.",
                    expected=lambda: _spread(unanswered_count=True)),  # fmt: skip
            Mistake("You divided by every customer in the CRM; the question's base is the customers who did "
                    "something (those in `activity`).",
                    expected=lambda: _spread(over_all_customers=True)),  # fmt: skip
            Mistake("Your number looks like a percentage. Give the share between 0 and 1.",
                    expected=lambda: _spread(scale=100)),  # fmt: skip
        ],
        compare=CompareOptions(atol=2e-4, rtol=0),
    ),
    Question(
        "q11",
        f"Cost, time and return (P5). A vendor quotes {COURSE.money(PROJECT['one_off'])} up front, "
        f"{COURSE.money(PROJECT['monthly_cost'])} a month to run, go-live after {PROJECT['build_months']} months, "
        f"and promises {UPLIFT:.0%} more revenue a year: the monthly benefit is {UPLIFT:.0%} of the revenue of "
        f"completed orders in the data's last year (on the company's local calendar), divided by 12. Projects run "
        f"over: assume {REALITY['overrun']:.0%} more on the one-off cost and go-live {REALITY['delay_months']} "
        f"months late. With `kpis.project_roi`, the ROI (net / cost, a share) over {PROJECT['months']} months.",
        expected=_roi,
        hints=[
            "The base: `crm.conventions.local_day(completed['ordered_at']).dt.year == 2025`, the sum of "
            "`total_cents` (whole rials, like the quote: nothing to convert).",
            f"`monthly_benefit = {UPLIFT} * revenue / 12`.",
            "`kpis.project_roi(one_off=..., monthly_cost=..., monthly_benefit=..., months=..., build_months=..., "
            "overrun=..., delay_months=...)['roi']`",
        ],
        solution="completed = crm.orders[crm.orders['status'] == 'completed']\n"
        "year = crm.conventions.local_day(completed['ordered_at']).dt.year\n"
        "revenue = completed.loc[year == crm.conventions.as_of.year, 'total_cents'].sum()  # whole rials\n"
        f"plan = kpis.project_roi(one_off={PROJECT['one_off']:_}, monthly_cost={PROJECT['monthly_cost']:_}, "
        f"monthly_benefit={UPLIFT} * revenue / 12,\n"
        f"                        months={PROJECT['months']}, build_months={PROJECT['build_months']}, "
        f"overrun={REALITY['overrun']}, delay_months={REALITY['delay_months']})\n"
        "roi = plan['roi']",
        mistakes=[
            Mistake("That is the vendor's plan. The point of P5: projects cost more and take longer than "
                    "quoted. Add the overrun and the delay.",
                    expected=lambda: _roi(reality={})),  # fmt: skip
            Mistake("You left out the overrun on the one-off cost (`overrun=`).",
                    expected=lambda: _roi(reality={"delay_months": REALITY["delay_months"]})),  # fmt: skip
            Mistake("You left out the late go-live (`delay_months=`): every month late is a month without benefit.",
                    expected=lambda: _roi(reality={"overrun": REALITY["overrun"]})),  # fmt: skip
            Mistake("That is benefit / cost. ROI is the *net* return per unit of cost: (benefit - cost) / cost.",
                    expected=lambda: _roi(how="benefit_over_cost")),  # fmt: skip
            Mistake("Your number looks like a percentage. Give the share (e.g. -0.2 for -20 %).",
                    expected=lambda: _roi(scale=100)),  # fmt: skip
            *unit_mistakes(
                "total_cents",
                lambda divide: _roi(revenue_divide=divide),
                note="The vendor's quote is in rials too: benefit and cost must be in the same unit.",
            ),
        ],
        compare=CompareOptions(atol=1e-4, rtol=0),
    ),
    Question(
        "q12",
        "Pricing inside the CRM (P7): the CRM knows what each customer paid against the list price. A table "
        "with one row per customer `segment` and a column `discount_rate`: 1 - (what was paid) / (list value), "
        "over the lines of completed orders, where a line's list value is `list_price_cents x quantity` and "
        "what was paid is `unit_price_cents x quantity - discount_cents`.",
        expected=_discount,
        hints=[
            "Join `order_lines` to the completed orders (for `customer_id`), to `products` (for "
            "`list_price_cents`) and to `customers` (for `segment`).",
            "Compute `list` and `paid` per line, then *sum* them per segment before dividing.",
            "`sums = lines.groupby('segment')[['list', 'paid']].sum(); 1 - sums['paid'] / sums['list']`",
        ],
        solution="completed = crm.orders[crm.orders['status'] == 'completed']\n"
        "lines = crm.order_lines.merge(completed[['order_id', 'customer_id']], on='order_id')\n"
        "lines = lines.merge(crm.products[['product_id', 'list_price_cents']], on='product_id')\n"
        "lines = lines.merge(crm.customers[['customer_id', 'segment']], on='customer_id')\n"
        "lines['list'] = lines['list_price_cents'] * lines['quantity']\n"
        "lines['paid'] = lines['unit_price_cents'] * lines['quantity'] - lines['discount_cents']\n"
        "sums = lines.groupby('segment')[['list', 'paid']].sum()\n"
        "pricing = (1 - sums['paid'] / sums['list']).rename('discount_rate').reset_index()",
        mistakes=[
            Mistake("You averaged each line's rate, so a cable weighs as much as a laptop. Sum the list values "
                    "and the amounts paid per segment first (a ratio of sums).",
                    expected=lambda: _discount(how="mean_of_ratios")),  # fmt: skip
            Mistake("Your lines include cancelled and returned orders: keep `status == 'completed'`.",
                    expected=lambda: _discount(statuses=None)),  # fmt: skip
            Mistake("You forgot the quantity: a line of 3 items is worth 3 x the price.",
                    expected=lambda: _discount(weigh_quantity=False)),  # fmt: skip
        ],
        compare=CompareOptions(allow_extra_columns=True, ignore_column_case=True, atol=1e-6, rtol=0),
    ),
    Question(
        "q13",
        "The data a CRM collects (P6): of the customers with at least one completed order, the share (0 to 1) "
        "that each kind of data covers. A table with one row per `kind` and a column `share_of_buyers`: sales "
        "(`orders`), fulfilment (`shipments`, which reach customers through their orders), accounting "
        "(`invoices`), website (`web_registrations`), after_sales (`tickets`) and sms_responses, the answers "
        "to the company's mailings, which go by SMS (`interactions` of channel 'sms' whose outcome is not "
        "'no_response'). Any record counts, whatever its status or date.",
        expected=_coverage,
        hints=[
            "The base: `set(completed['customer_id'])`. For each table, the set of its `customer_id`s.",
            "`shipments` has no `customer_id`: merge it with `orders[['order_id', 'customer_id']]`.",
            "`len(holders & buyers) / len(buyers)` per kind, e.g. in a dict, then "
            "`pd.Series(shares, name='share_of_buyers').rename_axis('kind').reset_index()`.",
        ],
        solution="buyers = set(crm.orders.loc[crm.orders['status'] == 'completed', 'customer_id'])\n"
        "sms = crm.interactions[(crm.interactions['channel'] == 'sms') & (crm.interactions['outcome'] != "
        "'no_response')]\n"
        "shipped = crm.shipments.merge(crm.orders[['order_id', 'customer_id']], on='order_id')\n"
        "holders = {'sales': crm.orders, 'fulfilment': shipped,\n"
        "           'accounting': crm.invoices, 'website': crm.web_registrations, 'after_sales': crm.tickets,\n"
        "           'sms_responses': sms}\n"
        "shares = {kind: len(set(t['customer_id']) & buyers) / len(buyers) for kind, t in holders.items()}\n"
        "coverage = pd.Series(shares, name='share_of_buyers').rename_axis('kind').reset_index()",
        mistakes=[
            Mistake("Your SMS responses include mailings nobody answered: keep `outcome != 'no_response'`.",
                    expected=lambda: _coverage(answered_only=False)),  # fmt: skip
            Mistake("You divided by every customer in the CRM; the base is the customers with a completed order.",
                    expected=lambda: _coverage(over_all_customers=True)),  # fmt: skip
        ],
        compare=CompareOptions(allow_extra_columns=True, ignore_column_case=True, atol=1e-6, rtol=0),
    ),
    Question(
        "q14",
        f"A CRM belongs to the whole organisation (P8). Each table is kept by a department: "
        f"{', '.join(f'{t} by {d}' for t, d in DEPARTMENTS.items())} (every interaction counts here). Of the "
        f"customers with a completed order, what share (0 to 1) has records kept by {MIN_DEPARTMENTS} or more "
        f"*departments*?",
        expected=_many_departments,
        hints=[
            "Build one table of (`customer_id`, `department`) pairs: for each table, its customers with the "
            "department's name (`shipments` through `orders`).",
            "`.drop_duplicates()` first: two tables of one department count once.",
            f"Count departments per buyer (`.reindex(buyers, fill_value=0)`), then the share with "
            f"{MIN_DEPARTMENTS} or more.",
        ],
        solution="shipped = crm.shipments.merge(crm.orders[['order_id', 'customer_id']], on='order_id')\n"
        "kept = pd.concat([crm.orders.assign(department='sales'), crm.opportunities.assign(department='sales'),\n"
        "                  shipped.assign(department='logistics'), crm.invoices.assign(department='finance'),\n"
        "                  crm.web_registrations.assign(department='marketing'),\n"
        "                  crm.interactions.assign(department='marketing'),\n"
        "                  crm.tickets.assign(department='support')])\n"
        "n = kept[['customer_id', 'department']].drop_duplicates().groupby('customer_id').size()\n"
        "buyers = crm.orders.loc[crm.orders['status'] == 'completed', 'customer_id'].unique()\n"
        f"whole_org = (n.reindex(buyers, fill_value=0) >= {MIN_DEPARTMENTS}).mean()",
        mistakes=[
            Mistake("You counted *tables*, not departments: orders and opportunities are both sales, "
                    "interactions and web registrations both marketing. Map each table to its department and "
                    "drop duplicates.",
                    expected=lambda: _many_departments(per_table=True)),  # fmt: skip
        ],
        compare=CompareOptions(atol=2e-4, rtol=0),
    ),
    Question(
        "q15",
        f"Which information, and why (P2): a bank watches for life events to offer a mortgage at the right "
        f"moment; a retailer can watch for a business customer's first big order, the moment to offer "
        f"accessories and service. How many business customers (segment not 'consumer') had this event in "
        f"the data's last year: their *first* completed order of {COURSE.money(BIG_ORDER)} or more (a big "
        f"order at 2025 prices) was placed in that year, on the company's local calendar?",
        expected=_first_big,
        hints=[
            f"Keep completed orders of business customers with `total_cents >= {BIG_ORDER:_}` (whole rials).",
            "Sort by `ordered_at` and keep each customer's first such order "
            "(`.drop_duplicates('customer_id')`).",
            "Then count those whose first big order falls in the last year: "
            "`crm.conventions.local_day(first['ordered_at']).dt.year == crm.conventions.as_of.year`.",
        ],
        solution="completed = crm.orders[crm.orders['status'] == 'completed']\n"
        "business = crm.customers.loc[crm.customers['segment'] != 'consumer', 'customer_id']\n"
        f"big = completed[(completed['total_cents'] >= {BIG_ORDER:_}) & "
        "completed['customer_id'].isin(business)]\n"
        "first = big.sort_values('ordered_at').drop_duplicates('customer_id')\n"
        "n_events = (crm.conventions.local_day(first['ordered_at']).dt.year == crm.conventions.as_of.year).sum()",
        mistakes=[
            Mistake("You counted every business customer with a big order that year, also those whose first big "
                    "order came earlier: the event is the *first* one.",
                    expected=lambda: _first_big(first_only=False)),  # fmt: skip
            Mistake("Your count includes consumers; the event is about business customers (segment not "
                    "'consumer').", expected=lambda: _first_big(business_only=False)),  # fmt: skip
            Mistake("That is every year; count the first big orders placed in the last year of the data.",
                    expected=lambda: _first_big(year_only=False)),  # fmt: skip
            Mistake("Your threshold is a tenth of the one asked: it is the amount in toman. `total_cents` holds "
                    "rials, so compare it with the threshold in rials.",
                    expected=lambda: _first_big(threshold=BIG_ORDER / 10)),  # fmt: skip
        ],
    ),
    Reflection(
        "q7",
        "The scorecard has ten KPIs for seven goals. Which one would you show Nima's board first, "
        "and which department must keep its data complete for that KPI to be right?",
        solution="For example first-contact resolution: it drives both service and cost, and it is only "
        "right if the support agents record every contact on the ticket. Every KPI depends on some "
        "department's data entry, which is why a CRM belongs to the whole organisation.",
        rubric=[
            "Names one KPI of the scorecard and the goal it measures.",
            "Says why the board should see it first (what decision or cost it moves).",
            "Names the department whose records feed it (e.g. support agents logging every contact).",
            "Says what goes wrong in the KPI when that department's data entry is incomplete.",
        ],
    ),
]
