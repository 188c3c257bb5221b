"""The :class:`CRM` bunch: every table of a CRM database, by name."""

from __future__ import annotations

import pandas as pd

__all__ = ["CRM"]


class CRM(dict):
    """A dict of table name -> DataFrame that also allows ``crm.orders``.

    Like scikit-learn's ``Bunch``; ``truth`` holds the planted truths of a generated
    database (empty for a company's own export); ``conventions`` the company's
    :class:`~crmlab.conventions.Conventions`, when known (None otherwise).

    Examples
    --------
    >>> import pandas as pd
    >>> crm = CRM({"orders": pd.DataFrame({"order_id": [1, 2]})})
    >>> crm.orders["order_id"].tolist()
    [1, 2]
    """

    def __init__(self, tables: dict[str, pd.DataFrame], truth: dict | None = None, conventions=None) -> None:
        super().__init__(tables)
        self.truth = truth or {}
        self.conventions = conventions

    def __getattr__(self, name: str) -> pd.DataFrame:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(
                f"This CRM has no table `{name}`. Its tables are: {', '.join(sorted(self))}."
            ) from None

    def __dir__(self):
        return [*super().__dir__(), *self.keys()]

    def __repr__(self) -> str:
        rows = [f"  {name:<20} {len(df):>9,} rows x {df.shape[1]} columns" for name, df in self.items()]
        return "CRM with {} tables:\n{}".format(len(self), "\n".join(rows))

    def _repr_pretty_(self, p, cycle) -> None:  # IPython
        p.text(repr(self))
