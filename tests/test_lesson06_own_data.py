"""Lesson 06 on a company's own export: real data the project did not make, in a shop's shape.

CDNOW (real CD purchases, 1997-1998, shipped with lifetimes) is written as a US shop's
export by :func:`foreign_exports.write_cdnow_shop`: orders with their own column names,
day-first dates and dollars with decimals, and a customers file with the first purchase
date. There are no channels, order lines, products, categories or customer segments, so
the behaviour features skip with one line each and k-means runs on RFM alone.
"""

from __future__ import annotations

import re

import nbformat
import pandas as pd
import pytest
from foreign_exports import run_lesson, write_cdnow_shop

from crmlab.analysis import clusters
from crmlab.datasets import load_cdnow, load_export

AS_OF = pd.Timestamp("1998-06-30")  # the shop's mapping: CDNOW's last day
COURSE_WORDS = ("Tehran", "Nima", "completed")
SKIPS = (
    "Skipped: this export has no orders.channel; the channel mix (web, store, phone, field rep) needs it.",
    "Skipped: this export has no order_lines, products and categories; the category mix (add-on share) "
    "needs orders.order_id, order_lines.product_id, products.category_id, categories.name.",
    "Skipped: this export has no customers.segment; the kind of customer by cluster needs it.",
)


def _texts(notebook) -> list[str]:
    """Every text a reader sees in the outputs (images left out: base64 can spell anything).

    scikit-learn's diagram of a Pipeline is left out too: its HTML carries scikit-learn's own
    documentation and script ("... is completed", JavaScript's ``${...}``), not the data.
    """
    texts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            texts.append(output.get("text", ""))
            texts += [str(v) for k, v in data.items() if k.startswith("text/") and "sk-estimator" not in str(v)]
            texts += output.get("traceback", [])
    return texts


@pytest.fixture(scope="module")
def cdnow():
    return load_cdnow()


@pytest.fixture(scope="module")
def mapping(tmp_path_factory, cdnow):
    return write_cdnow_shop(tmp_path_factory.mktemp("shop"), cdnow)


@pytest.fixture(scope="module")
def executed(tmp_path_factory, mapping):
    out = tmp_path_factory.mktemp("run")
    run_lesson("06_clusters.ipynb", out, {"MAPPING": str(mapping)})
    return nbformat.read(out / "06_clusters.ipynb", as_version=4)


def test_lesson_runs_on_rfm_alone_and_skips_the_behaviour(executed):
    errors = [o for c in executed.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert errors == []
    assert all(c.get("execution_count") for c in executed.cells if c.cell_type == "code")  # ran to the end
    text = "\n".join(_texts(executed))
    assert "clock America/New_York, money in USD, data up to 1998-06-30" in text
    for line in SKIPS:
        assert text.count(line) == 1, line  # said once, where the data is loaded or used
    assert "k = " in text and "same clusters on a second fit: True" in text
    for word in COURSE_WORDS:
        assert word not in text, word
    assert not re.search(r"\$\s?\d", text)  # the shop's money is in USD, but never written "$12.34" here


def test_the_features_the_model_compares_equal_plain_pandas_on_the_original_log(executed, cdnow):
    # The lesson's table of the features' mean, std and max (the describe cell), read from its plain text.
    describe = next(c for c in executed.cells if c.cell_type == "code" and ".describe()" in c.source)
    table = describe.outputs[0]["data"]["text/plain"].splitlines()
    assert table[0].split() == ["days_since_last_order", "n_orders", "total_spend"]  # RFM alone: no behaviour
    shown = {line.split()[0]: [float(v) for v in line.split()[1:]] for line in table[1:]}

    # The same, by hand: every purchase counts (no statuses), days on the calendar of the original log.
    per_customer = cdnow.groupby("customer_id")
    days = (AS_OF - per_customer["date"].max()).dt.days
    orders = per_customer.size()
    spend = per_customer["amount"].sum()
    assert len(orders) == 23_570
    for i, column in enumerate((days, orders, spend)):
        assert shown["mean"][i] == round(column.mean(), 2), i
        assert shown["max"][i] == round(float(column.max()), 2), i


def test_clusters_cover_every_customer_once(executed, cdnow):
    profile = next(c for c in executed.cells if c.cell_type == "code" and c.source.startswith("profile ="))
    table = profile.outputs[0]["data"]["text/plain"].split("\n\n")[0]  # the first block, if pandas wraps it
    sizes = [int(m) for m in re.findall(r"^\S+[ ]+(\d+)", table, flags=re.M)]
    assert sizes[-1] == cdnow["customer_id"].nunique()  # the last row: all customers
    assert sum(sizes[:-1]) == sizes[-1]


def test_customer_features_keep_what_the_export_has(mapping, cdnow):
    crm = load_export(mapping)
    assert "channel" not in crm.orders and "order_lines" not in crm  # the shop's export has neither
    features = clusters.customer_features(crm, conventions=crm.conventions)
    assert features.columns.tolist() == list(clusters.LOG_FEATURES)  # no channel mix, no add-on share
    per_customer = cdnow.groupby("customer_id")
    assert features.index.tolist() == sorted(per_customer.groups)
    assert features["n_orders"].tolist() == per_customer.size().astype(float).tolist()
    assert features["days_since_last_order"].tolist() == (AS_OF - per_customer["date"].max()).dt.days.tolist()
    cents = (cdnow["amount"] * 100).round().groupby(cdnow["customer_id"]).sum()  # exact: whole cents
    assert features["total_spend"].tolist() == (cents / 100).tolist()
