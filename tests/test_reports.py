"""``crmlab report``: lessons 05-08 and 13 run on a foreign export, each as one HTML page a manager can read.

The export is real data the project did not make: the first customers of CDNOW (CD
purchases, 1997-1998, shipped with lifetimes) written as a London shop's sales log, with its
own column names, day-first dates and amounts in pounds with decimals. Each page must show
its findings, tables and charts, speak pounds, carry no code, no course words and no network
load, and its numbers must equal a count made here from the CSV file (or lifetimes).
"""

from __future__ import annotations

import csv
import html
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pandas as pd
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
LESSONS = ("05_rfm", "06_clusters", "07_cohorts", "08_clv_churn", "13_capstone")
#: Headings each page must show on this export (declared in the lessons' metadata).
HEADINGS = {
    "05_rfm": ["Purchases counted", "Where the customers are", "What each segment weighs", "Targeting lists"],
    "06_clusters": ["The groups of customers", "What sets the groups apart", "What each group weighs",
                    "Groups and RFM segments"],
    "07_cohorts": ["New customers per month of first purchase", "Share of each cohort buying, month by month",
                   "How long customers keep buying", "Revenue per customer", "When a customer counts as lost"],
    "08_clv_churn": ["Purchases counted", "Does the value model predict?",
                     "What the customers are worth over the next 12 months", "Who is about to leave"],
    "13_capstone": ["The data", "Who brings the revenue", "How customers fade", "Can the value model be trusted?",
                    "The mailing plan", "The one-page summary"],
}  # fmt: skip
TITLES = {"05_rfm": "RFM segments", "06_clusters": "Customer groups (clusters)", "07_cohorts": "Cohorts and retention",
          "08_clv_churn": "Customer lifetime value and churn risk",
          "13_capstone": "Reactivation mailing: the customers, their value, and whom to mail"}  # fmt: skip


def _crmlab(*args: str, timeout: float = 180) -> subprocess.CompletedProcess:
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
def sales(shop) -> pd.DataFrame:
    """The oracle's copy of the export: read with the csv module, days with datetime, pence with Decimal."""
    with open(shop / "export" / "sales.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return pd.DataFrame({"customer": [int(r["Kunde"]) for r in rows],
                         "day": [datetime.strptime(r["Datum"], "%d/%m/%Y") for r in rows],
                         "pence": [int(Decimal(r["Betrag"]) * 100) for r in rows]})  # fmt: skip


@pytest.fixture(scope="module")
def folder(tmp_path_factory, sales) -> Path:
    """The same purchases as a folder in the course's layout: ``orders.csv`` with the schema's column names."""
    where = tmp_path_factory.mktemp("course_layout") / "tables"
    where.mkdir()
    stamps = [d.strftime("%Y-%m-%dT12:00:00Z") for d in sales["day"]]
    lines = [f"{c},{t},{p}" for c, t, p in zip(sales["customer"], stamps, sales["pence"], strict=True)]
    (where / "orders.csv").write_text("customer_id,ordered_at,total_cents\n" + "\n".join(lines) + "\n")
    return where


@pytest.fixture(scope="module")
def runs(shop, folder) -> dict[str, tuple[subprocess.CompletedProcess, Path]]:
    """The five reports on the export and lesson 05's on the folder, two at a time (the machine has 2 cores)."""
    jobs = {lesson: ("--mapping", str(shop / "mapping.toml"), "--out", str(shop / "out")) for lesson in LESSONS}
    jobs["05_rfm --data"] = ("--data", str(folder), "--out", str(folder.parent / "out"))

    def build(item):
        name, args = item
        return name, _crmlab("report", name.split()[0], *args, "--timeout", "170", timeout=200)

    with ThreadPoolExecutor(max_workers=2) as pool:
        done = dict(pool.map(build, jobs.items()))
    return {name: (run, Path(jobs[name][3]) / f"{name.split()[0]}_report.html") for name, run in done.items()}


def _page(runs, name: str) -> str:
    run, path = runs[name]
    assert run.returncode == 0, run.stderr
    assert path.is_file() and str(path) in run.stdout
    return path.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def page(runs) -> str:
    return _page(runs, "05_rfm")


def _visible(page: str) -> str:
    """The text a reader sees: no embedded images (base64 can spell anything), style sheet or tags."""
    page = re.sub(r"data:image/[a-z+]+;base64,[A-Za-z0-9+/=\s]+", "", page)
    page = re.sub(r"<style.*?</style>", "", page, flags=re.S)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def _number(text: str) -> int:
    return int(text.replace(",", ""))


