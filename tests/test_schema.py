"""The schema: casting, clear errors, and the data dictionary."""

from __future__ import annotations

import pandas as pd
import pytest

from crmlab.datasets import TABLES, data_dictionary
from crmlab.datasets.schema import apply_schema
from crmlab.errors import SchemaError


def test_apply_schema_orders_and_casts():
    df = pd.DataFrame({"name": ["Phones", "Laptops"], "category_id": ["2", "1"]})
    out = apply_schema("categories", df)
    assert list(out.columns) == ["category_id", "name"]
    assert out["category_id"].tolist() == [2, 1]
    assert str(out["category_id"].dtype) == "int64"
    assert str(out["name"].dtype) == "str"


def test_timestamps_become_utc_and_dates_naive():
    df = pd.DataFrame({
        "opportunity_id": [1], "stage": ["proposal"], "entered_at": ["2024-03-01 12:00:00+03:30"],
    })
    out = apply_schema("opportunity_stages", df)
    assert str(out["entered_at"].dtype) == "datetime64[s, UTC]"
    assert out["entered_at"].iloc[0] == pd.Timestamp("2024-03-01 08:30", tz="UTC")


def test_unknown_table_lists_the_allowed_names():
    with pytest.raises(SchemaError, match=r"`table` must be one of \[.*'customers'.*\], but 'clients' was passed"):
        apply_schema("clients", pd.DataFrame())


def test_bad_value_names_column_and_table():
    df = pd.DataFrame({"category_id": ["one"], "name": ["Phones"]})
    with pytest.raises(SchemaError, match="Column `category_id` of table `categories` cannot be read as int64"):
        apply_schema("categories", df)


def test_missing_values_stay_missing_in_text_columns():
    df = pd.DataFrame({"category_id": [1, 2], "name": ["Phones", None]})
    out = apply_schema("categories", df)
    assert out["name"].isna().tolist() == [False, True]


def test_every_table_is_documented():
    text = data_dictionary()
    for name, table in TABLES.items():
        assert f"### `{name}`" in text
        for column, dtype, meaning in table.columns:
            assert f"| `{column}` | {dtype} | {meaning} |" in text
            assert meaning.endswith(".")
        assert set(table.primary_key) <= set(table.dtypes)
        assert set(table.foreign_keys) <= set(table.dtypes)


def test_course_parquet_loads_as_a_plain_astype_would():
    """On the course's own clean data the exact casting changes nothing: it equals pandas' astype."""
    from crmlab.datasets.storage import default_path

    for name in ("customers", "orders", "tickets", "campaign_contacts", "products"):
        raw = pd.read_parquet(default_path() / f"{name}.parquet")
        expected = raw.astype(TABLES[name].dtypes)
        pd.testing.assert_frame_equal(apply_schema(name, raw), expected, check_exact=True)


def test_read_options_and_file_lines_reach_every_column():
    from crmlab.datasets.options import ReadOptions
    from crmlab.errors import ValueLoadError

    df = pd.DataFrame({"product_id": ["1", "2"], "sku": ["A", "NA"], "category_id": ["3", "3"], "name": ["x", "y"],
                       "list_price_cents": ["19.99", "5"], "launched_on": ["05/03/2011", "25/12/2010"]})
    options = ReadOptions(dayfirst=True, units={"products.list_price_cents": "major"})
    out = apply_schema("products", df, source="products.csv", options=options)
    assert out["list_price_cents"].tolist() == [1999, 500]
    assert out["launched_on"].tolist() == [pd.Timestamp(2011, 3, 5), pd.Timestamp(2010, 12, 25)]
    assert out["sku"].tolist() == ["A", "NA"]
    with pytest.raises(ValueLoadError, match=r"in products.csv cannot be read as int64(.|\n)*line 8: '19.99'"):
        apply_schema("products", df, source="products.csv", lines=pd.Series([7, 8]).iloc[::-1])


def test_a_column_twice_is_refused():
    df = pd.DataFrame([[1, "Phones", 2]], columns=["category_id", "name", "category_id"])
    with pytest.raises(SchemaError, match=r"has the column\(s\) \['category_id'\] more than once"):
        apply_schema("categories", df)
