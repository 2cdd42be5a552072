"""The discrete-event cluster simulation (SimPy).

`Simulation(loaded_scenario).run()` returns a `RunRecord` of plain lists; use
`simulator.simulate` (in `simulator.results`) to get tabulated `Results`.
"""

from simulator.engine.core import Simulation
from simulator.engine.recorder import RunRecord
from simulator.engine.step_time import Placement, StepTime, StepTimeFn, fixed_step_time

__all__ = ["Placement", "RunRecord", "Simulation", "StepTime", "StepTimeFn", "fixed_step_time"]
