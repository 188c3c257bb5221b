"""A seeded, vectorised generator of a whole CRM: the course's default database.

``generate_crm`` draws hidden customer traits first (channels, purchase rate, churn
time, service luck), then every table from them, so the planted truths in
:mod:`.truths` show up in the data the way they would in a real company's CRM.

Each table draws from its own random stream (:func:`_rng`), so a new plant changes as
little as possible. The later plants follow that rule:

* **launches** (:mod:`.launches`): the catalogue's products were on sale before the data
  begin; two products are added and, from their launch day on, take over a growing share
  of their category's order lines, each line keeping its quantity, price and discount.
  Order totals, invoices and payments do not change;
* **the newsletter's member holdout** (:mod:`.marketing`): half the members are held back
  by lot from their own stream; their responses (and orders) are the ones they had, only
  without the campaign code;
* **the upgrade offer** (:mod:`.upgrade`): a randomised campaign whose uplift differs
  between customers. Its orders, lines, shipments, invoices and payments come from their
  own streams and are numbered after all the others, and it goes only to customers who
  had bought before, so every earlier row stays as it was and no customer gets a first
  purchase from it;
* **malformed e-mails** (:mod:`.raw`): typed into the raw export from their own stream,
  after everything else.
"""

from __future__ import annotations

import os
import zlib
from numbers import Integral
from typing import Any

import numpy as np
import pandas as pd

from ..crm import CRM
from . import commerce, engagement, fulfilment, launches, marketing, people, pipeline, raw, service, upgrade
from ._arrays import kept_heap, system_arrow_memory
from ._progress import STAGES, Stages
from ._typed import as_schema
from .markets import MARKETS, Market, market_named, planted_for
from .persian_records import plant_persian_records
from .truths import END, START, TIMEZONE

__all__ = ["generate_crm", "MARKETS", "Market", "PLANTED", "STAGES", "START", "END", "TIMEZONE"]

DEFAULT_CUSTOMERS = 3000
DEFAULT_SEED = 2024
#: The course's company is an Iranian retailer; ``"generic"`` is the same company in US cents.
DEFAULT_MARKET = "iran"
#: The planted truths of the course's company (``DEFAULT_MARKET``): what ``generate_crm()`` hides in
#: its data and writes to ``crm.truth["planted"]``. Another market's: ``planted_for(market_named(name))``.
PLANTED = planted_for(market_named(DEFAULT_MARKET))


