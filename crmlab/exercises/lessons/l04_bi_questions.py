"""Exercises of lesson 04, *BI questions on CRM data*: support, deliveries, the funnel, payments,
social sign-ups (B2), a finding's impact in money (B3) and another system's API dump read offline (B4).

Expected values are computed from the course's database with :mod:`crmlab.analysis.bi`
on the first check, never typed in; each known mistake is computed the wrong way.
"""

from functools import cache

import pandas as pd

from crmlab.analysis import bi, kpis
from crmlab.analysis.bi.impact import late_delivery_impact
from crmlab.datasets import practice_api_dump, practice_crm
from crmlab.exercises import CompareOptions, Mistake, Question, Reflection
from crmlab.exercises.lessons import shown_by

TITLE = "BI questions on CRM data"
_TABLES = CompareOptions(allow_extra_columns=True, ignore_column_case=True)
_TEXT = CompareOptions(ignore_text_case=True)


@cache
def _crm():
    return practice_crm(tables=["customers", "orders", "tickets", "shipments", "invoices", "payments",
                            "opportunity_stages", "web_registrations"])  # fmt: skip


def _percent(expected, column):
    """The expected table in percent instead of shares."""
    return lambda: expected().assign(**{column: lambda d: d[column] * 100})


# ---------------------------------------------------------------- q1: SLA breaches by region


def _sla_by_region() -> pd.DataFrame:
    crm = _crm()
    return bi.support_quality(crm.tickets, crm.customers, by="region")[["sla_breach_rate"]]


def _tickets() -> pd.DataFrame:
    crm = _crm()
    return crm.tickets.merge(crm.customers[["customer_id", "region"]], on="customer_id")


def _breach_share(breached: pd.Series, tickets: pd.DataFrame) -> pd.DataFrame:
    rate = breached.astype(float).groupby(tickets["region"]).mean()
    return rate.rename("sla_breach_rate").rename_axis("region").to_frame()


def _late_answer(t: pd.DataFrame) -> pd.Series:
    return (t["first_response_at"] - t["created_at"]) / pd.Timedelta(hours=1) > t["sla_hours"]


def _open_as_breach() -> pd.DataFrame:
    t = _tickets()
    return _breach_share(_late_answer(t) | t["resolved_at"].isna(), t)


def _open_as_breach_known() -> pd.DataFrame:
    t = _tickets()
    sla = bi.ticket_sla(t).reset_index(drop=True)
    known = sla["sla_breached"].notna()
    breached = sla["sla_breached"].fillna(False).astype(bool) | t["resolved_at"].isna()
    return _breach_share(breached[known], t[known])


def _resolution_time() -> pd.DataFrame:
    t = _tickets()
    return _breach_share((t["resolved_at"] - t["created_at"]) / pd.Timedelta(hours=1) > t["sla_hours"], t)


def _unanswered_on_time() -> pd.DataFrame:
    t = _tickets()
    return _breach_share(_late_answer(t), t)


# ---------------------------------------------------------------- q2, q3: late deliveries by region


def _late_by_region() -> pd.DataFrame:
    crm = _crm()
    return bi.delivery_quality(crm.shipments, crm.orders, crm.customers, by="region")[["late_rate"]]


def _shipments() -> pd.DataFrame:
    crm = _crm()
    s = crm.shipments.merge(crm.orders[["order_id", "customer_id"]], on="order_id")
    return s.merge(crm.customers[["customer_id", "region"]], on="customer_id")


def _late_share(late: pd.Series, s: pd.DataFrame) -> pd.DataFrame:
    return late.astype(float).groupby(s["region"]).mean().rename("late_rate").rename_axis("region").to_frame()


def _late_mean_of_customers() -> pd.DataFrame:
    s = _shipments()
    s["late"] = bi.shipment_lateness(s).reset_index(drop=True)["late"].astype("Float64")
    per_customer = s.dropna(subset=["late"]).groupby(["region", "customer_id"])["late"].mean()
    return per_customer.astype(float).groupby("region").mean().rename("late_rate").to_frame()


def _late_undelivered_on_time() -> pd.DataFrame:
    s = _shipments()
    return _late_share(s["delivered_date"] > s["promised_date"], s)


