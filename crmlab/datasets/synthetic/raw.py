"""The raw export layer: the clean tables as a real CRM export would deliver them.

It holds duplicate customers (name and e-mail variants of a real customer, who then
placed some orders and tickets under the second record), test records ("Test",
"asdf", example.com addresses, with test orders), inconsistent spellings, phone
numbers in several formats, missing e-mails, malformed e-mails (no dot in the domain, a
comma for it, no ending: drawn from their own random stream, so nothing else moves) and impossible birth years.
In a market that plants it (:attr:`.markets.Market.unit_mixups`), some orders' totals are
typed in toman, a tenth of the rial amount (:func:`type_in_tenths`, its own stream too).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ._arrays import labels, utc_values
from .truths import PLANTED

TEST_NAMES = [("Test", "Test"), ("asdf", "asdf"), ("Test", "User"), ("qwerty", "Demo")]
SEGMENT_SPELLINGS = {"consumer": ["Consumer", "CONSUMER"], "small_business": ["SMB", "Small Business"],
                     "enterprise": ["Enterprise", "ENT"]}


def _typo(rng: np.random.Generator, names: pd.Series) -> pd.Series:
    """Drop one inner letter of each name ("Hosseini" -> "Hoseini")."""
    out = []
    for name, u in zip(names, rng.random(len(names)), strict=True):
        i = 1 + int(u * (len(name) - 2))
        out.append(name[:i] + name[i + 1:])
    return pd.Series(out, index=names.index)


def _email_variant(rng: np.random.Generator, emails: pd.Series) -> pd.Series:
    """Upper-case, drop the dots, or add a +tag: the same mailbox, another spelling."""
    local = emails.str.split("@").str[0]
    domain = emails.str.split("@").str[1]
    kind = rng.integers(0, 3, size=len(emails))
    variant = np.select(
        [kind == 0, kind == 1],
        [emails.str.upper(), local.str.replace(".", "", regex=False) + "@" + domain],
        local + "+shop@" + domain,
    )
    return pd.Series(variant, index=emails.index)


def make_duplicates(rng: np.random.Generator, customers: pd.DataFrame) -> pd.DataFrame:
    """Second records of real customers; ``duplicate_of`` says whose (dropped on export)."""
    n_dup = max(1, round(len(customers) * PLANTED.n_duplicate_customers / 1000))
    source = np.sort(rng.choice(len(customers), size=n_dup, replace=False))
    dup = customers.iloc[source].copy()
    dup["duplicate_of"] = dup["customer_id"]
    dup["customer_id"] = np.arange(len(customers) + 1, len(customers) + n_dup + 1, dtype="int64")
    kind = rng.integers(0, 3, size=n_dup)  # 0: case, 1: typo in last name, 2: first name short
    dup["first_name"] = np.where(kind == 0, dup["first_name"].str.lower(), dup["first_name"])
    dup["last_name"] = np.where(kind == 1, _typo(rng, dup["last_name"]), dup["last_name"])
    dup["first_name"] = np.where(kind == 2, dup["first_name"].str[:3] + ".", dup["first_name"])
    dup["email"] = _email_variant(rng, dup["email"])
    dup["signup_date"] = dup["signup_date"] + pd.to_timedelta(rng.integers(30, 400, size=n_dup), unit="D")
    dup["signup_date"] = dup["signup_date"].clip(upper=pd.Timestamp("2025-12-31")).dt.as_unit("s")  # whole days
    return dup


def make_test_records(rng: np.random.Generator, customers: pd.DataFrame, first_id: int) -> pd.DataFrame:
    """Records staff typed in to try the system."""
    n_test = max(1, round(len(customers) * PLANTED.n_test_records / 1000))
    pick = rng.integers(0, len(TEST_NAMES), size=n_test)
    test = customers.iloc[rng.integers(0, len(customers), size=n_test)].copy()
    test["customer_id"] = np.arange(first_id, first_id + n_test, dtype="int64")
    test["first_name"] = [TEST_NAMES[i][0] for i in pick]
    test["last_name"] = [TEST_NAMES[i][1] for i in pick]
    test["company_name"] = pd.array([None] * n_test, dtype="str")  # text, all missing
    test["email"] = [f"{TEST_NAMES[i][0].lower()}{k}@example.com" for k, i in enumerate(pick)]
    test["phone"] = "+989120000000"
    test["segment"] = "consumer"
    return test


def messy_customers(rng: np.random.Generator, customers: pd.DataFrame) -> pd.DataFrame:
    """Inconsistent spellings, phone formats, missing e-mails and impossible birth years."""
    out = customers.copy(deep=False)
    n = len(out)
    city_kind = rng.choice(4, size=n, p=[0.9, 0.04, 0.03, 0.03])
    city = out["city"]
    for kind, spell in ((1, pc.utf8_lower), (2, pc.utf8_upper), (3, lambda c: _join(" ", c, " "))):
        city = _changed(city, city_kind == kind, spell)
    out["city"] = city
    respell = rng.random(n) < 0.06
    which = (rng.random(n) * 2).astype(int)  # the first or the second other spelling
    segment = out["segment"]
    other = np.full(n, -1)  # index of the row's other spelling in `spellings`, or -1
    spellings = []
    for name, names in SEGMENT_SPELLINGS.items():
        named = respell & (segment == name).to_numpy()
        for k, spelling in enumerate(names):
            other[named & (which == k)] = len(spellings)
            spellings.append(spelling)
    respelled = other >= 0
    out["segment"] = _changed(segment, respelled, lambda _: _arrow(labels(spellings, other[respelled])))
    local = rng.random(n) < 0.3
    out["phone"] = _changed(out["phone"], local, _local_phone)
    out["email"] = out["email"].mask(rng.random(n) < 0.03)
    bad_year = (rng.random(n) < 0.006) & out["birth_year"].notna().to_numpy()
    out["birth_year"] = out["birth_year"].mask(bad_year, pd.array(rng.choice([1900, 2031, 0], size=n), dtype="Int16"))
    return out


def _text(value: str) -> pa.Scalar:
    return pa.scalar(value, pa.large_string())


def _join(*parts) -> pa.Array:
    """Texts (arrays and strings) joined row by row."""
    return pc.binary_join_element_wise(*(_text(p) if isinstance(p, str) else p for p in parts), _text(""))


def _local_phone(phone: pa.Array) -> pa.Array:
    """The local form of each phone: "+989123456789" as "0912 345 6789"."""
    digits = [pc.utf8_slice_codeunits(phone, start, stop) for start, stop in ((3, 6), (6, 9), (9, None))]
    return _join("0", digits[0], " ", digits[1], " ", digits[2])


def _arrow(values) -> pa.Array:
    return pa.chunked_array(values.__arrow_array__()).combine_chunks()


def _changed(column: pd.Series, where: np.ndarray, change) -> pd.Series:
    """A text column with the rows ``where`` replaced by ``change`` of them (an Arrow array in, one out).

    The same as ``column.mask(where, change(column))``, without changing the other rows first.
    """
    if not where.any():
        return column
    values = _arrow(column.array)
    changed = pc.replace_with_mask(values, pa.array(where), change(values.filter(pa.array(where))))
    return pd.Series(pd.array(changed, dtype="str"), index=column.index, name=column.name)


def reassign(rng: np.random.Generator, table: pd.DataFrame, time_col: str, dup: pd.DataFrame) -> pd.DataFrame:
    """Move half the rows a duplicated customer made after the duplicate's sign-up to it."""
    out = table.copy(deep=False)
    master = dup.set_index("duplicate_of")
    hit = out["customer_id"].isin(master.index).to_numpy()
    idx = np.flatnonzero(hit)
    owner = out["customer_id"].to_numpy()[idx]
    dup_signup = master.loc[owner, "signup_date"].to_numpy()  # a local date, close enough
    after = utc_values(out[time_col])[idx] >= dup_signup
    move = idx[after & (rng.random(len(idx)) < 0.5)]
    out.loc[move, "customer_id"] = master.loc[out["customer_id"].to_numpy()[move], "customer_id"].to_numpy()
    return out


