"""Request fields generated from execution models, and field names spelled as flags.

`TrainingExecution` / `ServingExecution` declare each knob once; `optional_fields` and
`limited_optional_fields` give a request model the same knobs (None: not given), and the
CLI's `cli/options.py` turns the same fields into typer options. Problems are reported with
the command line's spelling (`--num-gpus`, `--tp`), as the library's estimates always have.
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any, Union

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from simulator.errors import InputError, Problem
from simulator.perf.parallelism import OPTIONS


def flag_name(field: str) -> str:
    """`num_gpus` -> `--num-gpus`; a nested field's path by its own name, as the flags are
    flat (`parallelism.tp` -> `--tp`)."""
    return "--" + field.rpartition(".")[2].replace("_", "-")


_PATH = r"[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)*"
_FIELD = re.compile(_PATH)
_QUOTED_FIELD = re.compile(f"`({_PATH})`")


def flags_in_message(message: str) -> str:
    """The fields a message quotes (`` `node` ``, `` `parallelism.pp` ``) as flags."""
    return _QUOTED_FIELD.sub(lambda m: flag_name(m.group(1)), message)


def as_flag(problem: Problem) -> Problem:
    """A request problem from below the CLI (naming a field: `num_gpus`, `parallelism.tp`, and
    in its message `` `node` ``) as the command line spells it: `--num-gpus`, `--tp`, `--node`.
    Problems of a file stay as they are."""
    if problem.file != OPTIONS:
        return problem
    field = flag_name(problem.field) if _FIELD.fullmatch(problem.field) else problem.field
    return Problem(problem.file, field, flags_in_message(problem.message))


@contextmanager
def problems_as_flags() -> Iterator[None]:
    """Re-raise an InputError from the models inside with its fields spelled as flags."""
    try:
        yield
    except InputError as exc:
        raise InputError([as_flag(p) for p in exc.problems]) from None


def flat_fields(model: type[BaseModel], *, exclude: Iterable[str] = ()) -> dict[str, FieldInfo]:
    """`model`'s fields by name, a nested model's fields in its place (flags are flat)."""
    skip = set(exclude)
    fields: dict[str, FieldInfo] = {}
    for name, field in model.model_fields.items():
        nested = field.annotation
        if isinstance(nested, type) and issubclass(nested, BaseModel):
            fields.update(flat_fields(nested, exclude=skip))
        elif name not in skip:
            fields[name] = field
    return fields


def without_none(annotation: Any) -> Any:
    """`int | None` -> `int`; anything else unchanged."""
    if typing.get_origin(annotation) in (Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation


def optional_fields(
    model: type[BaseModel], *, exclude: Iterable[str] = ()
) -> dict[str, tuple[Any, None]]:
    """`create_model` fields for the same (flattened) knobs, each optional (None: not given).

    Only the type is kept: limits, defaults and cross-field rules stay `model`'s, checked when
    the given knobs are validated into it.
    """
    fields = flat_fields(model, exclude=exclude)
    kinds: dict[str, Any] = {name: field.annotation for name, field in fields.items()}
    return {name: (kind | None, None) for name, kind in kinds.items()}


def limited_optional_fields(
    model: type[BaseModel], *, include: Iterable[str]
) -> dict[str, tuple[Any, None]]:
    """`create_model` fields for `include`d knobs of `model`, optional, keeping their limits.

    A knob with no cross-field rule is checked where the flag is read (the message names the
    flag and the origin: command line or `--input` line), with `model`'s own limits.
    """
    fields = flat_fields(model)
    out: dict[str, tuple[Any, None]] = {}
    for name in include:
        field = fields[name]
        kind = without_none(field.annotation)
        limited = Annotated[(kind, *field.metadata)] if field.metadata else kind
        out[name] = (limited | None, None)
    return out
