"""Explain a learner's exception in plain language.

A pandas ``KeyError`` becomes "there is no column `amout` ... did you mean
`amount`?", with the table's columns; ``NameError``, ``AttributeError``,
``TypeError``, ``ValueError``, ``ZeroDivisionError`` and ``IndexError`` get the
usual beginner causes; anything else a generic explanation. The explanation ends
with the line of the learner's code that failed and Python's own message, and
holds no file names, ids or addresses.
"""

from __future__ import annotations

import ast
import builtins
import difflib
import linecache
import re
import sys
import sysconfig
from pathlib import Path
from types import FrameType
from typing import Any

import pandas as pd

from crmlab.exercises.feedback import Message
from crmlab.exercises.safe_text import exception_args, exception_text, is_exactly, quote, quote_items, type_name

__all__ = ["explain_error", "explain_exception", "learner_line", "raised_in"]

_LIBRARY_DIRS = tuple(
    {sysconfig.get_paths()[key] for key in ("stdlib", "platstdlib", "purelib", "platlib")}
) + (str(Path(__file__).resolve().parents[1]),)


def explain_exception(exc: BaseException) -> str:
    """Say in plain words what an exception raised by learner code means.

    Parameters
    ----------
    exc : BaseException
        The exception, with its traceback.

    Returns
    -------
    str
        The likely cause and fix, the failing line of the learner's code, and
        Python's message.

    Examples
    --------
    >>> import pandas as pd
    >>> orders = pd.DataFrame({"amount": [1.0]})
    >>> try:
    ...     orders["amout"]
    ... except KeyError as exc:
    ...     print(explain_exception(exc).splitlines()[0][:60])
    There is no column `amout`: a column name is misspelled. You
    """
    explainer = next(
        (fn for kind, fn in _EXPLAINERS if is_exactly(exc, kind)), _explain_generic
    )
    try:
        lines = [explainer(exc)]
    except Exception:  # an odd exception object: say what we can
        lines = [_explain_generic(exc)]
    try:
        line = learner_line(exc)
    except Exception:
        line = ""
    if line:
        lines.append(f"The line that failed: `{line}`")
    lines.append(f"Python said: {_python_says(exc)}")
    return "\n".join(lines)


def explain_error(exc: BaseException | None = None) -> Message:
    """Explain ``exc``, or the last error raised in this notebook.

    Parameters
    ----------
    exc : BaseException, optional
        Defaults to the error of the last cell that failed (``sys.last_value``).

    Returns
    -------
    Message
        Shown as text or HTML in a notebook.

    Examples
    --------
    >>> explain_error(ZeroDivisionError("division by zero")).body.startswith("You divided by zero")
    True
    """
    if exc is None:
        exc = getattr(sys, "last_exc", None) or getattr(sys, "last_value", None)
    if exc is None:
        return Message("No error to explain", "No cell has raised an error in this session.")
    return Message("What went wrong", explain_exception(exc))


def learner_line(exc: BaseException) -> str:
    """The source line, in the learner's own code, where ``exc`` was raised ("" if unknown).

    Examples
    --------
    >>> try:
    ...     1 / 0
    ... except ZeroDivisionError as exc:
    ...     learner_line(exc)
    '1 / 0'
    """
    for frame, lineno in reversed(_frames(exc)):
        filename = frame.f_code.co_filename
        if not filename.startswith(_LIBRARY_DIRS):
            return linecache.getline(filename, lineno, frame.f_globals).strip()[:200]
    return ""


def raised_in(exc: BaseException) -> str:
    """The qualified name of the function that raised ``exc``, e.g. ``"Weird.__len__"``."""
    frames = _frames(exc)
    return frames[-1][0].f_code.co_qualname if frames else ""


def _frames(exc: BaseException) -> list[tuple[FrameType, int]]:
    frames, tb = [], exc.__traceback__
    while tb is not None:
        frames.append((tb.tb_frame, tb.tb_lineno))
        tb = tb.tb_next
    return frames


def _python_says(exc: BaseException) -> str:
    text = exception_text(exc)
    return f"{type_name(exc)}: {text}" if text else type_name(exc)


