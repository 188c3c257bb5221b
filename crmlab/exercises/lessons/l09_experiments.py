"""Exercises of lesson 09, *Controlled experiments*: the draw, the uplift, power, self-selection, launches.

Expected values are computed from the course's database on the first check, never typed in.
"""

from __future__ import annotations

import math
from functools import cache

import pandas as pd
from scipy import stats
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import proportion_effectsize

from crmlab.analysis import experiments
from crmlab.datasets import practice_crm
from crmlab.exercises import CompareOptions, Mistake, Question, Reflection
from crmlab.exercises.lessons import shown_by

TITLE = "Controlled experiments"
EXPERIMENT, LOYALTY, UPGRADE = 4, 3, 6  # spring mailing (randomised); loyalty newsletter; upgrade offer (randomised)
MDE = 0.02  # the uplift the next test must be able to find (question 4)
Z95 = stats.norm.ppf(0.975)


@cache
def _crm():
    return practice_crm(tables=["campaigns", "campaign_contacts", "customers", "orders", "order_lines", "products"])


@cache
def _exp() -> pd.DataFrame:
    return experiments.campaign_frame(_crm(), EXPERIMENT)


@cache
def _loyalty() -> pd.DataFrame:
    return experiments.campaign_frame(_crm(), LOYALTY)


@cache
def _offer() -> pd.DataFrame:
    return experiments.campaign_frame(_crm(), UPGRADE)


def _offer_uplift(consent: bool | None = False, relative: bool = False) -> float:
    """The upgrade offer's observed uplift among customers with this ``consent_sms`` (None: everyone)."""
    offer = _offer()
    if consent is None:
        return float(experiments.uplift_test(offer)["relative_uplift" if relative else "uplift"])
    row = experiments.uplift_by_group(offer, "consent_sms").loc[consent]
    return float(row["uplift"] / row["rate_control"] if relative else row["uplift"])


@cache
def _phases() -> pd.DataFrame:
    crm = _crm()
    return experiments.launch_phases(crm.products, crm.orders, crm.order_lines)


def _launch() -> int:
    """The first product launched inside the data window (question 6)."""
    crm = _crm()
    return int(experiments.launched_products(crm.products, crm.orders, crm.order_lines).index[0])


def _groups() -> pd.DataFrame:
    """Customers and responders of the experiment, by group."""
    return experiments.response_rates(_exp())


def _n(group: str) -> int:
    return int(_groups().loc[group, "customers"])


def _rate(group: str) -> float:
    return float(_groups().loc[group, "rate"])


def _uplift() -> pd.Series:
    return experiments.uplift_test(_exp())


def _interval(se: float, z: float = Z95, centre: float | None = None) -> tuple[float, float]:
    centre = _uplift()["uplift"] if centre is None else centre
    return (centre - z * se, centre + z * se)


def _se(pooled: bool = False, summed: bool = False) -> float:
    p1, p0, n1, n0 = _rate("treatment"), _rate("control"), _n("treatment"), _n("control")
    if pooled:
        p = (p1 * n1 + p0 * n0) / (n1 + n0)
        return math.sqrt(p * (1 - p) * (1 / n1 + 1 / n0))
    if summed:
        return math.sqrt(p1 * (1 - p1) / n1) + math.sqrt(p0 * (1 - p0) / n0)
    return math.sqrt(p1 * (1 - p1) / n1 + p0 * (1 - p0) / n0)


def _chisquare(column: str = "customers", statistic: bool = False) -> float:
    """The chi-square test of the two groups' counts in ``column`` against equal shares."""
    result = stats.chisquare([_groups().loc["treatment", column], _groups().loc["control", column]])
    return float(result.statistic if statistic else result.pvalue)


def _binomial() -> float:
    return float(stats.binomtest(_n("treatment"), _n("treatment") + _n("control")).pvalue)


def _rate_interval() -> tuple[float, float]:
    """The Wald interval of the treatment group's own rate."""
    p, n = _rate("treatment"), _n("treatment")
    return _interval(math.sqrt(p * (1 - p) / n), centre=p)


def _responders_vs_not() -> float:
    """The share of treated customers among responders minus among non-responders."""
    exp = _exp()
    treated = exp["group"] == "treatment"
    return float(treated[exp["responded"]].mean() - treated[~exp["responded"]].mean())


def _sample_size(base: float | None = None, uplift: float = MDE, alternative: str = "two-sided") -> float:
    base = _rate("control") if base is None else base
    h = proportion_effectsize(base + uplift, base)
    return float(NormalIndPower().solve_power(effect_size=h, alpha=0.05, power=0.8, alternative=alternative))


