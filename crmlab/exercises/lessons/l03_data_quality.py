"""Exercises of lesson 03, *Prioritise and clean the data*: profile, deduplicate, merge.

Expected values are computed from the course's database (and its planted truths in
``truth.json``) on the first check, never typed in.
"""

from functools import cache

import pandas as pd

from crmlab import persian_text
from crmlab.analysis import quality
from crmlab.datasets import practice_crm
from crmlab.exercises import CompareOptions, Mistake, Question, Reflection
from crmlab.exercises.lessons import shown_by

TITLE = "Prioritise and clean the data"
_TABLES = ["raw_customers", "raw_orders", "customers", "orders", "order_lines"]


@cache
def _crm():
    return practice_crm(tables=_TABLES)


def _raw() -> pd.DataFrame:
    return _crm().raw_customers


def _test_ids() -> list[int]:
    return [int(i) for i in _crm().truth["test_customer_ids"]]


def _dup_ids() -> list[int]:
    return [int(i) for i in _crm().truth["duplicates"]]


# ---------------------------------------------------------------- q2: e-mail keys


def _email_key(lower: bool = True, tags: bool = True, dots: str = "local") -> pd.Series:
    """The raw e-mails as matching keys; the flags reproduce the likely slips."""
    email = _raw()["email"].str.strip()
    email = email.str.lower() if lower else email
    local, domain = email.str.split("@").str[0], email.str.split("@").str[1]
    if tags:
        local = local.str.replace(r"\+.*$", "", regex=True)
    if dots in ("local", "everywhere"):
        local = local.str.replace(".", "", regex=False)
    if dots == "everywhere":
        domain = domain.str.replace(".", "", regex=False)
    return local + "@" + domain


# ---------------------------------------------------------------- q3: duplicate pairs


def _expected_pairs() -> pd.DataFrame:
    truth = _crm().truth["duplicates"]
    return pd.DataFrame({"duplicate_id": [int(k) for k in truth], "master_id": [int(v) for v in truth.values()]})


def _pairs_by(key: pd.Series) -> set[frozenset]:
    """Unordered pairs of real records sharing ``key`` exactly (what naive matching finds)."""
    real = ~_raw()["customer_id"].isin(_test_ids())
    frame = pd.DataFrame({"id": _raw()["customer_id"], "key": key})[real].dropna()
    groups = frame.groupby("key")["id"].apply(list)
    return {frozenset((a, b)) for ids in groups for a in ids for b in ids if a < b}


def _normalised_email() -> pd.Series:
    return _email_key()


def _answer_pairs(answer) -> set[frozenset]:
    frame = answer.reset_index() if isinstance(answer, pd.DataFrame) else pd.DataFrame()
    ids = zip(frame["duplicate_id"].astype(int), frame["master_id"].astype(int), strict=True)
    return {frozenset((a, b)) for a, b in ids}


def _pairs_table(pairs: set[frozenset]) -> pd.DataFrame:
    rows = sorted(sorted(pair) for pair in pairs)
    return pd.DataFrame({"duplicate_id": [b for _, b in rows], "master_id": [a for a, _ in rows]})


def _same_pairs_as(key):
    """A test: the answer holds exactly the pairs that matching on ``key()`` as written finds."""
    return shown_by(lambda answer: _answer_pairs(answer) == _pairs_by(key()),
                    example=lambda: _pairs_table(_pairs_by(key())))  # fmt: skip


def _swapped(answer) -> bool:
    want = _expected_pairs()
    reversed_ = {(int(m), int(d)) for d, m in zip(want["duplicate_id"], want["master_id"], strict=True)}
    frame = answer.reset_index()
    return {(int(d), int(m)) for d, m in zip(frame["duplicate_id"], frame["master_id"], strict=True)} == reversed_


def _swapped_pairs() -> pd.DataFrame:
    return _expected_pairs().rename(columns={"duplicate_id": "master_id", "master_id": "duplicate_id"})


def _pairs_with_test_records() -> pd.DataFrame:
    tests = sorted(_test_ids())
    return pd.concat([_expected_pairs(), pd.DataFrame({"duplicate_id": tests[1:], "master_id": tests[0]})])


def _has_test_records(answer) -> bool:
    frame = answer.reset_index()
    return bool(pd.concat([frame["duplicate_id"], frame["master_id"]]).isin(_test_ids()).any())


# ---------------------------------------------------------------- q10: Persian-script duplicates

