"""A mapping file: how a company's export meets the CRM schema, in one TOML file.

The analyst writes, next to (or above) the export's folder, a file such as
``datasets/examples/mapping.toml``::

    folder = "export"                 # relative to this file

    [read]                            # ReadOptions: encoding, delimiter, dayfirst, missing ...
    dayfirst = true

    [conventions]                     # Conventions: the company's clock, money, calendar, end of data
    timezone = "Europe/London"
    currency = "GBP"
    as_of = "2011-12-09"
    purchase_statuses = ["Complete"]

    [tables.orders]
    file = "sales.csv"                # any name, .csv or .parquet
    columns = { InvoiceNo = "order_id", CustomerID = "customer_id" }   # theirs = schema's
    units = { total_cents = "major" } # 139.12 pounds, not 139.12 pence
    dates = { ordered_at = "%d/%m/%Y %H:%M" }

:func:`read_mapping` reads and checks it all (every error names the mapping file, the
key and the fix; a misspelt key gets a suggestion); :func:`load_export` loads the export
it describes under the contract of :attr:`.schema.Table.required`. An Iranian company's
``[conventions]`` may add ``display_unit = "toman"``: rials stay as stored, reports show
toman (see :class:`~crmlab.conventions.Conventions`); an export written in toman loads
as exact rials with ``units = { total_cents = "toman" }`` (1500.5 toman are 15005 rials;
refused unless the currency is ``"IRR"``). Units may also be
given at the top as ``[units] "orders.total_cents" = "major"``. Times without an
offset are read in ``[read] timezone``, by default the ``[conventions]`` one; likewise
the calendar and the minor unit.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from types import MappingProxyType

from ..conventions import Conventions
from ..conventions import from_mapping as conventions_from_mapping
from ..errors import CrmlabError
from .crm import CRM
from .options import UNITS, ReadOptions
from .schema import TABLES

__all__ = ["ExportMapping", "MappingError", "TableMapping", "load_export", "read_mapping"]

_TOP = ("folder", "read", "conventions", "tables", "units")
_TABLE_KEYS = ("file", "columns", "units", "dates")
_CONVENTION_KEYS = tuple(f.name for f in fields(Conventions))
_READ_KEYS = tuple(f.name for f in fields(ReadOptions))


class MappingError(CrmlabError, ValueError):
    """A mapping file cannot be used: the message names the file, the key and the fix.

    Examples
    --------
    >>> print(MappingError("m.toml", "tables.orders.colums", "is not a known key", "write `columns`"))
    m.toml, key `tables.orders.colums`: is not a known key.
    How to fix it: write `columns`.
    """

    def __init__(self, source, key: str, problem: str, fix: str) -> None:
        self.source, self.key, self.problem, self.fix = str(source), key, problem, fix
        where = f", key `{key}`" if key else ""
        super().__init__(f"{source}{where}: {problem}.\nHow to fix it: {fix}.")


@dataclass(frozen=True)
class TableMapping:
    """How one table of the export is stored: its file and its column names.

    Attributes
    ----------
    file : str or None
        The file name, relative to the export's folder; None means ``<table>.csv`` or
        ``<table>.parquet``.
    columns : Mapping
        The export's column name -> the schema's column name.
    """

    file: str | None
    columns: Mapping[str, str]


@dataclass(frozen=True, eq=False)
class ExportMapping:
    """A checked mapping file: where the export is, how to read it, and whose conventions it has.

    Attributes
    ----------
    source : Path
        The mapping file.
    folder : Path
        The export's folder (absolute).
    tables : Mapping
        Table name -> :class:`TableMapping`, for the tables the export has.
    options : ReadOptions
        How to read the files.
    conventions : Conventions or None
        The company's conventions, when the file has a ``[conventions]`` table.

    Examples
    --------
    >>> m = read_mapping(EXAMPLE)
    >>> sorted(m.tables), m.files["orders"], m.conventions.currency
    (['customers', 'orders'], 'sales.csv', 'GBP')
    """

    source: Path
    folder: Path
    tables: Mapping[str, TableMapping]
    options: ReadOptions
    conventions: Conventions | None

    @property
    def files(self) -> dict[str, str]:
        """Table name -> file name, for the tables whose file is named in the mapping."""
        return {t: m.file for t, m in self.tables.items() if m.file is not None}

    @property
    def columns(self) -> dict[str, dict[str, str]]:
        """Table name -> {export column: schema column}, as ``load_crm(columns=...)`` takes it."""
        return {t: dict(m.columns) for t, m in self.tables.items() if m.columns}


#: The documented example mapping file of the course (a small shop's export).
EXAMPLE = Path(__file__).resolve().parents[2] / "datasets" / "examples" / "mapping.toml"


def read_mapping(path: str | os.PathLike) -> ExportMapping:
    """Read and check a TOML mapping file.

    Parameters
    ----------
    path : path-like
        The mapping file. Its ``folder`` is relative to the file's own folder.

    Returns
    -------
    ExportMapping

    Raises
    ------
    MappingError
        The file is missing or not TOML, a key is unknown (with the closest known key),
        a value has the wrong type, or names a table or column the schema lacks.

    Examples
    --------
    >>> m = read_mapping(EXAMPLE)
    >>> m.columns["orders"]["InvoiceNo"], m.options.unit("orders", "total_cents"), m.options.dayfirst
    ('order_id', 'major', True)
    """
    source = Path(path)
    if not source.is_file():
        raise MappingError(source, "", "the mapping file does not exist",
                           f"check the path (it is read from {Path.cwd()}); an example is {EXAMPLE}")
    try:
        data = tomllib.loads(source.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError:
        raise MappingError(source, "", "the mapping file is not UTF-8 text", "save it as UTF-8") from None
    except tomllib.TOMLDecodeError as err:
        raise MappingError(source, "", f"the file is not valid TOML ({err})",
                           'write `key = "text"`, `key = true`, `[table]` headers; quote names with spaces: '
                           '`"Order No" = "order_id"`') from None
    return _parse(data, source)


def load_export(mapping: ExportMapping | str | os.PathLike) -> CRM:
    """Load the export a mapping describes: its tables, exactly, under the export contract.

    Parameters
    ----------
    mapping : ExportMapping or path-like
        A mapping from :func:`read_mapping`, or the path of a mapping file.

    Returns
    -------
    CRM
        The export's tables (only those the mapping names), with ``crm.conventions``.

    Examples
    --------
    >>> crm = load_export(EXAMPLE)
    >>> crm.orders[["order_id", "total_cents"]].head(2).values.tolist()
    [[536365, 1530], [536366, 1110]]
    >>> crm.conventions.money(int(crm.orders["total_cents"].sum()))
    'GBP 217.70'
    """
    from .storage import load_crm

    m = mapping if isinstance(mapping, ExportMapping) else read_mapping(mapping)
    try:
        return load_crm(m.folder, tables=list(m.tables), columns=m.columns, options=m.options, files=m.files,
                        strict=False, conventions=m.conventions)
    except CrmlabError as err:  # the advice names Python options: say where they go in this file
        err.add_note(in_the_mapping(m.source))
        raise


def in_the_mapping(source: str | os.PathLike) -> str:
    """Where the options an error names go in a mapping file.

    Examples
    --------
    >>> print(in_the_mapping("mapping.toml").splitlines()[0])
    In mapping.toml, the options named above go under [read] (dayfirst = true, timezone = "Europe/London",
    """
    return (f"In {Path(source).name}, the options named above go under [read] (dayfirst = true, "
            'timezone = "Europe/London",\n'
            'encoding = "cp1256", delimiter = ";", calendar = "jalali", missing = ["", "NA"]); per column, '
            "date formats go under\n[tables.NAME.dates] (ordered_at = \"%d/%m/%Y\" or \"epoch_s\") and money "
            'units under [tables.NAME.units] (total_cents = "major").')


# -- checking ---------------------------------------------------------------------------------


def _unknown(source: Path, where: str, data: Mapping, known: tuple[str, ...]) -> None:
    for key in data:
        if key not in known:
            close = difflib.get_close_matches(str(key), known, n=1)
            hint = f"did you mean `{close[0]}`? " if close else ""
            raise MappingError(source, f"{where}{key}", "is not a key a mapping file knows",
                               f"{hint}the keys here are {list(known)}")


def _table(source: Path, key: str, value: object, example: str) -> Mapping:
    if not isinstance(value, Mapping):
        raise MappingError(source, key, f"must be a TOML table, but it is {value!r}", f"write it as {example}")
    return value


def _parse(data: Mapping, source: Path) -> ExportMapping:
    _unknown(source, "", data, _TOP)
    folder = data.get("folder", ".")
    if not isinstance(folder, str) or not folder:
        raise MappingError(source, "folder", f"must be a folder path as text, but it is {folder!r}",
                           'write e.g. folder = "export" (relative to the mapping file)')
    base = (source.parent / folder).resolve()
    if not base.is_dir():
        raise MappingError(source, "folder", f"the folder {str(base)!r} does not exist",
                           f"give the export's folder relative to {source.parent.resolve()}")
    conventions = None
    if "conventions" in data:
        values = _table(source, "conventions", data["conventions"], '[conventions] timezone = "Europe/London"')
        _unknown(source, "conventions.", values, _CONVENTION_KEYS)
        try:
            conventions = conventions_from_mapping(values)
        except (ValueError, TypeError) as err:
            raise MappingError(source, "conventions", str(err).rstrip("."), "correct that value in [conventions]") \
                from None
    tables_data = _table(source, "tables", data.get("tables"), '[tables.orders] file = "orders.csv"') \
        if "tables" in data else None
    if not tables_data:
        raise MappingError(source, "tables", "the mapping names no table of the export",
                           'add at least [tables.orders] with file = "your orders file.csv"')
    tables, units, dates = {}, {}, {}
    for name, spec in tables_data.items():
        if name not in TABLES:
            close = difflib.get_close_matches(name, list(TABLES), n=1)
            hint = f"did you mean `{close[0]}`? " if close else ""
            raise MappingError(source, f"tables.{name}", "is not a table of the CRM schema",
                               f"{hint}the tables are {sorted(TABLES)} (see datasets/README.md)")
        spec = _table(source, f"tables.{name}", spec, f'[tables.{name}] file = "{name}.csv"')
        _unknown(source, f"tables.{name}.", spec, _TABLE_KEYS)
        tables[name] = TableMapping(_file(source, name, spec.get("file")), _columns(source, name, spec))
        for column, unit in _schema_keyed(source, name, spec, "units").items():
            if unit not in UNITS:
                raise MappingError(source, f"tables.{name}.units.{column}", f"must be one of {list(UNITS)}, "
                                   f"not {unit!r}", '"major" when 139.12 means 13912 minor units (cents, pence)')
            units[f"{name}.{column}"] = unit
        for column, fmt in _schema_keyed(source, name, spec, "dates").items():
            dates[f"{name}.{column}"] = fmt
    top = _table(source, "units", data.get("units", {}), '[units] "orders.total_cents" = "major"')
    for key, unit in top.items():  # the same as [tables.NAME.units], keyed "table.column"
        name, _, column = str(key).partition(".")
        if name not in tables:
            raise MappingError(source, f"units.{key}", f"must be \"table.column\" of a table in [tables] "
                               f"({sorted(tables)})", 'write e.g. "orders.total_cents" = "major"')
        one = _schema_keyed(source, name, {"units": {column: unit}}, "units")
        if unit not in UNITS or f"{name}.{column}" in units:
            raise MappingError(source, f"units.{key}", f"must be given once, as one of {list(UNITS)}",
                               '"major" when 139.12 means 13912 minor units (cents, pence)')
        units.update({f"{name}.{c}": u for c, u in one.items()})
    options = _options(source, data.get("read", {}), units, dates, conventions)
    return ExportMapping(source.resolve(), base, MappingProxyType(tables), options, conventions)


def _file(source: Path, name: str, file: object) -> str | None:
    if file is None:
        return None
    if not isinstance(file, str) or Path(file).suffix.lower() not in (".csv", ".parquet"):
        raise MappingError(source, f"tables.{name}.file", f"must be a file name ending in .csv or .parquet, "
                           f"but it is {file!r}", "save the table as CSV (UTF-8) or Parquet and give its name")
    return file


def _columns(source: Path, name: str, spec: Mapping) -> Mapping[str, str]:
    renames = _table(source, f"tables.{name}.columns", spec.get("columns", {}),
                     f'[tables.{name}.columns] "Your column" = "{next(iter(TABLES[name].dtypes))}"')
    schema = list(TABLES[name].dtypes)
    seen: dict[str, str] = {}
    for theirs, ours in renames.items():
        key = f"tables.{name}.columns.{theirs}"
        if not isinstance(ours, str) or ours not in schema:
            close = difflib.get_close_matches(str(ours), schema, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise MappingError(source, key, f"maps to {ours!r}, which is not a column of `{name}`",
                               f"{hint}map each of your columns to one of {schema}")
        if ours in seen:
            raise MappingError(source, key, f"maps a second column to {ours!r} (after {seen[ours]!r})",
                               "keep one of them: a table has each column once")
        seen[ours] = theirs
    return MappingProxyType(dict(renames))


def _schema_keyed(source: Path, name: str, spec: Mapping, what: str) -> Mapping[str, str]:
    values = _table(source, f"tables.{name}.{what}", spec.get(what, {}), f"{what} = {{ column = \"...\" }}")
    schema = TABLES[name].dtypes
    for column, value in values.items():
        key = f"tables.{name}.{what}.{column}"
        if column not in schema:
            close = difflib.get_close_matches(column, list(schema), n=1)
            hint = f"did you mean `{close[0]}`? " if close else ""
            raise MappingError(source, key, f"`{column}` is not a column of `{name}`",
                               f"{hint}use the schema's column name (after renaming): {list(schema)}")
        if what == "dates" and not schema[column].startswith("datetime64"):
            raise MappingError(source, key, f"`{name}.{column}` is not a date column", "remove this entry")
        if what == "units" and "int" not in schema[column].lower():
            raise MappingError(source, key, f"`{name}.{column}` is not an amount column", "remove this entry")
        if not isinstance(value, str):
            raise MappingError(source, key, f"must be text, but it is {value!r}",
                               '"%d/%m/%Y %H:%M", "epoch_s" or "excel" for dates; "major" or "minor" for units')
    return values


def _options(source: Path, read: object, units: dict, dates: dict, conventions: Conventions | None) -> ReadOptions:
    read = dict(_table(source, "read", read, "[read] dayfirst = true"))
    _unknown(source, "read.", read, _READ_KEYS)
    for field, extra in (("units", units), ("date_formats", dates)):
        given = dict(_table(source, f"read.{field}", read.get(field, {}), f'{field} = {{ "orders.x" = "..." }}'))
        twice = sorted(set(given) & set(extra))
        if twice:
            raise MappingError(source, f"read.{field}", f"{twice} are also given under [tables]",
                               "give each column's entry once")
        read[field] = {**given, **extra}
    if conventions is not None:  # how the files are written defaults to how the company counts
        for field in ("calendar", "timezone"):
            read.setdefault(field, getattr(conventions, field))
        if "minor_unit" in read and read["minor_unit"] != conventions.minor_unit:
            raise MappingError(source, "read.minor_unit", f"is {read['minor_unit']!r}, but [conventions] says "
                               f"{conventions.currency} has {conventions.minor_unit} decimals",
                               "remove `minor_unit` from [read] (it follows [conventions]), or make them agree")
        read.setdefault("minor_unit", conventions.minor_unit)
    toman = sorted(key for key, unit in read.get("units", {}).items() if unit == "toman")
    if toman and (conventions is None or conventions.currency != "IRR"):
        currency = "no [conventions] currency" if conventions is None else f"currency {conventions.currency!r}"
        raise MappingError(source, f"units.{toman[0]}", f"is \"toman\", ten rials, but the mapping has {currency}",
                           'set [conventions] currency = "IRR", or use "major" or "minor" for this column')
    try:
        return ReadOptions.from_mapping(read)
    except (ValueError, TypeError) as err:
        raise MappingError(source, "read", str(err).rstrip("."), "correct that value in [read]") from None
