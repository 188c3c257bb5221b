"""The validation report: every problem of a table at once, with its lines; keys; which lessons can run."""

from __future__ import annotations

import json

import pytest

from crmlab.cli import main
from crmlab.datasets import LESSON_NEEDS, TABLES, LessonDataError, check_export, load_lesson_data
from crmlab.datasets.mapping import EXAMPLE
from crmlab.datasets.needs import MIN_CUSTOMERS, PER_CUSTOMER, customer_problem

GOOD = (
    "order_id,customer_id,ordered_at,total_cents,status\n"
    "1,17850,2011-03-05T09:15:00Z,13912,completed\n"
    "2,13047,2011-03-06T10:00:00Z,500,completed\n"
)
BAD = (
    "order_id,customer_id,ordered_at,total_cents,status,Region\n"   # line 1
    "1,17850,2011-03-05T09:15:00Z,13912,completed,North\n"          # line 2
    "2,abc,2011-03-06T10:00:00Z,500,completed,North\n"              # line 3: customer_id
    "3,13047,2011-13-45T10:00:00Z,12.50,completed,South\n"          # line 4: ordered_at, total_cents
    "4,13047,2011-03-08T10:00:00Z,7.5,completed,South\n"            # line 5: total_cents
    "5,99x,2011-03-09T10:00:00Z,100,completed,East\n"               # line 6: customer_id
)


def test_every_problem_of_a_table_is_listed_with_its_lines(tmp_path):
    (tmp_path / "orders.csv").write_text(BAD)
    report = check_export(tmp_path)
    (orders,) = report.tables
    assert (orders.table, orders.rows_read, orders.rows_loaded) == ("orders", 5, 0)
    assert orders.extra == ("Region",) and orders.absent == ("channel", "rep_id", "campaign_id")
    found = {p.column: p for p in orders.problems}
    assert sorted(found) == ["customer_id", "ordered_at", "total_cents"]
    assert found["customer_id"].examples == ((3, "abc"), (6, "99x")) and found["customer_id"].count == 2
    assert found["total_cents"].examples == ((4, "12.50"), (5, "7.5")) and found["total_cents"].count == 2
    assert "units={'orders.total_cents': 'major'}" in found["total_cents"].fix
    assert found["ordered_at"].examples == ((4, "2011-13-45T10:00:00Z"),)
    assert not report.ok
    assert not report.can_run("05_rfm")  # the table does not load
    text = str(report)
    for shown in ("line 3: 'abc'", "line 6: '99x'", "line 4: '12.50'", "line 5: '7.5'", "line 4: '2011-13-45"):
        assert shown in text
    frame = report.problems_frame()
    assert frame["column"].tolist() == ["customer_id", "ordered_at", "total_cents"]  # schema order


def test_a_file_error_stops_only_its_table(tmp_path):
    (tmp_path / "orders.csv").write_text(GOOD)
    (tmp_path / "customers.csv").write_bytes(b"")
    report = check_export(tmp_path)
    by_name = {t.table: t for t in report.tables}
    assert by_name["orders"].ok and by_name["orders"].rows_loaded == 2
    (problem,) = by_name["customers"].problems
    assert "is empty (0 bytes)" in problem.problem and "header line" in problem.fix
    assert "orders.customer_id refers to table `customers`, which did not load: not checked" in report.skipped_checks


def _purchases(customers: int, rows: int | None = None, status: str = "completed") -> str:
    """An orders file without order ids: ``rows`` purchases (one each by default) spread over ``customers`` ids."""
    rows = customers if rows is None else rows
    lines = [f"{1000 + i % customers},2011-03-05T09:15:00Z,500,{status}" for i in range(rows)]
    return "customer_id,ordered_at,total_cents,status\n" + "\n".join(lines) + "\n"


def test_lesson_verdicts_for_an_orders_only_export(tmp_path):
    (tmp_path / "orders.csv").write_text(_purchases(MIN_CUSTOMERS))
    report = check_export(tmp_path)
    assert report.ok and report.refused == {}
    for lesson in ("05_rfm", "06_clusters", "07_cohorts", "08_clv_churn", "13_capstone"):  # purchases suffice
        assert report.can_run(lesson)
    assert not report.can_run("10_service")  # it needs tickets
    assert "tickets.ticket_id" in report.lessons["10_service"]
    assert report.lessons["00_welcome"] == ["orders.channel", "customers.customer_id", "customers.region"]
    verdicts = dict(report.lessons_frame().values.tolist())
    assert verdicts["05_rfm"] == "can run"
    assert verdicts["00_welcome"] == "missing: table customers, orders.channel"
    assert "orders.order_id is absent: the check that each order has its own key was skipped" in report.skipped_checks


