"""Escaping: every string from a scenario, profile or trace reaches the page as inert text.

Three places a string can land, each with its own rule:

- HTML text and attributes (`text`): `html.escape` with quotes, so `<script>` shows as text.
- Plotly labels (`label`): plotly.js renders a small HTML subset inside SVG text (`<b>`,
  `<br>`, `<a href>`), so names are entity-escaped before they reach a figure; plotly shows
  `&lt;script&gt;` as the literal characters.
- JSON inside a `<script>` element (`script_json`): `<`, `>`, `&` and the JavaScript line
  separators become `\\uXXXX` escapes, so no string can close the element or open a comment.
"""

from __future__ import annotations

import html
import json
from typing import Any

from simulator.results import plain

_SCRIPT_SAFE = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}


def text(value: Any) -> str:
    """`value` as HTML text, safe in element content and quoted attributes."""
    return html.escape("" if value is None else str(value), quote=True)


def label(value: Any) -> str:
    """`value` as a plotly label: entity-escaped so plotly's HTML subset stays inert."""
    return html.escape("" if value is None else str(value), quote=False)


def script_json(value: Any) -> str:
    """Compact JSON with sorted keys, safe to place inside a `<script>` element."""
    encoded = json.dumps(plain(value), sort_keys=True, separators=(",", ":"), allow_nan=False)
    for char, escaped in _SCRIPT_SAFE.items():
        encoded = encoded.replace(char, escaped)
    return encoded
