"""The first screen: the question the scenario asks, its answer, what it costs, and the risk.

Everything a planner quotes sits here, before any plot: time to train (finish day and date,
P90 over seeds) for training, TTFT/TPOT/e2e percentiles and SLO attainment for serving, the
cheapest option on each cost basis with every option's cash and accrued cost side by side,
and the risk (P90, deadline miss, or "no deadline set"). Each figure is read from the summary
(`answers`), so it matches `summary.json` to the digit.
"""

from __future__ import annotations

import pandas as pd

from simulator.report import answers
from simulator.report.escape import text
from simulator.report.page import Section
from simulator.report.tables import html_table
from simulator.results import Results


def scenario_field(results: Results, field: str) -> str:
    """A top-level scenario value as run (from the assumptions sheet), '' when not saved."""
    table = results.tables.get("assumptions")
    if table is None or table.empty or "key" not in table:
        return ""
    match = table[(table["group"] == "scenario") & (table["key"] == field)]
    return "" if match.empty else str(match["value"].iloc[0])


def overrides(results: Results) -> list[str]:
    """The --set strings the run was made with ([] when none or not recorded)."""
    provenance = results.summary.provenance
    return [] if provenance is None else list(provenance.overrides)


def title(results: Results) -> str:
    """The page title: the scenario's name as run, with its --set overrides named."""
    name = results.summary.scenario
    settings = overrides(results)
    return f"{name} (with --set {'; '.join(settings)})" if settings else name


def _lines(label: str, sentences: list[str]) -> str:
    if not sentences:
        return ""
    body = " ".join(text(s) for s in sentences)
    return f'<p class="a"><b>{text(label)}</b> {body}</p>'


def first_screen_html(results: Results) -> str:
    """The answer box: question, answer, cost, risk (escaped HTML)."""
    s = results.summary
    description = scenario_field(results, "description").strip()
    question = text(s.scenario) + (f": {text(description)}" if description else "")
    jobs = [answers.training_answer(job, s.horizon_days) for job in answers.training_jobs(s)]
    serving = [answers.serving_answer(n, v) for n, v in sorted((s.serving or {}).items())]
    answer_lines = [j.answer for j in jobs] + serving
    if not answer_lines:
        answer_lines = [
            f"{s.jobs_completed:,} of {s.jobs_submitted:,} jobs completed in "
            f"{answers.span(s.horizon_days)} on {s.total_gpus:,} GPUs."
        ]
    cheapest = answers.cheapest_sentence(s)
    risks = [j.risk for j in jobs]
    for name, service in sorted((s.serving or {}).items()):
        slo = service.slo_attainment
        missed = f"{answers.pct(1 - slo)} of requests miss the SLO; " if slo is not None else ""
        risks.append(
            f"{name}: {missed}1 request in 100 waits over "
            f"{answers.ms(answers.latency_ms(service, 'ttft', 'p99'))} for its first token."
        )
    settings = overrides(results)
    parts = [
        f'<div class="answer" id="answer"><p class="q"><b>Question</b> {question}</p>',
        _lines("Answer", answer_lines),
        _lines("Where the time went", [j.breakdown for j in jobs]),
        _lines("Cost", [cheapest] if cheapest else ["no price options in this scenario."]),
        _lines("Risk", risks or ["no training job, so no time-to-train risk."]),
    ]
    if settings:
        parts.append(_lines("Changed with --set", ["; ".join(settings)]))
    parts.append("</div>")
    return "".join(parts)


def option_table(results: Results) -> pd.DataFrame | None:
    """Each price option's cost on each basis, cheapest marked (None when nothing priced)."""
    rows = answers.option_rows(results.summary)
    if not rows:
        return None
    return pd.DataFrame(rows)


def sections(results: Results) -> list[Section]:
    """The first screen."""
    s = results.summary
    sentence = (
        f"What the scenario asks and what {s.total_gpus:,} GPUs over "
        f"{answers.span(s.horizon_days)} answer, on the cost bases side by side."
    )
    html = first_screen_html(results)
    table = option_table(results)
    if table is not None:
        html += html_table(table, table_id="options")
    return [Section("The answer", sentence, html=html)]
