"""Reading and writing a CRM database as a folder of Parquet files.

The course's default database is committed in ``datasets/crm/`` (and packaged as
``crmlab/datasets/data/crm`` in a wheel): one ``<table>.parquet`` per table and a
``truth.json`` with the planted truths.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd

from ..errors import DataFileError, SchemaError
from .crm import CRM
from .schema import TABLES, apply_schema

__all__ = ["default_path", "load_crm", "save_crm"]

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
) -> CRM:
    """Load the CRM database: every table as a typed DataFrame.

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

    Returns
    -------
    CRM
        Table name -> DataFrame; ``crm.truth`` holds the planted truths.

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
    if not folder.is_dir():
        raise DataFileError(
            folder,
            "The CRM data folder does not exist",
            "pass the folder written by `save_crm`, or run `make data` to rebuild the course's database",
        )
    mapping = _check_mapping(columns, names)
    out = {name: _read_table(name, _table_file(folder, name), mapping.get(name, {})) for name in names}
    truth_file = folder / "truth.json"
    truth = json.loads(truth_file.read_text()) if truth_file.exists() else {}
    return CRM(out, truth=truth)


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
    return {t: dict(m) for t, m in columns.items() if t in names}


def _table_file(folder: Path, name: str) -> Path:
    for suffix in (".parquet", ".csv"):
        if (folder / f"{name}{suffix}").exists():
            return folder / f"{name}{suffix}"
    return folder / f"{name}.parquet"


def _read_csv(name: str, file: Path, renames: dict[str, str]) -> pd.DataFrame:
    """Text columns stay text (a phone "+98..." must not become a number)."""
    source = {ours: theirs for theirs, ours in renames.items()}
    text = {source.get(col, col): "str" for col, dtype in TABLES[name].dtypes.items() if dtype == "str"}
    return pd.read_csv(file, dtype=text)


def _read_table(name: str, file: Path, renames: dict[str, str]) -> pd.DataFrame:
    if not file.exists():
        raise DataFileError(
            file, f"The CRM table `{name}` is missing (looked for {file.stem}.parquet and {file.stem}.csv)",
            "run `make data` to regenerate the course's database, restore the file from git, "
            "or for your own export pass `tables=[...]` with the tables you have",
        )
    try:
        df = _read_csv(name, file, renames) if file.suffix == ".csv" else pd.read_parquet(file)
    except Exception as err:  # pyarrow and the csv parser raise many types for a damaged file
        raise DataFileError(file, f"The CRM table `{name}` cannot be read ({type(err).__name__})",
                            "the file is damaged: run `make data` or `git checkout -- datasets/crm`") from err
    absent = [c for c in renames if c not in df.columns]
    if absent:
        raise SchemaError(
            f"`columns['{name}']` renames {absent}, but {file} has no such column. Its columns are {list(df.columns)}."
        )
    return apply_schema(name, df.rename(columns=renames), source=str(file))
