"""The shared checks: one message form for "a DataFrame with these columns", and no private reach-ins."""

from __future__ import annotations

import ast
import re
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

import crmlab
from crmlab import validation as V
from crmlab.errors import SchemaError

ANALYSIS = Path(crmlab.__file__).parent / "analysis"
ORDERS = pd.DataFrame({"order_id": [1, 2], "customer_id": [7, 8], "amount": [9.5, 3.0]})


# ---------------------------------------------------------------- require_table


def test_a_good_table_is_returned_as_it_is():
    assert V.require_table(ORDERS, "orders", ["order_id", "customer_id"]) is ORDERS


def test_missing_columns_name_the_argument_the_columns_it_has_and_the_fix():
    with pytest.raises(SchemaError) as err:
        V.require_table(ORDERS, "orders", ["order_id", "total_cents", "status"])
    assert str(err.value) == (
        "The table passed as `orders` has no column(s) ['total_cents', 'status']; its columns are "
        "['order_id', 'customer_id', 'amount']. Pass `crm.orders`, or rename your columns, e.g. "
        "`orders.rename(columns={'your_name': 'total_cents'})`."
    )


def test_a_table_that_is_not_the_crms_gets_rename_advice_only():
    with pytest.raises(SchemaError, match=r"`frame` has no column\(s\) \['bought'\].*Rename your columns") as err:
        V.require_table(ORDERS, "frame", ["bought"])
    assert "crm.frame" not in str(err.value)
    with pytest.raises(SchemaError, match="Pass the result of `x`"):
        V.require_table(ORDERS, "frame", ["bought"], fix="Pass the result of `x`.")


@pytest.mark.parametrize(("value", "message"), [
    ({"orders": ORDERS}, r"You passed the whole CRM \(a dict of tables\) as `orders`; pass one table, e\.g\. `crm"),
    (ORDERS["order_id"], r"`orders` must be a DataFrame \(e\.g\. `crm\.orders`\), but a Series was passed\. You"),
    ([1, 2], r"`orders` must be a DataFrame \(e\.g\. `crm\.orders`\), but a list was passed\.$"),
])  # fmt: skip
def test_the_beginners_mistakes_get_their_own_advice(value, message):
    with pytest.raises(TypeError, match=message):
        V.require_table(value, "orders", ["order_id"])


def test_dtypes_are_checked_with_the_conversion_to_use():
    df = pd.DataFrame({"at": pd.to_datetime(["2025-01-01"], utc=True), "n": [1], "flag": [True], "text": ["x"]})
    V.require_table(df, "t", dtypes={"at": "datetime", "n": "number", "flag": "bool"})
    with pytest.raises(SchemaError, match=r"'flag' of `t` must hold numbers.*pd\.to_numeric\(df\['flag'\]\)"):
        V.require_table(df, "t", dtypes={"flag": "number"})  # True/False is not a number
    with pytest.raises(SchemaError, match=r"'text' of `t` must hold dates or times.*pd\.to_datetime"):
        V.require_table(df, "t", dtypes={"text": "datetime"})
    with pytest.raises(SchemaError, match=r"no column\(s\) \['when'\]"):
        V.require_table(df, "t", dtypes={"when": "datetime"})


def test_require_tables():
    crm = {"orders": ORDERS}
    assert V.require_tables(crm, ["orders"], {"orders": ["order_id"]})["orders"] is ORDERS
    with pytest.raises(TypeError, match=r"You passed one table as `crm`; pass the whole CRM"):
        V.require_tables(ORDERS, ["orders"])
    with pytest.raises(TypeError, match="`crm` must be the whole CRM .* but a list was passed"):
        V.require_tables([ORDERS], ["orders"])
    with pytest.raises(SchemaError, match=r"needs the table\(s\) \['tickets'\], but it has \['orders'\]"):
        V.require_tables(crm, ["orders", "tickets"])
    with pytest.raises(SchemaError, match=r"`orders` has no column\(s\) \['status'\]"):
        V.require_tables(crm, ["orders"], {"orders": ["status"]})


def test_column_arguments_and_series():
    with pytest.raises(KeyError, match=r"`time` must be a column of `orders`, but 'ordered_at' was passed"):
        V.column_arguments(ORDERS, {"customer": "customer_id", "time": "ordered_at", "amount": None}, "orders")
    with pytest.raises(TypeError, match=r"`orders` must be a DataFrame, but a dict was passed"):
        V.column_arguments({"a": 1}, {}, "orders")
    assert V.require_series(ORDERS["amount"], "amounts") is not None
    with pytest.raises(TypeError, match=r"`amounts` must be a pandas Series, but a DataFrame.*Select one column"):
        V.require_series(ORDERS, "amounts")


# ---------------------------------------------------------------- arguments


def test_numbers_and_shares():
    assert V.fraction("alpha", 0.05) == 0.05 and V.positive("c", 3) == 3.0 and V.non_negative("c", 0) == 0.0
    for bad in (0, 1, 1.5, "a", None, np.nan):
        with pytest.raises(ValueError, match=re.escape(f"`alpha` must be a share strictly between 0 and 1 (e.g. 0.05 "
                                                       f"for 5%), but {bad!r} was passed")):  # fmt: skip
            V.fraction("alpha", bad)
    for bad in (0, -1, True, "x"):
        with pytest.raises(ValueError, match="`c` must be a number above 0"):
            V.positive("c", bad)
    for bad in (-0.01, True, None):
        with pytest.raises(ValueError, match="`c` must be a number >= 0"):
            V.non_negative("c", bad)
    assert V.number_between("threshold", 100, 0, 100) == 100.0
    for bad in (101, -1, True, "50"):
        with pytest.raises(ValueError, match="`threshold` must be a number from 0 to 100"):
            V.number_between("threshold", bad, 0, 100)


