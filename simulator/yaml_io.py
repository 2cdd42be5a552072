"""Safe YAML reading: plain data only, with errors that name the file and line.

Scenarios and profiles come from users; a YAML tag must never build an object or run code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from simulator.errors import InputError, Problem

MAX_FILE_BYTES = 16 * 1024 * 1024
"""Larger inputs are refused: no hand-written profile or scenario comes close."""


class _NoAliasSafeLoader(yaml.SafeLoader):
    """SafeLoader that refuses anchors/aliases, closing the 'billion laughs' door."""

    def compose_node(self, parent, index):  # type: ignore[no-untyped-def]
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None, None, "YAML aliases (*name) are not allowed", event.start_mark
            )
        return super().compose_node(parent, index)


def read_yaml(path: str | Path) -> Any:
    """Parse one YAML (or JSON) file into plain Python data, or raise InputError."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InputError([Problem(str(path), "", f"cannot read file ({exc.strerror})")]) from None
    if size > MAX_FILE_BYTES:
        raise InputError(
            [Problem(str(path), "", f"file is {size} bytes; at most {MAX_FILE_BYTES} accepted")]
        )
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError([Problem(str(path), "", f"cannot read file as UTF-8 ({exc})")]) from None
    return parse_yaml_text(text, str(path))


def parse_yaml_text(text: str, origin: str) -> Any:
    """Parse YAML text; `origin` names it in errors."""
    try:
        return yaml.load(text, Loader=_NoAliasSafeLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise InputError(
            [Problem(origin, where, f"not valid YAML: {exc.problem or exc}")]
        ) from None
    except (yaml.YAMLError, RecursionError) as exc:
        raise InputError([Problem(origin, "", f"not valid YAML: {exc}")]) from None
