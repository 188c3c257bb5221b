"""Lesson 07 on a company's own export: real data the project did not make, in a shop's shape.

CDNOW (real CD purchases, 1997-1998, shipped with lifetimes) is written as a US shop's export
by :func:`foreign_exports.write_cdnow_shop`: orders with its own column names, day-first dates
and dollars with decimals, a customers table holding only each customer's first purchase day,
and no status, no channels, no interactions, no tickets. The lesson runs on it through the
mapping file, skips with one line each the parts that need what the export lacks, and its
cohorts equal the ones counted here by hand from the original log with plain pandas.
"""

from __future__ import annotations

import math
import re

import nbformat
import numpy as np
import pandas as pd
import pytest
from foreign_exports import run_lesson, write_cdnow_shop
from statsmodels.duration.survfunc import SurvfuncRight

from crmlab.datasets import load_cdnow

COURSE_WORDS = ("Tehran", "Nima", "completed", "$")  # CDNOW's money is dollars, but shown as USD, never "$"
SKIPS = (
    "Skipped: this export has no customers.acquisition_channel; retention by acquisition channel needs "
    "customers.customer_id and customers.acquisition_channel.",
    "Skipped: this export has no orders.channel; counting the channels a customer uses needs orders.channel "
    "(and interactions.channel, if the export has interactions).",
    "Skipped: this export has no tickets table; bad service and reorders need tickets.ticket_id, "
    "tickets.customer_id, tickets.created_at, tickets.first_response_at, tickets.sla_hours, tickets.satisfaction.",
)


def _texts(notebook, before: str | None = None) -> list[str]:
    """Every text a reader sees in the outputs of the code cells before the one with id ``before``
    (images left out: base64 can spell anything)."""
    texts = []
    for cell in notebook.cells:
        if cell.get("id") == before:
            break
        for output in cell.get("outputs", []):
            texts.append(output.get("text", ""))
            texts += [str(v) for k, v in output.get("data", {}).items() if k.startswith("text/")]
            texts += output.get("traceback", [])
    return texts


@pytest.fixture(scope="module")
def cdnow():
    return load_cdnow()


@pytest.fixture(scope="module")
def executed(tmp_path_factory, cdnow):
    mapping = write_cdnow_shop(tmp_path_factory.mktemp("shop"), cdnow)
    out = tmp_path_factory.mktemp("run")
    run_lesson("07_cohorts.ipynb", out, {"MAPPING": str(mapping)})
    return nbformat.read(out / "07_cohorts.ipynb", as_version=4)


def test_lesson_runs_to_the_end_and_skips_what_the_export_lacks(executed):
    errors = [o for c in executed.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert errors == []
    assert all(c.get("execution_count") for c in executed.cells if c.cell_type == "code")  # ran to the end
    text = "\n".join(_texts(executed))
    assert "clock America/New_York, money in USD, data up to 1998-06-30; " \
           "no orders.status: every order is a purchase" in text  # fmt: skip
    for line in SKIPS:
        assert text.count(line) == 1, line
    assert text.count("Skipped:") == len(SKIPS)  # the customers table has signup_date: that part runs


def test_the_outputs_never_speak_of_the_course_company(executed):
    # Up to the quiz: its questions are the exercises' own text, about the course's data.
    text = "\n".join(_texts(executed, before="l07-51"))
    for word in COURSE_WORDS:
        assert word not in text, word


def test_cohorts_equal_a_hand_count_on_the_original_log(executed, cdnow):
    first = cdnow.groupby("customer_id")["date"].min()  # CDNOW's days are the shop's local days
    by_hand = first.dt.to_period("M").value_counts().sort_index()
    assert len(by_hand) == 3  # CDNOW followed the customers first seen in January-March 1997
    text = "\n".join(_texts(executed, before="l07-45"))
    sizes = dict(re.findall(r"^(\d{4}-\d{2})\s+(\d+)$", text, flags=re.MULTILINE))
    assert sizes == {str(month): str(n) for month, n in by_hand.items()}
    shortcuts = dict(re.findall(r"^(customers with a purchase|other cohort with \w+ months|"
                                r"other cohort with signup_date)\s+(\d+)$", text, flags=re.MULTILINE))  # fmt: skip
    assert shortcuts == {"customers with a purchase": str(cdnow["customer_id"].nunique()),
                         "other cohort with UTC months": "0",  # midnight in New York is 05:00 UTC, the same day
                         "other cohort with signup_date": "0"}  # the export's sign-up is the first purchase day


def test_month_one_retention_equals_a_hand_count(executed, cdnow):
    """The share of the January 1997 cohort buying again in February, from the retention matrix's output."""
    first = cdnow.groupby("customer_id")["date"].min().dt.to_period("M")
    january = set(first[first == pd.Period("1997-01", "M")].index)
    february = cdnow[cdnow["date"].dt.to_period("M") == pd.Period("1997-02", "M")]
    expected = len(january & set(february["customer_id"])) / len(january)
    cell = next(c for c in executed.cells if c.get("id") == "l07-13")
    table = cell.outputs[0]["data"]["text/plain"]
    row = next(line for line in table.splitlines() if line.startswith("1997-01"))
    assert float(row.split()[2]) == pytest.approx(expected, abs=5e-7)  # month 0 is 1.0, month 1 next


def _km_window(days: pd.DataFrame, end: str, share: float = 0.9) -> int:
    """The lapse window by statsmodels' Kaplan-Meier: every wait after a purchase day, the open ones
    (to ``end``) censored; the first day by which ``share`` of the returns seen have happened."""
    following = days.groupby("customer_id")["date"].shift(-1)
    length = (following.fillna(pd.Timestamp(end)) - days["date"]).dt.days
    fit = SurvfuncRight(length.to_numpy(), following.notna().to_numpy().astype(int))
    returned = 1 - fit.surv_prob
    return int(fit.surv_times[np.argmax(returned / returned[-1] >= share - 1e-12)])


def test_lapse_window_equals_a_hand_count(executed, cdnow):
    """Gaps between a customer's distinct purchase days; the window from Kaplan-Meier, open gaps censored,
    longer than the 90th percentile of the closed gaps alone."""
    days = cdnow[["customer_id", "date"]].drop_duplicates().sort_values(["customer_id", "date"])
    gaps = days.groupby("customer_id")["date"].diff().dt.days.dropna()
    pooled, window = math.ceil(gaps.quantile(0.9)), _km_window(days, "1998-06-30")
    assert window > pooled
    described = next(c for c in executed.cells if c.get("id") == "l07-24").outputs[0]["data"]["text/plain"]
    assert re.search(rf"^count\s+{len(gaps)}\.0$", described, flags=re.MULTILINE), described
    said = "\n".join(_texts(executed, before="l07-24c"))
    assert f"Lapse window: {window} days (the 90% quantile of the closed gaps alone says {pooled})." in said
    by_window = next(c for c in executed.cells if c.get("id") == "l07-27").outputs[0]["data"]["text/plain"]
    windows = [int(line.split()[0]) for line in by_window.splitlines()[2:]]
    assert windows == sorted({30, 60, 90, 180, pooled, window, 365})  # the closed gaps' window for comparison
