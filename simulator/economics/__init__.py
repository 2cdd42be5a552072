"""Cost, energy and carbon: cloud, on-prem, colocation and hybrid options priced from
simulated usage, on two named bases (cash and accrued, `simulator.schema.cost_summary`).

Pure functions of `Results` and price sheets (`simulator.schema.pricing`), plus the extra
simulations spot and hybrid options need (`worlds`). Entry points: `price_scenario`, and
`attach_costs` to put its tables and summary into a run's Results.
"""

from simulator.economics.compare import (
    CostReport,
    attach_costs,
    horizon_months_of,
    price_scenario,
)

__all__ = ["CostReport", "attach_costs", "horizon_months_of", "price_scenario"]
