"""Lesson 03's exercises: the right answer passes, known mistakes get their message,
junk gets feedback (never a traceback), and the blank is "not attempted"."""

from __future__ import annotations

import pandas as pd
import pytest

import crmlab
from crmlab import persian_text
from crmlab.analysis import quality
from crmlab.exercises import lesson
from crmlab.exercises.feedback import Status

QUESTIONS = ["q1", "q2", "q3", "q4", "q5", "q10", "q11"]
SCRIPT = "[\u0600-\u06ff]"  # Arabic-script letters: Persian names


@pytest.fixture(scope="module")
def crm():
    return crmlab.practice_crm()


@pytest.fixture
def ex():
    return lesson("03_data_quality")


@pytest.fixture(scope="module")
def parts(crm):
    """The pieces of the solution, computed as the exercise notebook does."""
    tests = quality.find_test_records(crm.raw_customers)
    real = crm.raw_customers[~crm.raw_customers["customer_id"].isin(tests["customer_id"])]
    pairs = quality.duplicate_map(real, quality.find_duplicates(real)).reset_index()
    real_orders = crm.raw_orders[~crm.raw_orders["customer_id"].isin(tests["customer_id"])]
    persian = real["first_name"].str.contains(SCRIPT) | real["last_name"].str.contains(SCRIPT)
    fa_ids = real.loc[persian, "customer_id"]
    fa_pairs = pairs[pairs["duplicate_id"].isin(fa_ids) | pairs["master_id"].isin(fa_ids)]
    return {"tests": tests, "real": real, "pairs": pairs, "real_orders": real_orders, "fa_pairs": fa_pairs,
            "fa_real": real[persian]}


def _keys(emails: pd.Series, lower=True, tags=True, dots=True) -> pd.Series:
    email = emails.str.strip()
    email = email.str.lower() if lower else email
    local, domain = email.str.split("@").str[0], email.str.split("@").str[1]
    local = local.str.replace(r"\+.*$", "", regex=True) if tags else local
    local = local.str.replace(".", "", regex=False) if dots else local
    return local + "@" + domain


def _pairs_by(real: pd.DataFrame, key: pd.Series) -> pd.DataFrame:
    """What a learner gets matching records on ``key`` as given: the first signed-up survives."""
    ranked = real.assign(key=key).dropna(subset=["key"]).sort_values(["signup_date", "customer_id"])
    ranked["master_id"] = ranked.groupby("key")["customer_id"].transform("first")
    out = ranked.loc[ranked["customer_id"] != ranked["master_id"], ["customer_id", "master_id"]]
    return out.rename(columns={"customer_id": "duplicate_id"})


def _without_duplicates(parts) -> pd.DataFrame:
    """The real orders minus those of duplicate records: the shortcut that loses revenue."""
    orders = parts["real_orders"]
    return orders[~orders["customer_id"].isin(parts["pairs"]["duplicate_id"])]


def _revenue(orders: pd.DataFrame, lines: pd.DataFrame | None = None, divide: int = 1,
             statuses=("completed",)) -> float:
    """Rials of the orders of ``statuses`` (None: all). With ``lines``, a total that is exactly a tenth of its
    lines' sum (typed in toman) counts as that sum: by hand, independently of quality.unit_mixups."""
    done = orders if statuses is None else orders[orders["status"].isin(statuses)]
    totals = done.set_index("order_id")["total_cents"]
    if lines is not None:
        paid = lines["quantity"] * lines["unit_price_cents"] - lines["discount_cents"]
        line_sum = paid.groupby(lines["order_id"]).sum().reindex(totals.index)
        totals = totals.where(line_sum != 10 * totals, line_sum)
    return totals.sum() / divide


def _right_answers(crm, parts):
    mapping = parts["pairs"].set_index("duplicate_id")["master_id"]
    return {
        "q1": crm.raw_customers["email"].isna().sum(),
        "q2": _keys(crm.raw_customers["email"]),
        "q3": parts["pairs"],
        "q4": _revenue(parts["real_orders"], crm.order_lines),
        "q5": quality.repoint(parts["real_orders"], mapping),
        "q10": parts["fa_pairs"],
        "q11": crm.raw_customers.loc[crm.raw_customers["national_code"].notna()
                                     & ~quality.is_valid_national_code(crm.raw_customers["national_code"]),
                                     "customer_id"].tolist(),  # fmt: skip
    }


def _fa_key(real, names=persian_text.matching_key, phones=quality.normalise_phone) -> pd.Series:
    return names(real["first_name"]) + "|" + names(real["last_name"]) + "|" + phones(real["phone"])


def _ascii_phone(phones: pd.Series) -> pd.Series:
    """A phone rule that keeps only 0-9: Persian digits are dropped, so those phones come out missing."""
    digits = phones.str.replace(r"[^0-9]", "", regex=True).str[-10:]
    return digits.where(digits.str.fullmatch(r"9[0-9]{9}"))


