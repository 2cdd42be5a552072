"""Cost, energy and carbon: cloud, on-prem and hybrid options priced from simulated usage.

Pure functions of `Results` and price sheets (`simulator.schema.pricing`), plus the extra
simulations spot and hybrid options need (`worlds`). Entry point: `price_scenario`.
"""

from simulator.economics.compare import CostReport, horizon_months_of, price_scenario

__all__ = ["CostReport", "horizon_months_of", "price_scenario"]
