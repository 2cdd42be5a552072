"""One quantity parser (simulator/units.py): the CLI and the scenario schema read units alike.

Values are worked by hand: a month is 365.25/12 days (the engine's calendar), 400 Gb/s is
50 GB/s, 2 TiB is 2 * 1024**4 bytes.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from simulator.catalog import Catalog
from simulator.cli import app
from simulator.errors import InputError
from simulator.results import simulate
from simulator.scenario import LoadedScenario, load_scenario
from simulator.schema.json_schema import scenario_json_schema
from simulator.units import (
    BYTE,
    DAYS,
    GB_PER_S,
    HOURS,
    KINDS,
    MINUTES,
    MONTHS,
    SECONDS,
    TERABYTES,
    TOKEN,
    parse_byte_count,
    parse_quantity,
)
from tests.conftest import write_yaml
from tests.engine.conftest import PROFILES, base_scenario, training_job

DAYS_PER_MONTH = 365.25 / 12


@pytest.mark.parametrize(
    ("text", "unit", "value"),
    [
        ("36mo", MONTHS, 36.0),
        ("3y", MONTHS, 36.0),
        ("18", MONTHS, 18.0),
        (18, MONTHS, 18.0),
        ("90d", MONTHS, 90 / DAYS_PER_MONTH),
        ("60d", DAYS, 60.0),
        ("2w", DAYS, 14.0),
        ("12h", DAYS, 0.5),
        ("3mo", DAYS, 3 * DAYS_PER_MONTH),
        ("1y", DAYS, 365.25),
        ("90min", HOURS, 1.5),
        ("1.5 hours", MINUTES, 90.0),
        ("200ms", SECONDS, 0.2),
        ("2T", TOKEN, 2e12),
        ("1.5B", TOKEN, 1.5e9),
        ("300M", TOKEN, 3e8),
        ("8k", TOKEN, 8e3),
        ("15e12", TOKEN, 15e12),
        ("400Gb/s", GB_PER_S, 50.0),
        ("400 Gbps", GB_PER_S, 50.0),
        ("50GB/s", GB_PER_S, 50.0),
        ("3.2Tb/s", GB_PER_S, 400.0),
        ("1GiB/s", GB_PER_S, 1.073741824),
        ("2TiB", TERABYTES, 2.199023255552),
        ("500GB", TERABYTES, 0.5),
        ("1.5PB", TERABYTES, 1500.0),
        ("64MiB", BYTE, 64 * 2**20),
        ("512K", BYTE, 512 * 1024),
    ],
)
def test_quantities(text: Any, unit: Any, value: float) -> None:
    assert parse_quantity(text, unit) == pytest.approx(value, rel=1e-12)


@pytest.mark.parametrize(
    ("text", "unit", "words"),
    [
        ("400Gb/s", DAYS, "not a bandwidth"),
        ("2TB", TOKEN, "not a data size"),
        ("60d", GB_PER_S, "not a duration"),
        ("36m", MONTHS, "ambiguous"),
        ("36M", MONTHS, "ambiguous"),
        ("soon", MONTHS, "expected a duration"),
        ("5 parsecs", DAYS, "unknown unit 'parsecs'"),
        ("1e999d", DAYS, "too large"),
        ("", DAYS, "expected a duration"),
        (True, DAYS, "expected a duration"),
        ("400gb/s", GB_PER_S, "unknown unit"),  # b is a bit, B a byte: no guessing
    ],
)
def test_refusals_name_the_kind(text: Any, unit: Any, words: str) -> None:
    with pytest.raises(ValueError, match=re.escape(words)):
        parse_quantity(text, unit)


def test_bytes_stay_whole_and_non_negative() -> None:
    assert parse_byte_count("1.5 kB") == 1500 and parse_byte_count(2048) == 2048
    with pytest.raises(ValueError):
        parse_byte_count("-5")


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
def test_json_schema_patterns_match_what_the_parser_reads(kind: Any) -> None:
    """The editor's pattern and the parser agree on every spelling (ECMA and Python regexes
    read these patterns alike: classes, groups, alternation, no flags)."""
    pattern = re.compile(kind.pattern())
    for spelling in (u for u in kind.units if u):
        assert pattern.match(f"12.5{spelling}") and pattern.match(f" 3 {spelling} ")
    assert not pattern.match("12 furlongs") and not pattern.match("d12")


def _walk(node: Any):
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def test_scenario_schema_offers_number_or_string_and_keeps_bounds() -> None:
    schema = scenario_json_schema()
    props = schema["$defs"]
    horizon = schema["properties"]["horizon_days"]["anyOf"]
    assert horizon[0] == {"exclusiveMinimum": 0, "maximum": 3650, "type": "number"}
    assert horizon[1]["type"] == "string" and re.match(horizon[1]["pattern"], "36mo")
    months = [b.get("type") for b in props["Pricing"]["properties"]["horizon_months"]["anyOf"]]
    assert months == ["number", "string", "null"]
    # pydantic writes a bound it cannot place as a bare "gt": none may be left
    assert not [n for n in _walk(schema) if {"gt", "ge", "lt", "le"} & set(n)]
    json.dumps(schema, allow_nan=False)


def _with_units(numbers: bool) -> dict[str, Any]:
    """The same scenario written with plain numbers or with unit strings."""
    pick = (lambda n, _s: n) if numbers else (lambda _n, s: s)
    job = training_job(
        total_tokens=pick(131072 * 100, "13.1072M"),  # 100 steps of 64 x 2048 tokens
        submit_at_hours=pick(1, "60min"),
        deadline_hours=pick(12, "0.5d"),
        checkpoint={"policy": "fixed", "interval_minutes": pick(30, "0.5h")},
    )
    del job["steps"]
    data = base_scenario(horizon_days=pick(1, "24h"), workloads={"training_jobs": [job]})
    cluster = data["cluster"]
    cluster["fabric"]["interconnect"] = {
        "id": "enginetest-ib",
        "overrides": {"bandwidth_gb_per_s": pick(25, "200Gb/s")},
    }
    cluster["storage"][0]["capacity_tb"] = pick(2, "2000GB")
    return data


@pytest.fixture
def make(tmp_path):
    """make(data, settings) -> the scenario loaded against the engine test profiles."""
    catalog = Catalog.load([PROFILES], include_env=False)

    def _make(data: dict[str, Any], settings: list[str] | None = None) -> LoadedScenario:
        return load_scenario(write_yaml(tmp_path / "s.yaml", data), catalog, settings)

    return _make


def test_a_scenario_with_units_runs_as_with_numbers(make) -> None:
    with_numbers, with_units = make(_with_units(True)), make(_with_units(False))
    fields = {"exclude": {"cluster": {"fabric"}}}  # profile overrides stay as written there
    assert with_units.scenario.model_dump(**fields) == with_numbers.scenario.model_dump(**fields)
    assert with_units.world == with_numbers.world  # ... and are read, units and all, here
    a, b = simulate(with_numbers).summary.to_dict(), simulate(with_units).summary.to_dict()
    for varies in ("provenance", "scenario_file"):
        a.pop(varies, None), b.pop(varies, None)
    assert a == b


def test_a_wrong_unit_names_the_field_and_the_kind(make) -> None:
    data = _with_units(True)
    data["horizon_days"] = "400Gb/s"
    with pytest.raises(InputError) as excinfo:
        make(data)
    (problem,) = excinfo.value.problems
    assert problem.field == "horizon_days"
    assert "expected a duration" in problem.message and "not a bandwidth" in problem.message


def test_set_takes_units(make) -> None:
    loaded = make(_with_units(True), ["horizon_days=3mo", "pricing.horizon_months=2y"])
    assert loaded.scenario.horizon_days == pytest.approx(3 * DAYS_PER_MONTH)
    assert loaded.scenario.pricing.horizon_months == 24


def test_cli_horizon_reads_the_same_units(runner) -> None:
    from simulator.cli.cost import parse_horizon_months

    assert parse_horizon_months("3y") == 36 and parse_horizon_months("730.5d") == 24
    result = runner.invoke(app, ["cost", "compare", "x.yaml", "--horizon", "36m"])
    assert result.exit_code == 2 and "--horizon: 'm' is ambiguous" in result.stderr
