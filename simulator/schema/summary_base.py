"""What every summary block shares: `Figure`, and `SummaryModel` (read by attribute or by key).

Its own module so that the summary's blocks (`run_summary`, `cost_summary`) can each import
it without importing each other.
"""

from __future__ import annotations

from typing import Any

from simulator.schema.base import StrictModel

Figure = float | None
"""A float figure, None where the run leaves it undefined (NaN: no samples, zero time)."""


class SummaryModel(StrictModel):
    """A summary block: read by attribute, or by key in its `summary.json` form."""

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready dict, keys in declaration order; absent optional blocks left out."""
        return self.model_dump(exclude_none=False, exclude=self._absent())

    def _absent(self) -> set[str]:
        """Optional blocks that are None: `summary.json` leaves their keys out."""
        return set()

    def __getitem__(self, key: str) -> Any:
        return self.to_dict()[key]

    def get(self, key: str, default: Any = None) -> Any:
        """`summary.get("key")`: the figure in its `summary.json` form, or `default`."""
        return self.to_dict().get(key, default)

    def __contains__(self, key: object) -> bool:
        return key in self.to_dict()
