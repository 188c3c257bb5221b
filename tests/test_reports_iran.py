"""``crmlab report`` on an Iranian shop's export: Persian column names and digits, Jalali dates, amounts in toman.

The purchases are real data the project did not make: the first 600 customers of CDNOW (1997-1998,
shipped with lifetimes), written the way an Iranian CRM exports them: the dates on the Jalali
calendar in Persian digits, each amount as toman (one cent written as ten toman, so every
amount is whole). The test writes the Jalali dates from the published Nowruz dates and the
calendar's month lengths, not with the library crmlab reads them with; the page's numbers must
equal a count made here from the CSV file, and its money must be shown in toman.
"""

from __future__ import annotations

import csv
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from test_reports import _visible

from crmlab.analysis import rfm
from crmlab.datasets import load_cdnow, load_export

ROOT = Path(__file__).resolve().parents[1]
#: 1 Farvardin of the Jalali years the data spans, from the published calendar (1375 is a leap year).
NOWRUZ = {1375: date(1996, 3, 20), 1376: date(1997, 3, 21), 1377: date(1998, 3, 21), 1378: date(1999, 3, 21)}
PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
MAPPING = """
folder = "export"

[read]
calendar = "jalali"

[conventions]
timezone = "Asia/Tehran"
currency = "IRR"
display_unit = "toman"
as_of = "1998-06-30"

[tables.orders]
file = "sales.csv"
columns = { "مشتری" = "customer_id", "تاریخ" = "ordered_at", "مبلغ (تومان)" = "total_cents" }
units = { total_cents = "toman" }
"""


def jalali(day: date) -> str:
    """``day`` as year/month/day on the Jalali calendar, by hand: the Nowruz before it, then the month lengths."""
    year = max(y for y, first in NOWRUZ.items() if first <= day)
    offset = (day - NOWRUZ[year]).days
    for month, length in enumerate([31] * 6 + [30] * 6, start=1):
        if offset < length:
            return f"{year}/{month:02d}/{offset + 1:02d}"
        offset -= length
    raise AssertionError(day)


def test_the_hand_conversion_meets_the_published_dates():
    assert jalali(date(1997, 3, 21)) == "1376/01/01" and jalali(date(1997, 3, 20)) == "1375/12/30"  # leap Esfand
    assert jalali(date(1998, 3, 20)) == "1376/12/29" and jalali(date(1997, 12, 21)) == "1376/09/30"  # Yalda 1376


@pytest.fixture(scope="module")
def shop(tmp_path_factory) -> Path:
    cdnow = load_cdnow()
    cdnow = cdnow[cdnow["customer_id"] <= 600]
    folder = tmp_path_factory.mktemp("tehran_shop")
    (folder / "export").mkdir()
    with open(folder / "export" / "sales.csv", "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["مشتری", "تاریخ", "مبلغ (تومان)"])
        for row in cdnow.itertuples(index=False):
            toman = round(row.amount * 100) * 10
            out.writerow([str(row.customer_id).translate(PERSIAN), jalali(row.date.date()).translate(PERSIAN),
                          f"{toman:,}".replace(",", "٬").translate(PERSIAN)])  # fmt: skip
    (folder / "mapping.toml").write_text(MAPPING, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def sales() -> pd.DataFrame:
    """The oracle's copy: the same rows as written, in Gregorian days and toman."""
    cdnow = load_cdnow()
    cdnow = cdnow[cdnow["customer_id"] <= 600]
    return pd.DataFrame({"customer": cdnow["customer_id"].to_numpy(), "day": cdnow["date"].dt.date.to_numpy(),
                         "toman": [round(a * 100) * 10 for a in cdnow["amount"]]})  # fmt: skip


def test_the_export_loads_as_rials_on_the_right_days(shop, sales):
    crm = load_export(shop / "mapping.toml")
    orders = crm.orders
    assert len(orders) == len(sales)
    assert orders["customer_id"].tolist() == sales["customer"].tolist()
    assert orders["total_cents"].tolist() == [t * 10 for t in sales["toman"]]  # ten rials a toman
    local = orders["ordered_at"].dt.tz_convert("Asia/Tehran").dt.date.tolist()
    assert local == sales["day"].tolist()


@pytest.fixture(scope="module")
def page(shop) -> str:
    run = subprocess.run([sys.executable, "-m", "crmlab.cli", "report", "05_rfm", "--mapping",
                          str(shop / "mapping.toml"), "--out", str(shop / "out"), "--timeout", "170"],
                         cwd=ROOT, capture_output=True, text=True, timeout=200)  # fmt: skip
    assert run.returncode == 0, run.stderr
    return (shop / "out" / "05_rfm_report.html").read_text(encoding="utf-8")


def test_the_rfm_report_counts_the_file_and_speaks_toman(page, shop, sales):
    text = _visible(page)
    assert f"all {len(sales):,} orders count as purchases" in text
    assert "toman" in text and "$" not in text and "USD" not in text and "Asia/Tehran" in text
    crm = load_export(shop / "mapping.toml")
    orders = crm.orders.assign(local=crm.orders["ordered_at"].dt.tz_convert("Asia/Tehran"))
    table = rfm.rfm_table(rfm.customer_summary(orders, datetime_col="local", as_of=crm.conventions.as_of))
    assert len(table) == sales["customer"].nunique()
    spent = sales.groupby("customer")["toman"].sum()
    top = table["segment"].reindex(spent.index)
    line = re.search(r"Champions: ([\d,]+) customers \(\d+%\), ([\d,.]+) toman of revenue", text)
    assert line, re.findall(r"Champions:[^.]{0,80}", text)
    assert int(line[1].replace(",", "")) == (top == "Champions").sum()
    assert float(line[2].replace(",", "")) == spent[top == "Champions"].sum()  # toman summed from the file