def _fleiss() -> float:
    """The classic normal-approximation formula (pooled variance under the null)."""
    p0 = _rate("control")
    p1, bar = p0 + MDE, p0 + MDE / 2
    za, zb = Z95, stats.norm.ppf(0.8)
    return (za * math.sqrt(2 * bar * (1 - bar)) + zb * math.sqrt(p0 * (1 - p0) + p1 * (1 - p1))) ** 2 / MDE**2


def _gaps(before: str = "bought_recently", relative: bool = False, frame=None, mailed_only: bool = False) -> dict:
    """Members (mailed or held out: all who joined) minus the others, during and before the newsletter."""
    frame = _loyalty() if frame is None else frame
    if mailed_only:
        frame = frame[frame["group"] != "held_out"]
    member = frame["group"] != "not_opted_in"
    out = {}
    for key, column in [("during", "responded"), ("before", before)]:
        rates = frame.groupby(member)[column].mean()
        members, others = rates[True], rates[False]
        out[key] = members / others - 1 if relative else members - others
    return {k: float(v) for k, v in out.items()}


def _gaps_year() -> dict:
    crm = _crm()
    start = crm.campaigns.set_index("campaign_id").loc[LOYALTY, "starts_on"]
    history = experiments.customer_history(crm.customers, crm.orders, start, recent_days=365)
    frame = _loyalty()[["group", "responded"]].join(history["bought_recently"])
    return _gaps(frame=frame)


def _launch_ratio(phases: tuple[int, ...] = (1, 2, 3), others: int = 0) -> float:
    """The launch's share of its category's orders over ``phases``, over an average product's.

    An average product's share is one over the products on sale (the launch included);
    ``others=1`` reproduces the slip of leaving the launch itself out of that count.
    """
    rows = _phases().loc[_launch()].loc[list(phases)]
    mine = rows["orders"].sum() / rows["category_orders"].sum()
    fair = (rows["category_orders"] / (rows["products_on_sale"] - others)).sum() / rows["category_orders"].sum()
    return float(mine / fair)


