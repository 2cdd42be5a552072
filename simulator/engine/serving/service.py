"""One inference service at run time: arrivals, router, replica pools, hand-offs, records.

The service owns what is common to its replicas: the iteration cost model, the KV capacity,
the request stream and the per-request records. Where GPUs come from is the host's business
(`simulator.engine.serving.hosts`): unlimited and instant for `estimate serving`, allocated by
the cluster scheduler (shared with training) inside a scenario run. Replicas of a
disaggregated service form two pools: prompts go to the prefill pool, whose finished
sequences move their KV cache over the fabric to the decode pool.

Every arrived request is, at any time, exactly one of: completed, dropped (it could never fit
a replica's KV cache), or in flight (queued, running, in transfer, or waiting for a replica);
`conservation()` states it and the tests check it.
"""

from __future__ import annotations

import math
from collections import deque
from typing import Any, Protocol

from simulator.engine.serving.arrivals import RequestStream
from simulator.engine.serving.autoscaler import Autoscaler
from simulator.engine.serving.replica import Replica
from simulator.engine.serving.router import ROUTERS
from simulator.engine.serving.sequence import Seq
from simulator.perf.serving_iteration import IterationModel
from simulator.schema.scenario import InferenceService

NAN = math.nan


class Clock(Protocol):
    """The simulation's time: what a service needs from the environment."""

    @property
    def now(self) -> float:
        """Simulated seconds."""
        ...

    def at(self, delay: float, fn: Any, *args: Any) -> Any:
        """Call `fn(*args)` after `delay` seconds; a handle for `cancel`."""
        ...

    def cancel(self, handle: Any) -> None:
        """Drop a pending call (a handle from `at`) that has not run yet."""
        ...


class Host(Protocol):
    """Where replicas' GPUs come from."""

    def provision(self, svc: ServiceRuntime, role: str, warm: bool) -> None:
        """Get GPUs for one replica; call `svc.replica_ready(role, handle)` once it serves
        (after the cold start unless `warm`)."""
        ...

    def release(self, replica: Replica) -> None:
        """Give a drained replica's GPUs back."""
        ...

    def gpu_seconds(self, svc: ServiceRuntime) -> float:
        """GPU-seconds held by the service's replicas so far (cold starts included)."""
        ...