def _late_delivered_only() -> pd.DataFrame:
    s = _shipments()
    s = s[s["delivered_date"].notna()]
    return _late_share(s["delivered_date"] > s["promised_date"], s)


def _worst_region() -> str:
    return str(_late_by_region()["late_rate"].idxmax())


def _best_region(answer) -> bool:
    return str(answer).strip().casefold() == str(_late_by_region()["late_rate"].idxmin()).casefold()


def _second_worst_region() -> str:
    return str(_late_by_region()["late_rate"].nlargest(2).index[1])


def _runner_up(answer) -> bool:
    second = _late_by_region()["late_rate"].nlargest(2).index[-1]
    return str(answer).strip().casefold() == str(second).casefold()


# ---------------------------------------------------------------- q4: stage-to-stage conversion


def _funnel() -> pd.DataFrame:
    return kpis.funnel_conversion(_crm().opportunity_stages)


def _conversion() -> pd.DataFrame:
    return _funnel()[["conversion"]]


def _conversion_of_entered() -> pd.DataFrame:
    f = _funnel()
    return (f["advanced"] / f["entered"]).rename("conversion").to_frame()


def _conversion_from_start() -> pd.DataFrame:
    f = _funnel()
    return (f["advanced"] / f["entered"].iloc[0]).rename("conversion").to_frame()


# ---------------------------------------------------------------- q5: days to pay


def _business_invoices() -> pd.DataFrame:
    crm = _crm()
    segment = crm.invoices["customer_id"].map(crm.customers.set_index("customer_id")["segment"])
    return crm.invoices[segment != "consumer"]


def _days_to_pay() -> float:
    pay = bi.invoice_payments(_business_invoices(), _crm().payments)
    return float(pay.loc[pay["paid_in_full"], "days_to_pay"].mean())


def _days_per_payment_row() -> float:
    rows = _business_invoices().merge(_crm().payments, on="invoice_id", suffixes=("", "_paid"))
    return float(((rows["paid_date"] - rows["issued_date"]) / pd.Timedelta(days=1)).mean())


def _days_to_first_payment() -> float:
    rows = _business_invoices().merge(_crm().payments, on="invoice_id", suffixes=("", "_paid"))
    first = rows.groupby("invoice_id").agg(issued=("issued_date", "first"), paid=("paid_date", "min"))
    return float(((first["paid"] - first["issued"]) / pd.Timedelta(days=1)).mean())


def _days_all_segments() -> float:
    pay = bi.invoice_payments(_crm().invoices, _crm().payments)
    return float(pay.loc[pay["paid_in_full"], "days_to_pay"].mean())


def _days_after_due() -> float:
    pay = bi.invoice_payments(_business_invoices(), _crm().payments)
    return float(pay.loc[pay["paid_in_full"], "days_late"].mean())


# ---------------------------------------------------------------- q10: social sign-ups (B2)


def _buyer_share(statuses=("completed",), after_only: bool = True, scale: float = 1) -> pd.DataFrame:
    crm = _crm()
    w = crm.web_registrations
    orders = crm.orders if statuses is None else crm.orders[crm.orders["status"].isin(statuses)]
    rows = w.merge(orders[["customer_id", "ordered_at"]], on="customer_id", how="left")
    bought = rows["ordered_at"].notna() & ((rows["ordered_at"] >= rows["registered_at"]) | (not after_only))
    buyer = bought.groupby(rows["registration_id"]).any()
    w = w.assign(buyer=w["registration_id"].map(buyer))
    out = w.groupby("source").agg(registrations=("registration_id", "size"), buyer_share=("buyer", "mean"))
    return out.assign(buyer_share=out["buyer_share"] * scale)


# ---------------------------------------------------------------- q11: the impact in money (B3)

#: q11: what one late delivery costs (handling, a voucher), in rials (2025 prices): an assumption finance supplies.
COST_PER_LATE = 20_000_000


def _impact() -> pd.DataFrame:
    crm = _crm()
    return late_delivery_impact(crm.shipments, crm.orders, crm.customers, [_worst_region()],
                                cost_per_late=COST_PER_LATE, conventions=crm.conventions)  # fmt: skip


def _impact_year() -> int:
    return int(_crm().conventions.as_of.year)


