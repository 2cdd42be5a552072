"""Escaped HTML tables with stable number formatting.

Every cell goes through `escape.text`, so a profile's `source` or a job name holding markup
shows as text. Numbers are formatted the same way every time (thousands separators, a fixed
number of significant decimals), which keeps reports byte-identical and readable.
"""

from __future__ import annotations

import math
from numbers import Integral, Real
from typing import Any

import pandas as pd

from simulator.report.escape import text

MAX_ROWS = 500
"""Tables longer than this show their first rows and say how many were left out."""


def fmt_number(value: Any) -> str:
    """A number for people: integers with separators, floats with about 4 significant digits."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Integral):
        return f"{int(value):,}"
    if isinstance(value, Real):
        number = float(value)
        if not math.isfinite(number):
            return "n/a"
        if number == int(number) and abs(number) < 1e15:
            return f"{int(number):,}"
        magnitude = abs(number)
        if magnitude >= 100:
            return f"{number:,.0f}"
        if magnitude >= 1:
            return f"{number:,.2f}"
        return f"{number:.4g}"
    return str(value)


def _cell(value: Any) -> tuple[str, bool]:
    if isinstance(value, Real) and not isinstance(value, bool):
        return fmt_number(value), True
    if value is None:
        return "n/a", False
    return str(value), False


def html_table(
    frame: pd.DataFrame,
    max_rows: int = MAX_ROWS,
    row_classes: list[str] | None = None,
    cell_classes: dict[tuple[int, str], str] | None = None,
    row_data: list[dict[str, str]] | None = None,
    table_id: str = "",
) -> str:
    """`frame` as an HTML table (no index), every header and cell escaped.

    Args:
        frame: the rows.
        max_rows: rows shown; the rest are counted in a note.
        row_classes: a CSS class per row ('' for none), e.g. `override` to highlight it.
        cell_classes: extra CSS class of single cells, keyed (row position, column).
        row_data: `data-*` attributes per row (name without the prefix -> value), for page
            scripts that read the table (the assumptions CSV).
        table_id: the table's id attribute ('' for none).
    """
    header = "".join(f"<th>{text(column)}</th>" for column in frame.columns)
    columns = [str(c) for c in frame.columns]
    rows = []
    for position, record in enumerate(frame.head(max_rows).itertuples(index=False)):
        cells = []
        for column, value in zip(columns, record, strict=True):
            shown, numeric = _cell(value)
            classes = ["num"] if numeric else []
            extra = (cell_classes or {}).get((position, column))
            if extra:
                classes.append(extra)
            css = f' class="{text(" ".join(classes))}"' if classes else ""
            cells.append(f"<td{css}>{text(shown)}</td>")
        row_class = row_classes[position] if row_classes else ""
        attributes = f' class="{text(row_class)}"' if row_class else ""
        for name, value in sorted((row_data[position] if row_data else {}).items()):
            attributes += f' data-{text(name)}="{text(value)}"'
        opening = f"<tr{attributes}>"
        rows.append(opening + "".join(cells) + "</tr>")
    more = ""
    if len(frame) > max_rows:
        more = f'<p class="note">{len(frame) - max_rows:,} more rows not shown.</p>'
    ident = f' id="{text(table_id)}"' if table_id else ""
    return (
        f"<table{ident}><thead><tr>{header}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        f"{more}"
    )
