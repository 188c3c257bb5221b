"""One row per customer who bought: RFM and behaviour (channel mix, category mix) as numbers.

k-means compares customers by distance, so every feature must be a number on a scale
where a difference means something. :func:`customer_features` builds them from the
purchases (orders with a purchase status; all orders without a status), on the local calendar:

- RFM, the business summary of lesson 05: ``days_since_last_order``, ``n_orders`` and
  ``total_spend`` (in major units of the currency: rials on the course's data). They are
  skewed (a few customers order fifty times), so the model takes their logarithm
  (:data:`LOG_FEATURES`); a company's export without channels or products gets these alone;
- the **channel mix**: the share of the customer's orders placed through each channel the
  data holds: on the course's data on the web, in a store, through the call centre, with a
  field sales rep, on Instagram and on Telegram (``share_web`` ... they add up to 1). The
  online channels against ``share_store`` are the online versus in-store preference;
  ``online_share``, online / (online + store), says the same for customers who use both,
  and is kept for profiles only (it is empty for customers who use neither). Online channels
  are those the ``channels`` table flags ``is_online`` (the web alone without that table);
- the **category mix** in one number: ``addon_share``, the share of spend on the add-ons
  that go with a device (:data:`ADDON_CATEGORIES`). :func:`category_mix` gives the share of
  every category, for profiles.
"""

from __future__ import annotations

import pandas as pd

from crmlab.analysis.rfm import customer_summary
from crmlab.conventions import COURSE, Conventions
from crmlab.validation import column_arguments

__all__ = [
    "ADDON_CATEGORIES",
    "FEATURES",
    "LOG_FEATURES",
    "MONEY_FEATURES",
    "PURCHASE_CHANNELS",
    "category_mix",
    "channel_mix",
    "customer_features",
    "model_columns",
]

PURCHASE_CHANNELS = ("web", "store", "call_centre", "field_sales")
ADDON_CATEGORIES = ("Accessories", "Ink & Paper", "Software", "Services")
#: Skewed counts and amounts: log-transformed (``log1p``) before scaling.
LOG_FEATURES = ("days_since_last_order", "n_orders", "total_spend")
#: Amounts of money, in the major unit of the data's currency (``conventions.currency``).
MONEY_FEATURES = ("total_spend",)
#: The columns the clustering model uses, in order.
FEATURES = (*LOG_FEATURES, *(f"share_{c}" for c in PURCHASE_CHANNELS), "addon_share")


def _channels_in(orders: pd.DataFrame) -> tuple[str, ...]:
    """The purchase channels of ``orders``: the course's in their order, then any others alphabetically."""
    seen = set(orders["channel"].dropna().astype(str))
    return (*(c for c in PURCHASE_CHANNELS if c in seen), *sorted(seen - set(PURCHASE_CHANNELS)))


def model_columns(features: pd.DataFrame) -> tuple[str, ...]:
    """The model's columns that ``features`` holds, in :data:`FEATURES` order, every channel share included.

    :data:`FEATURES` are the course's; a company that also sells on Instagram or Telegram has a
    share column for each, and a company's export without channels or products has fewer.

    Examples
    --------
    >>> X = pd.DataFrame(columns=["days_since_last_order", "n_orders", "total_spend", "share_web", "share_store",
    ...                           "share_instagram", "addon_share", "online_share"])
    >>> model_columns(X)
    ('days_since_last_order', 'n_orders', 'total_spend', 'share_web', 'share_store', 'share_instagram', \
'addon_share')
    """
    shares = [c for c in features.columns if c.startswith("share_")]
    extra = ["addon_share"] if "addon_share" in features.columns else []
    return (*(c for c in LOG_FEATURES if c in features.columns), *shares, *extra)


def channel_mix(orders: pd.DataFrame, channels: tuple[str, ...] = PURCHASE_CHANNELS) -> pd.DataFrame:
    """The share of each customer's orders placed through each channel.

    Parameters
    ----------
    orders : DataFrame
        With ``customer_id`` and ``channel``; filter the statuses you count first.
    channels : tuple of str
        The channels, in column order; orders through other channels count in no column.

    Returns
    -------
    DataFrame
        Indexed by ``customer_id``, columns ``share_<channel>``.

    Examples
    --------
    >>> orders = pd.DataFrame({"customer_id": [1, 1, 1, 2], "channel": ["web", "web", "store", "call_centre"]})
    >>> channel_mix(orders).round(2)
                 share_web  share_store  share_call_centre  share_field_sales
    customer_id
    1                 0.67         0.33                0.0                0.0
    2                 0.00         0.00                1.0                0.0
    """
    column_arguments(orders, {"customer_id": "customer_id", "channel": "channel"}, "orders")
    counts = pd.crosstab(orders["customer_id"], orders["channel"])
    shares = counts.reindex(columns=list(channels), fill_value=0).div(counts.sum(axis=1), axis=0)
    shares.columns = [f"share_{c}" for c in channels]
    shares.columns.name = None
    return shares.astype(float)


