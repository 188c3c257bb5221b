"""How to read a company's export: encoding, delimiter, dates, time zone, units, missing values.

One frozen :class:`ReadOptions` travels from the loader (file level: encoding,
delimiter) to the value casting of :mod:`crmlab.datasets.values` (every value
loads exactly or the load fails). The defaults read the course's own database;
an analyst's export states its conventions here, or in a TOML mapping through
:meth:`ReadOptions.from_mapping`.
"""

from __future__ import annotations

import codecs
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from types import MappingProxyType

__all__ = ["CALENDARS", "NUMERIC_DATE_FORMATS", "UNITS", "ReadOptions"]

CALENDARS = ("gregorian", "jalali")
NUMERIC_DATE_FORMATS = ("epoch_s", "epoch_ms", "excel")  # numbers that mean a date, when declared
#: How a ``*_cents`` column is written: 13912 (minor), 139.12 (major), or, for rials, in toman
#: (ten rials: 1500 toman or 1500.5 toman are 15000 or 15005 rials).
UNITS = ("minor", "major", "toman")
#: Stored units per written unit, and the decimals a written value may have, for the units of fixed size.
UNIT_SCALES = {"toman": (10, 1)}


def _frozen(mapping: Mapping[str, str]) -> Mapping[str, str]:
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True)
class ReadOptions:
    """The conventions of one export; every field has the course database's value as default.

    Parameters
    ----------
    encoding : str, optional
        Text encoding of CSV files (``"utf-8"``, ``"utf-16"``, ``"cp1256"``); detected when None.
    delimiter : str, optional
        Field separator of CSV files; detected when None.
    dayfirst : bool, optional
        Whether a date such as ``05/03/2011`` is day first (5 March). When None an ambiguous
        date is refused, never guessed.
    date_format : str, optional
        A ``strftime`` format (``"%d/%m/%Y"``) for every date column without its own entry
        in ``date_formats``.
    date_formats : dict, optional
        ``"table.column"`` -> a ``strftime`` format, or ``"epoch_s"``, ``"epoch_ms"``
        (seconds or milliseconds since 1970-01-01 UTC) or ``"excel"`` (serial days, 1900 system).
    timezone : str, optional
        IANA zone (``"Asia/Tehran"``) in which times without an offset were recorded. When
        None such times are refused. A local time that a daylight-saving change skips or
        repeats is refused, except midnight: a date without a time means the start of that
        local day (01:00 where the clock jumps from 00:00 to 01:00).
    calendar : {"gregorian", "jalali"}
        Calendar of the dates in the export; Jalali dates are converted to Gregorian.
    units : dict, optional
        ``"table.column"`` -> ``"major"`` for a ``*_cents`` column written in the major unit
        (139.12 dollars); the default ``"minor"`` means whole cents (13912).
    minor_unit : int
        Digits of the minor unit: 2 for cents, 0 for rial or yen.
    missing : tuple of str
        Texts that mean "missing". In text columns they are matched exactly, and ``"NA"``,
        ``"None"`` and ``"NULL"`` stay text unless listed here; in number, yes/no and date
        columns they are matched after trimming spaces, and a blank is always missing.

    Examples
    --------
    >>> opts = ReadOptions(dayfirst=True, units={"orders.total_cents": "major"})
    >>> opts.unit("orders", "total_cents"), opts.unit("orders", "order_id")
    ('major', 'minor')
    >>> ReadOptions.from_mapping({"timezone": "Asia/Tehran", "calendar": "jalali"}).calendar
    'jalali'
    """

    encoding: str | None = None
    delimiter: str | None = None
    dayfirst: bool | None = None
    date_format: str | None = None
    date_formats: Mapping[str, str] = field(default_factory=dict)
    timezone: str | None = None
    calendar: str = "gregorian"
    units: Mapping[str, str] = field(default_factory=dict)
    minor_unit: int = 2
    missing: tuple[str, ...] = ("",)

    def __post_init__(self) -> None:
        _check_optional_str("encoding", self.encoding)
        if self.encoding is not None:
            try:
                codecs.lookup(self.encoding)
            except LookupError:
                raise ValueError(
                    f"The value for `encoding` must be a text encoding Python knows, such as 'utf-8', "
                    f"'utf-8-sig', 'utf-16' or 'cp1256', but {self.encoding!r} was passed."
                ) from None
        _check_optional_str("delimiter", self.delimiter)
        if self.delimiter is not None and len(self.delimiter) != 1:
            raise ValueError(
                f"The value for `delimiter` must be one character such as ',', ';', '\\t' or '|', "
                f"but {self.delimiter!r} was passed."
            )
        if self.dayfirst is not None and not isinstance(self.dayfirst, bool):
            raise TypeError(f"The value for `dayfirst` must be True, False or None, but {self.dayfirst!r} was passed.")
        _check_optional_str("date_format", self.date_format)
        if self.date_format is not None and "%" not in self.date_format:
            raise ValueError(
                f"The value for `date_format` must be a strftime format such as '%d/%m/%Y', "
                f"but {self.date_format!r} was passed."
            )
        object.__setattr__(self, "date_formats", _frozen(_check_columns("date_formats", self.date_formats, None)))
        for key, fmt in self.date_formats.items():
            if fmt not in NUMERIC_DATE_FORMATS and "%" not in fmt:
                raise ValueError(
                    f"`date_formats[{key!r}]` must be a strftime format such as '%d/%m/%Y' or one of "
                    f"{list(NUMERIC_DATE_FORMATS)}, but {fmt!r} was passed."
                )
        _check_optional_str("timezone", self.timezone)
        if self.timezone is not None:
            _check_timezone(self.timezone)
        if self.calendar not in CALENDARS:
            raise ValueError(
                f"The value for `calendar` must be one of {list(CALENDARS)}, but {self.calendar!r} was passed."
            )
        object.__setattr__(self, "units", _frozen(_check_columns("units", self.units, UNITS)))
        if isinstance(self.minor_unit, bool) or not isinstance(self.minor_unit, int) or not 0 <= self.minor_unit <= 6:
            raise ValueError(
                f"The value for `minor_unit` must be a whole number of digits from 0 to 6 (2 for cents, "
                f"0 for rial), but {self.minor_unit!r} was passed."
            )
        if isinstance(self.missing, str) or not all(isinstance(m, str) for m in self.missing):
            raise TypeError(
                f"The value for `missing` must be a tuple of texts such as ('', 'NA'), but {self.missing!r} was passed."
            )
        object.__setattr__(self, "missing", tuple(self.missing))

    def __hash__(self) -> int:
        return hash(tuple(sorted(self.date_formats.items())) + tuple(sorted(self.units.items()))
                    + (self.encoding, self.delimiter, self.dayfirst, self.date_format, self.timezone,
                       self.calendar, self.minor_unit, self.missing))

    def unit(self, table: str, column: str) -> str:
        """Return ``"major"``, ``"minor"`` or ``"toman"``: how ``table.column`` writes money.

        Examples
        --------
        >>> ReadOptions(units={"orders.total_cents": "major"}).unit("orders", "total_cents")
        'major'
        """
        return self.units.get(f"{table}.{column}", "minor")

    def scale(self, table: str, column: str) -> tuple[int, int]:
        """Stored units per written unit of ``table.column``, and the decimals a written value may have.

        Examples
        --------
        >>> opts = ReadOptions(minor_unit=2, units={"orders.total_cents": "major", "invoices.amount_cents": "toman"})
        >>> opts.scale("orders", "total_cents"), opts.scale("invoices", "amount_cents"), opts.scale("x", "y")
        ((100, 2), (10, 1), (1, 0))
        """
        unit = self.unit(table, column)
        if unit == "major":
            return 10**self.minor_unit, self.minor_unit
        return UNIT_SCALES.get(unit, (1, 0))

    def date_format_for(self, table: str, column: str) -> str | None:
        """Return the declared format of ``table.column``: its own entry, else ``date_format``.

        Examples
        --------
        >>> ReadOptions(date_format="%d/%m/%Y", date_formats={"orders.ordered_at": "epoch_s"}).date_format_for(
        ...     "orders", "ordered_at")
        'epoch_s'
        """
        return self.date_formats.get(f"{table}.{column}", self.date_format)

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, object]) -> ReadOptions:
        """Build options from a TOML-like dict, refusing unknown keys and wrong types.

        Lists become tuples (TOML has arrays, not tuples).

        Parameters
        ----------
        mapping : dict
            Keys are the field names of :class:`ReadOptions`.

        Examples
        --------
        >>> ReadOptions.from_mapping({"dayfirst": True, "missing": ["", "NA"]}).missing
        ('', 'NA')
        """
        if not isinstance(mapping, Mapping):
            raise TypeError(
                f"Read options must be a dict (a TOML table) such as {{'dayfirst': true}}, "
                f"but a {type(mapping).__name__} was passed."
            )
        known = [f.name for f in fields(cls)]
        unknown = [k for k in mapping if k not in known]
        if unknown:
            raise ValueError(f"Unknown read options {unknown}; the options are {known}.")
        values = {k: tuple(v) if isinstance(v, list) else v for k, v in mapping.items()}
        return cls(**values)


def _check_optional_str(name: str, value: object) -> None:
    if value is not None and not isinstance(value, str):
        raise TypeError(f"The value for `{name}` must be a text or None, but {value!r} was passed.")


def _check_timezone(name: str) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"The value for `timezone` must be an IANA time zone such as 'Asia/Tehran', 'Europe/London' "
            f"or 'UTC', but {name!r} was passed."
        ) from None


def _check_columns(name: str, mapping: object, allowed: tuple[str, ...] | None) -> dict[str, str]:
    if not isinstance(mapping, Mapping):
        raise TypeError(
            f"The value for `{name}` must be a dict of 'table.column' -> value, but a "
            f"{type(mapping).__name__} was passed."
        )
    for key, value in mapping.items():
        if not isinstance(key, str) or key.count(".") != 1 or not all(key.split(".")):
            raise ValueError(
                f"Keys of `{name}` must look like 'table.column' (e.g. 'orders.total_cents'), not {key!r}."
            )
        if not isinstance(value, str) or (allowed is not None and value not in allowed):
            what = f"one of {list(allowed)}" if allowed else "a text"
            raise ValueError(f"`{name}[{key!r}]` must be {what}, but {value!r} was passed.")
    return dict(mapping)
