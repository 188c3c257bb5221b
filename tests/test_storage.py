"""Reading and writing the CRM as Parquet: the committed copy, round trips, clear errors."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from crmlab.datasets import TABLES, generate_crm, load_crm, save_crm, storage
from crmlab.datasets.readme import render_readme
from crmlab.errors import DataFileError, SchemaError

ROOT = Path(__file__).resolve().parents[1]


def test_committed_dataset_is_the_generator_output(crm):
    committed = load_crm(ROOT / "datasets" / "crm")
    assert sorted(committed) == sorted(crm)
    for name in crm:
        pd.testing.assert_frame_equal(committed[name], crm[name], obj=name)
    assert committed.truth == crm.truth


def test_committed_readme_is_up_to_date(crm):
    text = (ROOT / "datasets" / "README.md").read_text()
    assert text == render_readme(crm.truth), "datasets/README.md is stale: run `make data`"
    for name in TABLES:
        assert f"### `{name}`" in text


def test_default_path_is_the_committed_copy():
    crm = load_crm(tables=["channels"])
    assert crm.channels["channel"].tolist() == ["mail", "web", "store", "call_centre", "field_sales", "advertising",
                                                "instagram", "telegram", "sms"]  # fmt: skip


def test_round_trip_keeps_values_and_dtypes(tmp_path):
    small = generate_crm(300, seed=5)
    back = load_crm(save_crm(small, tmp_path))
    for name in small:
        pd.testing.assert_frame_equal(back[name], small[name], obj=name)
    assert back.orders["ordered_at"].dt.tz is not None


def test_subset_of_tables_and_unknown_name(tmp_path):
    crm = load_crm(tables=["orders"])
    assert list(crm) == ["orders"]
    with pytest.raises(ValueError, match=r"`tables` must contain only names from .*'ordrs'"):
        load_crm(tables=["ordrs"])


def test_env_var_points_at_another_copy(tmp_path, monkeypatch):
    save_crm(generate_crm(200, seed=9), tmp_path)
    monkeypatch.setenv("CRMLAB_DATA", str(tmp_path))
    assert len(load_crm(tables=["customers"]).customers) == 200


def test_missing_folder_names_it_and_the_fix(tmp_path):
    with pytest.raises(DataFileError, match="does not exist") as err:
        load_crm(tmp_path / "nowhere")
    assert "nowhere" in str(err.value) and "check the path" in str(err.value)
    assert "make data" not in str(err.value), "`make data` only rebuilds the course's own folder"


def test_missing_table_of_an_export_names_the_file_and_the_tables_option(tmp_path):
    folder = save_crm(generate_crm(200, seed=2), tmp_path)
    (folder / "orders.parquet").unlink()
    with pytest.raises(DataFileError, match="orders.parquet") as err:
        load_crm(folder)
    assert "is missing" in str(err.value) and "tables=[...]" in str(err.value)
    assert "make data" not in str(err.value)


def test_missing_table_of_the_course_database_says_make_data(tmp_path, monkeypatch):
    folder = save_crm(generate_crm(200, seed=2), tmp_path)
    (folder / "orders.parquet").unlink()
    monkeypatch.setenv("CRMLAB_DATA", str(folder))
    with pytest.raises(DataFileError, match="orders.parquet") as err:
        load_crm()
    assert "is missing" in str(err.value) and "make data" in str(err.value)


def test_corrupt_table_of_the_course_database_says_make_data(tmp_path, monkeypatch):
    folder = save_crm(generate_crm(200, seed=2), tmp_path)
    (folder / "tickets.parquet").write_bytes(b"not parquet at all")
    monkeypatch.setenv("CRMLAB_DATA", str(folder))
    with pytest.raises(DataFileError, match="tickets.parquet") as err:
        load_crm(tables=["tickets"])
    assert "damaged" in str(err.value) and "make data" in str(err.value)
    assert isinstance(err.value.__cause__, Exception)


def _fresh(folder, tables=None):
    """The tables as read from the files: the course's cache emptied first."""
    storage._COURSE_CACHE.clear()
    return load_crm(folder, tables=tables)


def test_the_course_database_is_read_once_and_handed_out_as_copies(tmp_path, monkeypatch):
    folder = save_crm(generate_crm(200, seed=2), tmp_path / "crm")
    monkeypatch.setenv("CRMLAB_DATA", str(folder))
    monkeypatch.setattr(storage, "read_table_file", counted := _Counted(storage.read_table_file))
    first = _fresh(None)
    assert counted.calls == len(TABLES)
    second, orders_only = load_crm(), load_crm(tables=["orders", "customers"])
    assert counted.calls == len(TABLES)  # from memory
    assert list(orders_only) == ["orders", "customers"] and orders_only.truth == first.truth
    for name, table in first.items():
        pd.testing.assert_frame_equal(second[name], table, check_exact=True)
        assert second[name] is not table
    second.orders.loc[0, "status"] = "changed by the learner"
    second.truth["added by the learner"] = 1
    third = load_crm()
    pd.testing.assert_frame_equal(third.orders, first.orders, check_exact=True)
    assert third.truth == first.truth and third.conventions is first.conventions


