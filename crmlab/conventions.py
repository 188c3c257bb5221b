"""A company's conventions: its clock, its money, its calendar, its end of data, its purchases.

Every analysis of :mod:`crmlab.analysis` counts days, months and years on the company's
calendar, reports money in its currency, stops at the end of its data and counts the orders
whose status means "purchase". Those choices live here, in one frozen :class:`Conventions`,
instead of being written into each module. :data:`COURSE` holds the values of the course's
own company; an analyst builds theirs with :func:`from_mapping` (for example from the
``[conventions]`` table of a mapping file) and passes it as ``conventions=``.

Examples
--------
>>> import pandas as pd
>>> from crmlab.conventions import COURSE, from_mapping
>>> COURSE.timezone, COURSE.currency, str(COURSE.as_of.date())
('Asia/Tehran', 'IRR', '2025-12-31')
>>> shop = from_mapping({"timezone": "Europe/London", "currency": "GBP", "as_of": "2011-12-09"})
>>> shop.money(123456)
'GBP 1,234.56'
>>> shop.major(123456), shop.money_major(1234.56, decimals=0)
(1234.56, 'GBP 1,235')

Rials are stored as whole rials and may be shown in toman (ten rials), as Iranian prices are:

>>> tehran = from_mapping({"timezone": "Asia/Tehran", "currency": "IRR", "as_of": "2025-12-31",
...                        "display_unit": "toman"})
>>> tehran.money(1_500_000), tehran.money(15), tehran.display(1_500_000), tehran.unit_label
('150,000 toman', '1.5 toman', 150000.0, 'toman')
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd

__all__ = ["COURSE", "CALENDARS", "DISPLAY_UNITS", "Conventions", "from_mapping", "local_day", "minor_unit_of",
           "to_major"]

#: The calendars a company may count its years in; Jalali fiscal years start on 1 Farvardin.
CALENDARS = ("gregorian", "jalali")
#: Digits after the decimal point of common currencies (ISO 4217), used when a mapping omits it.
_MINOR_UNITS = {
    "USD": 2, "EUR": 2, "GBP": 2, "CHF": 2, "CAD": 2, "AUD": 2, "CNY": 2, "INR": 2, "TRY": 2, "AED": 2,
    "IRR": 0, "JPY": 0, "KRW": 0, "BHD": 3, "KWD": 3, "OMR": 3,
}  # fmt: skip
_FISCAL_START = {"gregorian": "1 January", "jalali": "1 Farvardin"}
#: Units a currency may be *shown* in, with how many major units make one: the toman is ten rials.
#: Stored amounts never change; only text and :meth:`Conventions.display` use the display unit.
DISPLAY_UNITS = {"IRR": {"rial": 1, "toman": 10}}


def _bad(field: str, expected: str, value: object) -> ValueError:
    return ValueError(f"The value for `{field}` must be {expected}, but {value!r} was passed.")


def _timezone(value: object) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise _bad("timezone", "an IANA name such as 'Asia/Tehran' or 'Europe/London'", value) from None
    return value


def _currency(value: object) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[A-Z]{3}", value):
        raise _bad("currency", "an ISO 4217 code of three capital letters such as 'USD' or 'IRR'", value)
    return value


def _minor_unit(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or not 0 <= value <= 4:
        raise _bad("minor_unit", "the digits after the decimal point, 0 to 4 (2 for cents, 0 for rial)", value)
    return int(value)


def _decimals(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or not 0 <= value <= 4:
        raise _bad("decimals", "the digits to show after the decimal point, 0 to 4", value)
    return int(value)


def _money_text(currency: str, amount: Decimal, decimals: int) -> str:
    """``amount`` rounded half away from zero to ``decimals`` digits, after the currency code."""
    rounded = amount.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    rounded = rounded.copy_abs() if rounded == 0 else rounded  # never "-0.00"
    return f"{currency} {rounded:,.{decimals}f}"


def _day(value: object, field: str = "as_of") -> pd.Timestamp:
    """``value`` as a naive midnight; a time of day or a time zone is refused (which local day would it be?)."""
    expected = "a date such as '2025-12-31' (the last day of the data)"
    dated = isinstance(value, str | pd.Timestamp | np.datetime64 | datetime.date)
    try:
        day = pd.Timestamp(value) if dated else pd.NaT
    except (TypeError, ValueError):
        day = pd.NaT
    if day is pd.NaT:
        raise _bad(field, expected, value)
    if day.tzinfo is not None:
        raise _bad(field, f"{expected} without a time zone (the company's local day)", value)
    if day != day.normalize():
        raise _bad(field, f"{expected}, with no time of day", value)
    return day


@dataclass(frozen=True)
class Conventions:
    """The conventions of one company's data.

    Parameters
    ----------
    timezone : str
        IANA name of the company's clock, e.g. ``"Asia/Tehran"``; days, months and years
        are counted on it. Instants in the data stay in UTC.
    currency : str
        ISO 4217 code of the money columns, e.g. ``"USD"``, ``"GBP"``, ``"IRR"``.
    minor_unit : int
        Digits after the decimal point of the currency: 2 for cents, 0 for rial. Money
        columns hold whole minor units (cents, rials).
    calendar : {"gregorian", "jalali"}
        The calendar of the company's years; the fiscal year starts on 1 January, or on
        1 Farvardin for ``"jalali"``.
    as_of : date-like
        The last local day of the data (naive midnight): the end of the observation.
    purchase_statuses : tuple of str
        The status spellings that mean a real purchase, e.g. ``("completed",)``.
    display_unit : str, optional
        The unit money is *shown* in, when the currency has another (:data:`DISPLAY_UNITS`):
        ``"toman"`` or ``"rial"`` for ``"IRR"``. Default None: the currency's code, as stored.

    Raises
    ------
    ValueError
        For a value of the wrong kind, naming the field, what it must be and what was passed.

    Examples
    --------
    >>> c = Conventions("Europe/London", "GBP", 2, "gregorian", "2011-12-09", ("Complete",))
    >>> c.end
    Timestamp('2011-12-10 00:00:00+0000', tz='UTC')
    >>> c.fiscal_year_start
    '1 January'
    """

    timezone: str
    currency: str
    minor_unit: int
    calendar: str
    as_of: pd.Timestamp
    purchase_statuses: tuple[str, ...]
    display_unit: str | None = None

    def __post_init__(self) -> None:
        _timezone(self.timezone)
        _currency(self.currency)
        _minor_unit(self.minor_unit)
        if self.calendar not in CALENDARS:
            raise _bad("calendar", f"one of {list(CALENDARS)}", self.calendar)
        object.__setattr__(self, "as_of", _day(self.as_of))
        statuses = (self.purchase_statuses,) if isinstance(self.purchase_statuses, str) else self.purchase_statuses
        if not isinstance(statuses, Iterable) or not (statuses := tuple(statuses)) or not all(
            isinstance(s, str) and s for s in statuses
        ):
            raise _bad("purchase_statuses", "one or more status spellings such as ('completed',)",
                       self.purchase_statuses)  # fmt: skip
        object.__setattr__(self, "purchase_statuses", statuses)
        object.__setattr__(self, "minor_unit", int(self.minor_unit))
        if self.display_unit is not None:
            allowed = DISPLAY_UNITS.get(self.currency, {})
            if self.display_unit not in allowed:
                expected = (f"one of {list(allowed)} for {self.currency}, or None" if allowed else
                            f"None: {self.currency} is shown as stored (display units exist for "
                            f"{list(DISPLAY_UNITS)} only)")  # fmt: skip
                raise _bad("display_unit", expected, self.display_unit)

    @property
    def unit_label(self) -> str:
        """The name money is shown in: the display unit (e.g. ``'toman'``) or the currency code."""
        return self.currency if self.display_unit in (None, "rial") else self.display_unit

    def _shown(self, major: Decimal, decimals: int | None) -> str:
        """Text of an exact amount in major units, in the display unit."""
        factor = DISPLAY_UNITS.get(self.currency, {}).get(self.display_unit, 1) if self.display_unit else 1
        if factor == 1:
            return _money_text(self.currency, major, self.minor_unit if decimals is None else _decimals(decimals))
        value = major / factor
        if decimals is None:  # every digit there is: 15 rials are 1.5 toman, never rounded to 2
            decimals = max(0, -value.normalize().as_tuple().exponent)
        else:
            decimals = _decimals(decimals)
        text = _money_text(self.unit_label, value, decimals)
        return f"{text.split(' ', 1)[1]} {self.unit_label}"

    def display(self, minor_units):
        """Amounts in minor units as numbers in the display unit (toman for a toman display), for charts.

        Without a display unit this is :meth:`major`. Calculations should use :meth:`major`.

        Examples
        --------
        >>> toman = from_mapping({"timezone": "Asia/Tehran", "currency": "IRR", "as_of": "2025-12-31",
        ...                       "display_unit": "toman"})
        >>> toman.display(pd.Series([1_500_000, 15])).tolist()
        [150000.0, 1.5]
        """
        factor = DISPLAY_UNITS.get(self.currency, {}).get(self.display_unit, 1) if self.display_unit else 1
        return self.major(minor_units) / factor

    @property
    def end(self) -> pd.Timestamp:
        """The UTC instant at which the data ends: local midnight after :attr:`as_of`."""
        return self.end_of_day(self.as_of)

    @property
    def fiscal_year_start(self) -> str:
        """The first day of the fiscal year in words: '1 January' or '1 Farvardin'."""
        return _FISCAL_START[self.calendar]

    def local_day(self, instants):
        """Local calendar days of UTC instants on this company's clock (see :func:`local_day`)."""
        return local_day(instants, self.timezone)

    def local_date(self, value: object, argument: str = "as_of") -> pd.Timestamp:
        """A day given as text, a date or an aware instant, as a local day (naive midnight).

        Examples
        --------
        >>> COURSE.local_date(pd.Timestamp("2025-03-20 21:00", tz="UTC"))
        Timestamp('2025-03-21 00:00:00')
        >>> COURSE.local_date("2025-03-20")
        Timestamp('2025-03-20 00:00:00')
        """
        try:
            day = pd.Timestamp(value)
        except (TypeError, ValueError):
            day = pd.NaT
        if day is pd.NaT or isinstance(value, bool):
            raise ValueError(f"The value for `{argument}` must be a day such as '2024-12-31', "
                             f"but {value!r} was passed.")  # fmt: skip
        if day.tzinfo is not None:
            day = day.tz_convert(self.timezone).tz_localize(None)
        return day.normalize()

    def end_of_day(self, day: object) -> pd.Timestamp:
        """The UTC instant at which the local ``day`` ends (the local midnight after it).

        Examples
        --------
        >>> COURSE.end_of_day("2025-12-31")
        Timestamp('2025-12-31 20:30:00+0000', tz='UTC')
        """
        local = self.local_date(day, "day") + pd.Timedelta(days=1)
        return local.tz_localize(self.timezone).tz_convert("UTC")

    def major(self, minor_units):
        """Amounts in minor units (cents, rials, fils) as numbers in the major unit (dollars, rials, dinars).

        The one conversion of the money columns (``total_cents``, ``amount_cents``) for
        calculations and charts: see :func:`to_major`. For text, use :meth:`money`.

        Examples
        --------
        >>> COURSE.major(pd.Series([1_299_000, 5])).tolist()  # the course's whole rials: nothing to divide
        [1299000.0, 5.0]
        >>> usd = from_mapping({"timezone": "America/New_York", "currency": "USD", "as_of": "2025-12-31"})
        >>> usd.major(pd.Series([129900, 5])).tolist()  # cents to dollars
        [1299.0, 0.05]
        >>> from_mapping({"timezone": "Asia/Bahrain", "currency": "BHD", "as_of": "2025-12-31"}).major(1234)
        1.234
        """
        return to_major(minor_units, self.minor_unit)

    def money(self, minor_units, decimals: int | None = None) -> str:
        """An amount in minor units (cents, rials) as text with the currency code.

        Exact: the amount is divided by ``10 ** minor_unit`` in decimal arithmetic.

        Parameters
        ----------
        minor_units : int or whole float
            The amount in minor units; missing (None, NaN) gives ``""``.
        decimals : int, optional
            Digits after the decimal point, rounded half away from zero; default
            :attr:`minor_unit` (every digit).

        Examples
        --------
        >>> COURSE.money(1_299_000), COURSE.money(-1_500_000)  # whole rials
        ('IRR 1,299,000', 'IRR -1,500,000')
        >>> usd = from_mapping({"timezone": "America/New_York", "currency": "USD", "as_of": "2025-12-31"})
        >>> usd.money(123456), usd.money(123456, decimals=0)  # cents
        ('USD 1,234.56', 'USD 1,235')
        """
        if minor_units is None or (not isinstance(minor_units, str) and pd.isna(minor_units)):
            return ""
        if isinstance(minor_units, bool) or not isinstance(minor_units, int | np.integer | float | np.floating):
            raise _bad("minor_units", "a whole number of minor units (e.g. cents)", minor_units)
        if isinstance(minor_units, float | np.floating) and not float(minor_units).is_integer():
            raise _bad("minor_units", f"a whole number of minor units of {self.currency}", minor_units)
        return self._shown(Decimal(int(minor_units)).scaleb(-self.minor_unit), decimals)

    def money_major(self, amount, decimals: int | None = None) -> str:
        """An amount already in the major unit (dollars, pounds, rials) as text with the currency code.

        For results computed in the major unit (a mean order, a model's lifetime value);
        amounts read from a money column are in minor units: use :meth:`money`. The number
        is rounded as it prints (``repr``), half away from zero.

        Parameters
        ----------
        amount : int or float
            The amount in the currency's major unit; missing (None, NaN) gives ``""``.
        decimals : int, optional
            Digits after the decimal point; default :attr:`minor_unit`.

        Examples
        --------
        >>> COURSE.money_major(1_299_000.5), COURSE.money_major(-1017.5)  # whole rials, half away from zero
        ('IRR 1,299,001', 'IRR -1,018')
        >>> usd = from_mapping({"timezone": "America/New_York", "currency": "USD", "as_of": "2025-12-31"})
        >>> usd.money_major(1583.475), usd.money_major(-1017.5, decimals=0)
        ('USD 1,583.48', 'USD -1,018')
        """
        if amount is None or (not isinstance(amount, str) and pd.isna(amount)):
            return ""
        if isinstance(amount, bool) or not isinstance(amount, int | np.integer | float | np.floating) or (
            isinstance(amount, float | np.floating) and not np.isfinite(amount)
        ):
            raise _bad("amount", f"a finite number of {self.currency}", amount)
        exact = Decimal(int(amount)) if isinstance(amount, int | np.integer) else Decimal(repr(float(amount)))
        if decimals is None and self.unit_label != self.currency:  # whole rials first, then every toman digit
            exact = exact.quantize(Decimal(1).scaleb(-self.minor_unit), rounding=ROUND_HALF_UP)
        return self._shown(exact, decimals)


