"""The inputs table: every profile the run used, with its source and date."""

from __future__ import annotations

from simulator.report.page import Section
from simulator.results import Results


def sections(results: Results) -> list[Section]:
    """The inputs table, or a note saying the results were saved without one."""
    title = "Inputs and their sources"
    sentence = (
        "Every hardware profile, facility, price sheet and model shape the run used, with "
        "where its figures come from and when they were true, so each number above is "
        "traceable."
    )
    table = results.tables.get("inputs")
    if table is None or table.empty:
        note = "These results were saved without an inputs table (run with infrasim run)."
        return [Section(title, sentence, note=note)]
    return [Section(title, sentence, table=table)]
