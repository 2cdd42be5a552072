"""A replica's paged KV cache: fixed-size blocks, and how many decoding will need next.

Blocks are allocated as vLLM's PagedAttention does: a sequence holds ceil(tokens / block)
blocks and takes a new one when its last block is full. Every decoding sequence appends one
token per iteration, in lockstep, so `(context - iteration) mod block` is constant for each:
a histogram of that phase over the decoding sequences tells, in O(block) work whatever the
batch, how many new blocks the next k iterations take. That is what lets a replica plan a
run of k decode iterations in one event and still never exceed its capacity.
"""

from __future__ import annotations


class KvCache:
    """Block accounting of one replica (blocks, not bytes; capacity fixed at construction)."""

    __slots__ = ("block_tokens", "capacity_blocks", "used_blocks", "peak_blocks", "phases")

    def __init__(self, capacity_blocks: int, block_tokens: int) -> None:
        self.block_tokens = block_tokens
        self.capacity_blocks = capacity_blocks
        self.used_blocks = 0
        self.peak_blocks = 0
        self.phases = [0] * block_tokens
        """decoding sequences by (context - iteration) mod block_tokens"""

    @property
    def free_blocks(self) -> int:
        """Blocks not held by any sequence."""
        return self.capacity_blocks - self.used_blocks

    def blocks_for(self, tokens: int) -> int:
        """Blocks a sequence of `tokens` cached tokens holds."""
        return -(-tokens // self.block_tokens)

    def allocate(self, blocks: int) -> None:
        """Take `blocks` (the caller checked they are free)."""
        self.used_blocks += blocks
        if self.used_blocks > self.peak_blocks:
            self.peak_blocks = self.used_blocks
        if self.used_blocks > self.capacity_blocks:
            raise RuntimeError("KV cache over-allocated")  # an engine bug, not bad input

    def free(self, blocks: int) -> None:
        """Give back `blocks`."""
        self.used_blocks -= blocks

    def phase_of(self, context: int, iteration: int) -> int:
        """The lockstep phase of a sequence holding `context` tokens after `iteration`."""
        return (context - iteration) % self.block_tokens

    def growth(self, iteration: int, k: int) -> int:
        """New blocks the decoding sequences take in iterations `iteration+1 .. iteration+k`.

        A sequence takes one in iteration j+1 when its context after j fills its last block,
        i.e. when (phase + j) mod block == 0.
        """
        if k <= 1:
            return self.phases[-iteration % self.block_tokens] if k == 1 else 0
        bs = self.block_tokens
        total = 0
        for phase, count in enumerate(self.phases):
            if count:
                first = -(phase + iteration) % bs
                if first < k:
                    total += count * (1 + (k - 1 - first) // bs)
        return total

    def max_iterations(self, iteration: int, k_max: int) -> tuple[int, int]:
        """Most iterations (up to `k_max`) whose block growth fits in the free blocks, and
        that growth."""
        free = self.capacity_blocks - self.used_blocks
        grow = self.growth(iteration, k_max)
        if grow <= free:
            return k_max, grow
        lo, hi = 0, k_max  # growth(lo) fits, growth(hi) does not
        lo_grow = 0
        while hi - lo > 1:
            mid = (lo + hi) // 2
            grow = self.growth(iteration, mid)
            if grow <= free:
                lo, lo_grow = mid, grow
            else:
                hi = mid
        return lo, lo_grow
