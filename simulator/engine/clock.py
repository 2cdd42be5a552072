"""The Clock: simulated time, the random streams and the recorder, in one small object.

Most parts of the engine need only these (when is it, call me later, draw a number, write a
record), so they get the Clock rather than the whole Simulation; SimPy does the same when it
hands a process only `env`.

Events are SimPy timeouts with a plain callback (`at`), not processes: a job holds at most a
couple of pending events and stale ones are ignored through tokens. After every event the
clock calls `after_event` (the Simulation's timeline sampler), so the timeline gets a row
whenever anything it shows changed.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Protocol

import simpy
from simpy.events import Timeout

from simulator.engine.recorder import Recorder
from simulator.engine.rng import Streams


class Timed(Protocol):
    """Simulated time: the part of the Clock every process needs."""

    @property
    def now(self) -> float:
        """Simulated seconds."""
        ...

    def at(self, delay: float, fn: Callable[..., Any], *args: Any) -> None:
        """Call `fn(*args)` after `delay` seconds."""
        ...


def _nothing() -> None:
    """The default `after_event`: sample nothing."""


class _Call:
    """A Timeout callback: run `fn(*args)`, then let the clock's owner look at its state."""

    __slots__ = ("clock", "fn", "args")

    def __init__(self, clock: Clock, fn: Callable[..., Any], args: tuple) -> None:
        self.clock, self.fn, self.args = clock, fn, args

    def __call__(self, _event: Any) -> None:
        clock = self.clock
        clock.events_processed += 1
        self.fn(*self.args)
        clock.after_event()


class Clock:
    """Time, randomness and records for one run (a `Timed`, and more)."""

    def __init__(self, seed: int) -> None:
        self.env = simpy.Environment()
        self.streams = Streams(seed)
        self.recorder = Recorder()
        self.events_processed = 0
        self.after_event: Callable[[], Any] = _nothing
        """called after every event (the Simulation samples its timeline here)"""

    @property
    def now(self) -> float:
        """Simulated seconds since the start."""
        return self.env.now

    def at(self, delay: float, fn: Callable[..., Any], *args: Any) -> Any:
        """Call `fn(*args)` after `delay` simulated seconds (never, if `delay` is infinite).

        Returns a handle for `cancel`.
        """
        if delay == math.inf:
            return None
        event = Timeout(self.env, delay)
        event.callbacks.append(_Call(self, fn, args))
        return event

    def cancel(self, handle: Any) -> None:
        """Drop a pending call from `at`: the timeout still passes, but calls and counts nothing.

        SimPy cannot take an event out of its heap; emptying its callbacks leaves the order
        of every other event as it was, so cancelling never moves a result.
        """
        if handle is not None and handle.callbacks:
            handle.callbacks = []

    def run(self, until: float) -> None:
        """Process events up to simulated time `until`."""
        self.env.run(until=until)
