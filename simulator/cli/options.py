"""Typer options generated from pydantic fields: a knob declared once is a flag everywhere.

`TrainingExecution` (with its nested `Parallelism`) is where a training knob gets its name,
type, default and description. Writing the same knob again as a typer option, a request field
and a line copying one into the other is how a flag's help, choices or default drift from what
the model does, and why adding a knob used to touch four places. Here the flag is the field
name with dashes, its help is the field's description, a bool is `--x/--no-x` and a `Literal`
shows its choices in the help (a bad one is refused by the request model, in our words, as in
an `--input` line); the request model that `--input` lines share gets the same names as optional
fields (None: not given, so the defaults stay the execution's alone).

Typer reads options from a function signature, so `with_options` sets the command's
`__signature__` from `inspect.Parameter`s carrying `Annotated[type, typer.Option(...)]`; the
command itself takes `**flags` (the way Vidur's `flat_dataclass.py` derives argparse flags
from nested config dataclasses, on pydantic and typer).
"""

from __future__ import annotations

import inspect
import re
import typing
from collections.abc import Callable, Iterable, Sequence
from typing import Annotated, Any, Literal, TypeVar

import typer
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from simulator.estimates.fields import (
    as_flag,
    flag_name,
    flags_in_message,
    flat_fields,
    limited_optional_fields,
    optional_fields,
    problems_as_flags,
    without_none,
)

__all__ = [
    "as_flag",
    "field_option",
    "flag_name",
    "flags_in_message",
    "flat_fields",
    "limited_optional_fields",
    "model_options",
    "option",
    "optional_fields",
    "problems_as_flags",
    "with_options",
]

F = TypeVar("F", bound=Callable[..., Any])


_FIELD_WORD = re.compile(r"\b([a-z0-9]+(?:_[a-z0-9]+)+)\b")


def _help(name: str, field: FieldInfo, names: set[str]) -> str:
    """The description as a sentence ending in its default, fields it names as their flags.

    The option's own default stays None (not given, so an `--input` line can set it); the
    field's default is what applies, so the help says it in words.
    """
    text = field.description or ""
    text = _FIELD_WORD.sub(lambda m: flag_name(m.group(1)) if m.group(1) in names else m[0], text)
    if text:
        text = text[0].upper() + text[1:]
    default = _default_words(name, field)
    if default:
        text += f"; {default}" if text.endswith(")") else f" ({default})"
    return text if text.endswith(".") else text + "."


def _default_words(name: str, field: FieldInfo) -> str:
    """`default 1`, `default on`; empty when the field has no plain default."""
    default = field.default
    if default is PydanticUndefined or default is None:
        return ""
    if isinstance(default, bool):
        return f"default {'on' if default else 'off'}"
    return f"default {default}"


def field_option(name: str, field: FieldInfo, names: Iterable[str] = ()) -> inspect.Parameter:
    """One keyword parameter whose annotation is the typer option for `field`.

    Args:
        name: the field name; the flag is it with dashes.
        field: the pydantic field: its type, default and description.
        names: the other fields' names, spelled as flags where the description mentions them.
    """
    kind = without_none(field.annotation)
    metavar = None
    if typing.get_origin(kind) is Literal:
        # typed as the values' own type, the choices shown: the request model then refuses a
        # bad choice in our one-line words, as it does in an `--input` line
        choices = typing.get_args(kind)
        metavar = "<" + "|".join(str(c) for c in choices) + ">"
        kind = type(choices[0])
    flag = flag_name(name)
    if kind is bool:
        flag = f"{flag}/--no-{flag[2:]}"
    option = typer.Option(
        flag, help=_help(name, field, set(names)), show_default=False, metavar=metavar
    )
    return inspect.Parameter(
        name,
        inspect.Parameter.KEYWORD_ONLY,
        default=None,
        annotation=Annotated[kind | None, option],
    )


def model_options(
    model: type[BaseModel], *, exclude: Iterable[str] = ()
) -> list[inspect.Parameter]:
    """Every (flattened) field of `model` as an option, in declaration order."""
    fields = flat_fields(model, exclude=exclude)
    names = set(flat_fields(model))
    return [field_option(name, field, names) for name, field in fields.items()]


def option(name: str, annotation: Any, default: Any = None) -> inspect.Parameter:
    """A hand-written option (an `Annotated[..., typer.Option(...)]` alias) as a parameter."""
    return inspect.Parameter(
        name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation
    )


def with_options(params: Sequence[inspect.Parameter]) -> Callable[[F], F]:
    """Give a `**flags` command the signature typer builds its options from."""

    def decorate(command: F) -> F:
        command.__signature__ = inspect.Signature(list(params))  # type: ignore[attr-defined]
        return command

    return decorate
