"""Reading one CSV file as text, exactly: every line accounted for, or an error naming it.

:func:`read_csv_text` returns every column as text (casting is the schema's job) with
the file line on which each row starts (the header is line 1). It refuses, with the
line and the fix, what other readers change silently: bytes that are not in the
encoding, a delimiter that is not the file's, rows with too many or too few fields,
a stray double quote that merges the rows after it into one value, a value after a
closing quote, duplicate or empty column names, an empty file, and a file that is
not text at all (an Excel workbook, a Parquet file).
"""

from __future__ import annotations

import codecs
import io
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from ..errors import DataFileError

__all__ = ["CsvText", "read_csv_text"]

_QUOTE, _LF, _CR = 34, 10, 13
_CANDIDATES = (",", ";", "\t", "|")
_BOMS = (  # UTF-32 first: its little-endian mark starts with UTF-16's
    (codecs.BOM_UTF32_LE, "utf-32", "UTF-32"), (codecs.BOM_UTF32_BE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF8, "utf-8-sig", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16", "UTF-16"), (codecs.BOM_UTF16_BE, "utf-16", "UTF-16"),
)
_EXCEL = "open it in Excel and save it as 'CSV UTF-8 (Comma delimited)'"
_MAGIC = (
    (b"PK\x03\x04", "an Excel workbook (.xlsx) or a zip archive", _EXCEL),
    (b"\xd0\xcf\x11\xe0", "an old Excel workbook (.xls)", _EXCEL),
    (b"PAR1", "a Parquet file", "rename it to end in .parquet"),
    (b"%PDF", "a PDF document", "export the table from its system as CSV instead"),
    (b"SQLite format 3", "an SQLite database", "export each table as CSV (sqlite3: .mode csv, .headers on)"),
)
_OPTION = "pass `options=ReadOptions({})` to load_crm"


@dataclass(frozen=True)
class CsvText:
    """A CSV file read as text: its rows, and the file line where each row starts.

    Attributes
    ----------
    frame : DataFrame
        Every column as text, named exactly as in the header; an empty field is ``""``.
    lines : Series
        File line number (header = line 1) on which each row of ``frame`` starts.
    encoding : str
        The encoding used.
    delimiter : str
        The delimiter used.
    """

    frame: pd.DataFrame
    lines: pd.Series
    encoding: str
    delimiter: str


def read_csv_text(
    path: str | os.PathLike, *, encoding: str | None = None, delimiter: str | None = None,
    expected: tuple[str, ...] = (),
) -> CsvText:
    """Read a CSV file with every value as text, refusing anything that would lose or merge rows.

    Parameters
    ----------
    path : path-like
        The CSV file.
    encoding : str, optional
        Text encoding. By default UTF-8; a UTF-8, UTF-16 or UTF-32 byte-order mark is honoured.
    delimiter : str, optional
        Field separator, ``","`` by default.
    expected : tuple of str, optional
        The column names the caller expects, named when the header seems split wrongly.

    Returns
    -------
    CsvText

    Raises
    ------
    DataFileError
        With the file, the line and the fix, when the file cannot be read exactly.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> file = pathlib.Path(tempfile.mkdtemp()) / "notes.csv"
    >>> _ = file.write_bytes(b'id,note\\n1,"two\\nlines"\\n2,NA\\n')
    >>> text = read_csv_text(file)
    >>> text.frame.values.tolist(), text.lines.tolist()
    ([['1', 'two\\nlines'], ['2', 'NA']], [2, 4])
    """
    file = Path(path)
    raw = file.read_bytes()
    if not raw or raw.isspace():
        raise DataFileError(
            file, f"`{file.name}` is empty ({len(raw)} bytes)",
            "export the table again: even a table with no rows needs its header line (the column names)",
        )
    text, used = _decode(raw, file, encoding)
    delim = delimiter or ","
    _check_header_delimiter(text, file, delim, expected)
    data = raw if used == "utf-8" else text.encode("utf-8")  # valid UTF-8 (it decoded) is its own encoding
    del text  # a file's worth of memory, not needed any more
    return _parse(data, file, delim, used)


def _decode(raw: bytes, file: Path, encoding: str | None) -> tuple[str, str]:
    for bom, codec, label in _BOMS:
        if raw.startswith(bom):
            if encoding and not codecs.lookup(encoding).name.startswith(codecs.lookup(codec).name[:6]):
                raise DataFileError(
                    file, f"`{file.name}` starts with a {label} byte-order mark, but encoding={encoding!r} was given",
                    f"leave the encoding out (the mark says {label}), or {_OPTION.format(repr(codec))}",
                )
            return _strict_decode(raw, file, codec, label), codec
    _refuse_binary(raw, file, encoding)
    codec = encoding or "utf-8"
    return _strict_decode(raw, file, codec, "UTF-8" if codec == "utf-8" else codec).removeprefix("\ufeff"), codec


def _strict_decode(raw: bytes, file: Path, codec: str, label: str) -> str:
    try:
        return raw.decode(codec)
    except UnicodeDecodeError as err:
        line = raw.count(b"\n", 0, err.start) + 1
        byte = err.start - (raw.rfind(b"\n", 0, err.start) + 1) + 1
        name, guess = _guess_encoding(raw)
        sample = raw[raw.rfind(b"\n", 0, err.start) + 1:][:60].split(b"\n")[0].decode(guess, "replace")
        raise DataFileError(
            file,
            f"`{file.name}` is not {label} text: line {line}, byte {byte} of the line (byte {err.start} of the file) "
            f"is 0x{raw[err.start]:02X}",
            f"the bytes look like {name}, where line {line} reads {sample!r}: {_OPTION.format(f'encoding={guess!r}')}, "
            f"or save the file again as UTF-8 (in Excel: Save As, 'CSV UTF-8')",
        ) from None


def _guess_encoding(raw: bytes) -> tuple[str, str]:
    """Windows-1256 when the non-ASCII bytes read as Arabic-script letters, else Windows-1252 or Latin-1."""
    arr = np.frombuffer(raw, np.uint8)
    high = arr[arr >= 0x80][:20_000].tobytes().decode("cp1256", "replace")
    arabic = sum("\u0600" <= ch <= "\u06ff" or ch == "\u200c" for ch in high)
    if high and arabic >= 0.6 * len(high):
        return "Windows-1256 (Persian or Arabic)", "cp1256"
    try:
        raw.decode("cp1252")
    except UnicodeDecodeError:
        return "Latin-1", "latin-1"
    return "Windows-1252 (Western European)", "cp1252"


def _utf16_without_mark(head: bytes) -> str | None:
    """``"utf-16-le"``/``"utf-16-be"`` when ``head`` reads as UTF-16 text lines, else None.

    ASCII text in UTF-16 has a 0 in one byte of each pair; Persian text does not, so the test is
    whether one byte order gives printable text holding line breaks or delimiters (the other order
    turns each newline into an unassigned character).
    """
    odd, even = head[1::2].count(0) / len(head[1::2] or b"."), head[0::2].count(0) / len(head[0::2] or b".")
    if max(odd, even) > 0.8 and min(odd, even) < 0.05:
        return "utf-16-le" if odd > even else "utf-16-be"
    for codec in ("utf-16-le", "utf-16-be"):
        sample = head[: len(head) // 2 * 2].decode(codec, "replace")
        readable = sum(ch.isprintable() or ch in "\t\r\n" for ch in sample)
        if sample and readable >= 0.95 * len(sample) and any(ch in sample for ch in "\n\t,;|"):
            return codec
    return None


def _refuse_binary(raw: bytes, file: Path, encoding: str | None) -> None:
    head = raw[:4096]
    for magic, kind, fix in _MAGIC:
        if head.startswith(magic):
            raise DataFileError(file, f"`{file.name}` is not a CSV text file: it is {kind}", fix)
    if encoding or b"\x00" not in head:
        return
    codec = _utf16_without_mark(head)
    if codec:
        raise DataFileError(
            file, f"`{file.name}` looks like UTF-16 text without a byte-order mark (every other byte is 0)",
            f"{_OPTION.format(f'encoding={codec!r}')}, or save the file again as UTF-8",
        )
    raise DataFileError(
        file, f"`{file.name}` is not a CSV text file: it holds binary bytes (0x00 at byte {head.index(0)})",
        "export the table as CSV (UTF-8) or Parquet and put that file in the folder",
    )


def _check_header_delimiter(text: str, file: Path, delim: str, expected: tuple[str, ...]) -> None:
    header = next((line for line in text[:65536].splitlines() if line.strip()), "")
    if delim in header:
        return
    for other in _CANDIDATES:
        parts = header.split(other)
        if other != delim and len(parts) > 1:
            known = [p for p in parts if p.strip().strip('"') in expected]
            also = f"; {len(known)} of them are the schema's ({known})" if expected else ""
            raise DataFileError(
                file,
                f"`{file.name}` has a header of one column when read with the delimiter {delim!r}, "
                f"but it splits into {len(parts)} columns on {other!r}{also}",
                f"{_OPTION.format(f'delimiter={other!r}')}",
            )


# -- the structure: quoted values, records, lines -------------------------------------------------


def _parse(data: bytes, file: Path, delim: str, encoding: str) -> CsvText:
    arr = np.frombuffer(data, np.uint8)
    d = ord(delim)
    spans = _strict_spans(arr, d)
    strict = spans is not None
    if spans is None:
        spans = _scan_spans(data, file, delim)
    newlines = _newlines(arr, data)
    quoted = _inside(newlines, spans)
    ends = newlines[~quoted]
    starts = np.r_[0, ends + 1]
    stops = np.r_[ends, len(arr)]
    if starts[-1] >= len(arr):
        starts, stops = starts[:-1], stops[:-1]
    keep = _solid(data, arr, starts, stops, delim)
    lines = np.searchsorted(newlines, starts, "left") + 1  # line of each record's first byte
    head, rows = keep[0], keep[1:]
    width = int(_fields(arr, d, starts[head:head + 1], spans, stops[head] + 1)[0])
    if quoted.any():  # else no quoted value spans lines
        _check_multiline(data, file, spans, newlines, width, delim, len(rows))
    table = None
    if strict and len(keep) == len(starts):  # RFC 4180 quotes and no blank lines: Arrow reads it as pandas
        table = _arrow_values(data, delim, len(rows), width, bool(quoted.any()))  # None if a row is ragged
    if table is None:
        fields = _fields(arr, d, starts, spans, len(arr))
        _check_ragged(data, file, rows, fields, width, lines, starts, stops, delim)
        table = pd.read_csv(
            io.BytesIO(data), sep=delim, header=None, dtype=str, keep_default_na=False, na_filter=False,
            index_col=False, quotechar='"', doublequote=True, skip_blank_lines=True, encoding="utf-8",
        )
    frame = _frame(table, file, len(rows))
    return CsvText(frame, pd.Series(lines[rows], name="line", dtype="int64"), encoding, delim)


def _fields(
    arr: np.ndarray, d: int, starts: np.ndarray, spans: tuple[np.ndarray, np.ndarray], end: int,
) -> np.ndarray:
    """Fields of the records that begin at ``starts`` (the last one ends at ``end``).

    A record's fields are its delimiters outside quoted values, plus one. Records and
    quoted values follow each other in order, so sums over runs of the delimiter mask
    count them without listing every delimiter.
    """
    delims = (arr[:end] == d).view(np.uint8)
    count = np.int32 if end < 2**31 else np.int64  # numpy sums into int32 several times faster
    fields = np.add.reduceat(delims, starts, dtype=count).astype(np.int64) + 1
    opens, closes = spans
    within = opens < end
    opens, closes = opens[within], np.minimum(closes[within], end - 1)
    if opens.size:
        inner = np.add.reduceat(delims, np.column_stack([opens, closes]).ravel(), dtype=count)[0::2]
        record = np.searchsorted(starts, opens, "right") - 1
        fields -= np.bincount(record, weights=inner, minlength=len(starts)).astype(np.int64)
    return fields


def _newlines(arr: np.ndarray, data: bytes) -> np.ndarray:
    """Positions that end a line: LF, and a CR not followed by LF (old Mac files)."""
    lf = np.flatnonzero(arr == _LF)
    cr = np.flatnonzero(arr == _CR) if b"\r" in data else lf[:0]  # bytes search: fast
    lone = cr[arr[np.minimum(cr + 1, len(arr) - 1)] != _LF] if cr.size else cr
    return np.union1d(lf, lone) if lone.size else lf


def _solid(data: bytes, arr: np.ndarray, starts: np.ndarray, stops: np.ndarray, delim: str) -> np.ndarray:
    """Records that are not blank: pandas skips empty lines and lines of only spaces or tabs."""
    space = bytes(c for c in b" \t\r" if chr(c) != delim)
    first = arr[np.minimum(starts, len(arr) - 1)]
    maybe = np.flatnonzero((starts >= stops) | np.isin(first, np.frombuffer(space, np.uint8)))
    blank = [i for i in maybe if not data[starts[i]:stops[i]].strip(space)]
    return np.setdiff1d(np.arange(len(starts)), blank) if blank else np.arange(len(starts))


def _strict_spans(arr: np.ndarray, d: int) -> tuple[np.ndarray, np.ndarray] | None:
    """Quoted values when every quote opens at a value's start and closes before a delimiter (RFC 4180)."""
    q = np.flatnonzero(arr == _QUOTE)
    if not q.size:
        return q, q
    if q.size % 2:
        return None
    opens, closes = q[0::2], q[1::2]
    edge = np.zeros(256, bool)  # a lookup table: faster than np.isin on millions of quotes
    edge[[d, _LF, _CR, _QUOTE]] = True
    ok_open = edge[arr[np.maximum(opens - 1, 0)]] | (opens == 0)
    ok_close = edge[arr[np.minimum(closes + 1, len(arr) - 1)]] | (closes == len(arr) - 1)
    if not (ok_open.all() and ok_close.all()):
        return None
    joined = opens[1:] == closes[:-1] + 1  # "" inside a quoted value
    return opens[np.r_[True, ~joined]], closes[np.r_[~joined, True]]


def _scan_spans(data: bytes, file: Path, delim: str) -> tuple[np.ndarray, np.ndarray]:
    """Quoted values as pandas and Python's csv read them: a quote inside a value is a plain character."""
    d = re.escape(delim.encode())
    opener = re.compile(rb'(?:\A|(?<=[' + d + rb'\r\n]))"')
    closer = re.compile(rb'[^"]*(?:""[^"]*)*"')
    opens, closes, pos = [], [], 0
    while (m := opener.search(data, pos)) is not None:
        start = m.start()
        c = closer.match(data, start + 1)
        if c is None:
            raise DataFileError(
                file, f"`{file.name}` has a double quote on line {_line(data, start)} that is never "
                f"closed: the value {_start(data, start)} runs to the end of the file",
                "remove the stray double quote, or write a quote that belongs to the text as two (\"\")",
            )
        end = c.end() - 1
        after = data[end + 1:end + 2]
        if after not in (b"", delim.encode(), b"\n", b"\r"):
            raise DataFileError(
                file, f"`{file.name}` has text after a closing double quote on line {_line(data, end)}: the "
                f"quoted value that opens on line {_line(data, start)} with {_start(data, start)} is followed by "
                f"{after.decode(errors='replace')!r}",
                "put the whole value in quotes and write a quote inside it as two (\"\"), or remove the stray quote",
            )
        opens.append(start)
        closes.append(end)
        pos = end + 1
    return np.array(opens, np.int64), np.array(closes, np.int64)


def _line(data: bytes, pos: int) -> int:
    """File line of byte ``pos``: lines end at LF, CRLF or a lone CR."""
    return data.count(b"\n", 0, pos) + data.count(b"\r", 0, pos) - data.count(b"\r\n", 0, pos) + 1


def _inside(pos: np.ndarray, spans: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Which of the sorted positions ``pos`` fall in a quoted value (``open <= pos < close``)."""
    opens, closes = spans
    if not opens.size:
        return np.zeros(len(pos), bool)
    if len(opens) > len(pos):  # one search per position: the last value opened at or before it
        i = np.searchsorted(opens, pos, "right") - 1
        return (i >= 0) & (pos < closes[np.maximum(i, 0)])
    # the spans are sorted and disjoint: mark each one's run of positions, without a search per position
    first, after = np.searchsorted(pos, opens, "left"), np.searchsorted(pos, closes, "left")
    edges = np.bincount(first, minlength=len(pos) + 1) - np.bincount(after, minlength=len(pos) + 1)
    return np.cumsum(edges[:-1]) > 0


def _start(data: bytes, quote: int) -> str:
    value = data[quote:quote + 40].split(b"\n")[0].decode("utf-8", "replace")
    return repr(value + ("..." if len(value) >= 40 else ""))


def _check_multiline(data, file, spans, newlines, width, delim, nrows) -> None:
    """A value over several lines is kept only when no line it takes in looks like a row of its own."""
    opens, closes = spans
    inner = np.searchsorted(newlines, closes) - np.searchsorted(newlines, opens)
    for i in np.flatnonzero(inner):
        pieces = data[opens[i] + 1:closes[i]].splitlines()[1:]
        rowlike = [p for p in pieces if p.count(delim.encode()) >= max(width - 1, 1)]
        if rowlike:
            first, last = (int(np.searchsorted(newlines, p)) + 1 for p in (opens[i], closes[i]))
            physical = len(data.rstrip(b"\r\n").splitlines()) - 1
            raise DataFileError(
                file,
                f"`{file.name}` has a quoted value that starts on line {first} with {_start(data, opens[i])} and "
                f"ends on line {last}, taking in {len(rowlike)} line(s) that look like rows of their own "
                f"(e.g. {rowlike[0].decode('utf-8', 'replace')!r}); read as written, the file's {physical} "
                f"data lines would make {nrows} rows",
                f"a double quote at the start of a value opens text that ends only at the next quote: remove the "
                f"stray quote on line {first}, or write a quote that belongs to the text as two (\"\")",
            )


def _check_ragged(data, file, rows, fields, width, lines, starts, stops, delim) -> None:
    bad = rows[fields[rows] != width]
    if not bad.size:
        return
    shown = ", ".join(f"line {lines[r]} has {fields[r]}" for r in bad[:5])
    quoted = [int(lines[r]) for r in bad[:5] if b'"' in data[starts[r]:stops[r]]]
    hint = (f" If a double quote on line(s) {quoted} should enclose a value, it must come right after the "
            f"delimiter: after a space or inside a value it is a plain character." if quoted else "")
    raise DataFileError(
        file,
        f"`{file.name}` has {bad.size} row(s) with a different number of fields than its header "
        f"({width} fields): {shown}",
        f"a value that contains the delimiter {delim!r} must be in double quotes; check these lines in a text "
        f"editor, or if the file uses another delimiter {_OPTION.format('delimiter=...')}.{hint}",
    )


def _frame(table: pd.DataFrame, file: Path, nrows: int) -> pd.DataFrame:
    """The rows under the header's names, once their count matches the records found."""
    if len(table) - 1 != nrows:  # never expected: the structure above and pandas disagree
        raise DataFileError(
            file, f"`{file.name}` could not be read exactly: {nrows} rows by its lines, {len(table) - 1} by pandas",
            "open the file in a text editor, look for unusual quotes or line breaks, and save it as plain CSV UTF-8",
        )
    names = table.iloc[0].tolist()
    _check_names(file, names)
    frame = table.iloc[1:].reset_index(drop=True)
    frame.columns = names
    return frame


def _arrow_values(data: bytes, delim: str, nrows: int, width: int, multiline: bool) -> pd.DataFrame | None:
    """The rows as pandas reads them, by Arrow's multithreaded reader; None when it reads another count.

    Called only for files whose quotes all follow RFC 4180 and that have no blank lines, where
    both readers agree (tests/test_load_files.py compares either with Python's csv module).
    """
    names = [f"f{i}" for i in range(width)]
    read = pacsv.ReadOptions(column_names=names, block_size=1 << 24)
    parse = pacsv.ParseOptions(delimiter=delim, quote_char='"', double_quote=True, escape_char=False,
                               newlines_in_values=multiline, ignore_empty_lines=False)
    convert = pacsv.ConvertOptions(column_types=dict.fromkeys(names, pa.large_string()), null_values=[],
                                   strings_can_be_null=False, quoted_strings_can_be_null=False)
    try:
        table = pacsv.read_csv(io.BytesIO(data), read_options=read, parse_options=parse, convert_options=convert)
    except pa.ArrowInvalid:
        return None
    if table.num_rows - 1 != nrows:
        return None
    text = pd.StringDtype("pyarrow", na_value=np.nan)  # the dtype pandas gives for dtype=str
    return pd.DataFrame({i: pd.Series(pd.arrays.ArrowStringArray(col, dtype=text), copy=False)
                         for i, col in enumerate(table.columns)})


def _check_names(file: Path, names: list[str]) -> None:
    empty = [i + 1 for i, n in enumerate(names) if not n.strip()]
    if empty:
        raise DataFileError(
            file, f"`{file.name}` has a header column without a name (column {empty})",
            "give every column a name in the header, or remove the delimiter at the end of each line",
        )
    seen: dict[str, list[int]] = {}
    for i, n in enumerate(names):
        seen.setdefault(n, []).append(i + 1)
    twice = {n: pos for n, pos in seen.items() if len(pos) > 1}
    if twice:
        shown = "; ".join(f"`{n}` (columns {pos})" for n, pos in twice.items())
        raise DataFileError(
            file, f"`{file.name}` has columns with the same name: {shown}",
            "rename or remove one of each pair in the file, so every column of a table has its own name",
        )
