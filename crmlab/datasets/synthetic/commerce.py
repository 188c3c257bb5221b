"""Products, orders and order lines, with the cross-sell pairs planted in the baskets."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._arrays import codes_of, elementwise, labels, nullable, stable_argsort
from ._clock import business_hours, seasonal_days, to_utc
from .markets import GENERIC, Market
from .people import REGION_NAMES, Population, Staff
from .truths import PLANTED

#: category -> (first-line share for consumers, for businesses, list prices in dollars)
CATALOGUE = {
    "Laptops": (0.16, 0.22, [649, 899, 1199, 1499, 1899]),
    "Phones": (0.20, 0.10, [249, 399, 699, 999]),
    "Accessories": (0.12, 0.10, [19, 29, 49, 79, 129, 15]),
    "Printers": (0.07, 0.12, [149, 279, 549]),
    "Ink & Paper": (0.12, 0.16, [12, 25, 39, 59]),
    "Software": (0.08, 0.10, [49, 99, 199, 399]),
    "Furniture": (0.07, 0.09, [159, 349, 599]),
    "Services": (0.08, 0.07, [59, 129, 249]),
}
CATEGORIES = list(CATALOGUE)
STATUSES = np.array(["completed", "cancelled", "returned"])
STATUS_SHARES = [0.92, 0.04, 0.04]
#: opening hours (local) by purchase channel
HOURS = {"web": (0, 24), "store": (10, 21), "call_centre": (8, 20), "field_sales": (9, 17),
         "instagram": (9, 24), "telegram": (9, 24)}


def make_catalogue(rng: np.random.Generator, market: Market = GENERIC) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return the ``categories`` and ``products`` tables (all launched before the data begin).

    List prices are the market's prices at the start of the data (:meth:`.Market.list_price`).

    The products launched inside the window are added by :mod:`.launches`.
    """
    categories = pd.DataFrame({
        "category_id": np.arange(1, len(CATEGORIES) + 1, dtype="int64"),
        "name": CATEGORIES,
    })
    rows = []
    for cat_id, (name, (_, _, prices)) in enumerate(CATALOGUE.items(), start=1):
        for k, dollars in enumerate(prices, start=1):
            rows.append((cat_id, f"{name} model {chr(64 + k)}", market.list_price(dollars)))
    products = pd.DataFrame(rows, columns=["category_id", "name", "list_price_cents"])
    products.insert(0, "product_id", np.arange(1, len(products) + 1, dtype="int64"))
    products.insert(1, "sku", [f"SKU-{i:05d}" for i in products["product_id"] * 37 + 10_000])
    launched = rng.integers(-900, 600, size=len(products))
    launched = np.where(launched >= 0, launched - 900, launched)  # on sale before the data begin
    products["launched_on"] = pd.Timestamp("2022-01-01") + pd.to_timedelta(launched, unit="D")
    products["launched_on"] = products["launched_on"].dt.as_unit("s")
    return categories, products


def order_events(rng: np.random.Generator, pop: Population) -> tuple[np.ndarray, np.ndarray]:
    """Regular orders: a first purchase at sign-up for most, then a seasonal process."""
    first = rng.random(pop.n) < 0.8
    owner0 = np.flatnonzero(first)
    day0 = pop.signup_day[owner0]
    owner1, day1 = seasonal_days(rng, pop.signup_day + 1, pop.active_until, pop.purchase_rate,
                                 pop.market.day_factors)  # fmt: skip
    return np.concatenate([owner0, owner1]), np.concatenate([day0, day1])


def purchase_channel(rng: np.random.Generator, pop: Population, owner: np.ndarray) -> np.ndarray:
    """Pick each order's channel among the customer's purchase channels (index into the market's)."""
    cum = _purchase_weights(pop).cumsum(axis=1)  # per customer: an order's row is its owner's

    def pick(owner: np.ndarray, draw: np.ndarray) -> np.ndarray:
        draw = draw * cum[owner, -1]
        passed = np.zeros(len(owner), dtype=np.int8)
        for j in range(cum.shape[1]):  # how many cumulative weights the draw passes
            passed += draw > cum[owner, j]
        return np.minimum(passed, cum.shape[1] - 1)

    return elementwise(pick, owner, rng.random(len(owner)), dtype=np.int8)