def test_a_rewritten_file_of_the_course_database_is_read_again(tmp_path, monkeypatch):
    folder = save_crm(generate_crm(200, seed=2), tmp_path / "crm")
    monkeypatch.setenv("CRMLAB_DATA", str(folder))
    before = _fresh(None).categories
    changed = pd.read_parquet(folder / "categories.parquet")
    changed.loc[0, "name"] = "Renamed"
    changed.to_parquet(folder / "categories.parquet", index=False)
    assert load_crm().categories.loc[0, "name"] == "Renamed" != before.loc[0, "name"]
    (folder / "notes.txt").write_text("a new file in the folder: read again")
    pd.testing.assert_frame_equal(load_crm(tables=["categories"]).categories, _fresh(None, ["categories"]).categories)


def test_a_course_database_that_fails_is_never_kept_and_its_loadable_tables_still_load(tmp_path, monkeypatch):
    folder = save_crm(generate_crm(200, seed=2), tmp_path / "crm")
    (folder / "tickets.parquet").write_bytes(b"not parquet at all")
    monkeypatch.setenv("CRMLAB_DATA", str(folder))
    storage._COURSE_CACHE.clear()
    assert list(load_crm(tables=["orders"])) == ["orders"]  # as without a cache: tickets is not asked for
    with pytest.raises(DataFileError, match="tickets.parquet"):
        load_crm()
    assert storage._COURSE_CACHE == {}


class _Counted:
    def __init__(self, function):
        self.function, self.calls = function, 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        return self.function(*args, **kwargs)


def test_csv_text_named_parquet_in_an_export_says_rename(tmp_path):
    (tmp_path / "categories.parquet").write_bytes(b"category_id,name\n1,Phones\n")
    with pytest.raises(DataFileError, match="categories.parquet") as err:
        load_crm(tmp_path, tables=["categories"])
    assert "rename it to categories.csv" in str(err.value) and "make data" not in str(err.value)


def test_a_table_in_both_csv_and_parquet_is_refused(tmp_path):
    folder = save_crm(generate_crm(200, seed=2), tmp_path)
    pd.read_parquet(folder / "categories.parquet").to_csv(folder / "categories.csv", index=False)
    with pytest.raises(DataFileError, match="categories.parquet and categories.csv") as err:
        load_crm(folder, tables=["categories"])
    assert "out-of-date file" in str(err.value)


def test_course_database_passes_the_key_checks_quickly():
    import time

    start = time.perf_counter()
    crm = load_crm()
    elapsed = time.perf_counter() - start
    assert len(crm.raw_customers) > len(crm.customers)  # duplicates are separate records with their own ids
    assert elapsed < 5, f"load_crm() took {elapsed:.1f} s"


def test_table_with_a_renamed_column_is_reported(tmp_path):
    folder = save_crm(generate_crm(200, seed=2), tmp_path)
    orders = pd.read_parquet(folder / "orders.parquet").rename(columns={"total_cents": "total"})
    orders.to_parquet(folder / "orders.parquet")
    with pytest.raises(SchemaError, match=r"missing columns \['total_cents'\], unexpected columns \['total'\]") as err:
        load_crm(folder, tables=["orders"], strict=True)
    assert "orders.parquet" in str(err.value)
    with pytest.raises(SchemaError, match=r"lacks the required column\(s\) \['total_cents'\]") as err:
        load_crm(folder, tables=["orders"])  # an export's contract: total_cents is required
    assert "orders.parquet" in str(err.value)


def test_a_company_export_in_csv_with_its_own_column_names(tmp_path):
    """The analyst's path: CSV files, other column names, a mapping, and the schema's types."""
    crm = load_crm(tables=["orders", "customers"])
    theirs = crm.orders.rename(columns={"order_id": "OrderNo", "total_cents": "Total"})
    theirs.to_csv(tmp_path / "orders.csv", index=False)
    crm.customers.to_csv(tmp_path / "customers.csv", index=False)
    mine = load_crm(tmp_path, tables=["orders", "customers"],
                    columns={"orders": {"OrderNo": "order_id", "Total": "total_cents"}})
    pd.testing.assert_frame_equal(mine.orders, crm.orders)
    pd.testing.assert_frame_equal(mine.customers, crm.customers)


