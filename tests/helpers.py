"""Shared pieces of the exercise-checker tests: the junk every checker must survive."""

from __future__ import annotations

import pandas as pd


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


#: Answers no question accepts: nothing, text, a list, a table with the wrong columns, a hostile object ...
JUNK = [None, "hello", [1, 2, 3], pd.DataFrame({"wrong": [1, 2]}), Hostile(), 3.5, {"a": 1}]
