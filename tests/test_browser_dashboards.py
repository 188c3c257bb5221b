"""The managers' dashboards as a manager opens them: `crmlab dashboard` serving a London shop's export, in Chromium.

The export is real data the project did not make: the first 1,500 customers of CDNOW
(CD purchases, 1997-1998, shipped with lifetimes) written as a London shop's CSV in
pounds, with its own column names and day-first dates. The command the README documents
starts Voila on 127.0.0.1; the page must speak pounds, state its filters, carry no course
words and no code, follow a filter, and never ask anything of a host other than 127.0.0.1.
Expected numbers are recounted from the CSV with the csv module and ``decimal``.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from browser_support import (
    CHROMIUM,
    LAUNCH_ARGS,
    LOOPBACK,
    NO_PROXY,
    SCREENSHOTS,
    NetworkLog,
    Server,
    browser_skip_reason,
    free_port,
    server_env,
)

from crmlab.datasets import load_cdnow

pytestmark = pytest.mark.skipif(browser_skip_reason() is not None, reason=str(browser_skip_reason()))

ROOT = Path(__file__).resolve().parents[1]
MAPPING = """
folder = "export"

[read]
dayfirst = true

[conventions]
timezone = "Europe/London"
currency = "GBP"
as_of = "1998-06-30"