def test_without_the_mapping_the_error_names_the_fix(tmp_path):
    crm = load_crm(tables=["orders"])
    crm.orders.rename(columns={"customer_id": "Client"}).to_csv(tmp_path / "orders.csv", index=False)
    with pytest.raises(SchemaError, match=r"lacks the required column\(s\) \['customer_id'\]") as err:
        load_crm(tmp_path, tables=["orders"])
    assert "columns={'orders'" in str(err.value) and "orders.csv" in str(err.value)
    with pytest.raises(SchemaError, match=r"missing columns \['customer_id'\], unexpected columns \['Client'\]"):
        load_crm(tmp_path, tables=["orders"], strict=True)


def test_an_export_keeps_extra_columns_and_leaves_optional_ones_absent(tmp_path):
    crm = load_crm(tables=["orders"])
    theirs = crm.orders.drop(columns=["channel", "rep_id"]).assign(Note="x")
    theirs.to_csv(tmp_path / "orders.csv", index=False)
    mine = load_crm(tmp_path, tables=["orders"]).orders
    kept = [c for c in crm.orders.columns if c not in ("channel", "rep_id")]
    assert list(mine.columns) == [*kept, "Note"]
    pd.testing.assert_frame_equal(mine[kept], crm.orders[kept])
    assert (mine["Note"] == "x").all()


def test_key_checks_that_need_an_absent_column_are_skipped(tmp_path):
    from crmlab.datasets.storage import key_problems

    orders = pd.DataFrame({"customer_id": [1, 1], "ordered_at": [0, 0], "total_cents": [5, 5]})
    lines = pd.DataFrame({"order_id": [7], "line_no": [1], "product_id": [1], "quantity": [1]})
    problems, skipped = key_problems({"orders": orders, "order_lines": lines})
    assert problems == []
    assert skipped == ["orders.order_id is absent: the check that each order has its own key was skipped",
                       "orders.order_id is absent: order_lines.order_id could not be checked against it"]


@pytest.mark.parametrize(("columns", "error", "match"), [
    ({"ordrs": {"a": "order_id"}}, ValueError, r"tables the schema does not have: \['ordrs'\]"),
    ({"orders": {"status": "channel", "total_cents": "channel"}}, ValueError,
     r"maps several columns to one: \['status', 'total_cents'\] all to 'channel'"),
    ({"orders": {"status": "order_id"}}, SchemaError,
     r"maps `status` -> `order_id`, but .*orders.csv already has a column named `order_id`"),
    ({"orders": {"OrderNo": "order_no"}}, ValueError, r"maps to \['order_no'\], which table `orders` does not have"),
    ({"orders": {"Nope": "order_id"}}, SchemaError, r"renames \['Nope'\], but .*orders.csv has no such column"),
    (["orders"], TypeError, r"`columns` must be a dict of table name"),
])
def test_bad_mappings_are_explained(tmp_path, columns, error, match):
    load_crm(tables=["orders"]).orders.to_csv(tmp_path / "orders.csv", index=False)
    with pytest.raises(error, match=match):
        load_crm(tmp_path, tables=["orders"], columns=columns)


def test_a_text_value_in_a_number_column_names_the_column(tmp_path):
    orders = load_crm(tables=["orders"]).orders.astype({"total_cents": "object"})
    orders.loc[5, "total_cents"] = "12,50 EUR"
    orders.to_csv(tmp_path / "orders.csv", index=False)
    with pytest.raises(SchemaError, match="Column `total_cents` of table `orders` .*cannot be read as int64"):
        load_crm(tmp_path, tables=["orders"])


def test_orders_of_unknown_customers_are_counted_and_located(tmp_path):
    crm = load_crm(tables=["customers", "orders"])
    gone = set(crm.customers["customer_id"].iloc[:3])
    crm.customers[~crm.customers["customer_id"].isin(gone)].to_parquet(tmp_path / "customers.parquet")
    crm.orders.to_parquet(tmp_path / "orders.parquet")
    lost_rows = [i + 1 for i, c in enumerate(crm.orders["customer_id"]) if c in gone]  # rows counted from 1
    with pytest.raises(SchemaError) as err:
        load_crm(tmp_path, tables=["customers", "orders"])
    message = str(err.value)
    assert f"`orders.customer_id` in {tmp_path / 'orders.parquet'} has {len(lost_rows)} values" in message
    assert f"on rows {lost_rows[0]}" in message or f"on row {lost_rows[0]}" in message
    assert len(load_crm(tmp_path, tables=["orders"]).orders) == len(crm.orders)


def test_duplicate_order_ids_are_refused(tmp_path):
    orders = load_crm(tables=["orders"]).orders
    pd.concat([orders, orders.iloc[[10]]]).to_csv(tmp_path / "orders.csv", index=False)
    with pytest.raises(SchemaError) as err:
        load_crm(tmp_path, tables=["orders"])
    order_id = orders["order_id"].iloc[10]
    assert f"{order_id} on lines 12, {len(orders) + 2}" in str(err.value) and "orders.csv" in str(err.value)
