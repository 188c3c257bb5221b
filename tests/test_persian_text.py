"""crmlab.persian_text and its use in the duplicate finder, phone and e-mail cleaning and the loader.

Characters are written as escapes, so the oracle does not depend on how an editor shows
Arabic-script text: YEH (Persian) U+06CC, ARABIC_YEH U+064A, ALEF_MAKSURA U+0649, KEHEH
(Persian kaf) U+06A9, ARABIC_KAF U+0643, YEH_HAMZA U+0626, ZWNJ U+200C.
"""

from __future__ import annotations

import pandas as pd
import pytest

from crmlab import persian_text as pt
from crmlab.analysis import quality as q
from crmlab.datasets.options import ReadOptions
from crmlab.datasets.values import cast_column

YEH, ARABIC_YEH, ALEF_MAKSURA = "\u06cc", "\u064a", "\u0649"
KAF, ARABIC_KAF, YEH_HAMZA, ZWNJ = "\u06a9", "\u0643", "\u0626", "\u200c"
ALI = "\u0639\u0644" + YEH  # Ali
ALI_ARABIC = "\u0639\u0644" + ARABIC_YEH
REZAEI = "\u0631\u0636\u0627" + YEH + YEH  # Rezaei, with two Persian yeh
REZAEI_HAMZA = "\u0631\u0636\u0627" + YEH_HAMZA + YEH  # the hamza spelling
MOHAMMAD, REZA = "\u0645\u062d\u0645\u062f", "\u0631\u0636\u0627"
KARIMI = KAF + "\u0631" + YEH + "\u0645" + YEH
KARIMI_ARABIC = ARABIC_KAF + "\u0631" + ARABIC_YEH + "\u0645" + ARABIC_YEH
PERSIAN_DIGITS = "".join(chr(0x06F0 + i) for i in range(10))
ARABIC_DIGITS = "".join(chr(0x0660 + i) for i in range(10))


# ---------------------------------------------------------------- the normaliser


def test_arabic_letters_become_persian_and_nothing_else_changes():
    assert pt.normalise_persian(KARIMI_ARABIC) == KARIMI
    assert pt.normalise_persian("\u0645\u0648\u0633" + ALEF_MAKSURA) == "\u0645\u0648\u0633" + YEH
    assert pt.normalise_persian("Sara Zand 12") == "Sara Zand 12"


def test_display_keeps_zwnj_and_hamza_but_mends_zwnj_misuse():
    compound = MOHAMMAD + ZWNJ + REZA
    assert pt.normalise_persian(compound) == compound
    assert pt.normalise_persian(MOHAMMAD + ZWNJ + ZWNJ + REZA) == compound
    assert pt.normalise_persian(MOHAMMAD + ZWNJ + " " + REZA) == MOHAMMAD + " " + REZA
    assert pt.normalise_persian(ZWNJ + MOHAMMAD + ZWNJ) == MOHAMMAD
    assert pt.normalise_persian(REZAEI_HAMZA) == REZAEI_HAMZA  # a spelling, not an error: kept for display


def test_diacritics_and_tatweel_are_dropped():
    marked = "\u0645\u064f\u062d\u064e\u0645\u0651\u064e\u062f"  # Mohammad with damma, fatha, shadda, fatha
    assert pt.normalise_persian(marked) == MOHAMMAD
    assert pt.normalise_persian("\u0645\u062d\u0640\u0640\u0645\u062f") == MOHAMMAD  # tatweel
    assert pt.normalise_persian("\u0645\u0648\u0633\u06cc\u0670") == "\u0645\u0648\u0633\u06cc"  # superscript alef
    every_mark = "".join(chr(c) for c in range(0x064B, 0x0653)) + "\u0670\u0640"
    assert pt.normalise_persian("\u0628" + every_mark + "\u062f") == "\u0628\u062f"


def test_digits_become_ascii():
    assert pt.to_ascii_digits(PERSIAN_DIGITS) == "0123456789"
    assert pt.to_ascii_digits(ARABIC_DIGITS) == "0123456789"
    assert pt.normalise_persian(PERSIAN_DIGITS) == PERSIAN_DIGITS  # display keeps them unless asked
    assert pt.normalise_persian(PERSIAN_DIGITS, ascii_digits=True) == "0123456789"


@pytest.mark.parametrize(("typed", "read"), [
    ("\u06f1\u06f2\u06f3\u066c\u06f4\u06f5\u06f6", "123456"),
    ("\u06f1\u066c\u06f2\u06f3\u06f4\u066b\u06f5", "1234.5"),
    ("\u06f1\u06f2\u066b\u06f5\u06f0", "12.50"),
    ("\u06f1\u06f2\u066c\u06f3", "12\u066c3"),  # badly grouped: kept, so a parser refuses it
])  # fmt: skip
def test_number_separators(typed, read):
    assert pt.ascii_number_text(typed) == read


