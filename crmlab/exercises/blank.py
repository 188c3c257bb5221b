"""The blank ``____`` that a learner replaces with an answer.

The blank is a single object. ``check`` reports "not attempted" when it receives
the blank, or a value computed from it: arithmetic with the blank gives the blank
back, so ``share = ____ / total`` is still "not attempted", not an error.
"""

from __future__ import annotations

from typing import Any

__all__ = ["BLANK", "is_blank", "____"]


class _Blank:
    """The type of ``____``: a singleton that survives arithmetic."""

    _instance: _Blank | None = None

    def __new__(cls) -> _Blank:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "____"

    def __reduce__(self) -> str:
        return "BLANK"

    def _same(self, *_: Any) -> _Blank:
        return self

    __add__ = __radd__ = __sub__ = __rsub__ = _same
    __mul__ = __rmul__ = __truediv__ = __rtruediv__ = _same
    __floordiv__ = __rfloordiv__ = __mod__ = __rmod__ = _same
    __pow__ = __rpow__ = __neg__ = __pos__ = __abs__ = _same
    __getitem__ = _same  # ____["column"] is still a blank

    def __setitem__(self, key: Any, value: Any) -> None:
        """``table = ____`` then ``table["x"] = ...`` leaves the blank a blank."""

    def __delitem__(self, key: Any) -> None:
        """Deleting from a blank changes nothing."""


BLANK = _Blank()
____ = BLANK


def is_blank(value: Any) -> bool:
    """Tell whether ``value`` is the blank, or a list, tuple, set or dict holding one.

    Parameters
    ----------
    value : object
        What the learner passed to ``check``.

    Returns
    -------
    bool
        True when the learner has not replaced the blank yet.

    Examples
    --------
    >>> from crmlab.exercises import ____
    >>> is_blank(____), is_blank(____ * 2), is_blank([1, ____]), is_blank(0)
    (True, True, True, False)
    """
    if value is BLANK:
        return True
    if type(value) in (list, tuple, set, frozenset):
        return any(item is BLANK for item in value)
    if type(value) is dict:
        return any(item is BLANK for item in value.values())
    return False
