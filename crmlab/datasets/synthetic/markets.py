"""The markets the generator can place its company in, each one frozen set of settings.

The generator's company is a Tehran retailer. It can behave like the company the course
was first written with (``"generic"``: money in US cents, Gregorian seasonality with the
November and December peaks, e-mail as the main consented channel) or like an Iranian
retailer (``"iran"``):

* **the calendar**: the weekend is Friday (and Thursday afternoon), so Friday has about a
  third of a weekday's orders; demand follows the Jalali year, with the end-of-year peak
  in Esfand, the shops shut for the first days of Nowruz and quiet until Sizdah Bedar
  (13 Farvardin), and gift buying in the week before Yalda (30 Azar);
* **money**: prices are whole rials, and rise with a planted price inflation of
  :attr:`Market.inflation_per_year` a year, re-priced at the start of every Jalali month
  (so real against nominal revenue becomes a question);
* **consent**: SMS is the main consented channel; the company's campaigns and mailings go
  by SMS, and a customer without SMS consent churns faster;
* **channels**: Instagram and Telegram are sales channels besides the web shop, stores,
  call centre and field sales;
* **the toman mix-up**: some orders of the raw export were typed in toman (a tenth of the
  rial amount), a data-quality problem found by :func:`crmlab.analysis.quality.unit_mixups`.

Every setting a market changes lives here, so the table modules take a :class:`Market`
and hold no market's value of their own; the generic market reproduces the generator's
earlier output bit for bit.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np
import pandas as pd

from crmlab.conventions import COURSE, Conventions, from_mapping

from ._arrays import elementwise
from ._clock import HORIZON
from .truths import PLANTED, START, Planted

__all__ = ["MARKETS", "Market", "market_named", "planted_for"]

#: Rials per US dollar at the start of the data (2022): the Iranian catalogue's exchange rate.
RIALS_PER_DOLLAR = 300_000


@dataclass(frozen=True)
class Market:
    """How the company's customers behave, and in which money and calendar.

    Attributes
    ----------
    name : str
        ``"generic"`` or ``"iran"``.
    currency : str
        ISO 4217 code of the money columns (``total_cents`` etc. hold its smallest stored
        unit: US cents, or whole rials).
    calendar : str
        The company's calendar, ``"gregorian"`` or ``"jalali"``.
    minor_per_dollar : int
        Stored money units per catalogue dollar at the start: 100 cents, or
        :data:`RIALS_PER_DOLLAR` rials.
    price_step : int
        Prices and discounts are whole multiples of this many stored units.
    inflation_per_year : float
        Planted rise of every price in a year (0.42 is 42 %); prices change at the start of
        each month of the company's calendar.
    channels : tuple of str
        The ways customers reach the company (the columns of a customer's hidden channel
        set); the ``channels`` table holds these and :attr:`outbound`.
    purchase_channels : tuple of str
        The channels orders come through, and their relative weights.
    channel_weights : tuple of tuple
        How likely each channel is in a customer's channel set, by segment (consumer, small
        business, enterprise), in the order of ``channels``.
    outbound : str
        The channel the company's mailings go through (``"mail"`` or ``"sms"``).
    consent : str
        The consent campaigns need, ``"email"`` or ``"sms"``: ``consent_<consent>``.
        Customers without it churn faster (``churn_hazard_ratios["no_<consent>_consent"]``).
    consent_rates : dict
        Share of business and consumer customers who consent, by channel.
    month_seasonality : tuple of float
        Multiplier of activity in months 1..12 of the company's calendar.
    weekday_factors : tuple of float
        Multiplier of activity on Monday .. Sunday.
    holidays : tuple of tuple
        ``(month, first day, last day, multiplier)`` in the company's calendar: shops shut
        for Nowruz, the Yalda gift week.
    campaign_dates : tuple of tuple
        ``(campaign name, first day, last day)`` of campaigns run on other dates than the
        generic market's (away from Nowruz and Esfand, so their windows compare like with like).
    launch_prices : bool
        Whether an order line a launched product takes over gets that product's price
        (the generic market's lines keep the replaced product's price, as first drawn).
    seasonal_signups : bool
        Whether sign-ups follow :attr:`day_factors` too (few on the weekend, none while the
        shops are shut).
    unit_mixups : int
        Orders of the raw export typed in a unit ten times too large (toman for rials), per
        1,000 customers.
    """

    name: str
    currency: str = "USD"
    calendar: str = "gregorian"
    minor_per_dollar: int = 100
    price_step: int = 1
    inflation_per_year: float = 0.0
    channels: tuple = ("mail", "web", "store", "call_centre", "field_sales", "advertising")
    purchase_channels: tuple = (("web", 1.0), ("store", 1.0), ("call_centre", 0.5), ("field_sales", 1.0))
    channel_weights: tuple = (
        (0.08, 0.34, 0.34, 0.12, 0.02, 0.10),
        (0.08, 0.30, 0.14, 0.18, 0.22, 0.08),
        (0.06, 0.16, 0.04, 0.14, 0.55, 0.05),
    )
    outbound: str = "mail"
    consent: str = "email"
    consent_rates: dict = field(default_factory=lambda: {"email": (0.8, 0.62), "sms": (0.45, 0.45)})
    month_seasonality: tuple = PLANTED.month_seasonality
    weekday_factors: tuple = (1.0,) * 7
    holidays: tuple = ()
    campaign_dates: tuple = ()
    launch_prices: bool = False
    seasonal_signups: bool = False
    unit_mixups: int = 0

    @property
    def purchase_names(self) -> tuple:
        """The purchase channels' names, in order."""
        return tuple(name for name, _ in self.purchase_channels)

    @property
    def all_channels(self) -> tuple:
        """Every channel of the ``channels`` table: :attr:`channels`, then :attr:`outbound` if not among them."""
        return self.channels if self.outbound in self.channels else (*self.channels, self.outbound)

    @property
    def churn_driver(self) -> str:
        """The key of :attr:`Planted.churn_hazard_ratios` for a customer without the main consent."""
        return f"no_{self.consent}_consent"

    @cached_property
    def day_factors(self) -> np.ndarray:
        """Multiplier of activity on each local day since START, over the whole export."""
        days = pd.Series(START + pd.to_timedelta(np.arange(int(HORIZON)), unit="D"))
        month, day = _months_and_days(days, self.calendar)
        factors = np.asarray(self.month_seasonality, dtype=float)[month - 1]
        if any(f != 1.0 for f in self.weekday_factors):
            factors = factors * np.asarray(self.weekday_factors)[days.dt.day_of_week.to_numpy()]
        for in_month, first, last, multiplier in self.holidays:
            factors = np.where((month == in_month) & (day >= first) & (day <= last), factors * multiplier, factors)
        return factors

    @cached_property
    def price_index(self) -> np.ndarray:
        """Price level on each local day since START (1 at the start), by month of the calendar."""
        if not self.inflation_per_year:
            return np.ones(int(HORIZON))
        days = pd.Series(START + pd.to_timedelta(np.arange(int(HORIZON)), unit="D"))
        from crmlab.calendars import period_number

        months = period_number(days, "month", self.calendar)
        return (1 + self.inflation_per_year) ** ((months - months[0]) / 12)

    def price(self, minor_at_start: np.ndarray, day: np.ndarray) -> np.ndarray:
        """Prices on local ``day`` (days since START) of items costing ``minor_at_start`` then.

        Whole multiples of :attr:`price_step`; unchanged where there is no inflation.
        """
        if not self.inflation_per_year:
            return np.asarray(minor_at_start)
        return elementwise(self._price, *np.broadcast_arrays(minor_at_start, day), dtype="int64")

    def _price(self, minor_at_start: np.ndarray, day: np.ndarray) -> np.ndarray:
        index = self.price_index[np.clip(np.floor(day).astype("int64"), 0, len(self.price_index) - 1)]
        return self._round(minor_at_start * index)

    def round_money(self, amount: np.ndarray) -> np.ndarray:
        """``amount`` rounded to the nearest :attr:`price_step` (half away from zero), as int64."""
        amount = np.asarray(amount)
        return self._round(amount) if amount.ndim == 0 else elementwise(self._round, amount, dtype="int64")

    def _round(self, amount: np.ndarray) -> np.ndarray:
        step = self.price_step
        return (np.sign(amount) * np.floor(np.abs(amount) / step + 0.5) * step).astype("int64")

    def list_price(self, dollars: int) -> int:
        """A catalogue price at the start, from its price in dollars: ``$x.99`` or rials."""
        if self.currency == "USD":
            return dollars * 100 - 1
        return dollars * self.minor_per_dollar

    def conventions(self) -> Conventions:
        """The company's :class:`~crmlab.conventions.Conventions`: the course's, in this market's money.

        >>> market_named("generic").conventions().currency, market_named("generic").conventions().minor_unit
        ('USD', 2)
        >>> from crmlab.conventions import COURSE
        >>> market_named("iran").conventions() == COURSE
        True
        """
        if self.currency == COURSE.currency:
            return COURSE
        money = from_mapping({"timezone": COURSE.timezone, "currency": self.currency, "as_of": COURSE.as_of})
        return replace(COURSE, currency=money.currency, minor_unit=money.minor_unit)

    def to_dict(self) -> dict:
        """The settings as plain JSON-ready values (for ``crm.truth``)."""
        return {
            "name": self.name, "currency": self.currency, "calendar": self.calendar,
            "minor_per_dollar": self.minor_per_dollar, "price_step": self.price_step,
            "inflation_per_year": self.inflation_per_year, "channels": list(self.channels),
            "purchase_channels": list(self.purchase_names), "outbound": self.outbound, "consent": self.consent,
            "churn_driver": self.churn_driver, "month_seasonality": list(self.month_seasonality),
            "weekday_factors": list(self.weekday_factors),
            "holidays": [{"month": m, "first_day": a, "last_day": b, "multiplier": x} for m, a, b, x in self.holidays],
            "campaign_dates": [{"campaign": c, "starts_on": a, "ends_on": b} for c, a, b in self.campaign_dates],
            "launch_prices": self.launch_prices,
            "unit_mixups_per_1000": self.unit_mixups,
        }  # fmt: skip


