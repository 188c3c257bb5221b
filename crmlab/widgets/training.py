"""The training-plan calculator: a thin ipywidgets view over :mod:`crmlab.analysis.training`.

:func:`training_calculator` returns a widget with one box of inputs per method; every
change re-prices the plan with :func:`~crmlab.analysis.training.cost_by_method` and
shows the cost per method and per trained user as a table and a chart. Invalid input
gives a plain message, never a traceback: the callback catches every error (papermill
does not report errors raised inside widget callbacks).

:func:`draw_costs` draws the same chart on any Axes, for notebooks and reports.
"""

from __future__ import annotations

import html
from dataclasses import asdict
from io import BytesIO

import ipywidgets as widgets
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from crmlab.analysis.training import COMPONENTS, TrainingPlan, TrainingPlanError, cost_by_method
from crmlab.conventions import minor_unit_of

__all__ = ["LABELS", "TrainingCalculator", "draw_costs", "training_calculator"]

#: Plain names of the methods and cost components, as the chart and table show them.
LABELS = {
    "face_to_face": "face-to-face",
    "e_learning": "e-learning",
    "in_house": "in-house superusers",
    "trainer": "trainer",
    "travel": "travel",
    "licence": "licences",
    "superuser": "superusers' time",
    "time_away": "trainees' time away",
    "total": "total",
    "per_user": "per trained user",
}

# The inputs, grouped as the calculator shows them: (box title, [(plan field, label), ...]).
_GROUPS = [
    ("Your company", [("n_users", "Users to train"), ("n_sites", "Sites"),
                      ("hourly_cost", "Hour away")]),
    ("Face-to-face", [("classroom_hours", "Course hours"), ("class_size", "Users per class"),
                      ("trainer_day_rate", "Trainer/day"), ("travel_per_site", "Travel/site")]),
    ("E-learning", [("elearning_hours", "Course hours"), ("licence_per_user", "Licence/user")]),
    ("In-house superusers", [("in_house_hours", "Course hours"), ("users_per_superuser", "Users/superuser"),
                             ("superuser_prep_hours", "Prep hours")]),
]  # fmt: skip
_WHOLE = {"n_users", "n_sites", "class_size", "users_per_superuser"}


#: Units of the cost axis: a thousand, a million, a billion of the currency.
_SCALES = ((1e3, "thousand"), (1e6, "million"), (1e9, "billion"))


def draw_costs(costs: pd.DataFrame, ax: Axes | None = None, currency: str = "USD") -> Axes:
    """Stacked bars of each method's cost components, in thousands, millions or billions of ``currency``
    (whichever keeps the largest total under a thousand), with the cost per user.

    Parameters
    ----------
    costs : DataFrame
        The result of :func:`~crmlab.analysis.training.cost_by_method`.
    ax : matplotlib Axes, optional
        Where to draw; a new figure when omitted.
    currency : str
        The plan's currency code, for the labels.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> ax = draw_costs(cost_by_method())
    >>> [t.get_text() for t in ax.get_yticklabels()][::-1]  # top to bottom
    ['face-to-face', 'e-learning', 'in-house superusers']
    """
    if ax is None:
        ax = Figure(figsize=(7, 2.8)).subplots()
    largest = float(costs[list(COMPONENTS)].sum(axis=1).max()) if len(costs) else 0.0
    scale, scale_name = next(((f, n) for f, n in _SCALES if largest < f * 1000), _SCALES[-1])
    parts = costs[list(COMPONENTS)].div(scale).rename(index=LABELS, columns=LABELS)
    parts = parts.loc[:, parts.sum() > 0].iloc[::-1]  # first method on top
    left = pd.Series(0.0, index=parts.index)
    for name in parts.columns:
        ax.barh(parts.index, parts[name], left=left, label=name)
        left += parts[name]
    for y, (total, per_user) in enumerate(zip(left, costs["per_user"].iloc[::-1], strict=True)):
        ax.text(total, y, f"  {currency} {per_user:,.0f} per user", va="center", fontsize=9)
    ax.set_xlim(0, left.max() * 1.35 if left.max() > 0 else 1)
    ax.set(xlabel=f"cost ({scale_name} {currency})", title="Training cost by method")
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, -0.45), ncol=3, frameon=False, fontsize=8)
    return ax


def _table_html(costs: pd.DataFrame, currency: str) -> str:
    shown = costs.rename(index=LABELS, columns=LABELS).rename_axis(None)
    money = {column: (lambda v: f"{currency} {v:,.0f}") for column in shown.columns}
    try:
        decimals = minor_unit_of(currency)  # cents for dollars, none for rials
    except ValueError:
        decimals = 2  # a currency crmlab does not know: show cents, as most currencies have

    money[LABELS["per_user"]] = lambda v: f"{currency} {v:,.{decimals}f}"
    return shown.to_html(formatters=money, border=0)


