"""Normalising values: phones, e-mails, segments, cities, birth years."""

from __future__ import annotations

import pandas as pd

from crmlab.persian_text import ZWNJ, to_ascii_digits
from crmlab.validation import require_series, require_table

from .rules import _SEGMENT_SPELLINGS, BIRTH_YEARS, _text

# ------------------------------------------------------------------ normalising values


def normalise_phone(phones: pd.Series) -> pd.Series:
    """Write Iranian mobile numbers one way, ``+98`` and ten digits; unreadable ones become missing.

    Persian and Arabic-Indic digits are read as ASCII ones (``۰۹۱۲ ۳۴۵ ۶۷۸۹``), spaces,
    dashes and brackets are dropped, and the trunk ``0`` or ``0098`` of the
    local forms becomes the country code: ``0912 345 6789`` is ``+989123456789``.

    Parameters
    ----------
    phones : Series of str
        Phone numbers as typed.

    Returns
    -------
    Series of str
        Same index; missing where no mobile number can be read.

    Examples
    --------
    >>> normalise_phone(pd.Series(["0912 345 6789", "+98-912-345-6789", "00989123456789", "12"])).tolist()
    ['+989123456789', '+989123456789', '+989123456789', nan]
    >>> normalise_phone(pd.Series(["۰۹۱۲ ۳۴۵ ۶۷۸۹", "٠٩١٢-٣٤٥-٦٧٨٩"])).tolist()
    ['+989123456789', '+989123456789']
    """
    require_series(phones, "phones")
    digits = to_ascii_digits(_text(phones)).str.replace(r"[^0-9]", "", regex=True)
    digits = digits.str.replace(r"^(?:00)?98(?=9[0-9]{9}$)", "", regex=True)
    digits = digits.str.replace(r"^0(?=9[0-9]{9}$)", "", regex=True)
    return ("+98" + digits).where(digits.str.fullmatch(r"9[0-9]{9}"))


def normalise_email(emails: pd.Series, *, drop_dots: bool = True) -> pd.Series:
    """A matching key for e-mail addresses: one mailbox, one key.

    Writes Persian and Arabic-Indic digits as ASCII, drops spaces and ZWNJs typed inside
    the address, lower-cases it, drops a ``+tag`` (``sara+shop@...`` reaches ``sara@...``)
    and, by default, the dots of the part before the ``@``: Gmail ignores them, so
    ``sara.zand@gmail.com`` and ``sarazand@gmail.com`` are one mailbox. Other providers
    may not ignore dots, so the key is evidence for a match, not an address to write to.

    Parameters
    ----------
    emails : Series of str
        Addresses as typed.
    drop_dots : bool, default True
        Drop the dots before the ``@``.

    Returns
    -------
    Series of str
        Same index; missing where the value is missing or has no single ``@``.

    Examples
    --------
    >>> emails = pd.Series(["Sara.Zand@Gmail.com", "sarazand+shop@gmail.com", "no-at-sign"])
    >>> normalise_email(emails).tolist()
    ['sarazand@gmail.com', 'sarazand@gmail.com', nan]
    >>> normalise_email(emails, drop_dots=False).tolist()[0]
    'sara.zand@gmail.com'
    >>> normalise_email(pd.Series(["ali۱۳۷۰ @gmail.com", "ali1370\u200c@gmail.com"])).tolist()
    ['ali1370@gmail.com', 'ali1370@gmail.com']
    """
    require_series(emails, "emails")
    text = to_ascii_digits(_text(emails)).str.replace(rf"[\s{ZWNJ}]", "", regex=True)
    parts = text.str.lower().str.extract(r"^([^@\s]+)@([^@\s]+)$")
    local = parts[0].str.replace(r"\+.*$", "", regex=True)
    if drop_dots:
        local = local.str.replace(".", "", regex=False)
    return (local + "@" + parts[1]).rename(emails.name)


def _standard_segment(segments: pd.Series) -> pd.Series:
    key = _text(segments).str.strip().str.lower()
    return key.map(_SEGMENT_SPELLINGS).astype("str")


def _standard_city(cities: pd.Series) -> pd.Series:
    return _text(cities).str.strip().str.replace(r"\s+", " ", regex=True).str.title()


def _plausible_year(years: pd.Series) -> pd.Series:
    return pd.to_numeric(years, errors="coerce").between(*BIRTH_YEARS).fillna(False).astype(bool)


def standardise_customers(customers: pd.DataFrame) -> pd.DataFrame:
    """Spell each customer attribute one way; empty the values that cannot be true.

    City in title case without stray spaces, segment as ``consumer``,
    ``small_business`` or ``enterprise``, phone as ``+98`` and ten digits (see
    :func:`normalise_phone`), e-mail lower-cased with its digits in ASCII and spaces or
    ZWNJs typed into it dropped (the address itself is kept: dots and ``+tags`` are
    for matching only), and birth years outside
    :data:`BIRTH_YEARS` emptied.

    Parameters
    ----------
    customers : DataFrame
        With ``email``, ``phone``, ``segment``, ``city`` and ``birth_year``.

    Returns
    -------
    DataFrame
        A standardised copy, same rows.

    Examples
    --------
    >>> raw = pd.DataFrame({"customer_id": [1], "email": [" Ali@Gmail.com"], "phone": ["0912 345 6789"],
    ...                     "segment": ["SMB"], "city": [" bandar abbas "],
    ...                     "birth_year": pd.array([2031], dtype="Int16")})
    >>> standardise_customers(raw).iloc[0, 1:].tolist()
    ['ali@gmail.com', '+989123456789', 'small_business', 'Bandar Abbas', <NA>]
    """
    require_table(customers, "customers", ["email", "phone", "segment", "city", "birth_year"])
    out = customers.copy()
    out["email"] = to_ascii_digits(_text(out["email"])).str.replace(rf"[\s{ZWNJ}]", "", regex=True).str.lower()
    out["phone"] = normalise_phone(out["phone"])
    out["segment"] = _standard_segment(out["segment"])
    out["city"] = _standard_city(out["city"])
    out["birth_year"] = out["birth_year"].where(_plausible_year(out["birth_year"]))
    return out


