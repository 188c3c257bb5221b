"""Test records and duplicate customers: normalise, block, compare names, cluster."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

import pandas as pd
from rapidfuzz import fuzz

from crmlab.persian_text import matching_key
from crmlab.validation import number_between, require_table

from .national_code import normalise_national_code
from .normalise import normalise_email, normalise_phone
from .rules import _PLACEHOLDER_PHONE, TEST_DOMAINS, TEST_WORDS, _text

# ------------------------------------------------------------------ test records


def find_test_records(customers: pd.DataFrame) -> pd.DataFrame:
    """Customers that staff typed in to try the system, with the reason each is suspected.

    A record is a test record when its first or last name is a :data:`TEST_WORDS` word
    ("Test", "asdf"), its e-mail is at a :data:`TEST_DOMAINS` domain (example.com),
    or its phone is a placeholder (three digits, then seven zeros).

    Parameters
    ----------
    customers : DataFrame
        With ``customer_id``, ``first_name``, ``last_name``, ``email`` and ``phone``.

    Returns
    -------
    DataFrame
        One row per test record: ``customer_id``, the names, ``email`` and ``reason``.

    Examples
    --------
    >>> people = pd.DataFrame({"customer_id": [1, 2], "first_name": ["Sara", "Test"],
    ...                        "last_name": ["Zand", "User"], "email": ["s@x.ir", "test1@example.com"],
    ...                        "phone": ["+989121112233", "+989120000000"]})
    >>> find_test_records(people)[["customer_id", "reason"]].to_dict("records")
    [{'customer_id': 2, 'reason': 'test name; example address; placeholder phone'}]
    """
    require_table(customers, "customers", ["customer_id", "first_name", "last_name", "email", "phone"])
    words = _text(customers["first_name"]).str.strip().str.casefold().isin(TEST_WORDS)
    words |= _text(customers["last_name"]).str.strip().str.casefold().isin(TEST_WORDS)
    domain = _text(customers["email"]).str.strip().str.lower().str.split("@").str[-1].isin(TEST_DOMAINS)
    placeholder = normalise_phone(customers["phone"]).str.fullmatch(_PLACEHOLDER_PHONE).fillna(False).astype(bool)
    reasons = pd.DataFrame({"test name": words, "example address": domain, "placeholder phone": placeholder})
    hit = reasons.any(axis=1)
    out = customers.loc[hit, ["customer_id", "first_name", "last_name", "email"]].copy()
    out["reason"] = pd.Series(["; ".join(k for k, v in row.items() if v) for row in reasons[hit].to_dict("records")],
                              index=out.index, dtype="str")
    return out.sort_values("customer_id").reset_index(drop=True)


# ------------------------------------------------------------------ duplicates


def _name_key(name: object) -> str:
    if name is None or (isinstance(name, float) and math.isnan(name)):
        return ""
    return matching_key(str(name)).rstrip(".")


def name_score(first_a: str, last_a: str, first_b: str, last_b: str) -> float:
    """How alike two people's names are, 0 (nothing alike) to 100 (the same).

    Names are compared through :func:`crmlab.persian_text.matching_key` (case, Arabic
    and Persian forms of ``ی`` and ``ک``, ``ئ`` for ``ی``, the ZWNJ and spaces inside a
    Persian name, vowel marks) and a trailing dot is ignored; a first name that starts the other one (at
    least three letters, "Moh." for "Mohammad") counts as the same; otherwise
    ``rapidfuzz.fuzz.ratio`` scores each name (one dropped letter in "Hoseini" for
    "Hosseini" still scores 93). The score is the lower of the first- and last-name scores.

    Parameters
    ----------
    first_a, last_a, first_b, last_b : str
        Given and family names of the two records.

    Returns
    -------
    float

    Examples
    --------
    >>> name_score("Moh.", "Hoseini", "Mohammad", "Hosseini")
    93.33333333333333
    >>> name_score("sara", "Zand", "Sara", "Zand"), name_score("Ali", "Rezaei", "Reza", "Rezaei")
    (100.0, 28.57142857142857)
    >>> name_score("علی", "رضایی", "علي", "رضائی")  # Arabic yeh, and the hamza spelling
    100.0
    """
    a, b = _name_key(first_a), _name_key(first_b)
    first = 100.0 if min(len(a), len(b)) >= 3 and (a.startswith(b) or b.startswith(a)) else fuzz.ratio(a, b)
    return float(min(first, fuzz.ratio(_name_key(last_a), _name_key(last_b))))


def _match_key(values: pd.Series, column: str) -> pd.Series:
    if column == "phone":
        return normalise_phone(values)
    if column == "email":
        return normalise_email(values)
    if column == "national_code":
        return normalise_national_code(values)  # missing where the code is not valid
    return matching_key(_text(values))


def candidate_pairs(customers: pd.DataFrame, keys: Sequence[str] | None = None) -> pd.DataFrame:
    """Pairs of records worth comparing: those sharing a normalised phone or e-mail (blocking).

    Comparing every record with every other grows with the square of the table
    (3,000 customers: 4.5 million pairs); records that share no key are never compared.

    Parameters
    ----------
    customers : DataFrame
        With ``customer_id`` and the ``keys`` columns. Set test records aside first:
        they share placeholder values.
    keys : sequence of str, optional
        Columns to block on; by default ``phone`` and ``email``, and ``national_code``
        when the table has it. ``phone``, ``email`` and ``national_code`` are compared
        normalised (a national code only when it is valid:
        :func:`~crmlab.analysis.quality.national_code.normalise_national_code`), other
        columns through :func:`crmlab.persian_text.matching_key`.

    Returns
    -------
    DataFrame
        ``customer_id_a`` < ``customer_id_b`` and ``blocked_by``, the keys they share.

    Examples
    --------
    >>> people = pd.DataFrame({"customer_id": [1, 2, 3], "phone": ["0912 345 6789", "+989123456789", None],
    ...                        "email": ["a@x.ir", "b@x.ir", "A@x.ir"]})
    >>> candidate_pairs(people)
       customer_id_a  customer_id_b blocked_by
    0              1              2      phone
    1              1              3      email
    """
    if keys is None:
        keys = ["phone", "email", *(["national_code"] if "national_code" in customers.columns else [])]
    keys = [keys] if isinstance(keys, str) else list(keys)
    require_table(customers, "customers", ["customer_id", *keys])
    blocks = []
    for column in keys:
        ids = pd.DataFrame({"customer_id": customers["customer_id"].to_numpy(),
                            "key": _match_key(customers[column], column).to_numpy()}).dropna()  # fmt: skip
        pairs = ids.merge(ids, on="key", suffixes=("_a", "_b"))
        pairs = pairs[pairs["customer_id_a"] < pairs["customer_id_b"]]
        blocks.append(pairs[["customer_id_a", "customer_id_b"]].assign(blocked_by=column))
    columns = ["customer_id_a", "customer_id_b"]
    found = pd.concat(blocks, ignore_index=True)
    found = found.groupby(columns, as_index=False, sort=True)["blocked_by"].agg(", ".join)
    return found.astype({"blocked_by": "str"})


def find_duplicates(customers: pd.DataFrame, *, threshold: float = 80.0) -> pd.DataFrame:
    """Score the candidate pairs and decide which are one customer entered twice.

    A pair is a duplicate when the two records share a phone number (normalised) or,
    when the table has a ``national_code`` column, a valid national code, and their
    names score at least ``threshold`` (:func:`name_score`). A shared e-mail
    alone is not enough: families and colleagues share addresses, so such pairs are
    returned with ``is_duplicate`` False for a person to review.

    Parameters
    ----------
    customers : DataFrame
        With ``customer_id``, ``first_name``, ``last_name``, ``phone`` and ``email``;
        test records set aside (:func:`find_test_records`).
    threshold : float, default 80
        Lowest name score of a duplicate, 0 to 100.

    Returns
    -------
    DataFrame
        One row per candidate pair: ``customer_id_a``, ``customer_id_b``,
        ``blocked_by``, ``same_phone``, ``same_email`` (and ``same_national_code`` when
        the table has the column), ``name_score``, ``is_duplicate``.

    Examples
    --------
    >>> people = pd.DataFrame({"customer_id": [1, 2, 3], "first_name": ["Sara", "sara", "Sara"],
    ...                        "last_name": ["Zand", "Zand", "Zand"],
    ...                        "phone": ["+989121112233", "0912 111 2233", "+989124445566"],
    ...                        "email": ["sara.zand@gmail.com", "SARAZAND@gmail.com", "sara.zand@gmail.com"]})
    >>> find_duplicates(people)[["customer_id_a", "customer_id_b", "same_phone", "is_duplicate"]]
       customer_id_a  customer_id_b  same_phone  is_duplicate
    0              1              2        True          True
    1              1              3       False         False
    2              2              3       False         False
    """
    number_between("threshold", threshold, 0, 100)
    require_table(customers, "customers", ["customer_id", "first_name", "last_name", "phone", "email"])
    pairs = candidate_pairs(customers)
    people = customers.drop_duplicates("customer_id").set_index("customer_id")
    a, b = people.loc[pairs["customer_id_a"]], people.loc[pairs["customer_id_b"]]
    coded = "national_code" in customers.columns
    for column in ("phone", "email", *(["national_code"] if coded else [])):
        key_a, key_b = _match_key(a[column], column), _match_key(b[column], column)
        same = key_a.notna().to_numpy() & (key_a.to_numpy() == key_b.to_numpy())
        pairs[f"same_{column}"] = pd.Series(same, index=pairs.index, dtype=bool)
    names = zip(a["first_name"], a["last_name"], b["first_name"], b["last_name"], strict=True)
    pairs["name_score"] = [name_score(*four) for four in names]
    evidence = pairs["same_phone"] | pairs["same_national_code"] if coded else pairs["same_phone"]
    pairs["is_duplicate"] = evidence & (pairs["name_score"] >= threshold)
    return pairs.reset_index(drop=True)


def _clusters(pairs: pd.DataFrame) -> dict[int, int]:
    """Record id -> cluster id (its smallest member), joining pairs that share a record."""
    parent: dict[int, int] = {}

    def root(i: int) -> int:
        while parent.setdefault(i, i) != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a, b in zip(pairs["customer_id_a"].tolist(), pairs["customer_id_b"].tolist(), strict=True):
        ra, rb = root(a), root(b)
        parent[max(ra, rb)] = min(ra, rb)
    return {i: root(i) for i in parent}


def duplicate_map(customers: pd.DataFrame, pairs: pd.DataFrame) -> pd.Series:
    """Which record survives each group of duplicates: duplicate id -> master id.

    The survivorship rule: the record created first (earliest ``signup_date``; on a
    tie, the smallest ``customer_id``) survives and keeps its own attributes. It is
    the one the customer's history starts with, and its id is the one other systems
    have used longest. Pairs that share a record form one group.

    Parameters
    ----------
    customers : DataFrame
        With ``customer_id`` and ``signup_date``.
    pairs : DataFrame
        ``customer_id_a``, ``customer_id_b`` and optionally ``is_duplicate`` (only
        True rows are used), as from :func:`find_duplicates`.

    Returns
    -------
    Series
        ``master_id`` indexed by ``duplicate_id``, sorted.

    Examples
    --------
    >>> people = pd.DataFrame({"customer_id": [1, 2, 3],
    ...                        "signup_date": pd.to_datetime(["2024-05-01", "2023-01-01", "2024-06-01"])})
    >>> pairs = pd.DataFrame({"customer_id_a": [1, 1], "customer_id_b": [2, 3]})
    >>> duplicate_map(people, pairs).to_dict()
    {1: 2, 3: 2}
    """
    require_table(customers, "customers", ["customer_id", "signup_date"])
    require_table(pairs, "pairs", ["customer_id_a", "customer_id_b"])
    if "is_duplicate" in pairs.columns:
        pairs = pairs[pairs["is_duplicate"].astype(bool)]
    cluster = pd.Series(_clusters(pairs), dtype="int64", name="cluster").rename_axis("customer_id").reset_index()
    members = cluster.merge(customers[["customer_id", "signup_date"]].drop_duplicates("customer_id"), how="left")
    members = members.sort_values(["cluster", "signup_date", "customer_id"], na_position="last")
    members["master_id"] = members.groupby("cluster")["customer_id"].transform("first")
    out = members[members["customer_id"] != members["master_id"]]
    return out.set_index("customer_id")["master_id"].rename_axis("duplicate_id").sort_index().astype("int64")


def _items(values: object, name: str, as_pairs: bool) -> set:
    """The pairs (duplicate, master) of a mapping, or the ids of a list, as a set of ints."""
    if isinstance(values, (pd.DataFrame, str)) or not isinstance(values, Iterable):
        raise TypeError(
            f"The value for `{name}` must be a mapping (duplicate id -> master id) or a list of ids, "
            f"but a {type(values).__name__} was passed."
        )
    if not as_pairs:
        return {int(i) for i in (values.tolist() if isinstance(values, pd.Series) else values)}
    if not isinstance(values, (pd.Series, Mapping)):
        raise TypeError(
            f"The value for `{name}` must be a mapping (duplicate id -> master id) like the truth, "
            f"but a {type(values).__name__} was passed."
        )
    return {(int(k), int(v)) for k, v in dict(values).items()}


def precision_recall(found: object, truth: object) -> pd.Series:
    """Score a detector against the planted truth: how much it found, and how much was right.

    Parameters
    ----------
    found : mapping, Series or iterable
        What the detector returned: duplicate id -> master id (a pair counts when both
        ids are right), or ids (test records) as a list or a Series of ids.
    truth : mapping or iterable
        The same kind of value from ``crm.truth`` (JSON keys may be text); a mapping
        means pairs are compared, a list means ids are.

    Returns
    -------
    Series
        ``found``, ``planted``, ``true_positives``, ``false_positives``,
        ``false_negatives``, ``precision`` (right among found) and ``recall`` (found
        among planted); NaN when there is nothing to divide by.

    Examples
    --------
    >>> precision_recall({5: 1, 6: 2}, {"5": 1, "7": 3})[["true_positives", "precision", "recall"]].tolist()
    [1.0, 0.5, 0.5]
    >>> precision_recall(pd.Series([10, 12]), [10, 11])[["precision", "recall"]].tolist()
    [0.5, 0.5]
    """
    as_pairs = isinstance(truth, (Mapping, pd.Series))
    got, want = _items(found, "found", as_pairs), _items(truth, "truth", as_pairs)
    hits = len(got & want)
    return pd.Series({
        "found": len(got), "planted": len(want), "true_positives": hits,
        "false_positives": len(got - want), "false_negatives": len(want - got),
        "precision": hits / len(got) if got else math.nan, "recall": hits / len(want) if want else math.nan,
    }, dtype="float64")  # fmt: skip


