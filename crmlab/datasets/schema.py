"""The schema of the CRM database: tables, columns, types, keys and their meaning.

One source for four things: the dtypes every loader returns, the key checks the
tests run, the data dictionary in ``datasets/README.md`` (:func:`data_dictionary`), and
the contract for a company's own export: the columns each table *requires*
(:attr:`Table.required`); the others are optional and may be absent, and extra columns
are kept (:func:`apply_schema` with ``strict=False``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from ..errors import SchemaError
from .options import ReadOptions
from .values import cast_column

__all__ = ["TABLES", "ColumnPlan", "Table", "apply_schema", "column_plan", "data_dictionary"]

TS = "datetime64[s, UTC]"  # an instant, stored in UTC
DATE = "datetime64[s]"  # a local calendar date (Asia/Tehran), at midnight


@dataclass(frozen=True)
class Table:
    """One table: what a row is, its columns ``(name, dtype, meaning)``, its keys, and its contract.

    ``required`` lists the columns a company's export must have for this table; the
    others are optional (the course's own database has them all).

    Examples
    --------
    >>> TABLES["orders"].primary_key
    ('order_id',)
    >>> TABLES["orders"].dtypes["ordered_at"]
    'datetime64[s, UTC]'
    >>> TABLES["orders"].required
    ('customer_id', 'ordered_at', 'total_cents')
    """

    row: str
    columns: tuple
    primary_key: tuple
    foreign_keys: dict = field(default_factory=dict)  # column -> "table.column"
    truths: str = ""
    required: tuple = ()  # columns an export must have; empty means all (see _REQUIRED)

    @property
    def dtypes(self) -> dict:
        return {name: dtype for name, dtype, _ in self.columns}


_CUSTOMER_COLUMNS = (
    ("customer_id", "int64", "Customer key."),
    ("first_name", "str", "Given name."),
    ("last_name", "str", "Family name."),
    ("company_name", "str", "Company, for business customers; empty for consumers."),
    ("email", "str", "E-mail address (business customers use their company domain)."),
    ("phone", "str", "Mobile number in international form, +98..."),
    ("segment", "str", "consumer, small_business or enterprise."),
    ("region", "str", "Sales region: Capital, Central, West, East, South, North."),
    ("city", "str", "City within the region."),
    ("acquisition_channel", "str", "Channel through which the customer first came (see `channels`)."),
    ("signup_date", DATE, "Day the customer record was created."),
    ("birth_year", "Int16", "Year of birth, consumers only; empty for businesses."),
    ("consent_email", "bool", "Agreed to receive marketing e-mail."),
    ("consent_sms", "bool", "Agreed to receive marketing text messages."),
    ("national_code", "str", "Iranian national code: ten digits, the last a check digit (text: leading zeros count)."),
)
_ORDER_COLUMNS = (
    ("order_id", "int64", "Order key, increasing with time."),
    ("customer_id", "int64", "Who ordered."),
    ("ordered_at", TS, "When the order was placed (UTC)."),
    ("channel", "str", "Where: web, store, call_centre, field_sales, instagram or telegram (a key of `channels`)."),
    ("rep_id", "Int64", "Rep who took the order (call centre and field sales only)."),
    ("campaign_id", "Int64", "Campaign code used on the order, if any."),
    ("status", "str", "completed, cancelled or returned."),
    ("total_cents", "int64", "Sum of the order lines after discounts, in minor units (cents; whole rials)."),
)
_TICKET_COLUMNS = (
    ("ticket_id", "int64", "Ticket key, increasing with time."),
    ("customer_id", "int64", "Who asked for help."),
    ("channel", "str", "call_centre, web, mail or store."),
    ("priority", "str", "urgent, high, normal or low."),
    ("topic", "str", "billing, delivery, product_fault, account or how_to."),
    ("created_at", TS, "When the ticket was opened (UTC)."),
    ("first_response_at", TS, "First answer from an agent (UTC); empty if none by the export."),
    ("resolved_at", TS, "When it was closed as solved (UTC); empty while open."),
    ("sla_hours", "int16", "Hours allowed until the first response: urgent 4, high 8, normal 24, low 72."),
    ("contacts_to_resolve", "Int16", "Contacts it took; 1 means first-contact resolution. Empty while open."),
    ("satisfaction", "Int8", "Survey score 1 (bad) to 5 (good); empty when not answered."),
    ("agent_id", "int64", "Support rep who handled it (`reps`)."),
)

TABLES: dict[str, Table] = {
    "customers": Table(
        "one customer (clean: no duplicates or test records)", _CUSTOMER_COLUMNS, ("customer_id",),
        truths="churn drivers (segment, consent, channel count, service); region skews service quality",
    ),
    "channels": Table(
        "one way customers and the company reach each other",
        (
            ("channel", "str", "Channel key: mail, web, store, call_centre, field_sales, advertising, instagram, "
                                        "telegram, sms (the market's channels)."),
            ("is_online", "bool", "Whether the channel is online."),
            ("direction", "str", "inbound (the customer starts) or outbound (the company starts)."),
            ("description", "str", "What the channel is."),
        ),
        ("channel",),
    ),
    "interactions": Table(
        "one touch between a customer and the company through a channel",
        (
            ("interaction_id", "int64", "Interaction key, increasing with time."),
            ("customer_id", "int64", "Who."),
            ("channel", "str", "Through which channel."),
            ("occurred_at", TS, "When (UTC; local business hours are 3.5 hours ahead)."),
            ("interaction_type", "str", "mailing, visit, call, meeting or ad_click."),
            ("outcome", "str", "What came of it, e.g. no_response, enquiry, complaint, proposal."),
            ("rep_id", "Int64", "Rep involved (call centre and field sales only)."),
        ),
        ("interaction_id",),
        {"customer_id": "customers.customer_id", "channel": "channels.channel", "rep_id": "reps.rep_id"},
        truths="a customer silent in one channel is often active in another; mailings go on after churn",
    ),
    "categories": Table(
        "one product category",
        (("category_id", "int64", "Category key."), ("name", "str", "Category name.")),
        ("category_id",),
    ),
    "products": Table(
        "one product",
        (
            ("product_id", "int64", "Product key."),
            ("sku", "str", "Stock-keeping unit code."),
            ("category_id", "int64", "Category (`categories`)."),
            ("name", "str", "Product name."),
            ("list_price_cents", "int64", "List price in minor units of the currency (cents; whole rials)."),
            ("launched_on", DATE, "Launch date."),
        ),
        ("product_id",),
        {"category_id": "categories.category_id"},
    ),
    "orders": Table(
        "one order", _ORDER_COLUMNS, ("order_id",),
        {"customer_id": "customers.customer_id", "channel": "channels.channel", "rep_id": "reps.rep_id",
         "campaign_id": "campaigns.campaign_id"},
        truths="seasonality (the shopping season: see the planted truths); online vs in-store preference per customer",
    ),
    "order_lines": Table(
        "one product on an order",
        (
            ("order_id", "int64", "Order (`orders`)."),
            ("line_no", "int16", "Line number within the order, from 1."),
            ("product_id", "int64", "Product (`products`)."),
            ("quantity", "int32", "Units."),
            ("unit_price_cents", "int64", "Price per unit in minor units of the currency (cents; whole rials)."),
            ("discount_cents", "int64", "Discount on the line in minor units of the currency (cents; whole rials)."),
        ),
        ("order_id", "line_no"),
        {"order_id": "orders.order_id", "product_id": "products.product_id"},
        truths=(
            "cross-sell pairs: Laptops with Accessories, Software, Services; "
            "Phones with Accessories; Printers with Ink & Paper"
        ),
    ),
    "shipments": Table(
        "one delivery of an order that did not leave from a store",
        (
            ("shipment_id", "int64", "Shipment key."),
            ("order_id", "int64", "Order shipped."),
            ("carrier", "str", "Tipax, Post or Chapar."),
            ("promised_date", DATE, "Delivery date promised to the customer."),
            ("shipped_at", TS, "When it left the warehouse (UTC); empty if not shipped by the export."),
            ("delivered_date", DATE, "Local delivery date; empty if not delivered by the export."),
        ),
        ("shipment_id",),
        {"order_id": "orders.order_id"},
        truths="far regions (South, East) and the Post carrier deliver late more often",
    ),
    "invoices": Table(
        "one invoice for an order that was not cancelled",
        (
            ("invoice_id", "int64", "Invoice key."),
            ("order_id", "int64", "Order invoiced."),
            ("customer_id", "int64", "Customer billed."),
            ("issued_date", DATE, "Date of issue."),
            ("due_date", DATE, "Payment due (consumers pay at once, businesses within 30 days)."),
            ("amount_cents", "int64", "Amount due in minor units of the currency (the order total)."),
        ),
        ("invoice_id",),
        {"order_id": "orders.order_id", "customer_id": "customers.customer_id"},
    ),
    "payments": Table(
        "one payment against an invoice",
        (
            ("payment_id", "int64", "Payment key."),
            ("invoice_id", "int64", "Invoice paid."),
            ("paid_date", DATE, "Date received."),
            ("amount_cents", "int64", "Amount in minor units of the currency (cents; whole rials)."),
            ("method", "str", "card, bank_transfer or cash."),
        ),
        ("payment_id",),
        {"invoice_id": "invoices.invoice_id"},
        truths="some business invoices are paid late, in two parts, or not at all",
    ),
    "web_registrations": Table(
        "one web-shop account",
        (
            ("registration_id", "int64", "Registration key."),
            ("customer_id", "int64", "Customer who registered."),
            ("registered_at", TS, "When (UTC)."),
            ("source", "str", "organic, search_ad, social or email."),
            ("device", "str", "mobile, desktop or tablet."),
        ),
        ("registration_id",),
        {"customer_id": "customers.customer_id"},
    ),
    "campaigns": Table(
        "one marketing campaign",
        (
            ("campaign_id", "int64", "Campaign key."),
            ("name", "str", "Campaign name."),
            ("channel", "str", "Channel used."),
            ("target_category_id", "Int64", "Category promoted, if any."),
            ("starts_on", DATE, "First day."),
            ("ends_on", DATE, "Last day."),
            ("is_experiment", "bool", "Whether customers were randomised into treatment and control."),
            ("cost_cents", "int64", "Total cost in minor units of the currency (cents; whole rials)."),
        ),
        ("campaign_id",),
        {"channel": "channels.channel", "target_category_id": "categories.category_id"},
        truths="campaign 4 is a randomised experiment with a known uplift; campaign 3 is self-selected (true effect 0)",
    ),
    "campaign_contacts": Table(
        "one customer in one campaign (reached, or held back as control)",
        (
            ("campaign_id", "int64", "Campaign."),
            ("customer_id", "int64", "Customer."),
            ("group", "str", "contacted; treatment / control (experiment); opted_in / not_opted_in (self-selected); "
                             "held_out (joined the newsletter, held back at random)."),
            ("contacted_at", TS, "When the message went out (UTC); empty for control and not_opted_in."),
            (
                "responded", "bool",
                "Bought within the campaign window (30 days; 60 for the loyalty newsletter), "
                "in the target category if any.",
            ),
            ("responded_at", TS, "When the responding order was placed (UTC)."),
            ("order_id", "Int64", "The responding order."),
        ),
        ("campaign_id", "customer_id"),
        {"campaign_id": "campaigns.campaign_id", "customer_id": "customers.customer_id", "order_id": "orders.order_id"},
        truths="experiment uplift of 4 percentage points over a 6% base rate",
    ),
    "tickets": Table(
        "one support request", _TICKET_COLUMNS, ("ticket_id",),
        {"customer_id": "customers.customer_id", "channel": "channels.channel", "agent_id": "reps.rep_id"},
        truths="customers with bad service (slow, many contacts, low scores; commoner in the South) churn faster",
    ),
    "opportunities": Table(
        "one sales deal with a business customer",
        (
            ("opportunity_id", "int64", "Opportunity key, increasing with time."),
            ("customer_id", "int64", "Customer."),
            ("rep_id", "int64", "Owner (a field or inside sales rep)."),
            ("created_at", TS, "When the deal was opened (UTC)."),
            ("amount_cents", "int64", "Expected value in minor units of the currency (cents; whole rials)."),
            ("stage", "str", "Stage now: prospecting, qualification, proposal, negotiation, closed_won, closed_lost."),
            ("closed_at", TS, "When it was won or lost (UTC); empty while open."),
        ),
        ("opportunity_id",),
        {"customer_id": "customers.customer_id", "rep_id": "reps.rep_id"},
        truths="reps with more complete data entry close faster",
    ),
    "opportunity_stages": Table(
        "one stage a deal entered",
        (
            ("opportunity_id", "int64", "Opportunity."),
            ("stage", "str", "Stage entered."),
            ("entered_at", TS, "When (UTC)."),
        ),
        ("opportunity_id", "stage"),
        {"opportunity_id": "opportunities.opportunity_id"},
    ),
    "reps": Table(
        "one member of staff who works in the CRM",
        (
            ("rep_id", "int64", "Rep key."),
            ("first_name", "str", "Given name."),
            ("last_name", "str", "Family name."),
            ("email", "str", "Work e-mail."),
            ("team", "str", "field_sales, inside_sales or support."),
            ("region", "str", "Region the rep covers."),
            ("hired_on", DATE, "Hiring date."),
            ("training_method", "str", "How the rep was trained on the CRM: face_to_face, e_learning or in_house."),
            ("trained_on", DATE, "Day the training ended."),
        ),
        ("rep_id",),
        truths=(
            "the training method is self-selected "
            "(capital: classroom; remote regions: e-learning; keener reps: face-to-face)"
        ),
    ),
    "rep_activity": Table(
        "one rep in one week: how completely they entered data",
        (
            ("rep_id", "int64", "Rep."),
            ("week_start", DATE, "Monday of the week."),
            ("records_entered", "int32", "Records the rep created or updated."),
            ("required_fields_total", "int32", "Required fields on those records (6 each)."),
            ("required_fields_filled", "int32", "Required fields actually filled in."),
        ),
        ("rep_id", "week_start"),
        {"rep_id": "reps.rep_id"},
        truths=(
            "completeness rises after training by +0.20 (face-to-face), +0.14 (in-house), "
            "+0.08 (e-learning); two reps fade out in the last six months"
        ),
    ),
    "raw_customers": Table(
        "one customer record as exported, before cleaning", _CUSTOMER_COLUMNS, ("customer_id",),
        truths=(
            "12 duplicates and 4 test records per 1,000 customers; "
            "messy city, segment, phone, e-mail and birth_year values"
        ),
    ),
    "raw_orders": Table(
        "one order as exported: some point at duplicate customer records, some are test orders",
        _ORDER_COLUMNS, ("order_id",),
        {"customer_id": "raw_customers.customer_id"},
    ),
    "raw_tickets": Table(
        "one ticket as exported: some point at duplicate customer records",
        _TICKET_COLUMNS, ("ticket_id",),
        {"customer_id": "raw_customers.customer_id"},
    ),
}

# The contract for an analyst's export: what makes each table meaningful. The minimum
# export is `orders` (who bought, when, for how much), optionally `customers`.
_REQUIRED = {
    "customers": ("customer_id",),
    "channels": ("channel",),
    "interactions": ("customer_id", "channel", "occurred_at"),
    "categories": ("category_id", "name"),
    "products": ("product_id", "name"),
    "orders": ("customer_id", "ordered_at", "total_cents"),
    "order_lines": ("order_id", "product_id", "quantity"),
    "shipments": ("shipment_id", "order_id"),
    "invoices": ("invoice_id", "customer_id", "issued_date", "amount_cents"),
    "payments": ("payment_id", "invoice_id", "paid_date", "amount_cents"),
    "web_registrations": ("customer_id", "registered_at"),
    "campaigns": ("campaign_id", "starts_on"),
    "campaign_contacts": ("campaign_id", "customer_id", "responded"),
    "tickets": ("ticket_id", "customer_id", "created_at"),
    "opportunities": ("opportunity_id", "customer_id", "created_at", "stage"),
    "opportunity_stages": ("opportunity_id", "stage", "entered_at"),
    "reps": ("rep_id",),
    "rep_activity": ("rep_id", "week_start", "records_entered"),
    "raw_customers": ("customer_id",),
    "raw_orders": ("customer_id", "ordered_at", "total_cents"),
    "raw_tickets": ("ticket_id", "customer_id", "created_at"),
}
TABLES = {name: replace(t, required=_REQUIRED[name]) for name, t in TABLES.items()}


@dataclass(frozen=True)
class ColumnPlan:
    """How the columns of one export table meet the schema.

    Attributes
    ----------
    present : tuple of str
        Schema columns the export has, in the schema's order.
    absent : tuple of str
        Optional schema columns the export lacks (they are not added).
    missing : tuple of str
        Required schema columns the export lacks: the table cannot load.
    extra : tuple of str
        The export's own columns that are not in the schema, in file order (kept as read).

    Examples
    --------
    >>> column_plan("customers", ["customer_id", "VIP"]).extra
    ('VIP',)
    """

    present: tuple
    absent: tuple
    missing: tuple
    extra: tuple


def column_plan(name: str, columns) -> ColumnPlan:
    """Sort the columns of an export table (after renaming) into present, absent, missing and extra.

    Parameters
    ----------
    name : str
        Table name, a key of :data:`TABLES`.
    columns : iterable of str
        The table's column names, already renamed to the schema's names.

    Examples
    --------
    >>> plan = column_plan("orders", ["ordered_at", "customer_id", "total_cents", "Country"])
    >>> plan.present, plan.missing, plan.extra
    (('customer_id', 'ordered_at', 'total_cents'), (), ('Country',))
    >>> plan.absent[:3]
    ('order_id', 'channel', 'rep_id')
    """
    table = _lookup(name)
    have = list(columns)
    present = tuple(c for c in table.dtypes if c in have)
    missing = tuple(c for c in table.required if c not in have)
    absent = tuple(c for c in table.dtypes if c not in have and c not in missing)
    extra = tuple(c for c in have if c not in table.dtypes)
    return ColumnPlan(present, absent, missing, extra)


def _lookup(name: str) -> Table:
    try:
        return TABLES[name]
    except KeyError:
        raise SchemaError(
            f"The value for `table` must be one of {sorted(TABLES)}, but {name!r} was passed."
        ) from None


def apply_schema(
    name: str,
    df: pd.DataFrame,
    *,
    source: str = "",
    options: ReadOptions | None = None,
    lines: pd.Series | np.ndarray | None = None,
    strict: bool = True,
) -> pd.DataFrame:
    """Return ``df`` with the schema's columns, in order, with the schema's dtypes.

    Every value is cast exactly by :func:`~crmlab.datasets.values.cast_column`, or the
    load fails naming the column, example lines and the read option that fixes it.
    ``strict=True`` (the course's database) requires exactly the schema's columns;
    ``strict=False`` (a company's export) requires only :attr:`Table.required`: an absent
    optional column stays absent (no empty column is invented) and extra columns are
    kept, unchanged, after the schema's.

    Parameters
    ----------
    name : str
        Table name, a key of :data:`TABLES`.
    df : DataFrame
        The table: text columns from a CSV, or typed columns from Parquet.
    source : str, optional
        Where the table came from (a file path), named in error messages.
    options : ReadOptions, optional
        The export's conventions: units, date formats, time zone, calendar, missing texts.
    lines : array-like of int, optional
        Each row's line in ``source`` (header = line 1); by default row position + 2.
    strict : bool, default True
        Require exactly the schema's columns (True), or only the required ones (False).

    Raises
    ------
    SchemaError
        When a column is missing (or, with ``strict``, extra);
        :class:`~crmlab.errors.ValueLoadError` (a SchemaError) when a value cannot take the
        column's type unchanged.

    Examples
    --------
    >>> import pandas as pd
    >>> t = apply_schema("categories", pd.DataFrame({"name": ["Phones"], "category_id": [1]}))
    >>> list(t.columns), str(t["category_id"].dtype)
    (['category_id', 'name'], 'int64')
    >>> own = apply_schema("orders", pd.DataFrame({"Country": ["UK"], "customer_id": ["7"], "total_cents": ["100"],
    ...     "ordered_at": ["2011-12-09T12:50:00Z"]}), strict=False)
    >>> list(own.columns)
    ['customer_id', 'ordered_at', 'total_cents', 'Country']
    """
    table = _lookup(name)
    where = f" in {source}" if source else ""
    doubled = sorted({str(c) for c in df.columns[df.columns.duplicated()]})
    if doubled:
        raise SchemaError(
            f"Table `{name}`{where} has the column(s) {doubled} more than once, so it is unclear which to load. "
            "Check the column mapping: two of your columns are mapped to the same schema column."
        )
    if not strict:
        return _apply_contract(name, table, df, source=source, options=options, lines=lines)
    missing = [c for c in table.dtypes if c not in df.columns]
    extra = [c for c in df.columns if c not in table.dtypes]
    if missing or extra:
        raise SchemaError(
            f"Table `{name}`{where} does not match the CRM schema: missing columns {missing}, "
            f"unexpected columns {extra}. Rename the columns to the schema's names (see datasets/README.md), "
            f"e.g. with load_crm(folder, columns={{'{name}': {{'your column': 'schema column'}}}})."
        )
    options = ReadOptions() if options is None else options
    df = df.reset_index(drop=True)
    out = pd.DataFrame({
        col: cast_column(df[col], dtype, table=name, column=col, source=source, options=options, lines=lines)
        for col, dtype in table.dtypes.items()
    })
    return out.reset_index(drop=True)


def _apply_contract(name, table, df, *, source, options, lines) -> pd.DataFrame:
    plan = column_plan(name, df.columns)
    if plan.missing:
        where = f" in {source}" if source else ""
        raise SchemaError(
            f"Table `{name}`{where} lacks the required column(s) {list(plan.missing)} (it has {list(df.columns)}). "
            f"Every `{name}` export needs {list(table.required)}; the other columns are optional. "
            f"If your export names them differently, map them, e.g. in the mapping file "
            f"[tables.{name}.columns] \"your column\" = \"{plan.missing[0]}\", "
            f"or load_crm(folder, columns={{'{name}': {{'your column': '{plan.missing[0]}'}}}})."
        )
    options = ReadOptions() if options is None else options
    df = df.reset_index(drop=True)
    out = {col: cast_column(df[col], table.dtypes[col], table=name, column=col, source=source, options=options,
                            lines=lines) for col in plan.present}
    out.update({col: df[col] for col in plan.extra})
    return pd.DataFrame(out, index=df.index)


def data_dictionary() -> str:
    """Return the data dictionary of every table as Markdown.

    Examples
    --------
    >>> data_dictionary().splitlines()[0]
    '### `campaign_contacts`'
    """
    parts = []
    for name in sorted(TABLES):
        t = TABLES[name]
        lines = [f"### `{name}`", "", f"One row is {t.row}. Key: `{', '.join(t.primary_key)}`."]
        if t.foreign_keys:
            refs = ", ".join(f"`{c}` -> `{r}`" for c, r in t.foreign_keys.items())
            lines.append(f"References: {refs}.")
        if t.truths:
            lines.append(f"Planted: {t.truths}.")
        lines.append(f"A company's export must have {', '.join(f'`{c}`' for c in t.required)}; "
                     "the other columns are optional.")
        lines += ["", "| column | type | meaning |", "|---|---|---|"]
        lines += [f"| `{c}` | {d} | {m} |" for c, d, m in t.columns]
        parts.append("\n".join(lines))
    return "\n\n".join(parts) + "\n"
