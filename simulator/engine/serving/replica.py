"""A serving replica with iteration-level continuous batching (Orca, vLLM).

At every iteration boundary the replica decides the next pass:

1. every decoding sequence gets one token; if their new KV blocks do not fit, the most
   recently admitted sequence is preempted (recomputed later, or swapped to host memory)
   until they do;
2. the rest of the token budget (`max_batched_tokens`) goes to prompt chunks: first the
   prompts already being prefilled, then waiting requests, admitted in order while their
   whole prompt's blocks are free and fewer than `max_num_seqs` run (chunked prefill);
3. a pass with prompt chunks is one iteration (one event). A pass of decode tokens only is
   identical from one iteration to the next except that each context grows by one, so the
   replica plans k of them at once in closed form (`IterationModel.decode_run_s`), k being
   the iterations until the first sequence finishes or the cache would overflow. A request
   arriving meanwhile cuts the run at the next iteration boundary, where it is admitted.

So the cost of simulating grows with admissions, completions and preemptions, not with
tokens, while every iteration's time and every block still follow the vLLM-style schedule.
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from typing import TYPE_CHECKING, Any, Protocol

from simulator.engine.serving.kv_cache import KvCache
from simulator.engine.serving.sequence import Seq

if TYPE_CHECKING:
    from simulator.engine.clock import Timed
    from simulator.perf.serving_iteration import IterationModel

NAN = math.nan


class ReplicaService(Protocol):
    """What a replica may ask of its service (`ServiceRuntime` is one): the batching limits,
    the cost model, and where finished, dropped and handed-off sequences go. Declared here so
    that replicas do not import the service that owns them."""

    clock: Timed
    iteration: IterationModel
    kv_blocks: int
    block_tokens: int
    gpus_per_replica: int
    max_num_seqs: int
    max_batched_tokens: int
    preemption: str
    preemptions: int
    swap_pending_s: float

    def swap_s(self, ctx: int) -> float:
        """Seconds to swap `ctx` tokens of KV cache out and back."""
        ...

    def first_token(self, seq: Seq, now: float) -> None:
        """`seq` produced its first token."""
        ...

    def finish(self, seq: Seq, now: float, replica: Replica) -> None:
        """`seq` completed on `replica`."""
        ...

    def drop(self, seq: Seq) -> None:
        """`seq` can never fit a replica's KV cache."""
        ...

    def hand_off(self, seq: Seq, source: Replica) -> None:
        """A prefilled `seq` moves to the decode pool."""
        ...

    def drained(self, replica: Replica) -> None:
        """A draining replica finished its last request."""
        ...


