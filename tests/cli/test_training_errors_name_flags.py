"""`estimate training` prints the flags to change, though the model below names fields.

The performance model names a training execution's field paths (`parallelism.tp`,
`global_batch`, and between backticks in a message); the command spells them as its flags.
"""

from __future__ import annotations

import pytest

from simulator.cli import app

BASE = [
    "estimate",
    "training",
    "--gpu",
    "h100-sxm-80gb",
    "--model",
    "llama3-8b",
    "--seq-len",
    "4096",
    "--global-batch",
    "64",
]


@pytest.mark.parametrize(
    ("args", "lines"),
    [
        (
            ["--num-gpus", "3", "--tp", "3"],
            [
                "(options): --tp: must divide the 32 attention heads (got 3)",
                "(options): --tp: must divide the FFN width 14336 (got 3)",
            ],
        ),
        (
            ["--num-gpus", "8", "--vpp", "2"],
            ["(options): --vpp: virtual stages need --pp greater than 1"],
        ),
        (
            ["--num-gpus", "8", "--pp", "2", "--zero", "2"],
            [
                "(options): --zero: ZeRO-2/3 shard gradients per micro-batch and cannot be "
                "combined with pipeline parallelism; use --zero 1 or --pp 1"
            ],
        ),
        (
            ["--num-gpus", "8", "--micro-batch", "3"],
            ["(options): --global-batch: 64 is not a multiple of micro_batch*dp = 3*8"],
        ),
        (
            ["--num-gpus", "3", "--cp", "3"],
            ["(options): --cp: must divide the sequence length 4096 (got 3)"],
        ),
        (
            ["--num-gpus", "64", "--pp", "64"],
            ["(options): --pp: pp*vpp = 64 stages for only 32 layers"],
        ),
        (
            ["--num-gpus", "8", "--ep", "2"],
            ["(options): --ep: expert parallelism needs a MoE model"],
        ),
        (
            ["--num-gpus", "8", "--gpu", "a100-sxm-80gb", "--precision", "fp8"],
            [
                "(options): --precision: NVIDIA A100 SXM4 80GB does not support fp8 "
                "(supported: fp16, bf16)"
            ],
        ),
    ],
)
def test_model_problems_print_as_the_flags(runner, args: list[str], lines: list[str]) -> None:
    result = runner.invoke(app, [*BASE, *args])
    assert result.exit_code == 2, result.output
    got = result.stderr.strip().splitlines()
    expected = [f"error: {line}" for line in lines]
    assert got[:-1] == expected[:-1]
    # a layout the model refuses ends with what `--layout auto` would pick instead
    assert got[-1].startswith(expected[-1])
    tail = got[-1][len(expected[-1]) :]
    assert tail == "" or tail.startswith("; --layout auto would pick ")


def test_a_collective_group_problem_prints_the_flags(runner) -> None:
    result = runner.invoke(
        app, ["estimate", "collective", "--op", "all_reduce", "--size", "1GiB", "--num-gpus", "16"]
    )
    assert result.exit_code == 2, result.output
    assert result.stderr.strip() == (
        "error: collective group: gpu: name a GPU (--gpu) or a node (--node)"
    )
