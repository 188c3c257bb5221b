"""Profiling a table: one row per column with its problems."""

from __future__ import annotations

import pandas as pd

from crmlab.validation import require_table

from .national_code import is_valid_national_code
from .normalise import _plausible_year
from .rules import _EMAIL, _PHONE, BIRTH_YEARS, SEGMENTS, _text

# ------------------------------------------------------------------ profiling


def _spelling_variants(values: pd.Series) -> pd.Series:
    """True where a value differs, by case or spaces only, from the commonest spelling of it."""
    text = _text(values)
    counts = text.value_counts()
    key = counts.index.str.strip().str.casefold()
    commonest = counts.groupby(key).idxmax()
    return text.notna() & (text != text.str.strip().str.casefold().map(commonest))


_RULES = {
    "email": ("malformed e-mails", lambda s: _text(s).str.fullmatch(_EMAIL)),
    "phone": ("phones not written +98 and ten digits", lambda s: _text(s).str.fullmatch(_PHONE)),
    "segment": ("labels other than " + ", ".join(SEGMENTS), lambda s: s.isin(SEGMENTS)),
    "birth_year": (f"birth years outside {BIRTH_YEARS[0]}-{BIRTH_YEARS[1]}", _plausible_year),
    "national_code": ("national codes failing their check digit", is_valid_national_code),
}


def _column_problems(name: str, values: pd.Series) -> tuple[pd.Series, list[str]]:
    """Rows with a problem in one column (missing values aside), and the problems in words."""
    present = values.notna()
    bad = pd.Series(False, index=values.index)
    words = []
    if name in _RULES:
        label, rule = _RULES[name]
        broken = present & ~rule(values).fillna(False).astype(bool)
        bad |= broken
        words += [f"{int(broken.sum())} {label}"] if broken.any() else []
    if pd.api.types.is_string_dtype(values) or values.dtype == object:
        variants = _spelling_variants(values)
        bad |= variants
        words += [f"{int(variants.sum())} spelled unlike the commonest form (case, spaces)"] if variants.any() else []
    if name.endswith("_cents") and pd.api.types.is_numeric_dtype(values):
        negative = present & (values < 0)
        bad |= negative
        words += [f"{int(negative.sum())} negative amounts"] if negative.any() else []
    return bad, words


def profile(df: pd.DataFrame, n_examples: int = 3) -> pd.DataFrame:
    """Profile a table: one row per column, with what is missing, odd or inconsistent.

    Parameters
    ----------
    df : DataFrame
        Any table; columns named ``email``, ``phone``, ``segment``, ``birth_year``,
        ``national_code`` and ``*_cents`` get extra validity rules.
    n_examples : int, default 3
        How many distinct values to show.

    Returns
    -------
    DataFrame
        Indexed by ``column``: ``dtype``, ``missing``, ``distinct``, ``examples``,
        ``problem_rows`` (present values with a problem) and ``problems`` (in words).

    Examples
    --------
    >>> df = pd.DataFrame({"city": ["Tehran", "tehran ", "Tehran", None], "birth_year": [1980, 0, 1990, None]})
    >>> profile(df)[["missing", "distinct", "problem_rows"]]
                missing  distinct  problem_rows
    column
    city              1         2             1
    birth_year        1         3             1
    >>> profile(df).loc["birth_year", "problems"]
    '1 birth years outside 1915-2009'
    """
    require_table(df, "df")
    rows = {}
    for name in df.columns:
        values = df[name]
        bad, words = _column_problems(str(name), values)
        examples = values.dropna().unique()[:n_examples]
        rows[name] = {
            "dtype": str(values.dtype), "missing": int(values.isna().sum()), "distinct": int(values.nunique()),
            "examples": ", ".join(str(v) for v in examples), "problem_rows": int(bad.sum()),
            "problems": "; ".join(words),
        }  # fmt: skip
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("column")