_SCRIPT = "[\u0600-\u06ff]"  # a letter of the Arabic script (Persian included)


@cache
def _all_pairs() -> pd.DataFrame:
    """The lesson's detector on the real records: every duplicate -> master pair."""
    real = _raw()[~_raw()["customer_id"].isin(_test_ids())]
    return quality.duplicate_map(real, quality.find_duplicates(real)).reset_index()


def _persian_ids() -> set[int]:
    raw = _raw()
    script = raw["first_name"].str.contains(_SCRIPT) | raw["last_name"].str.contains(_SCRIPT)
    return {int(i) for i in raw.loc[script.fillna(False).astype(bool), "customer_id"]}


def _expected_fa_pairs() -> pd.DataFrame:
    pairs, fa = _all_pairs(), _persian_ids()
    return pairs[pairs["duplicate_id"].isin(fa) | pairs["master_id"].isin(fa)].reset_index(drop=True)


def _old_phone(phones: pd.Series) -> pd.Series:
    """Phones read the way that ignores Persian digits: only ASCII 0-9 kept, so they come out missing."""
    digits = phones.str.replace(r"[^0-9]", "", regex=True).str.replace(r"^(?:0098|98|0)(?=9[0-9]{9}$)", "", regex=True)
    return digits.where(digits.str.fullmatch(r"9[0-9]{9}"))


def _fa_pairs_by(name_key, phone_key) -> pd.DataFrame:
    """Persian-script records grouped on name keys and a phone key; the first signed up survives."""
    raw = _raw()[_raw()["customer_id"].isin(_persian_ids())]
    key = name_key(raw["first_name"]) + "|" + name_key(raw["last_name"]) + "|" + phone_key(raw["phone"])
    ranked = raw.assign(key=key).dropna(subset=["key"]).sort_values(["signup_date", "customer_id"])
    ranked["master_id"] = ranked.groupby("key")["customer_id"].transform("first")
    out = ranked.loc[ranked["customer_id"] != ranked["master_id"], ["customer_id", "master_id"]]
    return out.rename(columns={"customer_id": "duplicate_id"}).reset_index(drop=True)


def _missing_kinds(answer) -> set[str]:
    """Kinds of planted Persian pairs the answer lacks, when it holds nothing but right pairs."""
    got, want = _answer_pairs(answer), _answer_pairs(_expected_fa_pairs())
    if not got < want:
        return set()
    masters = {int(k): int(v) for k, v in _crm().truth["duplicates"].items()}
    kinds = _crm().truth["persian_duplicate_kinds"]
    return {kind for kind, ids in kinds.items() if any(frozenset((d, masters[d])) in want - got for d in ids)}


def _latin_pairs_too(answer) -> bool:
    got, want = _answer_pairs(answer), _answer_pairs(_expected_fa_pairs())
    return got > want


def _as_typed(names: pd.Series) -> pd.Series:
    return names.str.strip()


# ---------------------------------------------------------------- q11: national codes


def _passes(code: str, weights=range(10, 1, -1), eleven: bool = True) -> bool:
    """The check digit, with the slips of q11's mistakes as options."""
    digits = [int(c) for c in code]
    s = sum(w * d for w, d in zip(weights, digits[:9], strict=True)) % 11
    return digits[9] == (s if s < 2 or not eleven else 11 - s)


def _invalid_codes() -> list[int]:
    codes = _raw()["national_code"]
    bad = codes.notna() & ~quality.is_valid_national_code(codes)
    return sorted(int(i) for i in _raw().loc[bad, "customer_id"])


def _invalid_by(weights=range(10, 1, -1), eleven: bool = True, missing_too: bool = False) -> list[int]:
    codes = _raw().set_index("customer_id")["national_code"]
    bad = [i for i, c in codes.items()
           if (pd.isna(c) and missing_too) or (pd.notna(c) and not _passes(c, weights, eleven))]  # fmt: skip
    return sorted(int(i) for i in bad)


# ---------------------------------------------------------------- q4, q5: revenue and orders


def _revenue(drop_tests: bool = True, drop_dups: bool = False, statuses=("completed",), divide: int = 1,
             correct_toman: bool = True) -> float:
    """Rials of the kept orders, totals typed in toman set to their lines' sum; ``divide=100`` is the cents habit."""
    orders = _crm().raw_orders
    keep = pd.Series(True, index=orders.index)
    if drop_tests:
        keep &= ~orders["customer_id"].isin(_test_ids())
    if drop_dups:
        keep &= ~orders["customer_id"].isin(_dup_ids())
    if statuses:
        keep &= orders["status"].isin(statuses)
    kept = orders.loc[keep]
    total = float(kept["total_cents"].sum())
    if correct_toman:
        mixups = quality.unit_mixups(kept, _crm().order_lines)
        total += float((mixups["corrected"] - mixups["total"]).sum())
    return total / divide