def _rng(seed: int, name: str) -> np.random.Generator:
    """An independent stream per table, so changing one table leaves the others alone."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(zlib.crc32(name.encode()),)))


#: Peak memory of ``generate_crm`` per customer: measured 6.2 kB at 1e5 and 5.7 kB at 3e5
#: customers (peak RSS over the start), rounded up. Since the rewrite for issue 14 the peak is
#: about 3.6 kB (3.57 GB at 1e6 by benchmarks/harness.py; the tables themselves 3.24 GB by
#: ``memory_usage(deep=True)``, 3.0 GB counting buffers shared between tables once); the estimate
#: keeps its margin.
BYTES_PER_CUSTOMER = 6_500
#: Share of the memory available now that one generation may take.
_MEMORY_SHARE = 0.8
_MIN_CUSTOMERS = 100


def _check_args(n_customers, seed) -> None:
    """Refuse bad arguments, and sizes this machine cannot hold, before allocating anything."""
    problem = _count_problem(n_customers)
    if problem:
        raise ValueError(
            f"`n_customers` must be a whole number of at least {_MIN_CUSTOMERS}, but {problem}, "
            f"e.g. generate_crm(n_customers={DEFAULT_CUSTOMERS})."
        )
    problem = _count_problem(seed, minimum=0)
    if problem:
        raise ValueError(f"`seed` must be a non-negative whole number, but {problem}, e.g. seed={DEFAULT_SEED}.")
    _check_memory(int(n_customers))


def _count_problem(value, minimum: int = _MIN_CUSTOMERS) -> str:
    shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
    if isinstance(value, (bool, np.bool_)):
        return f"{shown} was passed (a yes/no value, not a number)"
    if isinstance(value, str):
        return f"the text {shown} was passed: write the number without quotes"
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return f"{shown} was passed: write {int(value)} without the decimal point"
    if not isinstance(value, Integral):
        return f"{shown} ({type(value).__name__}) was passed"
    if value < minimum:
        return f"{shown} was passed"
    return ""


def _check_memory(n_customers: int) -> None:
    available = _available_memory()
    if available is None:
        return
    need = n_customers * BYTES_PER_CUSTOMER
    limit = int(available * _MEMORY_SHARE)
    if need > limit:
        most = max(limit // BYTES_PER_CUSTOMER // 1000 * 1000, 0)
        raise ValueError(
            f"generate_crm(n_customers={n_customers:,}) would need about {_size(need)} of memory "
            f"({BYTES_PER_CUSTOMER / 1000:.1f} kB per customer), more than the {_size(limit)} it may use "
            f"here ({_MEMORY_SHARE:.0%} of the {_size(available)} available now). "
            f"Use at most n_customers={most:,} on this machine, or free memory first."
        )


def _size(n_bytes: float) -> str:
    for unit in ("bytes", "kB", "MB", "GB", "TB"):
        if n_bytes < 1000 or unit == "TB":
            return f"{n_bytes:,.0f} {unit}" if unit == "bytes" else f"{n_bytes:,.1f} {unit}"
        n_bytes /= 1000
    return ""  # unreachable


def _available_memory() -> int | None:
    """Bytes this process can still allocate: MemAvailable, a cgroup limit, ``ulimit -v``."""
    limits = [_meminfo_available(), _cgroup_available(), _address_space_available()]
    known = [x for x in limits if x is not None]
    return max(min(known), 0) if known else None


def _meminfo_available() -> int | None:
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def _cgroup_available() -> int | None:
    for limit_file, usage_file in [("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
                                   ("/sys/fs/cgroup/memory/memory.limit_in_bytes",
                                    "/sys/fs/cgroup/memory/memory.usage_in_bytes")]:  # fmt: skip
        try:
            with open(limit_file, encoding="ascii") as handle:
                limit = handle.read().strip()
            with open(usage_file, encoding="ascii") as handle:
                usage = int(handle.read().strip())
        except (OSError, ValueError):
            continue
        if limit.isdigit() and int(limit) < 1 << 60:  # "max" or a huge number: no limit
            return int(limit) - usage
    return None


def _address_space_available() -> int | None:
    try:
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    except (ImportError, OSError, ValueError):
        return None
    if soft == resource.RLIM_INFINITY:
        return None
    try:
        with open("/proc/self/statm", encoding="ascii") as handle:
            used = int(handle.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        used = 0
    return soft - used


def generate_crm(
    n_customers: int = DEFAULT_CUSTOMERS,
    seed: int = DEFAULT_SEED,
    market: str = DEFAULT_MARKET,
    *,
    progress: Any = False,
) -> CRM:
    """Generate the synthetic CRM database.

    Parameters
    ----------
    n_customers : int, default 3000
        Number of real (clean) customers, at least 100. Other tables scale with it: about
        6 orders, 2 order lines per order, 10 interactions and 1.5 tickets per customer.
        Generation takes at most about 6.5 kB of memory per customer at its peak; a number
        this machine cannot hold is refused before anything is allocated. Time and memory grow
        about in proportion to it.
    seed : int, default 2024
        Seed of every random draw (a whole number >= 0): the same arguments always give
        the same tables.
    market : {"iran", "generic"}, default "iran"
        How the company behaves (:mod:`.markets`): ``"iran"``, the course's company, as an
        Iranian retailer, in rials with a planted price inflation, Friday weekend, Nowruz,
        Esfand and Yalda, SMS consent, Instagram and Telegram as sales channels, and orders
        typed in toman in the raw export; ``"generic"`` in US cents with Gregorian seasonality
        (November and December peaks) and e-mail consent.
    progress : bool, None, stream, bar or callable, default False
        Report the stages (``crmlab.datasets.synthetic.STAGES``: customers, tickets, campaigns,
        orders and lines, ...) as they finish. ``False``: silent; ``True``: a bar on stderr;
        ``None``: a bar on stderr when it is a terminal; a stream: a bar there; a tqdm bar (or a
        :class:`crmlab.progress_bars.Bar`): advanced one step per stage, naming the stage under
        way; a function: called as ``progress(stage, done, total)``. The tables are the same
        whatever is passed.

    Returns
    -------
    CRM
        A dict-like bunch of typed DataFrames (``crm.customers``, ``crm["orders"]``),
        the clean tables plus the raw export layer (``raw_customers``, ``raw_orders``,
        ``raw_tickets``), and ``crm.truth``: the planted truths and their counts,
        for instructors and tests; ``crm.conventions`` the market's (:data:`~crmlab.conventions.COURSE`
        for ``"iran"``, the same in US cents for ``"generic"``).

    Examples
    --------
    >>> from crmlab.datasets import generate_crm
    >>> crm = generate_crm(n_customers=500, seed=1)
    >>> len(crm.customers)
    500
    >>> sorted(crm)[:3]
    ['campaign_contacts', 'campaigns', 'categories']
    >>> done = []
    >>> crm = generate_crm(n_customers=500, seed=1, progress=lambda stage, i, n: done.append(f"{i}/{n} {stage}"))
    >>> done[0], done[-1]
    ('1/9 customers', '9/9 tables')

    Raises
    ------
    ValueError
        For a count or seed that is not a whole number in range, a market there is not, or
        more customers than the memory available now can hold (naming the estimate and the limit).
    TypeError
        For a ``progress`` that is none of the above.
    """
    market = market_named(market)
    _check_args(n_customers, seed)
    with Stages(progress) as stages, system_arrow_memory(), kept_heap():
        t, truth = _generate(int(n_customers), seed, market, stages)
        tables = {}
        for name in sorted(t):  # each table handed over as soon as it is typed, so only one exists twice
            tables[name] = as_schema(name, t.pop(name))
        stages.finish("tables")
    return CRM(tables, truth=truth, conventions=market.conventions())


def _generate(n_customers: int, seed: int, market: Market, stages: Stages) -> tuple[dict, dict]:
    """Every table (columns in any order and type) and the truths, stage by stage."""
    pop = people.make_population(_rng(seed, "customers"), n_customers, market)
    staff = people.make_staff(_rng(seed, "reps"), n_customers)
    t = {"customers": pop.customers, "reps": staff.reps, "channels": engagement.make_channels(market)}
    t["categories"], catalogue = commerce.make_catalogue(_rng(seed, "products"), market)
    t["products"] = launches.add_launches(catalogue, market)
    stages.finish("customers")
    t["tickets"] = service.make_tickets(_rng(seed, "tickets"), pop, staff)  # first: it ends lifetimes
    stages.finish("tickets")

    t["campaigns"] = marketing.make_campaigns(market)
    contacts, resp = marketing.make_contacts(_rng(seed, "campaigns"), pop, _rng(seed, "loyalty_holdout"))
    stages.finish("campaigns")
    n_main = _add_orders(t, seed, pop, staff, catalogue, resp, contacts)
    del contacts, resp  # in t["campaign_contacts"] and the orders now
    stages.finish("orders and lines")

    orders = t.pop("orders")
    main, extra = orders.iloc[:n_main], orders.iloc[n_main:]
    t["shipments"], t["invoices"], t["payments"] = _fulfilment(_rng(seed, "shipments"), _rng(seed, "invoices"),
                                                               pop, main)  # fmt: skip
    more = _fulfilment(_rng(seed, "upgrade_shipments"), _rng(seed, "upgrade_invoices"), pop, extra)
    del main, extra
    _append_fulfilment(t, *more)
    del more
    t["orders"] = orders.drop(columns="_day")
    del orders
    stages.finish("fulfilment")
    t["interactions"] = engagement.make_interactions(_rng(seed, "interactions"), pop, staff)
    t["web_registrations"] = engagement.make_web_registrations(_rng(seed, "web"), pop)
    stages.finish("interactions")
    t["opportunities"], t["opportunity_stages"] = pipeline.make_opportunities(_rng(seed, "pipeline"), pop, staff)
    t["rep_activity"] = pipeline.make_rep_activity(_rng(seed, "activity"), staff)
    stages.finish("pipeline")
    truth = _add_raw_layer(t, seed, n_main)
    t["raw_orders"], truth["unit_mixup_order_ids"] = raw.type_in_tenths(
        _rng(seed, "raw_unit_mixups"), t["raw_orders"], market.unit_mixups, n_customers,
        t["orders"]["order_id"].to_numpy(),
    )  # from its own stream, after the rest of the raw layer
    truth.update(_truth_counts(t, pop, staff, seed, n_customers))
    truth.update(plant_persian_records(_rng(seed, "persian_records"), t, truth))  # last, from its own stream
    stages.finish("raw export")
    return t, truth


def _fulfilment(ship_rng, invoice_rng, pop, orders):
    """Shipments, invoices and payments of ``orders``."""
    owner = orders["customer_id"].to_numpy() - 1
    business = (pop.customers["segment"] != "consumer").to_numpy()[owner]
    shipments = fulfilment.make_shipments(ship_rng, orders, pop.region_idx[owner])
    invoices, payments = fulfilment.make_invoices(invoice_rng, orders, orders["total_cents"].to_numpy(), business)
    return shipments, invoices, payments


def _append_fulfilment(t, shipments, invoices, payments) -> None:
    """Append the upgrade offer's shipments, invoices and payments, numbered after the others."""
    shipments = shipments.assign(shipment_id=shipments["shipment_id"] + len(t["shipments"]))
    invoices = invoices.assign(invoice_id=invoices["invoice_id"] + len(t["invoices"]))
    payments = payments.assign(payment_id=payments["payment_id"] + len(t["payments"]),
                               invoice_id=payments["invoice_id"] + len(t["invoices"]))  # fmt: skip
    for name, extra in [("shipments", shipments), ("invoices", invoices), ("payments", payments)]:
        t[name] = pd.concat([t[name], extra], ignore_index=True)


