"""``crmlab report``: lesson 05 run on a foreign export, as one HTML page a manager can read.

The export is real data the project did not make: the first customers of CDNOW (CD
purchases, 1997-1998, shipped with lifetimes) written as a London shop's sales log, with its
own column names, day-first dates and amounts in pounds with decimals. The page must show
the segments and charts, speak pounds, and carry no code, no course words and no network load.
"""

from __future__ import annotations

import csv
import html
import re
import subprocess
import sys
from pathlib import Path

import pytest

from crmlab.analysis import rfm
from crmlab.datasets import load_cdnow, load_export

ROOT = Path(__file__).resolve().parents[1]
AS_OF = "1998-06-30"
MAPPING = f"""
folder = "export"

[read]
dayfirst = true

[conventions]
timezone = "Europe/London"
currency = "GBP"
as_of = "{AS_OF}"

[tables.orders]
file = "sales.csv"
columns = {{ Kunde = "customer_id", Datum = "ordered_at", Betrag = "total_cents" }}
units = {{ total_cents = "major" }}
dates = {{ ordered_at = "%d/%m/%Y" }}
"""
SEGMENTS = ("Champions", "Loyal", "At risk", "Cannot lose", "Lost")


def _crmlab(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "crmlab.cli", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout)  # fmt: skip


