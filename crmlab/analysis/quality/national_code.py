"""The Iranian national code (کد ملی): read it one way, and check its check digit.

A national code has ten digits; the last is a check digit over the first nine. With
digits ``d0 .. d9``, ``s = sum(d[i] * (10 - i) for i in 0..8) % 11``; the code is valid
when ``s < 2`` and ``d9 == s``, or ``s >= 2`` and ``d9 == 11 - s``. Codes of one digit
repeated (``1111111111``) pass that rule but are never issued: they are placeholders, and
count as invalid here.

Codes are read after writing Persian and Arabic-Indic digits as ASCII and dropping
spaces and dashes (``۰۰۱-۲۳۴۵۶۷-۹``). A code of 8 or 9 digits is left-padded with
zeros to 10: codes issued in Tehran start with ``00``, and a spreadsheet that stores the
column as numbers drops those zeros on export, so the 8 digits ``12345679`` are read as
the code ``0012345679`` rather than as a typo. The padded code must still pass the check
digit (a code missing a digit elsewhere does not). Anything else (other lengths, letters) is not a code.

Examples
--------
>>> is_valid_national_code(pd.Series(["0499370899", "۰۴۹۹۳۷۰۸۹۹", "499370899", "0499370890", None])).tolist()
[True, True, True, False, False]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crmlab.persian_text import to_ascii_digits
from crmlab.validation import require_series

__all__ = ["is_valid_national_code", "normalise_national_code"]

_WEIGHTS = np.arange(10, 1, -1)  # 10, 9, ..., 2 for the first nine digits


def _padded(codes: pd.Series) -> pd.Series:
    """Ten ASCII digits where the text can be read as a code (8-9 digits left-padded), else missing."""
    text = to_ascii_digits(codes.astype("str")).str.replace(r"[\s\-\u200c]", "", regex=True)
    return text.str.zfill(10).where(text.str.fullmatch(r"[0-9]{8,10}").fillna(False).astype(bool))


def _check_digit_ok(ten: pd.Series) -> np.ndarray:
    """Whether each ten-digit text passes the check digit and is not one digit repeated."""
    ok = np.zeros(len(ten), dtype=bool)
    present = ten.notna().to_numpy()
    if not present.any():
        return ok
    digits = np.frombuffer("".join(ten[present]).encode("ascii"), dtype=np.uint8).reshape(-1, 10) - ord("0")
    s = (digits[:, :9].astype(np.int64) * _WEIGHTS).sum(axis=1) % 11
    check = digits[:, 9]
    passes = np.where(s < 2, check == s, check == 11 - s)
    repeated = (digits == digits[:, :1]).all(axis=1)
    ok[present] = passes & ~repeated
    return ok


def normalise_national_code(codes: pd.Series) -> pd.Series:
    """National codes as ten ASCII digits, missing where the code is not valid: a key to match on.

    Parameters
    ----------
    codes : Series
        Codes as typed (text; Persian or Arabic-Indic digits, spaces and dashes allowed).

    Returns
    -------
    Series of str
        Same index; the ten-digit code (8-9 digit forms left-padded with zeros), or
        missing where the value is missing, unreadable, or fails the check digit.

    Examples
    --------
    >>> normalise_national_code(pd.Series(["۰۰۱۲۳۴۵۶۷۹", "12345679", "0012345672", "1111111111"])).tolist()
    ['0012345679', '0012345679', nan, nan]
    """
    require_series(codes, "codes")
    ten = _padded(codes)
    return ten.where(_check_digit_ok(ten)).rename(codes.name)


def is_valid_national_code(codes: pd.Series) -> pd.Series:
    """Whether each value is a valid Iranian national code (check digit, not one digit repeated).

    Parameters
    ----------
    codes : Series
        Codes as typed; see :func:`normalise_national_code` for what is read.

    Returns
    -------
    Series of bool
        Same index; False for missing or unreadable values too (a rule that allows a
        missing code tests ``codes.isna()`` apart).

    Examples
    --------
    >>> is_valid_national_code(pd.Series(["0012345679", "0012345672", "12-3"])).tolist()
    [True, False, False]
    """
    return normalise_national_code(codes).notna().rename(codes.name)