def _make_orders(seed, prefix, pop, staff, catalogue, owner, day, campaign, forced, completed):
    """Orders (numbered from 1, time order) and their lines; and the order row of each event."""
    orders = commerce.make_orders(_rng(seed, f"{prefix}orders"), pop, staff, owner, day, campaign, completed)
    event = orders.pop("_event").to_numpy()
    business = (pop.customers["segment"] != "consumer").to_numpy()[owner[event]]
    lines = commerce.make_order_lines(_rng(seed, f"{prefix}order_lines"), orders, catalogue, business,
                                      forced[event], pop.market)  # fmt: skip
    orders["total_cents"] = commerce.order_totals(orders, lines)
    row_of_event = np.empty(len(event), dtype="int64")
    row_of_event[event] = np.arange(len(event))
    return orders, lines, row_of_event


def _add_orders(t, seed, pop, staff, catalogue, resp, contacts) -> int:
    """Regular and campaign orders, then the upgrade offer's; contacts get their order ids.

    Returns the number of orders before the upgrade offer's, which are numbered after
    them. The launched products then take over their share of the lines.
    """
    owner, day = commerce.order_events(_rng(seed, "order_events"), pop)
    n_regular = len(owner)
    owner = np.concatenate([owner, resp.owner])
    day = np.concatenate([day, resp.day])
    campaign = np.concatenate([np.zeros(n_regular, dtype="int64"), np.where(resp.attributed, resp.campaign_id, 0)])
    forced = np.concatenate([np.full(n_regular, -1), resp.category])
    completed = np.concatenate([np.zeros(n_regular, dtype=bool), resp.completed])
    orders, lines, row = _make_orders(seed, "", pop, staff, catalogue, owner, day, campaign, forced, completed)
    del owner, day, campaign, forced, completed
    done = (orders["status"] == "completed").to_numpy()
    owners, days = orders["customer_id"].to_numpy()[done] - 1, orders["_day"].to_numpy()[done]
    up_contacts, up_resp = upgrade.make_upgrade_contacts(_rng(seed, "upgrade"), pop, owners, days)
    up_campaign = np.where(up_resp.attributed, up_resp.campaign_id, 0)
    up_orders, up_lines, up_row = _make_orders(seed, "upgrade_", pop, staff, catalogue, up_resp.owner, up_resp.day,
                                               up_campaign, up_resp.category, up_resp.completed)  # fmt: skip
    n_main = len(orders)
    up_orders["order_id"] += n_main
    up_lines["order_id"] += n_main
    orders = pd.concat([orders, up_orders], ignore_index=True)
    lines = pd.concat([lines, up_lines], ignore_index=True)
    order_day = orders["_day"].to_numpy()[lines["order_id"].to_numpy() - 1]
    lines = launches.take_over_lines(_rng(seed, "launches"), lines, order_day, t["products"], pop.market)
    if pop.market.launch_prices:  # the launched products' lines changed price
        orders["total_cents"] = commerce.order_totals(orders, lines)
    t["orders"], t["order_lines"] = orders, lines

    resp_orders = pd.DataFrame({
        "campaign_id": np.concatenate([resp.campaign_id, up_resp.campaign_id]),
        "_owner": np.concatenate([resp.owner, up_resp.owner]),
        "order_id": orders["order_id"].to_numpy()[np.concatenate([row[n_regular:], n_main + up_row])],
    })
    t["_upgrade_kinds"] = up_contacts[["customer_id", "_kind"]]
    contacts = pd.concat([contacts, up_contacts.drop(columns="_kind")], ignore_index=True)
    contacts = contacts.merge(resp_orders, on=["campaign_id", "_owner"], how="left", validate="one_to_one")
    ordered = contacts["order_id"].to_numpy()  # order ids are 1, 2, ... in row order; NaN: no order
    row = np.where(np.isnan(ordered), 0, ordered).astype("int64") - 1
    contacts["responded_at"] = orders["ordered_at"].array.take(row, allow_fill=True)
    contacts["order_id"] = contacts["order_id"].astype("Int64")
    t["campaign_contacts"] = contacts[
        ["campaign_id", "customer_id", "group", "contacted_at", "responded", "responded_at", "order_id"]
    ]
    reached = contacts["contacted_at"].notna().groupby(contacts["campaign_id"]).sum()
    costs = [c[-1] for c in marketing.campaigns_for(pop.market)]
    t["campaigns"]["cost_cents"] = [int(reached.get(i + 1, 0)) * cost for i, cost in enumerate(costs)]
    return n_main


