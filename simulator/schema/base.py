"""Common base for every schema model: strict keys, dated sources.

Every profile in `hardware_profiles/` is a claim about the world; `source` and `as_of` let a
planner trace any number in a report back to where it came from and when.
"""

from __future__ import annotations

import datetime as _dt
import re
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

_AS_OF = re.compile(r"^\d{4}-\d{2}(-\d{2})?$")
_ID = r"^[a-z0-9][a-z0-9._-]*$"


def _as_of_text(value: object) -> object:
    """YAML reads `2024-05-01` as a date; keep it as the text the author wrote."""
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, str) and not _AS_OF.match(value):
        raise ValueError("expected a date as YYYY-MM or YYYY-MM-DD")
    return value


AsOf = Annotated[str, BeforeValidator(_as_of_text)]
ProfileId = Annotated[
    str, Field(pattern=_ID, description="lower-case id: letters, digits, '.', '_', '-'")
]


class StrictModel(BaseModel):
    """A model that rejects unknown keys, so a typo never silently becomes a default.

    NaN and infinities are refused too: YAML spells them `.nan` / `.inf`, and an infinite
    arrival rate or duration would hang or silently poison a run.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Profile(StrictModel):
    """Fields every hardware profile carries."""

    id: ProfileId = Field(description="equals the file name without .yaml")
    name: str = Field(min_length=1, description="human-readable name")
    source: str = Field(min_length=3, description="where the figures come from")
    as_of: AsOf = Field(description="date the figures were true (YYYY-MM or YYYY-MM-DD)")
    notes: str | None = None
