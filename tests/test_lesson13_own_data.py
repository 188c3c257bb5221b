"""Lesson 13 (the capstone) on a company's own export: real data the project did not make.

The CDNOW sample (real CD purchases, 1997-1998, shipped with lifetimes) is written as a
London shop's sales log: its own column names, day-first dates ``dd/mm/yyyy``, amounts in
pounds with decimals, no order ids, and a status (every seventh line marked refunded, so the lesson
must count only the paid ones). The lesson runs on it through a mapping
file; its outputs must go to ``OUTPUT_DIR``, speak pounds, and never name the course's data.
A source that cannot be loaded must stop the lesson, never fall back to CDNOW.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from pathlib import Path

import nbformat
import pytest
from foreign_exports import run_lesson

from crmlab.datasets import load_cdnow

MAPPING = """
folder = "export"

[read]
dayfirst = true

[conventions]
timezone = "Europe/London"
currency = "GBP"
as_of = "{as_of}"
purchase_statuses = ["Paid"]

[tables.orders]
file = "sales.csv"
columns = {{ Buyer = "customer_id", SaleDay = "ordered_at", Total = "total_cents", State = "status" }}
units = {{ total_cents = "major" }}
dates = {{ ordered_at = "%d/%m/%Y" }}
"""
FOREIGN = ("CDNOW", "Nima", "Tehran", "$", "US$", "USD")


def _write_export(folder: Path) -> Path:
    """The CDNOW sample as a shop's CSV, written with the csv module: dd/mm/yyyy, pounds with two decimals."""
    log = load_cdnow("sample")
    cents = (log["amount"] * 100).round()
    assert ((log["amount"] * 100 - cents).abs() < 1e-6).all()  # two decimals hold every amount exactly
    (folder / "export").mkdir()
    with open(folder / "export" / "sales.csv", "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["Buyer", "SaleDay", "Items", "Total", "State"])
        for i, (row, c) in enumerate(zip(log.itertuples(index=False), cents, strict=True)):
            pounds = f"{int(c) // 100}.{int(c) % 100:02d}"
            state = "Refunded" if i % 7 == 3 else "Paid"
            out.writerow([row.customer_id, row.date.strftime("%d/%m/%Y"), row.quantity, pounds, state])
    mapping = folder / "mapping.toml"
    mapping.write_text(MAPPING.format(as_of=log["date"].max().strftime("%Y-%m-%d")), encoding="utf-8")
    return mapping


def _paid(folder: Path) -> list[dict[str, str]]:
    """The paid lines of the export, read with the csv module (the oracle of the tests below)."""
    with open(folder / "export" / "sales.csv", newline="", encoding="utf-8") as f:
        return [r for r in csv.DictReader(f) if r["State"] == "Paid"]


def _listing(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_size for p in sorted(folder.rglob("*"))}


def _texts(notebook) -> str:
    """Every text a reader sees in the outputs (images left out: base64 can spell anything)."""
    texts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            texts.append(output.get("text", ""))
            texts += [str(v) for k, v in output.get("data", {}).items() if k.startswith("text/")]
            texts += output.get("traceback", [])
    return "\n".join(texts)


def _run(tmp: Path, parameters: dict) -> Path:
    return run_lesson("13_capstone.ipynb", tmp, parameters)


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    """The export, its folder's listing before the run, the output folder and the executed notebook."""
    folder = tmp_path_factory.mktemp("shop")
    mapping = _write_export(folder)
    before = _listing(folder)
    run = tmp_path_factory.mktemp("run")
    output = run / "out"
    output.mkdir()
    notebook = _run(run, {"MAPPING": str(mapping), "OUTPUT_DIR": str(output)})
    return {"folder": folder, "before": before, "output": output, "nb": nbformat.read(notebook, as_version=4)}


def test_the_lesson_runs_to_the_end_on_the_export(shop):
    cells = shop["nb"].cells
    assert [o for c in cells for o in c.get("outputs", []) if o.get("output_type") == "error"] == []
    assert all(c.get("execution_count") for c in cells if c.cell_type == "code")
    text = _texts(shop["nb"])
    assert "mapping.toml: money in GBP, data up to 1998-06-30" in text  # as_of from the mapping
    with open(shop["folder"] / "export" / "sales.csv", newline="", encoding="utf-8") as f:
        lines = sum(1 for _ in csv.DictReader(f))
    assert f"{len(_paid(shop['folder'])):,} of {lines:,} orders have a purchase status: Paid" in text
    assert "Skipped: the quiz is about the course's own log, not this export." in text


def test_nothing_is_written_next_to_the_data_and_outputs_go_to_output_dir(shop):
    assert _listing(shop["folder"]) == shop["before"]
    assert sorted(p.name for p in shop["output"].iterdir()) == ["reactivation_list.csv", "reactivation_report.html"]


def test_no_output_speaks_of_the_course_company(shop):
    texts = [_texts(shop["nb"])] + [p.read_text(encoding="utf-8") for p in shop["output"].iterdir()]
    for text in texts:
        for word in FOREIGN:
            assert word not in text, word
    page = (shop["output"] / "reactivation_report.html").read_text(encoding="utf-8")
    assert "of the GBP 2,500 budget" in page and "letters at GBP 1.00 each" in page
    assert "Purchase log of mapping.toml, to 30 June 1998" in page
    faded = re.search(r"in month (\d+)\. By 30 June 1998", page)  # the retention reached by most cohorts
    assert faded and int(faded[1]) > 3


def test_the_report_counts_the_customers_of_the_raw_file(shop):
    """Oracle: the csv module on the export itself, not the lesson's code."""
    rows = _paid(shop["folder"])
    customers = len({r["Buyer"] for r in rows})
    page = (shop["output"] / "reactivation_report.html").read_text(encoding="utf-8")
    shown = re.search(r"<td>customers in the clean log</td><td class=\"value\">([\d,]+)</td>", page)
    assert shown and int(shown[1].replace(",", "")) == customers
    with open(shop["output"] / "reactivation_list.csv", newline="", encoding="utf-8-sig") as f:
        listed = {r["customer_id"] for r in csv.DictReader(f)}
    assert listed and listed <= {r["Buyer"] for r in rows}


def test_the_holdout_counts_the_purchase_days_of_the_raw_file(shop):
    """Oracle: the csv and datetime modules. The model is checked on the days after the log's middle day."""
    days: dict[str, set[dt.date]] = {}
    for r in _paid(shop["folder"]):
        days.setdefault(r["Buyer"], set()).add(dt.datetime.strptime(r["SaleDay"], "%d/%m/%Y").date())
    first, last = min(min(d) for d in days.values()), max(max(d) for d in days.values())
    middle = first + dt.timedelta(days=(last - first).days // 2)
    actual = sum(len({d for d in ds if d > middle}) for ds in days.values() if min(ds) <= middle)
    page = (shop["output"] / "reactivation_report.html").read_text(encoding="utf-8")
    shown = re.search(r"purchases where ([\d,]+) happened", page)
    assert shown and int(shown[1].replace(",", "")) == actual
    assert f"calibration up to {middle:%Y-%m-%d}, holdout up to {last:%Y-%m-%d}" in _texts(shop["nb"])


def _empty_csv(folder: Path) -> dict:
    (folder / "export" / "sales.csv").write_text("Buyer,SaleDay,Items,Total,State\n", encoding="utf-8")
    return {"MAPPING": str(folder / "mapping.toml")}


def _day_not_first(folder: Path) -> dict:
    text = (folder / "export" / "sales.csv").read_text(encoding="utf-8")
    (folder / "export" / "sales.csv").write_text(text.replace("/1997,", "-1997,", 1), encoding="utf-8")
    return {"MAPPING": str(folder / "mapping.toml")}


@pytest.mark.parametrize(("break_it", "named"), [
    (_empty_csv, "this export has no purchases: 0 orders"),
    (_day_not_first, "sales.csv"),
    (lambda folder: {"MAPPING": str(folder / "no_such_mapping.toml")}, "no_such_mapping.toml"),
    (lambda folder: {"DATA_DIR": str(folder / "no_such_folder")}, "no_such_folder"),
], ids=["empty file", "a date in another format", "missing mapping", "missing data folder"])  # fmt: skip
def test_a_source_that_cannot_be_loaded_stops_the_lesson(tmp_path, break_it, named):
    import papermill as pm

    folder = tmp_path / "shop"
    folder.mkdir()
    _write_export(folder)
    parameters = break_it(folder)
    with pytest.raises(pm.PapermillExecutionError) as raised:
        _run(tmp_path, parameters | {"OUTPUT_DIR": str(tmp_path / "out")})
    assert named in str(raised.value)  # the loader's error, never a silent fallback to the course's log
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
