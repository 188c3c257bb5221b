"""The revenue matrix of a file, Arrow data or a DuckDB relation, read a batch at a time.

The streamed matrix must equal the DataFrame path's to the bit (values, index, columns, dtypes,
attrs), and the DataFrame path must equal a plain pandas sum written here, on amounts chosen so
that the order of the additions shows (0.1, 1e16, -1e16): a cell is its orders' amounts added one
by one in row order, across customers, which the oracle does with a Python loop.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from streamed_logs import orders_log, sources

from crmlab.analysis.cohorts import _pairs, matrices, revenue_matrix
from crmlab.engines import spill


def _log(n_rows: int = 8_000, n_customers: int = 600, seed: int = 3, aware: str | None = "UTC",
         amounts: str = "float") -> pd.DataFrame:  # fmt: skip
    return orders_log(n_rows, n_customers, seed, aware, amounts)


def _sources(orders: pd.DataFrame, tmp_path, batch_rows: int = 1_000) -> dict:
    return sources(orders, tmp_path, batch_rows)


def _by_hand(orders: pd.DataFrame, tz: str, active=("completed",), end=None) -> pd.DataFrame:
    """Revenue per cohort and month since acquisition in plain pandas, each cell added in row order."""
    times = orders["ordered_at"]
    local = times.dt.tz_convert(tz).dt.tz_localize(None) if times.dt.tz is not None else times
    keep = orders["status"].isin(list(active)) & local.notna() & orders["customer_id"].notna()
    last = pd.Timestamp(end) if end is not None else local.max().normalize()
    keep &= local.dt.normalize() <= last
    month = (local.dt.year - 1970) * 12 + local.dt.month - 1
    rows = pd.DataFrame({"customer": orders["customer_id"], "month": month,
                         "amount": orders["total_cents"].astype("float64")})[keep]  # fmt: skip
    rows["cohort"] = rows.groupby("customer")["month"].transform("min")
    cells: dict[tuple[int, int], float] = {}
    for cohort, age, amount in zip(rows["cohort"], rows["month"] - rows["cohort"], rows["amount"], strict=True):
        cells[(cohort, age)] = cells.get((cohort, age), 0.0) + amount
    end_month = (last.year - 1970) * 12 + last.month - 1
    cohorts = sorted(rows["cohort"].unique())
    ages = range(int(end_month - cohorts[0]) + 1)
    grid = np.array([[cells.get((c, a), 0.0) if c + a <= end_month else np.nan for a in ages] for c in cohorts])
    index = pd.PeriodIndex.from_ordinals(np.array(cohorts, dtype="int64"), freq="M").rename("cohort")
    return pd.DataFrame(grid, index=index, columns=pd.RangeIndex(len(ages), name="months_since_acquisition"))


@pytest.fixture
def row_route_refused(monkeypatch):
    """Integer ids and Arrow timestamps must be streamed, not prepared as a DataFrame."""
    real = matrices.prepare

    def only_frames(orders, *args, **kwargs):
        if not isinstance(orders, pd.DataFrame):
            raise AssertionError("took the in-memory route")
        return real(orders, *args, **kwargs)

    monkeypatch.setattr(matrices, "prepare", only_frames)


def _check_sources(orders, tmp_path, **options) -> pd.DataFrame:
    expected = revenue_matrix(orders, **options)
    for name, data in _sources(orders, tmp_path).items():
        got = revenue_matrix(data, **options)
        pd.testing.assert_frame_equal(got, expected, check_exact=True, obj=name)
        assert got.attrs == expected.attrs
    return expected


@pytest.mark.parametrize("amounts", ["float", "cents"])
@pytest.mark.parametrize(("aware", "tz"), [
    (None, "UTC"), ("UTC", "Europe/Berlin"), ("Europe/Berlin", "America/New_York"), ("Australia/Sydney", "Asia/Tehran"),
], ids=["naive", "utc-to-berlin", "berlin-to-new-york", "sydney-to-tehran"])  # fmt: skip
def test_every_source_equals_the_dataframe_and_a_sum_in_row_order(tmp_path, row_route_refused, aware, tz, amounts):
    orders = _log(aware=aware, amounts=amounts)
    expected = _check_sources(orders, tmp_path, tz=tz)
    pd.testing.assert_frame_equal(_by_hand(orders, tz), expected, check_exact=True, check_freq=False)


def test_the_order_of_the_additions_shows_in_these_amounts():
    """The oracle's sum differs from the correctly rounded one: a sum in another order would fail."""
    orders = _log(aware="UTC")
    expected = _by_hand(orders, "Europe/Berlin")
    local = orders["ordered_at"].dt.tz_convert("Europe/Berlin")
    shuffled = orders.sample(frac=1.0, random_state=0).assign(ordered_at=local.dt.tz_convert("UTC"))
    assert not _by_hand(shuffled, "Europe/Berlin").equals(expected)