def _closest(word: str, candidates) -> str:
    if not is_exactly(word, str) or str.__len__(word) > 200:
        return ""  # difflib's work grows with the square of the length
    names = [str.__str__(c) for c in list(candidates)[:1000] if is_exactly(c, str) and str.__len__(c) <= 200]
    folded = [c for c in names if c.casefold() == word.casefold()]
    if folded:
        return folded[0]
    close = difflib.get_close_matches(word, names, n=1, cutoff=0.6)
    return close[0] if close else ""


def _pandas_owner(exc: BaseException) -> tuple[Any, bool]:
    """The outermost DataFrame or Series in the traceback, and whether .loc/.iloc was used."""
    for frame, _ in _frames(exc):
        owner = frame.f_locals.get("self")
        if is_exactly(owner, pd.DataFrame, pd.Series):
            return owner, False
        if type(owner).__module__.startswith("pandas") and type_name(owner).endswith("Indexer"):
            return owner.obj, True
    return None, False


def _missing_keys(exc: KeyError) -> list:
    args = exception_args(exc)
    key = args[0] if args else ""
    if is_exactly(key, str) and str.__len__(key) <= 10_000:
        match = re.search(r"\[(.*?)\]", key) if "not in index" in key or "None of" in key else None
        if match:
            try:
                return list(ast.literal_eval(f"[{match.group(1)}]"))
            except (ValueError, SyntaxError):
                return [key]
    return [key]


def _explain_key_error(exc: KeyError) -> str:
    owner, by_label = _pandas_owner(exc)
    key = _missing_keys(exc)[0]
    if is_exactly(owner, pd.DataFrame) and (
        not by_label or (is_exactly(key, str) and _closest(key, owner.columns))
    ):
        return _column_message(key, owner)
    shown = _key_text(key)
    if owner is not None:
        return (
            f"There is no row labelled `{shown}` in the index. `.loc[...]` looks rows up by "
            "their index label (see `.index`); use `.iloc[...]` for positions."
        )
    return (
        f"The key `{shown}` was not found. If you selected a column, check its spelling "
        "(names are case-sensitive) against `df.columns`; for a dict, look at `d.keys()`."
    )


def _key_text(key: Any) -> str:
    """A key as the learner typed it: text without quotes, anything else quoted safely."""
    return str.__str__(key)[:200] if is_exactly(key, str) else quote(key)


def _column_message(key: Any, frame: pd.DataFrame) -> str:
    columns = list(frame.columns)
    text = (
        f"There is no column `{_key_text(key)}`: a column name is misspelled. "
        f"Your table has columns {quote_items(columns)}."
    )
    close = _closest(key, columns)
    if close:
        text += f" Did you mean `{close}`?"
    return text + " Column names must match exactly, including upper/lower case."


def _learner_names(exc: BaseException) -> list[str]:
    frames = _frames(exc)
    scope = dict(vars(builtins))
    if frames:
        frame = frames[-1][0]
        scope.update(frame.f_globals)
        scope.update(frame.f_locals)
    return [name for name in scope if not name.startswith("_")]


def _explain_name_error(exc: NameError) -> str:
    message = exception_text(exc)
    name = getattr(exc, "name", None) or message.split("'")[1 if "'" in message else 0]
    name = name if is_exactly(name, str) else ""
    text = (
        f"Python does not know the name `{name}`. Check its spelling, or run the cell that "
        "defines it first (Run > Run All Above Selected Cell)."
    )
    close = _closest(name, _learner_names(exc))
    return text + (f" Did you mean `{close}`?" if close and close != name else "")


def _explain_attribute_error(exc: AttributeError) -> str:
    name = getattr(exc, "name", None) or ""
    name = str.__str__(name)[:200] if is_exactly(name, str) else ""
    obj = getattr(exc, "obj", None)
    if "'NoneType' object" in exception_text(exc):
        return (
            f"A value is None, so it has no `.{name}`. Methods used with `inplace=True`, and "
            "`list.append`, return None: keep the object itself, not what the method returned."
        )
    if is_exactly(obj, pd.DataFrame):
        close = _closest(name, obj.columns)
        if close:
            return (
                f"A DataFrame has no attribute `{name}`. To use the column `{close}`, "
                f"select it with `df[{close!r}]`."
            )
    kind = type_name(obj) if obj is not None else "This"
    text = f"{kind} objects have no attribute or method `{name}`."
    try:
        trusted = obj is not None and type(obj).__module__.split(".")[0] in ("builtins", "pandas", "numpy")
        public = [a for a in dir(obj) if not a.startswith("_")] if trusted else []
        close = _closest(name, public)
    except Exception:  # dir() of a learner's object may raise
        close = ""
    return text + (f" Did you mean `.{close}`?" if close else " Check the spelling.")


