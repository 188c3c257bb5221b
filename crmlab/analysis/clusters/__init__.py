"""Clustering customers on RFM and behaviour with k-means, and reading the clusters (lesson 06).

The steps, one module each:

1. :mod:`.features`: :func:`customer_features`, one row per customer who bought: RFM (days
   since the last order, orders, spend), the channel mix (share of orders on the web, in a store,
   by phone, with a field rep) and the category mix (share of spend on add-ons); :func:`channel_mix`
   and :func:`category_mix` for any orders;
2. :mod:`.model`: :func:`preprocessor` (log of the skewed RFM columns, then ``StandardScaler``) and
   :func:`cluster_pipeline` (the same, then ``KMeans`` with a fixed seed), scikit-learn Pipelines
   that output DataFrames; :func:`k_scores`, inertia and silhouette for each k;
3. :mod:`.profile`: :func:`cluster_profile` (sizes and averages next to all customers),
   :func:`standardised_profile` (the same in standard deviations), :func:`name_clusters`, and
   :func:`channel_share_by_cluster`;
4. :mod:`.plots`: :func:`k_chart` (elbow and silhouette) and :func:`profile_heatmap`.

Compare clusters with lesson 05's RFM segments with ``pd.crosstab`` and
``sklearn.metrics.adjusted_rand_score``.
"""

from typing import TYPE_CHECKING

from crmlab.lazy import lazy_names

# each name is imported on first use (crmlab.lazy); the TYPE_CHECKING imports say the same for type checkers
__getattr__, __dir__ = lazy_names(__name__, {
    ".features": [
        "ADDON_CATEGORIES", "FEATURES", "LOG_FEATURES", "MONEY_FEATURES", "PURCHASE_CHANNELS", "category_mix",
        "channel_mix", "customer_features", "model_columns",
    ],
    ".model": ["cluster_pipeline", "k_scores", "preprocessor"],
    ".plots": ["FORMATS", "k_chart", "profile_heatmap"],
    ".profile": [
        "QUALIFIERS", "TRAITS", "channel_share_by_cluster", "cluster_profile", "name_clusters",
        "standardised_profile",
    ],
})

if TYPE_CHECKING:
    from .features import (
        ADDON_CATEGORIES,
        FEATURES,
        LOG_FEATURES,
        MONEY_FEATURES,
        PURCHASE_CHANNELS,
        category_mix,
        channel_mix,
        customer_features,
        model_columns,
    )
    from .model import cluster_pipeline, k_scores, preprocessor
    from .plots import FORMATS, k_chart, profile_heatmap
    from .profile import (
        QUALIFIERS,
        TRAITS,
        channel_share_by_cluster,
        cluster_profile,
        name_clusters,
        standardised_profile,
    )

__all__ = [
    "ADDON_CATEGORIES",
    "FEATURES",
    "FORMATS",
    "LOG_FEATURES",
    "MONEY_FEATURES",
    "PURCHASE_CHANNELS",
    "QUALIFIERS",
    "TRAITS",
    "category_mix",
    "channel_mix",
    "channel_share_by_cluster",
    "cluster_pipeline",
    "cluster_profile",
    "customer_features",
    "model_columns",
    "k_chart",
    "k_scores",
    "name_clusters",
    "preprocessor",
    "profile_heatmap",
    "standardised_profile",
]