@pytest.mark.parametrize("lesson", LESSONS)
def test_each_report_speaks_pounds_with_its_headings_and_no_code_or_course_words(runs, lesson):
    page = _page(runs, lesson)
    text = _visible(page)
    assert re.search(rf"<h1[^>]*>{re.escape(html.escape(TITLES[lesson], quote=False))}", page)
    assert "GBP" in text and "1998-06-30" in text and "Europe/London" in text
    assert "Data source: mapping.toml, export folder export" in text and "Generated:" in text
    for heading in HEADINGS[lesson]:
        assert re.search(rf"<h2[^>]*>{re.escape(html.escape(heading, quote=False))}", page), heading
    for word in ("import ", "load_lesson_data(", "rfm.", "co.", "clv.", "plt.", "print(", "display(", "Nima",
                 "Tehran", "CDNOW", "planted", "lifetimes", "On the course's data", "Traceback"):  # fmt: skip
        assert word not in text, word
    assert "$" not in text  # no dollar sign at all on a pound export
    assert re.findall(r"""(?:src|href)\s*=\s*["']?(https?:|//)""", page, flags=re.I) == []
    assert "<script src" not in page
    assert page.count("data:image/png;base64,") >= 1  # the charts, embedded


def test_report_shows_segments_and_charts_in_pounds(page):
    text = _visible(page)
    for name in SEGMENTS:
        assert name in text, name
    assert page.count("data:image/png;base64,") >= 2  # the heatmap and the share chart
    assert "MAPPING" in text and "'mapping.toml'" in text  # the parameters, by file name only


def test_report_numbers_equal_an_independent_count(page, shop, sales):
    text = _visible(page)
    assert f"all {len(sales):,} orders count as purchases" in text  # counted by the csv module

    crm = load_export(shop / "mapping.toml")
    orders = crm.orders.assign(local=crm.orders["ordered_at"].dt.tz_convert("Europe/London"))
    table = rfm.rfm_table(rfm.customer_summary(orders, datetime_col="local", as_of=crm.conventions.as_of))
    assert len(table) == sales["customer"].nunique()
    biggest = table["segment"].value_counts()
    profile = page[page.index('id="What-each-segment-weighs"'):]  # the segment profile's table
    cells = re.findall(r"<th>([A-Za-z ]+)</th>\s*<td>(\d+)</td>", profile)
    shown = {name: int(n) for name, n in cells if name in SEGMENTS}
    assert shown[biggest.index[0]] == biggest.iloc[0]
    # The finding in words: the segment's pence, summed from the CSV file.
    spent = sales.groupby("customer")["pence"].sum()
    top = table["segment"].reindex(spent.index)
    line = re.search(r"Champions: ([\d,]+) customers \(\d+%\), GBP ([\d,]+\.\d\d) of revenue", text)
    assert line and _number(line[1]) == (top == "Champions").sum()
    assert Decimal(line[2].replace(",", "")) == Decimal(int(spent[top == "Champions"].sum())) / 100


def test_clusters_report_covers_every_customer_and_every_penny(runs, sales):
    text = _visible(_page(runs, "06_clusters"))
    groups = re.findall(r"([A-Z][\w ()#-]*?): ([\d,]+) customers \((\d+)%\), GBP ([\d,]+\.\d\d) of revenue \((\d+)%\)",
                        text)  # fmt: skip
    assert len(groups) >= 2
    assert sum(_number(g[1]) for g in groups) == sales["customer"].nunique()
    assert sum(Decimal(g[3].replace(",", "")) for g in groups) == Decimal(int(sales["pence"].sum())) / 100
    assert abs(sum(int(g[4]) for g in groups) - 100) <= len(groups)  # shares of revenue, each rounded


def test_cohorts_report_equals_a_hand_count(runs, sales):
    text = _visible(_page(runs, "07_cohorts"))
    first = sales.groupby("customer")["day"].min().dt.to_period("M")
    for month, n in first.value_counts().sort_index().items():
        assert re.search(rf"\b{month}\s+{n}\b", text), (month, n)
    assert f"{len(first):,} customers made a first purchase from {first.min()} to {first.max()}" in text
    months = sales.assign(month=sales["day"].dt.to_period("M"), first=sales["customer"].map(first))
    back = months[months["month"] == months["first"] + 1]["customer"].nunique()
    assert f"{back / len(first):.0%} of them bought again in the month after it" in text
    # Lapsed: silent for longer than the day by which 90% of the returns have happened, by statsmodels'
    # Kaplan-Meier over every wait after a purchase day, the open waits (to AS_OF) censored.
    from statsmodels.duration.survfunc import SurvfuncRight

    days = sales[["customer", "day"]].drop_duplicates().sort_values(["customer", "day"])
    following = days.groupby("customer")["day"].shift(-1)
    fit = SurvfuncRight((following.fillna(pd.Timestamp(AS_OF)) - days["day"]).dt.days.to_numpy(),
                        following.notna().to_numpy().astype(int))  # fmt: skip
    returned = 1 - fit.surv_prob
    window = int(fit.surv_times[(returned / returned[-1] >= 0.9 - 1e-12).argmax()])
    last = days.groupby("customer")["day"].max()
    silent = (pd.Timestamp(AS_OF) - last).dt.days > window
    assert (f"lost after {window} days without a purchase: 90% of returns come sooner. On {AS_OF}, "
            f"{silent.sum():,} of the {len(last):,} customers") in text  # fmt: skip