def test_key_problems_are_reported(tmp_path):
    (tmp_path / "orders.csv").write_text(GOOD.replace("\n2,", "\n1,"))
    (tmp_path / "customers.csv").write_text("customer_id\n17850\n")
    report = check_export(tmp_path)
    assert all(t.ok for t in report.tables) and not report.ok
    assert any("key `order_id` is not unique" in k and "lines 2, 3" in k for k in report.key_problems)
    assert any("`orders.customer_id`" in k and "13047 on line 3" in k for k in report.key_problems)


def test_the_report_in_a_notebook_and_as_data():
    report = check_export(EXAMPLE)
    frame = report.to_frame()
    assert frame[["table", "rows read", "rows loaded", "extra (kept)"]].values.tolist() == [
        ["orders", 5, 5, "Country"], ["customers", 3, 3, "Country"]]
    assert "<table" in report._repr_html_()
    data = json.loads(json.dumps(report.to_dict()))
    assert data["ok"] is True and data["lessons"]["05_rfm"] == []
    assert data["refused"]["05_rfm"] == report.refused["05_rfm"]  # 3 customers: too few


def test_parquet_problems_are_counted_in_rows_and_an_unnamed_folder_is_a_usage_error(tmp_path, capsys):
    import pandas as pd

    pd.DataFrame({"customer_id": [1, 2, 3], "ordered_at": ["2011-01-02T10:00:00Z"] * 3,
                  "total_cents": [10.0, 2.5, 7.25]}).to_parquet(tmp_path / "orders.parquet")
    (problem,) = check_export(tmp_path).tables[0].problems
    assert (problem.column, problem.where, problem.examples) == ("total_cents", "row", ((2, 2.5), (3, 7.25)))
    other = tmp_path / "other"
    other.mkdir()
    (other / "sales.csv").write_text(GOOD)
    with pytest.raises(FileNotFoundError, match=r"no file is named after a table.*\['sales.csv'\]"):
        check_export(other)
    assert main(["check", str(other)]) == 2
    assert "mapping file" in capsys.readouterr().err


def test_lesson_needs_name_real_columns():
    for lesson, needs in LESSON_NEEDS.items():
        for table, columns in needs.items():
            assert set(columns) <= set(TABLES[table].dtypes), (lesson, table)
    assert LESSON_NEEDS["05_rfm"] == {"orders": ("customer_id", "ordered_at", "total_cents")}


@pytest.mark.parametrize(("content", "status"), [(GOOD, 0), (BAD, 1)])
def test_crmlab_check_exit_status(tmp_path, capsys, content, status):
    (tmp_path / "orders.csv").write_text(content)
    assert main(["check", str(tmp_path)]) == status
    out = capsys.readouterr().out
    assert "05_rfm" in out and ("Result: every table loads." in out) == (status == 0)


