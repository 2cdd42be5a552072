"""The scenario file format as JSON Schema, generated from the pydantic model.

Editors (the YAML language server behind VS Code's YAML extension, JetBrains IDEs) complete
keys and flag mistakes from a JSON Schema; generating it from `Scenario` keeps it the same
shape the loader checks, with the same descriptions, so there is no second copy to drift.
"""

from __future__ import annotations

import json
from typing import Any

from simulator.schema.scenario import Scenario

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
"""The dialect pydantic v2 generates; named in `$schema` so editors read it correctly."""


def scenario_json_schema() -> dict[str, Any]:
    """The JSON Schema of a scenario file (what `infrasim scenario schema` prints)."""
    return {"$schema": JSON_SCHEMA_DIALECT, **Scenario.model_json_schema()}


def scenario_json_schema_text() -> str:
    """The schema as indented JSON text with a final newline (stable: same model, same bytes)."""
    return json.dumps(scenario_json_schema(), indent=2, allow_nan=False) + "\n"
