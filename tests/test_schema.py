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
