"""Customers and sales reps: who they are, where they live, and their hidden traits.

Hidden traits (channel set, purchase rate, churn time, service luck) drive the other
tables; they stay in :class:`Population` and never reach the exported tables, so
learners rediscover them from behaviour.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ._arrays import chunks, labels, texts
from ._clock import HORIZON, to_date
from .markets import GENERIC, Market, planted_for
from .truths import PLANTED

FIRST_NAMES = np.array([
    "Ali", "Sara", "Reza", "Maryam", "Mohammad", "Fatemeh", "Hossein", "Zahra", "Amir", "Narges",
    "Mehdi", "Leila", "Hamid", "Shirin", "Omid", "Nazanin", "Kaveh", "Parisa", "Babak", "Roya",
    "Arash", "Mina", "Dariush", "Elham", "Farhad", "Golnaz", "Javad", "Laleh", "Navid", "Soheila",
    "Peyman", "Yasaman", "Siavash", "Ladan", "Behrouz", "Azadeh", "Kian", "Niloufar", "Saeed", "Taraneh",
])
LAST_NAMES = np.array([
    "Ahmadi", "Hosseini", "Karimi", "Moradi", "Rahimi", "Jafari", "Rezaei", "Mousavi", "Hashemi",
    "Sadeghi", "Kazemi", "Ghasemi", "Tehrani", "Shirazi", "Esfahani", "Tabrizi", "Rostami",
    "Nazari", "Farahani", "Bagheri", "Kamali", "Asadi", "Zand", "Alavi", "Mohammadi", "Sharifi",
    "Najafi", "Salehi", "Amini", "Heidari",
])
MAIL_DOMAINS = np.array(["gmail.com", "yahoo.com", "outlook.com", "chmail.ir"])
COMPANY_WORDS = np.array([
    "Pars", "Aria", "Sepehr", "Noor", "Kimia", "Arvand", "Damavand", "Zagros", "Alborz", "Karun",
])
COMPANY_KINDS = np.array(["Trading", "Engineering", "Clinic", "Logistics", "Design", "Foods"])

#: region -> (cities, share of customers)
REGIONS = {
    "Capital": (["Tehran", "Karaj"], 0.38),
    "Central": (["Isfahan", "Yazd", "Kerman"], 0.17),
    "West": (["Tabriz", "Kermanshah", "Urmia"], 0.15),
    "East": (["Mashhad", "Birjand"], 0.12),
    "South": (["Shiraz", "Ahvaz", "Bandar Abbas"], 0.12),
    "North": (["Rasht", "Sari", "Gorgan"], 0.06),
}
#: The region whose support team is understaffed: bad service is commoner there.
WEAK_SUPPORT_REGION = "South"
REGION_NAMES = np.array(list(REGIONS))

SEGMENTS = np.array(["consumer", "small_business", "enterprise"])
SEGMENT_SHARES = np.array([0.78, 0.17, 0.05])
#: orders per active year at seasonal factor 1, by segment
ORDERS_PER_YEAR = np.array([2.2, 3.5, 5.0])
CHANNEL_COUNT_SHARES = np.array([0.30, 0.35, 0.22, 0.13])


@dataclass
class Population:
    """Customers with their hidden traits, as arrays aligned by row (customer_id - 1)."""

    customers: pd.DataFrame
    region_idx: np.ndarray  # index into REGION_NAMES
    channel_set: np.ndarray  # bool (n, channels), columns follow market.channels
    purchase_rate: np.ndarray  # orders per day at seasonal factor 1
    signup_day: np.ndarray  # days since START
    active_until: np.ndarray  # day of churn, or HORIZON when still active at export
    bad_service: np.ndarray  # bool
    online_share: np.ndarray  # share of purchases made on the web among purchase channels
    market: Market = GENERIC

    @property
    def n(self) -> int:
        return len(self.customers)


def _pick(rng: np.random.Generator, values: np.ndarray, n: int, p=None) -> np.ndarray:
    return values[rng.choice(len(values), size=n, p=p)]


def _channel_sets(rng: np.random.Generator, segment_idx: np.ndarray, market: Market) -> tuple[np.ndarray, np.ndarray]:
    """Sample 1-4 distinct channels per customer (Gumbel top-k); return (set, first)."""
    n = len(segment_idx)
    channels = np.array(market.channels)
    k = rng.choice(4, size=n, p=CHANNEL_COUNT_SHARES) + 1
    gumbel = rng.gumbel(size=(n, len(channels)))
    log_weights = np.log(np.array(market.channel_weights))
    chosen = np.empty((n, len(channels)), dtype=bool)
    first = np.empty(n, dtype=np.intp)
    for part in chunks(n):  # row by row: the top k keys of each row
        order = np.argsort(-(log_weights[segment_idx[part]] + gumbel[part]), axis=1)
        rank = np.empty_like(order)
        np.put_along_axis(rank, order, np.arange(len(channels))[None, :], axis=1)
        chosen[part] = rank < k[part, None]
        first[part] = order[:, 0]
    del gumbel
    buys = np.isin(channels, market.purchase_names)
    no_purchase = ~(chosen & buys).any(axis=1)
    web, store = market.channels.index("web"), market.channels.index("store")
    fallback = np.where(rng.random(n) < 0.5, web, store)
    chosen[no_purchase, fallback[no_purchase]] = True
    return chosen, first


def _emails(rng, first: pd.Series, last: pd.Series, ids: np.ndarray, company: pd.Series, word: np.ndarray
            ) -> pd.Series:
    """Addresses; a business's domain is its company's first word (``word``: its index in COMPANY_WORDS), .ir."""
    mail = rng.integers(0, len(MAIL_DOMAINS), size=len(ids))
    business = company.notna().to_numpy()
    domains = [*MAIL_DOMAINS, *(w.lower() + ".ir" for w in COMPANY_WORDS)]  # the mail services', then the companies'
    domain = labels(domains, np.where(business, len(MAIL_DOMAINS) + word, mail))
    dot, at, nothing = (pa.scalar(text, pa.large_string()) for text in (".", "@", ""))
    parts = [pc.utf8_lower(_arrow(first)), dot, pc.utf8_lower(_arrow(last)), _arrow(texts(ids % 1000)), at,
             _arrow(domain)]  # fmt: skip
    return pd.Series(pd.array(pc.binary_join_element_wise(*parts, nothing), dtype="str"))  # joined in one pass


def _arrow(values) -> pa.ChunkedArray:
    """The Arrow array behind a text column (pandas' ``str``)."""
    return pa.chunked_array(pd.array(values).__arrow_array__())


def _signup_days(rng: np.random.Generator, n: int, market: Market) -> np.ndarray:
    """Sign-ups grow over time: density rising linearly, none in the last 60 days.

    In a market with :attr:`~.markets.Market.seasonal_signups` a day's sign-ups also follow
    its activity (few on a Friday, none while the shops are shut for Nowruz): days are drawn
    again until kept with a chance proportional to :attr:`~.markets.Market.day_factors`.
    """
    last = HORIZON - 60

    def draw(k: int) -> np.ndarray:
        u = rng.random(k)
        return np.floor(np.where(rng.random(k) < 0.5, last * np.sqrt(u), last * u))

    days = draw(n)
    if not market.seasonal_signups:
        return days
    factors = market.day_factors / market.day_factors.max()
    todo = np.flatnonzero(rng.random(n) >= factors[days.astype("int64")])
    while len(todo):  # each round keeps at least a few percent of the rest: ends within a few hundred rounds
        days[todo] = draw(len(todo))
        todo = todo[rng.random(len(todo)) >= factors[days[todo].astype("int64")]]
    return days


def make_population(rng: np.random.Generator, n: int, market: Market = GENERIC) -> Population:
    """Draw ``n`` customers of ``market`` with their public attributes and hidden traits."""
    ids = np.arange(1, n + 1, dtype="int64")
    seg_idx = rng.choice(len(SEGMENTS), size=n, p=SEGMENT_SHARES)
    region_idx = rng.choice(len(REGION_NAMES), size=n, p=[s for _, s in REGIONS.values()])
    all_cities = [c for cities, _ in REGIONS.values() for c in cities]
    city = np.empty(n, dtype=np.int32)
    for i, (cities, _) in enumerate(REGIONS.values()):
        mask = region_idx == i
        offset = all_cities.index(cities[0])
        city[mask] = offset + rng.choice(len(cities), size=mask.sum(), p=_city_shares(len(cities)))
    channel_set, first_channel = _channel_sets(rng, seg_idx, market)
    first = pd.Series(labels(FIRST_NAMES, rng.integers(0, len(FIRST_NAMES), size=n)))
    last = pd.Series(labels(LAST_NAMES, rng.integers(0, len(LAST_NAMES), size=n)))
    business = seg_idx > 0
    word = rng.integers(0, len(COMPANY_WORDS), size=n)
    company = (
        pd.Series(labels(COMPANY_WORDS, word))
        + " "
        + pd.Series(labels(COMPANY_KINDS, rng.integers(0, len(COMPANY_KINDS), size=n)))
    ).where(business)
    signup_day = _signup_days(rng, n, market)
    consent_email = rng.random(n) < np.where(business, *market.consent_rates["email"])
    consent_sms = rng.random(n) < np.where(business, *market.consent_rates["sms"])
    birth_year = np.where(business, -1, rng.integers(1950, 2006, size=n))

    weak = list(REGION_NAMES).index(WEAK_SUPPORT_REGION)
    bad_service = rng.random(n) < np.where(region_idx == weak, 0.35, 0.12)
    single = channel_set.sum(axis=1) == 1
    planted = planted_for(market)
    hr = planted.churn_hazard_ratios
    hazard = planted.base_churn_per_year * np.select(
        [seg_idx == 2, seg_idx == 1], [hr["enterprise"], hr["small_business"]], 1.0
    )
    hazard = hazard * np.where(single, hr["single_channel"], 1.0)
    consent = {"email": consent_email, "sms": consent_sms}[market.consent]
    hazard = hazard * np.where(consent, 1.0, hr[market.churn_driver])
    lifetime_days = rng.exponential(365.25 / hazard)
    active_until = np.minimum(signup_day + lifetime_days, HORIZON)

    rate = ORDERS_PER_YEAR[seg_idx] * rng.gamma(4.0, 0.25, size=n) / 365.25
    web = channel_set[:, market.channels.index("web")]
    store = channel_set[:, market.channels.index("store")]
    online_share = np.where(web & store, rng.beta(2, 2, size=n), np.where(web, 1.0, 0.0))

    customers = pd.DataFrame({
        "customer_id": ids,
        "first_name": first,
        "last_name": last,
        "company_name": company,
        "email": _emails(rng, first, last, ids, company, word),
        "phone": _phones(rng, n),
        "segment": labels(SEGMENTS, seg_idx),
        "region": labels(REGION_NAMES, region_idx),
        "city": labels(all_cities, city),
        "acquisition_channel": labels(np.array(market.channels), first_channel),
        "signup_date": to_date(signup_day),
        "birth_year": pd.arrays.IntegerArray(np.where(business, 1, birth_year).astype("int16"), business),
        "consent_email": consent_email,
        "consent_sms": consent_sms,
    }, copy=False)
    return Population(customers, region_idx, channel_set, rate, signup_day, active_until, bad_service, online_share,
                      market)  # fmt: skip


def _city_shares(k: int) -> np.ndarray:
    w = 1.0 / np.arange(1, k + 1)
    return w / w.sum()


def _phones(rng: np.random.Generator, n: int) -> pd.Series:
    number = rng.integers(9_120_000_000, 9_399_999_999, size=n)
    return "+98" + pd.Series(texts(number))


# ---------------------------------------------------------------- sales reps

TEAMS = np.array(["field_sales", "inside_sales", "support"])
METHODS = np.array(["face_to_face", "e_learning", "in_house"])


@dataclass
class Staff:
    """Reps with their hidden data-entry habits."""

    reps: pd.DataFrame
    baseline: np.ndarray  # completeness before training
    trained_day: np.ndarray  # days since START
    disengaged_from: np.ndarray  # day their data entry fades, or inf


def make_staff(rng: np.random.Generator, n_customers: int) -> Staff:
    """Draw the sales and support staff: ~1 rep per 100 customers, at least 30."""
    n = max(30, n_customers // 100)
    ids = np.arange(1, n + 1, dtype="int64")
    team = TEAMS[np.arange(n) % 3]
    region = REGION_NAMES[rng.choice(len(REGION_NAMES), size=n, p=[s for _, s in REGIONS.values()])]
    # Who chose which method is not random: the capital's reps go to the classroom,
    # remote regions get e-learning, and keener reps (higher baseline) pick face-to-face.
    p_method = np.select(
        [np.isin(region, ["East", "South", "North"])[:, None], (region == "Capital")[:, None]],
        [[[0.2, 0.55, 0.25]], [[0.55, 0.2, 0.25]]],
        [[0.34, 0.33, 0.33]],
    )
    method_idx = (rng.random(n)[:, None] > np.cumsum(p_method, axis=1)[:, :2]).sum(axis=1)
    keen = np.where(method_idx == 0, 0.03, 0.0)
    baseline = np.clip(PLANTED.completeness_before + keen + rng.normal(0, 0.06, size=n), 0.3, 0.85)
    hired_day = np.floor(rng.uniform(-5 * 365.25, HORIZON - 500, size=n))
    first_active = np.maximum(hired_day, 0)
    trained_day = np.floor(first_active + rng.uniform(60, 300, size=n))
    disengaged_from = np.full(n, np.inf)
    sales = np.flatnonzero(team != "support")
    quitters = rng.choice(sales, size=PLANTED.disengaged_reps, replace=False)
    disengaged_from[quitters] = HORIZON - 182
    first = pd.Series(_pick(rng, FIRST_NAMES, n))
    last = pd.Series(_pick(rng, LAST_NAMES, n))
    reps = pd.DataFrame({
        "rep_id": ids,
        "first_name": first,
        "last_name": last,
        "email": first.str.lower() + "." + last.str.lower() + pd.Series(ids).astype(str) + "@nimahome.ir",
        "team": team,
        "region": region,
        "hired_on": to_date(hired_day),
        "training_method": METHODS[method_idx],
        "trained_on": to_date(trained_day),
    })
    return Staff(reps, baseline, trained_day, disengaged_from)
