"""The search space of a training goal and its analytical pruning.

Space: every node type the goal allows that some price sheet sells (or an on-prem sheet can
price), times node counts, times the automatic layout at that size (`plan.layout`), times each
purchase option of that node. A (node, count) is a *family*: its layout and step time are
shared by all its purchase options, so it is simulated once and priced every way.

Pruning before any simulation, each with the reason kept for the answer's "nearest misses":

- memory and divisibility: the automatic layout finds nothing that fits (`does not fit`);
- deadline: steps x step time (goodput at most 1: failures, restarts and checkpoints only add
  time) already exceeds the deadline (`too slow by X days`);
- budget: that floor of GPU-hours at the cheapest per-use price of the family exceeds the
  budget (`over budget by $Y`); owned options have no per-use price and are never pruned here.

The surviving families are ranked by that cheapest floor cost and the `finalists` cheapest go
on to the simulation, so the analytic step chooses only what to simulate, never the answer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from simulator.catalog import Catalog
from simulator.errors import InputError
from simulator.plan.layout import Layout, layout_for
from simulator.schema.goal import Goal, TrainGoal
from simulator.schema.model import TransformerModel
from simulator.sweep.backends import Backend

DAY_S = 86400.0
OWNED = ("owned", "colocation")


@dataclass(frozen=True)
class PurchaseChoice:
    """One way to pay for a node type: a sheet, a purchase kind, an instance type."""

    sheet: str
    provider: str
    purchase: str
    instance_type: str | None
    usd_per_gpu_hour: float | None
    """the per-use price (None for owned hardware, priced by the simulation's economics)"""

    @property
    def name(self) -> str:
        """The price option's name in the scenario (unique per node type)."""
        return f"{self.sheet}-{self.purchase}".replace("_", "-")


@dataclass
class Family:
    """One (node type, node count) with its layout, floor time and the reason it was cut."""

    node: str
    gpu: str
    nodes: int
    num_gpus: int
    purchases: list[PurchaseChoice]
    layout: Layout | None = None
    floor_days: float = math.inf
    floor_usd: float | None = None
    reason: str | None = None
    detail: dict[str, float] = field(default_factory=dict)
    unpriced: list[tuple[str, str]] = field(default_factory=list)
    """(sheet, why) for sheets that sell this node but cannot price this plan"""

    @property
    def label(self) -> str:
        return f"{self.nodes} x {self.node}"


def goal_model(goal_model_ref: object, catalog: Catalog) -> TransformerModel:
    """The goal's model: a preset id from the catalog, or the shape given."""
    if isinstance(goal_model_ref, TransformerModel):
        return goal_model_ref
    return catalog.model(str(goal_model_ref))


def _onprem_fits(sheet_id: str, gpu_id: str) -> bool:
    """An on-prem sheet prices a node when its id names the node's GPU family
    (`onprem-hgx-h100` prices H100 nodes): on-prem sheets carry no node id."""
    family = gpu_id.split("-")[0]
    return family in sheet_id.split("-")


def purchase_choices(
    catalog: Catalog, goal: Goal, node_id: str, skipped: list[tuple[str, str]] | None = None
) -> list[PurchaseChoice]:
    """Every price option the goal allows for `node_id`, in sheet then purchase order.

    A cloud sheet with no price for the goal's storage tier is left out (added to `skipped`
    with the reason): the run could not price the checkpoints it writes there.
    """
    opts = goal.options
    node = catalog.node(node_id)
    out = []
    for sheet_id in sorted(catalog.profiles.get("pricing", {})):
        if opts.providers is not None and sheet_id not in opts.providers:
            continue
        sheet = catalog.pricing(sheet_id)
        if sheet.cloud is not None:
            tier = catalog.storage(opts.storage).tier
            if tier != "local_nvme" and tier not in sheet.cloud.storage_usd_per_gb_month:
                if skipped is not None and any(i.node == node_id for i in sheet.cloud.instances):
                    skipped.append((sheet_id, f"sheet {sheet_id!r} has no price for {tier!r}"))
                continue  # the run could not price its checkpoint storage on this sheet
            for inst in sheet.cloud.instances:
                if inst.node != node_id:
                    continue
                for kind in opts.purchases:
                    price = None if kind in OWNED else inst.usd_per_gpu_hour(kind)
                    if price is not None:
                        out.append(
                            PurchaseChoice(
                                sheet_id, sheet.cloud.provider, kind, inst.instance_type, price
                            )
                        )
        elif sheet.onprem is not None and _onprem_fits(sheet_id, node.gpu):
            for kind in opts.purchases:
                if kind in OWNED:
                    out.append(PurchaseChoice(sheet_id, "on-prem", kind, None, None))
    # one instance type per (sheet, purchase): the first listed, so option names stay unique
    seen, unique = set(), []
    for choice in out:
        if choice.name not in seen:
            seen.add(choice.name)
            unique.append(choice)
    return unique


def candidate_nodes(catalog: Catalog, goal: Goal) -> list[str]:
    """The goal's node types, or every node some allowed sheet can price."""
    if goal.options.nodes is not None:
        for node in goal.options.nodes:
            catalog.node(node)  # unknown id -> InputError naming the known ones
        return list(goal.options.nodes)
    ids = sorted(catalog.profiles.get("node", {}))
    return [n for n in ids if purchase_choices(catalog, goal, n)]


def node_counts(goal: Goal, gpus_per_node: int) -> list[int]:
    """The goal's node counts, or powers of two from 1 node up to max_gpus."""
    if goal.options.node_counts is not None:
        return sorted(set(goal.options.node_counts))
    counts, n = [], 1
    while n * gpus_per_node <= goal.options.max_gpus:
        counts.append(n)
        n *= 2
    return counts


def total_steps(train: TrainGoal) -> int:
    """Optimizer steps to see `tokens` at the goal's batch (rounded up, as the engine does)."""
    return math.ceil(train.tokens / (train.global_batch_sequences * train.seq_len))


@dataclass(frozen=True)
class LayoutJob:
    """One automatic-layout search, as plain picklable data for a pool or Ray worker."""

    index: int
    node: str
    num_gpus: int
    model: TransformerModel
    seq_len: int
    global_batch: int
    precision: str
    profile_dirs: tuple[str, ...]


def layout_job(job: LayoutJob) -> dict[str, Any]:
    """Run one layout search in a worker: {'index', 'layout' or None, 'error' or None}."""
    from simulator.sweep.worker import catalog_for

    try:
        layout = layout_for(
            catalog_for(job.profile_dirs),
            job.model,
            job.node,
            job.num_gpus,
            job.seq_len,
            job.global_batch,
            job.precision,
        )
    except InputError as exc:
        return {
            "index": job.index,
            "layout": None,
            "error": "; ".join(p.message for p in exc.problems),
        }
    return {"index": job.index, "layout": layout, "error": None}


def build_space(
    catalog: Catalog,
    goal: Goal,
    backend: Backend | None = None,
    profile_dirs: tuple[str, ...] = (),
) -> list[Family]:
    """Every family with its layout and floors, pruned ones carrying their reason.

    The layout searches (most of this step's time) run on `backend`'s workers when given,
    in the driver otherwise; the answer is the same either way.
    """
    train = goal.train
    assert train is not None
    model = goal_model(train.model, catalog)
    steps = total_steps(train)
    families = []
    for node_id in candidate_nodes(catalog, goal):
        node = catalog.node(node_id)
        skipped: list[tuple[str, str]] = []
        choices = purchase_choices(catalog, goal, node_id, skipped)
        for nodes in node_counts(goal, node.gpus_per_node):
            fam = Family(node_id, node.gpu, nodes, nodes * node.gpus_per_node, list(choices))
            fam.unpriced = skipped
            families.append(fam)
    jobs = [
        LayoutJob(
            i,
            f.node,
            f.num_gpus,
            model,
            train.seq_len,
            train.global_batch_sequences,
            train.precision,
            profile_dirs,
        )
        for i, f in enumerate(families)
        if f.purchases
    ]
    results = list(backend.run(jobs, layout_job)) if backend is not None else map(layout_job, jobs)  # type: ignore[arg-type]
    found = {r["index"]: r for r in results}
    for i, fam in enumerate(families):
        _bound(fam, catalog, train, steps, goal, found.get(i))
    return families


def _bound(
    fam: Family,
    catalog: Catalog,
    train: TrainGoal,
    steps: int,
    goal: Goal,
    found: dict[str, Any] | None,
) -> None:
    if not fam.purchases or found is None:
        fam.reason = "no allowed price option sells this node"
        return
    if found["layout"] is None:
        fam.reason = "does not fit: " + found["error"]
        return
    fam.layout = found["layout"]
    fam.floor_days = steps * fam.layout.step_time_s / DAY_S
    prices = [c.usd_per_gpu_hour for c in fam.purchases if c.usd_per_gpu_hour is not None]
    if prices:
        fam.floor_usd = fam.num_gpus * fam.floor_days * 24.0 * min(prices)
    if goal.options.power_limit_kw is not None:
        node = catalog.node(fam.node)
        gpu = catalog.gpu(fam.gpu)
        kw = fam.nodes * node.gpus_per_node * gpu.tdp_w / 1000.0
        if kw > goal.options.power_limit_kw:
            fam.reason = f"over the power limit: GPUs alone draw {kw:,.0f} kW"
            return
    if fam.floor_days > train.deadline:
        fam.reason = f"too slow by {fam.floor_days - train.deadline:,.1f} days (analytic floor)"
        fam.detail["over_days"] = fam.floor_days - train.deadline
        return
    has_owned = any(c.usd_per_gpu_hour is None for c in fam.purchases)
    budget = train.budget_usd
    priced = budget is not None and fam.floor_usd is not None and not has_owned
    if priced and fam.floor_usd > budget:  # type: ignore[operator]
        over = fam.floor_usd - budget  # type: ignore[operator]
        fam.reason = f"over budget by ${over:,.0f} (analytic floor)"
        fam.detail["over_usd"] = over


def finalists(families: list[Family], count: int) -> list[Family]:
    """The `count` surviving families cheapest at their floor (ties: faster, then name)."""
    alive = [f for f in families if f.reason is None]
    alive.sort(
        key=lambda f: (
            f.floor_usd if f.floor_usd is not None else math.inf,
            f.floor_days,
            f.node,
            f.nodes,
        )
    )
    return alive[:count]
