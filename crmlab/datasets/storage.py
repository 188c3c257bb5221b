"""Reading and writing a CRM database as a folder of files, one per table.

The course's default database is committed in ``datasets/crm/`` (and packaged as
``crmlab/datasets/data/crm`` in a wheel): one ``<table>.parquet`` per table and a
``truth.json`` with the planted truths. A company's export is a folder of
``<table>.csv`` or ``<table>.parquet`` files (or files of any name, passed as
``files=``): each is read exactly (CSV files by :mod:`.csvfiles`), cast by the schema,
and its keys checked (:mod:`.keys`), or the load fails with the file, the line and the
fix. The course's folder must have every column of the schema; an export only the
required ones (:attr:`.schema.Table.required`), and keeps its extra columns. Advice to
run ``make data`` is given only for the course's own folder.
"""

from __future__ import annotations

import copy
import functools
import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd

from ..conventions import COURSE, Conventions
from ..errors import DataFileError, SchemaError
from .crm import CRM
from .csvfiles import read_csv_text
from .keys import duplicate_keys, orphan_keys
from .options import ReadOptions
from .schema import TABLES, apply_schema

__all__ = ["default_path", "key_problems", "load_crm", "read_table_file", "save_crm", "table_file"]

_PACKAGED = Path(__file__).parent / "data" / "crm"
_CHECKOUT = Path(__file__).resolve().parents[2] / "datasets" / "crm"


def default_path() -> Path:
    """Folder of the default CRM: ``$CRMLAB_DATA``, the packaged copy, or the checkout's.

    Examples
    --------
    >>> (default_path() / "customers.parquet").exists()
    True
    """
    if os.environ.get("CRMLAB_DATA"):
        return Path(os.environ["CRMLAB_DATA"])
    return _PACKAGED if _PACKAGED.is_dir() else _CHECKOUT


def save_crm(crm: CRM, path: str | os.PathLike) -> Path:
    """Write every table of ``crm`` to ``path/<table>.parquet`` and its truths to ``truth.json``.

    Examples
    --------
    >>> import tempfile
    >>> from crmlab.datasets import generate_crm
    >>> folder = save_crm(generate_crm(200, seed=3), tempfile.mkdtemp())
    >>> (folder / "orders.parquet").exists()
    True
    """
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    for name, df in crm.items():
        df.to_parquet(folder / f"{name}.parquet", index=False, compression="zstd")
    (folder / "truth.json").write_text(json.dumps(crm.truth, indent=1, sort_keys=True) + "\n")
    return folder