@pytest.fixture(scope="module")
def shop(tmp_path_factory) -> Path:
    """The first 1,500 CDNOW customers as a GBP shop's CSV, written with the csv module."""
    cdnow = load_cdnow()
    cdnow = cdnow[cdnow["customer_id"] <= 1500]
    folder = tmp_path_factory.mktemp("shop")
    (folder / "export").mkdir()
    with open(folder / "export" / "sales.csv", "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["Kunde", "Datum", "Betrag"])
        for row in cdnow.itertuples(index=False):
            pence = round(row.amount * 100)
            out.writerow([row.customer_id, row.date.strftime("%d/%m/%Y"), f"{pence // 100}.{pence % 100:02d}"])
    (folder / "mapping.toml").write_text(MAPPING, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def page(shop) -> str:
    done = _crmlab("report", "05_rfm", "--mapping", str(shop / "mapping.toml"), "--out", str(shop / "out"),
                   "--timeout", "100")  # fmt: skip
    assert done.returncode == 0, done.stderr
    path = shop / "out" / "05_rfm_report.html"
    assert path.is_file() and str(path) in done.stdout
    return path.read_text(encoding="utf-8")


def _visible(page: str) -> str:
    """The text a reader sees: no embedded images (base64 can spell anything), style sheet or tags."""
    page = re.sub(r"data:image/[a-z+]+;base64,[A-Za-z0-9+/=\s]+", "", page)
    page = re.sub(r"<style.*?</style>", "", page, flags=re.S)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", page)))


def test_report_shows_segments_and_charts_in_pounds(page):
    text = _visible(page)
    for name in SEGMENTS:
        assert name in text, name
    assert page.count("data:image/png;base64,") >= 2  # the heatmap and the share chart
    assert "GBP" in text and "1998-06-30" in text and "Europe/London" in text
    assert "mapping.toml" in text and "export" in text and "MAPPING" in text  # the source, the parameters


def test_report_has_no_code_no_course_words_and_no_network(page):
    text = _visible(page)
    for word in ("import ", "load_export(", "rfm.", "plt.", "Nima", "Tehran", "CDNOW", "planted", "lifetimes"):
        assert word not in text, word
    assert not re.search(r"\$\s?\d", text)  # no dollar amounts on a pound export
    loads = re.findall(r"""(?:src|href)\s*=\s*["']?(https?:|//)""", page, flags=re.I)
    assert loads == []
    assert "<script src" not in page


def test_report_numbers_equal_an_independent_count(page, shop):
    with open(shop / "export" / "sales.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert f"all {len(rows):,} orders count as purchases" in _visible(page)  # counted by the csv module

    crm = load_export(shop / "mapping.toml")
    orders = crm.orders.assign(local=crm.orders["ordered_at"].dt.tz_convert("Europe/London"))
    table = rfm.rfm_table(rfm.customer_summary(orders, datetime_col="local", as_of=crm.conventions.as_of))
    assert len(table) == len({r["Kunde"] for r in rows})
    biggest = table["segment"].value_counts()
    profile = page[page.index('id="What-each-segment-weighs"'):]  # the segment profile's table
    cells = re.findall(r"<th>([A-Za-z ]+)</th>\s*<td>(\d+)</td>", profile)
    shown = {name: int(n) for name, n in cells if name in SEGMENTS}
    assert shown[biggest.index[0]] == biggest.iloc[0]


def test_unknown_lesson_is_one_line_exit_2(shop):
    done = _crmlab("report", "99_nothing", "--mapping", str(shop / "mapping.toml"), "--out", str(shop / "x"))
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "99_nothing" in done.stderr and "05_rfm" in done.stderr
    assert not (shop / "x").exists()


def test_broken_mapping_is_one_line_and_writes_nothing(shop):
    broken = shop / "broken.toml"
    broken.write_text(MAPPING.replace('currency = "GBP"', 'curency = "GBP"'), encoding="utf-8")
    done = _crmlab("report", "05_rfm", "--mapping", str(broken), "--out", str(shop / "y"))
    assert done.returncode != 0
    assert done.stderr.count("\n") == 1 and "broken.toml" in done.stderr and "curency" in done.stderr
    assert not (shop / "y").exists()


def test_failing_run_names_the_cell_and_writes_nothing(shop):
    bad = shop / "bad"
    (bad / "export").mkdir(parents=True)
    (bad / "export" / "sales.csv").write_text("Kunde,Datum,Betrag\n1,05/01/1997,oops\n", encoding="utf-8")
    (bad / "mapping.toml").write_text(MAPPING, encoding="utf-8")
    done = _crmlab("report", "05_rfm", "--mapping", str(bad / "mapping.toml"), "--out", str(bad / "out"))
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and re.search(r"cell \d+", done.stderr), done.stderr
    assert not (bad / "out").exists()


def _notebook(path: Path, source: str, tags: list[str]) -> Path:
    import nbformat

    cell = nbformat.v4.new_code_cell(source, id="only")
    cell.metadata["tags"] = tags
    kernel = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
              "language_info": {"name": "python"}}
    nbformat.write(nbformat.v4.new_notebook(cells=[cell], metadata=kernel), path)
    return path


def test_lesson_without_report_cells_is_refused(shop):
    from crmlab.reports import ReportError, build_report

    lesson = _notebook(shop / "plain.ipynb", "print('hello')", [])
    with pytest.raises(ReportError, match="plain has no cells tagged 'report'"):
        build_report(str(lesson), shop / "mapping.toml", shop / "z")
    assert not (shop / "z").exists()


def test_run_out_of_time_names_the_cell_and_writes_nothing(shop):
    from crmlab.reports import ReportError, build_report

    lesson = _notebook(shop / "slow.ipynb", "import time\nwhile True:\n    time.sleep(0.1)", ["report"])
    with pytest.raises(ReportError, match=r"ran out of time after 8 s: cell \d+ was still running"):
        build_report(str(lesson), shop / "mapping.toml", shop / "w", timeout=8)
    assert not (shop / "w").exists()


def test_printed_only_cells_keep_what_they_print_not_what_they_display(shop):
    from crmlab.reports import build_report

    source = 'print("12 customers to call")\ndisplay({"text/html": "<b>ana@example.org</b>"}, raw=True)'
    lesson = _notebook(shop / "contacts.ipynb", source, ["report", "report-printed"])
    text = _visible(build_report(str(lesson), shop / "mapping.toml", shop / "v", timeout=60).read_text("utf-8"))
    assert "12 customers to call" in text and "ana@example.org" not in text