def _saved_last_year() -> float:
    return float(_impact().loc[_impact_year(), "cost_saved"])


def _saved_four_years_over_four() -> float:
    return float(_impact()["cost_saved"].sum() / len(_impact()))


def _every_late_priced() -> float:
    return float(_impact().loc[_impact_year(), "region_late"] * COST_PER_LATE)


def _pooled_company_rate() -> float:
    i = _impact()
    rate = (i["company_late_rate"] * i["shipments"]).sum() / i["shipments"].sum()
    last = i.loc[_impact_year()]
    return float(max(last["region_late"] - last["region_shipments"] * rate, 0) * COST_PER_LATE)


# ---------------------------------------------------------------- q12: another system's API dump (B4)


def _accounts(pages=None, normalise: bool = True) -> pd.DataFrame:
    pages = practice_api_dump() if pages is None else pages
    flat = pd.json_normalize([a for p in pages for a in p["data"]])
    flat = flat.rename(columns={"signup.source": "source"})
    flat["created"] = pd.to_datetime(flat["created"], utc=True)
    if normalise:
        flat["email"] = flat["email"].str.strip().str.lower()
    return flat


def _shop_revenue(first_page: bool = False, normalise: bool = True, statuses=("completed",),
                  after_only: bool = True, scale: float = 1) -> pd.DataFrame:  # fmt: skip
    crm = _crm()
    accounts = _accounts(practice_api_dump()[:1] if first_page else None, normalise)
    matched = accounts.merge(crm.customers[["customer_id", "email"]], on="email")
    orders = crm.orders if statuses is None else crm.orders[crm.orders["status"].isin(statuses)]
    rows = matched.merge(orders[["customer_id", "ordered_at", "total_cents"]], on="customer_id")
    if after_only:
        rows = rows[rows["ordered_at"] >= rows["created"]]
    revenue = crm.conventions.major(rows.groupby("source")["total_cents"].sum())
    out = accounts.groupby("source").agg(accounts=("id", "nunique"))
    return out.assign(revenue_rials=revenue.reindex(out.index).fillna(0.0) * scale)


