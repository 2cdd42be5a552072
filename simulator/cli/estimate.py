"""`infrasim estimate ...`: one analytical estimate, or thousands from a file in one process.

Each command is a pydantic request model (field names = flag names with underscores) plus a
compute function. Flags and `--input` lines go through the same model, so both are validated
the same way and errors name the field. `run_estimate` is the shared machinery; other modules
add commands to `estimate_app` with it (see its docstring).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from pydantic import BaseModel, BeforeValidator, Field

from simulator.catalog import Catalog
from simulator.cli.common import (
    CalibrationOption,
    JsonOption,
    ProfilesOption,
    dumps,
    guarded,
    load_catalog,
    print_json,
)
from simulator.cli.options import flag_name as flag_name
from simulator.cli.options import flags_in_message
from simulator.errors import InputError, Problem, os_reason
from simulator.estimates.request import EstimateRequest, parse_request
from simulator.perf.collectives import Algorithm, CollectiveOp, collective_time_s
from simulator.perf.gemm import gemm_time_s
from simulator.perf.topology import group_from_catalog
from simulator.schema.gpu import Dtype
from simulator.units import parse_byte_count
from simulator.yaml_io import MAX_FILE_BYTES, parse_yaml_text

estimate_app = typer.Typer(
    help="Analytical estimates: a GEMM or a collective (more kinds join here).",
    no_args_is_help=True,
)

# ---------------------------------------------------------------------------- sizes


def parse_bytes(value: object) -> int:
    """Bytes from 4096, 1e6, '64MiB', '1GiB', '1GB', '512K' (bare K/M/G/T are binary, as in
    nccl-tests): the one quantity parser's byte count (`simulator.units`)."""
    return parse_byte_count(value)


ByteSize = Annotated[int, BeforeValidator(parse_bytes)]

# ---------------------------------------------------------------------------- shared machinery


R = TypeVar("R", bound=BaseModel)
Compute = Callable[[Any, Catalog], dict[str, Any]]