def _purchase_weights(pop: Population) -> np.ndarray:
    """Each customer's weights of the market's purchase channels (columns in ``purchase_names`` order)."""
    market = pop.market
    cols = [market.channels.index(c) for c in market.purchase_names]
    has = pop.channel_set[:, cols].astype(float)
    online = pop.online_share
    both = (has[:, 0] > 0) & (has[:, 1] > 0)  # web and store come first
    weights = has * np.array([weight for _, weight in market.purchase_channels])
    weights[both, 0] = 2 * online[both]
    weights[both, 1] = 2 * (1 - online[both])
    weights[weights.sum(axis=1) == 0, 0] = 1.0  # a web-only customer who prefers the store
    return weights


def assign_reps(rng: np.random.Generator, staff: Staff, team: str, region_idx: np.ndarray) -> np.ndarray:
    """A rep of ``team`` for each item, from the item's region (index into REGION_NAMES) when possible."""
    reps = staff.reps[staff.reps["team"] == team]
    out = np.empty(len(region_idx), dtype="int64")
    pool_all = reps["rep_id"].to_numpy()
    rep_region = codes_of(reps["region"].to_numpy(), REGION_NAMES)
    for reg in range(len(REGION_NAMES)):
        mask = region_idx == reg
        if not mask.any():
            continue
        pool = pool_all[rep_region == reg]
        pool = pool if len(pool) else pool_all
        out[mask] = pool[rng.integers(0, len(pool), size=mask.sum())]
    return out


def make_orders(
    rng: np.random.Generator,
    pop: Population,
    staff: Staff,
    owner: np.ndarray,
    day: np.ndarray,
    campaign_id: np.ndarray,
    completed: np.ndarray | None = None,
) -> pd.DataFrame:
    """Build the ``orders`` table (totals are filled in from the lines later).

    Orders flagged ``completed`` (by default those with a campaign) are completed.
    """
    completed = campaign_id > 0 if completed is None else completed
    channel = purchase_channel(rng, pop, owner)
    at = np.empty(len(owner))
    purchase = pop.market.purchase_names
    for code, name in enumerate(purchase):
        mask = channel == code
        at[mask] = business_hours(rng, mask.sum(), *HOURS[name])
    at += day  # the time of day, then the day: the same sums
    sort = stable_argsort(at)
    owner, channel, at = owner[sort], channel[sort], at[sort]
    campaign_id, completed = campaign_id[sort], completed[sort]
    rep = np.full(len(owner), -1, dtype="int64")
    for chan, team in [("field_sales", "field_sales"), ("call_centre", "inside_sales")]:
        mask = channel == purchase.index(chan)
        rep[mask] = assign_reps(rng, staff, team, pop.region_idx[owner[mask]])
    status = rng.choice(3, size=len(owner), p=STATUS_SHARES)
    status[completed] = 0  # campaign orders count as completed
    owner += 1
    return pd.DataFrame({
        "order_id": np.arange(1, len(owner) + 1, dtype="int64"),
        "customer_id": owner,
        "ordered_at": to_utc(at),
        "channel": labels(purchase, channel),
        "rep_id": nullable(rep, rep < 0, "Int64"),
        "campaign_id": nullable(campaign_id, campaign_id <= 0, "Int64"),
        "status": labels(STATUSES, status),
        "_day": at,  # local day, for later steps; dropped before export
        "_event": sort,
    }, copy=False)


def _category_index(rng: np.random.Generator, business: np.ndarray) -> np.ndarray:
    shares = np.array([[c[0] for c in CATALOGUE.values()], [c[1] for c in CATALOGUE.values()]])
    shares = shares / shares.sum(axis=1, keepdims=True)
    cum = np.cumsum(shares, axis=1)  # row 0 consumers, row 1 businesses

    def passed(business: np.ndarray, draw: np.ndarray) -> np.ndarray:
        index = np.zeros(len(business), dtype=np.int64)
        for j in range(cum.shape[1]):  # how many cumulative shares the draw passes
            index += draw > np.where(business, cum[1, j], cum[0, j])
        return np.minimum(index, len(CATALOGUE) - 1)

    return elementwise(passed, business, rng.random(len(business)), dtype=np.int64)