def make_test_orders(
    rng: np.random.Generator, orders: pd.DataFrame, test: pd.DataFrame, first_id: int | None = None
) -> pd.DataFrame:
    """Two small completed orders per test record, at times of real orders, numbered after them."""
    n = 2 * len(test)
    first = int(orders["order_id"].max()) + 1 if first_id is None else first_id
    at = orders["ordered_at"].iloc[rng.integers(0, len(orders), size=n)].array
    return pd.DataFrame({
        "order_id": np.arange(first, first + n, dtype="int64"),
        "customer_id": np.repeat(test["customer_id"].to_numpy(), 2),
        "ordered_at": at,
        "channel": "web",
        "rep_id": pd.array([None] * n, dtype="Int64"),
        "campaign_id": pd.array([None] * n, dtype="Int64"),
        "status": "completed",
        "total_cents": rng.choice([100, 1, 9999], size=n).astype("int64"),
    })


#: How an address gets broken when typed: each breaks the rule ``name@domain.tld`` but keeps its
#: ``@``, so a matching key can still be read from it.
_MALFORMED = (
    lambda e: e[: e.rindex(".")] + e[e.rindex(".") + 1 :],  # the domain's dot forgotten
    lambda e: e[: e.rindex(".")] + "," + e[e.rindex(".") + 1 :],  # a comma for the dot
    lambda e: e[: e.rindex(".")],  # the ending cut off
)


