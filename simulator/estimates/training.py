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
from simulator.perf.auto_layout import auto_hint, auto_layout, layout_dict, memory_refusal
from simulator.perf.parallelism import OPTIONS, option_problem
from simulator.perf.training import estimate_training, training_job
from simulator.schema.execution import Parallelism, TrainingExecution

PARALLELISM_KNOBS = tuple(Parallelism.model_fields)
EXECUTION_KNOBS = (
    *(k for k in TrainingExecution.model_fields if k != "parallelism"),
    *PARALLELISM_KNOBS,
)
"""`estimate training`'s execution flags: `TrainingExecution`'s fields, parallelism flattened."""

REJECTED_SHOWN = 10
"""Rejected splits `--layout auto` lists (the simplest first: the ones a reader would try)."""

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
    """Step time, throughput, FLOP rates, MFU, memory and a breakdown for one training step.

    `layout: auto` searches the layout first (`alternatives` lists the next best); a given
    layout that does not fit in memory, or whose degrees do not divide the model, GPU count or
    batch, is refused (InputError) with what the automatic layout would pick, unless
    `allow_oom` asks for the estimate anyway.
    """
    try:
        execution = req.execution()
    except InputError as exc:  # degrees that do not divide the GPU count: say what would
        with problems_as_flags():
            raise _with_hint(exc, _auto_suggestion(req, catalog)) from None
    model = request_model(req, catalog)
    hardware = request_hardware(req, catalog, execution.num_gpus)
    alternatives = rejected = None
    with problems_as_flags():  # the model names fields (`parallelism.tp`); print the flags
        if execution.layout == "auto":
            choice = auto_layout(
                model,
                hardware,
                execution.num_gpus,
                execution.seq_len,
                execution.global_batch,
                execution.precision,
                base=execution,
            )
            execution, alternatives = choice.best.execution, choice.alternatives
            rejected = choice.rejected[:REJECTED_SHOWN]
        estimate = _estimate_given(execution, model, hardware)
    result = estimate.as_dict()
    result["layout"] = {**result["layout"], **_sharding(execution)}  # type: ignore[dict-item]
    out = {
        "model": model.id or model.name,
        "gpu": hardware.gpu.id,
        "num_gpus": execution.num_gpus,
        **result,
    }
    if alternatives is not None:
        out["alternatives"] = [
            {
                "layout": layout_dict(c.execution),
                "step_time_s": c.step_time_s,
                "memory_per_gpu_gib": c.memory_per_gpu_gib,
            }
            for c in alternatives
        ]
        out["rejected"] = [{"layout": what, "reason": why} for what, why in rejected or ()]
    return out


def _with_hint(exc: InputError, hint: str | None) -> InputError:
    """`exc` with what the automatic layout would pick added to its last problem."""
    if hint is None:
        return exc
    *first, last = exc.problems
    text = f"{last.message}; `layout` auto would pick {hint}"
    return InputError([*first, Problem(last.file, last.field, text)])


def _auto_suggestion(req: TrainingKnobs, catalog: Catalog) -> str | None:
    """What `layout: auto` picks for the request's size and batch (None: it cannot say)."""
    if getattr(req, "layout", None) == "auto":
        return None  # the automatic layout itself was asked for: the problem is the request
    cleared = dict.fromkeys((*PARALLELISM_KNOBS, "micro_batch"))
    auto_req = req.model_copy(update={**cleared, "layout": "auto"})
    try:
        execution = auto_req.execution()
        model = request_model(req, catalog)
        hardware = request_hardware(req, catalog, execution.num_gpus)
    except InputError:
        return None
    return auto_hint(model, hardware, execution)


def _sharding(execution: TrainingExecution) -> dict[str, Any]:
    p = execution.parallelism
    return {"distributed_optimizer": p.distributed_optimizer, "zero": p.zero}


def _estimate_given(execution: TrainingExecution, model: Any, hardware: Any) -> Any:
    """The estimate of a concrete layout, refused when it is impossible (see compute_training)."""
    try:
        estimate = estimate_training(training_job(execution, model), hardware)
    except InputError as exc:
        layout_fields = {"num_gpus", "global_batch", "seq_len"}
        if execution.allow_oom or not any(
            p.field.startswith("parallelism.") or p.field in layout_fields for p in exc.problems
        ):
            raise
        raise _with_hint(exc, auto_hint(model, hardware, execution)) from None
    if not estimate.fits_in_memory and not execution.allow_oom:
        least = estimate
        if execution.micro_batch is None and estimate.micro_batch > 1:
            # the automatic micro-batch tried them all; the least the layout needs is at one
            try:
                one = execution.model_copy(update={"micro_batch": 1})
                least = estimate_training(training_job(one, model), hardware)
            except InputError:
                pass
        hint = auto_hint(model, hardware, execution)
        raise InputError([Problem(OPTIONS, "layout", memory_refusal(least, hardware, hint))])
    return estimate
