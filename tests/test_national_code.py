"""The Iranian national code: hand-computed check digits, a brute-force oracle, and its use in quality checks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmlab.analysis import quality as q
from crmlab.analysis.quality.national_code import is_valid_national_code, normalise_national_code


def _oracle(code: str) -> bool:
    """The rule written out once more, digit by digit, with Python integers."""
    if len(code) != 10 or not code.isdigit() or len(set(code)) == 1:
        return False
    total = 0
    for position in range(9):
        total += int(code[position]) * (10 - position)
    remainder = total % 11
    check = int(code[9])
    return check == remainder if remainder < 2 else check == 11 - remainder


# Hand computations (weights 10, 9, ..., 2 on the first nine digits):
#   0499370899: 0 + 36 + 72 + 63 + 18 + 35 + 0 + 24 + 18 = 266; 266 % 11 = 2 -> check 11 - 2 = 9
#   0012345679: 0 + 0 + 8 + 14 + 18 + 20 + 20 + 18 + 14 = 112; 112 % 11 = 2 -> check 9
#   1000000011: 10 + 1 * 2 = 12; 12 % 11 = 1 (< 2)      -> check 1
#   0100000010: 9 + 1 * 2 = 11; 11 % 11 = 0 (< 2)       -> check 0
#   1000000001: 10; 10 % 11 = 10                         -> check 11 - 10 = 1
HAND = {
    "0499370899": True, "0499370898": False,
    "0012345679": True, "0012345672": False,
    "1000000011": True, "1000000012": False,
    "0100000010": True, "0100000011": False,
    "1000000001": True,
    "1111111111": False,  # passes the arithmetic (54 % 11 = 10 -> 1) but is a placeholder
    "0000000000": False,
}  # fmt: skip


@pytest.mark.parametrize(("code", "valid"), HAND.items())
def test_hand_computed_codes(code, valid):
    assert is_valid_national_code(pd.Series([code])).tolist() == [valid]
    assert _oracle(code) is valid


def test_agrees_with_brute_force_on_random_codes():
    rng = np.random.default_rng(12)
    codes = ["".join(map(str, row)) for row in rng.integers(0, 10, size=(20_000, 10))]
    codes += [str(d) * 10 for d in range(10)]
    got = is_valid_national_code(pd.Series(codes)).tolist()
    assert got == [_oracle(c) for c in codes]
    assert 0.05 < np.mean(got) < 0.15  # about one code in ten passes a random check digit


def test_persian_digits_dashes_and_dropped_zeros_are_read():
    typed = pd.Series(["\u06f0\u06f0\u06f1\u06f2\u06f3\u06f4\u06f5\u06f6\u06f7\u06f9",  # 0012345679 in Persian
                       "\u0660\u0664\u0669\u0669\u0663\u0667\u0660\u0668\u0669\u0669",  # 0499370899, Arabic-Indic
                       "001-234567-9", "12345679", "499370899", 12345679])  # fmt: skip
    assert normalise_national_code(typed).tolist() == ["0012345679", "0499370899", "0012345679", "0012345679",
                                                       "0499370899", "0012345679"]  # fmt: skip


def test_what_is_not_a_code():
    typed = pd.Series(["1234567", "00123456790", "00123x5679", "", None, "12345679.0"])
    assert is_valid_national_code(typed).tolist() == [False] * 6
    assert normalise_national_code(typed).isna().all()


def test_scorecard_counts_invalid_codes_only_when_the_column_exists():
    from test_analysis_quality import _orders, _people, _tickets

    base = q.scorecard(_people(), _orders(), _tickets())
    coded = _people(national_code=["0012345679", "0012345679", None])
    assert q.scorecard(coded, _orders(), _tickets()).equals(base)
    typo = _people(national_code=["0012345678", "0012345679", None])  # record 1: last digit mistyped
    card = q.scorecard(typo, _orders(), _tickets()).set_index(["table", "dimension"])
    before = base.set_index(["table", "dimension"])
    assert card.loc[("customers", "validity"), "failing"] == before.loc[("customers", "validity"), "failing"] + 1
    persian = _people(national_code=["\u06f0\u06f0\u06f1\u06f2\u06f3\u06f4\u06f5\u06f6\u06f7\u06f9", "0012345679",
                                     None])  # fmt: skip
    card = q.scorecard(persian, _orders(), _tickets()).set_index(["table", "dimension"])
    assert card.loc[("customers", "validity"), "failing"] == before.loc[("customers", "validity"), "failing"]
    assert card.loc[("customers", "consistency"), "failing"] == before.loc[("customers", "consistency"), "failing"] + 1


def test_candidate_pairs_block_on_a_valid_code():
    people = pd.DataFrame({"customer_id": [1, 2, 3, 4], "phone": ["+989121112233", "+989124445566", None, None],
                           "email": ["a@x.ir", "b@x.ir", None, None],
                           "national_code": ["0012345679", "12345679", "1111111111", "1111111111"]})  # fmt: skip
    pairs = q.candidate_pairs(people)
    assert pairs.values.tolist() == [[1, 2, "national_code"]]  # the placeholder 1111111111 blocks nothing
    assert q.candidate_pairs(people, keys=("phone", "email")).empty


def test_a_shared_code_and_a_matching_name_make_a_duplicate():
    people = pd.DataFrame({"customer_id": [1, 2], "first_name": ["Sara", "Sara"], "last_name": ["Zand", "Zand"],
                           "phone": ["+989121112233", "+989124445566"], "email": ["a@x.ir", "b@x.ir"],
                           "national_code": ["0012345679", "0012345679"]})  # fmt: skip
    found = q.find_duplicates(people)
    assert found[["same_phone", "same_national_code", "is_duplicate"]].values.tolist() == [[False, True, True]]
    without = q.find_duplicates(people.drop(columns="national_code"))
    assert without.empty and "same_national_code" not in without.columns
