"""infrasim: infrastructure planning and capacity simulation for AI clusters."""

__version__ = "0.1.0"
