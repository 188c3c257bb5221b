"""Lesson 08's reasoning on overwritten fields (issue 11, item 14), its consent claim and its optional parts, read from
the notebook."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pandas as pd
import pytest

from crmlab.datasets import load_crm

PATH = Path(__file__).resolve().parents[1] / "notebooks" / "08_clv_churn.ipynb"


@pytest.fixture(scope="module")
def cells():
    return {c.id: c for c in nbformat.read(PATH, as_version=4).cells}


def _stable_line(cells) -> str:
    """The lines that choose the stable fields: the course's list, then the choice."""
    lines = [s for s in cells["l08-28"].source.splitlines() if s.startswith(("course_fields = ", "stable = "))]
    assert len(lines) == 2
    return "\n".join(lines)


@pytest.mark.parametrize(("data_dir", "mapping", "declared", "expected"), [
    (None, None, None, ["consent_sms", "consent_email", "segment"]),  # the course's data: set at sign-up, never changed
    ("export/", None, None, []),  # a company's tables: nothing assumed stable
    (None, "mapping.toml", None, []),
    (None, "mapping.toml", ["segment"], ["segment"]),  # the analyst who knows may declare
])  # fmt: skip
def test_own_exports_assume_no_field_stable(cells, data_dir, mapping, declared, expected):
    space = {"DATA_DIR": data_dir, "MAPPING": mapping, "STABLE_FIELDS": declared}
    exec("course_data = DATA_DIR is None and MAPPING is None\n" + _stable_line(cells), space)  # noqa: S102
    assert space["stable"] == expected


def test_every_churn_dataset_of_the_lesson_passes_the_declaration(cells):
    calls = [
        c.source
        for key, c in cells.items()
        if c.cell_type == "code" and ("churn_features(" in c.source or "time_split(" in c.source)
    ]
    assert len(calls) >= 4
    assert all("stable_fields=stable" in source for source in calls)
    # the bigger company of the planted-driver check is checked against its own answer key, not the generic one
    assert "churn.drivers_from_truth(big.truth)" in cells["l08-47"].source


def test_the_leak_section_says_what_overwrite_leak_measures(cells):
    text = " ".join(cells["l08-34a"].source.split() + cells["l08-34c"].source.split())
    assert "*today's* value" in text and "stable_fields" in text
    # the ordering it states is pinned on the same data and seed by
    # tests/test_analysis_churn.py::test_a_planted_overwrite_inflates_the_backtest
    assert "looks clearly better than the model without it" in text and "does *worse*" in text
    assert "churn.overwrite_leak(crm, train_cutoff, test_cutoff" in cells["l08-34b"].source
    assert 'field="consent_sms"' in cells["l08-34b"].source  # the consent that test pins, and the company's own


def _churn_by_consent(cutoff: str = "2023-12-31", days: int = 365) -> dict[str, pd.Series]:
    """Plain pandas, no crmlab analysis: the customers with a completed order in the year up to the cutoff (local
    days), churned when they have none in the year after; their churn rate by each consent."""
    crm = load_crm(tables=["customers", "orders"])
    done = crm.orders[crm.orders["status"] == "completed"]
    day = done["ordered_at"].dt.tz_convert("Asia/Tehran").dt.tz_localize(None).dt.normalize()
    cut = pd.Timestamp(cutoff)
    active = done.loc[(day > cut - pd.Timedelta(days=days)) & (day <= cut), "customer_id"].unique()
    again = set(done.loc[(day > cut) & (day <= cut + pd.Timedelta(days=days)), "customer_id"])
    customers = crm.customers.set_index("customer_id").loc[active]
    churned = pd.Series(~customers.index.isin(list(again)), index=customers.index)
    return {field: churned.groupby(customers[field]).mean() for field in ("consent_sms", "consent_email")}


def test_the_consent_claim_holds_on_the_course_data(cells):
    """The lesson says refusing SMS goes with more churn and refusing e-mail with none, and quotes the rates of the
    training customers (39% against 27%; 28% against 30%): recounted here without crmlab's churn module."""
    rates = _churn_by_consent()
    sms, email = rates["consent_sms"], rates["consent_email"]
    assert (round(100 * sms[False]), round(100 * sms[True])) == (39, 27)
    assert (round(100 * email[False]), round(100 * email[True])) == (28, 30)
    assert sms[False] - sms[True] > 0.1 and abs(email[False] - email[True]) < 0.03
    text = " ".join(cells["l08-46b"].source.split())
    assert "39% churned in the following year, against 27%" in text and "(28% against 30%)" in text
    assert "Without SMS consent the odds of churning rise" in " ".join(cells["l08-46"].source.split())


def test_optional_parts_are_marked_and_timed(cells):
    import tempfile

    from crmlab.exercises import timing

    header = " ".join(cells["l08-00"].source.split())
    ids = list(cells)
    parts = {
        "part 1": ids[: ids.index("l08-27")],
        "part 2": ids[ids.index("l08-27") : ids.index("l08-60")],
        "checks": ids[ids.index("l08-60") : ids.index("l08-70")],
        "contracts": ids[ids.index("l08-70") : ids.index("l08-76")],
    }
    minutes = {}
    for name, keep in parts.items():  # each part timed by the course's rule (docs/timing.md)
        path = Path(tempfile.mkdtemp()) / "99_part.ipynb"
        nbformat.write(nbformat.v4.new_notebook(cells=[cells[i] for i in keep]), path)
        minutes[name] = timing.lesson_estimate(path).minutes
    core = timing.lesson_estimate(PATH).minutes - minutes["checks"] - minutes["contracts"]
    minutes = {name: timing.rounded(value) for name, value in minutes.items()}
    assert f"about {timing.rounded(core)} minutes by the course's timing rule" in header
    assert f"Part 1 (lifetime value, about {minutes['part 1']} minutes)" in header
    assert f"Part 2 (churn, about {minutes['part 2']} minutes)" in header
    assert (
        f"add about {minutes['checks']} minutes (Fader" in header
        and f"{minutes['contracts']} minutes (contractual" in header
    )
    assert not any(c.source.startswith("## Optional · When the consent is SMS") for c in cells.values())  # main path
    assert cells["l08-60"].source.startswith("## Optional · Fader and Hardie's own checks")
    assert cells["l08-70"].source.startswith("## Optional · When customers sign a contract")
    assert "fictional" in cells["l08-70"].source


def test_the_at_risk_list_is_named_a_propensity_not_a_response(cells):
    """Issue 11: a churn score ranks who is likely to leave, not whom an offer keeps (that is uplift, lesson 09)."""
    text = " ".join(cells["l08-50"].source.split())
    assert "churn **propensity**" in text and "not by how much a retention offer would change that" in text
    assert "uplift model (lesson 09, *Whom to target*)" in text
    lesson09 = Path(__file__).resolve().parents[1] / "notebooks" / "09_experiments.ipynb"
    headings = [c.source for c in nbformat.read(lesson09, as_version=4).cells if c.cell_type == "markdown"]
    assert any("Whom to target" in h.split("\n")[0] for h in headings)  # the section it points to exists
