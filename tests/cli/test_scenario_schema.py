"""`infrasim scenario schema`: JSON Schema from the pydantic model; shipped scenarios obey it.

The check below is a small hand-written JSON Schema walker (refs, unions, types, enums,
required keys, extra keys, bounds) rather than the `jsonschema` package, which is only here as
a dependency of the optional Ray extra.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest

from simulator.cli import app
from simulator.schema.json_schema import JSON_SCHEMA_DIALECT
from simulator.yaml_io import read_yaml

REPO = Path(__file__).resolve().parents[2]
SCENARIOS = sorted((REPO / "scenarios").glob("*.yaml"))

_TYPES: dict[str, Any] = {
    "object": dict,
    "array": list,
    "string": str,
    "boolean": bool,
    "null": type(None),
}


def _type_ok(value: Any, name: str) -> bool:
    if name == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if name == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, _TYPES[name])


def problems(value: Any, schema: dict[str, Any], root: dict[str, Any], at: str = "") -> list[str]:
    """Where `value` breaks `schema` (the JSON Schema subset pydantic generates)."""
    if "$ref" in schema:
        name = schema["$ref"].removeprefix("#/$defs/")
        return problems(value, root["$defs"][name], root, at)
    for key in ("anyOf", "oneOf"):
        if key in schema:
            passing = [s for s in schema[key] if not problems(value, s, root, at)]
            if not passing or (key == "oneOf" and len(passing) > 1):
                return [f"{at or '(root)'}: {len(passing)} of the {key} branches match"]
    out = [p for s in schema.get("allOf", []) for p in problems(value, s, root, at)]
    kinds = schema.get("type")
    if kinds is not None:
        kinds = kinds if isinstance(kinds, list) else [kinds]
        if not any(_type_ok(value, k) for k in kinds):
            return [f"{at or '(root)'}: {value!r} is not of type {kinds}"]
    if "enum" in schema and value not in schema["enum"]:
        out.append(f"{at}: {value!r} not in {schema['enum']}")
    if "const" in schema and value != schema["const"]:
        out.append(f"{at}: {value!r} != {schema['const']!r}")
    if isinstance(value, int | float) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            out.append(f"{at}: {value} < {schema['minimum']}")
        if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
            out.append(f"{at}: {value} <= {schema['exclusiveMinimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            out.append(f"{at}: {value} > {schema['maximum']}")
    if isinstance(value, dict):
        props = schema.get("properties", {})
        out += [f"{at}.{k}: required" for k in schema.get("required", []) if k not in value]
        extra = schema.get("additionalProperties", True)
        for key, item in value.items():
            if key in props:
                out += problems(item, props[key], root, f"{at}.{key}")
            elif extra is False:
                out.append(f"{at}.{key}: not allowed")
            elif isinstance(extra, dict):
                out += problems(item, extra, root, f"{at}.{key}")
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        for i, item in enumerate(value):
            out += problems(item, schema["items"], root, f"{at}[{i}]")
    return out


_YAML12_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")


def as_editors_read_it(value: Any) -> Any:
    """The file as a YAML 1.2 editor reads it: `1.0e12` is a number there.

    PyYAML follows YAML 1.1, where an exponent needs a sign (`1.0e+12`), so it hands the loader
    the string '1.0e12' and pydantic converts it; the YAML language server reads a float.
    """
    if isinstance(value, dict):
        return {k: as_editors_read_it(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_editors_read_it(v) for v in value]
    if isinstance(value, str) and _YAML12_FLOAT.fullmatch(value):
        return float(value)
    return value


def scenario(path: Path) -> Any:
    return as_editors_read_it(read_yaml(path))


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    from typer.testing import CliRunner

    result = CliRunner().invoke(app, ["scenario", "schema"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_schema_is_json_naming_the_top_level_fields(schema: dict[str, Any]) -> None:
    assert schema["$schema"] == JSON_SCHEMA_DIALECT
    assert schema["type"] == "object" and schema["additionalProperties"] is False
    for field in ("schema_version", "name", "horizon_days", "cluster", "workloads"):
        assert field in schema["required"]
    for field in ("seed", "policies", "pricing", "calibration"):
        assert field in schema["properties"]


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_shipped_scenarios_obey_the_schema(schema: dict[str, Any], path: Path) -> None:
    assert problems(scenario(path), schema, schema) == []


def test_the_check_catches_what_the_loader_refuses(schema: dict[str, Any]) -> None:
    data = scenario(SCENARIOS[0])
    extra = copy.deepcopy(data) | {"colour": "blue"}
    assert problems(extra, schema, schema) == [".colour: not allowed"]
    missing = {k: v for k, v in data.items() if k != "cluster"}
    assert problems(missing, schema, schema) == [".cluster: required"]
    wrong = copy.deepcopy(data) | {"schema_version": 2}
    assert problems(wrong, schema, schema)


def test_out_writes_the_same_text(runner, tmp_path: Path, schema: dict[str, Any]) -> None:
    out = tmp_path / "scenario.schema.json"
    result = runner.invoke(app, ["scenario", "schema", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text(encoding="utf-8")) == schema
    assert [p.name for p in tmp_path.iterdir()] == [out.name]  # no temporary sibling left
