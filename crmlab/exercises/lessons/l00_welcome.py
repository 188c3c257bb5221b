"""Exercises of lesson 00, *Welcome to crmlab*: first questions of the CRM database.

Expected values are computed from the course's database on the first check, never typed in.
"""

from functools import cache

import pandas as pd

from crmlab.datasets import practice_crm
from crmlab.exercises import CompareOptions, Mistake, Question, Reflection, chart_data
from crmlab.exercises.lessons import shown_by
from crmlab.exercises.lessons.money_mistakes import unit_mistakes

TITLE = "Welcome to crmlab"
LOCAL = "Asia/Tehran"


@cache
def _crm():
    return practice_crm(tables=["customers", "orders", "tickets"])


def _completed() -> pd.DataFrame:
    orders = _crm().orders
    return orders[orders["status"] == "completed"]


def _revenue_by_channel(orders: pd.DataFrame, divide: float = 1, keep_cents: bool = False) -> pd.DataFrame:
    """Rials per channel; ``divide=100`` is the cents habit, ``divide=10`` turns rials into toman."""
    out = orders.groupby("channel", as_index=False)["total_cents"].sum()
    out = out.assign(revenue_rial=out["total_cents"] / divide)
    return out if keep_cents else out.drop(columns="total_cents")


def _orders_per_month(tz: str = LOCAL) -> pd.Series:
    """Bar heights, January to December 2025, by position (tick labels vary with the plotting call)."""
    when = _crm().orders["ordered_at"].dt.tz_convert(tz)
    months = when[when.dt.year == 2025].dt.month
    return months.value_counts().sort_index().astype(float).reset_index(drop=True)


def _orders_by_size() -> pd.Series:
    """The monthly counts sorted by size (`.sort_values()`), not by month."""
    return _orders_per_month().sort_values().reset_index(drop=True)


def _heights(chart) -> pd.Series:
    """Bar heights in drawing order, whatever the tick labels say."""
    return chart_data(chart).reset_index(drop=True)


def _tickets_per_priority() -> pd.DataFrame:
    return _crm().tickets.groupby("priority", as_index=False).size().rename(columns={"size": "tickets"})


def _customers_per_priority() -> pd.DataFrame:
    """``count(DISTINCT customer_id)``: customers, not tickets."""
    per = _crm().tickets.groupby("priority", as_index=False)["customer_id"].nunique()
    return per.rename(columns={"customer_id": "tickets"})