def load_crm(
    path: str | os.PathLike | None = None,
    tables: Iterable[str] | None = None,
    columns: Mapping[str, Mapping[str, str]] | None = None,
    options: ReadOptions | None = None,
    *,
    files: Mapping[str, str | os.PathLike] | None = None,
    strict: bool | None = None,
    conventions: Conventions | None = None,
) -> CRM:
    """Load the CRM database: every table as a typed DataFrame, every row exactly, or an error.

    Parameters
    ----------
    path : path-like, optional
        A folder with one file per table, ``<table>.parquet`` or ``<table>.csv`` (a
        company's own export, or the folder written by :func:`save_crm`). By default
        the course's database.
    tables : iterable of str, optional
        Load only these tables (names as in ``datasets/README.md``).
    columns : dict, optional
        Column mapping for an export whose names differ from the schema's:
        ``{"orders": {"OrderNo": "order_id", "Total": "total_cents"}}``. Every table is
        then checked against the schema: a missing column or a value of the wrong type
        is reported with the file, the column and the fix; no row is dropped.
    options : ReadOptions, optional
        The export's conventions (encoding, delimiter, date formats, units, time zone...);
        by default those of the course's database.
    files : dict, optional
        Table name -> file name (relative to ``path``, or absolute), for files named
        otherwise than ``<table>.csv``: ``{"orders": "sales_2011.csv"}``. The name must end
        in ``.csv`` or ``.parquet``.
    strict : bool, optional
        True: every table must have exactly the schema's columns. False: the contract for
        an export, only the required columns (``TABLES[name].required``); optional columns
        may be absent (they are not added) and extra columns are kept after the schema's.
        By default True for the course's own folder and False for any other. Key checks
        that need an absent column are skipped (:func:`crmlab.datasets.check_export` lists them).
    conventions : Conventions, optional
        The company's conventions, kept as ``crm.conventions`` (by default
        :data:`crmlab.conventions.COURSE` for the course's folder, None otherwise).

    Returns
    -------
    CRM
        Table name -> DataFrame; ``crm.truth`` holds the planted truths, ``crm.conventions``
        the conventions.

    Raises
    ------
    DataFileError
        A file is missing, present twice (CSV and Parquet), empty, not text, in another
        encoding or delimiter than the one given, or has rows that are cut or merged.
    SchemaError
        A column is missing, named twice, or holds a value its type cannot take; or a
        primary key repeats, or a foreign key points at a row the tables loaded lack.

    Examples
    --------
    >>> from crmlab.datasets import load_crm
    >>> crm = load_crm(tables=["customers", "orders"])
    >>> sorted(crm)
    ['customers', 'orders']
    >>> crm.orders["ordered_at"].dt.tz
    datetime.timezone.utc
    """
    folder = Path(path) if path is not None else default_path()
    names = _table_names(tables)
    if options is None:
        options = ReadOptions()
    elif not isinstance(options, ReadOptions):
        raise TypeError(
            f"The value for `options` must be a ReadOptions, e.g. `ReadOptions(encoding='cp1256')`, "
            f"but a {type(options).__name__} was passed."
        )
    course = _is_course(folder)
    if strict is None:
        strict = course
    if conventions is None and course:
        conventions = COURSE
    if not folder.is_dir():
        raise DataFileError(
            folder, "The CRM data folder does not exist",
            "run `make data` to rebuild the course's database" if course else
            f"check the path: it is read from {Path.cwd()}; pass the folder that holds your export's files",
        )
    mapping = _check_mapping(columns, names)
    named = _check_files(files, names)
    if course and not mapping and not named and options == ReadOptions() and strict and conventions is COURSE:
        return _course_copy(folder, names)
    return _load(folder, names, mapping, named, options, course, strict, conventions)


def _load(folder: Path, names: list[str], mapping: dict, named: dict, options: ReadOptions, course: bool,
          strict: bool, conventions: Conventions | None) -> CRM:  # fmt: skip
    out, lines, sources = {}, {}, {}
    for name in names:
        file = table_file(folder, name, named.get(name), course=course)
        df, lines[name] = read_table_file(name, file, mapping.get(name, {}), options, course=course)
        out[name] = apply_schema(name, df, source=str(file), options=options, lines=lines[name], strict=strict)
        sources[name] = str(file)
    problems, _skipped = key_problems(out, sources=sources, lines=lines)
    if problems:
        raise SchemaError("\n".join(problems))
    truth_file = folder / "truth.json"
    truth = json.loads(truth_file.read_text()) if truth_file.exists() else {}
    return CRM(out, truth=truth, conventions=conventions)


# The course's database as last loaded, by the state of its folder's files: {state: CRM}.
_COURSE_CACHE: dict[tuple, CRM] = {}
#: A course folder larger than this on disk is read anew on every call, never kept in memory.
CACHE_BYTES = 64 << 20


def _folder_state(folder: Path) -> tuple | None:
    """Every file of ``folder`` by name, size, inode and times; None when unreadable or too large to keep."""
    try:
        with os.scandir(folder) as entries:
            files = sorted((e.name, e.stat()) for e in entries if e.is_file())
    except OSError:
        return None
    if sum(st.st_size for _, st in files) > CACHE_BYTES:
        return None
    return str(folder.resolve()), tuple((n, st.st_size, st.st_ino, st.st_mtime_ns, st.st_ctime_ns) for n, st in files)


