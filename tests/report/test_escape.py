"""Strings from scenarios and profiles reach the page as text, never as markup or script."""

from __future__ import annotations

import json
import re

import pandas as pd

from simulator.report import render_report
from simulator.report.escape import label, script_json, text
from simulator.report.tables import html_table
from tests.report.conftest import PAYLOAD


def test_script_json_cannot_close_its_element_and_round_trips() -> None:
    value = {"b": "</script><script>x()</script>", "a": "&\u2028", "n": float("nan")}
    encoded = script_json(value)
    assert "<" not in encoded and ">" not in encoded and "&" not in encoded
    assert "\u2028" not in encoded
    assert encoded.index('"a"') < encoded.index('"b"')  # sorted keys
    assert json.loads(encoded) == {"a": "&\u2028", "b": value["b"], "n": None}


def test_text_and_label_escape_markup() -> None:
    assert text('<a href="x">') == "&lt;a href=&quot;x&quot;&gt;"
    assert label("<b>bold</b>") == "&lt;b&gt;bold&lt;/b&gt;"


def test_table_cells_and_headers_are_escaped() -> None:
    frame = pd.DataFrame({PAYLOAD: [PAYLOAD], "n": [1234.5]})
    out = html_table(frame)
    assert "<script>" not in out and out.count("&lt;script&gt;") == 2
    assert '<td class="num">1,234</td>' in out or '<td class="num">1,235</td>' in out


def test_report_never_contains_a_hostile_name_unescaped(full_results) -> None:
    full_results.jobs.loc[0, "name"] = PAYLOAD
    html = render_report(full_results)
    # The only <script> elements are the page's own two (plotly.js and the figure data).
    assert len(re.findall(r"<script\b", html)) == 2
    escaped_openers = ("&lt;script&gt;", "\\u0026lt;script\\u0026gt;", "\\u003cscript\\u003e")
    spots = [m.start() for m in re.finditer(r"window\.__pwned", html)]
    assert spots, "the payload should appear (as text)"
    for spot in spots:
        assert html[:spot].endswith(escaped_openers), html[spot - 40 : spot + 20]
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in html  # title, cards, tables
