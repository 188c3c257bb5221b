"""Named RFM segments: documented rules on the R and F scores.

A segment is a block of the 5 x 5 grid of recency score (R, rows) by frequency score
(F, columns). The rules are tried in order and the first that covers a cell wins (Loyal
covers R 3-5 and F 3-5, except the Champions' corner, tried before it); together they cover
the whole grid, so every customer gets exactly one segment (a test checks it)::

    R \\ F   1             2             3         4          5
    5       New           Promising     Loyal     Champions  Champions
    4       New           Promising     Loyal     Champions  Champions
    3       Needs attn.   Needs attn.   Loyal     Loyal      Loyal
    2       Hibernating   Hibernating   At risk   At risk    Cannot lose
    1       Lost          Lost          At risk   At risk    Cannot lose

The M score does not define segments (it moves with F: who buys often spends more); it
ranks customers *within* a segment, so the most valuable are contacted first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from crmlab.validation import column_arguments

from .scores import rfm_scores

__all__ = ["SEGMENTS", "Segment", "rfm_segments", "rfm_table", "segment_grid", "segment_profile", "segment_rules"]


@dataclass(frozen=True)
class Segment:
    """One named segment: the R and F scores it covers (inclusive ranges), who is in it, what to do.

    Examples
    --------
    >>> Segment("New", (4, 5), (1, 1), "first order lately", "welcome them").covers(5, 1)
    True
    """

    name: str
    r_scores: tuple[int, int]
    f_scores: tuple[int, int]
    who: str
    action: str

    def covers(self, r: int, f: int) -> bool:
        """True when a customer scored (r, f) belongs to this segment."""
        return self.r_scores[0] <= r <= self.r_scores[1] and self.f_scores[0] <= f <= self.f_scores[1]


#: The segments, best first: the order of the rules (first match wins), of tables and of charts.
SEGMENTS: tuple[Segment, ...] = (
    Segment("Champions", (4, 5), (4, 5), "bought recently and buy often",
            "Reward them: early access and loyalty perks; ask for reviews and referrals. No discounts needed."),
    Segment("Loyal", (3, 5), (3, 5), "buy regularly, not all of them lately",
            "Cross-sell and upsell what goes with their last purchase; invite them to the loyalty programme."),
    Segment("Promising", (4, 5), (2, 2), "bought recently, a few orders so far",
            "Recommend the next product; a bundle or membership offer to build the habit."),
    Segment("New", (4, 5), (1, 1), "bought lately, with the fewest orders so far",
            "Welcome series: getting started, service contacts, a reason to come back within 30 days."),
    Segment("Needs attention", (3, 3), (1, 2), "a few orders, some time ago",
            "A time-limited offer based on what they bought, before they drift away."),
    Segment("Cannot lose", (1, 2), (5, 5), "used to buy the most often, but not lately",
            "A personal call from their rep or a senior agent: find out why they stopped; a strong win-back offer."),
    Segment("At risk", (1, 2), (3, 4), "used to buy regularly, but not lately",
            "A personal win-back message: what changed? A renewal offer on their usual products."),
    Segment("Hibernating", (2, 2), (1, 2), "a few orders, long ago",
            "One low-cost reminder (a text message or e-mail) with new products and bestsellers; do not spend much."),
    Segment("Lost", (1, 1), (1, 2), "one or two orders, the longest ago",
            "Leave them out of paid campaigns; at most one cheap reactivation message."),
)  # fmt: skip


def segment_rules(segments: Sequence[Segment] = SEGMENTS) -> pd.DataFrame:
    """The rules as a table: the scores each segment covers, who is in it, the suggested action.

    Examples
    --------
    >>> segment_rules().loc["At risk", ["R", "F"]].tolist()
    ['1-2', '3-4']
    """
    def span(lo_hi: tuple[int, int]) -> str:
        return str(lo_hi[0]) if lo_hi[0] == lo_hi[1] else f"{lo_hi[0]}-{lo_hi[1]}"

    rows = [(s.name, span(s.r_scores), span(s.f_scores), s.who, s.action) for s in segments]
    return pd.DataFrame(rows, columns=["segment", "R", "F", "who", "action"]).set_index("segment")


def segment_grid(segments: Sequence[Segment] = SEGMENTS, bins: int = 5) -> pd.DataFrame:
    """The segment of every (R, F) cell: R from ``bins`` (top row) down to 1, F from 1 to ``bins``.

    Raises
    ------
    ValueError
        When a cell has no segment.

    Examples
    --------
    >>> segment_grid().loc[5, [1, 5]].tolist()
    ['New', 'Champions']
    """
    grid = pd.DataFrame(index=pd.Index(range(bins, 0, -1), name="R"), columns=pd.Index(range(1, bins + 1), name="F"),
                        dtype=object)  # fmt: skip
    for r in grid.index:
        for f in grid.columns:
            names = [s.name for s in segments if s.covers(r, f)]
            if not names:
                raise ValueError(f"No segment rule covers R={r}, F={f}: every cell of the grid needs a segment.")
            grid.loc[r, f] = names[0]
    return grid


def rfm_segments(scores: pd.DataFrame, segments: Sequence[Segment] = SEGMENTS) -> pd.Series:
    """The segment of every customer, from its ``r_score`` and ``f_score``.

    Parameters
    ----------
    scores : DataFrame
        With columns ``r_score`` and ``f_score`` from 1 to 5 (:func:`rfm_scores`).
    segments : sequence of Segment
        The rules, tried in order (the first that covers a cell wins); by default
        :data:`SEGMENTS`. Together they must cover every (R, F) cell.

    Returns
    -------
    Series
        ``segment``, a categorical whose categories follow ``segments``.

    Examples
    --------
    >>> scores = pd.DataFrame({"r_score": [5, 1, 2], "f_score": [5, 1, 4]}, index=[7, 8, 9])
    >>> rfm_segments(scores).tolist()
    ['Champions', 'Lost', 'At risk']
    """
    column_arguments(scores, {"r_score": "r_score", "f_score": "f_score"}, "scores")
    grid = segment_grid(segments)
    r, f = scores["r_score"], scores["f_score"]
    bad = ~(r.isin(grid.index) & f.isin(grid.columns))
    if bad.any():
        raise ValueError(
            f"`r_score` and `f_score` must be whole numbers from 1 to {len(grid)}, but customer "
            f"{scores.index[bad.to_numpy()].tolist()[0]!r} has ({r[bad].tolist()[0]!r}, {f[bad].tolist()[0]!r}). "
            "Score with rfm_scores(summary) (bins=5)."
        )
    cells = grid.stack()
    names = cells.reindex(pd.MultiIndex.from_arrays([r.to_numpy(), f.to_numpy()])).to_numpy()
    categories = pd.CategoricalDtype([s.name for s in segments], ordered=True)
    return pd.Series(names, index=scores.index, name="segment").astype(categories)


def rfm_table(summary: pd.DataFrame, bins: int = 5, ties: str = "min", **columns: str) -> pd.DataFrame:
    """The summary with its R, F, M scores, code and segment: one row per customer.

    Parameters
    ----------
    summary : DataFrame
        From :func:`customer_summary` (or with the columns named in ``columns``).
    bins, ties
        Passed to :func:`rfm_scores`; by default equal values share a score, so the segments
        do not depend on the row order or the customer ids.
    **columns : str
        ``recency=``, ``frequency=``, ``monetary=`` when the summary names them differently.

    Examples
    --------
    >>> summary = pd.DataFrame({"days_since_last_order": [5, 300, 40, 90, 700],
    ...                         "n_orders": [9, 1, 4, 2, 1], "total_spend": [900, 20, 350, 80, 15]},
    ...                        index=pd.Index([1, 2, 3, 4, 5], name="customer_id"))
    >>> rfm_table(summary)[["rfm_code", "segment"]]
                rfm_code          segment
    customer_id
    1                555        Champions
    2                212      Hibernating
    3                444        Champions
    4                333            Loyal
    5                111             Lost
    """
    scores = rfm_scores(summary, bins=bins, ties=ties, **columns)
    return summary.join(scores).assign(segment=rfm_segments(scores))


def segment_profile(table: pd.DataFrame) -> pd.DataFrame:
    """Each segment's size, typical customer and weight in revenue.

    Parameters
    ----------
    table : DataFrame
        From :func:`rfm_table`: ``segment``, ``days_since_last_order``, ``n_orders``, ``total_spend``.

    Returns
    -------
    DataFrame
        One row per segment, in rule order: ``customers``, ``share_of_customers``,
        ``median_days_since_last_order``, ``median_orders``, ``share_of_revenue``.

    Examples
    --------
    >>> table = pd.DataFrame({"segment": ["Champions", "Lost", "Lost"], "days_since_last_order": [10, 500, 700],
    ...                       "n_orders": [9, 1, 2], "total_spend": [800, 100, 100]})
    >>> segment_profile(table)[["customers", "median_orders", "share_of_revenue"]]
               customers  median_orders  share_of_revenue
    segment
    Champions          1            9.0               0.8
    Lost               2            1.5               0.2
    """
    column_arguments(table, {c: c for c in ("segment", "days_since_last_order", "n_orders", "total_spend")}, "table")
    grouped = table.groupby("segment", observed=True, sort=True)
    out = pd.DataFrame({
        "customers": grouped.size(),
        "median_days_since_last_order": grouped["days_since_last_order"].median().astype(float),
        "median_orders": grouped["n_orders"].median().astype(float),
        "revenue": grouped["total_spend"].sum(),
    })
    out.insert(1, "share_of_customers", out["customers"] / out["customers"].sum())
    out["share_of_revenue"] = out.pop("revenue") / table["total_spend"].sum()
    out.index = pd.Index(out.index.astype(str), name="segment")
    return out
