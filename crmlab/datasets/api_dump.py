"""Another system's API dump, read offline: the web shop's accounts, as its REST API pages them.

Syllabus idea B4: a BI tool must reach the CRM and the systems around it through a connector
or an API. Lesson 04 practises the second way offline, on a file: ``datasets/api_dump/``
holds what a paged ``GET /v1/accounts?page=N`` of the web shop returned, saved as one JSON
document (a list of pages). The web shop knows no ``customer_id``: an account is matched to
the CRM by its e-mail address, typed by the customer (mixed case, stray spaces), and its
instants are local times with an offset, as web APIs write them.

The dump is made from the course's own synthetic data (``web_registrations`` and
``customers``), deterministically, by :func:`api_dump_pages`; ``python -m
crmlab.datasets.api_dump`` rewrites the shipped file after the data is regenerated, and a test
checks it is up to date. Nothing is downloaded.

Examples
--------
>>> pages = load_api_dump()
>>> sorted(pages[0]) == ["data", "page", "pages", "per_page", "total"]
True
>>> sorted(pages[0]["data"][0])
['created', 'email', 'id', 'signup']
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

from ..conventions import COURSE, Conventions

__all__ = ["API_DUMP_FILE", "api_dump_pages", "api_dump_path", "load_api_dump", "write_api_dump"]

#: The file name of the dump inside ``datasets/api_dump/``.
API_DUMP_FILE = "webshop_accounts.json"
PER_PAGE = 500


def _typed(email: str, n: int) -> str:
    """The e-mail as the customer typed it into the shop: some in capitals, some with spaces."""
    if n % 5 == 0:
        return email.upper()
    if n % 7 == 0:
        return f" {email} "
    if n % 11 == 0:
        return email.capitalize()
    return email


def api_dump_pages(crm, *, per_page: int = PER_PAGE, conventions: Conventions = COURSE) -> list[dict]:
    """The web shop's accounts as its API pages them, made from a CRM's ``web_registrations``.

    Parameters
    ----------
    crm : mapping of DataFrames
        With the tables ``web_registrations`` and ``customers`` (for the e-mail).
    per_page : int
        Accounts per page.
    conventions : Conventions
        The company's time zone, in which the shop writes its instants.

    Returns
    -------
    list of dict
        One dict per page: ``page``, ``pages``, ``per_page``, ``total`` and ``data``, a list
        of accounts ``{"id": "acc-000001", "email": ..., "created": "2022-01-01T04:33:00+03:30",
        "signup": {"source": ..., "device": ...}}`` in registration order.

    Examples
    --------
    >>> import pandas as pd
    >>> w = pd.DataFrame({"registration_id": [1, 2], "customer_id": [7, 8], "source": ["social", "email"],
    ...                   "device": ["mobile", "desktop"],
    ...                   "registered_at": pd.to_datetime(["2025-03-01 10:00", "2025-03-02 12:00"], utc=True)})
    >>> c = pd.DataFrame({"customer_id": [7, 8], "email": ["a@x.ir", "b@y.ir"]})
    >>> pages = api_dump_pages({"web_registrations": w, "customers": c}, per_page=1)
    >>> [p["page"] for p in pages], pages[1]["data"][0]["created"], pages[1]["data"][0]["signup"]
    ([1, 2], '2025-03-02T15:30:00+03:30', {'source': 'email', 'device': 'desktop'})
    """
    w = crm["web_registrations"].sort_values("registration_id")
    email = w["customer_id"].map(crm["customers"].set_index("customer_id")["email"])
    local = w["registered_at"].dt.tz_convert(conventions.timezone)
    accounts = [
        {"id": f"acc-{int(rid):06d}", "email": _typed(str(mail), int(rid)),
         "created": t.isoformat(), "signup": {"source": str(src), "device": str(dev)}}
        for rid, mail, t, src, dev in zip(w["registration_id"], email, local, w["source"], w["device"], strict=True)
    ]  # fmt: skip
    pages = max(1, math.ceil(len(accounts) / per_page))
    return [{"page": p + 1, "pages": pages, "per_page": per_page, "total": len(accounts),
             "data": accounts[p * per_page:(p + 1) * per_page]} for p in range(pages)]  # fmt: skip


_PACKAGED = Path(__file__).parent / "data" / "api_dump" / API_DUMP_FILE
_CHECKOUT = Path(__file__).resolve().parents[2] / "datasets" / "api_dump" / API_DUMP_FILE


def api_dump_path() -> Path:
    """The shipped dump: ``$CRMLAB_API_DUMP``, the packaged copy, or the checkout's ``datasets/api_dump``.

    It does not follow ``$CRMLAB_DATA``: the dump belongs to the course's company, whichever
    CRM export a lesson reads.

    Examples
    --------
    >>> api_dump_path().name
    'webshop_accounts.json'
    """
    if os.environ.get("CRMLAB_API_DUMP"):
        return Path(os.environ["CRMLAB_API_DUMP"])
    return _PACKAGED if _PACKAGED.is_file() else _CHECKOUT


def load_api_dump(path: str | os.PathLike | None = None) -> list[dict]:
    """Read the dump: a list of pages, each with its accounts under ``data``."""
    return json.loads(Path(path or api_dump_path()).read_text(encoding="utf-8"))


def write_api_dump(crm, path: str | os.PathLike | None = None) -> Path:
    """Write :func:`api_dump_pages` of ``crm`` as JSON (1-space indent, UTF-8) to ``path``."""
    path = Path(path or api_dump_path())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(api_dump_pages(crm), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


if __name__ == "__main__":  # pragma: no cover - the documented way to refresh the shipped file
    from .storage import load_crm

    print(write_api_dump(load_crm(tables=["web_registrations", "customers"])))
