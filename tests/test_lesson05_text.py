"""What lesson 05 says about its targeting list holds on the course's data.

The segments come from ``rfm.rfm_table`` (tested against lifetimes and by hand in test_analysis_rfm.py);
the channels are recounted here from the consent columns with plain pandas: text message for everyone who
agreed to it, e-mail only for those who agreed to e-mail alone.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from crmlab.analysis import rfm
from crmlab.datasets import load_crm

LESSON = Path(__file__).resolve().parents[1] / "notebooks" / "05_rfm.ipynb"


@pytest.fixture(scope="module")
def lesson():
    nb = nbformat.read(LESSON, as_version=4)
    parameters = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    namespace: dict = {}
    exec(parameters.source, namespace)  # noqa: S102 (the lesson's own parameter cell)
    prose = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    return namespace, " ".join(prose.split())


def test_the_channels_quoted_are_recounted_from_the_consents(lesson):
    parameters, prose = lesson
    crm = load_crm(tables=["orders", "customers"])
    done = crm.orders[crm.orders["status"] == "completed"]
    local = done.assign(ordered_on=done["ordered_at"].dt.tz_convert("Asia/Tehran"))
    table = rfm.rfm_table(rfm.customer_summary(local, datetime_col="ordered_on", as_of="2025-12-31"))
    listed = table.index[table["segment"].isin(parameters["TARGET_SEGMENTS"])]
    people = crm.customers.set_index("customer_id").loc[listed]
    sms, email = people["consent_sms"].astype(bool), people["consent_email"].astype(bool)
    n_sms, n_email = int(sms.sum()), int((email & ~sms).sum())
    quoted = re.search(r"(\d+) of the (\d+) customers on the list are reached by text message", prose)
    assert quoted, "lesson 05 no longer quotes its channel counts"
    assert (int(quoted[1]), int(quoted[2])) == (n_sms, n_sms + n_email)
    assert f"only the {n_email} who agreed to e-mail alone" in prose
    assert parameters["CHANNELS"] == ["sms", "email"]
