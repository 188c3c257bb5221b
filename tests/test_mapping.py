"""A company's export through a TOML mapping file: exact values, the contract, and errors that name the key."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from crmlab.conventions import from_mapping
from crmlab.datasets import TABLES, load_crm, load_export, read_mapping
from crmlab.datasets.mapping import EXAMPLE, MappingError
from crmlab.errors import SchemaError, ValueLoadError

SALES = (
    "Invoice;Date;Client;Amount;State;Country;Note\n"
    "1001;05/03/2011 09:15;17850;139.12;Complete;United Kingdom;first\n"
    "1002;13/06/2011 18:00;17850;0.50;Cancelled;United Kingdom;\n"
    '1003;31/10/2011 23:30;13047;1200;Complete;France;"a; b"\n'
)
CLIENTS = "ClientID,Joined,Email OK,Segment\n17850,01/12/2010,yes,retail\n13047,02/01/2011,no,wholesale\n"
MAPPING = """\
folder = "export"

[read]
dayfirst = true

[conventions]
timezone = "Europe/London"
currency = "GBP"
as_of = "2011-12-09"
purchase_statuses = ["Complete"]

[tables.orders]
file = "sales 2011.csv"
units = { total_cents = "major" }
dates = { ordered_at = "%d/%m/%Y %H:%M" }

[tables.orders.columns]
Invoice = "order_id"
Date = "ordered_at"
Client = "customer_id"
Amount = "total_cents"
State = "status"

[tables.customers]
file = "clients.csv"
columns = { ClientID = "customer_id", Joined = "signup_date", "Email OK" = "consent_email", Segment = "segment" }
"""


def _export(tmp_path: Path, mapping: str = MAPPING) -> Path:
    folder = tmp_path / "export"
    folder.mkdir(exist_ok=True)
    (folder / "sales 2011.csv").write_text(SALES, encoding="utf-8")
    (folder / "clients.csv").write_text(CLIENTS, encoding="utf-8")
    path = tmp_path / "mapping.toml"
    path.write_text(mapping, encoding="utf-8")
    return path


def _utc(*local) -> pd.Timestamp:
    """The independent oracle: the stdlib's zoneinfo turns a London wall-clock time into UTC."""
    aware = dt.datetime(*local, tzinfo=ZoneInfo("Europe/London")).astimezone(dt.UTC)
    return pd.Timestamp(aware.replace(tzinfo=None)).tz_localize("UTC")


def test_a_small_export_loads_exactly_through_a_toml_mapping(tmp_path):
    path = _export(tmp_path, MAPPING.replace("dayfirst = true", 'dayfirst = true\ndelimiter = ";"'))
    mapping = read_mapping(path)  # the delimiter is the export's; load the orders (the customers use commas)
    crm = load_crm(mapping.folder, tables=["orders"], columns=mapping.columns, options=mapping.options,
                   files=mapping.files, strict=False)
    orders = crm.orders
    assert list(orders.columns) == ["order_id", "customer_id", "ordered_at", "status", "total_cents",
                                    "Country", "Note"]
    assert orders["order_id"].tolist() == [1001, 1002, 1003]
    assert orders["customer_id"].tolist() == [17850, 17850, 13047]
    cents = [int(Decimal(a) * 100) for a in ("139.12", "0.50", "1200")]
    assert orders["total_cents"].tolist() == cents == [13912, 50, 120000]
    assert str(orders["total_cents"].dtype) == "int64"
    # 5 March (GMT), 13 June (BST, UTC+1), 31 October (GMT again: summer time ended on 30 October 2011)
    assert orders["ordered_at"].tolist() == [_utc(2011, 3, 5, 9, 15), _utc(2011, 6, 13, 18, 0),
                                             _utc(2011, 10, 31, 23, 30)]
    assert orders["ordered_at"].tolist()[1] == pd.Timestamp("2011-06-13 17:00", tz="UTC")
    assert orders["status"].tolist() == ["Complete", "Cancelled", "Complete"]
    assert orders["Country"].tolist() == ["United Kingdom", "United Kingdom", "France"]
    assert orders["Note"].tolist() == ["first", "", "a; b"]  # extra columns as read: text
    for absent in ("channel", "rep_id", "campaign_id"):
        assert absent not in orders  # absent, not invented