def _course_copy(folder: Path, names: list[str]) -> CRM:
    """The course's tables ``names``, loaded once per state of its folder, handed out as copies.

    Every lesson, exercise notebook and report starts with ``load_crm()``: 0.2-0.3 s of reading,
    casting and key checks of the same 21 files. The first call in a process (or in the warm
    process whose forks are the test suite's kernels, :data:`crmlab.warm_kernels.WARM_UP`) loads
    every table; later calls get copies, as long as no file of the folder was added, removed,
    rewritten or touched since (name, size, inode, modification and change times). A folder that
    fails to load, or is larger than :data:`CACHE_BYTES`, is read anew each time, as any other.
    """
    state = _folder_state(folder)
    whole = _COURSE_CACHE.get(state) if state is not None else None
    if whole is None:
        load = functools.partial(_load, folder, mapping={}, named={}, options=ReadOptions(), course=True,
                                 strict=True, conventions=COURSE)  # fmt: skip
        if state is None:
            return load(names)
        try:
            whole = load(sorted(TABLES))
        except (DataFileError, SchemaError):
            return load(names)  # the tables asked for may load on their own: the same answer as without a cache
        _COURSE_CACHE.clear()
        _COURSE_CACHE[state] = whole
    return CRM({name: whole[name].copy(deep=True) for name in names}, truth=copy.deepcopy(whole.truth),
               conventions=whole.conventions)  # fmt: skip


def key_problems(
    tables: Mapping[str, pd.DataFrame], *, sources: Mapping[str, str] | None = None,
    lines: Mapping[str, pd.Series | None] | None = None,
) -> tuple[list[str], list[str]]:
    """The key problems of tables loaded together, and the key checks an absent column prevents.

    Like :func:`~crmlab.datasets.keys.check_keys`, but for an export under the contract:
    a primary key or foreign key whose column (or referenced column) is absent is not
    checked, and said so.

    Returns
    -------
    problems : list of str
        Duplicate primary keys and orphan foreign keys, each a sentence with lines and fix.
    skipped : list of str
        One sentence per check that could not run.

    Examples
    --------
    >>> import pandas as pd
    >>> orders = pd.DataFrame({"customer_id": [1, 2]})
    >>> customers = pd.DataFrame({"customer_id": [1]})
    >>> problems, skipped = key_problems({"orders": orders, "customers": customers})
    >>> print(problems[0])  # doctest: +ELLIPSIS
    Column `orders.customer_id` has 1 value that is not a `customer_id` of table `customers`: 2 on row 2. ...
    >>> skipped
    ['orders.order_id is absent: the check that each order has its own key was skipped']
    """
    sources, lines = dict(sources or {}), dict(lines or {})
    problems, skipped, usable = [], [], {}
    for name, df in tables.items():
        table = TABLES[name]
        key = [c for c in table.primary_key if c not in df]
        if key:
            what = table.row.split(" (")[0].replace("one ", "each ", 1)
            skipped.append(f"{name}.{', '.join(key)} {'is' if len(key) == 1 else 'are'} absent: the check that "
                           f"{what} has its own key was skipped")
        else:
            problems += duplicate_keys(name, df, source=sources.get(name, ""), lines=lines.get(name))
        drop = []
        for column, ref in table.foreign_keys.items():
            target, target_column = ref.split(".")
            if target not in tables:
                continue
            if column not in df:
                drop.append(column)  # nothing to check: no values refer anywhere
            elif target_column not in tables[target]:
                drop.append(column)
                skipped.append(f"{target}.{target_column} is absent: {name}.{column} could not be checked "
                               f"against it")
        usable[name] = df.drop(columns=drop) if drop else df
    problems += orphan_keys(usable, sources=sources, lines=lines)
    return problems, skipped


def _is_course(folder: Path) -> bool:
    try:
        return folder.resolve() in {default_path().resolve(), _PACKAGED.resolve(), _CHECKOUT.resolve()}
    except OSError:
        return False