def _read_objects(path: Path) -> Iterator[tuple[int, Any]]:
    """(line or item number, object) from a YAML/JSON object or list, or a JSON-lines file."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InputError([Problem(str(path), "", f"cannot read file ({os_reason(exc)})")]) from None
    if size > MAX_FILE_BYTES * 16:
        raise InputError([Problem(str(path), "", "file too large")])
    if path.suffix.lower() not in (".jsonl", ".ndjson"):
        text = path.read_text(encoding="utf-8")
        try:
            data = parse_yaml_text(text, str(path))
        except InputError:
            data = None  # maybe JSON lines with another suffix
        if isinstance(data, dict):
            yield 1, data
            return
        if isinstance(data, list):
            yield from enumerate(data, start=1)
            return
        if data is not None:
            raise InputError([Problem(str(path), "", "expected a mapping, a list or JSON lines")])
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if line.strip():
                try:
                    yield number, json.loads(line)
                except json.JSONDecodeError as exc:
                    yield (
                        number,
                        InputError(
                            [Problem(f"{path} line {number}", "", f"not valid JSON ({exc.msg})")]
                        ),
                    )


def _one_line(error: InputError) -> str:
    return "; ".join(str(p) for p in error.problems)


def run_batch(
    model: type[R],
    compute: Compute,
    path: Path,
    catalog: Catalog,
    defaults: dict[str, Any] | None = None,
) -> Iterator[dict[str, Any]]:
    """One result per input object, in order; a failed line gets an `error` field instead.

    Each object is merged over `defaults` (flags given on the command line), validated by
    `model`, then computed. Results carry `line` (the line or item number).
    """
    for number, item in _read_objects(path):
        origin = f"{path} line {number}"
        try:
            if isinstance(item, InputError):
                raise item
            if not isinstance(item, dict):
                raise InputError([Problem(origin, "", "expected a JSON object")])
            request = parse_request(model, {**(defaults or {}), **item}, origin, flags=False)
            yield {"line": number, **compute(request, catalog)}
        except InputError as exc:
            yield {"line": number, "error": _one_line(exc)}


def format_human(result: dict[str, Any]) -> str:
    """A small aligned `key: value` table."""
    width = max((len(k) for k in result), default=0)
    lines = []
    for key, value in result.items():
        shown = f"{value:.6g}" if isinstance(value, float) else str(value)
        lines.append(f"{key + ':':<{width + 1}} {shown}")
    return "\n".join(lines)


def run_estimate(
    model: type[R],
    compute: Compute,
    *,
    flags: dict[str, Any],
    input_file: Path | None,
    json_: bool,
    profiles: list[Path] | None,
    calibration: Path | None = None,
) -> None:
    """The body of an estimate command: flags or --input, one validation path, one catalog.

    To add a command (e.g. in simulator/cli/estimate_llm.py):

        class TrainingRequest(EstimateRequest):       # fields = flag names, underscores
            model: str
            num_gpus: int = Field(ge=1)

        def compute_training(req: TrainingRequest, catalog: Catalog) -> dict[str, Any]:
            ...                                       # raise InputError for bad input
            return {"step_time_s": ..., ...}          # plain JSON-able values

        @estimate_app.command("training")
        @guarded
        def training(model: Annotated[str | None, typer.Option(...)] = None, ...,
                     input: InputOption = None, json_: JsonOption = False,
                     profiles: ProfilesOption = None) -> None:
            run_estimate(TrainingRequest, compute_training, flags={"model": model, ...},
                         input_file=input, json_=json_, profiles=profiles)

    Give every flag a default of None (the request model decides what is required), so flags
    also work as defaults for --input lines.

    Args:
        model: the pydantic request model (extra='forbid').
        compute: (request, catalog) -> dict of results; raises InputError on bad input.
        flags: the command's options by field name; None means not given.
        input_file: YAML/JSON object or list, or JSON lines; each object is one request.
        json_: print one JSON object instead of the human table (ignored with --input, which
            always prints JSON lines).
        profiles: extra profile directories.
        calibration: a calibration file laid over the catalog (`--calibration`).
    """
    given = {k: v for k, v in flags.items() if v is not None}
    catalog = load_catalog(profiles, calibration)
    if calibration is not None and "gpu" not in given and "node" not in given:
        # the calibrated device is the one the user means when they name no other
        calibrated = [
            i for (kind, i), p in catalog.paths.items() if kind == "gpu" and p == Path(calibration)
        ]
        if calibrated and "gpu" in model.model_fields:
            given["gpu"] = calibrated[0]
    if input_file is not None:
        failed = total = 0
        for result in run_batch(model, compute, input_file, catalog, defaults=given):
            total += 1
            failed += "error" in result
            sys.stdout.write(dumps(result) + "\n")
        if failed:
            typer.echo(f"{failed} of {total} requests failed (see their 'error' field)", err=True)
        return
    request = parse_request(model, given, "command line", flags=True)
    result = compute(request, catalog)
    if json_:
        print_json(result)
    else:
        typer.echo(format_human(result))


InputOption = Annotated[
    Path | None,
    typer.Option(
        "--input",
        help="Read requests from a YAML/JSON object or list, or JSON lines (keys named like "
        "the flags, with underscores); prints one JSON result per line, in order.",
        show_default=False,
    ),
]
GpuOption = Annotated[str | None, typer.Option("--gpu", help="GPU profile id.", show_default=False)]
NodeOption = Annotated[
    str | None,
    typer.Option(
        "--node",
        help="Node profile id: sets the GPU, GPUs per node and scale-out NICs.",
        show_default=False,
    ),
]

# ---------------------------------------------------------------------------- gemm


class GemmRequest(EstimateRequest):
    """One (batched) GEMM: C[m, n] = A[m, k] @ B[k, n]."""

    m: int = Field(ge=1, description="output rows")
    n: int = Field(ge=1, description="output columns")
    k: int = Field(ge=1, description="reduction length")
    dtype: Dtype = "bf16"
    batch: int = Field(default=1, ge=1, description="independent GEMMs in one kernel")
    burst: bool = Field(default=False, description="isolated burst at boost clock")


def compute_gemm(request: GemmRequest, catalog: Catalog) -> dict[str, Any]:
    """Inputs echoed, then time_s, tflops, efficiency and what bounds it."""
    gpu_id = request.gpu
    if gpu_id is None and request.node is None:
        raise InputError([Problem("estimate gemm", "gpu", "name a GPU (--gpu) or a node (--node)")])
    if request.node is not None:
        node_gpu = catalog.node(request.node).gpu
        if gpu_id is not None and gpu_id != node_gpu:
            raise InputError(
                [
                    Problem(
                        "estimate gemm",
                        "gpu",
                        f"node {request.node} carries {node_gpu}, not {gpu_id}",
                    )
                ]
            )
        gpu_id = node_gpu
    assert gpu_id is not None
    est = gemm_time_s(
        catalog.gpu(gpu_id),
        request.m,
        request.n,
        request.k,
        request.dtype,
        batch=request.batch,
        sustained=not request.burst,
    )
    return {
        "gpu": gpu_id,
        "m": request.m,
        "n": request.n,
        "k": request.k,
        "dtype": request.dtype,
        "batch": request.batch,
        "time_s": est.time_s,
        "tflops": est.tflops,
        "efficiency": est.efficiency,
        "bound": est.bound,
    }


@estimate_app.command("gemm")
@guarded
def gemm(
    gpu: GpuOption = None,
    node: NodeOption = None,
    m: Annotated[int | None, typer.Option("--m", help="Output rows (tokens).")] = None,
    n: Annotated[int | None, typer.Option("--n", help="Output columns.")] = None,
    k: Annotated[int | None, typer.Option("--k", help="Reduction length.")] = None,
    dtype: Annotated[
        str | None, typer.Option("--dtype", help="bf16, fp16, fp8, tf32, fp32 (default bf16).")
    ] = None,
    batch: Annotated[
        int | None, typer.Option("--batch", help="Independent GEMMs (default 1).")
    ] = None,
    burst: Annotated[
        bool | None,
        typer.Option(
            "--burst/--sustained",
            help="Isolated burst at boost clock, or back-to-back at the power limit (default).",
            show_default=False,
        ),
    ] = None,
    input: InputOption = None,
    json_: JsonOption = False,
    profiles: ProfilesOption = None,
    calibration: CalibrationOption = None,
) -> None:
    """Time of one matrix multiply: time_s, tflops, efficiency."""
    flags = {"gpu": gpu, "node": node, "m": m, "n": n, "k": k, "dtype": dtype}
    flags.update(batch=batch, burst=burst)
    run_estimate(
        GemmRequest,
        compute_gemm,
        flags=flags,
        input_file=input,
        json_=json_,
        profiles=profiles,
        calibration=calibration,
    )


# ---------------------------------------------------------------------------- collective


class CollectiveRequest(EstimateRequest):
    """One collective over a placed group."""

    op: CollectiveOp
    size: ByteSize = Field(description="per-GPU buffer, nccl-tests convention")
    num_gpus: int = Field(ge=1)
    gpus_per_node: int | None = Field(default=None, ge=1)
    fabric: str | None = Field(default=None, description="scale-out interconnect id")
    algorithm: Algorithm = "auto"
    dtype: Dtype = "bf16"
    oversubscription: float | None = Field(default=None, ge=1)


def compute_collective(request: CollectiveRequest, catalog: Catalog) -> dict[str, Any]:
    """Inputs echoed, then time_s, algbw_gb_per_s, busbw_gb_per_s and the algorithm."""
    try:
        group = group_from_catalog(
            catalog,
            num_gpus=request.num_gpus,
            gpus_per_node=request.gpus_per_node,
            gpu=request.gpu,
            node=request.node,
            fabric=request.fabric,
            oversubscription=request.oversubscription,
        )
    except InputError as exc:
        # the group's problems quote the fields they mean (`gpu`): print them as the flags
        raise InputError(
            [Problem(p.file, p.field, flags_in_message(p.message)) for p in exc.problems]
        ) from None
    est = collective_time_s(request.op, request.size, group, request.algorithm)
    return {
        "op": request.op,
        "size_bytes": request.size,
        "num_gpus": group.num_gpus,
        "gpus_per_node": group.gpus_per_node,
        "dtype": request.dtype,
        "links": group.description,
        "time_s": est.time_s,
        "algbw_gb_per_s": est.algbw_gb_per_s,
        "busbw_gb_per_s": est.busbw_gb_per_s,
        "algorithm": est.algorithm,
        "protocol": est.protocol,
    }


@estimate_app.command("collective")
@guarded
def collective(
    op: Annotated[
        str | None,
        typer.Option(
            "--op",
            help="all_reduce, all_gather, reduce_scatter, all_to_all, broadcast, send_recv.",
        ),
    ] = None,
    gpu: GpuOption = None,
    node: NodeOption = None,
    num_gpus: Annotated[int | None, typer.Option("--num-gpus", help="GPUs in the group.")] = None,
    gpus_per_node: Annotated[
        int | None, typer.Option("--gpus-per-node", help="Group members per node.")
    ] = None,
    size: Annotated[
        str | None,
        typer.Option("--size", help="Per-GPU buffer: 4096, 1e6, 64MiB, 1GiB, 1GB."),
    ] = None,
    fabric: Annotated[
        str | None,
        typer.Option("--fabric", help="Scale-out interconnect id (overrides the node's NICs)."),
    ] = None,
    algorithm: Annotated[
        str | None,
        typer.Option("--algorithm", help="auto (default), ring, tree, nvls, hierarchical, direct."),
    ] = None,
    dtype: Annotated[
        str | None, typer.Option("--dtype", help="Element type (default bf16).")
    ] = None,
    oversubscription: Annotated[
        float | None, typer.Option("--oversubscription", help="Override the fabric's ratio.")
    ] = None,
    input: InputOption = None,
    json_: JsonOption = False,
    profiles: ProfilesOption = None,
    calibration: CalibrationOption = None,
) -> None:
    """Time of one collective: time_s, algbw_gb_per_s, busbw_gb_per_s, algorithm."""
    flags = {"op": op, "gpu": gpu, "node": node, "num_gpus": num_gpus}
    flags.update(gpus_per_node=gpus_per_node, size=size, fabric=fabric, algorithm=algorithm)
    flags.update(dtype=dtype, oversubscription=oversubscription)
    run_estimate(
        CollectiveRequest,
        compute_collective,
        flags=flags,
        input_file=input,
        json_=json_,
        profiles=profiles,
        calibration=calibration,
    )
