"""Max-min fair flows."""

from __future__ import annotations

import pytest

from simulator.engine.flows import Flow, FlowNetwork, Link, max_min_rates


def test_textbook_max_min_example() -> None:
    # links A (cap 10) and B (cap 4); f1 uses A, f2 uses A and B, f3 uses B, f4 capped at 1 on A
    a, b = Link("a", 10), Link("b", 4)
    f1, f2, f3, f4 = Flow([a]), Flow([a, b]), Flow([b]), Flow([a], cap=1)
    rates = max_min_rates([f1, f2, f3, f4])
    assert rates[f2] == pytest.approx(2) and rates[f3] == pytest.approx(2)
    assert rates[f4] == pytest.approx(1)
    assert rates[f1] == pytest.approx(7)  # what A has left


class Clock:
    """A stand-in Simulation: a clock and a list of pending calls."""

    def __init__(self) -> None:
        self.now = 0.0
        self.pending: list[tuple[float, object, tuple]] = []

    def at(self, delay, fn, *args) -> None:  # noqa: ANN001
        self.pending.append((self.now + delay, fn, args))

    def step(self) -> None:
        self.pending.sort(key=lambda p: p[0])
        t, fn, args = self.pending.pop(0)
        self.now = t
        fn(*args)


def test_transfers_finish_when_rates_say() -> None:
    clock = Clock()
    net = FlowNetwork(clock, "test")
    link = net.link("disk", 10.0)
    done = []
    net.start(Flow([link], size=100.0, on_done=lambda f: done.append(("a", clock.now))))
    clock.now = 5.0  # a has 50 left; b joins and both get 5/s
    net.start(Flow([link], size=20.0, on_done=lambda f: done.append(("b", clock.now))))
    while clock.pending and len(done) < 2:
        clock.step()
    # b: 20 at 5/s -> t=9; a then has 30 left at 10/s -> t=12
    assert done == [("b", 9.0), ("a", 12.0)]


def test_standing_demand_is_rerated() -> None:
    clock = Clock()
    net = FlowNetwork(clock, "test")
    link = net.link("disk", 10.0)
    seen = []
    demand = Flow([link], cap=8.0, on_rate=lambda f: seen.append(f.rate))
    net.start(demand)
    other = net.start(Flow([link], size=100.0))
    net.stop(other)
    assert seen == [8.0, 5.0, 8.0]
