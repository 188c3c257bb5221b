"""Persian-script records and national codes: planted last, from their own random stream.

Every customer gets an Iranian national code (کد ملی: nine random digits and their check
digit, unique, never one digit repeated), in ``customers`` and ``raw_customers``; a
duplicate record carries its master's code and test records carry none. Then, in the
raw export only:

* **mistyped codes**: the second record of a few customers was typed in by hand at a
  counter, with one digit changed or two neighbours swapped, so the code fails its
  check digit (cleaning drops these records with their duplicates, so the clean table
  keeps the true codes);
* **Persian-script duplicates**: a few duplicate pairs are written in Persian script.
  The master (and its clean record) is in standard Persian letters; its duplicate was
  typed with an Arabic keyboard (``ي`` and ``ك`` for ``ی`` and ``ک``; chosen among
  names where that alone drops a plain comparison's score below 80), with a
  zero-width non-joiner inside the family name, or with the phone in Persian digits;
* **Persian-script customers**: a few more customers whose names are in Persian script
  in both tables.

The answer key (``crm.truth``) records them: ``national_code_typos`` (id -> code as
typed), ``persian_duplicates`` (duplicate id -> master id), ``persian_duplicate_kinds``
(kind -> duplicate ids) and ``persian_script_ids``. Only these columns of these rows
change, so every other table, row and truth stays as it was.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
from persiantools.digits import en_to_fa
from rapidfuzz import fuzz

from ._arrays import chunks

__all__ = ["KINDS", "PERSIAN_NAMES", "plant_persian_records"]

#: Per 1,000 customers: duplicate pairs written in Persian script, mistyped national codes
#: on second records, and other customers with Persian-script names.
N_PERSIAN_PAIRS, N_CODE_TYPOS, N_PERSIAN_SINGLES = 2, 1.5, 3
#: How the duplicate of a Persian-script pair differs from its master.
KINDS = ("arabic_letters", "zwnj", "persian_digits")
#: The Persian spelling of the generator's names (standard Persian yeh U+06CC and keheh U+06A9).
PERSIAN_NAMES = {
    "Ali": "علی", "Sara": "سارا", "Reza": "رضا", "Maryam": "مریم", "Mohammad": "محمد", "Fatemeh": "فاطمه",
    "Hossein": "حسین", "Zahra": "زهرا", "Amir": "امیر", "Narges": "نرگس", "Mehdi": "مهدی", "Leila": "لیلا",
    "Hamid": "حمید", "Shirin": "شیرین", "Omid": "امید", "Nazanin": "نازنین", "Kaveh": "کاوه", "Parisa": "پریسا",
    "Babak": "بابک", "Roya": "رویا", "Arash": "آرش", "Mina": "مینا", "Dariush": "داریوش", "Elham": "الهام",
    "Farhad": "فرهاد", "Golnaz": "گلناز", "Javad": "جواد", "Laleh": "لاله", "Navid": "نوید", "Soheila": "سهیلا",
    "Peyman": "پیمان", "Yasaman": "یاسمن", "Siavash": "سیاوش", "Ladan": "لادن", "Behrouz": "بهروز",
    "Azadeh": "آزاده", "Kian": "کیان", "Niloufar": "نیلوفر", "Saeed": "سعید", "Taraneh": "ترانه",
    "Ahmadi": "احمدی", "Hosseini": "حسینی", "Karimi": "کریمی", "Moradi": "مرادی", "Rahimi": "رحیمی",
    "Jafari": "جعفری", "Rezaei": "رضایی", "Mousavi": "موسوی", "Hashemi": "هاشمی", "Sadeghi": "صادقی",
    "Kazemi": "کاظمی", "Ghasemi": "قاسمی", "Tehrani": "تهرانی", "Shirazi": "شیرازی", "Esfahani": "اصفهانی",
    "Tabrizi": "تبریزی", "Rostami": "رستمی", "Nazari": "نظری", "Farahani": "فراهانی", "Bagheri": "باقری",
    "Kamali": "کمالی", "Asadi": "اسدی", "Zand": "زند", "Alavi": "علوی", "Mohammadi": "محمدی",
    "Sharifi": "شریفی", "Najafi": "نجفی", "Salehi": "صالحی", "Amini": "امینی", "Heidari": "حیدری",
}  # fmt: skip
_ARABIC_KEYBOARD = str.maketrans({"\u06cc": "\u064a", "\u06a9": "\u0643"})
_ZWNJ = "\u200c"
_WEIGHTS = np.arange(10, 1, -1)


def _check_digits(body: np.ndarray) -> np.ndarray:
    """The check digit of each row of nine digits."""
    s = (body * _WEIGHTS).sum(axis=1) % 11
    return np.where(s < 2, s, 11 - s)


def _is_valid(code: str) -> bool:
    digits = np.array([int(c) for c in code])
    return len(set(code)) > 1 and int(_check_digits(digits[None, :9])[0]) == digits[9]


def national_codes(rng: np.random.Generator, n: int) -> pd.api.extensions.ExtensionArray:
    """``n`` distinct valid national codes as text (pandas' ``str``), none of one digit repeated."""
    bodies = np.empty(0, dtype=np.int64)
    while len(bodies) < n:
        bodies = pd.unique(np.concatenate([bodies, rng.integers(0, 10**9, size=n - len(bodies) + 16)]))
        repeated = np.zeros(len(bodies), dtype=bool)
        for body in _ONE_DIGIT_BODIES:  # a handful: one comparison each
            repeated |= bodies == body
        bodies = bodies[~repeated]
    return _code_texts(bodies[:n])


def _digits(numbers: np.ndarray, k: int) -> np.ndarray:
    """The last ``k`` decimal digits of each number, a row each, the first digit first."""
    return (numbers[:, None] // 10 ** np.arange(k - 1, -1, -1)) % 10


def _one_digit_repeated(bodies: np.ndarray) -> np.ndarray:
    """Whether the code of each body would be one digit ten times."""
    digits = _digits(bodies, 9)
    return (digits == digits[:, :1]).all(axis=1) & (_check_digits(digits) == digits[:, 0])


#: The bodies whose code is one digit ten times: among the nine bodies of one digit repeated.
_ONE_DIGIT_BODIES = [b for b in range(0, 10**9, 111_111_111) if _one_digit_repeated(np.array([b]))[0]]


def _code_texts(bodies: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """Each body's code as text: its nine digits (leading zeros kept), then its check digit; no Python strings."""
    n = len(bodies)
    digits = np.empty((n, 10), dtype=np.uint8)
    for part in chunks(n):
        body = _digits(bodies[part], 9)
        digits[part, :9] = body
        digits[part, 9] = _check_digits(body)
    digits += ord("0")
    offsets = pa.py_buffer(np.arange(0, 10 * n + 1, 10, dtype=np.int64))
    return pd.array(pa.LargeStringArray.from_buffers(n, offsets, pa.py_buffer(digits)), dtype="str")


def _mistype(rng: np.random.Generator, code: str) -> str:
    """The code with one digit changed or two neighbours swapped, failing its check digit."""
    while True:
        i = int(rng.integers(0, 9))
        if rng.random() < 0.5 and code[i] != code[i + 1]:
            typed = code[:i] + code[i + 1] + code[i] + code[i + 2:]
        else:
            typed = code[:i] + str((int(code[i]) + int(rng.integers(1, 10))) % 10) + code[i + 1:]
        if not _is_valid(typed):
            return typed


def _masters_of(ids: np.ndarray, dups: pd.Series) -> np.ndarray:
    """Each customer id, or its master's where it is a duplicate (``dups``: duplicate id -> master id, sorted)."""
    dup_ids = dups.index.to_numpy()
    at = np.minimum(np.searchsorted(dup_ids, ids), max(len(dup_ids) - 1, 0))
    hit = dup_ids[at] == ids if len(dup_ids) else np.zeros(len(ids), dtype=bool)
    return np.where(hit, dups.to_numpy()[at] if len(dup_ids) else ids, ids)


def _in_persian(names: pd.Series) -> pd.Series:
    return names.map(PERSIAN_NAMES)


def _hidden_by_arabic_letters(names: pd.DataFrame) -> np.ndarray:
    """Whether the Arabic-keyboard spelling of each name scores below 80 against the Persian one, compared as typed."""
    hidden = {name: fuzz.ratio(PERSIAN_NAMES[name], PERSIAN_NAMES[name].translate(_ARABIC_KEYBOARD)) < 80
              for name in PERSIAN_NAMES}  # fmt: skip
    return (names["first_name"].map(hidden) | names["last_name"].map(hidden)).to_numpy(dtype=bool)


def _variant(kind: str, first: str, last: str, phone: str) -> tuple[str, str, str]:
    """The duplicate's name and phone, typed the ``kind`` way."""
    if kind == "arabic_letters":
        return first.translate(_ARABIC_KEYBOARD), last.translate(_ARABIC_KEYBOARD), phone
    if kind == "zwnj":  # the family name's ending typed apart: a ZWNJ before its last letter
        return first, last[:-1] + _ZWNJ + last[-1], phone
    digits = "".join(c for c in phone if c.isdigit())[-10:]  # the local form "0912 345 6789", in Persian digits
    return first, last, en_to_fa(f"0{digits[:3]} {digits[3:6]} {digits[6:]}")


def plant_persian_records(rng: np.random.Generator, t: dict, truth: dict) -> dict:
    """Add ``national_code`` to ``t["customers"]`` and ``t["raw_customers"]`` and plant the Persian records.

    Parameters
    ----------
    rng : numpy.random.Generator
        This plant's own stream.
    t : dict
        The generator's tables (changed in place): ``customers`` and ``raw_customers``.
    truth : dict
        The truths so far; ``duplicates`` (duplicate id -> master id) and
        ``test_customer_ids`` are read.

    Returns
    -------
    dict
        The new truths: ``national_code_typos``, ``persian_duplicates``,
        ``persian_duplicate_kinds`` and ``persian_script_ids``.

    Examples
    --------
    >>> from crmlab.datasets import generate_crm
    >>> crm = generate_crm(n_customers=500, seed=3)
    >>> sorted(crm.truth["persian_duplicate_kinds"]), len(crm.truth["national_code_typos"])
    (['arabic_letters', 'persian_digits', 'zwnj'], 1)
    """
    customers, raw = t["customers"].copy(deep=False), t["raw_customers"].copy(deep=False)
    n = len(customers)
    codes = national_codes(rng, n)
    customers["national_code"] = codes
    dups = pd.Series(truth["duplicates"]).rename(index=int).astype("int64").sort_index()
    raw_ids = raw["customer_id"].to_numpy()
    owner = _masters_of(raw_ids, dups)
    raw_codes = codes.take(pd.Index(customers["customer_id"].to_numpy()).get_indexer(owner), allow_fill=True)

    n_each = max(1, round(n * N_PERSIAN_PAIRS / 1000 / len(KINDS)))
    masters = customers.set_index("customer_id").loc[dups.to_numpy(), ["first_name", "last_name"]]
    hidden = _hidden_by_arabic_letters(masters)  # pairs an Arabic keyboard hides from a plain comparison
    arabic = rng.choice(dups.index[hidden], size=min(n_each, int(hidden.sum())), replace=False)
    eligible = np.setdiff1d(dups.index[(masters["last_name"] != "Zand").to_numpy()], arabic)  # a yeh to write apart
    rest = rng.choice(eligible, size=min(2 * n_each, len(eligible)), replace=False)
    chosen = {"arabic_letters": arabic, "zwnj": rest[:n_each], "persian_digits": rest[n_each:]}
    pairs = np.sort(np.concatenate(list(chosen.values())))
    others = np.setdiff1d(dups.index, pairs)
    n_typos = max(1, round(n * N_CODE_TYPOS / 1000))
    typo_ids = np.sort(rng.choice(others, size=min(n_typos, len(others)), replace=False))
    taken = set(dups.index) | set(dups.to_numpy()) | set(truth["test_customer_ids"])
    pool = np.setdiff1d(customers["customer_id"].to_numpy(), np.array(sorted(taken), dtype="int64"),
                        assume_unique=True)  # ids 1, 2, ... n: already sorted and unique  # fmt: skip
    singles = np.sort(rng.choice(pool, size=max(1, round(n * N_PERSIAN_SINGLES / 1000)), replace=False))

    row = pd.Index(raw_ids)  # ids are unique: get_indexer gives each one's row
    typo_rows = row.get_indexer(typo_ids)
    typos = {str(i): _mistype(rng, raw_codes[at]) for i, at in zip(typo_ids, typo_rows, strict=True)}
    raw_codes[typo_rows] = list(typos.values())
    raw["national_code"] = raw_codes  # test records get none

    persian = np.concatenate([dups.loc[pairs].to_numpy(), singles])  # masters and singles: both tables
    for table, ids in ((customers, customers["customer_id"].to_numpy()), (raw, raw_ids)):
        at = pd.Index(ids).get_indexer(persian)
        for column in ("first_name", "last_name"):
            table.iloc[at, table.columns.get_loc(column)] = _in_persian(table[column].iloc[at]).to_numpy()
    # Each duplicate's spelling, from its master's record as it now is (no duplicate is a master).
    names = raw[["first_name", "last_name", "phone"]]
    dup_ids = np.concatenate(list(chosen.values()))
    dup_rows, master_rows = row.get_indexer(dup_ids), row.get_indexer(dups[dup_ids].to_numpy())
    kinds = [kind for kind, ids in chosen.items() for _ in ids]
    typed = [_variant(kind, first, last, phone) for kind, first, last, phone in zip(
        kinds, names["first_name"].to_numpy()[master_rows], names["last_name"].to_numpy()[master_rows],
        names["phone"].to_numpy()[dup_rows], strict=True)]  # fmt: skip
    for k, column in enumerate(("first_name", "last_name", "phone")):
        raw.iloc[dup_rows, raw.columns.get_loc(column)] = [variant[k] for variant in typed]
    t["customers"], t["raw_customers"] = customers, raw
    return {
        "national_code_typos": typos,
        "persian_duplicates": {str(d): int(dups[d]) for d in pairs},
        "persian_duplicate_kinds": {kind: sorted(int(i) for i in ids) for kind, ids in chosen.items()},
        "persian_script_ids": sorted(int(i) for i in np.concatenate([pairs, persian])),
    }
