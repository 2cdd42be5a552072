"""Provenance: what a run was built from, typed once (`summary["provenance"]`).

A finance team signs a figure only if it can be traced: which release computed it, which
pinned dependencies, which seed, which scenario exactly (after `--set` overrides), and how old
every price behind it was. `simulator/provenance.py` fills this block for each run; the
summary, `cost compare` and the report show it.

The models derive from `summary_base.SummaryModel` (not from `run_summary`, which holds a
`Provenance`: importing back would close an import cycle).
"""

from __future__ import annotations

from pydantic import Field

from simulator.schema.summary_base import SummaryModel

STALE_AFTER_DAYS = 365
"""A price sheet older than this (by its `as_of`) is flagged stale: cloud and hardware prices
move by tens of percent within a year (AWS cut P5 on-demand prices by up to 45% in June 2025)."""


class ProfileUsed(SummaryModel):
    """One profile or model shape the run used, with where its figures come from."""

    id: str
    kind: str = Field(description="gpu, node, interconnect, storage, facility, pricing, model")
    source: str
    as_of: str = Field(description="YYYY-MM or YYYY-MM-DD; 'not given' for a model without one")


class PriceUsed(SummaryModel):
    """One price sheet a price option (or its burst) uses, and how old its prices are."""

    sheet: str
    source: str
    as_of: str
    age_days: int = Field(ge=0, description="days from as_of (a month: its first day) to today")
    stale: bool = Field(description=f"older than {STALE_AFTER_DAYS} days")


class Provenance(SummaryModel):
    """Everything needed to say which inputs and which code produced a run's figures."""

    infrasim_version: str
    lock_sha256: str | None = Field(
        description="sha256 of requirements/lock.txt (the pinned dependency set); None if unknown"
    )
    python: str = Field(description="the Python version that ran it, e.g. 3.11.9")
    seed: int
    scenario_file: str
    scenario_sha256: str = Field(
        description="sha256 of the scenario as run: canonical JSON after --set overrides"
    )
    overrides: list[str] = Field(description="the --set strings, in the order given")
    profiles: list[ProfileUsed]
    prices: list[PriceUsed]
    warnings: list[str]
