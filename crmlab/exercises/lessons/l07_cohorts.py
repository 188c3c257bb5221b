"""Exercises of lesson 07, *Cohorts and retention*: cohorts, retention, the censored lapse window, channels,
a Jalali cohort.

Expected values are computed from the course's database with :mod:`crmlab.analysis.cohorts`
on the first check, never typed in; each known mistake is the same computation done the
wrong way (UTC months, sign-up dates, cancelled orders as activity, the wrong denominator...).
"""

import math
from functools import cache

import pandas as pd

from crmlab.analysis import cohorts as co
from crmlab.calendars import JALALI_MONTHS, from_jalali
from crmlab.datasets import practice_crm
from crmlab.exercises import AnswerError, CompareOptions, Mistake, Question, Reflection
from crmlab.exercises.lessons import shown_by

TITLE = "Cohorts and retention"
END = "2025-12-31"  # the last day of the course's export
CUSTOMER = 1132  # q1 (practice company): first order at 22:49 UTC on 30 June 2024, already July in Tehran
SIZE_MONTH = "2024-07"  # q2: local, UTC, any-status, sign-up and order counts all differ (67, 66, 71, 72, 380)
RETENTION_COHORT = "2024-09"  # q3: every mistake (cancelled orders, months 2 and 4...) moves it by more than 0.03
JALALI_COHORT = "Farvardin 1402"  # q11: Nowruz 1402 splits its Gregorian months; each mistake moves it > 0.02
JALALI_AGE = 2
# q4 accepts a window 3 days off; on the practice company such a window moves a channel's share by up to 0.008 (three
# of Instagram's 396 buyers), so q5 accepts 0.01. Each mistake of q5 moves some share by more than 0.02.
_SHARES = CompareOptions(atol=0.01, rtol=0, allow_extra_columns=True, ignore_column_case=True)


@cache
def _crm():
    return practice_crm(tables=["customers", "orders"])


def _orders() -> pd.DataFrame:
    return _crm().orders


def _customers() -> pd.DataFrame:
    return _crm().customers.set_index("customer_id")


def _month_text(answer) -> object:
    """A month as 'YYYY-MM', from a Period, a Timestamp or text; anything else is compared as it is."""
    if isinstance(answer, pd.Period):
        return answer.asfreq("M").strftime("%Y-%m")
    if isinstance(answer, pd.Timestamp):
        return answer.strftime("%Y-%m")
    if isinstance(answer, str):
        return answer.strip()[:7]
    if isinstance(answer, (pd.Series, pd.DataFrame, pd.Index)):
        raise AnswerError("Give one month as text, e.g. \"2023-07\", not a whole column: pick your "
                          "customer's value with `.loc[customer_id]`.")  # fmt: skip
    return answer


# ---------------------------------------------------------------- q1: the cohort of one customer


def _cohort_of(customer: int = CUSTOMER, **kwargs) -> str:
    cohorts = co.acquisition_cohorts(_orders(), end=END, **kwargs)
    return cohorts.loc[customer, "cohort"].strftime("%Y-%m")


# ---------------------------------------------------------------- q2: the size of one cohort


def _size(month: str = SIZE_MONTH, **kwargs) -> int:
    sizes = co.cohort_sizes(_orders(), end=END, **kwargs)
    return int(sizes.get(pd.Period(month, "M"), 0))


def _signups(month: str = SIZE_MONTH) -> int:
    return int((_customers()["signup_date"].dt.to_period("M") == pd.Period(month, "M")).sum())


def _completed_orders_in(month: str = SIZE_MONTH) -> int:
    orders = _orders()
    local = orders["ordered_at"].dt.tz_convert(co.LOCAL_TZ).dt.tz_localize(None).dt.to_period("M")
    return int(((local == pd.Period(month, "M")) & (orders["status"] == "completed")).sum())


# ---------------------------------------------------------------- q3: month-3 retention of one cohort


def _retention(age: int = 3, cohort: str = RETENTION_COHORT, **kwargs) -> float:
    matrix = co.retention_matrix(_orders(), end=END, **kwargs)
    return float(matrix.loc[pd.Period(cohort, "M"), age])


def _active_in_month(age: int = 3, cohort: str = RETENTION_COHORT, statuses=("completed",)) -> int:
    """Members of the (completed-order) cohort with an order of ``statuses`` in month ``age``."""
    orders = _orders()
    period = pd.Period(cohort, "M")
    cohorts = co.acquisition_cohorts(orders, end=END)
    members = cohorts.index[cohorts["cohort"] == period]
    month = orders["ordered_at"].dt.tz_convert(co.LOCAL_TZ).dt.tz_localize(None).dt.to_period("M")
    hit = orders["customer_id"].isin(members) & (month == period + age) & orders["status"].isin(list(statuses))
    return int(orders.loc[hit, "customer_id"].nunique())


