"""What every placement policy takes (`policies.placement.params`), and the hot-spare rule.

It lives here, below the engine, because the scenario loader needs it too: a job that needs
more nodes than placement will ever hand out (a pool less its hot spares) can never start,
and `load_scenario` refuses it up front by the same field and the same rule the engine's
cluster uses, not a copy of them.
"""

from __future__ import annotations

from pydantic import Field

from simulator.schema.base import StrictModel


class PlacementParams(StrictModel):
    """Parameters every placement policy takes (each policy's `Params` extends this)."""

    spare_nodes_per_pool: int = Field(
        default=0, ge=0, description="nodes per pool held back as hot spares for failed nodes"
    )


def hot_spares(spare_nodes_per_pool: int, nodes: int) -> int:
    """Nodes of a pool of `nodes` held back as hot spares: as many as asked, but never the
    pool's last node (a pool with nothing to run on would be a pool of spares for nothing)."""
    return max(0, min(spare_nodes_per_pool, nodes - 1))
