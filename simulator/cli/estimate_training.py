"""`infrasim estimate training`: one training step, its flags generated from the execution.

Every execution knob is a `TrainingExecution` (or `Parallelism`) field; `cli/options.py` turns
those fields into this command's flags. The request model and `compute_training` live in
`simulator.estimates.training` (the library's `simulator.estimate_training` calls them too);
this module adds only the typer options and printing.
"""

from __future__ import annotations

from typing import Any

from simulator.cli.common import guarded
from simulator.cli.estimate import estimate_app, run_estimate
from simulator.cli.estimate_model import HARDWARE_OPTIONS, RUN_OPTIONS, SHAPE_OPTIONS, NumGpus
from simulator.cli.options import model_options, option, with_options
from simulator.estimates.model import ShapeRequest
from simulator.estimates.training import TrainingRequest, compute_training
from simulator.schema.execution import TrainingExecution


@estimate_app.command("training")
@guarded
@with_options(
    [
        *HARDWARE_OPTIONS,
        option("num_gpus", NumGpus),
        *SHAPE_OPTIONS,
        *model_options(TrainingExecution, exclude=ShapeRequest.model_fields),
        *RUN_OPTIONS,
    ]
)
def training(**flags: Any) -> None:
    """One training step: step_time_s, tokens_per_s, TFLOP/s per GPU, MFU, memory, breakdown."""
    run_estimate(
        TrainingRequest,
        compute_training,
        input_file=flags.pop("input"),
        json_=flags.pop("json_"),
        profiles=flags.pop("profiles"),
        calibration=flags.pop("calibration"),
        flags=flags,
    )
