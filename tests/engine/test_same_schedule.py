"""The fleet-scale engine rework (#21) keeps every result of a seed: the saved outputs of
small trace, training-with-failures and serving runs must come out identical."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from simulator.engine import Simulation
from simulator.engine.scheduling import SCHEDULERS
from simulator.engine.scheduling.backfill import EasyBackfill
from simulator.scenario import load_scenario
from tests.engine.golden import SCENARIOS, load_golden, run_scenario, same, trace_backfill


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_output_is_identical_to_the_saved_one(name: str) -> None:
    saved, now = load_golden(name), run_scenario(name)
    for table in ("jobs", "events", "timeline", "serving"):
        assert same(now[table], saved[table]), f"{name}: {table} differs from the saved run"


def test_same_notices_a_changed_start_time() -> None:
    saved = load_golden("trace_backfill")
    moved = [list(e) for e in saved["events"]]
    start = next(e for e in moved if e[1] == "start")
    start[0] += 1.0
    assert not same(moved, saved["events"])
    assert same(float("nan"), float("nan"))


class PlainEasyBackfill(EasyBackfill):
    """The pass as it was before #21, verbatim: every candidate placed, no pass skipped."""

    kind = "plain_easy_backfill_reference"

    def schedule(self) -> None:
        self.start_in_order()
        queue = self.queue
        if len(queue) < 2:
            return
        host, cluster = self.host, self.cluster
        head = queue[0][-1]
        shadow = None
        reservation = None
        started = []
        now = self.clock.now
        for i in range(1, min(len(queue), self.params.depth + 1)):
            if cluster.free_gpus == 0:
                break
            job = queue[i][-1]
            if job.num_gpus > cluster.free_gpus:
                continue
            found = host.find_placement(job)
            if found is None:
                continue
            pool, allocation = found
            if shadow is None:
                shadow, reservation = self._reserve(head)
            end = now + job.estimate_s() * self.params.estimate_factor
            shadow.pin(allocation)
            if reservation is None:
                ok = True
            else:
                res_time, res_pool = reservation
                if end <= res_time or pool is not res_pool:
                    ok = True
                else:
                    shadow.take(pool, allocation)
                    ok = shadow.fits(res_pool, head.num_gpus)
                    if not ok:
                        shadow.release(pool, allocation)
            if ok and host.start_on(job, pool, allocation):
                started.append(i)
        for i in reversed(started):
            del queue[i]


@pytest.fixture
def reference_kind():
    SCHEDULERS[PlainEasyBackfill.kind] = PlainEasyBackfill
    yield PlainEasyBackfill.kind
    del SCHEDULERS[PlainEasyBackfill.kind]


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param(
            {"power": {"enforcement": "admission", "cap_kw": 150.0}},
            # the plain pass crashes here too (IndexError in Shadow.take): found in #21, a bug
            # of its own to fix; this records it until then
            marks=pytest.mark.xfail(raises=IndexError, strict=True),
        ),
        {"placement": {"kind": "spread"}},
        {"placement": {"kind": "pack"}, "scheduler": None},
    ],
)
def test_the_fast_pass_starts_what_the_plain_pass_starts(
    tmp_path: Path, engine_catalog, reference_kind: str, changes: dict
) -> None:
    """Where no output was saved (the power cap refusing starts, spread placement), the new
    pass is run against the old one, kept above as a reference."""
    data = trace_backfill(tmp_path)
    data["policies"].update({k: v for k, v in changes.items() if v is not None})
    events = {}
    for kind in (reference_kind, "easy_backfill"):  # the plain pass first
        data["policies"]["scheduler"] = {"kind": kind, "params": {"depth": 30}}
        path = tmp_path / f"{kind}.yaml"
        path.write_text(yaml.safe_dump(data, sort_keys=False))
        events[kind] = Simulation(load_scenario(path, engine_catalog)).run().events
    starts = [e for e in events["easy_backfill"] if e[1] == "start"]
    assert len(starts) > 1000
    assert events["easy_backfill"] == events[reference_kind]
