"""An example lesson for the exercise-engine tests (not course content).

It shows the shape of a real lesson module: a title, declarative questions whose
expected values are computed from data on first use, known mistakes with targeted
messages, and a reflection. Its quiz is in ``90_example.toml`` beside it.
"""

from functools import cache

import pandas as pd

from crmlab.exercises import CompareOptions, Mistake, Question, Reflection

TITLE = "Example lesson"


@cache
def orders() -> pd.DataFrame:
    """Seven orders of four customers; customers 4 and 6 never ordered."""
    return pd.DataFrame(
        {
            "customer_id": [1, 1, 2, 3, 3, 3, 5],
            "order_date": pd.to_datetime(
                ["2024-01-05", "2024-02-10", "2024-01-20", "2024-01-02",
                 "2024-01-02", "2024-03-15", "2024-02-28"]
            ),  # fmt: skip
            "amount": [20.0, 35.5, 12.0, 8.0, 4.0, 50.0, 99.9],
        }
    )


@cache
def customers() -> pd.DataFrame:
    return pd.DataFrame({"customer_id": [1, 2, 3, 4, 5, 6]})


def _rfm(repeat_only: bool = True) -> pd.DataFrame:
    days = orders().groupby("customer_id")["order_date"].nunique()
    return pd.DataFrame(
        {"frequency": days - 1 if repeat_only else days,
         "total": orders().groupby("customer_id")["amount"].sum()}
    )  # fmt: skip


QUESTIONS = [
    Question(
        "q1",
        "How many distinct customers placed at least one order?",
        expected=lambda: orders()["customer_id"].nunique(),
        hints=["Each order row names its customer.", "Count distinct values, not rows.",
               "`orders['customer_id'].nunique()`"],  # fmt: skip
        solution="n_customers = orders['customer_id'].nunique()",
        mistakes=[
            Mistake("You counted orders, not customers: one customer can order several times.",
                    expected=lambda: len(orders())),  # fmt: skip
            Mistake("You counted every customer, including those who never ordered.",
                    expected=lambda: len(customers())),  # fmt: skip
        ],
    ),
    Question(
        "q2",
        "Average revenue per customer, over the customers who ordered.",
        expected=lambda: orders().groupby("customer_id")["amount"].sum().mean(),
        hints=["First total the revenue of each customer.", "Then average those totals."],
        solution="orders.groupby('customer_id')['amount'].sum().mean()",
        mistakes=[
            Mistake("You averaged over all customers, including those with no orders.",
                    expected=lambda: orders()["amount"].sum() / len(customers())),  # fmt: skip
            Mistake("You averaged single orders, not customers' totals.",
                    expected=lambda: orders()["amount"].mean()),  # fmt: skip
        ],
    ),
    Question(
        "q3",
        "One row per customer_id with `frequency` (repeat purchase days) and `total` spend.",
        expected=_rfm,
        hints=["Group by customer_id.", "Repeat purchases: distinct purchase days minus one."],
        solution="rfm = orders.groupby('customer_id').agg(...)",
        mistakes=[
            Mistake("You counted the first purchase as a repeat purchase: subtract one.",
                    expected=lambda: _rfm(repeat_only=False)),  # fmt: skip
            Mistake("You counted orders, not distinct purchase days: two orders on one day "
                    "are one purchase.",
                    when=lambda a: int(a["frequency"].sum()) == len(orders()) - 4),  # fmt: skip
        ],
        compare=CompareOptions(ignore_column_case=True),
    ),
    Reflection("q5", "In one sentence: why exclude customers who never ordered?",
               solution="They have no purchases to average."),  # fmt: skip
]