def test_load_export_loads_every_table_with_the_conventions(tmp_path):
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "sales 2011.csv").write_text(SALES.replace(";", ","), encoding="utf-8")
    (folder / "clients.csv").write_text(CLIENTS, encoding="utf-8")
    path = tmp_path / "mapping.toml"
    path.write_text(MAPPING, encoding="utf-8")
    crm = load_export(path)
    assert sorted(crm) == ["customers", "orders"]
    assert crm.orders["Note"].tolist() == ["first", "", "a, b"]
    customers = crm.customers
    assert list(customers.columns) == ["customer_id", "segment", "signup_date", "consent_email"]
    assert customers["signup_date"].tolist() == [pd.Timestamp(2010, 12, 1), pd.Timestamp(2011, 1, 2)]
    assert customers["consent_email"].tolist() == [True, False]
    assert customers["segment"].tolist() == ["retail", "wholesale"]
    assert crm.conventions == from_mapping({"timezone": "Europe/London", "currency": "GBP", "as_of": "2011-12-09",
                                            "purchase_statuses": ["Complete"]})
    assert crm.conventions.money(int(crm.orders["total_cents"].sum())) == "GBP 1,339.62"  # 139.12 + 0.50 + 1200


def test_the_documented_example_loads():
    crm = load_export(EXAMPLE)
    assert crm.orders["total_cents"].tolist() == [1530, 1110, 5408, 8700, 5022]
    assert crm.orders["ordered_at"].iloc[0] == _utc(2010, 12, 1, 8, 26)
    assert crm.customers["signup_date"].tolist() == [pd.Timestamp(2010, 12, 1)] * 2 + [pd.Timestamp(2011, 12, 9)]


def test_the_course_database_still_loads_strictly_with_every_column():
    crm = load_crm()
    for name, df in crm.items():  # same dtypes as the generator's: tests/test_storage.py
        assert list(df.columns) == list(TABLES[name].dtypes), name
        assert str(df.dtypes.iloc[0]).startswith(("int", "str")), name
    assert crm.conventions.timezone == "Asia/Tehran"


def test_strict_mode_still_refuses_an_absent_optional_column(tmp_path):
    (tmp_path / "orders.csv").write_text("customer_id,ordered_at,total_cents\n1,2011-01-02T10:00:00Z,5\n")
    assert list(load_crm(tmp_path, tables=["orders"]).orders.columns) == ["customer_id", "ordered_at", "total_cents"]
    with pytest.raises(SchemaError, match=r"missing columns \['order_id', 'channel', 'rep_id', 'campaign_id', "
                       r"'status'\], unexpected columns \[\]"):
        load_crm(tmp_path, tables=["orders"], strict=True)


def test_a_missing_required_column_names_it_and_the_mapping_fix(tmp_path):
    (tmp_path / "orders.csv").write_text("customer_id,when,total_cents\n1,2011-01-02T10:00:00Z,5\n")
    with pytest.raises(SchemaError, match=r"lacks the required column\(s\) \['ordered_at'\]") as err:
        load_crm(tmp_path, tables=["orders"])
    assert "[tables.orders.columns]" in str(err.value) and "orders.csv" in str(err.value)