def make_order_lines(
    rng: np.random.Generator,
    orders: pd.DataFrame,
    products: pd.DataFrame,
    business: np.ndarray,
    forced_category: np.ndarray,
    market: Market = GENERIC,
) -> pd.DataFrame:
    """Baskets: a first line, the planted add-ons, then a few random extras.

    ``business`` flags orders of business customers; ``forced_category`` holds the
    category index a campaign order must contain (or -1). A line's price is its product's
    list price moved by the market's inflation to the order's month (:meth:`.Market.price`).
    """
    n = len(orders)
    first = _category_index(rng, business)
    first = np.where(forced_category >= 0, forced_category, first)
    parts_order = [np.arange(n)]
    parts_cat = [first]
    draw = np.empty(n)  # one buffer for the add-ons' draws
    for (a, b), p in PLANTED.affinities.items():
        ia, ib = CATEGORIES.index(a), CATEGORIES.index(b)
        hit = np.flatnonzero((first == ia) & (rng.random(out=draw) < p))
        parts_order.append(hit)
        parts_cat.append(np.full(len(hit), ib))
    extra = rng.poisson(0.25, size=n)
    owner = np.repeat(np.arange(n), extra)
    parts_order.append(owner)
    parts_cat.append(_category_index(rng, business[owner]))
    order_idx = np.concatenate(parts_order)
    cat_idx = np.concatenate(parts_cat)
    sort = np.argsort(order_idx, kind="stable")
    order_idx, cat_idx = order_idx[sort], cat_idx[sort]

    del sort, parts_order, parts_cat
    product = _product_in(rng, products, cat_idx)
    price = market.price(products["list_price_cents"].to_numpy()[product], orders["_day"].to_numpy()[order_idx])
    bulk = np.isin(cat_idx, [CATEGORIES.index("Accessories"), CATEGORIES.index("Ink & Paper")])
    del cat_idx
    # the mean extra quantity, np.where(bulk, 1.2, 0.1) * np.where(business, 3, 1), from a table of the 4 products
    mean = (np.array([0.1, 1.2])[:, None] * np.array([1, 3])[None, :]).ravel()[2 * bulk + business[order_idx]]
    del bulk
    quantity = rng.poisson(mean)
    del mean
    quantity += 1
    discounted = rng.random(len(order_idx)) < 0.15
    rate = rng.choice([0.05, 0.1, 0.15], size=len(price))
    rate *= price * quantity  # price * quantity * rate, in that order (a product of two factors commutes)
    whole = np.round(rate, out=rate) if market.price_step == 1 else market.round_money(rate)
    del rate
    discount = np.where(discounted, whole, 0).astype("int64")
    del whole, discounted
    return pd.DataFrame({
        "order_id": orders["order_id"].to_numpy()[order_idx],
        "line_no": _line_numbers(order_idx, n),
        "product_id": products["product_id"].to_numpy()[product],
        "quantity": quantity.astype("int32"),
        "unit_price_cents": price.astype("int64", copy=False),
        "discount_cents": discount,
    }, copy=False)


def _line_numbers(order_idx: np.ndarray, n_orders: int) -> np.ndarray:
    """1, 2, ... within each order of sorted ``order_idx``, as int16."""
    counts = np.bincount(order_idx, minlength=n_orders)
    first = np.cumsum(counts) - counts
    line_no = np.arange(1, len(order_idx) + 1, dtype=np.int64)
    line_no -= np.repeat(first, counts)
    return line_no.astype("int16")


def _product_in(rng: np.random.Generator, products: pd.DataFrame, cat_idx: np.ndarray) -> np.ndarray:
    """A random product row of each line's category."""
    cat_of_product = products["category_id"].to_numpy() - 1
    first_row = np.searchsorted(cat_of_product, np.arange(len(CATEGORIES)))
    count = np.bincount(cat_of_product, minlength=len(CATEGORIES))
    return elementwise(lambda c, u: first_row[c] + (u * count[c]).astype(int), cat_idx, rng.random(len(cat_idx)),
                       dtype=np.int64)  # fmt: skip


def order_totals(orders: pd.DataFrame, lines: pd.DataFrame) -> np.ndarray:
    """Sum of line amounts (quantity x price - discount) per order, in the market's minor units (rials, cents)."""
    amount = elementwise(lambda q, p, d: q * p - d, lines["quantity"].to_numpy(), lines["unit_price_cents"].to_numpy(),
                         lines["discount_cents"].to_numpy(), dtype=float)  # fmt: skip
    sums = np.bincount(lines["order_id"].to_numpy(), weights=amount, minlength=len(orders) + 1)  # ids from 1
    return sums[1:].astype("int64")