@pytest.mark.parametrize("options", [
    {"active": ["completed", "returned"]}, {"active": "returned"}, {"status": None}, {"end": "2023-10-31"},
    {"end": pd.Timestamp("2023-11-01T03:00:00", tz="UTC")}, {"max_age": 3}, {"calendar": "jalali"},
    {"per_customer": True}, {"cumulative": True}, {"per_customer": True, "cumulative": True, "max_age": 5},
], ids=["two-statuses", "one-status-as-text", "no-status", "end", "aware-end", "max-age", "jalali",
        "per-customer", "cumulative", "per-customer-cumulative"])  # fmt: skip
def test_options_equal_the_dataframes(tmp_path, row_route_refused, options):
    _check_sources(_log(aware="Europe/Berlin"), tmp_path, tz="Asia/Tehran", **options)


@pytest.fixture
def spilled(tmp_path, monkeypatch):
    """A spill forced past 1,500 rows; the rows each streamed call wrote to disk, and whether its ids
    were sparse."""
    monkeypatch.setattr(spill, "IN_MEMORY_ROWS", 1_500)
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    seen = []

    class Recording(_pairs._InOrder):
        def __iter__(self):
            seen.append(self.rows - sum(len(ids) for ids, _, _ in self.kept))
            yield from super().__iter__()

    monkeypatch.setattr(_pairs, "_InOrder", Recording)
    return seen


@pytest.mark.parametrize("ids", ["compact", "sparse"])
@pytest.mark.parametrize("amounts", ["float", "cents"])
def test_a_log_spilled_to_disk_gives_the_same_bits(tmp_path, spilled, row_route_refused, monkeypatch, amounts, ids):
    orders = _log(aware="America/New_York", amounts=amounts)
    if ids == "sparse":  # ids too far apart for an array indexed by id
        monkeypatch.setattr(_pairs, "DENSE_IDS", 16)
        orders.loc[::7, "customer_id"] = orders.loc[::7, "customer_id"] * 1_000_003
    expected = _check_sources(orders, tmp_path, tz="America/New_York", end="2024-01-31")
    assert len(spilled) == 5 and min(spilled) > 3_000
    pd.testing.assert_frame_equal(_by_hand(orders, "America/New_York", end="2024-01-31"), expected,
                                  check_exact=True, check_freq=False)  # fmt: skip


def test_ids_growing_batch_by_batch_and_negative_ids(tmp_path, row_route_refused):
    orders = _log(aware=None)
    for ids in (orders["customer_id"] * 64 - 3, -orders["customer_id"], orders["customer_id"].astype("uint16")):
        _check_sources(orders.assign(customer_id=ids), tmp_path, tz="UTC")
    _check_sources(orders.sort_values("customer_id", kind="stable", ignore_index=True), tmp_path, tz="UTC")


def test_large_integer_amounts_are_rounded_to_float_as_from_a_dataframe(tmp_path, row_route_refused):
    orders = _log(aware="UTC", amounts="cents")
    orders["total_cents"] = orders["total_cents"] + 2**53 + 1  # not exact as a float64
    _check_sources(orders, tmp_path, tz="UTC")


def test_missing_ids_times_statuses_and_amounts_as_from_a_dataframe(tmp_path, row_route_refused):
    orders = _log(aware="UTC")
    rng = np.random.default_rng(2)
    orders["customer_id"] = orders["customer_id"].astype("Int64").mask(rng.random(len(orders)) < 0.03)
    orders["ordered_at"] = orders["ordered_at"].mask(rng.random(len(orders)) < 0.03)
    orders["status"] = orders["status"].mask(rng.random(len(orders)) < 0.03)
    before = _check_sources(orders, tmp_path, tz="Europe/London")
    pd.testing.assert_frame_equal(_by_hand(orders, "Europe/London"), before, check_exact=True, check_freq=False)
    orders["total_cents"] = orders["total_cents"].mask(rng.random(len(orders)) < 0.01)  # NaN cells
    after = _check_sources(orders, tmp_path, tz="Europe/London")
    assert after.isna().sum().sum() > before.isna().sum().sum()


def test_text_ids_take_the_in_memory_route_with_the_same_result(tmp_path, monkeypatch):
    orders = _log(aware="UTC").assign(customer_id=lambda d: "c" + d["customer_id"].astype(str))
    taken = []
    real = matrices.prepare
    monkeypatch.setattr(matrices, "prepare", lambda data, *a, **k: taken.append(type(data)) or real(data, *a, **k))
    _check_sources(orders, tmp_path, tz="Asia/Tehran")
    assert len(taken) == 1 + len(_sources(orders, tmp_path))


def test_errors_are_the_dataframes(tmp_path, row_route_refused):
    orders = _log()
    with pytest.raises(ValueError) as from_frame:
        revenue_matrix(orders, active="refunded")
    with pytest.raises(ValueError) as from_file:
        revenue_matrix(_sources(orders, tmp_path)["parquet"], active="refunded")
    assert str(from_file.value) == str(from_frame.value)
    with pytest.raises(KeyError, match="'amount' is not a column of `orders`"):
        revenue_matrix(_sources(orders, tmp_path)["arrow"], amount="amount")
    with pytest.raises(ValueError, match="is empty: there is nothing to put into cohorts"):
        revenue_matrix(pa.Table.from_pandas(orders.iloc[:0], preserve_index=False))
