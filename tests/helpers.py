"""Shared pieces of the exercise-checker tests: the junk every checker must survive.

``JUNK`` holds ordinary wrong answers; ``HOSTILE`` is a zoo of objects built to break a
checker (methods that raise, sleep or never end, huge values); ``SLOW`` names the ones
that cost up to a time limit each, so tests run those on a sample of questions only.
"""

from __future__ import annotations

import itertools
import time

import pandas as pd

__all__ = ["CHEAP_HOSTILE", "HOSTILE", "JUNK", "SLOW", "Hostile", "hostile_ids"]

SLEEP = 60  # seconds a "slow" method would hold the checker without a time limit


class Hostile:
    """An object whose every method raises: a checker must give feedback, not a traceback."""

    def __getattr__(self, name):
        raise RuntimeError("hostile")

    def __eq__(self, other):
        raise RuntimeError("hostile")

    def __len__(self):
        raise RuntimeError("hostile")

    def __iter__(self):
        raise RuntimeError("hostile")

    __hash__ = None


def _boom(*_args, **_kwargs):
    raise RuntimeError("hostile")


def _nap(*_args, **_kwargs):
    time.sleep(SLEEP)
    return True


def _raising(*names: str, base: type = object) -> type:
    """A class whose listed special methods all raise."""
    return type("Raising_" + "_".join(n.strip("_") for n in names), (base,), dict.fromkeys(names, _boom))


class RaisingAttributes:
    """``__getattribute__`` raises: even ``obj.__class__`` fails."""

    def __getattribute__(self, name):
        raise RuntimeError("hostile __getattribute__")


class RaisingClass:
    """``obj.__class__`` raises (``isinstance`` asks for it)."""

    @property
    def __class__(self):
        raise RuntimeError("hostile __class__")


class RaisingArgsError(Exception):
    """An exception whose ``.args`` and ``str`` raise."""

    @property
    def args(self):
        raise RuntimeError("hostile args")

    def __str__(self):
        raise RuntimeError("hostile str")


def _raise_hostile_error():
    raise RaisingArgsError("x")


class RaisingStrip(str):
    """Text whose ``strip`` (and ``__str__``) raise."""

    strip = _boom
    __str__ = _boom


class SleepingEq:
    """``==`` sleeps: a check would hang for a minute without a time limit."""

    __eq__ = _nap
    __hash__ = object.__hash__


class SleepingFloat(float):
    """A number whose ``float()``, ``complex()`` and ``==`` sleep."""

    __float__ = __complex__ = __eq__ = _nap
    __hash__ = float.__hash__


class RaisingFrame(pd.DataFrame):
    """A DataFrame subclass whose length, columns access and printing raise."""

    __len__ = __repr__ = __str__ = _boom

    @property
    def _constructor(self):
        return RaisingFrame

    def __getitem__(self, key):
        raise RuntimeError("hostile frame")


def _endless():
    n = 0
    while True:
        yield n
        n += 1


def _recursive_list() -> list:
    items: list = [1, 2]
    items.append(items)
    return items


#: Answers no question accepts: nothing, text, a list, a table with the wrong columns, a hostile object ...
JUNK = [None, "hello", [1, 2, 3], pd.DataFrame({"wrong": [1, 2]}), Hostile(), 3.5, {"a": 1}]

#: name -> factory of a hostile answer that costs little to check.
CHEAP_HOSTILE = {
    "raising_str": lambda: _raising("__str__")(),
    "raising_repr": lambda: _raising("__repr__")(),
    "raising_str_repr_eq": lambda: _raising("__str__", "__repr__", "__eq__", "__ne__")(),
    "raising_getattribute": RaisingAttributes,
    "raising_class": RaisingClass,
    "raising_bool_len_iter": lambda: _raising("__bool__", "__len__", "__iter__")(),
    "raising_float": lambda: _raising("__float__", "__index__", "__int__", "__complex__", base=float)(1.0),
    "raising_args_error_thunk": lambda: _raise_hostile_error,
    "raising_args_error_value": lambda: RaisingArgsError("x"),
    "str_raising_strip": lambda: RaisingStrip("hello"),
    "count": lambda: itertools.count(),
    "endless_generator": _endless,
    "text_10mb": lambda: "x" * 10_000_000,
    "huge_int": lambda: 10**100_000,
    "recursive_list": _recursive_list,
    "long_list_of_none": lambda: [None] * 1_000_000,
    "raising_frame": lambda: RaisingFrame({"a": [1, 2]}),
    "system_exit_eq": lambda: _raising_system_exit(),
}

#: name -> factory of a hostile answer whose methods sleep: each costs one time limit.
SLOW = {
    "sleeping_eq": SleepingEq,
    "sleeping_float": lambda: SleepingFloat(1.0),
}

HOSTILE = {**CHEAP_HOSTILE, **SLOW}


def _raising_system_exit():
    def leave(*_):
        raise SystemExit(0)

    return type("Leaving", (), {"__eq__": leave, "__hash__": object.__hash__, "__str__": leave})()


def hostile_ids(names) -> list[str]:
    """Test ids for ``pytest.mark.parametrize``."""
    return list(names)