def _clean_orders() -> pd.DataFrame:
    return _crm().orders[["order_id", "customer_id"]].set_index("order_id")


def _frame_ids(answer, column: str) -> pd.Series:
    return answer.reset_index()[column] if isinstance(answer, pd.DataFrame) else pd.Series(dtype="int64")


def _dropped_dup_orders(answer) -> bool:
    orders = _crm().raw_orders
    dup_orders = orders.loc[orders["customer_id"].isin(_dup_ids()), "order_id"]
    missing = set(_clean_orders().index) - set(_frame_ids(answer, "order_id"))
    return bool(missing) and missing <= set(dup_orders)


def _points_at_duplicates(answer) -> bool:
    return bool(_frame_ids(answer, "customer_id").isin(_dup_ids()).any())


def _keeps_test_orders(answer) -> bool:
    return bool(_frame_ids(answer, "customer_id").isin(_test_ids()).any())


def _orders_of(ids, keep: bool = True) -> pd.DataFrame:
    orders = _crm().raw_orders
    chosen = orders["customer_id"].isin(list(ids))
    return orders[chosen if keep else ~chosen].set_index("order_id")[["customer_id"]]


def _orders_without_duplicates() -> pd.DataFrame:
    return _clean_orders().drop(_orders_of(_dup_ids()).index, errors="ignore")


def _orders_not_repointed() -> pd.DataFrame:
    return _orders_of(_test_ids(), keep=False)


def _orders_with_tests() -> pd.DataFrame:
    return pd.concat([_clean_orders(), _orders_of(_test_ids())])