[tables.orders]
file = "sales.csv"
columns = { Kunde = "customer_id", Datum = "ordered_at", Betrag = "total_cents" }
units = { total_cents = "major" }
dates = { ordered_at = "%d/%m/%Y" }
"""
COURSE_WORDS = ("CDNOW", "Nima", "Tehran", "planted", "$", "USD", "Traceback")


@pytest.fixture(scope="module")
def shop(tmp_path_factory) -> Path:
    """The first 1,500 CDNOW customers as a London shop's CSV, written with the csv module; the mapping's path."""
    cdnow = load_cdnow()
    cdnow = cdnow[cdnow["customer_id"] <= 1500]
    folder = tmp_path_factory.mktemp("london")
    (folder / "export").mkdir()
    with open(folder / "export" / "sales.csv", "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["Kunde", "Datum", "Betrag"])
        for row in cdnow.itertuples(index=False):
            pence = round(row.amount * 100)
            out.writerow([row.customer_id, row.date.strftime("%d/%m/%Y"), f"{pence // 100}.{pence % 100:02d}"])
    (folder / "mapping.toml").write_text(MAPPING, encoding="utf-8")
    return folder / "mapping.toml"


@pytest.fixture(scope="module")
def rows(shop) -> list[tuple[str, dt.date, Decimal]]:
    with open(shop.parent / "export" / "sales.csv", encoding="utf-8", newline="") as f:
        return [(r["Kunde"], dt.datetime.strptime(r["Datum"], "%d/%m/%Y").date(), Decimal(r["Betrag"]))
                for r in csv.DictReader(f)]


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS,
                                              env={**os.environ, **NO_PROXY})  # fmt: skip
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, request):
    network = NetworkLog()
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    context.set_default_timeout(30_000)
    network.attach(context)
    tab = context.new_page()
    yield tab
    tab.screenshot(path=str(SCREENSHOTS / f"{request.node.name.removeprefix('test_')}.png"), full_page=True)
    context.close()
    assert network.urls, "the browser made no request at all"
    assert network.outside == [], f"requests left 127.0.0.1: {network.outside[:5]}"
    assert network.hosts() == {LOOPBACK}


def _dashboard(name: str, mapping: Path, tmp: Path) -> Server:
    """`crmlab dashboard NAME --mapping FILE --no-browser` as the README gives it, on a free port."""
    port = free_port()
    env = server_env(tmp, tmp / "progress")
    log = tmp / f"{name}.log"
    with log.open("wb") as handle:
        proc = subprocess.Popen([sys.executable, "-m", "crmlab.cli", "dashboard", name, "--mapping", str(mapping),
                                 "--no-browser", "--port", str(port)], cwd=ROOT, env=env, stdout=handle,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)  # fmt: skip
    server = Server(proc, f"http://{LOOPBACK}:{port}", log=log)
    server.wait_ready("", 60)
    return server


def _visible(page) -> str:
    return page.inner_text("body")


def test_the_kpi_dashboard_speaks_pounds_and_follows_its_period(page, shop, rows, tmp_path):
    server = _dashboard("kpi", shop, tmp_path)
    try:
        page.goto(server.url(""), timeout=120_000)
        table = page.locator("table.crmlab-sales")
        table.wait_for(timeout=120_000)
        text = _visible(page)
        assert not [w for w in COURSE_WORDS if w in text], text[:2000]
        stated = page.locator(".crmlab-filters").inner_text()
        assert stated == ("Showing: 1 Jan 1997 – 30 Jun 1998 · no channels in this data · no regions in this data · "
                          "money in GBP · data up to 30 Jun 1998 (clock Europe/London)")
        total = sum((r[2] for r in rows), Decimal(0))
        revenue = table.locator("tr", has=page.locator("td", has_text="Revenue")).locator("td").nth(1)
        assert revenue.inner_text() == f"GBP {total:,.2f}"
        assert page.locator("img[alt='Revenue per month']").count() == 1
        absent = page.locator("ul.crmlab-absent").inner_text()  # the KPIs this export cannot give, and why
        assert "SLA compliance: not shown, no tickets table in this data" in absent
        assert "Days to pay: not shown, no invoices table in this data" in absent
        assert not page.locator(".jp-InputArea, .jp-CodeMirrorEditor, pre.cm-content").count()  # no code

        # Move the period's first month on by two with the keyboard, as a manager would.
        handle = page.locator(".noUi-handle-lower")
        handle.focus()
        handle.press("ArrowRight")
        handle.press("ArrowRight")
        page.wait_for_function("() => document.querySelector('.crmlab-filters').innerText.includes('1 Mar 1997')")
        inside = [r for r in rows if r[1] >= dt.date(1997, 3, 1)]
        orders = table.locator("tr", has=page.locator("td", has_text="Orders")).first.locator("td").nth(1)
        # Query the table afresh on every poll: the dashboard replaces it when the period moves, so a
        # handle taken before the redraw would point at a detached cell that never changes.
        page.wait_for_function(
            """(t) => {
                const row = [...document.querySelectorAll('table.crmlab-sales tr')]
                    .find(r => [...r.cells].some(c => c.innerText.includes('Orders')));
                return row !== undefined && row.cells.length > 1 && row.cells[1].innerText === t;
            }""",
            arg=f"{len(inside):,}",
        )
        assert orders.inner_text() == f"{len(inside):,}"
        assert revenue.inner_text() == f"GBP {sum((r[2] for r in inside), Decimal(0)):,.2f}"
    finally:
        server.stop()


def test_the_segment_explorer_lists_a_segment_without_contacts(page, shop, rows, tmp_path):
    server = _dashboard("segments", shop, tmp_path)
    try:
        page.goto(server.url(""), timeout=120_000)
        page.locator("table.crmlab-segments").wait_for(timeout=120_000)
        customers = len({r[0] for r in rows})
        select = page.locator(".widget-dropdown", has=page.locator("label", has_text="Segment")).locator("select")
        options = [o.replace("\xa0", " ") for o in select.evaluate("s => [...s.options].map(o => o.text)")]
        index, label = next((i, o) for i, o in enumerate(options) if o.startswith("At risk"))
        select.select_option(index=index)
        page.wait_for_function("() => document.querySelector('.crmlab-filters').innerText.includes('At risk')")
        stated = page.locator(".crmlab-filters").inner_text()
        size = int(re.search(r"\((\d[\d,]*)\)", label).group(1).replace(",", ""))
        assert f"segment At risk · {size:,} of {customers:,} customers" in stated and "money in GBP" in stated
        assert "equal values share a score" in stated
        members = page.locator("table.crmlab-members tr")
        assert members.count() == 1 + min(20, size)
        spend = {}
        for customer, _, amount in rows:
            spend[customer] = spend.get(customer, Decimal(0)) + amount
        first = members.nth(1).locator("td")
        assert first.nth(3).inner_text() == f"GBP {spend[first.nth(0).inner_text()]:,.2f}"
        text = _visible(page)
        assert not [w for w in COURSE_WORDS if w in text] and "@" not in text  # no e-mail addresses
    finally:
        server.stop()