class Replica:
    """One copy of the model on `tp * pp` GPUs, its queue, batch and KV cache."""

    def __init__(self, svc: ReplicaService, index: int, role: str, handle: Any = None) -> None:
        self.svc = svc
        self.index = index
        self.role = role
        """'both' (colocated), 'prefill' or 'decode' (disaggregated pools)"""
        self.handle = handle
        """what the host allocated (a cluster job, or the start time standalone)"""
        self.model = svc.iteration
        self.kv = KvCache(svc.kv_blocks, svc.block_tokens)
        self.waiting: deque[Seq] = deque()
        self.queued_blocks = 0
        """blocks the waiting sequences will need (for KV-aware routing)"""
        self.running: dict[int, Seq] = {}
        """admitted sequences, in admission order (the last is preempted first)"""
        self.prefilling: list[Seq] = []
        self.heap: list[tuple[int, int, int, Seq]] = []
        """(finish iteration, request, epoch, seq) of the decoding sequences"""
        self.n_dec = 0
        self.ctx_sum = 0
        """cached tokens of the decoding sequences after iteration `it`"""
        self.it = 0
        self.token = 0
        self.pending: Any = None
        """the clock handle of the segment end in flight (cancelled when the run is cut)"""
        self.outstanding = 0
        """requests routed here and not yet gone (finished, handed off, dropped)"""
        self.busy = False
        self.plan_pending = False
        self.draining = False
        self.alive = True
        # the segment in flight
        self.seg_t0 = 0.0
        self.seg_k = 0
        self.seg_dec = 0
        self.seg_ctx = 0
        self.seg_end = 0.0
        self.seg_grow = 0
        self.seg_chunks: list[tuple[Seq, int]] = []
        # accounting
        self.busy_s = 0.0
        self.batch_area = 0.0
        """integral of the running batch over busy time (sequence-seconds)"""
        self.iterations = 0

    # ------------------------------------------------------------------ queue
    def enqueue(self, seq: Seq) -> None:
        """A request routed to this replica."""
        self.waiting.append(seq)
        self.outstanding += 1
        self.queued_blocks += self._blocks_needed(seq)
        if not self.busy:
            self._plan_soon()
        elif self.seg_k > 1 and self._could_admit(seq):
            self._cut_run()

    def _plan_soon(self) -> None:
        """Plan once every arrival of this instant is queued, so they batch together."""
        if not self.plan_pending:
            self.plan_pending = True
            self.svc.clock.at(0.0, self._deferred_plan)

    def _deferred_plan(self) -> None:
        self.plan_pending = False
        if not self.busy:
            self._plan()

    def _blocks_needed(self, seq: Seq) -> int:
        return self.kv.blocks_for(seq.ctx if seq.ready else seq.prefill_len)

    def _could_admit(self, seq: Seq) -> bool:
        return (
            len(self.running) < self.svc.max_num_seqs
            and self._blocks_needed(seq) <= self.kv.free_blocks
        )

    def _cut_run(self) -> None:
        """End the decode run in flight at the next iteration boundary."""
        now = self.svc.clock.now
        model = self.model
        elapsed = now - self.seg_t0
        done = model.decode_iterations_within(self.seg_dec, self.seg_ctx, elapsed)
        at_boundary = model.decode_run_s(self.seg_dec, self.seg_ctx, done) >= elapsed
        k = max(1, done if at_boundary else done + 1)
        if k >= self.seg_k:
            return
        kv = self.kv
        grow = kv.growth(self.it, k)
        kv.free(self.seg_grow - grow)
        self.seg_grow = grow
        end = self.seg_t0 + model.decode_run_s(self.seg_dec, self.seg_ctx, k)
        self.busy_s -= self.seg_end - end
        self.batch_area -= (self.seg_end - end) * self.seg_dec
        self.seg_k, self.seg_end = k, end
        self.token += 1
        clock = self.svc.clock
        clock.cancel(self.pending)  # the cut run's old end would only be skipped (stale)
        self.pending = clock.at(max(0.0, end - now), self._segment_end, self.token)

    # ------------------------------------------------------------------ planning
    def _preempt_last(self) -> None:
        seq = self.running.popitem()[1]
        kv, svc = self.kv, self.svc
        seq.preemptions += 1
        svc.preemptions += 1
        if seq.prefill_done < seq.prefill_len:
            self.prefilling.remove(seq)
            kv.free(seq.blocks)
            seq.restart()
            self.enqueue_back(seq)
            return
        # a decoding sequence: leave the lockstep set
        it = self.it
        ctx = seq.ctx_join + it - seq.join_it
        seq.generated = seq.output - (seq.finish_it - it)
        seq.epoch += 1
        kv.phases[seq.phase] -= 1
        self.n_dec -= 1
        self.ctx_sum -= ctx
        kv.free(kv.blocks_for(ctx))
        if svc.preemption == "swap":
            seq.ctx = ctx
            seq.ready = True
            seq.swapped = True
            svc.swap_pending_s += svc.swap_s(ctx)
        else:
            seq.restart()
        self.enqueue_back(seq)

    def enqueue_back(self, seq: Seq) -> None:
        """Put a preempted sequence at the head of the queue (no replanning: we are in it)."""
        self.waiting.appendleft(seq)
        self.queued_blocks += self._blocks_needed(seq)

    def _join_decoding(self, seq: Seq, ctx: int, generated: int) -> None:
        kv = self.kv
        seq.ctx_join = ctx
        seq.join_it = self.it
        seq.generated = generated
        seq.finish_it = self.it + seq.output - generated
        seq.phase = kv.phase_of(ctx, self.it)
        kv.phases[seq.phase] += 1
        self.n_dec += 1
        self.ctx_sum += ctx
        heapq.heappush(self.heap, (seq.finish_it, seq.idx, seq.epoch, seq))

    def _plan(self) -> None:
        """At an iteration boundary, with nothing in flight: choose and start the next pass."""
        svc, kv, it = self.svc, self.kv, self.it
        if not self.alive:
            return
        while self.n_dec and kv.growth(it, 1) > kv.free_blocks:
            self._preempt_last()
        extra_s = svc.swap_pending_s
        svc.swap_pending_s = 0.0
        budget = svc.max_batched_tokens - self.n_dec
        chunks: list[tuple[Seq, int]] = []
        for seq in self.prefilling:
            if budget <= 0:
                break
            q = min(seq.prefill_len - seq.prefill_done, budget)
            chunks.append((seq, q))
            budget -= q
        waiting = self.waiting
        growth = kv.growth(it, 1)
        while waiting and budget > 0 and len(self.running) < svc.max_num_seqs:
            seq = waiting[0]
            need = self._blocks_needed(seq)
            # a sequence joining the decode set may itself need a block next iteration
            if need + growth + seq.ready > kv.free_blocks:
                break
            waiting.popleft()
            self.queued_blocks -= need
            kv.allocate(need)
            self.running[seq.idx] = seq
            if seq.ready:
                if seq.swapped:
                    extra_s += svc.swap_s(seq.ctx)
                    seq.swapped = False
                seq.ready = False
                self._join_decoding(seq, seq.ctx, seq.generated)
                growth = kv.growth(it, 1)
                budget -= 1
            else:
                seq.blocks = need
                q = min(seq.prefill_len - seq.prefill_done, budget)
                self.prefilling.append(seq)
                chunks.append((seq, q))
                budget -= q
        model = self.model
        n_dec = self.n_dec
        if chunks or extra_s > 0.0:
            tokens = n_dec
            emit = n_dec
            attention = 0.0
            for seq, q in chunks:
                tokens += q
                done = seq.prefill_done + q
                attention += model.prefill_attention_s(q, done)
                emit += done == seq.prefill_len
            duration = model.token_s(tokens) + model.lm_head_s(emit) + attention + extra_s
            if n_dec:
                duration += model.decode_attention_s(self.ctx_sum + n_dec)
            k = 1
            grow = kv.growth(it, 1)
        elif n_dec:
            while self.heap[0][2] != self.heap[0][3].epoch:
                heapq.heappop(self.heap)
            k, grow = kv.max_iterations(it, self.heap[0][0] - it)
            duration = model.decode_run_s(n_dec, self.ctx_sum, k)
        else:
            self.busy = False
            if waiting:  # cannot fit even alone (routing should have refused it)
                seq = waiting.popleft()
                self.queued_blocks -= self._blocks_needed(seq)
                self.outstanding -= 1
                svc.drop(seq)
                self._plan()
            elif self.draining:
                svc.drained(self)
            return
        kv.allocate(grow)
        now = svc.clock.now
        self.busy = True
        self.seg_t0, self.seg_k, self.seg_dec, self.seg_ctx = now, k, n_dec, self.ctx_sum
        self.seg_end = now + duration
        self.seg_grow = grow
        self.seg_chunks = chunks
        self.busy_s += duration
        self.batch_area += duration * (n_dec + len(chunks))
        self.token += 1
        svc.clock.cancel(self.pending)
        self.pending = svc.clock.at(duration, self._segment_end, self.token)

    def _segment_end(self, token: int) -> None:
        if token != self.token or not self.alive:
            return
        self.pending = None
        svc = self.svc
        kv = self.kv
        k = self.seg_k
        self.it += k
        self.iterations += k
        it = self.it
        self.ctx_sum += self.seg_dec * k
        now = svc.clock.now
        for seq, q in self.seg_chunks:
            seq.prefill_done += q
            if seq.prefill_done < seq.prefill_len:
                continue
            self.prefilling.remove(seq)
            generated = seq.generated + 1
            svc.first_token(seq, now)
            if generated >= seq.output:
                del self.running[seq.idx]
                self.outstanding -= 1
                kv.free(seq.blocks)
                seq.generated = generated
                svc.finish(seq, now, self)
            elif self.role == "prefill":
                del self.running[seq.idx]
                self.outstanding -= 1
                seq.generated = generated
                svc.hand_off(seq, self)
            else:  # its prompt blocks become its decoding blocks
                self._join_decoding(seq, seq.prefill_len, generated)
        self.seg_chunks = []
        heap = self.heap
        while heap and heap[0][0] <= it:
            _, _, epoch, seq = heapq.heappop(heap)
            if epoch != seq.epoch:
                continue
            seq.epoch += 1
            ctx = seq.ctx_join + it - seq.join_it
            kv.phases[seq.phase] -= 1
            self.n_dec -= 1
            self.ctx_sum -= ctx
            kv.free(kv.blocks_for(ctx))
            del self.running[seq.idx]
            self.outstanding -= 1
            seq.generated = seq.output
            svc.finish(seq, now, self)
        self.busy = False
        self._plan()

    def kick(self) -> None:
        """Blocks were freed from outside (a KV transfer finished): try to admit."""
        if not self.busy and self.alive:
            self._plan_soon()

    # ------------------------------------------------------------------ loss
    def evacuate(self) -> list[Seq]:
        """The replica lost its GPUs: every request it held, KV caches gone."""
        self.alive = False
        self.token += 1
        self.svc.clock.cancel(self.pending)
        self.pending = None
        it = self.it
        seqs = []
        for seq in self.running.values():
            if seq.prefill_done >= seq.prefill_len:
                seq.generated = max(seq.generated, seq.output - (seq.finish_it - it))
            seq.epoch += 1
            seq.restart()
            seqs.append(seq)
        for seq in self.waiting:
            if seq.ready:
                seq.restart()
            seqs.append(seq)
        self.running.clear()
        self.waiting.clear()
        self.prefilling.clear()
        self.heap.clear()
        self.n_dec = self.ctx_sum = self.outstanding = self.queued_blocks = 0
        if self.busy:
            now = self.svc.clock.now
            self.busy_s -= max(0.0, self.seg_end - now)
        self.busy = False
        return seqs