def test_files_can_have_any_name_but_must_be_csv_or_parquet(tmp_path):
    (tmp_path / "Sales Q1.csv").write_text("customer_id,ordered_at,total_cents\n7,2011-01-02T10:00:00Z,5\n")
    crm = load_crm(tmp_path, tables=["orders"], files={"orders": "Sales Q1.csv"})
    assert crm.orders["customer_id"].tolist() == [7]
    with pytest.raises(ValueError, match=r"`files\['orders'\]` must be a file name ending in .csv or .parquet"):
        load_crm(tmp_path, tables=["orders"], files={"orders": "Sales Q1.xlsx"})
    with pytest.raises(OSError, match="The file of table `orders` does not exist"):
        load_crm(tmp_path, tables=["orders"], files={"orders": "sales.csv"})


@pytest.mark.parametrize(("edit", "key", "fix"), [
    (("[tables.customers]", "[tables.customer]"), "tables.customer", "did you mean `customers`?"),
    (('file = "clients.csv"', 'fiel = "clients.csv"'), "tables.customers.fiel", "did you mean `file`?"),
    (('Segment = "segment"', 'Segment = "segmnt"'), "tables.customers.columns.Segment", "did you mean 'segment'?"),
    (('State = "status"', 'State = "customer_id"'), "tables.orders.columns.State",
     "keep one of them"),
    (("dayfirst = true", "dayfrist = true"), "read.dayfrist", "did you mean `dayfirst`?"),
    (('currency = "GBP"', 'curency = "GBP"'), "conventions.curency", "did you mean `currency`?"),
    (('timezone = "Europe/London"', 'timezone = "London"'), "conventions", "IANA name"),
    (('folder = "export"', 'folder = "exports"'), "folder", "relative to"),
    (('total_cents = "major"', 'total_cents = "pounds"'), "tables.orders.units.total_cents", '"major" when'),
    (('units = { total_cents', 'units = { status'), "tables.orders.units.status", "remove this entry"),
    (("dayfirst = true", "dayfirst = true\nminor_unit = 0"), "read.minor_unit", "make them agree"),
    (("dayfirst = true", "dayfirst = yes"), "", "not valid TOML"),
    (('file = "clients.csv"', 'file = "clients.xlsx"'), "tables.customers.file", "CSV (UTF-8) or Parquet"),
])
def test_mapping_errors_name_the_file_the_key_and_the_fix(tmp_path, edit, key, fix):
    path = _export(tmp_path, MAPPING.replace(*edit))
    with pytest.raises(MappingError) as err:
        read_mapping(path)
    text = str(err.value)
    assert text.startswith(str(path)), text
    assert err.value.key == key and fix in text, text


def test_units_may_also_be_given_as_table_dot_column(tmp_path):
    path = _export(tmp_path, MAPPING.replace('units = { total_cents = "major" }\n', "").replace(
        'folder = "export"', 'folder = "export"\n[units]\n"orders.total_cents" = "major"'))
    assert read_mapping(path).options.unit("orders", "total_cents") == "major"
    path.write_text(MAPPING.replace('folder = "export"', 'folder = "export"\n[units]\n"orders.total_cents" = "major"'))
    with pytest.raises(MappingError, match="must be given once"):
        read_mapping(path)


def test_a_mapping_without_tables_or_file_is_refused(tmp_path):
    with pytest.raises(MappingError, match="the mapping file does not exist"):
        read_mapping(tmp_path / "none.toml")
    (tmp_path / "m.toml").write_text('folder = "."\n')
    with pytest.raises(MappingError, match=r"(?s)names no table.*\[tables.orders\]"):
        read_mapping(tmp_path / "m.toml")


