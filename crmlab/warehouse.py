"""The course's BI warehouse: every CRM table available to SQL through DuckDB."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pandas as pd

from .datasets.crm import CRM
from .datasets.storage import default_path
from .errors import DataFileError

__all__ = ["connect"]


def connect(source: CRM | dict | str | os.PathLike | None = None, *, threads: int | None = None):
    """Open an in-memory DuckDB connection in which every CRM table can be queried.

    Parameters
    ----------
    source : CRM, dict of DataFrames, path-like or None
        ``None`` (default): the course's database, read straight from its Parquet files.
        A folder: the Parquet files written by :func:`crmlab.datasets.save_crm`.
        A CRM or dict: its DataFrames, queried in place (nothing is copied).
    threads : int, optional
        Worker threads for DuckDB (default: all cores).

    Returns
    -------
    duckdb.DuckDBPyConnection
        Session time zone set to UTC so that timestamps print the same everywhere.

    Examples
    --------
    >>> import crmlab
    >>> con = crmlab.connect()
    >>> con.sql("SELECT count(*) AS n FROM customers").df()["n"].item()
    3000
    """
    con = duckdb.connect(":memory:")
    con.execute("SET TimeZone = 'UTC'")
    if threads is not None:
        con.execute(f"SET threads = {int(threads)}")
    if isinstance(source, dict):
        for name, df in source.items():
            _register(con, name, df)
        return con
    folder = Path(source) if source is not None else default_path()
    files = sorted(folder.glob("*.parquet")) if folder.is_dir() else []
    if not files:
        raise DataFileError(
            folder, "No CRM tables (*.parquet) found in this folder", "run `make data`, or pass a CRM or a folder"
        )
    for file in files:
        path = str(file).replace("'", "''")
        con.execute(f"CREATE VIEW \"{file.stem}\" AS SELECT * FROM read_parquet('{path}')")
    return con


def _register(con, name: str, df) -> None:
    if not isinstance(df, pd.DataFrame):
        raise TypeError(
            f"Every value of `source` must be a pandas DataFrame, but table `{name}` is a {type(df).__name__}."
        )
    con.register(name, df)