def test_value_report_equals_lifetimes_and_a_count_of_purchase_days(runs, sales):
    from lifetimes import BetaGeoFitter
    from lifetimes.utils import summary_data_from_transaction_data

    text = _visible(_page(runs, "08_clv_churn"))
    line = re.search(r"From 1997-07-01 to 1998-06-30, a period the model never saw, it expected ([\d,]+) purchases "
                     r"where ([\d,]+) happened", text)  # fmt: skip
    assert line, text[:2000]
    days = sales[["customer", "day"]].drop_duplicates()
    assert _number(line[2]) == (days["day"] > pd.Timestamp("1997-06-30")).sum()  # everyone bought before
    before = sales[sales["day"] <= pd.Timestamp("1997-06-30")]
    cal = summary_data_from_transaction_data(before, "customer", "day", observation_period_end="1997-06-30")
    weeks = cal[["recency", "T"]] / 7
    theirs = BetaGeoFitter().fit(cal["frequency"], weeks["recency"], weeks["T"])
    expected = theirs.conditional_expected_number_of_purchases_up_to_time(
        (pd.Timestamp(AS_OF) - pd.Timestamp("1997-06-30")).days / 7, cal["frequency"], weeks["recency"], weeks["T"])
    assert _number(line[1]) == pytest.approx(expected.sum(), abs=2)  # two optimisers of one likelihood
    assert "Skipped: this export has no customers and no tickets and no interactions table" in text
    assert re.search(r"hold \d+% of the expected value of the next 12 months \(GBP [\d,]+ in all\)", text)


def test_capstone_report_counts_the_customers_and_purchase_days_of_the_file(runs, sales):
    text = _visible(_page(runs, "13_capstone"))
    assert re.search(rf"customers in the clean log {sales['customer'].nunique():,}\b", text)
    days = sales[["customer", "day"]].drop_duplicates()
    start, end = days["day"].min(), days["day"].max()
    middle = start + pd.Timedelta(days=(end - start).days // 2)
    firsts = days.groupby("customer")["day"].transform("min")
    actual = ((days["day"] > middle) & (firsts <= middle)).sum()
    assert f"purchases where {actual:,} happened" in text
    assert "of the GBP 2,500 budget" in text and "letters at GBP 1.00 each" in text
    # Lapsed as in lesson 07: Kaplan-Meier (statsmodels) over every wait, the open ones censored at the end.
    from statsmodels.duration.survfunc import SurvfuncRight

    waits = days.sort_values(["customer", "day"])
    following = waits.groupby("customer")["day"].shift(-1)
    fit = SurvfuncRight((following.fillna(pd.Timestamp(AS_OF)) - waits["day"]).dt.days.to_numpy(),
                        following.notna().to_numpy().astype(int))  # fmt: skip
    returned = 1 - fit.surv_prob
    window = int(fit.surv_times[(returned / returned[-1] >= 0.9 - 1e-12).argmax()])
    silent = (pd.Timestamp(AS_OF) - waits.groupby("customer")["day"].max()).dt.days > window
    assert re.search(rf"lapsed customers {silent.sum():,}\b", text) and f"over {window} days" in text


def test_a_folder_in_the_course_layout_is_read_with_data(runs, folder, sales):
    text = _visible(_page(runs, "05_rfm --data"))
    assert f"Data source: the folder {folder.name}" in text and "DATA_DIR 'tables'" in text
    assert f"all {len(sales):,} orders count as purchases" in text
    shown = re.search(r"Champions: ([\d,]+) customers", text)
    assert shown and _number(shown[1]) > 0


def test_no_data_is_refused_in_one_line(shop):
    done = _crmlab("report", "05_rfm", "--out", str(shop / "nothing"))
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert "--mapping FILE" in done.stderr and "--data DIR" in done.stderr
    assert not (shop / "nothing").exists()
    from crmlab.reports import ReportError, build_report

    with pytest.raises(ReportError, match="no data given"):
        build_report("05_rfm", out_dir=shop / "nothing")
    with pytest.raises(ReportError, match="does not exist or is not a folder"):
        build_report("05_rfm", data=shop / "no_such_folder", out_dir=shop / "nothing")
    assert not (shop / "nothing").exists()


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
        build_report(str(lesson), shop / "mapping.toml", out_dir=shop / "z")
    assert not (shop / "z").exists()


def test_run_out_of_time_names_the_cell_and_writes_nothing(shop):
    from crmlab.reports import ReportError, build_report

    lesson = _notebook(shop / "slow.ipynb", "import time\nwhile True:\n    time.sleep(0.1)", ["report"])
    with pytest.raises(ReportError, match=r"ran out of time after 8 s: cell \d+ was still running"):
        build_report(str(lesson), shop / "mapping.toml", out_dir=shop / "w", timeout=8)
    assert not (shop / "w").exists()


def test_printed_only_cells_keep_what_they_print_not_what_they_display(shop):
    from crmlab.reports import build_report

    source = 'print("12 customers to call")\ndisplay({"text/html": "<b>ana@example.org</b>"}, raw=True)'
    lesson = _notebook(shop / "contacts.ipynb", source, ["report", "report-printed"])
    text = _visible(build_report(str(lesson), shop / "mapping.toml", out_dir=shop / "v", timeout=60).read_text("utf-8"))
    assert "12 customers to call" in text and "ana@example.org" not in text