def _cancelled_as_activity() -> float:
    return _active_in_month(statuses=("completed", "cancelled", "returned")) / _size(RETENTION_COHORT)


def _over_all_customers() -> float:
    return _active_in_month() / len(_customers())


def _over_all_buyers() -> float:
    return _active_in_month() / _orders().loc[_orders()["status"] == "completed", "customer_id"].nunique()


def _is_percent(answer) -> bool:
    return 1 < float(answer) <= 100 and abs(float(answer) / 100 - _retention()) < 1e-6


# ---------------------------------------------------------------- q4: the lapse window, open gaps censored


def _spells(**kwargs) -> pd.DataFrame:
    return co.purchase_spells(_orders(), end=END, **kwargs)


def _window(share: float = 0.9, spells: pd.DataFrame | None = None, **kwargs) -> int:
    """The Kaplan-Meier lapse window: the day by which ``share`` of the returns seen have happened."""
    spells = _spells(**kwargs) if spells is None else spells
    return co.survival_lapse_window(co.next_purchase_survival(spells), share)


def _days(share: float = 0.9, **kwargs) -> float:
    """The window as a float, so that the question's tolerance applies (whole numbers compare exactly)."""
    return float(_window(share, **kwargs))


def _pooled_days(quantile: float = 0.9) -> float:
    """The old answer: the 90th percentile of the closed gaps only, open gaps and one-time buyers left out."""
    return float(co.lapse_window(co.purchase_gaps(_orders(), end=END), quantile))


def _open_gaps_as_returns() -> float:
    """Every open gap counted as if the customer had come back on the last day."""
    return float(_window(spells=_spells().assign(returned=True)))


def _days_across_customers() -> float:
    """Gaps taken down the whole sorted table, from one customer's order to another customer's."""
    orders = _orders()
    done = orders[orders["status"] == "completed"].sort_values("ordered_at")
    return float(math.ceil(done["ordered_at"].diff().dt.days.quantile(0.9)))


# ---------------------------------------------------------------- q5: lapsed share by acquisition channel


def _lapsed_share(include_never: bool = False, retained: bool = False, **kwargs) -> pd.DataFrame:
    lapsed = co.lapse_status(_orders(), _window(), end=END, **kwargs)["lapsed"]
    channel = _customers()["acquisition_channel"]
    if include_never:
        lapsed = lapsed.reindex(channel.index, fill_value=True)
    share = lapsed.astype(float).groupby(channel.reindex(lapsed.index)).mean()
    share = 1 - share if retained else share
    return share.rename("lapsed_share").rename_axis("acquisition_channel").to_frame()


def _shares_in_percent(answer) -> bool:
    values = pd.to_numeric(pd.DataFrame(answer).select_dtypes("number").stack(), errors="coerce")
    return bool(values.max() > 1.5) and bool(values.max() <= 100)


# ---------------------------------------------------------------- q11: retention of a Jalali cohort


def _jalali_retention(age: int = JALALI_AGE, cohort: str = JALALI_COHORT, **kwargs) -> float:
    matrix = co.retention_matrix(_orders(), end=END, calendar="jalali", **kwargs)
    return float(matrix.loc[cohort, age])


def _year_plus_621(age: int = JALALI_AGE, cohort: str = JALALI_COHORT) -> float:
    """The shortcut: Jalali year + 621 with the month number kept (Farvardin 1402 read as January 2023)."""
    name, year = cohort.split()
    return _retention(age, f"{int(year) + 621}-{JALALI_MONTHS.index(name) + 1:02d}")


def _gregorian_month_holding(day_of_month: int) -> float:
    """Month-2 retention of the Gregorian cohort of the month holding day ``day_of_month`` of the Jalali cohort."""
    name, year = JALALI_COHORT.split()
    first = from_jalali(int(year), JALALI_MONTHS.index(name) + 1, day_of_month).iloc[0]
    return _retention(JALALI_AGE, f"{first:%Y-%m}")


def _jalali_is_percent(answer) -> bool:
    return 1 < float(answer) <= 100 and abs(float(answer) / 100 - _jalali_retention()) < 1e-6


_GREGORIAN_MONTH = ("You took a Gregorian cohort. Farvardin starts at Nowruz (20 or 21 March), so Gregorian "
                    "March holds the end of Esfand and the first days of Farvardin, and April the rest of "
                    "Farvardin. Put each local day on the Jalali calendar first: `calendar='jalali'`.")  # fmt: skip
