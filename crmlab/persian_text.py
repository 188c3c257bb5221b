"""Persian text, one way: standard letters, ASCII digits, and a matching key for names.

A Persian CRM export writes one name several ways. Arabic keyboards type Arabic yeh
(``ي`` U+064A, or ``ى`` U+0649) and kaf (``ك`` U+0643) for the Persian ``ی`` (U+06CC) and
``ک`` (U+06A9), which look alike on screen but are different characters; the zero-width
non-joiner (ZWNJ, U+200C) between the parts of a compound is typed as a space, as
nothing, or twice; digits come as Persian (``۰``-``۹``), Arabic-Indic (``٠``-``٩``) or
ASCII; and vowel marks (harakat) or the stretching tatweel (``ـ``) may be added.

Two levels, because showing a name and matching it are different jobs:

* :func:`normalise_persian` keeps the text readable: Persian letters for Arabic ones,
  vowel marks and tatweel dropped, the ZWNJ kept but its misuse mended (doubled, or next
  to a space or at a word's edge). ``ascii_digits=True`` also writes the digits in ASCII.
* :func:`matching_key` is for comparing, never for showing: it also folds the hamza
  spellings (``ئ`` to ``ی``, so ``رضائی`` and ``رضایی`` are one name: both spellings are in
  use for the same family names; ``أ``/``إ`` to ``ا``, ``ؤ`` to ``و``, ``ة`` to ``ه``), drops
  every ZWNJ and the spaces between Persian letters (``محمد‌رضا``, ``محمد رضا`` and
  ``محمدرضا`` give one key), drops direction marks, writes digits in ASCII and casefolds
  Latin. A text with no Arabic-script character, non-ASCII digit or invisible mark gets
  exactly ``text.strip().casefold()``, so Latin names compare as they always did.

:func:`to_ascii_digits` and :func:`ascii_number_text` turn digits (and, for numbers, the
Persian decimal separator ``٫`` and thousands separator ``٬``) into what parsers read.

Loading never changes text (:mod:`crmlab.datasets.values` keeps text columns as typed);
:func:`normalise_columns` is the opt-in for a loaded table, and reports how many values
it changed in each column. Every other function takes one text or a pandas Series; a Series is worked through its
distinct values (a 1e5-row column of a few thousand names costs a few thousand calls),
and missing values stay missing.

Built on ``persiantools`` (``characters.ar_to_fa``'s letter map, ``digits``' digit maps),
which the course already uses for the Jalali calendar. Written here is only what it
lacks: diacritics, tatweel, the ZWNJ, the hamza spellings and the separators. ``hazm`` and
``parsivar`` were measured on 2026-12-03 with ``uv pip compile --python-version 3.11``:
hazm resolves to hazm 0.10.0, which pins ``numpy==1.24.3`` (the course needs numpy
>= 2.2) and pulls gensim, fasttext-wheel, nltk and python-crfsuite (hazm 0.12.1 needs
Python >= 3.12); parsivar pulls nltk and its data downloads, and the course allows no
network at run time.

Examples
--------
>>> matching_key("علي") == matching_key("علی"), matching_key("رضائی") == matching_key("رضایی")
(True, True)
>>> to_ascii_digits("۰۹۱۲ ۳۴۵ ٦٧٨٩")
'0912 345 6789'
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TypeVar

import pandas as pd
from persiantools import characters as _characters
from persiantools import digits as _digits

__all__ = [
    "ARABIC_LETTERS",
    "DIGITS",
    "ZWNJ",
    "ascii_number_text",
    "matching_key",
    "normalise_columns",
    "normalise_persian",
    "to_ascii_digits",
]

T = TypeVar("T", str, pd.Series)

#: The zero-width non-joiner.
ZWNJ = "\u200c"
#: Arabic letters typed for Persian ones, from persiantools' own map (single letters only).
ARABIC_LETTERS: dict[str, str] = {k: v for k, v in _characters.CHARACTER_MAP_AR_TO_FA.items() if len(k) == 1}
#: Persian and Arabic-Indic digits, with the ASCII digit each stands for (persiantools' maps).
DIGITS: dict[str, str] = {
    **{chr(k): chr(_digits.FA_TO_EN_MAP[v]) for k, v in _digits.AR_TO_FA_MAP.items()},
    **{chr(k): chr(v) for k, v in _digits.FA_TO_EN_MAP.items()},
}
_DIACRITICS = "".join(chr(c) for c in range(0x064B, 0x0653)) + "\u0670\u0640"  # harakat, superscript alef, tatweel
_DISPLAY = str.maketrans({**ARABIC_LETTERS, **dict.fromkeys(_DIACRITICS)})
_HAMZA = {"\u0626": "\u06cc", "\u0623": "\u0627", "\u0625": "\u0627", "\u0624": "\u0648", "\u0629": "\u0647"}
_MARKS = "\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff"  # direction marks, BOM
_KEY = str.maketrans({**_HAMZA, **DIGITS, ZWNJ: None, "\u0654": None, "\u0655": None, **dict.fromkeys(_MARKS)})
_ASCII_DIGITS = str.maketrans(DIGITS)
_ARABIC_SCRIPT = "\u0600-\u06ff\ufb50-\ufdff\ufe70-\ufeff"
_ZWNJ_RUN = re.compile(f"{ZWNJ}{{2,}}")
_ZWNJ_EDGE = re.compile(rf"{ZWNJ}(?=\s|$)|(?<=\s){ZWNJ}|^{ZWNJ}")
_SPACE_IN_NAME = re.compile(f"(?<=[{_ARABIC_SCRIPT}])\\s+(?=[{_ARABIC_SCRIPT}])")
_GROUPED = re.compile(r"^([+-]?\d{1,3}(?:\u066c\d{3})+)((?:[.\u066b]\d*)?)$")


def _each(values: T, one: Callable[[str], str], name: str, ascii_way: Callable | None = None) -> T:
    """Apply ``one`` to a text, or to each distinct text of a Series (missing values stay missing).

    ``ascii_way`` is what ``one`` does to ASCII text, written with pandas' vectorised ``.str``
    methods: ASCII rows take it, and only the distinct other texts go through ``one``.
    """
    if isinstance(values, str):
        return one(values)
    if not isinstance(values, pd.Series):
        raise TypeError(f"`{name}` takes a text or a pandas Series of texts, but a {type(values).__name__} was passed.")
    text = values.astype("str")
    other = text.notna() & ~text.str.isascii().fillna(True).astype(bool)
    if ascii_way is not None and not other.all():
        out = ascii_way(text).astype("str")
        if other.any():
            distinct = text[other].unique()
            out[other] = text[other].map(dict(zip(distinct, map(one, distinct), strict=True)))
        return out.rename(values.name)
    distinct = text.dropna().unique()
    return text.map(dict(zip(distinct, map(one, distinct), strict=True))).astype("str").rename(values.name)


def _display(text: str) -> str:
    text = _ZWNJ_RUN.sub(ZWNJ, text.translate(_DISPLAY))
    return _ZWNJ_EDGE.sub("", text)


def normalise_persian(values: T, *, ascii_digits: bool = False) -> T:
    """Standard Persian letters, no vowel marks or tatweel, the ZWNJ kept but mended: for showing.

    Arabic ``ي``/``ى`` become Persian ``ی`` and ``ك`` becomes ``ک``; the harakat
    (U+064B-U+0652), the superscript alef (U+0670) and the tatweel (U+0640) are dropped; a
    run of ZWNJs becomes one and a ZWNJ next to a space or at either end is dropped.
    Spaces, ``ئ`` and everything else are kept: see :func:`matching_key` for comparing.

    Parameters
    ----------
    values : str or Series of str
        Text as typed.
    ascii_digits : bool, default False
        Also write Persian and Arabic-Indic digits as ASCII (:func:`to_ascii_digits`).

    Returns
    -------
    str or Series of str
        Same kind and index as ``values``; missing values stay missing.

    Examples
    --------
    >>> normalise_persian("علي كريمي") == "\\u0639\\u0644\\u06cc \\u06a9\\u0631\\u06cc\\u0645\\u06cc"
    True
    >>> normalise_persian(pd.Series(["محمد\\u200c\\u200cرضا", "مُحَمَّد", None])).tolist()
    ['محمد\\u200cرضا', 'محمد', nan]
    >>> normalise_persian("پلاک ۱۲", ascii_digits=True)
    'پلاک 12'
    """
    one = (lambda t: _display(t).translate(_ASCII_DIGITS)) if ascii_digits else _display
    return _each(values, one, "values", ascii_way=lambda t: t)


def _key(text: str) -> str:
    key = _display(text).translate(_KEY)
    return _SPACE_IN_NAME.sub("", key).strip().casefold()


def matching_key(values: T) -> T:
    """A key for matching names and other text: one key for every way of typing the same words.

    On top of :func:`normalise_persian`: ``ئ`` is read as ``ی`` (``رضائی`` = ``رضایی``),
    ``أ``/``إ`` as ``ا``, ``ؤ`` as ``و``, ``ة`` as ``ه``; the hamza marks (U+0654,
    U+0655), every ZWNJ, direction marks and the spaces between two Arabic-script letters
    are dropped; digits become ASCII; the ends are trimmed and the text casefolded. Text
    without any of those characters gets exactly ``text.strip().casefold()``.

    Parameters
    ----------
    values : str or Series of str
        Text as typed.

    Returns
    -------
    str or Series of str
        Same kind and index as ``values``; missing values stay missing.

    Examples
    --------
    >>> forms = pd.Series(["محمد\\u200cرضا", "محمد رضا", "محمدرضا", " Mohammad Reza "])
    >>> matching_key(forms).tolist()
    ['محمدرضا', 'محمدرضا', 'محمدرضا', 'mohammad reza']
    >>> matching_key("رضائی") == matching_key("رضايي") == "\\u0631\\u0636\\u0627\\u06cc\\u06cc"
    True
    """
    return _each(values, _key, "values", ascii_way=lambda t: t.str.strip().str.casefold())


def to_ascii_digits(values: T) -> T:
    """Write Persian (``۰``-``۹``) and Arabic-Indic (``٠``-``٩``) digits as ASCII ``0``-``9``; nothing else changes.

    Parameters
    ----------
    values : str or Series of str
        Text as typed.

    Returns
    -------
    str or Series of str
        Same kind and index; missing values stay missing.

    Examples
    --------
    >>> to_ascii_digits(pd.Series(["۰۹۱۲۳۴۵۶۷۸۹", "٠٩١٢", None])).tolist()
    ['09123456789', '0912', nan]
    """
    return _each(values, lambda t: t.translate(_ASCII_DIGITS), "values", ascii_way=lambda t: t)


def _number(text: str) -> str:
    text = text.translate(_ASCII_DIGITS).strip()
    grouped = _GROUPED.match(text)
    if grouped:
        text = grouped.group(1).replace("\u066c", "") + grouped.group(2)
    return text.replace("\u066b", ".")


def ascii_number_text(values: T) -> T:
    """Number text a parser can read: ASCII digits, ``٫`` as the decimal point, ``٬`` thousands dropped.

    The Persian thousands separator ``٬`` (U+066C) is dropped only where it groups the
    whole part in threes (``۱۲۳٬۴۵۶``); elsewhere it is kept, so the parser refuses the
    value rather than guess. The decimal separator ``٫`` (U+066B) becomes ``.``.

    Parameters
    ----------
    values : str or Series of str
        Numbers as typed.

    Returns
    -------
    str or Series of str
        Same kind and index; missing values stay missing.

    Examples
    --------
    >>> ascii_number_text(pd.Series(["۱۲۳٬۴۵۶", "۱٬۲۳۴٫۵", "۱۲٬۳", "-٤٥"])).tolist()
    ['123456', '1234.5', '12\\u066c3', '-45']
    """
    return _each(values, _number, "values", ascii_way=lambda t: t.str.strip())


def normalise_columns(frame: pd.DataFrame, columns: list[str] | None = None) -> tuple[pd.DataFrame, pd.Series]:
    """Apply :func:`normalise_persian` to text columns of a table, and count what changed.

    The opt-in for a loaded export: nothing is changed without being counted.

    Parameters
    ----------
    frame : DataFrame
        A loaded table.
    columns : list of str, optional
        The columns to normalise; by default every text column.

    Returns
    -------
    (DataFrame, Series)
        A normalised copy, and the number of values changed per column (``changed``).

    Examples
    --------
    >>> people = pd.DataFrame({"first_name": ["علي", "Sara", None], "city": ["تهران", "Tehran", "Karaj"]})
    >>> clean, changed = normalise_columns(people)
    >>> changed.to_dict()
    {'first_name': 1, 'city': 0}
    """
    if columns is None:
        columns = [c for c in frame.columns if pd.api.types.is_string_dtype(frame[c]) or frame[c].dtype == object]
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise KeyError(f"`columns` names {missing}, which the table does not have; it has {list(frame.columns)}.")
    out = frame.copy()
    changed = {}
    for column in columns:
        before = frame[column].astype("str")
        out[column] = normalise_persian(before)
        changed[column] = int((before.notna() & (before != out[column]).fillna(False).astype(bool)).sum())
    return out, pd.Series(changed, dtype="int64", name="changed")