class ServiceRuntime:
    """A service's state during a run."""

    def __init__(
        self,
        spec: InferenceService,
        *,
        iteration: IterationModel,
        kv_tokens: int,
        stream: RequestStream,
        clock: Clock,
        host: Host,
        kv_transfer_s_per_token: float = 0.0,
        swap_s_per_token: float = 0.0,
        cold_start_s: float = 0.0,
        stop_when_done: bool = True,
    ) -> None:
        self.spec = spec
        self.name = spec.name
        self.iteration = iteration
        self.clock = clock
        self.host = host
        self.stream = stream
        self.block_tokens = spec.kv_block_tokens
        self.kv_blocks = kv_tokens // spec.kv_block_tokens
        self.max_num_seqs = spec.max_num_seqs
        self.max_batched_tokens = spec.max_batched_tokens
        self.preemption = spec.preemption
        self.gpus_per_replica = spec.tp * spec.pp
        self.kv_transfer_s_per_token = kv_transfer_s_per_token
        self.swap_s_per_token = swap_s_per_token
        self.cold_start_s = cold_start_s
        traffic = spec.traffic
        self.max_concurrency = traffic.concurrency if traffic.arrivals == "closed_loop" else None
        self.stop_when_done = stop_when_done
        self.swap_pending_s = 0.0
        """swap-out time owed by the replica planning now (added to its next pass)"""
        disagg = spec.disaggregation
        self.entry_role = "prefill" if disagg else "both"
        self.scaled_role = "decode" if disagg else "both"
        self.pools: dict[str, list[Replica]] = {r: [] for r in {self.entry_role, self.scaled_role}}
        self._accepting: dict[str, list[Replica]] = {}
        self.routers = {role: ROUTERS[spec.routing]() for role in self.pools}
        self.pending: dict[str, deque[Seq]] = {role: deque() for role in self.pools}
        self.starting: dict[str, int] = {role: 0 for role in self.pools}
        self.replicas_started = 0
        self.peak_replicas = 0
        self.retired: list[Replica] = []
        self.autoscaler = (
            Autoscaler(self, spec.autoscaling, spec.max_replicas or spec.replicas)
            if spec.autoscaling
            else None
        )
        n = len(stream)
        self.issued_s: list[float] = stream.arrival_s.tolist()
        self.first_s = [NAN] * n
        self.finish_s = [NAN] * n
        self.replica_of = [-1] * n
        self.preempted = [0] * n
        self.dropped_flag = [False] * n
        self._inputs = stream.input_tokens.tolist()
        self._outputs = stream.output_tokens.tolist()
        self.next_arrival = 0
        self.backlog: deque[int] = deque()
        """requests held back by a closed-loop client limit (`max_concurrency`)"""
        self.arrived = self.completed = self.dropped = self.preemptions = 0
        self.transfers = 0
        self.in_system = 0
        self.area = 0.0
        """integral of requests in the system over time (Little's law: = sum of latencies)"""
        self._t_area = 0.0
        self.timeline: list[tuple] = []
        self.kv_samples: list[float] = []
        self.end_s = 0.0
        hit = spec.prefix_cache_hit_rate
        self._cached_blocks_rate = hit

    # ------------------------------------------------------------------ start
    def start(self) -> None:
        """Bring up the initial replicas (warm) and schedule arrivals and sampling."""
        disagg = self.spec.disaggregation
        if disagg:
            for _ in range(disagg.prefill_replicas):
                self.host.provision(self, "prefill", True)
            for _ in range(self.spec.replicas):
                self.host.provision(self, "decode", True)
        else:
            for _ in range(self.spec.replicas):
                self.host.provision(self, "both", True)
        if len(self.stream):
            first = self.issued_s[0]
            self.clock.at(first - self.clock.now, self._arrive)
        self.clock.at(0.0, self._sample)
        if self.autoscaler is not None:
            self.autoscaler.start()

    # ------------------------------------------------------------------ replicas
    def add_replica(self, role: str, warm: bool = False) -> None:
        """Ask the host for one more replica of `role`."""
        self.starting[role] += 1
        self.host.provision(self, role, warm)

    def replica_ready(self, role: str, handle: Any) -> Replica:
        """The host's replica finished its cold start: it takes work from now on."""
        if self.starting[role] > 0:
            self.starting[role] -= 1
        replica = Replica(self, self.replicas_started, role, handle)
        self.replicas_started += 1
        self.pools[role].append(replica)
        self._accepting.clear()
        self.peak_replicas = max(self.peak_replicas, self.active_replicas())
        pending = self.pending[role]
        while pending:
            self._route(pending.popleft(), role)
        return replica

    def active_replicas(self) -> int:
        """Replicas serving now (both pools)."""
        return sum(len(p) for p in self.pools.values())

    def accepting(self, role: str) -> list[Replica]:
        """Replicas of `role` that take new requests."""
        cached = self._accepting.get(role)
        if cached is None:
            cached = self._accepting[role] = [r for r in self.pools[role] if not r.draining]
        return cached

    def drain(self, replica: Replica) -> None:
        """Stop routing to `replica`; it is released once empty."""
        replica.draining = True
        self._accepting.clear()
        if not replica.busy and not replica.outstanding:
            self.drained(replica)

    def drained(self, replica: Replica) -> None:
        """A draining replica finished its last request: give its GPUs back."""
        if replica in self.pools[replica.role]:
            self.pools[replica.role].remove(replica)
            self._accepting.clear()
            replica.alive = False
            self.retired.append(replica)
            self.host.release(replica)

    def replica_lost(self, replica: Replica) -> None:
        """The host took the replica's GPUs (a failure, a preemption): requeue its requests."""
        if replica not in self.pools[replica.role]:
            return
        self.pools[replica.role].remove(replica)
        self._accepting.clear()
        self.retired.append(replica)
        for seq in replica.evacuate():
            self._route(seq, self.entry_role)

    # ------------------------------------------------------------------ requests
    def _arrive(self) -> None:
        now = self.clock.now
        issued = self.issued_s
        i, n = self.next_arrival, len(issued)
        limit = self.max_concurrency
        while i < n and issued[i] <= now:
            if limit is not None and self.in_system >= limit:
                self.backlog.append(i)
            else:
                self._admit_request(i, now)
            i += 1
        self.next_arrival = i
        if i < n:
            self.clock.at(issued[i] - now, self._arrive)

    def _admit_request(self, i: int, now: float) -> None:
        self.issued_s[i] = now
        self._count(+1)
        self.arrived += 1
        inp, out = self._inputs[i], self._outputs[i]
        bs = self.block_tokens
        cached = min(int(self._cached_blocks_rate * inp / bs) * bs, inp - 1)
        seq = Seq(i, inp, out, cached)
        if -(-(inp + out) // bs) > self.kv_blocks:
            self.drop(seq)
            return
        self._route(seq, self.entry_role)

    def _route(self, seq: Seq, role: str) -> None:
        replicas = self.accepting(role)
        if not replicas:
            self.pending[role].append(seq)
            return
        replica = self.routers[role].pick(replicas, seq)
        self.replica_of[seq.idx] = replica.index
        replica.enqueue(seq)

    def _count(self, delta: int) -> None:
        now = self.clock.now
        self.area += self.in_system * (now - self._t_area)
        self._t_area = now
        self.in_system += delta

    def first_token(self, seq: Seq, now: float) -> None:
        """A sequence's prefill finished: its first token (only the first time counts)."""
        if self.first_s[seq.idx] != self.first_s[seq.idx]:  # NaN: not yet
            self.first_s[seq.idx] = now

    def finish(self, seq: Seq, now: float, replica: Replica) -> None:
        """A sequence produced its last token."""
        self.finish_s[seq.idx] = now
        self.preempted[seq.idx] = seq.preemptions
        self.completed += 1
        self._count(-1)
        self.end_s = now
        if self.backlog:
            self._admit_request(self.backlog.popleft(), now)

    def drop(self, seq: Seq) -> None:
        """A request no replica can hold (its prompt and answer exceed the KV cache)."""
        self.dropped_flag[seq.idx] = True
        self.dropped += 1
        self._count(-1)
        if self.backlog:
            self._admit_request(self.backlog.popleft(), self.clock.now)

    def hand_off(self, seq: Seq, source: Replica) -> None:
        """A prefill-pool sequence sends its KV cache to the decode pool over the fabric."""
        self.transfers += 1
        delay = seq.prefill_len * self.kv_transfer_s_per_token
        self.clock.at(delay, self._transferred, seq, source)

    def _transferred(self, seq: Seq, source: Replica) -> None:
        source.kv.free(seq.blocks)
        seq.blocks = 0
        source.kick()
        seq.ctx = seq.prefill_len
        seq.ready = True
        self._route(seq, "decode")

    def swap_s(self, ctx: int) -> float:
        """Seconds to move `ctx` tokens of KV cache between GPU and host memory."""
        return ctx * self.swap_s_per_token

    # ------------------------------------------------------------------ state
    def done(self) -> bool:
        """Every request of the stream has arrived and left."""
        return self.next_arrival >= len(self.issued_s) and self.in_system == 0

    def conservation(self) -> tuple[int, int, int, int]:
        """(arrived, completed, in flight, dropped); arrived == completed + in flight + dropped."""
        return self.arrived, self.completed, self.in_system, self.dropped

    def _all_replicas(self) -> list[Replica]:
        return [r for pool in self.pools.values() for r in pool]

    def _sample(self) -> None:
        now = self.clock.now
        replicas = self._all_replicas()
        used = sum(r.kv.used_blocks for r in replicas)
        capacity = sum(r.kv.capacity_blocks for r in replicas)
        kv_util = used / capacity if capacity else 0.0
        running = sum(len(r.running) for r in replicas)
        queue = sum(len(r.waiting) for r in replicas)
        queue += sum(len(p) for p in self.pending.values()) + len(self.backlog)
        self.timeline.append(
            (now, self.name, len(replicas), sum(self.starting.values()), running, queue, kv_util)
        )
        self.kv_samples.append(kv_util)
        if not (self.stop_when_done and self.done()):
            self.clock.at(self.spec.timeline_interval_s, self._sample)

    def settle(self, now: float) -> None:
        """Bring the Little's-law integral up to `now` (end of the run)."""
        self._count(0)
        self.end_s = max(self.end_s, now) if not self.stop_when_done else self.end_s
