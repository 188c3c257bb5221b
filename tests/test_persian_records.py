"""The Persian-script plant of the synthetic CRM, recomputed with plain Python from the raw export."""

from __future__ import annotations

import pandas as pd
import pytest

from crmlab.analysis import quality as q
from crmlab.datasets import generate_crm

ARABIC_YEH, ARABIC_KAF, ZWNJ = "\u064a", "\u0643", "\u200c"
PERSIAN_DIGITS = {chr(0x06F0 + i) for i in range(10)}


def _valid(code: str) -> bool:
    """The check-digit rule written out by hand (weights 10..2, remainder 11)."""
    if len(code) != 10 or not code.isdigit() or len(set(code)) == 1:
        return False
    s = sum(int(code[i]) * (10 - i) for i in range(9)) % 11
    return int(code[9]) == (s if s < 2 else 11 - s)


def _arabic_script(text: str) -> bool:
    return any("\u0600" <= c <= "\u06ff" for c in text)


@pytest.fixture(scope="module")
def crm():
    return generate_crm()


def test_every_clean_customer_has_a_distinct_valid_code(crm):
    codes = crm.customers["national_code"]
    assert codes.notna().all() and codes.is_unique
    assert all(_valid(c) for c in codes)


def test_raw_codes_are_the_masters_except_the_planted_typos(crm):
    raw = crm.raw_customers.set_index("customer_id")["national_code"]
    clean = crm.customers.set_index("customer_id")["national_code"]
    typos = {int(k): v for k, v in crm.truth["national_code_typos"].items()}
    dups = {int(k): v for k, v in crm.truth["duplicates"].items()}
    assert len(typos) == 4 and set(typos) <= set(dups)  # typed in by hand on second records
    for i, code in raw.items():
        if i in crm.truth["test_customer_ids"]:
            assert pd.isna(code)
        elif i in typos:
            assert code == typos[i] and not _valid(code)
            true = clean[dups[i]]
            assert sum(a != b for a, b in zip(code, true, strict=True)) in (1, 2)  # one digit, or two swapped
        else:
            assert code == clean[dups.get(i, i)] and _valid(code)


def test_the_scorecard_finds_exactly_the_planted_typos(crm):
    codes = crm.raw_customers["national_code"]
    invalid = ~q.is_valid_national_code(codes) & codes.notna()
    typos = sorted(int(i) for i in crm.truth["national_code_typos"])
    assert sorted(crm.raw_customers.loc[invalid, "customer_id"]) == typos
    without = crm.raw_customers.drop(columns="national_code")
    card = q.scorecard(crm.raw_customers, crm.raw_orders, crm.raw_tickets).set_index(["table", "dimension"])
    base = q.scorecard(without, crm.raw_orders, crm.raw_tickets).set_index(["table", "dimension"])
    extra = card.loc[("customers", "validity"), "failing"] - base.loc[("customers", "validity"), "failing"]
    assert extra == len(crm.truth["national_code_typos"])


def test_persian_pairs_are_typed_the_planted_way(crm):
    raw = crm.raw_customers.set_index("customer_id")
    kinds = crm.truth["persian_duplicate_kinds"]
    assert {k: len(v) for k, v in kinds.items()} == {"arabic_letters": 2, "zwnj": 2, "persian_digits": 2}
    for dup, master in crm.truth["persian_duplicates"].items():
        b = raw.loc[master]
        assert _arabic_script(b["first_name"] + b["last_name"])
        assert ARABIC_YEH not in b["last_name"] and ARABIC_KAF not in b["last_name"]  # the master in Persian letters
        assert crm.truth["duplicates"][dup] == master
    for dup in kinds["arabic_letters"]:
        assert ARABIC_YEH in raw.loc[dup, "last_name"] or ARABIC_KAF in raw.loc[dup, "last_name"]
    for dup in kinds["zwnj"]:
        assert ZWNJ in raw.loc[dup, "last_name"]
    for dup in kinds["persian_digits"]:
        assert set(raw.loc[dup, "phone"].replace(" ", "")) <= PERSIAN_DIGITS


def test_the_finder_recovers_every_persian_pair_and_would_miss_some_without_the_normaliser(crm):
    from rapidfuzz import fuzz

    real = crm.raw_customers[~crm.raw_customers["customer_id"].isin(crm.truth["test_customer_ids"])]
    found = q.duplicate_map(real, q.find_duplicates(real))
    truth = {int(k): v for k, v in crm.truth["persian_duplicates"].items()}
    assert {d: found[d] for d in truth if d in found.index} == truth
    raw = crm.raw_customers.set_index("customer_id")
    old_key = lambda s: s.strip().casefold().rstrip(".")  # noqa: E731  names compared as typed, as before
    for dup in crm.truth["persian_duplicate_kinds"]["arabic_letters"]:
        a, b = raw.loc[dup], raw.loc[truth[dup]]
        scores = [fuzz.ratio(old_key(a[c]), old_key(b[c])) for c in ("first_name", "last_name")]
        assert min(scores) < 80
        assert q.name_score(a["first_name"], a["last_name"], b["first_name"], b["last_name"]) == 100


def test_clean_names_in_persian_script_are_the_planted_ones(crm):
    script = crm.customers[(crm.customers["first_name"] + crm.customers["last_name"]).map(_arabic_script)]
    masters = set(crm.truth["persian_duplicates"].values())
    planted = set(crm.truth["persian_script_ids"]) - {int(k) for k in crm.truth["persian_duplicates"]}
    assert set(script["customer_id"]) == planted and masters <= planted