QUESTIONS = [
    Question(
        "q1",
        "How many customer records in `raw_customers` have no e-mail address?",
        expected=lambda: int(_raw()["email"].isna().sum()),
        hints=[
            "Missing values show as NaN or None; pandas finds them with `.isna()`.",
            "`.isna()` gives True/False per row; summing True values counts them.",
            "`crm.raw_customers['email'].isna().sum()`",
        ],
        solution="n_missing = crm.raw_customers['email'].isna().sum()",
        mistakes=[
            Mistake("You counted the e-mails that are there: count the missing ones, with `.isna()`.",
                    expected=lambda: int(_raw()["email"].notna().sum())),  # fmt: skip
            Mistake("That is the clean `customers` table, which has no gaps: look at the raw export, "
                    "`crm.raw_customers`.", expected=lambda: int(_crm().customers["email"].isna().sum())),  # fmt: skip
            Mistake("You gave a share; the question asks for the number of records. Use `.sum()`, not `.mean()`.",
                    when=shown_by(lambda n: 0 < float(n) < 1,
                                  example=lambda: float(_raw()["email"].isna().mean()))),  # fmt: skip
        ],
    ),
    Question(
        "q2",
        "Turn the `email` column of `raw_customers` into matching keys, a Series `keys` in the same "
        "row order: lower case, the `+tag` dropped, and the dots before the `@` dropped.",
        expected=_email_key,
        hints=[
            "Work on `crm.raw_customers['email']` with the `.str` methods: `.str.lower()`, `.str.split('@')`.",
            "Split into the part before the `@` and the domain; clean the first part only, then glue them back.",
            "`local.str.replace(r'\\+.*$', '', regex=True).str.replace('.', '', regex=False)`",
        ],
        solution="lower = crm.raw_customers['email'].str.strip().str.lower()\n"
        "local, domain = lower.str.split('@').str[0], lower.str.split('@').str[1]\n"
        "local = local.str.replace(r'\\+.*$', '', regex=True).str.replace('.', '', regex=False)\n"
        "keys = local + '@' + domain",
        mistakes=[
            Mistake("Lower case is a good start, but your keys still hold the dots before the `@` (Gmail ignores "
                    "them) and the `+tags` (`sara+shop@...` reaches `sara@...`): drop both from the part before "
                    "the `@`.", expected=lambda: _email_key(tags=False, dots="none")),  # fmt: skip
            Mistake("Your keys still hold the dots before the `@`. Gmail ignores them: `sara.zand@gmail.com` and "
                    "`sarazand@gmail.com` reach one mailbox. Drop them from the part before the `@`.",
                    expected=lambda: _email_key(dots="none")),  # fmt: skip
            Mistake("Your keys still hold `+tags`: `sara+shop@...` reaches `sara@...`. Drop everything from "
                    "the `+` to the `@`.", expected=lambda: _email_key(tags=False)),  # fmt: skip
            Mistake("You dropped the dots of the domain too (`gmailcom`): only the part before the `@` "
                    "ignores dots.", expected=lambda: _email_key(dots="everywhere")),  # fmt: skip
            Mistake("Upper and lower case still differ in your keys: `ALI@X.IR` and `ali@x.ir` are one "
                    "address. Lower-case first.", expected=lambda: _email_key(lower=False)),  # fmt: skip
        ],
    ),
    Question(
        "q3",
        "Find the duplicate customers of `raw_customers` (test records set aside): a table `pairs` with "
        "one row per duplicate record, columns `duplicate_id` and `master_id` (the record that survives: "
        "the one created first).",
        expected=_expected_pairs,
        hints=[
            "Set the test records aside first: they all share one placeholder phone.",
            "A duplicate shares its master's phone number, written another way: normalise the phones "
            "(`quality.normalise_phone`) before you compare them.",
            "Sort by `signup_date`, group by the normalised phone, and take the first `customer_id` of each "
            "group as the master (`.transform('first')`); the other records of a group are duplicates.",
        ],
        solution="real = crm.raw_customers[~crm.raw_customers['customer_id'].isin(tests['customer_id'])]\n"
        "found = quality.find_duplicates(real)\n"
        "pairs = quality.duplicate_map(real, found).reset_index()",
        mistakes=[
            Mistake("You matched the e-mails exactly as written. Exact matching misses case variants "
                    "(`ALI@X.IR` is `ali@x.ir`), dropped dots and `+tags`; and a shared address is not proof "
                    "of one person. Match on the normalised phone.",
                    when=_same_pairs_as(lambda: _raw()["email"])),  # fmt: skip
            Mistake("You matched lower-cased e-mails. That finds the case variants but misses the dropped dots "
                    "(Gmail ignores them) and the `+tags`, and it joins two different people who share an "
                    "address. Match on the normalised phone, and check the names.",
                    when=_same_pairs_as(lambda: _raw()["email"].str.lower())),  # fmt: skip
            Mistake("A shared e-mail is not proof of one person: one of your pairs is two different customers "
                    "(different phones, cities, birth years) who share an address. A duplicate shares the phone "
                    "number; the e-mail is a clue.", when=_same_pairs_as(_normalised_email)),  # fmt: skip
            Mistake("You matched phones as they are written: `0912 345 6789` and `+989123456789` are one "
                    "number. Normalise the phones to one form first.",
                    when=_same_pairs_as(lambda: _raw()["phone"])),  # fmt: skip
            Mistake("Your duplicate and master columns are swapped: the record created first (earliest "
                    "`signup_date`) survives as the master.", when=shown_by(_swapped,
                                                                            example=_swapped_pairs)),  # fmt: skip
            Mistake("Your pairs include test records: they share a placeholder phone. Set them aside "
                    "(`quality.find_test_records`) before you look for duplicates.",
                    when=shown_by(_has_test_records, example=_pairs_with_test_records)),  # fmt: skip
        ],
    ),
    Question(
        "q4",
        "The revenue of the completed orders in `raw_orders`, in rials, once the test orders (orders of "
        "test records) are left out and the totals typed in toman are corrected to their lines' sum "
        "(`quality.unit_mixups` with `crm.order_lines` finds them). Store the number in `revenue_rial`.",
        expected=_revenue,
        hints=[
            "The test orders are the orders whose `customer_id` is a test record's. Keep the other orders "
            "whose `status` is 'completed'.",
            "`quality.unit_mixups(done, crm.order_lines)` lists the totals typed in toman: `total` as typed, "
            "`corrected` the lines' sum.",
            "`done['total_cents'].sum() + (mixups['corrected'] - mixups['total']).sum()`: `total_cents` holds "
            "whole rials, nothing to divide.",
        ],
        solution="real_orders = crm.raw_orders[~crm.raw_orders['customer_id'].isin(tests['customer_id'])]\n"
        "done = real_orders[real_orders['status'] == 'completed']\n"
        "mixups = quality.unit_mixups(done, crm.order_lines)\n"
        "revenue_rial = done['total_cents'].sum() + (mixups['corrected'] - mixups['total']).sum()",
        mistakes=[
            Mistake("Your total still holds the test orders: leave out the orders of the test records.",
                    expected=lambda: _revenue(drop_tests=False)),  # fmt: skip
            Mistake("You dropped the orders of the duplicate records too. They are real orders of real "
                    "customers: re-point them to the master record; revenue must not fall.",
                    expected=lambda: _revenue(drop_dups=True)),  # fmt: skip
            Mistake("Your total still holds the totals typed in toman, each a tenth of what the customer paid. "
                    "Find them with `quality.unit_mixups(done, crm.order_lines)` and add what they hide "
                    "(`corrected - total`).",
                    expected=lambda: _revenue(correct_toman=False)),  # fmt: skip
            Mistake("Your revenue is 100 times too small: you divided by 100 as if `total_cents` held cents. "
                    "It holds whole rials: use the sum as it is.",
                    expected=lambda: _revenue(divide=100)),  # fmt: skip
            Mistake("Your total includes cancelled and returned orders: keep only `status == 'completed'`.",
                    expected=lambda: _revenue(statuses=())),  # fmt: skip
        ],
        compare=CompareOptions(rtol=0, atol=0.5),  # whole rials: a sum is exact to the rial
    ),
    Question(
        "q5",
        "Merge without losing an order: a table `orders_clean` holding every order of a real customer "
        "from `raw_orders`, with `customer_id` pointing at the surviving record (extra columns are fine).",
        expected=_clean_orders,
        hints=[
            "Drop the test orders, as in question 4, but keep every other order.",
            "Turn your `pairs` into a mapping duplicate -> master: `pairs.set_index('duplicate_id')['master_id']`.",
            "`quality.repoint(orders, mapping)` replaces the duplicate ids; so does `.map(mapping).fillna(...)`.",
        ],
        solution="mapping = pairs.set_index('duplicate_id')['master_id']\n"
        "orders_clean = quality.repoint(real_orders, mapping)",
        mistakes=[
            Mistake("Orders are missing: you dropped the duplicates' orders instead of re-pointing them, "
                    "so their revenue is lost. Keep them and change their `customer_id` to the master's.",
                    when=shown_by(_dropped_dup_orders, example=_orders_without_duplicates)),  # fmt: skip
            Mistake("Some orders still point at duplicate records: replace those `customer_id` values "
                    "with the master's.", when=shown_by(_points_at_duplicates,
                                                        example=_orders_not_repointed)),  # fmt: skip
            Mistake("Your table still holds test orders: leave out the orders of the test records.",
                    when=shown_by(_keeps_test_orders, example=_orders_with_tests)),  # fmt: skip
        ],
        compare=CompareOptions(allow_extra_columns=True),
    ),
    Reflection(
        "q6",
        "In two or three sentences: when two records are one customer, which record should survive, "
        "and what would you do with an attribute that differs between them (say, an e-mail filled in "
        "only on the duplicate)?",
        solution="A fixed, written rule keeps the merge repeatable: here the record created first survives "
        "with its own attributes, because its id is the one other systems have used longest. Filling a "
        "gap from the duplicate (coalescing) is tempting, but the duplicate's values are often the "
        "variants (a +tag, upper case); take them only after a check, and log every value you take.",
        rubric=[
            "States a fixed, written rule for which record survives (e.g. the one created first) and why.",
            "Says what happens to the duplicate's id: it maps to the survivor, so no order or ticket is lost.",
            "Treats a differing attribute with care: taken from the duplicate only after a check, never silently.",
            "Keeps a log of the merge so it can be repeated or undone.",
        ],
    ),
    Question(
        "q10",
        "Some customers of the practice company typed their names in Persian script. Among the real records "
        "of `raw_customers` whose first or last name is in Persian script, find the duplicate customers: a "
        "table `fa_pairs` with columns `duplicate_id` and `master_id` (the record created first).",
        expected=_expected_fa_pairs,
        hints=[
            "Keep the records whose names hold a letter of the Arabic script: `.str.contains('[\\u0600-\\u06ff]')`.",
            "The same name is typed several ways: Arabic `ي`/`ك` for Persian `ی`/`ک`, a ZWNJ inside it. "
            "Compare names through `persian_text.matching_key`, and phones through `quality.normalise_phone`.",
            "Either group on `matching_key(first) + matching_key(last) + normalise_phone(phone)` and keep the "
            "first signed up as the master, or keep the rows of your q3 `pairs` that involve these records.",
        ],
        solution="script = '[\\u0600-\\u06ff]'\n"
        "persian = real['first_name'].str.contains(script) | real['last_name'].str.contains(script)\n"
        "fa_ids = real.loc[persian, 'customer_id']\n"
        "fa_pairs = pairs[pairs['duplicate_id'].isin(fa_ids) | pairs['master_id'].isin(fa_ids)]",
        mistakes=[
            Mistake("You compared the names as they are typed. An Arabic keyboard types `ي` and `ك`, which look "
                    "like the Persian `ی` and `ک` but are other characters, and a ZWNJ (an invisible joiner) can "
                    "sit inside a name: compare `persian_text.matching_key` of the names instead.",
                    when=shown_by(lambda a: {"arabic_letters", "zwnj"} <= _missing_kinds(a),
                                  example=lambda: _fa_pairs_by(_as_typed, quality.normalise_phone))),  # fmt: skip
            Mistake("Some pairs differ only by a ZWNJ inside the family name. `persian_text.normalise_persian` "
                    "keeps the ZWNJ (it is for showing names); for matching use `persian_text.matching_key`, "
                    "which drops it.",
                    when=shown_by(lambda a: "zwnj" in _missing_kinds(a),
                                  example=lambda: _fa_pairs_by(persian_text.normalise_persian,
                                                               quality.normalise_phone))),  # fmt: skip
            Mistake("Some phones are written in Persian digits (`۰۹۱۲ ...`), which a rule that keeps only 0-9 "
                    "throws away. `quality.normalise_phone` reads them: compare the normalised phones.",
                    when=shown_by(lambda a: "persian_digits" in _missing_kinds(a),
                                  example=lambda: _fa_pairs_by(persian_text.matching_key, _old_phone))),  # fmt: skip
            Mistake("Your table holds the duplicates written in Latin letters too: keep only the pairs whose "
                    "records have names in Persian script.",
                    when=shown_by(_latin_pairs_too, example=_all_pairs)),  # fmt: skip
            Mistake("Your duplicate and master columns are swapped: the record created first (earliest "
                    "`signup_date`) survives as the master.",
                    expected=lambda: _expected_fa_pairs().rename(columns={"duplicate_id": "master_id",
                                                                          "master_id": "duplicate_id"})),  # fmt: skip
        ],
        correct_message="Arabic letters, a ZWNJ and Persian digits hid these pairs from a plain comparison; the "
        "matching key makes the names equal, while the display form keeps them readable.",
    ),
    Question(
        "q11",
        "Which records of `raw_customers` carry a national code that fails its check digit? A list `bad_codes` "
        "of their `customer_id`s (records without a code are left out).",
        expected=_invalid_codes,
        hints=[
            "The rule: with digits d0..d9, s = (10*d0 + 9*d1 + ... + 2*d8) % 11; the code is valid when s < 2 "
            "and d9 == s, or s >= 2 and d9 == 11 - s.",
            "`quality.is_valid_national_code(codes)` applies it to a Series; a missing code is not a wrong one.",
            "`raw.loc[raw['national_code'].notna() & ~quality.is_valid_national_code(raw['national_code']), "
            "'customer_id'].tolist()`",
        ],
        solution="codes = crm.raw_customers['national_code']\n"
        "bad = codes.notna() & ~quality.is_valid_national_code(codes)\n"
        "bad_codes = crm.raw_customers.loc[bad, 'customer_id'].tolist()",
        mistakes=[
            Mistake("Your list holds records with no national code at all (the test records). A missing code is "
                    "a gap to fill, not a wrong code: leave missing values out.",
                    expected=lambda: _invalid_by(missing_too=True)),  # fmt: skip
            Mistake("When s is 2 or more the check digit is 11 - s, not s: only s = 0 and s = 1 are "
                    "their own check digit.", expected=lambda: _invalid_by(eleven=False)),  # fmt: skip
            Mistake("Your weights run the wrong way: the first digit weighs 10, the second 9, ..., the ninth 2.",
                    expected=lambda: _invalid_by(weights=range(2, 11))),  # fmt: skip
            Mistake("You gave how many; the question asks which records: a list of `customer_id`s.",
                    when=shown_by(lambda a: isinstance(a, (int, float)) and int(a) == len(_invalid_codes()),
                                  example=lambda: len(_invalid_codes()))),  # fmt: skip
        ],
        correct_message="Each is a second record typed in by hand; its master holds the true code.",
    ),
]