def _months_and_days(days: pd.Series, calendar: str) -> tuple[np.ndarray, np.ndarray]:
    if calendar == "gregorian":
        return days.dt.month.to_numpy(), days.dt.day.to_numpy()
    from crmlab.calendars import to_jalali

    jalali = to_jalali(days)
    return jalali["month"].to_numpy("int64"), jalali["day"].to_numpy("int64")


GENERIC = Market("generic")

#: Jalali months Farvardin .. Esfand: quiet after Nowruz, back to school in Shahrivar and
#: Mehr, and the end-of-year shopping of Esfand.
_IRAN_MONTHS = (0.85, 0.95, 1.0, 0.95, 0.9, 1.05, 1.05, 1.0, 1.05, 1.0, 1.1, 1.9)

IRAN = Market(
    "iran",
    currency="IRR",
    calendar="jalali",
    minor_per_dollar=RIALS_PER_DOLLAR,
    price_step=10_000,  # a thousand toman
    inflation_per_year=0.42,
    channels=("mail", "web", "store", "call_centre", "field_sales", "advertising", "instagram", "telegram"),
    purchase_channels=(("web", 1.0), ("store", 1.0), ("call_centre", 0.5), ("field_sales", 1.0),
                       ("instagram", 1.0), ("telegram", 0.7)),
    channel_weights=(
        (0.04, 0.24, 0.30, 0.10, 0.02, 0.06, 0.18, 0.10),
        (0.06, 0.26, 0.12, 0.16, 0.20, 0.06, 0.08, 0.06),
        (0.06, 0.16, 0.04, 0.14, 0.55, 0.03, 0.01, 0.01),
    ),
    outbound="sms",
    consent="sms",
    consent_rates={"email": (0.35, 0.22), "sms": (0.9, 0.8)},
    month_seasonality=_IRAN_MONTHS,
    weekday_factors=(1.0, 1.0, 1.0, 0.85, 0.35, 1.0, 1.0),  # Thursday afternoon and Friday off
    holidays=((1, 1, 4, 0.1), (1, 5, 12, 0.5), (1, 13, 13, 0.2), (9, 24, 30, 1.35)),
    campaign_dates=(("Loyalty club newsletter 2024", "2024-06-01", "2024-07-30"),
                    ("Accessories spring mailing 2025", "2025-04-21", "2025-05-20")),
    launch_prices=True,
    seasonal_signups=True,
    unit_mixups=20,
)  # fmt: skip

#: The markets by name.
MARKETS = {market.name: market for market in (GENERIC, IRAN)}


def market_named(name: object) -> Market:
    """The market called ``name``, or a ValueError listing the ones there are."""
    if isinstance(name, Market):
        return name
    if not isinstance(name, str) or name not in MARKETS:
        shown = repr(name) if len(repr(name)) <= 40 else repr(name)[:37] + "..."
        raise ValueError(f"`market` must be one of {sorted(MARKETS)}, but {shown} was passed, e.g. market='iran'.")
    return MARKETS[name]


def planted_for(market: Market) -> Planted:
    """The planted truths as ``market`` words them: its consent driver of churn, its seasonality.

    The generic market's are :data:`~.truths.PLANTED` itself.
    """
    if market.churn_driver == "no_email_consent" and market.month_seasonality == PLANTED.month_seasonality:
        return PLANTED
    ratios = {(market.churn_driver if key == "no_email_consent" else key): value
              for key, value in PLANTED.churn_hazard_ratios.items()}  # fmt: skip
    return replace(PLANTED, churn_hazard_ratios=ratios, month_seasonality=market.month_seasonality)