def _chart_png(costs: pd.DataFrame, currency: str) -> bytes:
    ax = draw_costs(costs, currency=currency)
    buffer = BytesIO()
    ax.figure.savefig(buffer, format="png", dpi=80, bbox_inches="tight")
    return buffer.getvalue()


def _summary(costs: pd.DataFrame, currency: str) -> str:
    per_user = costs["per_user"].sort_values()
    cheapest, dearest = per_user.index[0], per_user.index[-1]
    return (
        f"Cheapest per trained user: <b>{LABELS[cheapest]}</b> ({currency} {per_user.iloc[0]:,.0f}); "
        f"dearest: {LABELS[dearest]} ({currency} {per_user.iloc[-1]:,.0f})."
    )


class TrainingCalculator(widgets.VBox):
    """The calculator widget: inputs, a message line, the cost table and the chart.

    Attributes
    ----------
    controls : dict of str to widget
        One input per :class:`~crmlab.analysis.training.TrainingPlan` field.
    table : DataFrame or None
        The costs shown now; None while the inputs are invalid.
    message : ipywidgets.HTML
        A one-line summary, or what is wrong with the inputs.
    """

    def __init__(self, plan: TrainingPlan | None = None, chart: bool = True) -> None:
        values = asdict(plan if plan is not None else TrainingPlan())
        self.currency = values["currency"]
        self.controls = {name: _input(name, label, values[name]) for _, group in _GROUPS for name, label in group}
        self.table: pd.DataFrame | None = None
        self.message = widgets.HTML()
        self.table_view = widgets.HTML()
        self.chart = widgets.Image(format="png", layout=widgets.Layout(max_width="640px"))
        self._chart = chart
        boxes = [
            widgets.VBox([widgets.HTML(f"<b>{title}</b>")] + [self.controls[name] for name, _ in group])
            for title, group in _GROUPS
        ]
        results = [self.message, self.table_view] + ([self.chart] if chart else [])
        super().__init__([widgets.HBox(boxes, layout=widgets.Layout(flex_flow="row wrap")), *results])
        for control in self.controls.values():
            control.observe(self.refresh, names="value")
        self.refresh()

    def plan(self) -> TrainingPlan:
        """The plan the inputs describe; raises TrainingPlanError when they are invalid."""
        return TrainingPlan(**{name: control.value for name, control in self.controls.items()}, currency=self.currency)

    def refresh(self, change: dict | None = None) -> None:
        """Re-price the plan and update the view; never raises (a widget callback)."""
        try:
            costs = cost_by_method(self.plan())
            table = _table_html(costs, self.currency)
            chart = _chart_png(costs, self.currency) if self._chart else b""
        except TrainingPlanError as exc:
            self._show(None, f"Check the inputs: {exc}", error=True)
            return
        except Exception as exc:  # a bug must not break the notebook: say so plainly
            self._show(None, f"The calculator could not price this plan ({type(exc).__name__}: {exc}).", error=True)
            return
        self._show(costs, _summary(costs, self.currency), table, chart)

    def _show(self, costs, text: str, table: str = "", chart: bytes = b"", error: bool = False) -> None:
        self.table = costs
        self.message.value = f'<span style="color:#b00020">{html.escape(text)}</span>' if error else text
        self.table_view.value = table
        self.chart.value = chart
        self.chart.layout.display = "none" if error or not self._chart else None


def _input(name: str, label: str, value: float) -> widgets.ValueWidget:
    kind = widgets.IntText if name in _WHOLE else widgets.FloatText
    return kind(
        value=value, description=label, continuous_update=False,
        style={"description_width": "120px"}, layout=widgets.Layout(width="210px"),
    )  # fmt: skip


def training_calculator(plan: TrainingPlan | None = None, chart: bool = True) -> TrainingCalculator:
    """The interactive training-plan calculator, starting from ``plan``.

    Parameters
    ----------
    plan : TrainingPlan, optional
        The starting inputs; the default plan when omitted.
    chart : bool
        Draw the chart under the table (False is faster, for tests and slow machines).

    Returns
    -------
    TrainingCalculator
        Display it as a cell's last line. ``calc.controls["n_users"].value = 100``
        changes an input from code; ``calc.table`` holds the costs shown.

    Examples
    --------
    >>> calc = training_calculator(TrainingPlan(n_users=40, n_sites=3), chart=False)
    >>> calc.table["per_user"].tolist()
    [697.5, 390.0, 516.0]
    >>> calc.controls["n_sites"].value = 0
    >>> calc.table is None, calc.message.value.count("n_sites")
    (True, 1)
    """
    return TrainingCalculator(plan, chart=chart)
