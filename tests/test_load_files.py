"""A catalogue of export files, each written byte for byte, and what `load_crm` must do with it.

Either every row loads with exactly the values Python's own csv module reads from the
same bytes (an independent reader), or the load fails with a message that names the
file, the line and the fix (the option to set, or what to change in the file).
"""

from __future__ import annotations

import codecs
import csv
import io
import random

import pandas as pd
import pytest

from crmlab.datasets import load_crm
from crmlab.datasets.csvfiles import read_csv_text
from crmlab.datasets.options import ReadOptions
from crmlab.errors import DataFileError, SchemaError

PERSIAN = "\u06af\u0648\u0634\u06cc\u200c\u0647\u0627"  # گوشی‌ها, with a zero-width non-joiner
ARABIC_1256 = "\u0647\u0648\u0627\u062a\u0641"  # هواتف: letters Windows-1256 can encode


def oracle(raw: bytes, encoding: str = "utf-8", delimiter: str = ",") -> list[list[str]]:
    """The data rows as Python's csv module reads them (blank lines carry no row)."""
    text = raw.decode(encoding).removeprefix("\ufeff")
    rows = [r for r in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True) if r]
    return rows[1:]


def load_categories(folder, raw: bytes, **options) -> pd.DataFrame:
    (folder / "categories.csv").write_bytes(raw)
    return load_crm(folder, tables=["categories"], options=ReadOptions(**options)).categories


def assert_categories(df: pd.DataFrame, rows: list[list[str]]) -> None:
    assert len(df) == len(rows)
    assert df["category_id"].tolist() == [int(r[0]) for r in rows]
    assert df["name"].tolist() == [r[1] for r in rows]


# -- files that load: every value equals what Python's csv module reads ----------------------------

LOADS = {
    "plain UTF-8": (b"category_id,name\n1,Laptops\n2,Phones\n", {}, "utf-8", ","),
    "Windows line ends": (b"category_id,name\r\n1,Laptops\r\n2,Phones\r\n", {}, "utf-8", ","),
    "no newline at the end": (b"category_id,name\n1,Laptops\n2,Phones", {}, "utf-8", ","),
    "old Mac line ends (CR only)": (b"category_id,name\r1,Laptops\r2,Phones\r", {}, "utf-8", ","),
    "UTF-8 with BOM": (codecs.BOM_UTF8 + f"category_id,name\n1,{PERSIAN}\n".encode(), {}, "utf-8-sig", ","),
    "UTF-16 LE with BOM": (f"category_id,name\r\n1,{PERSIAN}\r\n2,Ink\r\n".encode("utf-16"), {}, "utf-16", ","),
    "UTF-16 BE with BOM": (codecs.BOM_UTF16_BE + f"category_id,name\n1,{PERSIAN}\n".encode("utf-16-be"), {},
                           "utf-16", ","),
    "Windows-1256 with the option": (f"category_id,name\n1,{ARABIC_1256}\n".encode("cp1256"),
                                     {"encoding": "cp1256"}, "cp1256", ","),
    "Windows-1252 with the option": ("category_id,name\n1,Caf\u00e9 & Th\u00e9\n".encode("cp1252"),
                                     {"encoding": "cp1252"}, "cp1252", ","),
    "UTF-16 without BOM, with the option": ("category_id,name\n1,Phones\n".encode("utf-16-le"),
                                            {"encoding": "utf-16-le"}, "utf-16-le", ","),
    "semicolons with the option": (b"category_id;name\n1;Ink, Paper\n2;Phones\n", {"delimiter": ";"}, "utf-8", ";"),
    "tabs with the option": (b"category_id\tname\n1\tInk; Paper\n", {"delimiter": "\t"}, "utf-8", "\t"),
    "pipes with the option": (b"category_id|name\n1|Ink, Paper\n", {"delimiter": "|"}, "utf-8", "|"),
    "quoted delimiter and doubled quotes": (b'category_id,name\n1,"Ink, Paper"\n2,"The ""Pro"" line"\n3,""""\n',
                                            {}, "utf-8", ","),
    "a quoted value over two lines": (b'category_id,name\n1,"Ink\nand Paper"\n2,Phones\n', {}, "utf-8", ","),
    "a value over lines with CRLF": (b'category_id,name\r\n1,"Ink\r\nPaper"\r\n2,x\r\n', {}, "utf-8", ","),
    "an inch mark inside a value": (b'category_id,name\n1,27" Monitors\n2,Phones\n', {}, "utf-8", ","),
    "blank lines between rows": (b"category_id,name\n\n1,Laptops\n\n2,Phones\n\n\n", {}, "utf-8", ","),
    "NA, NULL and None as text": (b"category_id,name\n1,NA\n2,NULL\n3,None\n", {}, "utf-8", ","),
    "spaces kept in text": (b"category_id,name\n1, Phones \n", {}, "utf-8", ","),
    "header only: no rows": (b"category_id,name\n", {}, "utf-8", ","),
}


@pytest.mark.parametrize("case", list(LOADS))
def test_file_loads_exactly(tmp_path, case):
    raw, options, encoding, delimiter = LOADS[case]
    df = load_categories(tmp_path, raw, **options)
    assert_categories(df, oracle(raw, encoding, delimiter))


