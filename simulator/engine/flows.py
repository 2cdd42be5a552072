"""Shared bandwidth as max-min fair flows, re-rated only when a flow starts or ends.

A `FlowNetwork` has links (capacity in units per second) and flows (a set of links, a cap on
their own rate, and either a size to transfer or none for a standing demand such as dataset
streaming). Rates are the max-min fair allocation by progressive filling: raise every flow's
rate together; a flow stops rising when it reaches its cap or when one of its links fills.

Between changes rates are constant, so finite flows finish at a computable time: the network
keeps one pending event for the earliest finish and recomputes on every start, end or
capacity change. Callbacks (`on_done`, `on_rate`) run after the network is consistent again,
so they may start or stop other flows. Storage tiers and the scale-out fabric use it; so can
anything else that shares a budget.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from simulator.engine.clock import Timed

_EPS = 1e-12


class Link:
    """A shared capacity (bytes/s, or any unit per second)."""

    __slots__ = ("name", "capacity")

    def __init__(self, name: str, capacity: float) -> None:
        self.name = name
        self.capacity = float(capacity)


class Flow:
    """One transfer or standing demand across some links."""

    __slots__ = (
        "links",
        "cap",
        "size",
        "remaining",
        "rate",
        "on_done",
        "on_rate",
        "owner",
        "seq",
        "lone",
    )

    def __init__(
        self,
        links: list[Link],
        *,
        cap: float = float("inf"),
        size: float | None = None,
        on_done: Callable[[Flow], Any] | None = None,
        on_rate: Callable[[Flow], Any] | None = None,
        owner: Any = None,
    ) -> None:
        """A flow over `links`, never faster than `cap`; `size=None` means it never finishes."""
        self.links = links
        self.cap = float(cap)
        self.size = size
        self.remaining = size
        self.rate = 0.0
        self.on_done = on_done
        self.on_rate = on_rate
        self.owner = owner
        self.seq = 0
        self.lone: float | None = None
        """its rate when alone in a network (links and cap never change: computed once)"""


def max_min_rates(flows: list[Flow]) -> dict[Flow, float]:
    """Max-min fair rates of `flows` (progressive filling), honouring each flow's cap."""
    if len(flows) == 1:
        flow = flows[0]
        if flow.lone is None:
            flow.lone = _lone_rate(flow)
        return {flow: flow.lone}
    rates: dict[Flow, float] = {}
    room: dict[Link, float] = {}
    count: dict[Link, int] = {}
    for flow in flows:
        for link in flow.links:
            room[link] = link.capacity
            count[link] = count.get(link, 0) + 1
    active = set(flows)
    level = 0.0
    while active:
        # the next level at which something saturates
        step = min((f.cap - level for f in active), default=float("inf"))
        for link, n in count.items():
            if n:
                step = min(step, room[link] / n)
        if step == float("inf"):
            raise ValueError("a flow with no links and no cap has no finite rate")
        step = max(step, 0.0)
        level += step
        for link, n in count.items():
            room[link] -= step * n
        frozen = [f for f in active if f.cap <= level * (1 + _EPS) + _EPS]
        full = {link for link, n in count.items() if n and room[link] <= _EPS * link.capacity}
        for flow in active:
            if flow not in frozen and any(link in full for link in flow.links):
                frozen.append(flow)
        for flow in frozen:
            active.discard(flow)
            rates[flow] = level
            for link in flow.links:
                count[link] -= 1
    return rates


def _lone_rate(flow: Flow) -> float:
    """Progressive filling of one flow in one step: its cap or its narrowest link's share.

    The same arithmetic as the general loop (level 0 + one step), so the rate is bit-identical,
    without its per-link passes (a fabric flow crosses hundreds of pod uplinks).
    """
    links = flow.links
    if len(set(links)) == len(links):
        step = min(flow.cap, min((link.capacity for link in links), default=float("inf")))
    else:
        count: dict[Link, int] = {}
        for link in links:
            count[link] = count.get(link, 0) + 1
        step = min([flow.cap] + [link.capacity / n for link, n in count.items()])
    if step == float("inf"):
        raise ValueError("a flow with no links and no cap has no finite rate")
    return 0.0 + max(step, 0.0)


class FlowNetwork:
    """Links and the flows sharing them, driven by a Simulation's clock."""

    def __init__(self, sim: Timed, name: str) -> None:
        self.sim = sim
        self.name = name
        self.links: dict[str, Link] = {}
        self.flows: list[Flow] = []
        self._last = 0.0
        self._token = 0
        self._seq = 0

    def link(self, name: str, capacity: float) -> Link:
        """Add (or return) a link."""
        if name not in self.links:
            self.links[name] = Link(name, capacity)
        return self.links[name]

    def start(self, flow: Flow) -> Flow:
        """Add a flow; every flow's rate is recomputed."""
        self._settle()
        self._seq += 1
        flow.seq = self._seq
        self.flows.append(flow)
        self._rerate()
        return flow

    def stop(self, flow: Flow) -> None:
        """Remove a flow before it finishes (no on_done); others are re-rated.

        A stopped flow carries nothing (rate 0), so starting it again is starting a new one.
        """
        if flow not in self.flows:
            return
        self._settle()
        self._detach(flow)
        flow.rate = 0.0
        self._rerate()

    # ------------------------------------------------------------------ internals
    def _detach(self, flow: Flow) -> None:
        self.flows.remove(flow)

    def _settle(self) -> None:
        now = self.sim.now
        dt = now - self._last
        if dt > 0:
            for flow in self.flows:
                if flow.remaining is not None:
                    flow.remaining -= flow.rate * dt
        self._last = now

    def _rerate(self, done: list[Flow] | None = None) -> None:
        rates = max_min_rates(self.flows) if self.flows else {}
        changed = []
        for flow in self.flows:
            rate = rates[flow]
            if rate != flow.rate:
                flow.rate = rate
                if flow.on_rate is not None:
                    changed.append(flow)
        self._token += 1
        finish = None
        for flow in self.flows:
            if flow.remaining is not None and flow.rate > 0:
                t = max(flow.remaining, 0.0) / flow.rate
                if finish is None or t < finish:
                    finish = t
        if finish is not None:
            self.sim.at(finish, self._finish, self._token)
        for flow in done or ():
            if flow.on_done is not None:
                flow.on_done(flow)
        for flow in changed:
            if flow in self.flows:
                flow.on_rate(flow)  # type: ignore[misc]

    def _finish(self, token: int) -> None:
        if token != self._token:
            return
        self._settle()
        done = [
            f
            for f in self.flows
            if f.remaining is not None
            and (f.remaining <= 1e-9 * max(1.0, f.size or 0.0) or f.remaining <= f.rate * 1e-9)
        ]
        for flow in done:
            flow.remaining = 0.0
            self._detach(flow)
        self._rerate(done)
