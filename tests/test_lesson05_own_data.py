"""Lesson 05 on a company's own export: real data the project did not make, in a shop's shape.

CDNOW (real CD purchases, 1997-1998, shipped with lifetimes) is written as a New York
shop's sales log: its own column names, day-first dates ``dd/mm/yyyy``, amounts in dollars
with decimals, no order ids, no status, no customers table. The lesson runs on it through a
mapping file, end to end, and its numbers are checked against lifetimes on the original log.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from foreign_exports import run_lesson

from crmlab.analysis import rfm
from crmlab.datasets import load_cdnow, load_export

AS_OF = "1998-06-30"  # CDNOW's last day
MAPPING = f"""
folder = "export"

[read]
dayfirst = true

[conventions]
timezone = "America/New_York"
currency = "USD"
as_of = "{AS_OF}"

[tables.orders]
file = "purchases.csv"
columns = {{ Client = "customer_id", PurchaseDate = "ordered_at", Paid = "total_cents" }}
units = {{ total_cents = "major" }}
dates = {{ ordered_at = "%d/%m/%Y" }}
"""
COURSE_WORDS = ("Tehran", "Nima", "completed", "customer 46:", "IRR")


def _write_export(folder: Path, cdnow: pd.DataFrame) -> Path:
    """CDNOW as a shop's CSV, written with the csv module: dd/mm/yyyy, dollars with two decimals."""
    cents = (cdnow["amount"] * 100).round()
    assert ((cdnow["amount"] * 100 - cents).abs() < 1e-6).all()  # two decimals hold every amount exactly
    (folder / "export").mkdir()
    with open(folder / "export" / "purchases.csv", "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["Client", "PurchaseDate", "Qty", "Paid"])
        for row, c in zip(cdnow.itertuples(index=False), cents, strict=True):
            dollars = f"{int(c) // 100}.{int(c) % 100:02d}"
            out.writerow([row.customer_id, row.date.strftime("%d/%m/%Y"), row.quantity, dollars])
    mapping = folder / "mapping.toml"
    mapping.write_text(MAPPING, encoding="utf-8")
    return mapping


def _texts(notebook) -> list[str]:
    """Every text a reader sees in the outputs (images left out: base64 can spell anything)."""
    texts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            texts.append(output.get("text", ""))
            texts += [str(v) for k, v in output.get("data", {}).items() if k.startswith("text/")]
            texts += output.get("traceback", [])
    return texts


@pytest.fixture(scope="module")
def cdnow():
    return load_cdnow()


@pytest.fixture(scope="module")
def export(tmp_path_factory, cdnow):
    return _write_export(tmp_path_factory.mktemp("shop"), cdnow)


@pytest.fixture(scope="module")
def lifetimes_summary(cdnow):
    from lifetimes.utils import summary_data_from_transaction_data

    return summary_data_from_transaction_data(cdnow, "customer_id", "date", monetary_value_col="amount",
                                              observation_period_end=AS_OF)  # fmt: skip


@pytest.fixture(scope="module")
def executed(export, tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    run_lesson("05_rfm.ipynb", out, {"MAPPING": str(export)})
    return nbformat.read(out / "05_rfm.ipynb", as_version=4)


def test_the_export_loads_exactly(export, cdnow):
    crm = load_export(export)
    orders = crm.orders
    assert len(orders) == len(cdnow) and "customers" not in crm and "status" not in orders
    assert orders["total_cents"].tolist() == (cdnow["amount"] * 100).round().astype("int64").tolist()
    local = orders["ordered_at"].dt.tz_convert("America/New_York")
    assert (local.dt.tz_localize(None) == cdnow["date"].to_numpy()).all()  # midnight in New York, the same day
    assert crm.conventions.currency == "USD" and str(crm.conventions.as_of.date()) == AS_OF


def test_rfm_summary_on_the_export_equals_lifetimes_on_the_original(export, lifetimes_summary):
    crm = load_export(export)
    orders = crm.orders.assign(local=crm.orders["ordered_at"].dt.tz_convert(crm.conventions.timezone))
    ours = rfm.rfm_summary(orders, datetime_col="local", monetary_value_col="total_cents",
                           observation_period_end=crm.conventions.as_of)  # fmt: skip
    theirs = lifetimes_summary
    assert ours.index.tolist() == theirs.index.tolist()
    for column in ("frequency", "recency", "T"):
        assert ours[column].tolist() == theirs[column].tolist(), column
    pd.testing.assert_series_equal(ours["monetary_value"] / 100, theirs["monetary_value"], rtol=1e-9,
                                   check_exact=False)  # fmt: skip


def test_lesson_runs_on_the_export_without_the_course_company(executed, cdnow, lifetimes_summary):
    errors = [o for c in executed.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert errors == []
    assert all(c.get("execution_count") for c in executed.cells if c.cell_type == "code")  # ran to the end
    text = "\n".join(_texts(executed))
    assert "Skipped: this export has no customers table; the targeting list needs customers.customer_id" in text
    assert "This export has no orders.status: all 69,659 orders count as purchases." in text
    assert "clock America/New_York, money in USD, data up to 1998-06-30" in text
    for word in COURSE_WORDS:
        assert word not in text, word

    # The customer the lesson explains: the first, by id, with two purchases on one day and another
    # purchase day (found here by hand, on the original log).
    same_day = set(cdnow.loc[cdnow.duplicated(["customer_id", "date"]), "customer_id"])
    days = cdnow.groupby("customer_id")["date"].nunique()
    example = min(c for c in same_day if days[c] > 1)
    reading = rf"customer {example}: (\d+) orders on (\d+) purchase days, so "
    reading += r"frequency = (\d+), recency = (\d+), T = (\d+)"
    line = re.search(reading, text)
    assert line, f"no reading of customer {example} in the outputs"
    expected = lifetimes_summary.loc[example]
    assert int(line[1]) == (cdnow["customer_id"] == example).sum()
    assert int(line[2]) == days[example]
    assert [int(line[i]) for i in (3, 4, 5)] == [int(expected[c]) for c in ("frequency", "recency", "T")]


def test_targeting_reasons_speak_the_data_currency():
    from crmlab.conventions import from_mapping

    table = pd.DataFrame({"segment": ["At risk"], "m_score": [5], "days_since_last_order": [400], "n_orders": [8],
                          "total_spend": [2_500_000]}, index=pd.Index([1], name="customer_id"))  # fmt: skip
    customers = pd.DataFrame({"customer_id": [1], "first_name": ["Ana"], "last_name": ["Silva"],
                              "company_name": [None], "email": ["a@x.pt"], "phone": ["+351"],
                              "consent_email": [True], "consent_sms": [False]})  # fmt: skip
    rial = from_mapping({"timezone": "Asia/Tehran", "currency": "IRR", "as_of": "2025-12-31"})  # no minor unit
    pound = from_mapping({"timezone": "Europe/London", "currency": "GBP", "as_of": "2011-12-09"})  # pence
    reason = {c.currency: rfm.targeting_list(table, customers, conventions=c)["reason"].iloc[0] for c in (rial, pound)}
    assert reason == {"IRR": "8 orders, the last 400 days ago; IRR 2,500,000 spent",
                      "GBP": "8 orders, the last 400 days ago; GBP 25,000 spent"}  # fmt: skip
    # the course default since the flip: whole rials, nothing divided
    assert rfm.targeting_list(table, customers)["reason"].iloc[0].endswith("IRR 2,500,000 spent")