def test_rows_after_a_value_over_two_lines_keep_their_file_lines(tmp_path):
    raw = b'category_id,name\n1,a\n2,"b\nb"\n3,c\n3,d\n'
    with pytest.raises(SchemaError, match="3 on lines 5, 6"):  # line 4 is the second line of row 2
        load_categories(tmp_path, raw)
    assert oracle(raw)[1] == ["2", "b\nb"]


def _random_value(rng: random.Random) -> str:
    alphabet = ['a', 'Z', ' ', '"', ',', ';', "'", "\u0634", "\u200c", "\u06f5", "é", "\t"]
    value = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 8)))
    if rng.random() < 0.2:  # a value over lines, whose later lines do not look like rows
        value += rng.choice(["\n", "\r\n"]) + "".join(rng.choice("ab \"") for _ in range(rng.randint(0, 5)))
    return value


def _by_hand(value: str) -> str:
    """Quoted only when it must be: a quote inside an unquoted value stays a plain character."""
    if value.startswith('"') or any(c in value for c in ",\r\n"):
        return '"' + value.replace('"', '""') + '"'
    return value


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("quoting", [csv.QUOTE_MINIMAL, csv.QUOTE_ALL, "by hand"])
def test_random_files_load_exactly_with_their_lines(tmp_path, seed, quoting):
    rng = random.Random(seed)
    values = [_random_value(rng) for _ in range(1, 200)]
    end = rng.choice(["\n", "\r\n"])
    if quoting == "by hand":
        body = "".join(f"{i},{_by_hand(v)}{end}" for i, v in enumerate(values, 1))
        raw = f"category_id,name{end}{body}".encode()
    else:
        buffer = io.StringIO(newline="")
        writer = csv.writer(buffer, quoting=quoting, lineterminator=end)
        writer.writerow(["category_id", "name"])
        writer.writerows(enumerate(values, 1))
        raw = buffer.getvalue().encode("utf-8")
    (tmp_path / "categories.csv").write_bytes(raw)
    reader = csv.reader(io.StringIO(raw.decode(), newline=""), strict=True)
    next(reader)
    starts, rows, line = [], [], reader.line_num
    for row in reader:
        starts.append(line + 1)
        rows.append(row)
        line = reader.line_num
    text = read_csv_text(tmp_path / "categories.csv")
    assert text.lines.tolist() == starts
    assert text.frame.values.tolist() == rows
    loaded = load_crm(tmp_path, tables=["categories"]).categories
    assert loaded["name"].fillna("").tolist() == [r[1] for r in rows]  # "" is missing by default


# -- files that are refused: the message names the file, the line and the fix ---------------------

REFUSED = {
    "Windows-1256 without the option": (
        f"category_id,name\n1,Phones\n2,{ARABIC_1256}\n".encode("cp1256"), {},
        ["line 3", "Windows-1256", "ReadOptions(encoding='cp1256')"]),
    "Windows-1252 without the option": (
        "category_id,name\n1,Caf\u00e9\n".encode("cp1252"), {}, ["line 2", "ReadOptions(encoding='cp1252')"]),
    "UTF-16 without BOM": ("category_id,name\n1,Phones\n".encode("utf-16-le"), {},
                           ["UTF-16", "ReadOptions(encoding='utf-16-le')"]),
    "a BOM that contradicts the option": (codecs.BOM_UTF8 + b"category_id,name\n1,x\n", {"encoding": "cp1256"},
                                          ["UTF-8 byte-order mark", "encoding='cp1256'"]),
    "semicolons without the option": (b"category_id;name\n1;Phones\n", {},
                                      ["splits into 2 columns on ';'", "ReadOptions(delimiter=';')"]),
    "tabs without the option": (b"category_id\tname\n1\tPhones\n", {}, ["ReadOptions(delimiter='\\t')"]),
    "pipes without the option": (b"category_id|name\n1|Phones\n", {}, ["ReadOptions(delimiter='|')"]),
    "commas with a semicolon option": (b"category_id,name\n1,Phones\n", {"delimiter": ";"},
                                       ["ReadOptions(delimiter=',')"]),
    "a stray quote merges six rows into three": (
        b'category_id,name\n1,Laptops\n2,"Phones\n3,Tablets\n4,Printers\n5,Ink & Paper"\n6,Software\n', {},
        ["starts on line 3", "ends on line 6", "'\"Phones'", "6 data lines would make 3 rows",
         "remove the stray quote on line 3"]),
    "a quote never closed": (b'category_id,name\n1,Laptops\n2,"Phones\n3,Tablets\n', {},
                             ["line 3", "never closed", '"Phones', "two (\"\")"]),
    "text after a closing quote": (b'category_id,name\n1,"Ink" Paper\n', {},
                                   ["line 2", "after a closing double quote", "two (\"\")"]),
    "a row with too few fields": (b"category_id,name\n1,Laptops\n2\n3,Phones\n", {},
                                  ["line 3 has 1", "(2 fields)", "double quotes"]),
    "a row with too many fields": (b"category_id,name\n1,Ink, Paper\n", {}, ["line 2 has 3", "double quotes"]),
    "a space before an opening quote": (b'category_id,name\n1, "Ink, Paper"\n', {},
                                        ["line 2 has 3", "right after the delimiter"]),
    "an empty file": (b"", {}, ["is empty (0 bytes)", "header line"]),
    "an Excel workbook named .csv": (b"PK\x03\x04\x14\x00\x06\x00" + bytes(40), {}, ["Excel", "CSV UTF-8"]),
    "a Parquet file named .csv": (b"PAR1" + bytes(40), {}, ["Parquet", "rename it"]),
    "binary bytes": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(30), {}, ["binary", "export the table"]),
    "a column named twice": (b"category_id,name,name\n1,a,b\n", {}, ["`name` (columns [2, 3])", "rename"]),
    "a header column without a name": (b"category_id,name,\n1,a,\n", {}, ["column [3]", "delimiter at the end"]),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_file_is_refused_with_the_line_and_the_fix(tmp_path, case):
    raw, options, needles = REFUSED[case]
    with pytest.raises(DataFileError) as err:
        load_categories(tmp_path, raw, **options)
    message = str(err.value)
    assert "categories.csv" in message
    for needle in needles:
        assert needle in message, f"{needle!r} not in {message!r}"
    assert "make data" not in message, "`make data` is advice for the course's own folder only"


