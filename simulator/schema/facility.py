"""Facility profile: a data hall's cooling, power and energy prices."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from simulator.schema.base import Profile, StrictModel


class PuePoint(StrictModel):
    """PUE at one outside temperature."""

    outside_temp_c: float = Field(ge=-60, le=60)
    pue: float = Field(ge=1)


class FacilityProfile(Profile):
    """An air- or liquid-cooled hall."""

    kind: Literal["facility"] = "facility"
    cooling: Literal["air", "liquid", "hybrid"]
    max_kw_per_rack: float = Field(gt=0)
    pue: float = Field(ge=1, description="annual average power usage effectiveness")
    pue_by_outside_temp: list[PuePoint] = Field(
        default_factory=list, description="optional PUE curve; interpolated, clamped at ends"
    )
    power_cap_kw: float | None = Field(default=None, gt=0, description="facility IT power cap")
    electricity_usd_per_kwh: float = Field(ge=0)
    carbon_g_per_kwh: float = Field(ge=0)
    colocation_usd_per_kw_month: float | None = Field(default=None, ge=0)
    build_out_usd_per_kw: float | None = Field(
        default=None, ge=0, description="capex to build the hall, per kW of IT capacity"
    )

    @model_validator(mode="after")
    def _curve_sorted(self) -> FacilityProfile:
        temps = [p.outside_temp_c for p in self.pue_by_outside_temp]
        if temps != sorted(temps):
            raise ValueError("pue_by_outside_temp must be sorted by outside_temp_c")
        return self