def local_day(instants, timezone: str):
    """The local calendar day (naive midnight) of each instant, on the clock of ``timezone``.

    The one conversion from "UTC instant" to "the company's day". Aware instants are
    converted; naive ones are taken as already on the local clock.

    Parameters
    ----------
    instants : Series, DatetimeIndex or Timestamp
        Date-times, usually tz-aware UTC instants from the CRM.
    timezone : str
        IANA name of the company's clock, e.g. ``COURSE.timezone``.

    Returns
    -------
    Series, DatetimeIndex or Timestamp
        Same shape, naive, at midnight.

    Examples
    --------
    >>> t = pd.Series(pd.to_datetime(["2025-03-20 21:00"], utc=True))
    >>> local_day(t, "Asia/Tehran").dt.date.tolist(), local_day(t, "Europe/London").dt.date.tolist()
    ([datetime.date(2025, 3, 21)], [datetime.date(2025, 3, 20)])
    """
    _timezone(timezone)
    if isinstance(instants, pd.Series):
        values = instants.dt
        return (values.tz_convert(timezone).dt.tz_localize(None) if values.tz is not None else instants).dt.normalize()
    stamp = instants if isinstance(instants, pd.DatetimeIndex) else pd.Timestamp(instants)
    if stamp.tz is not None:
        stamp = stamp.tz_convert(timezone).tz_localize(None)
    return stamp.normalize()