def test_python_csv_agrees_that_the_stray_quote_swallows_rows():
    """The refused merge is real: another reader also gets three rows from six lines."""
    raw = REFUSED["a stray quote merges six rows into three"][0]
    assert len(oracle(raw)) == 3 and raw.count(b"\n") - 1 == 6


# -- keys and column mappings -----------------------------------------------------------------------


def test_duplicate_primary_keys_name_the_lines_and_values(tmp_path):
    raw = b"category_id,name\n1,Laptops\n\n2,Phones\n1,Laptops again\n3,x\n2,y\n"
    with pytest.raises(SchemaError) as err:
        load_categories(tmp_path, raw)
    message = str(err.value)
    assert "categories.csv" in message and "4 rows whose key `category_id` is not unique (2 values)" in message
    assert "1 on lines 2, 5" in message and "2 on lines 4, 7" in message  # the blank line 3 is counted


def test_a_blank_text_key_is_refused(tmp_path):
    (tmp_path / "channels.csv").write_bytes(
        b"channel,is_online,direction,description\nweb,true,inbound,a\n,false,inbound,b\n")
    with pytest.raises(SchemaError, match=r"1 row without a key `channel`: on line 3"):
        load_crm(tmp_path, tables=["channels"])


def test_an_empty_parquet_file_of_an_export(tmp_path):
    (tmp_path / "categories.parquet").write_bytes(b"")
    with pytest.raises(DataFileError, match=r"`categories.parquet` is empty \(0 bytes\)"):
        load_crm(tmp_path, tables=["categories"])


def test_orphan_foreign_keys_are_counted_with_examples_and_the_fix(tmp_path):
    (tmp_path / "categories.csv").write_bytes(b"category_id,name\n1,Phones\n")
    (tmp_path / "products.csv").write_bytes(
        b"product_id,sku,category_id,name,list_price_cents,launched_on\n"
        b"10,A,1,a,100,2024-01-01\n11,B,7,b,100,2024-01-01\n12,C,7,c,100,2024-01-01\n13,D,8,d,100,2024-01-01\n")
    with pytest.raises(SchemaError) as err:
        load_crm(tmp_path, tables=["categories", "products"])
    message = str(err.value)
    assert "`products.category_id`" in message and "products.csv" in message
    assert "3 values that are not a `category_id` of table `categories`" in message
    assert "7 on lines 3, 4; 8 on line 5" in message and "Add the missing rows to `categories`" in message
    assert len(load_crm(tmp_path, tables=["products"]).products) == 4  # alone, products are not checked


def test_a_mapping_onto_a_column_the_file_has_is_refused(tmp_path):
    (tmp_path / "categories.csv").write_bytes(b"id,category_id,name\n1,1,a\n")
    with pytest.raises(SchemaError, match=r"`id` -> `category_id`, but .*categories.csv already has a column"):
        load_crm(tmp_path, tables=["categories"], columns={"categories": {"id": "category_id"}})


def test_two_files_for_one_table_are_refused(tmp_path):
    (tmp_path / "categories.csv").write_bytes(b"category_id,name\n1,new\n")
    pd.DataFrame({"category_id": [1], "name": ["old"]}).to_parquet(tmp_path / "categories.parquet")
    with pytest.raises(DataFileError, match="categories.parquet and categories.csv"):
        load_crm(tmp_path, tables=["categories"])


def test_options_must_be_read_options(tmp_path):
    (tmp_path / "categories.csv").write_bytes(b"category_id,name\n1,a\n")
    with pytest.raises(TypeError, match=r"`options` must be a ReadOptions.*a dict was passed"):
        load_crm(tmp_path, tables=["categories"], options={"encoding": "cp1256"})
