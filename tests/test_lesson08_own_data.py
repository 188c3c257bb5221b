"""Lesson 08 on a company's own export: real data the project did not make, in a shop's shape.

CDNOW (real CD purchases, 1997-1998, shipped with lifetimes) is written as a US shop's
export by :func:`foreign_exports.write_cdnow_shop`: orders with their own column names,
day-first dates and dollars with decimals, a customers file with the first purchase day,
and no status, no tickets, no interactions. The lesson runs on it through the mapping
file: the CLV part (BG/NBD and Gamma-Gamma, tested on a holdout year counted back from the
data's last day) runs, the churn part says in one line what it lacks and is skipped. Its
holdout numbers are checked against plain pandas and against lifetimes on the original log.
"""

from __future__ import annotations

import re

import nbformat
import pandas as pd
import pytest
from foreign_exports import run_lesson, write_cdnow_shop

from crmlab.datasets import load_cdnow

AS_OF, CALIBRATION_END = "1998-06-30", "1997-06-30"  # CDNOW's last day, and a year before it (the defaults)
COURSE_WORDS = ("Tehran", "Nima", "completed", "$")


def _texts(cell) -> list[str]:
    """Every text a reader sees in a cell's outputs (images left out: base64 can spell anything)."""
    texts = []
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
    run_lesson("08_clv_churn.ipynb", out, {"MAPPING": str(mapping)})
    return nbformat.read(out / "08_clv_churn.ipynb", as_version=4)


def _output_of(notebook, source: str) -> str:
    """The outputs of the one code cell whose source contains ``source``."""
    cells = [c for c in notebook.cells if c.cell_type == "code" and source in c.source]
    assert len(cells) == 1, f"{len(cells)} cells contain {source!r}"
    return "\n".join(_texts(cells[0]))


def test_lesson_runs_on_the_export_and_skips_churn_in_one_line(executed):
    errors = [o for c in executed.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert errors == []
    assert all(c.get("execution_count") for c in executed.cells if c.cell_type == "code")  # ran to the end
    text = "\n".join(t for c in executed.cells for t in _texts(c))
    assert (f"clock America/New_York, money in USD, data up to {AS_OF}; "
            f"CLV calibration up to {CALIBRATION_END}, holdout up to {AS_OF}") in text  # fmt: skip
    assert "This export has no orders.status: all 69,659 orders count as purchases." in text
    skipped = [line for line in text.splitlines() if line.startswith("Skipped:")]
    assert len(skipped) == 1, skipped
    assert skipped[0].startswith("Skipped: this export has no tickets and no interactions table; "
                                 "the churn model needs ")  # fmt: skip
    for need in ("orders.status", "tickets.ticket_id", "interactions.channel"):
        assert need in skipped[0], need
    assert "customers.signup_date" not in skipped[0]  # the export has it: not listed as missing
    assert "customers.segment" not in skipped[0]  # overwritable: used only when declared stable (issue 11, item 14)
    assert re.search(r"of the expected value of the next 12 months \(USD [\d,]+ in all\)", text)
    for word in COURSE_WORDS:
        assert word not in text, word


def test_holdout_actuals_equal_plain_pandas_on_the_original_log(executed, cdnow):
    output = _output_of(executed, 'crm_pred[["predicted", "actual"]].sum()')
    printed = re.search(r"predicted\s+([\d.]+)\nactual\s+([\d.]+)", output)
    assert printed, output
    # Purchases = distinct (customer, day) pairs after the calibration end, up to the data's last day.
    days = cdnow["date"]
    holdout = cdnow[(days > CALIBRATION_END) & (days <= AS_OF)].drop_duplicates(["customer_id", "date"])
    assert cdnow["date"].min() <= pd.Timestamp(CALIBRATION_END)  # every customer bought in the calibration year
    assert float(printed[2]) == len(holdout)


def test_holdout_prediction_equals_lifetimes_on_the_original_log(executed, cdnow):
    from lifetimes import BetaGeoFitter
    from lifetimes.utils import summary_data_from_transaction_data

    output = _output_of(executed, 'crm_pred[["predicted", "actual"]].sum()')
    predicted = float(re.search(r"predicted\s+([\d.]+)", output)[1])
    before = cdnow[cdnow["date"] <= CALIBRATION_END]
    cal = summary_data_from_transaction_data(before, "customer_id", "date",
                                             observation_period_end=CALIBRATION_END)  # fmt: skip
    weeks = cal[["recency", "T"]] / 7  # days to weeks, as the lesson counts
    theirs = BetaGeoFitter().fit(cal["frequency"], weeks["recency"], weeks["T"])
    holdout_weeks = (pd.Timestamp(AS_OF) - pd.Timestamp(CALIBRATION_END)).days / 7
    expected = theirs.conditional_expected_number_of_purchases_up_to_time(
        holdout_weeks, cal["frequency"], weeks["recency"], weeks["T"]
    ).sum()
    # Two optimisers of the same likelihood: the totals agree to the printed rounding.
    assert predicted == pytest.approx(expected, abs=1.0)


def test_free_repeat_buyers_are_counted_as_plain_pandas_counts_them(executed, cdnow):
    output = _output_of(executed, "free = repeat")
    printed = re.search(r"([\d,]+) of ([\d,]+) repeat buyers spent nothing per repeat purchase", output)
    assert printed, output
    days = cdnow[cdnow["date"] <= AS_OF].groupby(["customer_id", "date"])["amount"].sum().reset_index()
    first = days.groupby("customer_id")["date"].transform("min")
    repeats = days[days["date"] > first].groupby("customer_id")["amount"].sum()  # repeat buyers only
    assert int(printed[2].replace(",", "")) == len(repeats)
    assert int(printed[1].replace(",", "")) == int((repeats <= 0).sum())


def test_tracking_on_the_export_counts_as_plain_pandas_and_expects_as_lifetimes(executed, cdnow):
    """The optional Fader-Hardie tracking on the shop's export: its holdout repeat purchases recounted with
    plain pandas on the original log, its expectation recomputed with lifetimes' E[X(t)] and its own fit."""
    import warnings

    from lifetimes import BetaGeoFitter
    from lifetimes.utils import summary_data_from_transaction_data

    output = _output_of(executed, "print(tracking_gap(crm_track))")
    printed = re.search(r"holdout: ([\d,]+) repeat purchases expected, ([\d,]+) happened", output)
    assert printed, output
    days = cdnow[["customer_id", "date"]].drop_duplicates()
    first = days.groupby("customer_id")["date"].transform("min")
    cohort = first <= pd.Timestamp(CALIBRATION_END)
    later = (days["date"] > pd.Timestamp(CALIBRATION_END)) & (days["date"] <= pd.Timestamp(AS_OF))
    assert int(printed[2].replace(",", "")) == int((cohort & later).sum())
    before = cdnow[cdnow["date"] <= CALIBRATION_END]
    cal = summary_data_from_transaction_data(before, "customer_id", "date", observation_period_end=CALIBRATION_END)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = BetaGeoFitter().fit(cal["frequency"], cal["recency"] / 7, cal["T"] / 7)
        starts = days[cohort].groupby("customer_id")["date"].min()
        age = lambda day: ((pd.Timestamp(day) - starts).dt.days / 7).to_numpy()  # noqa: E731
        grown = (theirs.expected_number_of_purchases_up_to_time(age(AS_OF))
                 - theirs.expected_number_of_purchases_up_to_time(age(CALIBRATION_END))).sum()  # fmt: skip
    # two optimisers of the same likelihood: the totals agree to about a purchase in a thousand
    assert int(printed[1].replace(",", "")) == pytest.approx(grown, rel=2e-3)
