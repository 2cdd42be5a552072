"""One training step (`infrasim estimate training`, `simulator.estimate_training`).

Every execution knob is a `TrainingExecution` (or `Parallelism`) field; `estimates/fields.py`
turns those fields into `TrainingRequest`'s optional fields (and `cli/options.py` into the
command's flags), so a new
knob is one field in `schema/execution.py` plus its use in `perf/`, and `--help`, `--input`
keys and scenario keys cannot disagree about its name.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import ValidationError, create_model

from simulator.catalog import Catalog
from simulator.errors import InputError, Problem, error_message
from simulator.estimates.fields import flag_name, optional_fields, problems_as_flags
from simulator.estimates.model import ShapeRequest, request_hardware, request_model
from simulator.perf.parallelism import OPTIONS, option_problem
from simulator.perf.training import estimate_training, training_job
from simulator.schema.execution import Parallelism, TrainingExecution

PARALLELISM_KNOBS = tuple(Parallelism.model_fields)
EXECUTION_KNOBS = (
    *(k for k in TrainingExecution.model_fields if k != "parallelism"),
    *PARALLELISM_KNOBS,
)
"""`estimate training`'s execution flags: `TrainingExecution`'s fields, parallelism flattened."""

_KNOB_WORD = re.compile(r"\b(" + "|".join(sorted(EXECUTION_KNOBS, key=len, reverse=True)) + r")\b")


class TrainingKnobs(ShapeRequest):
    """Base of `TrainingRequest`: how the knobs given become a `TrainingExecution`."""

    def execution(self) -> TrainingExecution:
        """The knobs given, validated as a `TrainingExecution`; errors name the flags."""
        given = self.model_dump(include=set(EXECUTION_KNOBS), exclude_none=True)
        data: dict[str, Any] = {k: v for k, v in given.items() if k not in PARALLELISM_KNOBS}
        data["parallelism"] = {k: v for k, v in given.items() if k in PARALLELISM_KNOBS}
        try:
            return TrainingExecution.model_validate(data)
        except ValidationError as exc:
            raise InputError([_knob_problem(error) for error in exc.errors()]) from None


TrainingRequest = create_model(  # type: ignore[call-overload]
    "TrainingRequest",
    __base__=TrainingKnobs,
    __module__=__name__,
    __doc__="""One training step (`infrasim estimate training`): hardware and model flags,
    plus every `TrainingExecution` knob flat, under its own name (None: not given).

    Only the knobs given reach `execution()`, so the defaults, limits and cross-field rules
    are `TrainingExecution`'s alone: a scenario's training job and this command cannot drift.
    """,
    **optional_fields(TrainingExecution, exclude=ShapeRequest.model_fields),
)


def _knob_problem(error: Any) -> Problem:
    """A `TrainingExecution` error as the command line spells it (`--tp`, not parallelism.tp)."""
    loc = [str(part) for part in error.get("loc", ())]
    message = error_message(error)
    if loc:
        return option_problem(flag_name(loc[-1]), message)
    # a cross-field rule names the fields in its message: name the flags instead
    return Problem(OPTIONS, "", _KNOB_WORD.sub(lambda m: flag_name(m.group(1)), message))


def compute_training(req: TrainingKnobs, catalog: Catalog) -> dict[str, Any]:
    """Step time, throughput, FLOP rates, MFU, memory and a breakdown for one training step."""
    execution = req.execution()
    model = request_model(req, catalog)
    job = training_job(execution, model)
    hardware = request_hardware(req, catalog, execution.num_gpus)
    with problems_as_flags():  # the model names fields (`parallelism.tp`); print the flags
        result = estimate_training(job, hardware).as_dict()
    return {
        "model": model.id or model.name,
        "gpu": hardware.gpu.id,
        "num_gpus": execution.num_gpus,
        **result,
    }