def _table_names(tables) -> list[str]:
    if tables is None:
        return sorted(TABLES)
    if isinstance(tables, str):
        tables = [tables]
    names = list(tables)
    unknown = [t for t in names if t not in TABLES]
    if unknown:
        raise ValueError(
            f"The value for `tables` must contain only names from {sorted(TABLES)}, "
            f"but {unknown} was passed."
        )
    return names


def _check_mapping(columns, names: list[str]) -> dict[str, dict[str, str]]:
    if columns is None:
        return {}
    if not isinstance(columns, Mapping) or not all(isinstance(m, Mapping) for m in columns.values()):
        raise TypeError(
            "The value for `columns` must be a dict of table name -> {your column: schema column}, "
            f"e.g. {{'orders': {{'OrderNo': 'order_id'}}}}, but a {type(columns).__name__} was passed."
        )
    unknown = [t for t in columns if t not in TABLES]
    if unknown:
        raise ValueError(f"`columns` names tables the schema does not have: {unknown}. Tables: {sorted(TABLES)}.")
    for table, renames in columns.items():
        wrong = [c for c in renames.values() if c not in TABLES[table].dtypes]
        if wrong:
            raise ValueError(
                f"`columns['{table}']` maps to {wrong}, which table `{table}` does not have. "
                f"Its columns are {list(TABLES[table].dtypes)}."
            )
        sources: dict[str, list[str]] = {}
        for theirs, ours in renames.items():
            sources.setdefault(ours, []).append(theirs)
        twice = {ours: theirs for ours, theirs in sources.items() if len(theirs) > 1}
        if twice:
            shown = "; ".join(f"{theirs} all to {ours!r}" for ours, theirs in twice.items())
            raise ValueError(
                f"`columns['{table}']` maps several columns to one: {shown}. Keep one of them in the mapping "
                f"(a table has each column once)."
            )
    return {t: dict(m) for t, m in columns.items() if t in names}


def _check_files(files, names: list[str]) -> dict[str, str | os.PathLike]:
    if files is None:
        return {}
    if not isinstance(files, Mapping):
        raise TypeError("The value for `files` must be a dict of table name -> file name, e.g. "
                        f"{{'orders': 'sales.csv'}}, but a {type(files).__name__} was passed.")
    unknown = [t for t in files if t not in TABLES]
    if unknown:
        raise ValueError(f"`files` names tables the schema does not have: {unknown}. Tables: {sorted(TABLES)}.")
    for table, file in files.items():
        if not isinstance(file, str | os.PathLike) or Path(file).suffix.lower() not in (".csv", ".parquet"):
            raise ValueError(f"`files['{table}']` must be a file name ending in .csv or .parquet, "
                             f"but {file!r} was passed. Save the table as CSV (UTF-8) or Parquet.")
    return {t: f for t, f in files.items() if t in names}


def table_file(folder: Path, name: str, file: str | os.PathLike | None = None, *, course: bool = False) -> Path:
    """The file of table ``name`` in ``folder``: ``file`` if given, else ``<name>.parquet`` or ``<name>.csv``.

    Raises
    ------
    DataFileError
        The file does not exist, or the table is there both as CSV and as Parquet.

    Examples
    --------
    >>> table_file(default_path(), "orders").name
    'orders.parquet'
    """
    folder = Path(folder)
    if file is not None:
        path = folder / file
        if not path.is_file():
            have = sorted(p.name for p in folder.iterdir() if p.suffix.lower() in (".csv", ".parquet")) \
                if folder.is_dir() else []
            raise DataFileError(path, f"The file of table `{name}` does not exist",
                                f"check its name in the mapping (the folder has {have})")
        return path
    found = [folder / f"{name}{suffix}" for suffix in (".parquet", ".csv") if (folder / f"{name}{suffix}").exists()]
    if len(found) == 2:
        dates = ", ".join(f"{f.name} changed {pd.Timestamp(f.stat().st_mtime, unit='s'):%Y-%m-%d %H:%M}" for f in found)
        raise DataFileError(
            folder, f"The CRM table `{name}` is in two files, {found[0].name} and {found[1].name} ({dates}), "
            f"and crmlab will not guess which one is current",
            f"move the out-of-date file out of the folder, so `{name}` has one file",
        )
    if found:
        return found[0]
    file = folder / f"{name}.parquet"
    if course:
        fix = "run `make data` to regenerate the course's database, or restore the file from git"
    else:
        have = sorted(p.name for p in folder.iterdir() if p.suffix in (".csv", ".parquet"))
        fix = (f"name the file {name}.csv or {name}.parquet (the folder has {have}), "
               f"or pass `tables=[...]` with only the tables your export has")
    raise DataFileError(file, f"The CRM table `{name}` is missing (looked for {name}.parquet and {name}.csv)", fix)


