"""`--set` overrides: parse a field path (`cluster.pools[0].count`) and set a value there.

`infrasim run --set` and sweeps (which vary the same field paths) share this one parser, so a
path means the same thing in both; kept out of the scenario loader because it knows nothing of
profiles or the catalog.
"""

from __future__ import annotations

import re
from typing import Any

from simulator.errors import InputError, Problem, field_path

Part = str | int
"""One step of a field path: a mapping key or a list index."""

_SEGMENT = re.compile(r"([^.\[\]]+)((?:\[[0-9]{1,18}\])*)")
_INDEX = re.compile(r"[0-9]{1,18}")
"""ASCII digits only (`str.isdigit` accepts '²', which `int` refuses), and few enough of
them that `int` never meets its digit limit."""


def parse_path(text: str) -> list[Part] | None:
    """`cluster.pools[0].count` or `cluster.pools.0.count` -> ['cluster', 'pools', 0, 'count'].

    The one reader of field paths, for `--set` keys and sweep axis paths alike: the README
    writes list items as `pools[0]`, older commands as `pools.0`, and both must mean the same
    item. None when the text is malformed (empty segments, stray brackets).
    """
    parts: list[Part] = []
    for segment in text.split("."):
        match = _SEGMENT.fullmatch(segment)
        if match is None:
            return None
        head, indices = match.groups()
        parts.append(int(head) if _INDEX.fullmatch(head) else head)
        parts.extend(int(i) for i in re.findall(r"[0-9]+", indices))
    return parts


def dotted(parts: list[Part]) -> str:
    """The path written with dotted list indices (`cluster.pools.0.count`)."""
    return ".".join(str(p) for p in parts)


def apply_settings(data: Any, settings: list[str], origin: str) -> Any:
    """Apply `--set key.path=value` overrides (values parsed as YAML scalars) to raw data.

    Keys are read by `parse_path`. A list index must name an existing item: a setting cannot
    append, and a typo in an index should say so rather than surface later as an unknown key.
    """
    from simulator.yaml_io import parse_yaml_text

    if not isinstance(data, dict):
        return data
    for setting in settings:
        key, sep, raw = setting.partition("=")
        key = key.strip()
        if not sep or not key:
            raise InputError([Problem("--set", setting, "expected key.path=value")])
        value = parse_yaml_text(raw, f"--set {key}")
        parts = parse_path(key)
        if parts is None:
            raise InputError(
                [
                    Problem(
                        origin,
                        key,
                        "malformed key: expected field names joined by dots, list items as "
                        "[0] or .0 (e.g. cluster.pools[0].count)",
                    )
                ]
            )
        _set_path(data, parts, value, origin, key)
    return data


def _set_path(data: dict[str, Any], parts: list[Part], value: Any, origin: str, key: str) -> None:
    def refuse(message: str) -> InputError:
        return InputError([Problem(origin, key, message)])

    node: Any = data
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if isinstance(node, list):
            if not isinstance(part, int):
                raise refuse(f"{field_path(parts[:i])} is a list: expected an index, got {part!r}")
            if part >= len(node):
                items = "1 item" if len(node) == 1 else f"{len(node)} items"
                raise refuse(f"index {part} out of range: {field_path(parts[:i])} has {items}")
        elif isinstance(node, dict):
            part = str(part)  # a digit segment under a mapping is a key, as YAML wrote it
            if not last:
                node.setdefault(part, {})
        else:
            raise refuse(f"{field_path(parts[:i])} holds a single value; it has no {part!r}")
        if last:
            _refuse_bool_for_number(node, part, value, refuse)
            node[part] = value
        else:
            node = node[part]


def _refuse_bool_for_number(node: Any, part: Part, value: Any, refuse: Any) -> None:
    """`--set cluster.pools.0.count=true` must not become 1 node.

    YAML reads `true` as a boolean, and the schema's numbers accept a boolean as 0 or 1 (a bool
    is an int in Python), so a slip of the value would run a one-node cluster without a word.
    A boolean over a number the file holds is refused; so is a number over a boolean.
    """
    try:
        current = node[part]
    except (KeyError, IndexError, TypeError):
        return
    numbers = (int, float)
    if isinstance(value, bool) and isinstance(current, numbers) and not isinstance(current, bool):
        raise refuse(f"expects a number (the file has {current!r}), got {str(value).lower()}")
    if isinstance(current, bool) and isinstance(value, numbers) and not isinstance(value, bool):
        raise refuse(f"expects true or false (the file has {str(current).lower()}), got {value!r}")