def _add_raw_layer(t, seed, n_main) -> dict:
    rng = _rng(seed, "raw")
    customers = t["customers"]
    dup = raw.make_duplicates(rng, customers)
    test = raw.make_test_records(rng, customers, first_id=len(customers) + len(dup) + 1)
    real = raw.messy_customers(rng, pd.concat([customers, dup.drop(columns="duplicate_of")], ignore_index=True))
    raw_customers = pd.concat([real, test], ignore_index=True)
    del real
    main, extra = t["orders"].iloc[:n_main], t["orders"].iloc[n_main:]
    orders = raw.reassign(rng, main, "ordered_at", dup)
    test_orders = raw.make_test_orders(rng, main, test, first_id=int(t["orders"]["order_id"].max()) + 1)
    t["raw_customers"] = raw_customers.sample(frac=1.0, random_state=rng.integers(2**31)).reset_index(drop=True)
    del raw_customers
    extra = raw.reassign(_rng(seed, "raw_upgrade"), extra.reset_index(drop=True), "ordered_at", dup)
    t["raw_orders"] = pd.concat([orders, extra, test_orders], ignore_index=True)
    del orders, extra
    t["raw_tickets"] = raw.reassign(rng, t["tickets"], "created_at", dup)
    t["raw_customers"], malformed = raw.malform_emails(_rng(seed, "raw_emails"), t["raw_customers"], len(customers),
                                                         dup["duplicate_of"].to_numpy())
    return {
        "duplicates": {str(d): int(m) for d, m in zip(dup["customer_id"], dup["duplicate_of"], strict=True)},
        "test_customer_ids": [int(i) for i in test["customer_id"]],
        "test_order_ids": [int(i) for i in test_orders["order_id"]],
        "malformed_emails": malformed,
    }


