"""A till's export without customers: lessons 05-08 and 13 refuse it in one sentence, and so does ``crmlab check``.

The export is a year of real pizza sales (``gt::pizzaplace``, see :mod:`foreign_exports`) as a
Persian till writes it: every sale is booked to the guest account 0. It loads exactly, but
segments, clusters, cohorts and lifetime values of one customer mean nothing. The check, the
five lessons and the report must all say so with the same sentence, from the same function,
where the data is loaded (never a traceback from deep inside pandas), and write no page.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from foreign_exports import load_pizzaplace, pizza_orders, run_lesson, write_pizza_pos

from crmlab.cli import main
from crmlab.datasets.needs import MIN_CUSTOMERS, PER_CUSTOMER

ROOT = Path(__file__).resolve().parents[1]
LOAD_CELLS = {"05_rfm": "l05-05", "06_clusters": "l06-07", "07_cohorts": "l07-05", "08_clv_churn": "l08-18",
              "13_capstone": "l13-05"}  # fmt: skip


@pytest.fixture(scope="module")
def till(tmp_path_factory) -> tuple[Path, int]:
    """The till's mapping file, and the number of sales in it (counted from the source rows)."""
    orders = pizza_orders(load_pizzaplace())
    return write_pizza_pos(tmp_path_factory.mktemp("till"), orders), len(orders)


@pytest.fixture(scope="module")
def why(till) -> str:
    """The sentence the check gives, expected word for word from the lessons and the report."""
    mapping, sales = till
    from crmlab.datasets import check_export

    report = check_export(mapping)
    assert report.ok  # the export itself is fine: every row loads
    (reason,) = set(report.refused.values())
    assert f"{sales:,} purchases all belong to one customer (customer_id 0, like a till's guest account)" in reason
    assert f"at least {MIN_CUSTOMERS} distinct customers" in reason
    return reason


def test_check_says_which_lessons_cannot_run_and_why(till, why, capsys):
    mapping, _ = till
    assert main(["check", str(mapping)]) == 0  # it loads: a verdict on lessons is not a failed check
    out = capsys.readouterr().out
    lessons = dict(line.split(maxsplit=1) for line in out.split("== lessons")[1].splitlines()[1:] if line[:2].isdigit())
    for lesson in PER_CUSTOMER:
        assert lessons[lesson] == "cannot run (too few customers, see below)", lesson
    assert out.count(why) == 1 and "`crmlab check`" in why and "`crmlab dashboard kpi --mapping FILE`" in why
    assert lessons["12_cross_selling"].startswith("missing: ")  # other lessons keep their own verdicts


@pytest.fixture(scope="module")
def refusals(till, tmp_path_factory) -> dict:
    """Each lesson run on the till, with the error papermill raised, if any (one at a time: ``run_lesson``
    sets the environment of the kernels it starts)."""
    import papermill as pm

    mapping, _ = till

    def run(lesson: str):
        out = tmp_path_factory.mktemp(lesson)
        try:
            run_lesson(f"{lesson}.ipynb", out, {"MAPPING": str(mapping), "OUTPUT_DIR": str(out / "outputs")}
                       if lesson == "13_capstone" else {"MAPPING": str(mapping)})  # fmt: skip
        except pm.PapermillExecutionError as err:
            return lesson, (err, out)
        return lesson, (None, out)

    return dict(map(run, PER_CUSTOMER))


@pytest.mark.parametrize("lesson", PER_CUSTOMER)
def test_each_lesson_stops_where_it_loads_with_the_same_sentence(refusals, why, lesson):
    import nbformat

    err, out = refusals[lesson]
    assert err is not None, f"{lesson} ran on a till without customers"
    assert (err.ename, err.evalue) == ("LessonDataError", why)
    frames = "\n".join(err.traceback)
    assert "site-packages/pandas" not in frames and "sklearn" not in frames  # stopped by the loader, not deep inside
    executed = nbformat.read(out / f"{lesson}.ipynb", as_version=4)
    failed = [c.get("id") for c in executed.cells if any(o.get("output_type") == "error" for o in c.get("outputs", []))]
    assert failed == [LOAD_CELLS[lesson]]
    assert not (out / "outputs").exists()  # lesson 13 wrote no mailing list


def test_report_exits_non_zero_with_the_sentence_and_writes_no_page(till, why):
    mapping, _ = till
    out = mapping.parent / "reports"
    done = subprocess.run([sys.executable, "-m", "crmlab.cli", "report", "05_rfm", "--mapping", str(mapping),
                           "--out", str(out), "--timeout", "120"], cwd=ROOT, capture_output=True, text=True,
                          timeout=180)  # fmt: skip
    assert done.returncode == 1
    assert done.stderr == f"crmlab report: error: 05_rfm cannot run on this data: {why}\n"
    assert not out.exists()
