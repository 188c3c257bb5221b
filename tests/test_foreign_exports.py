"""End to end on real data the project did not make: two foreign exports load exactly, and defects are named.

The exports are written by :mod:`tests.foreign_exports` (sources and licences in its
docstring): CDNOW as a US shop's export, and a year of pizza sales as a Persian till's
export. Expected values come from the source rows through ``decimal``, ``datetime`` and
``zoneinfo``, and the RFM summary from lifetimes, never from crmlab's own output.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from foreign_exports import (
    CDNOW_FILE,
    CDNOW_ZONE,
    DEFECTS,
    PIZZA_FILE,
    PIZZA_ZONE,
    add_newsletter,
    cents,
    gregorian_to_jalali,
    load_pizzaplace,
    persian_digits,
    pizza_orders,
    to_cp1256,
    to_epoch,
    utf16_without_mark,
    write_cdnow_shop,
    write_pizza_pos,
)

from crmlab.analysis.rfm import rfm_summary
from crmlab.datasets import check_export, load_cdnow, load_export
from crmlab.errors import CrmlabError

UTC = dt.UTC
CATALOGUE = [pytest.param(d, id=d.name, marks=[pytest.mark.xfail(strict=True, reason=d.known_bug)] if d.known_bug
                          else []) for d in DEFECTS]


def _utc(local: dt.datetime, zone: str) -> pd.Timestamp:
    """The UTC instant of a wall-clock time in ``zone``, by zoneinfo (the independent oracle)."""
    return pd.Timestamp(local.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC))


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    return load_cdnow()


@pytest.fixture(scope="module")
def pizza() -> pd.DataFrame:
    return pizza_orders(load_pizzaplace())


@pytest.fixture(scope="module")
def written(tmp_path_factory, cdnow, pizza) -> dict[str, Path]:
    """Both clean exports, written once; tests that change them work on a copy."""
    root = tmp_path_factory.mktemp("foreign")
    return {"cdnow": write_cdnow_shop(root / "cdnow", cdnow), "pizza": write_pizza_pos(root / "pizza", pizza)}


def _names_line(text: str, line: int) -> bool:
    """Whether ``text`` says "line N" or lists N among "lines 21, 22"."""
    return re.search(rf"\blines? (?:\d+, )*{line}\b", text) is not None


def _copy(mapping: Path, tmp_path: Path) -> Path:
    target = tmp_path / mapping.parent.name
    shutil.copytree(mapping.parent, target)
    return target / mapping.name


# -- the oracles themselves ----------------------------------------------------------------------


def test_the_oracles_agree_with_published_dates():
    assert gregorian_to_jalali(dt.date(2015, 3, 21)) == (1394, 1, 1)  # Nowruz 1394
    assert gregorian_to_jalali(dt.date(2015, 3, 20)) == (1393, 12, 29)  # 1393 is not a leap year
    assert gregorian_to_jalali(dt.date(2015, 12, 22)) == (1394, 10, 1)  # 1 Dey, the winter solstice
    assert gregorian_to_jalali(dt.date(2015, 9, 23)) == (1394, 7, 1)  # 1 Mehr
    assert cents(29.33) == 2933 and cents(0.0) == 0 and cents("9.75") == 975
    with pytest.raises(ValueError):
        cents("12.345")


# -- shape 1: CDNOW as a shop's export -----------------------------------------------------------


def test_the_shop_export_has_the_promised_shape(written):
    raw = (written["cdnow"].parent / "export" / CDNOW_FILE).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfOrder No;Cust. No;Order Date;Qty;Amount (USD)\r\n")
    assert raw.split(b"\r\n")[1] == b"1;1;01/01/1997;1;11.77"  # customer 1, 1 January 1997, one CD, $11.77


def test_cdnow_shop_loads_exactly(written, cdnow):
    crm = load_export(written["cdnow"])
    orders = crm.orders
    assert len(orders) == len(cdnow) == 69_659
    assert list(orders.columns) == ["order_id", "customer_id", "ordered_at", "total_cents", "Qty"]  # no status
    assert (orders["order_id"].to_numpy() == np.arange(1, len(cdnow) + 1)).all()
    assert (orders["customer_id"].to_numpy() == cdnow["customer_id"].to_numpy()).all()
    assert orders["total_cents"].tolist() == [cents(a) for a in cdnow["amount"]]
    assert orders["Qty"].tolist() == [str(q) for q in cdnow["quantity"]]  # the extra column, kept as text
    midnight = {d: _utc(d.to_pydatetime(), CDNOW_ZONE) for d in cdnow["date"].unique()}
    expected = pd.DatetimeIndex([midnight[d] for d in cdnow["date"]]).as_unit("s")
    assert (pd.DatetimeIndex(orders["ordered_at"]) == expected).all()
    assert str(orders["ordered_at"].dt.tz) == "UTC"
    first = cdnow.groupby("customer_id")["date"].min()
    assert crm.customers["customer_id"].tolist() == first.index.tolist()
    assert (crm.customers["signup_date"].to_numpy() == first.to_numpy()).all()
    assert (crm.conventions.currency, crm.conventions.timezone) == ("USD", CDNOW_ZONE)


def test_rfm_on_the_loaded_export_equals_lifetimes_on_the_original(written, cdnow):
    from lifetimes.utils import summary_data_from_transaction_data  # the reference implementation

    orders = load_export(written["cdnow"]).orders
    local = orders.assign(day=orders["ordered_at"].dt.tz_convert(CDNOW_ZONE))
    ours = rfm_summary(local, "customer_id", "day", "total_cents", observation_period_end="1998-06-30")
    expected = summary_data_from_transaction_data(cdnow, "customer_id", "date", monetary_value_col="amount",
                                                  observation_period_end="1998-06-30")
    assert len(ours) == len(expected) == 23_570
    assert (ours.index.to_numpy() == expected.index.to_numpy()).all()
    for column in ["frequency", "recency", "T"]:
        assert (ours[column].to_numpy() == expected[column].to_numpy()).all(), column
    np.testing.assert_allclose(ours["monetary_value"] / 100, expected["monetary_value"], rtol=1e-9, atol=0)


def test_check_export_reads_and_loads_every_row_of_both_exports(written, cdnow, pizza):
    shop, till = check_export(written["cdnow"]), check_export(written["pizza"])
    assert shop.ok and till.ok
    counts = {(t.table, t.rows_read, t.rows_loaded) for t in shop.tables + till.tables}
    assert counts == {("orders", len(cdnow), len(cdnow)), ("customers", cdnow["customer_id"].nunique(),
                       cdnow["customer_id"].nunique()), ("orders", len(pizza), len(pizza))}
    assert shop.tables[0].extra == ("Qty",) and "status" in shop.tables[0].absent
    assert shop.can_run("05_rfm") and not till.can_run("05_rfm")  # every sale on one guest account


def test_yes_no_consent_loads_as_the_words_say(written, tmp_path):
    mapping = _copy(written["cdnow"], tmp_path)
    words = add_newsletter(mapping)
    customers = load_export(mapping).customers
    assert customers["consent_email"].dtype == bool
    assert customers["consent_email"].tolist() == [w == "Yes" for w in words]
    assert set(words) == {"Yes", "No"}


# -- shape 2: a year of pizza sales as a Persian till's export -----------------------------------


def test_pizza_pos_loads_exactly(written, pizza):
    raw = (written["pizza"].parent / "pos" / PIZZA_FILE).read_bytes()
    assert raw.startswith(b"\xff\xfe") and "\t۱۳۹۳/۱۰/۱۱ ۱۱:۳۸:۳۶\t" in raw.decode("utf-16")
    orders = load_export(written["pizza"]).orders
    assert len(orders) == len(pizza) == 21_350
    assert orders["order_id"].tolist() == pizza["order_id"].tolist()
    assert (orders["customer_id"] == 0).all()
    assert orders["total_cents"].tolist() == pizza["cents"].tolist()
    stamps = [_utc(dt.datetime.fromisoformat(f"{d} {t}"), PIZZA_ZONE) for d, t in zip(pizza["date"], pizza["time"],
                                                                                      strict=True)]
    assert (pd.DatetimeIndex(orders["ordered_at"]) == pd.DatetimeIndex(stamps).as_unit("s")).all()
    assert orders["اقلام"].tolist() == pizza["names"].tolist()
    assert orders["تعداد پیتزا"].tolist() == [persian_digits(str(n)) for n in pizza["pizzas"]]  # text, kept as is


def test_the_till_export_in_windows_1256_loads_the_same_values(written, pizza, tmp_path):
    mapping = _copy(written["pizza"], tmp_path)
    to_cp1256(mapping, 'encoding = "cp1256"\n')  # ASCII digits and the Arabic yeh, as Windows-1256 software writes
    raw = (mapping.parent / "pos" / PIZZA_FILE).read_bytes()
    assert b"\t1393/10/11 11:38:36\t" in raw and raw.decode("cp1256").startswith("شماره فاکتور\tمشتري")
    orders = load_export(mapping).orders
    clean = load_export(written["pizza"]).orders
    for column in ["order_id", "customer_id", "ordered_at", "total_cents"]:
        assert orders[column].tolist() == clean[column].tolist(), column
    assert orders["total_cents"].tolist() == pizza["cents"].tolist()
    assert orders["اقلام"].tolist() == pizza["names"].tolist()


def test_the_till_export_in_utf16_without_a_mark_loads_when_declared(written, pizza, tmp_path):
    mapping = _copy(written["pizza"], tmp_path)
    utf16_without_mark(mapping, 'encoding = "utf-16-le"\n')
    assert (mapping.parent / "pos" / PIZZA_FILE).read_bytes()[:2] == "ش".encode("utf-16-le")  # no mark
    orders = load_export(mapping).orders
    assert orders["total_cents"].tolist() == pizza["cents"].tolist()
    assert orders["order_id"].tolist() == pizza["order_id"].tolist()


def test_the_till_export_with_epoch_seconds_loads_the_same_instants(written, pizza, tmp_path):
    mapping = _copy(written["pizza"], tmp_path)
    seconds = to_epoch(mapping, pizza)
    orders = load_export(mapping).orders
    assert orders["ordered_at"].astype("int64").tolist() == seconds  # datetime64[s]: seconds since 1970 UTC
    assert orders["ordered_at"].tolist() == load_export(written["pizza"]).orders["ordered_at"].tolist()


def test_pizza_totals_and_tehran_clock_by_hand(written):
    lines = load_pizzaplace()
    orders = load_export(written["pizza"]).orders
    assert int(orders["total_cents"].sum()) == sum(cents(float(p)) for p in lines["price"])  # every line's price
    summer = orders.loc[orders["order_id"] == int(lines.loc[lines["date"] == "2015-07-01", "id"].iloc[0]
                                                  .replace("-", ""))]
    local = lines.loc[lines["date"] == "2015-07-01", "time"].iloc[0]
    hours, minutes, seconds = (int(x) for x in local.split(":"))  # Tehran kept summer time (+04:30) in 2015
    expected = dt.datetime(2015, 7, 1, hours, minutes, seconds) - dt.timedelta(hours=4, minutes=30)
    assert summer["ordered_at"].iloc[0] == pd.Timestamp(expected, tz="UTC")


# -- defects: the load fails, naming the file, the column, the line and the fix --------------------


def test_the_catalogue_has_enough_defects():
    assert len(DEFECTS) >= 10
    assert {d.shape for d in DEFECTS} == {"cdnow", "pizza"}


@pytest.mark.parametrize("defect", CATALOGUE)
def test_defect_fails_the_load_with_file_column_line_and_fix(defect, written, tmp_path):
    mapping = _copy(written[defect.shape], tmp_path)
    defect.apply(mapping)
    with pytest.raises(CrmlabError) as caught:
        load_export(mapping)
    message = str(caught.value)
    assert defect.file in message
    if defect.column:
        assert f"{defect.column}`" in message  # `total_cents` or `orders.customer_id`
    if defect.line:
        assert _names_line(message, defect.line), message
    assert defect.fix in message
    assert "make data" not in message  # the course's advice is wrong for an analyst's export


@pytest.mark.parametrize("defect", CATALOGUE)
def test_check_export_lists_the_defect_with_its_line(defect, written, tmp_path):
    mapping = _copy(written[defect.shape], tmp_path)
    defect.apply(mapping)
    report = check_export(mapping)
    assert not report.ok
    problems = [(t, p) for t in report.tables for p in t.problems]
    text = " ".join(f"{t.file} {p.column} {p.problem} {p.fix} {p.examples}" for t, p in problems)
    text += " ".join(report.key_problems)
    assert defect.fix in text
    if defect.column:
        assert any(p.column == defect.column for _, p in problems) or any(
            f"{defect.column}`" in k for k in report.key_problems)
    if defect.line:
        lines = {line for _, p in problems for line, _ in p.examples}
        assert defect.line in lines or _names_line(text, defect.line), text


def test_no_dayfirst_names_the_first_line_that_shows_the_order(written, cdnow, tmp_path):
    mapping = _copy(written["cdnow"], tmp_path)
    (d for d in DEFECTS if d.name == "no dayfirst").__next__().apply(mapping)
    with pytest.raises(CrmlabError) as caught:
        load_export(mapping)
    first = int(np.flatnonzero(cdnow["date"].dt.day.to_numpy() > 12)[0]) + 2  # header is line 1
    assert f"line {first} can only be day first" in str(caught.value)


def test_crmlab_check_exits_1_on_a_defect_and_0_on_the_clean_export(written, tmp_path):
    clean = subprocess.run([sys.executable, "-m", "crmlab.cli", "check", str(written["cdnow"])],
                           capture_output=True, text=True, timeout=120)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "69659" in clean.stdout and "Result: every table loads." in clean.stdout
    mapping = _copy(written["cdnow"], tmp_path)
    (d for d in DEFECTS if d.name == "unknown customer").__next__().apply(mapping)
    done = subprocess.run([sys.executable, "-m", "crmlab.cli", "check", str(mapping)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "999999 on line 32" in done.stdout and "orders.customer_id" in done.stdout