def test_errors_through_a_mapping_say_where_the_option_goes(tmp_path):
    """The loader's advice names Python options (dayfirst=True); through a mapping file, the error
    also says where that option goes in the file."""
    import crmlab.datasets.mapping as mapping_module

    export = tmp_path / "export"
    export.mkdir()
    (export / "sales.csv").write_text("Client,When,Paid\n1,05/03/2011,1.50\n", encoding="utf-8")
    path = tmp_path / "mapping.toml"
    path.write_text('folder = "export"\n[conventions]\ntimezone = "Europe/London"\ncurrency = "GBP"\n'
                    'as_of = "2011-12-09"\npurchase_statuses = ["Paid"]\n[tables.orders]\nfile = "sales.csv"\n'
                    '[tables.orders.columns]\nClient = "customer_id"\nWhen = "ordered_at"\nPaid = "total_cents"\n'
                    '[tables.orders.units]\ntotal_cents = "major"\n', encoding="utf-8")
    with pytest.raises(Exception, match="dayfirst") as err:
        mapping_module.load_export(path)
    notes = "\n".join(getattr(err.value, "__notes__", []))
    assert "In mapping.toml, the options named above go under [read] (dayfirst = true" in notes
    from crmlab.datasets.checkup import check_export, render_text

    text = render_text(check_export(path))
    assert "line 2: '05/03/2011'" in text and "go under [read] (dayfirst = true" in text


# ------------------------------------------------------- an Iranian export: toman, Jalali dates, Persian digits

TEHRAN_SALES = (
    "شماره,مشتری,تاریخ,مبلغ\n"
    "۱۰۰۱,۱۷,۱۴۰۳/۰۱/۰۱,۱۵۰۰\n"      # 1 Farvardin 1403 = 20 March 2024; 1,500 toman
    "1002,18,1403/12/30,2500.5\n"    # 30 Esfand 1403 = 20 March 2025 (a leap year); 2,500.5 toman
    "1003,17,1402/12/29,۱۲۳٬۴۵۶\n"    # 29 Esfand 1402 = 19 March 2024; the Persian thousands separator
)
TEHRAN_MAPPING = """
folder = "export"
[read]
calendar = "jalali"
[conventions]
timezone = "Asia/Tehran"
currency = "IRR"
as_of = "2025-03-20"
display_unit = "toman"
[tables.orders]
file = "sales.csv"
columns = { "شماره" = "order_id", "مشتری" = "customer_id", "تاریخ" = "ordered_at", "مبلغ" = "total_cents" }
units = { total_cents = "toman" }
"""


def _tehran(tmp_path, sales=TEHRAN_SALES, mapping=TEHRAN_MAPPING):
    (tmp_path / "export").mkdir()
    (tmp_path / "export" / "sales.csv").write_text(sales, encoding="utf-8")
    (tmp_path / "mapping.toml").write_text(mapping, encoding="utf-8")
    return tmp_path / "mapping.toml"


def test_an_export_in_toman_loads_as_exact_rials(tmp_path):
    crm = load_export(_tehran(tmp_path))
    orders = crm.orders
    assert orders["order_id"].tolist() == [1001, 1002, 1003]
    # ten rials a toman, worked out by hand: 1,500 -> 15,000; 2,500.5 -> 25,005; 123,456 -> 1,234,560
    assert orders["total_cents"].tolist() == [15_000, 25_005, 1_234_560]
    local = orders["ordered_at"].dt.tz_convert("Asia/Tehran").dt.date.tolist()
    assert local == [dt.date(2024, 3, 20), dt.date(2025, 3, 20), dt.date(2024, 3, 19)]  # the published Nowruz dates
    assert crm.conventions.money(orders["total_cents"].iloc[1]) == "2,500.5 toman"  # shown as typed


def test_a_toman_amount_with_two_decimals_is_refused_not_rounded(tmp_path):
    with pytest.raises(ValueLoadError) as err:
        load_export(_tehran(tmp_path, sales=TEHRAN_SALES.replace("2500.5", "2500.55")))
    message = str(err.value)
    assert "more than 1 decimals" in message and "2500.55" in message and "toman" in message


def test_toman_needs_the_rial(tmp_path):
    with pytest.raises(MappingError) as err:
        read_mapping(_tehran(tmp_path, mapping=TEHRAN_MAPPING.replace('currency = "IRR"', 'currency = "USD"')
                             .replace('display_unit = "toman"\n', "")))  # fmt: skip
    assert 'is "toman", ten rials, but the mapping has currency \'USD\'' in str(err.value)
