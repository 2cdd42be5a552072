"""Colocation: the servers are bought outright, the hall is rented per kW-month.

The facility's `colocation_usd_per_kw_month` is paid on every kW of provisioned IT power (the
nodes' nameplate maximum) from the month the nodes arrive; the sheet's per-kW build-out lines
are not bought (`owned` builds the hall instead). Everything else (servers, fabric, storage,
depreciation, resale, running costs, a hybrid `burst`) is priced as `owned` prices it.
"""

from __future__ import annotations

from simulator.economics.purchases.owned import Owned


class Colocation(Owned):
    """Bought outright, in a rented hall."""

    kind = "colocation"
    colocated = True
