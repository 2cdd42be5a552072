"""`validate` through CliRunner: the table, JSON, filters and a bad cases file."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from simulator.cli.validate import validate_command

app = typer.Typer()
app.command("validate")(validate_command)


@app.callback()
def _root() -> None:
    """Minimal wrapper; the lead registers validate_command on the real app."""


def test_table_lists_every_kind_and_the_worst_cases(runner) -> None:
    result = runner.invoke(app, ["validate"])
    assert result.exit_code == 0, result.output
    for word in ("gemm", "allreduce", "training", "inference", "median|err|%", "held-out"):
        assert word in result.stdout
    assert "worst cases:" in result.stdout and "skipped:" in result.stdout


def test_json_filtered_by_kind(runner) -> None:
    result = runner.invoke(app, ["validate", "--kind", "gemm", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert list(data["summary"]) == ["gemm"]
    gemm = data["summary"]["gemm"]
    assert gemm["cases"] == 44 and gemm["in_sample"]["n"] > 0 and gemm["held_out"]["n"] > 0
    assert {c["kind"] for c in data["cases"]} == {"gemm"}


def test_custom_cases_file(runner, tmp_path: Path) -> None:
    cases = tmp_path / "cases.json"
    case = {
        "id": "mine",
        "kind": "gemm",
        "hardware": "NVIDIA H100 SXM",
        "config": {"dtype": "bf16", "M": 4096, "N": 4096, "K": 4096},
        "measured": {"time_median": {"value": 0.2, "unit": "ms"}},
        "source": "made up",
    }
    cases.write_text(json.dumps({"cases": [case]}))
    result = runner.invoke(app, ["validate", "--cases", str(cases), "--json"])
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.stdout)["cases"]
    assert row["status"] == "ok" and row["unit"] == "ms" and row["predicted"] > 0


def test_missing_cases_file_is_one_line(runner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", "--cases", str(tmp_path / "nope.json")])
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output
