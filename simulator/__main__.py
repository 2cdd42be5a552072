"""`python -m simulator` runs the infrasim CLI."""

from simulator.cli import run

run()