_TYPE_ERRORS = [
    (r"unsupported operand|can only concatenate|must be str, not|can't multiply sequence",
     "You combined text and numbers (or other types that do not mix). Look at the types "
     "with `type(x)` or `df.dtypes`; convert with `pd.to_numeric(...)` or `str(...)`."),
    (r"object is not callable",
     "You used parentheses after something that is not a function, e.g. `df.shape()` "
     "instead of `df.shape`, or a variable that hides a function's name."),
    (r"not subscriptable",
     "You used square brackets on something that does not support them: often a method "
     "you forgot to call, e.g. `df.head[5]` instead of `df.head(5)`."),
    (r"positional argument|unexpected keyword argument|required keyword",
     "A function was called with the wrong arguments. Look at what it accepts with "
     "`help(function)` or Shift+Tab."),
    (r"unhashable type",
     "A list, dict or table was used where a single label is needed (a dict key, a set "
     "item or a column name)."),
    (r"not supported between instances of",
     "You compared or sorted values of different types, e.g. text with numbers. Look at "
     "`df.dtypes`."),
]  # fmt: skip

_VALUE_ERRORS = [
    (r"truth value of .* is ambiguous",
     "`and`, `or`, `not` and `if` cannot test a whole column at once. Combine conditions "
     "with `&`, `|` and `~`, each in parentheses: `(df.a > 1) & (df.b < 2)`."),
    (r"could not convert string|invalid literal for|Unable to parse string",
     "Some text could not be read as a number or date. Look at the offending values; "
     "`pd.to_numeric(s, errors='coerce')` turns them into NaN."),
    (r"Length of values|Length mismatch|length of index",
     "A new column or list has a different length from the table: it needs one value per "
     "row."),
    (r"duplicate labels|duplicate entries",
     "The index has duplicated labels. Look at `df.index.duplicated().sum()`."),
    (r"You are trying to merge on",
     "The key columns of the two tables have different types (e.g. text and numbers): "
     "convert one with `.astype(...)` before merging."),
    (r"columns overlap but no suffix",
     "Both tables have a column of the same name: pass `lsuffix=`/`rsuffix=`, or use "
     "`merge`."),
]  # fmt: skip


def _explain_by_pattern(exc: BaseException, patterns: list, default: str) -> str:
    message = exception_text(exc, 1000)
    if "'NoneType'" in message:
        return (
            "A value is None where something else was needed. Methods used with "
            "`inplace=True` return None: assign the method's result instead."
        )
    return next((text for pattern, text in patterns if re.search(pattern, message)), default)


def _explain_type_error(exc: TypeError) -> str:
    return _explain_by_pattern(
        exc, _TYPE_ERRORS, "A value has the wrong type for what your code does with it."
    )


def _explain_value_error(exc: ValueError) -> str:
    return _explain_by_pattern(
        exc, _VALUE_ERRORS, "A value has the right type but an unsuitable content."
    )


def _explain_zero_division(exc: ZeroDivisionError) -> str:
    return (
        "You divided by zero: a count or total was 0 (e.g. a customer with no orders). "
        "Filter those rows out first, or divide pandas columns, which gives `inf` or `NaN` "
        "instead of an error."
    )


def _explain_index_error(exc: IndexError) -> str:
    return (
        "You asked for a position that does not exist, e.g. item 10 of a 5-item list. "
        "Positions start at 0; check the length with `len(...)`."
    )


def _explain_generic(exc: BaseException) -> str:
    return (
        f"Your code raised {type_name(exc)}. Read the last line of the error and the "
        "line of your code it points to."
    )


_EXPLAINERS = [
    (KeyError, _explain_key_error),
    (NameError, _explain_name_error),
    (AttributeError, _explain_attribute_error),
    (ZeroDivisionError, _explain_zero_division),
    (TypeError, _explain_type_error),
    (ValueError, _explain_value_error),
    (IndexError, _explain_index_error),
]
