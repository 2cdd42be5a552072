"""Read a goal file: YAML in, a validated `Goal` out, or one InputError naming file and field."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from simulator.errors import InputError, Problem, problems_from_validation
from simulator.schema.goal import Goal
from simulator.yaml_io import read_yaml


def load_goal(path: str | Path) -> Goal:
    """The goal in `path`.

    Raises:
        InputError: unreadable file, bad YAML, or a field the schema refuses (each named).
    """
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise InputError([Problem(str(path), "", "a goal file is a mapping (train: or serve:)")])
    try:
        return Goal.model_validate(data)
    except ValidationError as exc:
        raise InputError(problems_from_validation(exc, path)) from None