QUESTIONS = [
    Question(
        "q1",
        "SLA breaches by region: a table with one row per `region` and a column `sla_breach_rate`, the share "
        "of tickets whose first response came more than `sla_hours` after `created_at`. A ticket with no "
        "response yet has breached if its deadline passed before `EXPORT_END`; if its deadline is still "
        "ahead, leave it out (its outcome is not known).",
        expected=_sla_by_region,
        hints=[
            "Join each ticket to its customer's `region`; the deadline is `created_at` plus `sla_hours` hours "
            "(`pd.to_timedelta(tickets['sla_hours'], unit='h')`).",
            "A ticket with no answer is compared as if answered at `EXPORT_END`: "
            "`tickets['first_response_at'].fillna(EXPORT_END) > deadline`. Keep the tickets that were "
            "answered or whose deadline is before `EXPORT_END`.",
            "`breached[known].groupby(tickets['region'][known]).mean()`, then name the column "
            "`sla_breach_rate` and make `region` a column with `.reset_index()`.",
        ],
        solution="tickets = crm.tickets.merge(crm.customers[['customer_id', 'region']], on='customer_id')\n"
        "deadline = tickets['created_at'] + pd.to_timedelta(tickets['sla_hours'], unit='h')\n"
        "breached = tickets['first_response_at'].fillna(EXPORT_END) > deadline\n"
        "known = tickets['first_response_at'].notna() | (deadline < EXPORT_END)\n"
        "sla_by_region = (breached[known].groupby(tickets['region'][known]).mean()\n"
        "                 .rename('sla_breach_rate').reset_index())",
        mistakes=[
            Mistake("You counted open tickets as breaches. The SLA is about the *first answer*: a ticket "
                    "answered in time but not yet resolved has not breached it.",
                    expected=_open_as_breach),  # fmt: skip
            Mistake("You counted open tickets as breaches. The SLA is about the *first answer*: a ticket "
                    "answered in time but not yet resolved has not breached it.",
                    expected=_open_as_breach_known),  # fmt: skip
            Mistake("You compared the time to *resolve* the ticket with `sla_hours`; the SLA gives the hours "
                    "allowed until the *first response* (`first_response_at`).",
                    expected=_resolution_time),  # fmt: skip
            Mistake("Tickets with no response yet count as on time in your table: comparing a missing "
                    "`first_response_at` gives False. A ticket whose deadline passed before `EXPORT_END` "
                    "without an answer has breached; one still within its deadline should be left out.",
                    expected=_unanswered_on_time),  # fmt: skip
            Mistake("Your rates look like percentages; the question asks for shares between 0 and 1.",
                    expected=_percent(_sla_by_region, "sla_breach_rate")),  # fmt: skip
        ],
        compare=_TABLES,
    ),
    Question(
        "q2",
        "Late deliveries by region: a table with one row per `region` and a column `late_rate`, the share of "
        "shipments delivered after their `promised_date`. A parcel not delivered by the export is late if its "
        "promised date is on or before `LAST_DAY`; otherwise leave it out.",
        expected=_late_by_region,
        hints=[
            "Shipments know the order, orders know the customer, customers know the region: two joins "
            "(`shipments` -> `orders` on `order_id` -> `customers` on `customer_id`).",
            "Count a missing `delivered_date` as 'after LAST_DAY': in SQL "
            "`coalesce(delivered_date, DATE '2026-01-01') > promised_date`; keep the rows with a "
            "delivery date or a promised date on or before LAST_DAY.",
            "Compute the rate over all the region's shipments at once (late / shipments), not as an average "
            "of each customer's rate.",
        ],
        solution='late_by_region = con.sql("""\n'
        "    SELECT c.region, avg(CASE WHEN coalesce(s.delivered_date, DATE '2026-01-01') > s.promised_date\n"
        "                              THEN 1 ELSE 0 END) AS late_rate\n"
        "    FROM shipments AS s JOIN orders AS o USING (order_id) JOIN customers AS c USING (customer_id)\n"
        "    WHERE s.delivered_date IS NOT NULL OR s.promised_date <= DATE '2025-12-31'\n"
        '    GROUP BY c.region\n""").df()',
        mistakes=[
            Mistake("You averaged each customer's late rate. That gives a customer with one parcel the same "
                    "weight as one with twenty: divide the region's late shipments by its shipments "
                    "(a ratio of sums, not a mean of ratios).",
                    expected=_late_mean_of_customers),  # fmt: skip
            Mistake("Parcels not delivered by the export count as on time in your table (a missing "
                    "`delivered_date` compares as False). One whose promised date has passed is late; "
                    "leave out only those promised after LAST_DAY.",
                    expected=_late_undelivered_on_time),  # fmt: skip
            Mistake("You left out every parcel not delivered yet; those whose promised date is on or before "
                    "LAST_DAY are already late and belong in the rate.",
                    expected=_late_delivered_only),  # fmt: skip
            Mistake("Your rates look like percentages; the question asks for shares between 0 and 1.",
                    expected=_percent(_late_by_region, "late_rate")),  # fmt: skip
        ],
        compare=_TABLES,
    ),
    Question(
        "q3",
        "Which region has the worst late-delivery rate? Give its name as text, e.g. 'North'.",
        expected=_worst_region,
        hints=[
            "Use your table of question 2.",
            "`late_by_region.set_index('region')['late_rate'].idxmax()` gives the region with the largest rate.",
        ],
        solution="worst_region = late_by_region.set_index('region')['late_rate'].idxmax()",
        mistakes=[
            Mistake("That is the region with the *fewest* late deliveries: look for the largest rate "
                    "(`.idxmax()`), not the smallest.",
                    when=shown_by(_best_region,
                                  example=lambda: str(_late_by_region()["late_rate"].idxmin()))),  # fmt: skip
            Mistake("Close, but that region comes second. Compare the *rates* (late / shipments), not the "
                    "number of late parcels: regions ship different numbers of parcels.",
                    when=shown_by(_runner_up, example=_second_worst_region)),
        ],
        compare=_TEXT,
    ),
    Question(
        "q4",
        "Stage-to-stage conversion: a table with one row per `stage` of `FUNNEL` except the last, and a column "
        "`conversion`: of the deals that left the stage (they entered a later stage or were closed), the share "
        "that entered the next stage of `FUNNEL`. Deals still in the stage at the export are left out.",
        expected=_conversion,
        hints=[
            "Sort `opportunity_stages` by `opportunity_id` and `entered_at`; the stage a deal went to next is "
            "`.groupby('opportunity_id')['stage'].shift(-1)` (SQL: `lead(stage) OVER (...)`).",
            "A deal left a stage when it has a next stage; it *advanced* when that next stage is the next one "
            "of `FUNNEL`: map each stage to its successor with `dict(zip(FUNNEL[:-1], FUNNEL[1:]))`.",
            "Keep the rows that have both a successor in `FUNNEL` and a next stage; the mean of "
            "`next == successor` per `stage` is the conversion.",
        ],
        solution="stages = crm.opportunity_stages.sort_values(['opportunity_id', 'entered_at'])\n"
        "stages['next'] = stages.groupby('opportunity_id')['stage'].shift(-1)\n"
        "stages['goal'] = stages['stage'].map(dict(zip(FUNNEL[:-1], FUNNEL[1:])))\n"
        "left = stages[stages['goal'].notna() & stages['next'].notna()]\n"
        "conversion = (left['next'] == left['goal']).groupby(left['stage']).mean().rename('conversion').reset_index()",
        mistakes=[
            Mistake("You divided by every deal that *entered* the stage, including those still sitting in it "
                    "at the export. They have not been lost yet: count only the deals that left the stage.",
                    expected=_conversion_of_entered),  # fmt: skip
            Mistake("Your rates compare each stage with the *first* stage (a cumulative funnel). The question "
                    "asks stage to stage: of the deals that left this stage, how many reached the next one.",
                    expected=_conversion_from_start),  # fmt: skip
        ],
        compare=_TABLES,
    ),
    Question(
        "q5",
        "Average days to pay of business invoices (customers whose segment is not 'consumer'): from "
        "`issued_date` to the day the invoice was paid in full, over the invoices paid in full. "
        "Join `invoices` (finance) with `payments` and with `customers` (CRM).",
        expected=_days_to_pay,
        hints=[
            "Some invoices are paid in two parts: an invoice is paid in full on the day its running total of "
            "payments reaches `amount_cents`, i.e. on its *last* payment here.",
            "Per invoice: `payments.groupby('invoice_id').agg(paid=('amount_cents', 'sum'), "
            "last=('paid_date', 'max'))`; join it to the business invoices and keep `paid >= amount_cents`.",
            "`(last - issued_date).dt.days.mean()` over those invoices.",
        ],
        solution="segment = crm.invoices['customer_id'].map(crm.customers.set_index('customer_id')['segment'])\n"
        "business = crm.invoices[segment != 'consumer']\n"
        "per_invoice = crm.payments.groupby('invoice_id').agg(paid=('amount_cents', 'sum'), "
        "last=('paid_date', 'max'))\n"
        "paid = business.join(per_invoice, on='invoice_id', how='inner')\n"
        "paid = paid[paid['paid'] >= paid['amount_cents']]\n"
        "days_to_pay = (paid['last'] - paid['issued_date']).dt.days.mean()",
        mistakes=[
            Mistake("You averaged over *payments*, not invoices: an invoice paid in two parts counts twice, once "
                    "with its early first part. Sum the payments per invoice first.",
                    expected=_days_per_payment_row),  # fmt: skip
            Mistake("You measured to the *first* payment. Invoices paid in parts are paid in full only when the "
                    "last part arrives: use the day the payments reach the amount due.",
                    expected=_days_to_first_payment),  # fmt: skip
            Mistake("Your average includes consumers, who pay at once. Keep the customers whose `segment` is "
                    "not 'consumer'.", expected=_days_all_segments),  # fmt: skip
            Mistake("You counted from the `due_date`; the question counts from `issued_date`.",
                    expected=_days_after_due),  # fmt: skip
        ],
        compare=CompareOptions(rtol=1e-6),
    ),
    Question(
        "q10",
        "Social CRM starts with knowing where customers come from. A table with one row per `source` of "
        "`web_registrations` (social, search_ad, email, organic) and the columns `registrations` (the number of "
        "web registrations) and `buyer_share`: the share of registrations whose customer placed a completed "
        "order at or after registering.",
        expected=_buyer_share,
        hints=[
            "Join each registration to its customer's completed orders (`how='left'`, so registrations "
            "without orders stay).",
            "An order counts when `ordered_at >= registered_at`; per `registration_id`, did any order count? "
            "(`.groupby('registration_id')['counts'].any()`).",
            "Map that back to the registrations, then per `source`: the `size` and the `mean` of the flag.",
        ],
        solution="completed = crm.orders[crm.orders['status'] == 'completed']\n"
        "rows = crm.web_registrations.merge(completed[['customer_id', 'ordered_at']], on='customer_id', how='left')\n"
        "rows['counts'] = rows['ordered_at'] >= rows['registered_at']\n"
        "buyer = rows.groupby('registration_id')['counts'].any()\n"
        "w = crm.web_registrations.assign(buyer=crm.web_registrations['registration_id'].map(buyer))\n"
        "by_source = w.groupby('source').agg(registrations=('registration_id', 'size'), "
        "buyer_share=('buyer', 'mean')).reset_index()",
        mistakes=[
            Mistake("Your buyers include orders placed *before* the registration: those customers were buyers "
                    "already, the sign-up source did not bring them. Count orders at or after `registered_at`.",
                    expected=lambda: _buyer_share(after_only=False)),  # fmt: skip
            Mistake("Your orders include cancelled and returned ones: keep `status == 'completed'`.",
                    expected=lambda: _buyer_share(statuses=None)),  # fmt: skip
            Mistake("Your shares look like percentages; the question asks for shares between 0 and 1.",
                    expected=lambda: _buyer_share(scale=100)),  # fmt: skip
        ],
        compare=_TABLES,
    ),
    Question(
        "q11",
        f"Impact in money (B3): suppose the region with the worst late-delivery rate (your question 3) had been "
        f"as punctual as the whole company in the last year of the data (the year of `LAST_DAY`). A late "
        f"delivery costs {COST_PER_LATE:,} rials (a support contact and a voucher). How many rials would "
        f"that year's avoided late deliveries have saved? Avoided: the region's late deliveries minus its "
        f"shipments x the company's late rate of that year (at least 0); shipments whose outcome is not "
        f"known are left out, as in question 2, and a shipment's year is that of its `promised_date`.",
        expected=_saved_last_year,
        hints=[
            "Keep the shipments of question 2 (outcome known) promised in the last year; the company's late "
            "rate is their mean of `late`.",
            "The region's expected late deliveries at the company's rate: its shipments that year x that rate. "
            "Avoided = its actual late deliveries minus that, never below 0.",
            f"Saved = avoided x {COST_PER_LATE:,}. (`bi.impact.late_delivery_impact` does every year at once: "
            "use it to check your own computation.)",
        ],
        solution="s = crm.shipments.merge(crm.orders[['order_id', 'customer_id']], on='order_id')\n"
        "s = s.merge(crm.customers[['customer_id', 'region']], on='customer_id')\n"
        "s['late'] = s['delivered_date'].fillna(LAST_DAY + pd.Timedelta(days=1)) > s['promised_date']\n"
        "s = s[(s['delivered_date'].notna() | (s['promised_date'] <= LAST_DAY))\n"
        "      & (s['promised_date'].dt.year == LAST_DAY.year)]\n"
        "region = s[s['region'] == worst_region]\n"
        "avoided = max(region['late'].sum() - len(region) * s['late'].mean(), 0)\n"
        f"saved_rials = avoided * {COST_PER_LATE:_}",
        mistakes=[
            Mistake("That is the average over all the years (their total divided by their number). The company "
                    "grew every year, so that average describes no year: take the last year on its own.",
                    expected=_saved_four_years_over_four),  # fmt: skip
            Mistake("You priced *every* late delivery of the region. Even a region as punctual as the company "
                    "has some late parcels: only those above the company's rate are avoidable.",
                    expected=_every_late_priced),  # fmt: skip
            Mistake("You compared with the company's late rate over all the years. Compare the last year with "
                    "that same year's company rate.",
                    expected=_pooled_company_rate),  # fmt: skip
        ],
        compare=CompareOptions(rtol=1e-6),
    ),
    Question(
        "q12",
        "Another system's API dump (B4): `practice_api_dump()` gives the practice company's web-shop accounts as its "
        "API returned them, a list of pages with the accounts under `data`. Flatten *all* pages, match each account "
        "to the CRM's `customers` by e-mail (the shop keeps what customers typed: trim spaces and lower-case it), and"
        " give a table with one row per sign-up `source` (`signup.source`) and the columns `accounts` (the number of "
        "accounts) and `revenue_rials`: the total, in rials, of the completed orders of the matched customers "
        "placed at or after the account's `created` instant.",
        expected=_shop_revenue,
        hints=[
            "`pd.json_normalize([account for page in pages for account in page['data']])` flattens every page "
            "and turns the nested `signup` into columns `signup.source` and `signup.device`.",
            "`created` is a local time with its offset: `pd.to_datetime(flat['created'], utc=True)` makes it "
            "comparable with `ordered_at`. The key: `flat['email'].str.strip().str.lower()`.",
            "Merge accounts -> customers (on `email`) -> completed orders (on `customer_id`), keep "
            "`ordered_at >= created`, then per source: the sum of `total_cents` (whole rials). Count accounts "
            "before the merges (`flat.groupby('signup.source')['id'].nunique()`).",
        ],
        solution="pages = practice_api_dump()\n"
        "flat = pd.json_normalize([a for page in pages for a in page['data']])\n"
        "flat['email'] = flat['email'].str.strip().str.lower()\n"
        "flat['created'] = pd.to_datetime(flat['created'], utc=True)\n"
        "completed = crm.orders[crm.orders['status'] == 'completed']\n"
        "rows = (flat.merge(crm.customers[['customer_id', 'email']], on='email')\n"
        "            .merge(completed[['customer_id', 'ordered_at', 'total_cents']], on='customer_id'))\n"
        "rows = rows[rows['ordered_at'] >= rows['created']]\n"
        "shop = pd.DataFrame({'accounts': flat.groupby('signup.source')['id'].nunique(),\n"
        "                     'revenue_rials': rows.groupby('signup.source')['total_cents'].sum()})\n"
        "shop = shop.fillna(0).rename_axis('source').reset_index()",
        mistakes=[
            Mistake("You read only the first page. An API returns its data in pages (`pages` says how many): "
                    "flatten the accounts of every page.",
                    expected=lambda: _shop_revenue(first_page=True)),  # fmt: skip
            Mistake("Accounts whose e-mail was typed in capitals or with spaces found no customer. Trim and "
                    "lower-case the shop's e-mails before matching (`.str.strip().str.lower()`).",
                    expected=lambda: _shop_revenue(normalise=False)),  # fmt: skip
            Mistake("Your revenue includes cancelled and returned orders: keep `status == 'completed'`.",
                    expected=lambda: _shop_revenue(statuses=None)),  # fmt: skip
            Mistake("Your revenue includes orders placed before the account was created: count those at or "
                    "after `created` (read as UTC, `pd.to_datetime(..., utc=True)`).",
                    expected=lambda: _shop_revenue(after_only=False)),  # fmt: skip
            Mistake("Your revenue is a hundredth of the right one: `total_cents` keeps its old name, but the "
                    "company is Iranian and the column holds whole rials. Nothing is divided by 100.",
                    expected=lambda: _shop_revenue(scale=0.01)),  # fmt: skip
        ],
        compare=CompareOptions(allow_extra_columns=True, ignore_column_case=True, rtol=1e-9),
    ),
    Reflection(
        "q7",
        "The South breaches its SLA most and its parcels arrive late; e-mail tickets are slow everywhere. "
        "In two or three sentences: what would you change first, and would you reallocate resources "
        "(people, money, carriers) or redesign a workflow?",
        solution="Redesign what is weak everywhere first: e-mail support is a process problem (one queue with "
        "web forms, an automatic first answer). In the South, the agent carries no more tickets than "
        "elsewhere, so look at how support works there before adding people; for deliveries, promise "
        "realistic dates per region or move South and East parcels away from the slowest carrier.",
        rubric=[
            "Separates what is weak everywhere (a workflow to redesign) from what is weak in one region.",
            "Checks workload before adding people (tickets per agent), rather than assuming headcount is the fix.",
            "Names a concrete change for deliveries (promise by region, another carrier) and for support.",
            "Says how the change's effect would be measured (the same rates, before and after).",
        ],
    ),
]
