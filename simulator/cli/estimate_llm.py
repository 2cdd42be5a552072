"""`infrasim estimate training` and `infrasim estimate inference`: importing registers both.

The commands live in `estimate_training.py` and `estimate_inference.py`, over the shared
model-and-hardware flags of `estimate_model.py`; their request models and compute functions
are the library's, in `simulator.estimates`.
"""

from __future__ import annotations

from simulator.cli import estimate_inference, estimate_training  # noqa: F401  (registration)
