"""crmlab.connect(): the DuckDB warehouse over the CRM tables."""

from __future__ import annotations

import pandas as pd
import pytest

import crmlab
from crmlab.datasets import TABLES, generate_crm, save_crm
from crmlab.errors import DataFileError


def test_default_warehouse_has_every_table(crm):
    con = crmlab.connect()
    names = set(con.sql("SELECT table_name FROM information_schema.tables").df()["table_name"])
    assert names == set(TABLES)
    n = con.sql("SELECT count(*) AS n FROM orders").df()["n"].item()
    assert n == len(crm.orders)


def test_sql_and_pandas_agree_on_revenue_by_region(crm):
    con = crmlab.connect(crm)
    sql = con.sql("""
        SELECT c.region, sum(o.total_cents) AS cents
        FROM orders o JOIN customers c USING (customer_id)
        WHERE o.status = 'completed' GROUP BY 1 ORDER BY 1
    """).df().set_index("region")["cents"]
    done = crm.orders[crm.orders["status"] == "completed"].merge(crm.customers[["customer_id", "region"]])
    pandas = done.groupby("region")["total_cents"].sum()
    assert sql.astype("int64").to_dict() == pandas.to_dict()


def test_timestamps_keep_their_time_zone(crm):
    con = crmlab.connect()
    first = con.sql("SELECT ordered_at FROM orders ORDER BY order_id LIMIT 1").df()["ordered_at"].iloc[0]
    assert first == crm.orders["ordered_at"].iloc[0]


def test_folder_source_and_threads(tmp_path):
    folder = save_crm(generate_crm(150, seed=4), tmp_path)
    con = crmlab.connect(folder, threads=1)
    assert con.sql("SELECT count(*) AS n FROM customers").df()["n"].item() == 150
    assert con.sql("SELECT current_setting('threads') AS t").df()["t"].item() == 1


def test_empty_folder_is_a_clear_error(tmp_path):
    with pytest.raises(DataFileError, match=r"No CRM tables \(\*.parquet\) found") as err:
        crmlab.connect(tmp_path)
    assert str(tmp_path) in str(err.value)


def test_dict_values_must_be_dataframes():
    with pytest.raises(TypeError, match="table `orders` is a list"):
        crmlab.connect({"orders": [1, 2, 3]})
    con = crmlab.connect({"t": pd.DataFrame({"x": [1, 2]})})
    assert con.sql("SELECT sum(x) AS s FROM t").df()["s"].item() == 3