def malform_emails(
    rng: np.random.Generator, raw_customers: pd.DataFrame, n_customers: int, masters: np.ndarray
) -> tuple[pd.DataFrame, dict[str, str]]:
    """Break ``PLANTED.n_malformed_emails`` per 1,000 addresses of real customers (ids up to ``n_customers``).

    Customers with a duplicate record (``masters``) keep theirs, so duplicates stay variants of their
    master. Returns the table and ``{customer_id: malformed address}`` for the answer key.
    """
    n_bad = max(1, round(n_customers * PLANTED.n_malformed_emails / 1000))
    ids = raw_customers["customer_id"].to_numpy()
    ok = (ids <= n_customers) & raw_customers["email"].notna().to_numpy() & ~np.isin(ids, masters)
    pool = np.sort(ids[ok])
    chosen = np.sort(rng.choice(pool, size=n_bad, replace=False))
    kind = rng.integers(0, len(_MALFORMED), size=n_bad)
    out = raw_customers.copy(deep=False)
    row = pd.Series(np.arange(len(out)), index=ids)[chosen].to_numpy()
    emails = [_MALFORMED[k](e) for k, e in zip(kind, out["email"].to_numpy()[row], strict=True)]
    out.loc[out.index[row], "email"] = emails
    return out, {str(i): e for i, e in zip(chosen, emails, strict=True)}


def type_in_tenths(
    rng: np.random.Generator, raw_orders: pd.DataFrame, per_1000: int, n_customers: int, real_order_ids: np.ndarray
) -> tuple[pd.DataFrame, list[int]]:
    """Type ``per_1000`` orders per 1,000 customers in a unit ten times too large: the toman mix-up.

    A clerk who types toman into a rial field enters a tenth of the amount (prices are whole
    thousands of toman, so the tenth is exact). Only completed orders among
    ``real_order_ids`` (not the test records') are typed so; the clean ``orders`` table and the
    order lines keep the amounts. Returns the table and the order ids, for the answer key.
    """
    n_bad = round(n_customers * per_1000 / 1000)
    if n_bad == 0:
        return raw_orders, []
    ids = raw_orders["order_id"].to_numpy()
    ok = np.isin(ids, real_order_ids) & (raw_orders["status"] == "completed").to_numpy()
    chosen = np.sort(rng.choice(ids[ok], size=n_bad, replace=False))
    out = raw_orders.copy(deep=False)
    row = np.flatnonzero(np.isin(ids, chosen))
    column = out.columns.get_loc("total_cents")
    out.iloc[row, column] = out.iloc[row, column].to_numpy() // 10
    return out, [int(i) for i in chosen]