def _truth_counts(t, pop, staff, seed, n_customers) -> dict:
    exp = t["campaign_contacts"][t["campaign_contacts"]["campaign_id"] == marketing.EXPERIMENT]
    kinds = t.pop("_upgrade_kinds")
    new_products = t["products"].set_index("name").loc[list(PLANTED.launches), "product_id"]
    return {
        "launches": {PLANTED.launches[name]["kind"]: int(i) for name, i in new_products.items()},
        "loyalty_holdout_group": "held_out",
        "upgrade_campaign_id": marketing.UPGRADE_ID,
        "upgrade_kinds": {k: kinds.loc[kinds["_kind"] == k, "customer_id"].tolist() for k in upgrade.KINDS},
        "seed": int(seed),
        "n_customers": int(n_customers),
        "planted": planted_for(pop.market).to_dict(),
        "market": pop.market.to_dict(),
        "experiment_campaign_id": marketing.EXPERIMENT,
        "loyalty_campaign_id": marketing.LOYALTY,
        "experiment_group_sizes": {str(k): int(v) for k, v in exp["group"].value_counts().sort_index().items()},
        "disengaged_rep_ids": [int(i) for i in staff.reps["rep_id"][np.isfinite(staff.disengaged_from)]],
        "weak_support_region": people.WEAK_SUPPORT_REGION,
        "churned_by_export": int((pop.active_until < (END - START).days + 1).sum()),
        "bad_service_customers": int(pop.bad_service.sum()),
    }