def category_mix(
    orders: pd.DataFrame, order_lines: pd.DataFrame, products: pd.DataFrame, categories: pd.DataFrame
) -> pd.DataFrame:
    """The share of each customer's spend in each product category (after line discounts).

    Parameters
    ----------
    orders : DataFrame
        ``order_id`` and ``customer_id`` of the orders to count (filter statuses first).
    order_lines, products, categories : DataFrame
        The course's tables: a line's spend is ``quantity * unit_price_cents - discount_cents``.

    Returns
    -------
    DataFrame
        Indexed by ``customer_id``, one column per category name (in ``categories`` order); rows add up to 1.

    Examples
    --------
    >>> import crmlab
    >>> crm = crmlab.load_crm(tables=["orders", "order_lines", "products", "categories"])
    >>> mix = category_mix(crm.orders, crm.order_lines, crm.products, crm.categories)
    >>> mix.columns.tolist()[:3], bool(mix.sum(axis=1).round(9).eq(1).all())
    (['Laptops', 'Phones', 'Accessories'], True)
    """
    column_arguments(orders, {"order_id": "order_id", "customer_id": "customer_id"}, "orders")
    lines = order_lines.merge(orders[["order_id", "customer_id"]], on="order_id")
    lines = lines.merge(products[["product_id", "category_id"]], on="product_id")
    names = categories.set_index("category_id")["name"]
    spend = lines["quantity"] * lines["unit_price_cents"] - lines["discount_cents"]
    table = spend.groupby([lines["customer_id"], lines["category_id"].map(names)]).sum().unstack(fill_value=0)
    table = table.reindex(columns=list(names), fill_value=0)
    table.columns.name = None
    return table.div(table.sum(axis=1), axis=0).astype(float)


def customer_features(
    crm,
    as_of=None,
    tz: str | None = None,
    statuses: tuple[str, ...] | None = None,
    *,
    conventions: Conventions = COURSE,
) -> pd.DataFrame:
    """RFM, channel mix and category mix of every customer who bought, one row each.

    Parameters
    ----------
    crm : CRM
        With ``orders`` (``customer_id``, ``ordered_at``, ``total_cents``); a company's export
        may lack the rest: without ``orders.status`` every order counts as a purchase, without
        ``orders.channel`` there is no channel mix (nor ``online_share``), and without
        ``order_lines``, ``products`` and ``categories`` no ``addon_share``.
    as_of : date-like, optional
        The day of the analysis; default ``conventions.as_of``, the export's last day.
    tz : str, optional
        The company's time zone: days are counted on its calendar; default ``conventions.timezone``.
    statuses : tuple of str, optional
        The order statuses that count as purchases; default ``conventions.purchase_statuses``.
    conventions : Conventions, optional
        The company's conventions (default :data:`crmlab.conventions.COURSE`).

    Returns
    -------
    DataFrame
        Indexed by ``customer_id``: :data:`FEATURES` the data can feed, with a share column for
        every channel its orders came through (``total_spend`` in major units of
        ``conventions.currency``), then ``online_share`` (online / (online + store); empty
        without either). :func:`model_columns` lists the columns for the model.

    Examples
    --------
    >>> import crmlab
    >>> crm = crmlab.load_crm(tables=["orders", "order_lines", "products", "categories"])
    >>> features = customer_features(crm)
    >>> features.shape, features.columns[:4].tolist()
    ((2847, 11), ['days_since_last_order', 'n_orders', 'total_spend', 'share_web'])
    >>> done = crm.orders[crm.orders["status"] == "completed"]
    >>> bool(features["total_spend"].sum().round(2) == COURSE.major(done["total_cents"].sum()))  # to major units
    True
    """
    as_of = conventions.as_of if as_of is None else as_of
    tz = conventions.timezone if tz is None else tz
    statuses = conventions.purchase_statuses if statuses is None else statuses
    orders = crm.orders
    column_arguments(orders, {c: c for c in ("customer_id", "ordered_at", "total_cents")}, "orders")
    bought = orders[orders["status"].isin(statuses)] if "status" in orders else orders
    local = bought.assign(ordered_local=bought["ordered_at"].dt.tz_convert(tz))
    summary = customer_summary(local, datetime_col="ordered_local", as_of=as_of)
    out = summary[["days_since_last_order", "n_orders"]].astype(float)
    out["total_spend"] = conventions.major(summary["total_spend"])
    if "channel" in orders:
        out = out.join(channel_mix(bought, _channels_in(bought)))
    if all(name in crm for name in ("order_lines", "products", "categories")) and "order_id" in orders:
        mix = category_mix(bought, crm.order_lines, crm.products, crm.categories)
        addons = mix.reindex(columns=list(ADDON_CATEGORIES), fill_value=0).sum(axis=1)
        out["addon_share"] = addons.reindex(out.index)
    if "channel" in orders:
        online = out[[f"share_{c}" for c in _online_channels(crm, _channels_in(bought))]].sum(axis=1)
        both = online + (out["share_store"] if "share_store" in out else 0.0)
        out["online_share"] = (online / both).where(both > 0)
    return out


def _online_channels(crm, channels: tuple[str, ...]) -> tuple[str, ...]:
    """The online ones among ``channels``: flagged ``is_online`` in the ``channels`` table, or the web alone."""
    table = crm["channels"] if "channels" in crm else None
    if table is not None and {"channel", "is_online"} <= set(table.columns):
        flagged = set(table.loc[table["is_online"].astype(bool), "channel"].astype(str))
        return tuple(c for c in channels if c in flagged)
    return tuple(c for c in channels if c == "web")