QUESTIONS = [
    Question(
        "q1",
        "How many customers placed at least one completed order?",
        expected=lambda: _completed()["customer_id"].nunique(),
        hints=[
            "Keep the orders whose `status` is 'completed', then look at who placed them.",
            "One customer can place many orders: count distinct customers, not rows.",
            "`orders[orders['status'] == 'completed']['customer_id'].nunique()`",
        ],
        solution="completed = crm.orders[crm.orders['status'] == 'completed']\n"
        "n_buyers = completed['customer_id'].nunique()",
        mistakes=[
            Mistake("You counted orders, not customers: one customer can place many orders.",
                    expected=lambda: len(_completed())),  # fmt: skip
            Mistake("You counted every customer in the CRM, including those who never ordered.",
                    expected=lambda: len(_crm().customers)),  # fmt: skip
            Mistake("You counted customers with any order, cancelled and returned ones included: "
                    "keep only `status == 'completed'`.",
                    expected=lambda: _crm().orders["customer_id"].nunique()),  # fmt: skip
        ],
    ),
    Question(
        "q2",
        "Revenue by channel: a table with one row per `channel` and two columns, `channel` and "
        "`revenue_rial`, the total of completed orders in rials.",
        expected=lambda: _revenue_by_channel(_completed()),
        hints=[
            "Start from the completed orders and group them by `channel`.",
            "`total_cents` already holds whole rials (the name is the export's): there is nothing to divide. "
            "Name the sums `revenue_rial`.",
            "`totals = completed.groupby('channel', as_index=False)['total_cents'].sum()`, then "
            "`by_channel = totals.rename(columns={'total_cents': 'revenue_rial'})`: "
            "the table keeps only `channel` and `revenue_rial`.",
        ],
        solution="totals = completed.groupby('channel', as_index=False)['total_cents'].sum()\n"
        "by_channel = totals.rename(columns={'total_cents': 'revenue_rial'})",
        mistakes=[
            *unit_mistakes("total_cents", lambda divide: _revenue_by_channel(_completed(), divide=divide)),
            Mistake("Your totals include cancelled and returned orders: keep only completed ones.",
                    expected=lambda: _revenue_by_channel(_crm().orders)),  # fmt: skip
            Mistake("Your rials are right, but the table still has `total_cents` next to `revenue_rial`. "
                    "Keep only `channel` and `revenue_rial`: rename the column instead of copying it.",
                    expected=lambda: _revenue_by_channel(_completed(), keep_cents=True)),  # fmt: skip
        ],
        compare=CompareOptions(ignore_column_case=True, rtol=1e-9),
    ),
    Question(
        "q3",
        "Draw a bar chart of the number of orders (any status) placed in each month of 2025, "
        "January to December, by the company's local calendar (Asia/Tehran), and check its Axes.",
        expected=_orders_per_month,
        prepare=_heights,
        hints=[
            "`ordered_at` is stored in UTC: convert it with `.dt.tz_convert('Asia/Tehran')` first.",
            "Keep the year 2025, take `.dt.month`, count with `.value_counts().sort_index()`.",
            "`ax = counts.plot.bar()` returns the Axes to check.",
        ],
        solution="local = crm.orders['ordered_at'].dt.tz_convert('Asia/Tehran')\n"
        "counts = local[local.dt.year == 2025].dt.month.value_counts().sort_index()\n"
        "ax = counts.plot.bar()",
        mistakes=[
            Mistake("Your months follow UTC, not the company's clock: orders placed just after "
                    "local midnight on the first of a month land in the wrong month. "
                    "Convert with `.dt.tz_convert('Asia/Tehran')` before taking the month.",
                    expected=lambda: _orders_per_month("UTC")),  # fmt: skip
            Mistake("Your bars are not in calendar order: sort the counts by month "
                    "(`.sort_index()`) before plotting.",
                    when=shown_by(lambda bars: sorted(bars.tolist()) == sorted(_orders_per_month().tolist()),
                                 example=_orders_by_size)),  # fmt: skip
        ],
        compare=CompareOptions(ignore_order=False, index_as_column=False),
    ),
    Question(
        "q5",
        "With SQL on `con = crmlab.connect()`: the number of tickets per `priority`, as a table "
        "with columns `priority` and `tickets`.",
        expected=_tickets_per_priority,
        hints=[
            "GROUP BY the priority and count the rows.",
            "`SELECT priority, count(*) AS tickets FROM tickets GROUP BY priority`",
            "Turn the result into a DataFrame with `.df()`.",
        ],
        solution="per_priority = con.sql(\"SELECT priority, count(*) AS tickets "
        "FROM tickets GROUP BY priority\").df()",
        mistakes=[
            Mistake("You counted customers, not tickets: `count(*)` counts rows.",
                    when=shown_by(lambda t: "tickets" in t and int(t["tickets"].sum()) < len(_crm().tickets),
                                 example=_customers_per_priority)),  # fmt: skip
        ],
    ),
    Reflection(
        "q6",
        "In one or two sentences: for which step of a BI question would you reach for SQL, "
        "and for which pandas?",
        solution="SQL reads well for joining, filtering and aggregating tables, the way BI tools "
        "talk to a warehouse; pandas is handy for what follows: reshaping, charts and models.",
        rubric=[
            "Names a step for SQL: joining, filtering or aggregating tables (where the data live, as BI tools do).",
            "Names a step for pandas: reshaping, a chart or a model on the result.",
            "Gives a reason for each choice, not only a preference.",
        ],
    ),
]
