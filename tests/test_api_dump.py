"""The web shop's API dump: shipped up to date with the data, and faithful to it."""

from __future__ import annotations

import pandas as pd

import crmlab
from crmlab.datasets.api_dump import api_dump_pages, load_api_dump


def test_the_shipped_dump_matches_the_data():
    crm = crmlab.load_crm(tables=["web_registrations", "customers"])
    assert load_api_dump() == api_dump_pages(crm), (
        "datasets/api_dump is stale: run `.venv/bin/python -m crmlab.datasets.api_dump`"
    )


def test_flattened_accounts_are_the_registrations():
    crm = crmlab.load_crm(tables=["web_registrations", "customers"])
    pages = load_api_dump()
    assert [p["page"] for p in pages] == list(range(1, pages[0]["pages"] + 1))
    flat = pd.json_normalize([a for p in pages for a in p["data"]])
    assert len(flat) == pages[0]["total"] == len(crm.web_registrations)
    w = crm.web_registrations.sort_values("registration_id").reset_index(drop=True)
    created = pd.to_datetime(flat["created"], utc=True)
    assert (created == w["registered_at"]).all()
    assert (flat["signup.source"] == w["source"]).all()
    emails = w["customer_id"].map(crm.customers.set_index("customer_id")["email"])
    assert (flat["email"].str.strip().str.lower() == emails).all()
    assert (flat["email"] != emails).sum() > 100  # the shop keeps what customers typed
    assert flat["created"].str.endswith("+03:30").any()  # local time with its offset
