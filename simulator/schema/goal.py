"""A goal file (`infrasim plan GOAL.yaml`): what must be achieved, never how.

A scenario says which hardware, layout and price option to simulate; a goal says only the job
(train this model on these tokens by this deadline, or serve this traffic within this SLO) and
which options the planner may consider. The planner (`simulator.plan`) turns it into the
search space (node type x node count x automatic layout x purchase option) itself.

Quantities take units through `simulator.units` (`tokens: 2T`, `deadline: 60d`,
`horizon: 36mo`), so a goal reads as the question was asked.
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import Field, model_validator

from simulator.schema.base import ProfileId, StrictModel
from simulator.schema.execution import Precision
from simulator.schema.model import TransformerModel
from simulator.schema.scenario import PurchaseKind
from simulator.units import Days, Months, OptionalSeconds, OptionalTokens, Seconds, Tokens

GOAL_SCHEMA_VERSION = 1

DEFAULT_PURCHASES: tuple[str, ...] = (
    "on_demand",
    "reserved_1yr",
    "reserved_3yr",
    "spot",
    "capacity_block",
    "colocation",
)
"""Purchase kinds considered when a goal names none: every rented kind and owned servers in a
rented hall (colocation); `owned` (a hall of one's own) only when asked for."""


class TrainGoal(StrictModel):
    """Train `model` on `tokens` tokens of `seq_len` by `deadline`, within `budget_usd`."""

    model: ProfileId | TransformerModel = Field(
        description="a model preset id (`llama3-70b`) or a model shape"
    )
    tokens: Tokens = Field(gt=0, description="tokens to train on, e.g. 2T")
    seq_len: int = Field(gt=0, description="tokens per sequence")
    global_batch_tokens: OptionalTokens = Field(
        default=None,
        gt=0,
        description="tokens per optimizer step, rounded to whole sequences; default about 4M "
        "tokens (Llama 3's pre-training batch) as a power-of-two count of sequences, so "
        "power-of-two data-parallel degrees divide it",
    )
    precision: Precision = "bf16"
    deadline: Days = Field(gt=0, description="wall-clock time allowed, e.g. 60d")
    budget_usd: float | None = Field(default=None, gt=0, description="most the run may cost")

    @property
    def global_batch_sequences(self) -> int:
        """Sequences per step: the batch in tokens over the sequence length (at least one)."""
        if self.global_batch_tokens is not None:
            return max(1, round(self.global_batch_tokens / self.seq_len))
        return 2 ** max(0, round(math.log2(4.0e6 / self.seq_len)))


class LengthDistribution(StrictModel):
    """Request lengths drawn from a log-normal with this median and spread."""

    median: float = Field(gt=0)
    sigma: float = Field(default=0.5, gt=0, description="log-space standard deviation")


class Traffic(StrictModel):
    """The requests to serve: a Poisson rate with lengths, or a trace file."""

    rate_rps: float | None = Field(default=None, gt=0, description="mean requests per second")
    input_tokens: int | LengthDistribution = Field(default=512)
    output_tokens: int | LengthDistribution = Field(default=256)
    trace: str | None = Field(default=None, description="a request trace CSV instead of a rate")

    @model_validator(mode="after")
    def _rate_or_trace(self) -> Traffic:
        if (self.rate_rps is None) == (self.trace is None):
            raise ValueError("give exactly one of rate_rps or trace")
        return self


class Slo(StrictModel):
    """Latency targets at a percentile of requests."""

    ttft_s: Seconds = Field(gt=0, description="time to first token")
    tpot_s: Seconds = Field(gt=0, description="time per output token")
    e2e_s: OptionalSeconds = Field(default=None, gt=0, description="end to end")
    percentile: Literal[50, 90, 99] = Field(
        default=90,
        description="the share of requests that must meet the targets (the "
        "percentiles a run reports)",
    )


class ServeGoal(StrictModel):
    """Serve `traffic` with `model` within `slo` over `horizon`."""

    model: ProfileId | TransformerModel
    traffic: Traffic
    slo: Slo
    horizon: Months = Field(default=36.0, gt=0, description="how long the service runs")
    precision: Literal["fp16", "bf16", "fp8", "int8", "int4"] = "bf16"
    budget_usd_per_month: float | None = Field(default=None, gt=0)
    window: Seconds = Field(
        default=600.0, gt=0, description="simulated window, read as recurring over the horizon"
    )
    max_replicas: int = Field(default=32, gt=0, description="largest replica count considered")


class GoalOptions(StrictModel):
    """What the planner may choose among."""

    nodes: list[ProfileId] | None = Field(
        default=None, description="node profiles to consider; default every priced node"
    )
    node_counts: list[int] | None = Field(
        default=None,
        description="node counts to consider (spares excluded); default powers of two up to "
        "max_gpus",
    )
    purchases: list[PurchaseKind] = Field(default_factory=lambda: list(DEFAULT_PURCHASES))
    providers: list[ProfileId] | None = Field(
        default=None, description="pricing sheets to consider; default all"
    )
    max_gpus: int = Field(default=4096, gt=0, description="largest job considered")
    power_limit_kw: float | None = Field(default=None, gt=0, description="facility IT power cap")
    facility: ProfileId = "air-cooled-colo"
    storage: ProfileId = "parallel-fs"
    spare_nodes: int | None = Field(
        default=None, ge=0, description="hot spares per pool; default 3% of the nodes, at least 1"
    )
    seeds: int = Field(default=3, gt=0, le=100)
    seed: int = Field(default=0, ge=0, description="first seed; seeds run seed .. seed+seeds-1")
    finalists: int = Field(default=12, gt=0, description="layouts simulated (node x count)")
    start_date: str = "2027-01-04"


class Goal(StrictModel):
    """One goal: exactly one of `train` or `serve`, and the options."""

    schema_version: Literal[1] = GOAL_SCHEMA_VERSION
    name: str = Field(default="plan", min_length=1)
    train: TrainGoal | None = None
    serve: ServeGoal | None = None
    options: GoalOptions = Field(default_factory=GoalOptions)

    @model_validator(mode="after")
    def _one_goal(self) -> Goal:
        if (self.train is None) == (self.serve is None):
            raise ValueError("give exactly one of train or serve")
        return self