def test_matching_key_one_key_for_every_zwnj_form():
    forms = [MOHAMMAD + ZWNJ + REZA, MOHAMMAD + " " + REZA, MOHAMMAD + REZA, MOHAMMAD + "  " + ZWNJ + REZA]
    assert {pt.matching_key(f) for f in forms} == {MOHAMMAD + REZA}


def test_matching_key_folds_yeh_kaf_and_hamza():
    assert pt.matching_key(ALI_ARABIC) == pt.matching_key(ALI) == ALI
    assert pt.matching_key(REZAEI_HAMZA) == pt.matching_key(REZAEI) == REZAEI
    assert pt.matching_key(KARIMI_ARABIC) == KARIMI


@pytest.mark.parametrize("name", ["Sara", " Mohammad Reza ", "HOSSEINI.", "Zand-Tehrani", "Ali  Reza", "Ödön"])
def test_matching_key_of_latin_text_is_strip_casefold(name):
    assert pt.matching_key(name) == name.strip().casefold()


def test_series_keep_index_and_missing_values():
    s = pd.Series([ALI_ARABIC, None, ALI_ARABIC, "X"], index=[10, 11, 12, 13], name="first_name")
    out = pt.matching_key(s)
    assert out.index.tolist() == [10, 11, 12, 13] and out.name == "first_name"
    assert out.tolist()[0] == ALI and pd.isna(out[11]) and out[13] == "x"
    assert pt.normalise_persian(pd.Series([], dtype="str")).tolist() == []


def test_refuses_other_types_with_a_message():
    with pytest.raises(TypeError, match="a text or a pandas Series"):
        pt.matching_key(["list"])


# ---------------------------------------------------------------- the probes


def test_probe_name_score_of_arabic_and_hamza_spellings():
    assert q.name_score(ALI, REZAEI, ALI_ARABIC, REZAEI_HAMZA) == 100.0  # was 66.7 before the normaliser


def test_probe_phone_in_persian_and_arabic_indic_digits():
    persian = "\u06f0\u06f9\u06f1\u06f2 \u06f3\u06f4\u06f5 \u06f6\u06f7\u06f8\u06f9"
    arabic = "\u0660\u0669\u0661\u0662-\u0663\u0664\u0665-\u0666\u0667\u0668\u0669"
    assert q.normalise_phone(pd.Series([persian, arabic])).tolist() == ["+989123456789"] * 2


def test_probe_jalali_date_in_persian_digits_loads_exactly():
    typed = pd.Series(["\u06f1\u06f4\u06f0\u06f3/\u06f0\u06f5/\u06f1\u06f2"])  # 1403/05/12 = 2 August 2024
    out = cast_column(typed, "datetime64[s]", table="customers", column="signup_date",
                      options=ReadOptions(calendar="jalali"))  # fmt: skip
    assert out.tolist() == [pd.Timestamp("2024-08-02")]


def test_loader_reads_persian_grouped_integers_and_refuses_bad_grouping():
    ok = cast_column(pd.Series(["\u06f1\u06f2\u06f3\u066c\u06f4\u06f5\u06f6", "\u0664\u0665"]), "int64",
                     table="orders", column="order_id")  # fmt: skip
    assert ok.tolist() == [123456, 45]
    money = cast_column(pd.Series(["\u06f1\u066c\u06f2\u06f3\u06f4\u066b\u06f5\u06f0"]), "int64", table="orders",
                        column="total_cents", options=ReadOptions(units={"orders.total_cents": "major"}))
    assert money.tolist() == [123450]
    with pytest.raises(Exception, match="not plain numbers"):
        cast_column(pd.Series(["\u06f1\u06f2\u066c\u06f3"]), "int64", table="orders", column="order_id")


def test_loader_leaves_text_columns_as_typed():
    typed = pd.Series([KARIMI_ARABIC, MOHAMMAD + ZWNJ + REZA, PERSIAN_DIGITS])
    out = cast_column(typed, "str", table="customers", column="last_name")
    assert out.tolist() == typed.tolist()


# ---------------------------------------------------------------- duplicates and e-mails


def test_email_key_reads_digits_and_drops_zwnj_and_spaces():
    typed = pd.Series(["ali\u06f1\u06f3\u06f7\u06f0@gmail.com", " ali1370" + ZWNJ + "@gmail.com ",
                       "ali 1370@gmail.com"])  # fmt: skip
    assert q.normalise_email(typed).tolist() == ["ali1370@gmail.com"] * 3


