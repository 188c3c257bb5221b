"""RFM: per-customer purchase summaries, R/F/M scores, named segments and targeting lists (lesson 05).

The steps, one module each:

1. :mod:`.summary`: :func:`rfm_summary`, the summary users of lifetimes and
   pymc-marketing know (``frequency`` = repeat purchase periods, ``recency`` = first to
   last purchase, ``T`` = first purchase to the end, ``monetary_value`` = mean over the
   repeat periods), identical to lifetimes on CDNOW; and :func:`customer_summary`, the plain
   business one (days since the last order, number of orders, total spend);
2. :mod:`.scores`: :func:`quantile_score` and :func:`rfm_scores`, quantile scores from 1 to 5
   computed from ranks, so that ties (most customers buy once) cannot collapse the bins; equal
   values share a score, so the scores never depend on the row order or the customer ids
   (:mod:`.stability`: :func:`id_order_moves` counts who moves when the ids are renumbered);
3. :mod:`.segments`: :data:`SEGMENTS`, named blocks of the R x F grid with their rules and
   suggested actions, :func:`rfm_segments`, :func:`rfm_table` and :func:`segment_profile`;
4. :mod:`.targeting`: :func:`targeting_list`, who to contact in each segment, why and how;
5. :mod:`.plots`: :func:`segment_heatmap`, the R x F grid coloured by segment.

Export the lists with :func:`crmlab.export.to_safe_csv` and :func:`crmlab.export.to_safe_excel`.
"""

from .plots import segment_heatmap
from .scores import TIES, quantile_score, rfm_scores
from .segments import SEGMENTS, Segment, rfm_segments, rfm_table, segment_grid, segment_profile, segment_rules
from .stability import id_order_moves
from .summary import customer_summary, rfm_summary
from .targeting import CONTACT_COLUMNS, targeting_list

__all__ = [
    "CONTACT_COLUMNS",
    "SEGMENTS",
    "TIES",
    "Segment",
    "customer_summary",
    "id_order_moves",
    "quantile_score",
    "rfm_scores",
    "rfm_segments",
    "rfm_summary",
    "rfm_table",
    "segment_grid",
    "segment_heatmap",
    "segment_profile",
    "segment_rules",
    "targeting_list",
]
