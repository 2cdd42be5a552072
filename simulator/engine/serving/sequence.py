"""One request's state while a service holds it (slots only: a run may hold a million).

While a sequence decodes, nothing per token is stored: its context and tokens generated
follow from the replica's iteration counter (`context = ctx_join + iteration - join_it`),
so a run of k decode iterations touches no sequence at all.
"""

from __future__ import annotations


class Seq:
    """A request inside a service: arrived, not yet finished or dropped."""

    __slots__ = (
        "idx",
        "input",
        "output",
        "cached",
        "generated",
        "prefill_len",
        "prefill_done",
        "ctx",
        "ctx_join",
        "join_it",
        "finish_it",
        "phase",
        "epoch",
        "swapped",
        "ready",
        "preemptions",
        "blocks",
    )

    def __init__(self, idx: int, input_tokens: int, output_tokens: int, cached: int) -> None:
        self.idx = idx
        self.input = input_tokens
        self.output = output_tokens
        self.cached = cached
        """prompt tokens found in the prefix cache (their prefill is skipped)"""
        self.generated = 0
        """output tokens produced before the current prefill or admission"""
        self.prefill_len = input_tokens
        self.prefill_done = cached
        self.ctx = 0
        """cached tokens of a sequence that arrives with its KV (swapped in, transferred)"""
        self.ctx_join = 0
        self.join_it = 0
        self.finish_it = 0
        self.phase = 0
        self.epoch = 0
        """bumped when the sequence leaves the decoding set: its heap entry goes stale"""
        self.swapped = False
        self.ready = False
        """the KV cache is already built (disaggregated decode, swap-in): admit to decoding"""
        self.preemptions = 0
        self.blocks = 0
        """blocks held while prefilling (decoding sequences' blocks follow from the context)"""

    def restart(self) -> None:
        """Lose the KV cache: the prompt and the tokens generated so far are prefilled again."""
        self.prefill_len = self.input + self.generated
        self.prefill_done = min(self.cached, self.prefill_len - 1)
        self.ready = False
        self.swapped = False
        self.blocks = 0