def _check_digit_ok(code: str, weights=tuple(range(10, 1, -1)), eleven=True) -> bool:
    s = sum(w * int(d) for w, d in zip(weights, code[:9], strict=True)) % 11
    return int(code[9]) == (s if s < 2 or not eleven else 11 - s)


def _bad_codes(crm, missing_too=False, **rule) -> list[int]:
    codes = crm.raw_customers.set_index("customer_id")["national_code"]
    return [i for i, c in codes.items()
            if (pd.isna(c) and missing_too) or (pd.notna(c) and not _check_digit_ok(c, **rule))]  # fmt: skip


@pytest.mark.parametrize("qid", QUESTIONS)
def test_solution_passes(ex, crm, parts, qid):
    feedback = getattr(ex, qid).check(_right_answers(crm, parts)[qid])
    assert feedback.status is Status.CORRECT, str(feedback)


def test_solution_variants_pass(ex, crm, parts):
    assert ex.q1.check(int(crm.raw_customers["email"].isna().sum())).status is Status.CORRECT
    assert ex.q2.check(quality.normalise_email(crm.raw_customers["email"])).status is Status.CORRECT
    by_phone = _pairs_by(parts["real"], quality.normalise_phone(parts["real"]["phone"]))  # by hand
    assert ex.q3.check(by_phone).status is Status.CORRECT
    assert ex.q3.check(parts["pairs"].set_index("duplicate_id")).status is Status.CORRECT
    orders = _right_answers(crm, parts)["q5"]
    assert ex.q5.check(orders[["order_id", "customer_id"]].sample(frac=1, random_state=3)).status is Status.CORRECT
    assert ex.q5.check(orders.set_index("order_id")).status is Status.CORRECT


def test_expected_values_are_the_planted_ones(ex, crm):
    truth = pd.DataFrame({"duplicate_id": [int(k) for k in crm.truth["duplicates"]],
                          "master_id": list(crm.truth["duplicates"].values())})  # fmt: skip
    assert ex.q3.check(truth).status is Status.CORRECT
    test_orders = crm.raw_orders["order_id"].isin(crm.truth["test_order_ids"])
    raw = crm.raw_orders[~test_orders]
    typed = raw["order_id"].isin(crm.truth["unit_mixup_order_ids"])  # planted: typed in toman, a tenth
    assert typed.sum() > 0
    assert ex.q4.check(_revenue(raw.assign(total_cents=raw["total_cents"].where(~typed, raw["total_cents"] * 10)))
                       ).status is Status.CORRECT
    assert ex.q5.check(crm.orders).status is Status.CORRECT  # the clean table is the target
    fa = crm.truth["persian_duplicates"]
    planted = pd.DataFrame({"duplicate_id": [int(k) for k in fa], "master_id": list(fa.values())})
    assert len(planted) == 6 and ex.q10.check(planted).status is Status.CORRECT
    typos = [int(i) for i in crm.truth["national_code_typos"]]
    assert len(typos) == 4 and ex.q11.check(typos).status is Status.CORRECT


def test_persian_variants_pass(ex, crm, parts):
    by_key = _pairs_by(parts["fa_real"], _fa_key(parts["fa_real"]))  # grouped by hand on the matching keys
    assert ex.q10.check(by_key).status is Status.CORRECT
    hand = [i for i, c in crm.raw_customers.set_index("customer_id")["national_code"].items()
            if pd.notna(c) and not _check_digit_ok(c)]  # fmt: skip
    assert ex.q11.check(pd.Series(hand)).status is Status.CORRECT