def read_table_file(
    name: str, file: Path, renames: Mapping[str, str], options: ReadOptions, *, course: bool = False,
) -> tuple[pd.DataFrame, pd.Series | None]:
    """Read one table's file as it is (CSV as text), with its columns renamed; not yet cast.

    Returns
    -------
    frame : DataFrame
        The file's columns, renamed by ``renames`` (their name -> schema name).
    lines : Series or None
        File line of each row for CSV (header = line 1); None for Parquet.

    Raises
    ------
    DataFileError
        The file cannot be read exactly.
    SchemaError
        ``renames`` names a column the file lacks, or would make a column twice.

    Examples
    --------
    >>> df, lines = read_table_file("categories", default_path() / "categories.parquet", {}, ReadOptions())
    >>> list(df.columns), lines
    (['category_id', 'name'], None)
    """
    file = Path(file)
    if file.suffix.lower() == ".csv":
        source = {ours: theirs for theirs, ours in renames.items()}
        text = read_csv_text(file, encoding=options.encoding, delimiter=options.delimiter,
                             expected=tuple(source.get(c, c) for c in TABLES[name].dtypes))
        df, lines = text.frame, text.lines
    else:
        df, lines = _read_parquet(name, file, course), None
    _check_columns(name, file, list(df.columns), dict(renames))
    return df.rename(columns=dict(renames)), lines


def _read_parquet(name: str, file: Path, course: bool) -> pd.DataFrame:
    if not course and file.stat().st_size == 0:
        raise DataFileError(file, f"`{file.name}` is empty (0 bytes)",
                            "export the table again; a table with no rows still has its columns")
    try:
        df = pd.read_parquet(file)
    except Exception as err:  # pyarrow raises many types for a damaged file
        if course:
            fix = "the file is damaged: run `make data` or `git checkout -- datasets/crm`"
        else:
            head = file.read_bytes()[:40]
            fix = (f"the file starts with {head!r}; if it is CSV text, rename it to {name}.csv, otherwise "
                   f"export the table again as Parquet or CSV")
        raise DataFileError(file, f"The CRM table `{name}` cannot be read as Parquet ({type(err).__name__}: {err})",
                            fix) from err
    twice = sorted(set(df.columns[df.columns.duplicated()]))
    if twice:
        raise DataFileError(file, f"`{file.name}` has columns with the same name: {twice}",
                            "write the table again with each column once")
    return df


def _check_columns(name: str, file: Path, have: list[str], renames: dict[str, str]) -> None:
    absent = [c for c in renames if c not in have]
    if absent:
        raise SchemaError(
            f"`columns['{name}']` renames {absent}, but {file} has no such column. Its columns are {have}."
        )
    clash = {theirs: ours for theirs, ours in renames.items() if ours in have and ours not in renames}
    if clash:
        shown = "; ".join(f"`{theirs}` -> `{ours}`" for theirs, ours in clash.items())
        raise SchemaError(
            f"`columns['{name}']` maps {shown}, but {file} already has a column named `{next(iter(clash.values()))}`: "
            f"the table would have it twice. Remove that entry from the mapping, or drop or rename the file's "
            f"own column so that one column remains."
        )

