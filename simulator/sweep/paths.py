"""Scenario field paths for sweep axes: check against the schema, turn into `--set`.

An axis path uses the `--set` syntax with list indices written either way:
`cluster.pools[0].count` or `cluster.pools.0.count`, read by the scenario loader's own
`parse_path`; points are built by its `apply_settings`, so a sweep varies exactly what
`infrasim run --set` would. Checking a path against the `Scenario` model up front turns a
typo into one error naming the axis, rather than hundreds of points that all fail the same way.
"""

from __future__ import annotations

import types
import typing
from typing import Any, Union, get_args, get_origin

import yaml
from pydantic import BaseModel

from simulator.scenario import Part, dotted, parse_path
from simulator.schema.scenario import Scenario

__all__ = ["Part", "dotted", "parse_path", "path_problem", "setting"]


def setting(parts: list[Part], value: Any) -> str:
    """A `key.path=value` setting whose value the YAML parser reads back exactly.

    The value is written by the same YAML library that reads it (flow style), so floats such
    as 1e20, strings such as "yes" or "1.0", and nested mappings survive the round trip.
    """
    text = yaml.safe_dump(value, default_flow_style=True, sort_keys=False, width=10**9).strip()
    text = text.removesuffix("...").strip()
    return f"{dotted(parts)}={text}"


def _unwrap(tp: Any) -> list[Any]:
    """The concrete types behind Annotated, Optional and unions."""
    origin = get_origin(tp)
    if origin is typing.Annotated:
        return _unwrap(get_args(tp)[0])
    if origin in (Union, types.UnionType):
        return [t for arg in get_args(tp) for t in _unwrap(arg)]
    return [tp]


def _is_open(tp: Any) -> bool:
    """A type under which any key is allowed (dict fields such as overrides and params)."""
    return tp is Any or get_origin(tp) is dict or tp is dict


def _walk(tp: Any, parts: list[Part], data: Any, where: str) -> str | None:
    """None if `parts` names a field under type `tp` (with `data` the base's value there)."""
    if not parts:
        return None
    part, rest = parts[0], parts[1:]
    candidates = _unwrap(tp)
    if any(_is_open(t) for t in candidates):
        return None
    reasons: list[str] = []
    for cand in candidates:
        if get_origin(cand) is list:
            if not isinstance(part, int):
                reasons.append(f"{where} is a list: expected an index, got {part!r}")
                continue
            items = data if isinstance(data, list) else []
            if part >= len(items):
                reasons.append(
                    f"{where} has {len(items)} item(s) in the base scenario; no index {part}"
                )
                continue
            return _walk(get_args(cand)[0], rest, items[part], f"{where}[{part}]")
        if isinstance(cand, type) and issubclass(cand, BaseModel):
            fields = cand.model_fields
            if not isinstance(part, str) or part not in fields:
                known = ", ".join(fields)
                reasons.append(f"{part!r} is not a field of {where or 'the scenario'} ({known})")
                continue
            sub = data.get(part) if isinstance(data, dict) else None
            child = f"{where}.{part}" if where else part
            return _walk(fields[part].annotation, rest, sub, child)
    if not reasons:
        reasons.append(f"{where} holds a single value; it has no {part!r}")
    return reasons[0]


def path_problem(parts: list[Part], base_data: Any) -> str | None:
    """Why `parts` cannot address a scenario field, or None if it can."""
    return _walk(Scenario, parts, base_data, "")
