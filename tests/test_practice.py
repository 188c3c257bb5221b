"""The practice company: the exercises' data, a sister of the course's company."""

import pandas as pd
import pytest

from crmlab.conventions import COURSE
from crmlab.datasets import PRACTICE_SEED, generate_crm, load_crm, practice_crm


@pytest.fixture(scope="module")
def course():
    return load_crm()


def test_same_tables_and_types_as_the_course_company(course):
    practice = practice_crm()
    assert sorted(practice) == sorted(course)
    for name in course:
        assert practice[name].dtypes.to_dict() == course[name].dtypes.to_dict(), name
    assert sorted(practice.truth) == sorted(course.truth)
    assert practice.conventions == COURSE


def test_other_customers_and_other_figures(course):
    practice = practice_crm(tables=["customers", "orders"])
    # Nothing the lesson printed answers an exercise: revenue, order counts and names all differ.
    assert practice.orders["total_cents"].sum() != course.orders["total_cents"].sum()
    assert len(practice.orders) != len(course.orders)
    both = practice.customers.merge(course.customers, on="customer_id", suffixes=("_p", "_c"))
    assert (both["email_p"] != both["email_c"]).mean() > 0.9


def test_it_is_the_generator_with_the_practice_seed():
    expected = generate_crm(seed=PRACTICE_SEED)
    practice = practice_crm()
    for name in expected:
        pd.testing.assert_frame_equal(practice[name], expected[name], obj=name)


def test_changing_a_copy_does_not_change_what_checks_see():
    first = practice_crm(tables=["orders"])
    first.orders.loc[:, "total_cents"] = 0
    assert practice_crm(tables=["orders"]).orders["total_cents"].sum() > 0


def test_an_unknown_table_is_named():
    with pytest.raises(KeyError, match="no table 'ordres'.*orders"):
        practice_crm(tables=["ordres"])
