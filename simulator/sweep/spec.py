"""Load a sweep spec and expand its axes into points.

Points are the Cartesian product of the axes in the order written (the first axis varies
slowest); a zipped axis contributes one step per position. Each point is the base scenario
plus its settings, numbered from 0: the number, not completion order, fixes a point's row.

Checks done here, before anything runs, each naming the spec field: the schema, the base
scenario (it must load on its own), every axis path against the scenario schema, every axis
value's own type (a value that is wrong wherever it lands), and unique column names.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from simulator.catalog import Catalog
from simulator.errors import (
    InputError,
    Problem,
    error_message,
    field_path,
    problems_from_validation,
)
from simulator.paths import scenario_path
from simulator.scenario import apply_settings, load_scenario, scenario_file_path
from simulator.schema.scenario import Scenario
from simulator.schema.sweep import ListAxis, RangeAxis, RangeValues, SweepSpec, ZipAxis
from simulator.sweep.paths import Part, dotted, parse_path, path_problem, setting
from simulator.yaml_io import read_yaml

MAX_POINTS = 100_000
"""A grid larger than this is refused: at a tenth of a second a run, it would take days."""


@dataclass(frozen=True)
class Column:
    """One swept field: its table column and where it lands in the scenario."""

    name: str
    parts: list[Part]
    values: list[Any]


@dataclass(frozen=True)
class Point:
    """One configuration: the base scenario plus `settings`."""

    index: int
    values: dict[str, Any]
    """column name -> value, in axis order"""
    settings: tuple[str, ...]


@dataclass
class LoadedSweep:
    """A validated sweep spec, its base scenario and its points."""

    spec: SweepSpec
    path: Path
    base_path: Path
    base_sha256: str
    axes: list[list[Column]]
    """one list per axis: a plain axis has one column, a zipped axis several"""
    points: list[Point] = field(default_factory=list)
    seed: int = 0

    @property
    def axis_columns(self) -> list[str]:
        """Table columns of the swept fields, in axis order."""
        return [c.name for axis in self.axes for c in axis]


def range_values(r: RangeValues) -> list[int | float]:
    """The values of a range, start to stop inclusive; ints when start, stop and step are."""
    if r.num is not None:
        if r.num == 1:
            return [r.start]
        gap = (r.stop - r.start) / (r.num - 1)
        values = [r.start + k * gap for k in range(r.num)]
    else:
        step = r.step
        assert step is not None  # the schema requires step or num
        count = math.floor((r.stop - r.start) / step + 1e-9) + 1
        values = [r.start + k * step for k in range(count)]
    if all(isinstance(v, int) for v in (r.start, r.stop)) and (
        r.num is None and isinstance(r.step, int)
    ):
        return [int(v) for v in values]
    return [round(float(v), 12) for v in values]


def _columns(
    axis: ListAxis | RangeAxis, where: str, base_data: Any, problems: list[Problem], file: str
) -> Column | None:
    parts = parse_path(axis.path)
    if parts is None:
        problems.append(Problem(file, f"{where}.path", f"malformed path {axis.path!r}"))
        return None
    reason = path_problem(parts, base_data)
    if reason is not None:
        problems.append(Problem(file, f"{where}.path", reason))
        return None
    values = axis.values if isinstance(axis, ListAxis) else range_values(axis.range)
    return Column(name=axis.name or axis.path, parts=parts, values=list(values))


def _value_problems(
    columns: list[Column], where: str, base_data: dict[str, Any], file: str
) -> list[Problem]:
    """Values that fail validation at their own field, whatever the other axes hold."""
    problems: list[Problem] = []
    for position in range(len(columns[0].values)):
        data = apply_settings(
            _copy(base_data), [setting(c.parts, c.values[position]) for c in columns], file
        )
        try:
            Scenario.model_validate(data)
        except ValidationError as exc:
            for column in columns:
                own = dotted(column.parts)
                for error in exc.errors():
                    loc = ".".join(str(p) for p in error["loc"])
                    if loc == own or loc.startswith(own + "."):
                        problems.append(
                            Problem(
                                file,
                                f"{where}.values[{position}]",
                                f"{column.name}: {error_message(error)} "
                                f"(got {column.values[position]!r} at {field_path(error['loc'])})",
                            )
                        )
                        break
    return problems


def _copy(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _copy(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_copy(v) for v in data]
    return data


def _base_path(spec_path: Path, base: str) -> Path:
    """The base scenario a spec names: a path inside the spec's folder (the rule every path
    in a scenario follows, `scenario_file_path`: a spec shared with you cannot make infrasim
    read files beside it), or a bare name of a shipped scenario (`llama3-70b-pretrain-h100`),
    which is how the shipped sweeps name theirs."""
    beside = spec_path.parent / base
    if "/" not in base and os.sep not in base and not beside.exists():
        return scenario_path(base).resolve()
    return scenario_file_path(spec_path, base, "base").resolve()


def _axes(spec: SweepSpec, base_data: dict[str, Any], file: str) -> list[list[Column]]:
    problems: list[Problem] = []
    axes: list[list[Column]] = []
    for i, axis in enumerate(spec.axes):
        where = f"axes[{i}]"
        members = axis.zip if isinstance(axis, ZipAxis) else [axis]
        cols = []
        for j, member in enumerate(members):
            member_where = f"{where}.zip[{j}]" if isinstance(axis, ZipAxis) else where
            col = _columns(member, member_where, base_data, problems, file)
            if col is not None:
                cols.append(col)
        if len(cols) != len(members):
            continue
        lengths = {len(c.values) for c in cols}
        if len(lengths) > 1:
            problems.append(
                Problem(
                    file,
                    f"{where}.zip",
                    f"zipped members need equally many values (got {sorted(lengths)})",
                )
            )
            continue
        problems += _value_problems(cols, where, base_data, file)
        axes.append(cols)
    problems += _name_problems(spec, [c.name for cols in axes for c in cols], file)
    if problems:
        raise InputError(problems)
    return axes


def _name_problems(spec: SweepSpec, axis_names: list[str], file: str) -> list[Problem]:
    """Axis columns must be unique; a figure column must name one metric wherever it appears."""
    problems = []
    seen: set[str] = set()
    for name in axis_names:
        if name in seen:
            problems.append(
                Problem(file, "axes", f"column name {name!r} is used twice; give axes a name")
            )
        seen.add(name)
    metric_of: dict[str, str] = {}
    named = [("objectives", o) for o in spec.objectives] + [
        ("constraints", c) for c in spec.constraints
    ]
    for i, (kind, item) in enumerate(named):
        column = item.name or item.metric
        index = i if kind == "objectives" else i - len(spec.objectives)
        if column in seen:
            problems.append(
                Problem(file, f"{kind}[{index}].name", f"{column!r} is also an axis column")
            )
        if metric_of.setdefault(column, item.metric) != item.metric:
            problems.append(
                Problem(
                    file,
                    f"{kind}[{index}].name",
                    f"{column!r} already names metric {metric_of[column]!r}",
                )
            )
    return problems


def expand(axes: list[list[Column]]) -> list[Point]:
    """Every combination of axis steps, first axis slowest, numbered from 0."""
    steps_per_axis = [
        [[(c, c.values[k]) for c in cols] for k in range(len(cols[0].values))] for cols in axes
    ]
    points = []
    for index, combo in enumerate(itertools.product(*steps_per_axis)):
        pairs = [pair for step in combo for pair in step]
        points.append(
            Point(
                index=index,
                values={c.name: v for c, v in pairs},
                settings=tuple(setting(c.parts, v) for c, v in pairs),
            )
        )
    return points


def load_sweep(
    path: str | Path, catalog: Catalog | None = None, replications: int | None = None
) -> LoadedSweep:
    """Read and check a sweep spec; raise InputError naming each bad field.

    Args:
        path: the spec file.
        catalog: profiles to check the base scenario against (default: built-in + env).
        replications: overrides the spec's seeds per point (the CLI's `--replications`).
    """
    path = Path(path)
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise InputError([Problem(str(path), "(document)", "expected a mapping of fields")])
    if replications is not None:
        if replications < 1:
            raise InputError([Problem(str(path), "--replications", "must be at least 1")])
        data["replications"] = replications
    try:
        spec = SweepSpec.model_validate(data)
    except ValidationError as exc:
        raise InputError(problems_from_validation(exc, path)) from None
    base_path = _base_path(path, spec.base)
    if not base_path.is_file():
        raise InputError([Problem(str(path), "base", f"scenario file not found: {spec.base}")])
    base = load_scenario(base_path, catalog)
    base_data = read_yaml(base_path)
    axes = _axes(spec, base_data, str(path))
    sizes = [len(cols[0].values) for cols in axes]
    total = math.prod(sizes)
    if total > MAX_POINTS:
        raise InputError(
            [Problem(str(path), "axes", f"{total:,} points; at most {MAX_POINTS:,} accepted")]
        )
    return LoadedSweep(
        spec=spec,
        path=path,
        base_path=base_path,
        base_sha256=hashlib.sha256(base_path.read_bytes()).hexdigest(),
        axes=axes,
        points=expand(axes),
        seed=spec.seed if spec.seed is not None else base.scenario.seed,
    )
