"""The base of every estimate request and its one validation path."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from simulator.errors import InputError, Problem, problems_from_validation
from simulator.estimates.fields import flag_name


class EstimateRequest(BaseModel):
    """Base for request models: unknown keys are errors; names match the flags."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    gpu: str | None = Field(default=None, description="GPU profile id")
    node: str | None = Field(default=None, description="node profile id (sets the GPU)")


R = TypeVar("R", bound=BaseModel)


def parse_request(model: type[R], values: dict[str, Any], origin: str, *, flags: bool) -> R:
    """Validate `values` into `model`; InputError naming each bad field (as a flag if `flags`)."""
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        problems = problems_from_validation(exc, origin)
        if flags:
            problems = [_as_flag(p) for p in problems]
        raise InputError(problems) from None


def _as_flag(problem: Problem) -> Problem:
    head, dot, rest = problem.field.partition(".")
    if head.startswith("("):
        return problem
    return Problem(problem.file, flag_name(head) + dot + rest, problem.message)
