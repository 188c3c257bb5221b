"""Show a learner's value or exception in a few words, without running its code.

Every repr or str of a learner's object in the checker's messages goes through
:func:`quote`, :func:`type_name` or :func:`exception_text`. They never raise and never
hang, because they never call a method the learner could have written: values of
trusted types (built-ins, NumPy, pandas, datetime) are rendered, containers item by
item with limits on length and depth (so a list that holds itself is fine), and
anything else is named by its type. Long text is cut to a readable length with its
size, e.g. ``'xxxx…' (10,000,000 characters)``; work is linear in what is shown.
"""

from __future__ import annotations

import enum as _enum
import math
from typing import Any

__all__ = ["cut", "exception_args", "exception_text", "is_exactly", "quote", "quote_items", "type_name"]

LIMIT = 200  # characters of a learner's value shown in a message
_TRUSTED = ("builtins", "numpy", "pandas", "datetime", "decimal", "fractions")
_ITEMS = 5  # items of a list shown
_DEPTH = 3  # nesting shown
_NAME = type.__dict__["__name__"]
_MODULE = type.__dict__["__module__"]
_ARGS = BaseException.__dict__["args"]


def type_name(value: Any) -> str:
    """The name of ``value``'s type, read without touching ``value``.

    Examples
    --------
    >>> type_name(3.5), type_name([])
    ('float', 'list')
    """
    try:
        return _NAME.__get__(type(value))
    except Exception:  # a metaclass may still interfere
        return "object"


def is_exactly(value: Any, *types: type) -> bool:
    """``isinstance`` that never asks the object for its ``__class__``.

    Examples
    --------
    >>> is_exactly(True, int), is_exactly("a", int, str)
    (True, True)
    """
    return issubclass(type(value), types)


def cut(text: str, limit: int = LIMIT) -> str:
    """``text`` cut to ``limit`` characters, saying how long it was.

    Examples
    --------
    >>> cut("abc"), cut("x" * 10_000, 5)
    ('abc', 'xxxxx… (10,000 characters)')
    """
    n = str.__len__(text)
    if n <= limit:
        return str(str.__getitem__(text, slice(None)))
    return f"{str.__getitem__(text, slice(limit))}… ({n:,} characters)"


def quote(value: Any, limit: int = LIMIT, items: int = _ITEMS) -> str:
    """A short readable form of ``value``; never raises, never calls the learner's code.

    Parameters
    ----------
    value : object
        Anything a learner can pass.
    limit : int
        Roughly the longest text returned (per item for a container).
    items : int
        Items of a list, tuple, set or dict shown.

    Examples
    --------
    >>> quote(2.0), quote("hi"), quote([1, "a", None])
    ('2.0', "'hi'", "[1, 'a', None]")
    >>> quote("x" * 1_000_000, 10)
    "'xxxxxxxxxx…' (1,000,000 characters)"
    >>> loop = [1]; loop.append(loop); quote(loop)
    '[1, [...]]'
    """
    try:
        return _quote(value, limit, _DEPTH, set(), items)
    except Exception:  # e.g. MemoryError; the type's name is always safe
        return f"<{type_name(value)}>"


def quote_items(values: Any, items: int = 30) -> str:
    """A list of values quoted one by one, e.g. column names: ``['a', 'b']``.

    Examples
    --------
    >>> quote_items(["amount", 3])
    "['amount', 3]"
    """
    values = list(values) if is_exactly(values, list, tuple) else values
    return quote(values, 60, items)


def exception_text(exc: BaseException, limit: int = LIMIT) -> str:
    """An exception's message, read from its arguments; never raises.

    A learner's exception class may override ``__str__`` or ``args``: neither is called.

    Examples
    --------
    >>> exception_text(KeyError("amout")), exception_text(ValueError("x" * 500), 5)
    ("'amout'", 'xxxxx… (500 characters)')
    """
    try:
        args = _ARGS.__get__(exc)
        if not args:
            return ""
        if len(args) == 1 and is_exactly(args[0], str) and not is_exactly(exc, KeyError):
            return cut(args[0], limit)
        if len(args) == 1:
            return _quote(args[0], limit, _DEPTH, set())
        return _quote(tuple(args), limit, _DEPTH, set())
    except Exception:
        return ""


def exception_args(exc: BaseException) -> tuple:
    """An exception's ``args``, read without calling an overridden ``args``."""
    try:
        return tuple(_ARGS.__get__(exc))
    except Exception:
        return ()


def _trusted(value: Any) -> bool:
    try:
        module = _MODULE.__get__(type(value)) or ""
    except Exception:
        return False
    return is_exactly(module, str) and str.split(module, ".")[0] in _TRUSTED


def _quote(value: Any, limit: int, depth: int, seen: set, items: int = _ITEMS) -> str:
    kind = type(value)
    if value is None or kind in (bool, type(Ellipsis)):
        return repr(value)
    if issubclass(kind, str):  # a subclass is shown by str's own methods
        value, kind = str.__str__(value), str
    if kind is str:
        text = repr(value if len(value) <= limit else value[:limit])
        return text if len(value) <= limit else f"{text[:-1]}…{text[-1]} ({len(value):,} characters)"
    if issubclass(kind, int) and kind is not bool and not issubclass(kind, _enum.Enum):
        if int.bit_length(value) > 3 * limit:
            digits = int(int.bit_length(value) * math.log10(2)) + 1
            return f"an int of about {digits:,} digits"
        return int.__repr__(value)
    for base in (float, complex):
        if issubclass(kind, base):
            return base.__repr__(value)
    if kind in (bytes, bytearray):
        return cut(repr(value[:limit]), limit + 10)
    if kind in (list, tuple, set, frozenset, dict):
        return _quote_container(value, limit, depth, seen, items)
    if _trusted(value) and not hasattr(kind, "__len__"):  # scalars of NumPy, pandas, datetime
        if _MODULE.__get__(kind) == "numpy" and hasattr(kind, "item"):
            return _quote(value.item(), limit, depth, seen)
        return cut(repr(value), limit)
    return f"<{type_name(value)}>"


def _quote_container(value: Any, limit: int, depth: int, seen: set, items: int) -> str:
    kind = type(value)
    if id(value) in seen:
        return "[...]" if kind is list else "(...)"
    if depth <= 0:
        return f"<{type_name(value)} of {len(value):,} items>"
    seen = seen | {id(value)}
    if kind is dict:
        pairs = list(_take(value.items(), items))
        parts = [f"{_quote(k, limit, depth - 1, seen)}: {_quote(v, limit, depth - 1, seen)}" for k, v in pairs]
        open_, close = "{", "}"
    else:
        parts = [_quote(item, limit, depth - 1, seen) for item in _take(value, items)]
        open_, close = {list: "[]", tuple: "()", set: "{}", frozenset: "{}"}[kind]
        if kind is tuple and len(value) == 1:
            parts[0] += ","
    if len(value) > items:
        parts.append(f"… ({len(value):,} items)")
    text = ", ".join(parts)
    if len(text) > limit * max(items, 1):
        text = text[: limit * items] + f"… ({len(value):,} items)"
    return f"{open_}{text}{close}"


def _take(items: Any, n: int) -> list:
    out = []
    for item in items:
        if len(out) == n:
            break
        out.append(item)
    return out