def test_persian_duplicate_pair_is_found_with_digits_and_arabic_letters():
    people = pd.DataFrame({
        "customer_id": [1, 2, 3],
        "first_name": [ALI, ALI_ARABIC, "Sara"],
        "last_name": [KARIMI, KARIMI_ARABIC, "Zand"],
        "phone": ["+989121112233", "\u06f0\u06f9\u06f1\u06f2 \u06f1\u06f1\u06f1 \u06f2\u06f2\u06f3\u06f3",
                  "+989124445566"],
        "email": ["a@x.ir", None, "s@x.ir"],
    })  # fmt: skip
    found = q.find_duplicates(people)
    assert found[["customer_id_a", "customer_id_b", "is_duplicate"]].values.tolist() == [[1, 2, True]]
    assert found["name_score"].tolist() == [100.0]


@pytest.mark.parametrize(("a", "b", "score"), [
    (("Moh.", "Hoseini"), ("Mohammad", "Hosseini"), 93.33333333333333),
    (("sara", "Zand"), ("Sara", "Zand"), 100.0),
    (("Ali", "Rezaei"), ("Reza", "Rezaei"), 28.57142857142857),
    (("Ali", "Karimi"), ("Ali", "Karimy"), 83.33333333333334),
    (("Nazanin", "Amini"), ("Nazanin", "Amini "), 100.0),
])  # fmt: skip
def test_latin_names_score_as_before(a, b, score):
    from rapidfuzz import fuzz

    assert q.name_score(*a, *b) == score
    old_key = lambda s: s.strip().casefold().rstrip(".")  # noqa: E731  the key before the normaliser
    old_first = (100.0 if min(len(old_key(a[0])), len(old_key(b[0]))) >= 3
                 and (old_key(a[0]).startswith(old_key(b[0])) or old_key(b[0]).startswith(old_key(a[0])))
                 else fuzz.ratio(old_key(a[0]), old_key(b[0])))  # fmt: skip
    assert q.name_score(*a, *b) == min(old_first, fuzz.ratio(old_key(a[1]), old_key(b[1])))


def test_latin_names_of_the_course_data_score_as_before():
    """Every candidate pair of the course's raw export: the score equals the formula before the normaliser."""
    from rapidfuzz import fuzz

    from crmlab.datasets import load_crm

    crm = load_crm(tables=["raw_customers"])
    people = crm.raw_customers.set_index("customer_id")
    latin = people[~(people["first_name"] + people["last_name"]).str.contains("[\u0600-\u06ff]")]
    pairs = q.candidate_pairs(latin.reset_index())
    assert len(pairs) > 30

    def old(a: str, b: str, first: bool) -> float:
        a, b = a.strip().casefold().rstrip("."), b.strip().casefold().rstrip(".")
        prefix = first and min(len(a), len(b)) >= 3 and (a.startswith(b) or b.startswith(a))
        return 100.0 if prefix else fuzz.ratio(a, b)

    for i, j in zip(pairs["customer_id_a"], pairs["customer_id_b"], strict=True):
        a, b = people.loc[i], people.loc[j]
        before = min(old(a["first_name"], b["first_name"], True), old(a["last_name"], b["last_name"], False))
        assert q.name_score(a["first_name"], a["last_name"], b["first_name"], b["last_name"]) == before


def test_standardised_email_reads_persian_digits():
    raw = pd.DataFrame({"customer_id": [1], "email": [" Ali\u06f1\u06f3\u06f7\u06f0" + ZWNJ + "@Gmail.com"],
                        "phone": ["+989123456789"], "segment": ["consumer"], "city": ["Tehran"],
                        "birth_year": pd.array([1980], dtype="Int16")})  # fmt: skip
    assert q.standardise_customers(raw)["email"].tolist() == ["ali1370@gmail.com"]


def test_opt_in_normalisation_of_a_loaded_table_counts_its_changes():
    table = pd.DataFrame({"last_name": [KARIMI_ARABIC, KARIMI, None, MOHAMMAD + ZWNJ + ZWNJ + REZA],
                          "city": ["Tehran"] * 4, "n": [1, 2, 3, 4]})  # fmt: skip
    out, changed = pt.normalise_columns(table)
    assert changed.to_dict() == {"last_name": 2, "city": 0}
    assert out["last_name"].tolist()[:2] == [KARIMI, KARIMI] and pd.isna(out["last_name"][2])
    assert table["last_name"][0] == KARIMI_ARABIC  # the input is not touched
    with pytest.raises(KeyError, match="does not have"):
        pt.normalise_columns(table, ["first_name"])
