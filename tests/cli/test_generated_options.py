"""`estimate training`'s flags come from `TrainingExecution`: names, choices, our own errors."""

from __future__ import annotations

import pytest
import typer

from simulator.cli import app
from simulator.cli.options import flat_fields
from simulator.schema.execution import TrainingExecution

BASE = [
    "estimate", "training", "--model", "llama3-8b", "--gpu", "h100-sxm-80gb",
    "--num-gpus", "8", "--seq-len", "4096", "--global-batch", "64",
    "--distributed-optimizer",  # tp 1 fits in 80 GB only with the optimizer state sharded
]  # fmt: skip


def test_every_execution_field_is_a_flag() -> None:
    training = typer.main.get_command(app).commands["estimate"].commands["training"]
    flags = {opt: param for param in training.params for opt in param.opts}
    for name in flat_fields(TrainingExecution):
        assert "--" + name.replace("_", "-") in flags, name
    assert flags["--recompute"].metavar == "<auto|none|selective|full>"  # choices shown
    assert flags["--overlap-grad-reduce"].secondary_opts == ["--no-overlap-grad-reduce"]


@pytest.mark.parametrize(
    ("flag", "value", "expected"),
    [
        ("--precision", "fp4", "expected 'bf16', 'fp16' or 'fp8' (got 'fp4')"),
        ("--zero", "5", "expected 0, 1, 2 or 3 (got 5)"),
        ("--recompute", "some", "expected 'auto', 'none', 'selective' or 'full' (got 'some')"),
    ],
)
def test_a_bad_choice_is_refused_in_our_words(runner, flag: str, value: str, expected) -> None:
    result = runner.invoke(app, [*BASE, flag, value])
    assert result.exit_code == 2
    assert result.stderr.strip() == f"error: command line: {flag}: {expected}"


def test_a_bool_knob_has_its_negative_form(runner) -> None:
    on = runner.invoke(app, [*BASE, "--json"])
    off = runner.invoke(app, [*BASE, "--json", "--no-overlap-grad-reduce"])
    assert on.exit_code == off.exit_code == 0, (on.output, off.output)
    assert on.stdout != off.stdout  # the knob reaches the model
