"""Sweep spec: a base scenario, axes over its fields, constraints and objectives.

A planner compares hundreds of variants of one scenario; writing each by hand would drift.
The spec names one base scenario file and the fields to vary (`axes`), so every point is the
base plus a few `--set`-style overrides and nothing else. Constraints and objectives name
figures of a run's summary by dotted path (`it_energy_kwh`, `training_goodput.pretrain`,
`costs.options.aws.total_usd`) plus the sweep's own derived `time_to_train_h[.<job>]`, so new
summary figures become sweepable without touching this schema.

Example::

    schema_version: 1
    name: gpus vs checkpointing
    base: ../llama3-70b-pretrain-h100.yaml
    replications: 3
    axes:
      - path: workloads.training_jobs[0].checkpoint.policy
        values: [young_daly, none]
      - zip:
          - {path: cluster.pools[0].count, values: [68, 132]}
          - {path: workloads.training_jobs[0].num_gpus, values: [512, 1024]}
    constraints:
      - {metric: time_to_train_h, max: 720}
    objectives:
      - {metric: total_gpus, goal: minimize}
      - {metric: time_to_train_h, goal: minimize}
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag, model_validator

from simulator.schema.base import StrictModel

SWEEP_SCHEMA_VERSION = 1
MAX_AXIS_VALUES = 10_000
"""An axis longer than this is almost certainly a range typo (a step of 0.001 for 0.1)."""


class RangeValues(StrictModel):
    """Evenly spaced values from `start` to `stop` inclusive, by `step` or `num` of them."""

    start: int | float
    stop: int | float
    step: int | float | None = Field(default=None, gt=0, description="spacing; or give num")
    num: int | None = Field(default=None, gt=0, le=MAX_AXIS_VALUES, description="value count")

    @model_validator(mode="after")
    def _one_spacing(self) -> RangeValues:
        if (self.step is None) == (self.num is None):
            raise ValueError("give exactly one of step or num")
        if self.stop < self.start:
            raise ValueError("stop must not be below start")
        if self.step is not None and (self.stop - self.start) / self.step >= MAX_AXIS_VALUES:
            raise ValueError(f"more than {MAX_AXIS_VALUES} values; use a larger step")
        return self


class ListAxis(StrictModel):
    """One scenario field taking each of the listed values."""

    path: str = Field(min_length=1, description="scenario field, e.g. cluster.pools[0].count")
    values: list[Any] = Field(min_length=1, max_length=MAX_AXIS_VALUES)
    name: str | None = Field(default=None, min_length=1, description="column name (the path)")


class RangeAxis(StrictModel):
    """One numeric scenario field taking evenly spaced values."""

    path: str = Field(min_length=1, description="scenario field, e.g. horizon_days")
    range: RangeValues
    name: str | None = Field(default=None, min_length=1, description="column name (the path)")


MemberAxis = Annotated[
    Annotated[ListAxis, Tag("List")] | Annotated[RangeAxis, Tag("Range")],
    Discriminator(
        lambda v: ("Range" if "range" in v else "List") if isinstance(v, dict) else None,
        custom_error_type="axis_kind",
        custom_error_message="expected a mapping with path and values (or range)",
    ),
]


class ZipAxis(StrictModel):
    """Fields that move together: the i-th point takes the i-th value of every member."""

    zip: list[MemberAxis] = Field(min_length=2)
    name: str | None = Field(
        default=None, min_length=1, description="a label only: members name their own columns"
    )


def _axis_kind(value: Any) -> str | None:
    if not isinstance(value, dict):
        return None
    for key, tag in (("zip", "Zip"), ("range", "Range"), ("values", "List"), ("path", "List")):
        if key in value:
            return tag
    return None


Axis = Annotated[
    Annotated[ListAxis, Tag("List")]
    | Annotated[RangeAxis, Tag("Range")]
    | Annotated[ZipAxis, Tag("Zip")],
    Discriminator(
        _axis_kind,
        custom_error_type="axis_kind",
        custom_error_message="an axis needs path with values or range, or zip",
    ),
]


class Constraint(StrictModel):
    """A bound a summary figure must meet (deadline, SLO, power cap, budget), on its mean."""

    metric: str = Field(min_length=1, description="dotted summary path, e.g. peak_facility_kw")
    max: float | None = None
    min: float | None = None
    name: str | None = Field(default=None, min_length=1, description="column name (the metric)")

    @model_validator(mode="after")
    def _some_bound(self) -> Constraint:
        if self.max is None and self.min is None:
            raise ValueError("a constraint needs max or min")
        if self.max is not None and self.min is not None and self.min > self.max:
            raise ValueError("min must not exceed max")
        return self


class Objective(StrictModel):
    """A summary figure to minimise or maximise (cost, time-to-train, energy, p99 latency)."""

    metric: str = Field(min_length=1, description="dotted summary path, e.g. it_energy_kwh")
    goal: Literal["minimize", "maximize"] = "minimize"
    name: str | None = Field(default=None, min_length=1, description="column name (the metric)")


class SweepSpec(StrictModel):
    """One sweep or search over variants of a base scenario."""

    schema_version: Literal[1] = Field(description="sweep file format version")
    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    base: str = Field(min_length=1, description="base scenario file, relative to this file")
    seed: int | None = Field(
        default=None, ge=0, lt=2**63, description="first seed; default: the base scenario's"
    )
    replications: int = Field(default=1, gt=0, le=1000, description="seeds per point")
    axes: list[Axis] = Field(default_factory=list)
    constraints: list[Constraint] = Field(default_factory=list)
    objectives: list[Objective] = Field(default_factory=list)
    metrics: list[str] = Field(
        default_factory=list, description="further summary figures to tabulate"
    )