_OFF_BY_ONE = (f"Off by one month: month 0 is {JALALI_COHORT} itself, so month {JALALI_AGE} is "
               f"{JALALI_AGE} Jalali months after it.")  # fmt: skip

QUESTIONS = [
    Question(
        "q1",
        f"Customer {CUSTOMER}'s acquisition cohort: the month of their first **completed** order, on the "
        "company's local calendar (Asia/Tehran), as text like \"2023-07\".",
        expected=_cohort_of,
        prepare=_month_text,
        hints=[
            "Keep the completed orders of this customer and find the earliest `ordered_at`.",
            "`ordered_at` is in UTC: convert it with `.dt.tz_convert('Asia/Tehran')` before taking the month.",
            "`first.tz_convert('Asia/Tehran').strftime('%Y-%m')`, or `co.acquisition_cohorts(crm.orders)`.",
        ],
        solution=f"mine = crm.orders[(crm.orders['customer_id'] == {CUSTOMER})\n"
        "                  & (crm.orders['status'] == 'completed')]\n"
        "cohort = mine['ordered_at'].min().tz_convert('Asia/Tehran').strftime('%Y-%m')",
        mistakes=[
            Mistake("That is the month in UTC. This customer's first order came late in the evening, "
                    "when it was already the next month in Tehran: convert `ordered_at` with "
                    "`.dt.tz_convert('Asia/Tehran')` before taking the month.",
                    expected=lambda: _cohort_of(tz="UTC")),  # fmt: skip
        ],
        compare=CompareOptions(ignore_text_case=True),
    ),
    Question(
        "q2",
        f"How many customers did the cohort {SIZE_MONTH} acquire: customers whose first completed order "
        "was placed in that month, local time?",
        expected=_size,
        hints=[
            "Find each customer's first completed order, then count the customers whose first order falls "
            "in the month.",
            "Take the month on the local clock: `.dt.tz_convert('Asia/Tehran').dt.to_period('M')`.",
            "`co.cohort_sizes(crm.orders)` gives every cohort's size, indexed by month.",
        ],
        solution="sizes = co.cohort_sizes(crm.orders, end='2025-12-31')\n"
        f"size = sizes[pd.Period('{SIZE_MONTH}', 'M')]",
        mistakes=[
            Mistake("You took the months in UTC: customers who first ordered in the evening of the month's "
                    "last day belong to the next month in Tehran. Convert `ordered_at` to 'Asia/Tehran' first.",
                    expected=lambda: _size(tz="UTC")),  # fmt: skip
            Mistake("Your first orders include cancelled and returned ones: a customer whose only order was "
                    "cancelled was never acquired. Keep `status == 'completed'`.",
                    expected=lambda: _size(status=None)),  # fmt: skip
            Mistake("You counted sign-ups (`signup_date`) in that month. A cohort is made of first "
                    "completed orders, and many customers buy later than they sign up.",
                    expected=_signups),  # fmt: skip
            Mistake("You counted the month's orders, not its new customers: keep each customer's *first* "
                    "order only.", expected=_completed_orders_in),  # fmt: skip
        ],
    ),
    Question(
        "q3",
        f"Month-3 retention of the cohort {RETENTION_COHORT}: the share (between 0 and 1) of its customers "
        f"with a completed order in the third month after the cohort's month (month 0 is {RETENTION_COHORT} "
        "itself).",
        expected=_retention,
        hints=[
            "Month 0 is the cohort's own month; month 3 is three calendar months later.",
            "Count the cohort's customers with a completed order in that month, and divide by the cohort's "
            "size (its customers in month 0), not by every customer.",
            f"`co.retention_matrix(crm.orders).loc[pd.Period('{RETENTION_COHORT}', 'M'), 3]`",
        ],
        solution="retention = co.retention_matrix(crm.orders, end='2025-12-31')\n"
        f"month3 = retention.loc[pd.Period('{RETENTION_COHORT}', 'M'), 3]",
        mistakes=[
            Mistake("You counted cancelled or returned orders as activity: a customer whose only order that "
                    "month was cancelled did not buy. Keep `status == 'completed'`.",
                    expected=_cancelled_as_activity),  # fmt: skip
            Mistake("You counted cancelled or returned orders as activity: a customer whose only order that "
                    "month was cancelled did not buy. Keep `status == 'completed'`.",
                    expected=lambda: _retention(status=None)),  # fmt: skip
            Mistake("You divided by every customer in the CRM. Retention is a share of the *cohort*: divide "
                    "by the number of customers the cohort acquired.", expected=_over_all_customers),  # fmt: skip
            Mistake("You divided by every customer who ever bought. Retention is a share of the *cohort*: "
                    "divide by the number of customers the cohort acquired.",
                    expected=_over_all_buyers),  # fmt: skip
            Mistake("Off by one month: month 0 is the cohort's own month, so month 3 is three months "
                    f"after {RETENTION_COHORT}.", expected=lambda: _retention(age=2)),  # fmt: skip
            Mistake("Off by one month: month 0 is the cohort's own month, so month 3 is three months "
                    f"after {RETENTION_COHORT}.", expected=lambda: _retention(age=4)),  # fmt: skip
            Mistake("Give the share as a number between 0 and 1, not a percentage.",
                    when=shown_by(_is_percent, example=lambda: 100 * _retention())),
        ],
    ),
    Question(
        "q4",
        "The lapse window, with the open gaps counted: every wait for a next completed purchase, from a purchase "
        "day to the next one (a return) or, for each customer's last purchase, to 2025-12-31 (still open: "
        "censored). From the Kaplan-Meier estimate of these waits, the first day by which 90% of the returns "
        "seen in the data have happened, in whole days.",
        expected=_days,
        hints=[
            "Each customer has one open wait, from their last purchase day to the end of the data, and one-time "
            "buyers have nothing else. `co.purchase_spells(crm.orders, end='2025-12-31')` lists every wait, its "
            "`days` and whether it `returned`.",
            "Kaplan-Meier counts an open wait for as long as it was watched: on each day, the share of the waits "
            "still going that end with a return, multiplied up day after day. "
            "`co.next_purchase_survival(spells)` does it.",
            "The window is the first day whose `share_of_returns` reaches 0.9: "
            "`co.survival_lapse_window(survival, share=0.9)`.",
        ],
        solution="spells = co.purchase_spells(crm.orders, end='2025-12-31')\n"
        "survival = co.next_purchase_survival(spells)\n"
        "window = co.survival_lapse_window(survival, share=0.9)",
        mistakes=[
            Mistake("That is the 90th percentile of the closed gaps only. It leaves out every open gap (last "
                    "purchase to the end of the data), and with them every one-time buyer; and a long wait has had "
                    "less time to end inside the data than a short one, so the closed gaps are mostly the short "
                    "ones. The window comes out too short. Count the open gaps as censored waits: "
                    "`co.purchase_spells` then `co.next_purchase_survival`.",
                    expected=_pooled_days),  # fmt: skip
            Mistake("You counted every open gap as a return on the last day: a customer still waiting has not come "
                    "back yet. Keep `returned` False for the open waits, so Kaplan-Meier counts them as censored, "
                    "not as returns.", expected=_open_gaps_as_returns),  # fmt: skip
            Mistake("Your gaps run from one customer's order to another customer's: take the waits *within* each "
                    "customer, from one of their purchase days to their next.",
                    when=shown_by(lambda w: 0 <= float(w) < 5, example=_days_across_customers)),  # fmt: skip
            Mistake("Your waits include cancelled and returned orders, which were not purchases: keep "
                    "`status == 'completed'`.", expected=lambda: _days(status=None)),  # fmt: skip
            Mistake("That is the day by which *half* of the returns have happened: the window should cover nine "
                    "returns in ten, `share=0.9`.", expected=lambda: _days(0.5)),  # fmt: skip
        ],
        compare=CompareOptions(atol=3, rtol=0),
        correct_message="A customer silent for longer than this is unusual: nine returns in ten come sooner, "
        "counting the waits that have not ended yet.",
    ),
    Question(
        "q5",
        "Lapsed share by acquisition channel: a table with one row per `acquisition_channel` and a column "
        "`lapsed_share`: among the customers with at least one completed order, the share whose last "
        "completed order was more than `window` days (question 4, the Kaplan-Meier window) before the export's "
        "last day, 2025-12-31.",
        expected=_lapsed_share,
        hints=[
            "`co.lapse_status(crm.orders, window, end='2025-12-31')` gives each customer's days since their "
            "last order and a `lapsed` flag.",
            "Join the flags to `customers['acquisition_channel']` by customer id; customers who never "
            "completed an order have no flag and stay out.",
            "`status['lapsed'].groupby(channel).mean()`, renamed `lapsed_share`, then `.reset_index()`.",
        ],
        solution="status = co.lapse_status(crm.orders, window, end='2025-12-31')\n"
        "channel = crm.customers.set_index('customer_id')['acquisition_channel']\n"
        "by_channel = status['lapsed'].groupby(channel).mean().rename('lapsed_share').reset_index()",
        mistakes=[
            Mistake("You counted customers who never completed an order as lapsed. They were never "
                    "acquired: leave them out.", expected=lambda: _lapsed_share(include_never=True)),  # fmt: skip
            Mistake("Your last orders include cancelled and returned ones: a cancelled order is not a sign "
                    "of life. Keep `status == 'completed'`.",
                    expected=lambda: _lapsed_share(status=None)),  # fmt: skip
            Mistake("Those are the shares still active, not lapsed: a customer has lapsed when the last "
                    "order is *more* than `window` days old.",
                    expected=lambda: _lapsed_share(retained=True)),  # fmt: skip
            Mistake("Give shares between 0 and 1, not percentages.",
                    when=shown_by(_shares_in_percent, example=lambda: 100 * _lapsed_share())),
        ],
        compare=_SHARES,
        correct_message="Before comparing channels, look at their sizes and at who each one brings (the lesson's "
        "crosstab of channel and segment): a channel is also a kind of customer.",
    ),
    Question(
        "q11",
        f"Month-{JALALI_AGE} retention of the **Jalali** cohort {JALALI_COHORT}: among the customers whose "
        "first completed order fell in that Jalali month (local days, Asia/Tehran), the share (between 0 and 1) "
        f"with a completed order {JALALI_AGE} Jalali months later (month 0 is {JALALI_COHORT} itself).",
        expected=_jalali_retention,
        hints=[
            "A Jalali month does not start on the 1st of a Gregorian month: Farvardin starts at Nowruz, 20 or "
            "21 March. Convert each local day to the Jalali calendar before taking its month.",
            "`crmlab.calendars.period_of(days, 'month', 'jalali')` names the Jalali month of local days; the "
            "cohort functions take `calendar='jalali'`.",
            "`co.retention_matrix(crm.orders, end='2025-12-31', calendar='jalali')` is labelled like "
            f"'{JALALI_COHORT}': take `.loc['{JALALI_COHORT}', {JALALI_AGE}]`.",
        ],
        solution="jalali = co.retention_matrix(crm.orders, end='2025-12-31', calendar='jalali')\n"
        f"jalali_month{JALALI_AGE} = jalali.loc['{JALALI_COHORT}', {JALALI_AGE}]",
        mistakes=[
            Mistake(_GREGORIAN_MONTH, expected=lambda: _gregorian_month_holding(1)),  # March: Nowruz's month
            Mistake(_GREGORIAN_MONTH, expected=lambda: _gregorian_month_holding(31)),  # April: the rest
            Mistake("You added 621 to the year and kept the month number, so Farvardin became January. The two "
                    "calendars' years do not start together: Farvardin, month 1, starts at Nowruz (20 or 21 "
                    "March). Convert the days themselves: `calendar='jalali'`.",
                    expected=_year_plus_621),  # fmt: skip
            Mistake("Your cohort and its activity include cancelled and returned orders: a customer whose only "
                    "order was cancelled was never acquired. Keep `status == 'completed'`.",
                    expected=lambda: _jalali_retention(status=None)),  # fmt: skip
            Mistake(_OFF_BY_ONE, expected=lambda: _jalali_retention(age=JALALI_AGE - 1)),
            Mistake(_OFF_BY_ONE, expected=lambda: _jalali_retention(age=JALALI_AGE + 1)),
            Mistake("Give the share as a number between 0 and 1, not a percentage.",
                    when=shown_by(_jalali_is_percent, example=lambda: 100 * _jalali_retention())),
        ],
        correct_message="On the Jalali calendar the cohort starts at Nowruz, as the company's own year does.",
    ),
    Reflection(
        "q6",
        "A colleague wants a 30-day lapse window for the monthly churn report, 'to react fast'; another proposes "
        "the 90th percentile of the gaps between orders. In two or three sentences: what would each report show, "
        "and what would you propose?",
        solution="With 30 days most customers would count as churned every month, and most of them would come "
        "back: the report would be full of false churns (the 30-day row of churn_by_window). The 90th percentile "
        "of the closed gaps is too short as well: it leaves out the open gaps and the one-time buyers, and long "
        "waits have had less time to end. Read the window from the time to the next purchase with the open gaps "
        "censored (Kaplan-Meier, survival_lapse_window), and if speed matters, add a shorter 'at risk' warning "
        "that triggers a reminder rather than a churn count.",
        rubric=[
            "Says a 30-day window counts as churned many customers who were only between orders (false churns).",
            "Says the pooled percentile of closed gaps leaves out the open waits, so it comes out too short.",
            "Proposes a window read from the time to the next purchase with open waits censored (Kaplan-Meier).",
            "Separates a quick 'at risk' warning from the churn count, if speed is wanted.",
        ],
    ),
]