QUESTIONS = [
    Question(
        "q1",
        "Sample-ratio check of the spring mailing (campaign 4): the p-value of a chi-square test of the "
        "two group sizes against the planned 50/50 split, in `srm_p`.",
        expected=_chisquare,
        hints=[
            "Count the customers in each group of `exp`: everyone the lots put there, responders or not.",
            "With no expected counts given, `scipy.stats.chisquare` tests against equal shares.",
            "`stats.chisquare([sizes['treatment'], sizes['control']]).pvalue`",
        ],
        solution="sizes = exp['group'].value_counts()\n"
        "srm_p = stats.chisquare([sizes['treatment'], sizes['control']]).pvalue",
        mistakes=[
            Mistake("You tested the numbers of responders. The sample-ratio check compares the group "
                    "sizes, every customer the lots put in each group, with the planned 50/50 split.",
                    expected=lambda: _chisquare("responders")),  # fmt: skip
            Mistake("That looks like an exact binomial test's p-value: a sound test too, but this question "
                    "asks for the chi-square test the lesson uses, `stats.chisquare([...]).pvalue`.",
                    expected=_binomial),  # fmt: skip
            Mistake("That is the p-value of the uplift (the response rates compared). The sample-ratio "
                    "check looks only at how many customers landed in each group.",
                    expected=lambda: float(_uplift()["p_value"])),  # fmt: skip
            Mistake("That is the chi-square statistic, not its p-value: take `.pvalue` of the result.",
                    expected=lambda: _chisquare(statistic=True)),  # fmt: skip
        ],
        compare=CompareOptions(rtol=1e-4),
        correct_message="Far from alarming: the draw kept the planned split.",
    ),
    Question(
        "q2",
        "The absolute uplift of the spring mailing: the treatment group's response rate minus the control "
        "group's, as a share (0.01 for 1 percentage point), in `uplift`.",
        expected=lambda: float(_uplift()["uplift"]),
        hints=[
            "A response rate is the share of a group's customers with `responded == True`.",
            "Compute one rate per group, then subtract: treatment minus control.",
            "`exp.loc[exp['group'] == 'treatment', 'responded'].mean()`, and the same for control.",
        ],
        solution="rate_t = exp.loc[exp['group'] == 'treatment', 'responded'].mean()\n"
        "rate_c = exp.loc[exp['group'] == 'control', 'responded'].mean()\n"
        "uplift = rate_t - rate_c",
        mistakes=[
            Mistake("That is the relative uplift (the rise divided by the control's rate). The question asks "
                    "for the absolute uplift: the treatment's rate minus the control's.",
                    expected=lambda: float(_uplift()["relative_uplift"])),  # fmt: skip
            Mistake("That is the uplift in percentage points (a number like 2.4); give it as a share, "
                    "as the rates are (0.024).",
                    expected=lambda: 100 * float(_uplift()["uplift"])),  # fmt: skip
            Mistake("Your uplift has the wrong sign: take the treatment's rate minus the control's.",
                    expected=lambda: -float(_uplift()["uplift"])),  # fmt: skip
            Mistake("You compared responders with non-responders. The uplift compares the two groups the "
                    "lots made, treatment against control, counting everyone in each group.",
                    expected=_responders_vs_not),  # fmt: skip
            Mistake("You subtracted numbers of responders. The groups differ in size: compare rates, "
                    "responders divided by the customers of each group.",
                    expected=lambda: float(_groups()["responders"].diff().abs().iloc[-1])),  # fmt: skip
            Mistake("That is the treatment group's response rate alone: subtract the control group's.",
                    expected=lambda: _rate("treatment")),  # fmt: skip
        ],
        compare=CompareOptions(rtol=1e-6),
    ),
    Question(
        "q3",
        "The 95% confidence interval of that uplift, as `ci = (low, high)`: the Wald interval, the uplift "
        "plus or minus 1.96 standard errors of a difference between two rates.",
        expected=lambda: tuple(float(v) for v in _interval(_se())),
        hints=[
            "The standard error of a difference adds the two groups' variances: "
            "`p_t * (1 - p_t) / n_t + p_c * (1 - p_c) / n_c`, then the square root.",
            "Each group's `n` is its number of customers (`sizes` from question 1).",
            "`se = (rate_t * (1 - rate_t) / n_t + rate_c * (1 - rate_c) / n_c) ** 0.5`, then "
            "`ci = (uplift - 1.96 * se, uplift + 1.96 * se)`.",
        ],
        solution="n_t = sizes['treatment']\nn_c = sizes['control']\n"
        "se = (rate_t * (1 - rate_t) / n_t + rate_c * (1 - rate_c) / n_c) ** 0.5\n"
        "ci = (uplift - 1.96 * se, uplift + 1.96 * se)",
        mistakes=[
            Mistake("That is the interval of the treatment group's response rate alone. The uplift's "
                    "interval is centred on the difference of the two rates, and its standard error "
                    "adds both groups' variances.",
                    expected=_rate_interval),  # fmt: skip
            Mistake("Your interval is too narrow: it looks like a 90% interval (z = 1.645). "
                    "A 95% interval uses z = 1.96.",
                    expected=lambda: _interval(_se(), z=stats.norm.ppf(0.95))),  # fmt: skip
            Mistake("You added the two standard errors. Add the two variances, then take the square root "
                    "of the sum.",
                    expected=lambda: _interval(_se(summed=True))),  # fmt: skip
            # No message for the z-test's pooled rate: with groups as even as the practice company's (909 and
            # 915) it gives the same interval to the check's tolerance.
            Mistake("Give the lower end first: `ci = (low, high)`.",
                    expected=lambda: _interval(_se())[::-1]),  # fmt: skip
        ],
        compare=CompareOptions(rtol=1e-3, atol=1e-4, ignore_order=False),
        correct_message="It contains the planted +4 points, and not 0.",
    ),
    Question(
        "q4",
        "Next spring's test must be able to find an uplift of 2 percentage points over the control "
        "rate observed this time, with 80% power and a two-sided test at 5%. How many customers does it "
        "need in **each group**? Use statsmodels as the lesson does; an integer in `n_per_group`.",
        expected=lambda: math.ceil(_sample_size()),
        hints=[
            "The base rate is the control group's response rate (`rate_c`); the treated rate is 2 points higher.",
            "`proportion_effectsize(base + 0.02, base)` gives the effect size `h`; "
            "`NormalIndPower().solve_power(effect_size=h, alpha=0.05, power=0.8)` the size of one group.",
            "Round up with `math.ceil`: a fraction of a customer still needs a whole one.",
        ],
        solution="h = proportion_effectsize(rate_c + 0.02, rate_c)\n"
        "n_per_group = math.ceil(NormalIndPower().solve_power(effect_size=h, alpha=0.05, power=0.8))",
        mistakes=[
            Mistake("That is the total for both groups. The question asks for the customers in each group.",
                    when=shown_by(lambda a: abs(float(a) - 2 * _sample_size()) <= 2,
                                 example=lambda: 2 * math.ceil(_sample_size()))),  # fmt: skip
            Mistake("That is the size for a one-sided test (`alternative='larger'`). The test is two-sided: "
                    "a mailing could also lower response.",
                    when=shown_by(lambda a: abs(float(a) - _sample_size(alternative="larger")) <= 1,
                                 example=lambda: math.ceil(_sample_size(alternative="larger")))),  # fmt: skip
            Mistake("You used the planted 6% base rate. Plan with the control rate observed in this test.",
                    when=shown_by(lambda a: abs(float(a) - _sample_size(base=0.06)) <= 1,
                                 example=lambda: math.ceil(_sample_size(base=0.06)))),  # fmt: skip
            Mistake("That is the size for a 4-point uplift; the question asks for 2 points.",
                    when=shown_by(lambda a: abs(float(a) - _sample_size(uplift=0.04)) <= 1,
                                 example=lambda: math.ceil(_sample_size(uplift=0.04)))),  # fmt: skip
            Mistake("That is the classic formula's answer: close, but this question uses statsmodels "
                    "(`proportion_effectsize` and `NormalIndPower`), as the lesson does.",
                    when=shown_by(lambda a: abs(float(a) - _fleiss()) <= 1,
                                  example=lambda: math.ceil(_fleiss()))),  # fmt: skip
            Mistake("Round up: a fraction of a customer still needs a whole one (`math.ceil`).",
                    when=shown_by(lambda a: float(a) == math.floor(_sample_size()),
                                 example=lambda: math.floor(_sample_size()))),  # fmt: skip
        ],
        compare=CompareOptions(atol=1.0),
    ),
    Question(
        "q5",
        "The loyalty newsletter (campaign 3): the gap between members and the others (`not_opted_in`) in "
        "the share who bought, **during** the campaign (`responded`) and in the 60 days **before** it "
        "(`bought_recently`), members minus others, as shares: `gaps = {'during': ..., 'before': ...}`. "
        "Members are everyone who joined: those mailed (`opted_in`) and those held back (`held_out`).",
        expected=_gaps,
        hints=[
            "Flag the members first: `member = loyalty['group'] != 'not_opted_in'`.",
            "Group `loyalty` by that flag and take the mean of `responded`, then of `bought_recently`.",
            "`rates = loyalty.groupby(member)[['responded', 'bought_recently']].mean()`; members are the "
            "row `True`, the others `False`.",
        ],
        solution="member = loyalty['group'] != 'not_opted_in'\n"
        "rates = loyalty.groupby(member)[['responded', 'bought_recently']].mean()\n"
        "gaps = {'during': rates.loc[True, 'responded'] - rates.loc[False, 'responded'],\n"
        "        'before': rates.loc[True, 'bought_recently'] - rates.loc[False, 'bought_recently']}",
        mistakes=[
            Mistake("You compared only the mailed members (`opted_in`). The claim is about everyone who joined: "
                    "count the held-out members (`held_out`) as members too.",
                    expected=lambda: _gaps(mailed_only=True)),  # fmt: skip
            Mistake("Those are relative gaps (members' rate divided by the others', minus 1). Give the "
                    "differences of the two shares.",
                    expected=lambda: _gaps(relative=True)),  # fmt: skip
            Mistake("Your two gaps are swapped: 'during' is about `responded`, 'before' about "
                    "`bought_recently`.",
                    expected=lambda: {"during": _gaps()["before"], "before": _gaps()["during"]}),  # fmt: skip
            Mistake("Your 'before' gap compares numbers of orders. Compare the same kind of number as "
                    "during the campaign: the share of customers who bought (`bought_recently`).",
                    expected=lambda: _gaps(before="orders_before")),  # fmt: skip
            Mistake("Your 'before' window is a whole year. Use a window as long as the campaign's (60 days, "
                    "`bought_recently`), so both gaps ask the same question.",
                    expected=_gaps_year),  # fmt: skip
        ],
        compare=CompareOptions(rtol=1e-6),
        correct_message="Members bought more often than the others before the newsletter was ever sent: the gap is "
        "partly, perhaps wholly, who joined. Only the randomised holdout measures the newsletter itself.",
    ),
    Question(
        "q6",
        "Phones model E, the first product launched inside the data (`launches.index[0]`), after "
        "**weeks 1-12**: its share of its category's orders over weeks 1-12, divided by the share an "
        "average product of the category had in the same weeks (one over `products_on_sale`, the new "
        "product included). One number in `ratio_e` (1.0 = typical).",
        expected=_launch_ratio,
        hints=[
            "`phases.loc[launches.index[0]]` holds its phases; phases 1, 2 and 3 are weeks 1-4, 5-8 and 9-12.",
            "A share over several phases is a ratio of sums: orders summed over the phases, divided by "
            "category orders summed over the same phases. An average product would have sold "
            "`category_orders / products_on_sale` orders in each phase.",
            "`e = phases.loc[launches.index[0]].loc[[1, 2, 3]]`; "
            "`(e['orders'].sum() / e['category_orders'].sum()) / "
            "((e['category_orders'] / e['products_on_sale']).sum() / e['category_orders'].sum())`",
        ],
        solution="e = phases.loc[launches.index[0]].loc[[1, 2, 3]]\n"
        "share = e['orders'].sum() / e['category_orders'].sum()\n"
        "average = (e['category_orders'] / e['products_on_sale']).sum() / e['category_orders'].sum()\n"
        "ratio_e = share / average",
        mistakes=[
            Mistake("You compared weeks 9-12 alone. The rule judges sales to date: weeks 1 to 12 together.",
                    expected=lambda: _launch_ratio(phases=(3,))),  # fmt: skip
            Mistake("That is the ratio after weeks 1-4 only; take phases 1 to 3 together.",
                    expected=lambda: _launch_ratio(phases=(1,))),  # fmt: skip
            Mistake("That is the ratio after weeks 1-8; add the weeks 9-12 (phase 3).",
                    expected=lambda: _launch_ratio(phases=(1, 2))),  # fmt: skip
            Mistake("Your ratio is upside down: divide the launch's share by an average product's.",
                    expected=lambda: 1 / _launch_ratio()),  # fmt: skip
            Mistake("You left the new product out of the products on sale. It is one of them: an average "
                    "product's share is one over `products_on_sale` as given.",
                    expected=lambda: _launch_ratio(others=1)),  # fmt: skip
        ],
        compare=CompareOptions(rtol=1e-6),
        correct_message="Well above a typical product's share: the lesson's board backs it (go).",
    ),
    Question(
        "q12",
        "The autumn upgrade offer (campaign 6, `offer`) was randomised. Its observed uplift among the "
        "customers **without** SMS consent (`consent_sms` False): their treatment group's response "
        "rate minus their control group's, as a share, in `uplift_no_consent`.",
        expected=_offer_uplift,
        hints=[
            "Keep the rows of `offer` whose `consent_sms` is False, then compare the two groups as in question 2.",
            "`no = offer[~offer['consent_sms']]`; the response rate of each group is the mean of `responded`.",
            "`rates = no.groupby('group')['responded'].mean()`; then treatment minus control.",
        ],
        solution="no = offer[~offer['consent_sms']]\n"
        "rates = no.groupby('group')['responded'].mean()\n"
        "uplift_no_consent = rates['treatment'] - rates['control']",
        mistakes=[
            Mistake("That is the uplift of the customers **with** SMS consent. Keep those whose "
                    "`consent_sms` is False.",
                    expected=lambda: _offer_uplift(consent=True)),  # fmt: skip
            Mistake("That is the offer's average uplift over everyone. Restrict it to the customers without "
                    "SMS consent first.",
                    expected=lambda: _offer_uplift(consent=None)),  # fmt: skip
            Mistake("Your uplift has the wrong sign: take the treatment's rate minus the control's.",
                    expected=lambda: -_offer_uplift()),  # fmt: skip
            Mistake("That is a relative uplift (divided by the control's rate). Give the difference of the "
                    "two rates.",
                    expected=lambda: _offer_uplift(relative=True)),  # fmt: skip
        ],
        compare=CompareOptions(rtol=1e-6),
        correct_message="Below zero: mailed, they bought less. Sleeping dogs: leave them out of the next offer.",
    ),
    Reflection(
        "q9",
        "In two or three sentences, as text in `plan`: how would you run next year's loyalty newsletter so "
        "that it tells you whether the newsletter itself makes members buy more?",
        solution="Draw lots among the members: mail a random half and hold the other half back, after checking "
        "the two halves look alike before. Decide the measure (bought within 60 days) and the size in advance: "
        "a 5-point effect on a response rate of about a third needs about 1,450 members per group, so run it over "
        "several months.",
        rubric=[
            "Randomises: lots drawn among the members decide who is mailed and who is held back.",
            "Checks the two groups look alike before the mailing (the draw, not the result).",
            "Fixes the measure and the period in advance (e.g. bought within 60 days).",
            "Sizes the groups for the effect worth finding (a power calculation), not for convenience.",
        ],
    ),
]