def minor_unit_of(currency: str) -> int:
    """Digits after the decimal point of a common currency (ISO 4217): 2 for cents, 0 for rials.

    >>> minor_unit_of("USD"), minor_unit_of("IRR"), minor_unit_of("KWD")
    (2, 0, 3)
    >>> minor_unit_of("XYZ")
    Traceback (most recent call last):
    ...
    ValueError: The value for `currency` must be a currency whose minor unit crmlab knows (USD, EUR, ...
    """
    if currency not in _MINOR_UNITS:
        known = ", ".join(_MINOR_UNITS)
        expected = f"a currency whose minor unit crmlab knows ({known}); otherwise pass minor_unit yourself"
        raise _bad("currency", expected, currency)
    return _MINOR_UNITS[currency]


def to_major(minor_units, minor_unit: int):
    """Amounts in minor units as numbers in the major unit: divided by ``10 ** minor_unit``.

    Works on a number, an array, a Series or a DataFrame. The result is the float nearest
    to the exact quotient (a power of ten below 10**22 is exact, and division rounds once).

    Parameters
    ----------
    minor_units : number, array, Series or DataFrame
        Whole minor units, e.g. the ``total_cents`` column.
    minor_unit : int
        Digits after the decimal point of the currency: 2 for cents, 0 for rial, 3 for fils.

    Returns
    -------
    float, array, Series or DataFrame
        Same shape, in the currency's major unit.

    Examples
    --------
    >>> to_major(123456, 2), to_major(123456, 0), to_major(123456, 3)
    (1234.56, 123456.0, 123.456)
    >>> to_major(5, 2.0)
    Traceback (most recent call last):
    ...
    ValueError: The value for `minor_unit` must be the digits after the decimal point, 0 to 4 (2 for cents, 0 for \
rial), but 2.0 was passed.
    """
    return minor_units / 10 ** _minor_unit(minor_unit)