def test_whole_numbers():
    assert V.whole_number("days", np.int64(3)) == 3
    for bad in (0, 1.0, True, "2"):
        with pytest.raises(ValueError, match="`days` must be a whole number of days >= 1"):
            V.whole_number("days", bad)
    assert V.whole_numbers("agents", [1, 2.0]).tolist() == [1, 2]
    with pytest.raises(ValueError, match=r"`agents` must be a whole number of agents \(1, 2, 3 \.\.\.\)"):
        V.whole_numbers("agents", [1, 2.5])
    with pytest.raises(ValueError, match="of at least 1"):
        V.whole_numbers("agents", [0])
    with pytest.raises(ValueError, match="above 0"):
        V.numbers("calls", [np.inf], above=0)


def test_choice():
    assert V.choice("how", "sum", ["mean", "sum"]) == "sum"
    message = r"^The value for `how` must be one of \['mean', 'sum'\], but 'max' was passed\.$"
    with pytest.raises(ValueError, match=message):
        V.choice("how", "max", ["mean", "sum"])
    with pytest.raises(ValueError, match="`how` must be one of"):
        V.choice("how", np.array([1, 2]), [1, 2])


def test_timestamp_converts_aware_times_and_refuses_naive_ones():
    got = V.timestamp("as_of", pd.Timestamp("2025-06-15 10:00", tz="Asia/Tehran"))
    assert got.to_pydatetime() == datetime(2025, 6, 15, 10, tzinfo=ZoneInfo("Asia/Tehran")).astimezone(UTC)
    with pytest.raises(ValueError, match=r"`as_of` must say its time zone.*tz='Europe/London'"):
        V.timestamp("as_of", "2025-06-15 10:00", timezone="Europe/London")
    with pytest.raises(ValueError, match="`as_of` must be a moment in time"):
        V.timestamp("as_of", "teatime")


def test_outcomes_and_scores():
    assert V.binary_outcomes([True, 0, 1]).tolist() == [1.0, 0.0, 1.0]
    for bad in (["Yes", "No"], [0, 2], [], [1, np.nan]):
        with pytest.raises(ValueError, match="`y_true` must hold"):
            V.binary_outcomes(bad)
    assert V.scores([0.1, 0.2], 2).tolist() == [0.1, 0.2]
    with pytest.raises(ValueError, match=r"one value per customer \(3\), but it has 2"):
        V.scores([0.1, 0.2], 3)


# ---------------------------------------------------------------- one form across the analyses


def test_every_analysis_package_explains_a_missing_column_the_same_way():
    from crmlab.analysis import bi, crosssell, experiments, kpis, quality, service, training

    no_status = pd.DataFrame({"order_id": [1], "customer_id": [1]})
    calls = [
        (lambda: kpis.revenue_per_buyer(no_status), "orders", "status"),
        (lambda: crosssell.basket_matrix(no_status, pd.DataFrame(), pd.DataFrame(), pd.DataFrame()), "orders",
         "status"),
        (lambda: experiments.uplift_test(pd.DataFrame({"group": ["a"]})), "frame", "responded"),
        (lambda: service.ticket_factors(pd.DataFrame({"ticket_id": [1]}), pd.DataFrame()), "tickets", "customer_id"),
        (lambda: quality.find_test_records(pd.DataFrame({"customer_id": [1]})), "customers", "first_name"),
        (lambda: bi.invoice_payments(pd.DataFrame({"invoice_id": [1]}), pd.DataFrame()), "invoices", "customer_id"),
        (lambda: training.gain_by_method(pd.DataFrame({"before": [0.5]})), "per_rep", "training_method"),
    ]
    for call, argument, column in calls:
        with pytest.raises(SchemaError) as err:
            call()
        assert re.match(rf"The table passed as `{argument}` has no column\(s\) \[[^\]]*'{column}'", str(err.value)), (
            str(err.value))
        assert "its columns are [" in str(err.value)


# ---------------------------------------------------------------- no reaching into private modules


def _imports(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = ".".join(path.relative_to(ANALYSIS.parent.parent).with_suffix("").parts)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level)[0] if node.level else ""
            if node.level and path.name == "__init__.py":
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package.removesuffix(".__init__")
            module = ".".join(p for p in (base, node.module or "") if p)
            yield module, [a.name for a in node.names]
        elif isinstance(node, ast.Import):
            for a in node.names:
                yield a.name, []


def test_no_analysis_imports_another_packages_private_names_or_the_generator():
    bad = []
    for path in sorted(ANALYSIS.rglob("*.py")):
        own = ".".join(path.relative_to(ANALYSIS.parent.parent).parts[:3])  # crmlab.analysis.<package>
        for module, names in _imports(path):
            if module.startswith("crmlab.datasets.synthetic") or "PLANTED" in names:
                bad.append(f"{path.name}: the generator's {module} {names}")
            if module.startswith(own) or not module.startswith("crmlab"):
                continue
            if any(part.startswith("_") for part in module.split(".")) or any(n.startswith("_") for n in names):
                bad.append(f"{path.relative_to(ANALYSIS)}: {module} {names}")
    assert bad == [], bad
    assert not list(ANALYSIS.rglob("_checks.py"))
