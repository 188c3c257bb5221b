"""Key checks of tables loaded together: unique primary keys, and no orphan foreign keys.

The keys are the schema's (:data:`crmlab.datasets.schema.TABLES`). Each check returns
its problems as sentences naming the table, the file, the column, example values with
their file lines (``line``, header = line 1) or rows (``row``, first row = 1, for
Parquet), the count and the fix; :func:`check_keys` raises them all at once.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from ..errors import SchemaError
from .schema import TABLES

__all__ = ["check_keys", "duplicate_keys", "orphan_keys"]

_SHOWN = 5


def duplicate_keys(name: str, df: pd.DataFrame, *, source: str = "", lines: pd.Series | None = None) -> list[str]:
    """Problems with the primary key of table ``name``: values shared by several rows.

    Parameters
    ----------
    name : str
        Table name, a key of ``TABLES``.
    df : DataFrame
        The table, with the schema's columns.
    source : str, optional
        The file it came from, named in the message.
    lines : Series, optional
        File line of each row (CSV); by default rows are counted from 1.

    Examples
    --------
    >>> import pandas as pd
    >>> cats = pd.DataFrame({"category_id": [1, 2, 1], "name": ["a", "b", "c"]})
    >>> print(duplicate_keys("categories", cats)[0])  # doctest: +ELLIPSIS
    Table `categories` has 2 rows whose key `category_id` is not unique (1 value): 1 on rows 1, 3. ...
    """
    key = list(TABLES[name].primary_key)
    where = _places(df, lines)
    problems = []
    blank = df[key].isna().any(axis=1).to_numpy()
    if blank.any():
        problems.append(
            f"Table `{name}`{_in(source)} has {_count(int(blank.sum()), 'row')} without a key `{', '.join(key)}`: on "
            f"{_where(list(where[blank]), lines)}. Every row needs its key: fill it in the export."
        )
    twice = df.duplicated(key, keep=False).to_numpy() & ~blank
    if not twice.any():
        return problems
    groups = pd.Series(where[twice]).groupby([df[k].to_numpy()[twice] for k in key], sort=False).agg(list)
    shown = "; ".join(f"{_value(v)} on {_where(p, lines)}" for v, p in list(groups.items())[:_SHOWN])
    more = " ..." if len(groups) > _SHOWN else ""
    return [*problems,
        f"Table `{name}`{_in(source)} has {int(twice.sum())} rows whose key `{', '.join(key)}` is not unique "
        f"({len(groups)} value{'s' if len(groups) != 1 else ''}): {shown}{more}. Each row needs its own key: "
        f"remove the repeated rows from the export, or give different records different ids."
    ]


def orphan_keys(
    tables: Mapping[str, pd.DataFrame], *, sources: Mapping[str, str] | None = None,
    lines: Mapping[str, pd.Series | None] | None = None,
) -> list[str]:
    """Problems with foreign keys between the tables given: values the referenced table lacks.

    A reference to a table that is not among ``tables`` is not checked.

    Parameters
    ----------
    tables : dict
        Table name -> DataFrame with the schema's columns.
    sources : dict, optional
        Table name -> file, named in the messages.
    lines : dict, optional
        Table name -> file line of each row (CSV), or None for rows counted from 1.

    Examples
    --------
    >>> import pandas as pd
    >>> cats = pd.DataFrame({"category_id": [1], "name": ["Phones"]})
    >>> prods = pd.DataFrame({"product_id": [10, 11], "category_id": [1, 7]})
    >>> print(orphan_keys({"categories": cats, "products": prods})[0])  # doctest: +ELLIPSIS
    Column `products.category_id` has 1 value that is not a `category_id` of table `categories`: 7 on row 2. ...
    """
    sources, lines = sources or {}, lines or {}
    problems = []
    for name, df in tables.items():
        for column, ref in TABLES[name].foreign_keys.items():
            target, target_column = ref.split(".")
            if target not in tables or column not in df:
                continue
            values = df[column]
            lost = (values.notna() & ~values.isin(tables[target][target_column])).to_numpy()
            if lost.any():
                problems.append(_orphans(name, column, target, target_column, df, lost, sources, lines.get(name)))
    return problems


def check_keys(
    tables: Mapping[str, pd.DataFrame], *, sources: Mapping[str, str] | None = None,
    lines: Mapping[str, pd.Series | None] | None = None,
) -> None:
    """Raise one :class:`SchemaError` listing every key problem of ``tables``, if any.

    Examples
    --------
    >>> import pandas as pd
    >>> check_keys({"categories": pd.DataFrame({"category_id": [1, 2], "name": ["a", "b"]})})
    """
    sources, lines = sources or {}, lines or {}
    problems = [p for name, df in tables.items()
                for p in duplicate_keys(name, df, source=sources.get(name, ""), lines=lines.get(name))]
    problems += orphan_keys(tables, sources=sources, lines=lines)
    if problems:
        raise SchemaError("\n".join(problems))


def _orphans(name, column, target, target_column, df, lost, sources, lines) -> str:
    values = df[column].to_numpy()[lost]
    where = _places(df, lines)[lost]
    groups = pd.Series(where).groupby(values, sort=False).agg(list)
    shown = "; ".join(f"{_value(v)} on {_where(p, lines)}" for v, p in list(groups.items())[:_SHOWN])
    more = " ..." if len(groups) > _SHOWN else ""
    count = int(lost.sum())
    return (
        f"Column `{name}.{column}`{_in(sources.get(name, ''))} has {count} value{'s' if count != 1 else ''} "
        f"that {'are' if count != 1 else 'is'} not a `{target_column}` of table `{target}`"
        f"{_in(sources.get(target, ''))}: {shown}{more}. Add the missing rows to `{target}`, or remove these "
        f"rows from `{name}`; to look at `{name}` on its own, load it without `{target}` "
        f"(tables=[...] without '{target}')."
    )


def _places(df: pd.DataFrame, lines: pd.Series | None):
    return (lines.to_numpy() if lines is not None else pd.RangeIndex(1, len(df) + 1).to_numpy())


def _where(places: list, lines: pd.Series | None) -> str:
    word = "line" if lines is not None else "row"
    shown = ", ".join(str(int(p)) for p in places[:_SHOWN]) + (" ..." if len(places) > _SHOWN else "")
    return f"{word}{'s' if len(places) > 1 else ''} {shown}"


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def _value(v) -> str:
    return repr(v) if isinstance(v, str) else str(v)


def _in(source: str) -> str:
    return f" in {source}" if source else ""