def from_mapping(values: Mapping) -> Conventions:
    """Conventions from a mapping (a dict, or the ``[conventions]`` table of a TOML file).

    Parameters
    ----------
    values : mapping
        Keys ``timezone``, ``currency`` and ``as_of`` are required. ``minor_unit`` defaults to
        the currency's (2 for USD, 0 for IRR ...), ``calendar`` to ``"gregorian"``,
        ``purchase_statuses`` to ``("completed",)`` (one status may be given as text) and
        ``display_unit`` to None (the currency's code; ``"toman"`` shows rials in toman).

    Returns
    -------
    Conventions

    Raises
    ------
    ValueError
        For a missing or unknown key, or a bad value: the message names the key, what it
        must be and what was passed.

    Examples
    --------
    >>> c = from_mapping({"timezone": "Asia/Tehran", "currency": "IRR", "calendar": "jalali",
    ...                   "as_of": "2025-03-20", "purchase_statuses": "paid"})
    >>> c.minor_unit, c.purchase_statuses, c.fiscal_year_start
    (0, ('paid',), '1 Farvardin')
    >>> from_mapping({"timezone": "Tehran", "currency": "IRR", "as_of": "2025-03-20"})
    Traceback (most recent call last):
    ...
    ValueError: The value for `timezone` must be an IANA name such as 'Asia/Tehran' or 'Europe/London', \
but 'Tehran' was passed.
    """
    if not isinstance(values, Mapping):
        raise TypeError(f"The value for `values` must be a mapping such as a dict, but a {type(values).__name__} "
                        "was passed.")  # fmt: skip
    known = [f.name for f in fields(Conventions)]
    unknown = [k for k in values if k not in known]
    if unknown:
        raise ValueError(f"Unknown convention(s) {unknown}: the known ones are {known}. Check the spelling.")
    missing = [k for k in ("timezone", "currency", "as_of") if k not in values]
    if missing:
        raise ValueError(f"The conventions need {missing}, e.g. timezone = 'Asia/Tehran', currency = 'USD', "
                         "as_of = '2025-12-31' (the last day of the data).")  # fmt: skip
    currency = _currency(values["currency"])
    if "minor_unit" not in values and currency not in _MINOR_UNITS:
        raise ValueError(f"The digits after the decimal point of {currency!r} are not known: "
                         "give `minor_unit` (2 for cents, 0 for a currency without a minor unit).")  # fmt: skip
    return Conventions(
        timezone=values["timezone"],
        currency=currency,
        minor_unit=values.get("minor_unit", _MINOR_UNITS.get(currency)),
        calendar=values.get("calendar", "gregorian"),
        as_of=values["as_of"],
        purchase_statuses=values.get("purchase_statuses", ("completed",)),
        display_unit=values.get("display_unit"),
    )


#: The course company's conventions: Tehran's clock, whole rials, data up to 2025-12-31.
COURSE = Conventions(
    timezone="Asia/Tehran",
    currency="IRR",
    minor_unit=0,
    calendar="gregorian",
    as_of=pd.Timestamp("2025-12-31"),
    purchase_statuses=("completed",),
)
