"""Below the CLI a problem names a field; the CLI prints it as the flag of that name."""

from __future__ import annotations

import pytest

from simulator.cli.options import as_flag, flags_in_message, problems_as_flags
from simulator.errors import InputError, Problem
from simulator.perf.parallelism import OPTIONS


def test_a_field_and_the_fields_its_message_quotes_become_flags() -> None:
    problem = Problem(OPTIONS, "gpus_per_node", "name a fabric (`fabric`) or a node (`node`)")
    assert as_flag(problem) == Problem(
        OPTIONS, "--gpus-per-node", "name a fabric (--fabric) or a node (--node)"
    )


@pytest.mark.parametrize(
    "problem",
    [
        Problem(OPTIONS, "--tp", "already a flag"),
        Problem(OPTIONS, "(request)", "not a field"),
        Problem("scenario.yaml", "workloads.inference_services[0].tp", "a scenario's path"),
    ],
)
def test_flags_other_markers_and_file_problems_stay(problem: Problem) -> None:
    assert as_flag(problem) == problem


def test_the_context_re_raises_with_flags() -> None:
    with pytest.raises(InputError) as info, problems_as_flags():
        raise InputError([Problem(OPTIONS, "num_gpus", "3 is not a multiple of tp*pp = 2")])
    assert [p.field for p in info.value.problems] == ["--num-gpus"]


def test_a_nested_field_path_is_the_flat_flag_of_its_own_name() -> None:
    """`parallelism.tp` (a training execution's path) is `--tp`, as the flags are flat."""
    problem = Problem(
        OPTIONS, "parallelism.zero", "use `parallelism.zero` 1 or `parallelism.pp` 1 (`num_gpus`)"
    )
    assert as_flag(problem) == Problem(OPTIONS, "--zero", "use --zero 1 or --pp 1 (--num-gpus)")


def test_words_of_a_message_that_are_not_quoted_stay() -> None:
    problem = Problem(OPTIONS, "global_batch", "64 is not a multiple of micro_batch*dp = 3*8")
    assert as_flag(problem).message == problem.message


def test_flags_in_message_leaves_the_field_to_the_caller() -> None:
    assert flags_in_message("name a GPU (`gpu`) or a node (`node`)") == (
        "name a GPU (--gpu) or a node (--node)"
    )