@pytest.mark.parametrize("customers", [1, MIN_CUSTOMERS - 1])
def test_too_few_customers_is_one_verdict_for_check_and_lessons(tmp_path, capsys, customers):
    """One function decides: the same sentence in ``crmlab check`` and in the error a lesson raises."""
    (tmp_path / "orders.csv").write_text(_purchases(customers, rows=200))
    report = check_export(tmp_path)
    assert report.ok  # the export loads; the lessons per customer cannot use it
    why = report.refused["05_rfm"]
    assert sorted(report.refused) == sorted(PER_CUSTOMER) and set(report.refused.values()) == {why}
    assert all(not report.can_run(lesson) for lesson in PER_CUSTOMER)
    found = "all belong to one customer" if customers == 1 else f"belong to {customers} customers"
    assert f"200 purchases {found}" in why
    assert "`crmlab check`" in why and "dashboard" in why and "\n" not in why
    assert main(["check", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.count(why) == 1 and "cannot run (too few customers, see below)" in out
    for lesson in PER_CUSTOMER:
        with pytest.raises(LessonDataError) as raised:
            load_lesson_data(lesson, data_dir=tmp_path)
        assert str(raised.value) == why


def test_only_purchases_count_and_enough_customers_pass(tmp_path):
    cancelled = _purchases(MIN_CUSTOMERS, status="cancelled").splitlines(keepends=True)[1:]
    (tmp_path / "orders.csv").write_text(_purchases(3) + "".join(cancelled))
    refused = check_export(tmp_path).refused["07_cohorts"]
    assert "3 purchases belong to 3 customers (customer_id 1000 holds 33%)" in refused
    (tmp_path / "orders.csv").write_text(_purchases(MIN_CUSTOMERS, rows=4 * MIN_CUSTOMERS))
    assert check_export(tmp_path).refused == {}
    crm = load_lesson_data("07_cohorts", data_dir=tmp_path, as_of="2011-03-31", timezone="Europe/London")
    assert crm.orders["customer_id"].nunique() == MIN_CUSTOMERS
    assert (crm.conventions.timezone, str(crm.conventions.as_of.date())) == ("Europe/London", "2011-03-31")


def test_customer_problem_counts_by_hand():
    import pandas as pd

    orders = pd.DataFrame({"customer_id": [7, 7, 7, 8], "status": ["paid", "paid", "void", "paid"]})
    assert "3 purchases belong to 2 customers (customer_id 7 holds 67%)" in customer_problem(orders, ["paid"])
    assert "4 purchases" in customer_problem(orders)  # no statuses given: every order counts
    assert "no purchases: 4 orders, none with a purchase status (done)" in customer_problem(orders, ["done"])
    assert customer_problem(orders.drop(columns="customer_id")) == ""  # a missing column is missing_for's verdict


# ---------------------------------------------------------------- order totals against their lines

TOMAN_ORDERS = (
    "order_id,customer_id,ordered_at,total_cents,status\n"  # line 1; amounts in whole rials
    "1,7,2024-03-05T09:15:00Z,1500000,completed\n"          # line 2: equals its lines
    "2,8,2024-03-06T10:00:00Z,150000,completed\n"           # line 3: typed in toman, a tenth
    "3,9,2024-03-07T10:00:00Z,2600000,completed\n"          # line 4: 100,000 more than its lines (delivery?)
    "4,9,2024-03-08T10:00:00Z,45000,completed\n"            # line 5: typed in toman, a tenth
    "5,9,2024-03-09T10:00:00Z,123,completed\n"              # line 6: a test order without lines
)
TOMAN_LINES = (
    "order_id,line_no,product_id,quantity,unit_price_cents,discount_cents\n"
    "1,1,11,1,1500000,0\n"
    "2,1,11,1,1500000,0\n"
    "3,1,12,2,1250000,0\n"
    "4,1,13,3,160000,30000\n"  # 3 x 160,000 - 30,000 = 450,000
)


def test_totals_typed_in_toman_are_reported_with_their_lines(tmp_path, capsys):
    (tmp_path / "orders.csv").write_text(TOMAN_ORDERS)
    (tmp_path / "order_lines.csv").write_text(TOMAN_LINES)
    report = check_export(tmp_path)
    assert report.ok  # the values load exactly as typed: a warning, not a load error
    mixup, other = report.amount_warnings
    assert mixup.startswith("2 order totals are a tenth of their lines' sum, as if typed in a unit 10 times larger "
                            "(toman for rials)")  # fmt: skip
    assert "order_id 2 on line 3 (total 150,000, lines 1,500,000)" in mixup
    assert "order_id 4 on line 5 (total 45,000, lines 450,000)" in mixup
    assert "clean_export(..., order_lines=...)" in mixup
    assert other.startswith("1 order total differs from its lines' sum by another amount")
    assert "order_id 3 on line 4 (total 2,600,000, lines 2,500,000)" in other
    assert main(["check", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "== order totals against their lines" in out and out.count("WARNING:") == 2
    assert "Order totals against their lines" in report._repr_html_()


def test_totals_that_match_their_lines_say_nothing(tmp_path):
    (tmp_path / "orders.csv").write_text(TOMAN_ORDERS.replace(",150000,", ",1500000,").replace(",45000,", ",450000,")
                                         .replace(",2600000,", ",2500000,"))  # fmt: skip
    (tmp_path / "order_lines.csv").write_text(TOMAN_LINES)
    assert check_export(tmp_path).amount_warnings == ()
    (tmp_path / "order_lines.csv").unlink()
    assert check_export(tmp_path).amount_warnings == ()  # no lines: nothing to compare with