@pytest.mark.parametrize(
    ("qid", "wrong", "message"),
    [
        ("q1", lambda crm, p: crm.raw_customers["email"].notna().sum(), "You counted the e-mails that are there"),
        ("q1", lambda crm, p: crm.customers["email"].isna().sum(), "clean `customers` table"),
        ("q1", lambda crm, p: crm.raw_customers["email"].isna().mean(), "You gave a share"),
        ("q2", lambda crm, p: crm.raw_customers["email"].str.lower(), "Lower case is a good start"),
        ("q2", lambda crm, p: _keys(crm.raw_customers["email"], dots=False), "Gmail ignores them"),
        ("q2", lambda crm, p: _keys(crm.raw_customers["email"], tags=False), "still hold `+tags`"),
        ("q2", lambda crm, p: _keys(crm.raw_customers["email"], lower=False), "Upper and lower case"),
        ("q2", lambda crm, p: _keys(crm.raw_customers["email"]).str.replace(".", "", regex=False),
         "dots of the domain too"),
        ("q3", lambda crm, p: _pairs_by(p["real"], p["real"]["email"]), "Exact matching misses case variants"),
        ("q3", lambda crm, p: _pairs_by(p["real"], p["real"]["email"].str.lower()), "You matched lower-cased"),
        ("q3", lambda crm, p: _pairs_by(p["real"], quality.normalise_email(p["real"]["email"])),
         "A shared e-mail is not proof"),
        ("q3", lambda crm, p: _pairs_by(p["real"], p["real"]["phone"]), "phones as they are written"),
        ("q3", lambda crm, p: p["pairs"].rename(columns={"duplicate_id": "master_id", "master_id": "duplicate_id"}),
         "swapped"),
        ("q3", lambda crm, p: _pairs_by(crm.raw_customers, quality.normalise_phone(crm.raw_customers["phone"])),
         "include test records"),
        ("q4", lambda crm, p: _revenue(crm.raw_orders, crm.order_lines), "still holds the test orders"),
        ("q4", lambda crm, p: _revenue(_without_duplicates(p), crm.order_lines),
         "You dropped the orders of the duplicate records"),
        ("q4", lambda crm, p: _revenue(p["real_orders"]), "still holds the totals typed in toman"),
        ("q4", lambda crm, p: _revenue(p["real_orders"], crm.order_lines, divide=100), "100 times too small"),
        ("q4", lambda crm, p: _revenue(p["real_orders"], crm.order_lines, statuses=None), "cancelled and returned"),
        ("q5", lambda crm, p: _without_duplicates(p), "instead of re-pointing them"),
        ("q5", lambda crm, p: p["real_orders"], "still point at duplicate records"),
        ("q5", lambda crm, p: quality.repoint(crm.raw_orders, p["pairs"].set_index("duplicate_id")["master_id"]),
         "still holds test orders"),
        ("q10", lambda crm, p: _pairs_by(p["fa_real"], _fa_key(p["fa_real"], names=lambda s: s)),
         "compared the names as they are typed"),
        ("q10", lambda crm, p: _pairs_by(p["fa_real"], _fa_key(p["fa_real"], names=persian_text.normalise_persian)),
         "keeps the ZWNJ"),
        ("q10", lambda crm, p: _pairs_by(p["fa_real"], _fa_key(p["fa_real"], phones=_ascii_phone)), "Persian digits"),
        ("q10", lambda crm, p: p["pairs"], "written in Latin letters too"),
        ("q10", lambda crm, p: p["fa_pairs"].rename(columns={"duplicate_id": "master_id", "master_id": "duplicate_id"}),
         "swapped"),
        ("q11", lambda crm, p: _bad_codes(crm, missing_too=True), "no national code at all"),
        ("q11", lambda crm, p: _bad_codes(crm, eleven=False), "11 - s"),
        ("q11", lambda crm, p: _bad_codes(crm, weights=tuple(range(2, 11))), "weights run the wrong way"),
        ("q11", lambda crm, p: len(_bad_codes(crm)), "You gave how many"),
    ],
)  # fmt: skip
def test_known_mistakes_get_their_message(ex, crm, parts, qid, wrong, message):
    feedback = getattr(ex, qid).check(wrong(crm, parts))
    assert feedback.status is Status.INCORRECT
    assert message in feedback.message, feedback.message


def test_dropping_the_duplicates_orders_loses_real_revenue(crm, parts):
    lost = _revenue(parts["real_orders"], crm.order_lines) - _revenue(_without_duplicates(parts), crm.order_lines)
    assert lost > 1000  # the mistake the targeted message is about is not a rounding error


def test_a_wrong_table_says_what_is_wrong_without_the_answer(ex, parts):
    wrong = parts["pairs"].assign(master_id=parts["pairs"]["master_id"] + 1)
    feedback = ex.q3.check(wrong)
    assert feedback.status is Status.INCORRECT
    assert "master_id" in feedback.message
    assert str(int(parts["pairs"]["master_id"].iloc[0])) not in feedback.message  # expected values are not shown


def test_learner_code_that_raises_is_explained(ex, crm):
    feedback = ex.q1.check_code(lambda: crm.raw_customers["e_mail"].isna().sum())
    assert feedback.status is Status.LEARNER_ERROR
    assert "email" in feedback.message  # the closest column name is suggested


@pytest.mark.parametrize(("qid", "answer", "status", "text"), [
    ("q7", "b", Status.CORRECT, "cannot invent an e-mail"),
    ("q7", "a", Status.INCORRECT, "No rule can compute them"),
    ("q7", "c", Status.INCORRECT, "The survivors keep their own attributes"),
    ("q8", "c", Status.CORRECT, "re-point them to the surviving record"),
    ("q8", "a", Status.INCORRECT, "real revenue disappears"),
    ("q8", "b", Status.INCORRECT, "still counts twice"),
    ("q9", "a", Status.CORRECT, "Pick the few metrics"),
    ("q9", "b", Status.INCORRECT, "costs months"),
    ("q9", "c", Status.INCORRECT, "nobody reads it"),
])  # fmt: skip
def test_quizzes(ex, qid, answer, status, text):
    feedback = ex.quiz(qid, answer=answer)
    assert feedback.status is status and text in feedback.message


def test_hints_get_more_specific_and_solution_is_recorded(ex):
    first, third = str(ex.q3.hint()), str(ex.q3.hint(3))
    assert "test records" in first and "transform('first')" in third
    assert "duplicate_map" in str(ex.q3.solution())
    assert "q3" in str(ex.progress())


def test_reflection_is_recorded_unchecked(ex):
    assert ex.q6.check("The oldest record survives.").status is Status.UNCHECKED
