"""`infrasim calibrate ...`: run the probe, show a calibration file, import nccl-tests logs.

The probe package (`calibrate`, which needs torch) is imported inside each command, so the
rest of the CLI starts, and works, without torch. This is the one module of the simulator that
reaches into `calibrate`; the import-linter contract names it as its only exception.
"""

from __future__ import annotations

import json
import socket
import sys
from pathlib import Path
from typing import Annotated

import typer

from simulator.cli.common import (
    JsonOption,
    ProfilesOption,
    guarded,
    holding,
    load_catalog,
    print_json,
)
from simulator.errors import InputError, Problem
from simulator.output_lock import refuse_overwrite

calibrate_app = typer.Typer(
    help="Measure this machine (GEMM, memory, collectives, power) and write a profile overlay.",
    no_args_is_help=True,
)


def is_calibration_file(path: Path) -> bool:
    """Whether `path` holds a calibration file (an earlier output `--out` may replace)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and data.get("kind") == "calibration"


def _power_pair(text: str | None) -> tuple[float, float] | None:
    if text is None:
        return None
    idle, sep, peak = text.partition(":")
    try:
        pair = (float(idle), float(peak))
    except ValueError:
        pair = (0.0, 0.0)
    if not sep or not 0 < pair[0] < pair[1]:
        raise InputError(
            [
                Problem(
                    "calibrate run",
                    "--power-w",
                    f"expected IDLE:MAX watts with 0 < IDLE < MAX (got {text!r})",
                )
            ]
        )
    return pair


def _default_out() -> Path:
    return Path(f"calibration-{socket.gethostname()}.json")


@calibrate_app.command("run")
@guarded
def run(
    device: Annotated[
        str, typer.Option("--device", help="auto (CUDA if present), cuda or cpu.")
    ] = "auto",
    quick: Annotated[
        bool,
        typer.Option("--quick/--full", help="A short sweep (CI, a first look) or the full one."),
    ] = False,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Calibration file to write (JSON, written atomically).",
            show_default="calibration-HOST.json",
        ),
    ] = None,
    storage: Annotated[
        Path | None,
        typer.Option(
            "--storage",
            help="Also measure sequential write/read in this directory.",
            show_default=False,
        ),
    ] = None,
    gpu_id: Annotated[
        str | None,
        typer.Option(
            "--gpu-id",
            help="Catalog GPU to overlay (default: the one whose name "
            "matches the device; a CPU gets a device entry of its own).",
            show_default=False,
        ),
    ] = None,
    ranks: Annotated[
        int | None,
        typer.Option(
            "--ranks",
            min=2,
            max=4,
            help="CPU only: gloo processes for collectives (default 2 quick, 4 full).",
            show_default=False,
        ),
    ] = None,
    threads: Annotated[
        int | None,
        typer.Option(
            "--threads",
            min=1,
            help="CPU only: torch intra-op threads for GEMM and copies (default: torch's).",
            show_default=False,
        ),
    ] = None,
    power_w: Annotated[
        str | None,
        typer.Option(
            "--power-w",
            help="IDLE:MAX watts for a device NVML cannot meter (a CPU): "
            "needed for its device entry.",
            show_default=False,
        ),
    ] = None,
    json_: JsonOption = False,
    profiles: ProfilesOption = None,
) -> None:
    """Measure the attached hardware, fit the models, write one calibration file."""
    from calibrate.probe import ProbeOptions, run_probe
    from calibrate.progress import Progress
    from calibrate.torch_env import import_torch

    import_torch()
    catalog = load_catalog(profiles)
    opts = ProbeOptions(
        device=device,
        quick=quick,
        out=out or _default_out(),
        storage=storage,
        gpu_id=gpu_id,
        ranks=ranks,
        power_w=_power_pair(power_w),
        threads=threads,
    )
    progress = Progress(sys.stderr, 1, tty=sys.stderr.isatty())
    written = run_probe(opts, catalog.profiles["gpu"], progress)  # type: ignore[arg-type]
    if json_:
        from simulator.calibration_overlay import load_calibration

        calibration = load_calibration(written)
        print_json(
            {
                "file": str(written),
                "overlay": calibration.overlay is not None,
                "fits": calibration.fits.model_dump(mode="json", exclude_none=True),
                "notes": calibration.method.notes,
            }
        )
        return
    typer.echo(f"calibration written to {written}")
    typer.echo(f"see it with: infrasim calibrate show {written}")


@calibrate_app.command("show")
@guarded
def show(
    file: Annotated[Path, typer.Argument(help="Calibration file.", show_default=False)],
    json_: JsonOption = False,
    profiles: ProfilesOption = None,
) -> None:
    """Fits, their held-out errors, and how they differ from the catalog profile."""
    from calibrate.show import comparisons, show_lines
    from simulator.calibration_overlay import load_calibration

    calibration = load_calibration(file)
    catalog = load_catalog(profiles)
    if json_:
        overlay = calibration.overlay
        target = overlay.target_gpu_id if overlay is not None else None
        gpu = catalog.profiles["gpu"].get(target) if target else None
        print_json(
            {
                "fits": calibration.fits.model_dump(mode="json", exclude_none=True),
                "comparisons": comparisons(calibration, gpu),  # type: ignore[arg-type]
                "notes": calibration.method.notes,
            }
        )
        return
    typer.echo("\n".join(show_lines(calibration, catalog)))


def _domain_of(catalog, node_id: str | None):  # noqa: ANN001, ANN202 - a Catalog, kept light
    """catalog GPU id -> (GPUs per scale-up domain, GPUs per node) of `node_id`, else of the
    GPU's reference node."""
    from simulator.perf.topology import default_node

    def domain_of(gpu_id: str) -> tuple[int, int]:
        node = catalog.node(node_id) if node_id else default_node(catalog, gpu_id)
        if node is None:
            return 8, 8
        return node.gpus_per_nvlink_domain or node.gpus_per_node, node.gpus_per_node

    return domain_of


def _group_of(catalog, node_id: str | None):  # noqa: ANN001, ANN202 - as _domain_of
    """(gpu id, ranks, ranks per domain) -> the catalog's group for that shape (on `node_id`)."""
    from simulator.perf.topology import group_from_catalog

    def group_of(gpu_id: str, ranks: int, per_domain: int):  # noqa: ANN202
        where = {"node": node_id} if node_id else {"gpu": gpu_id}
        return group_from_catalog(catalog, num_gpus=ranks, gpus_per_node=per_domain, **where)

    return group_of


@calibrate_app.command("import-nccl-tests")
@guarded
def import_nccl_tests(
    log: Annotated[
        Path, typer.Argument(help="nccl-tests output: text or -J JSON.", show_default=False)
    ],
    out: Annotated[Path, typer.Option("--out", help="Calibration file to write.")] = Path(
        "calibration-nccl-tests.json"
    ),
    op: Annotated[
        str | None,
        typer.Option(
            "--op",
            help="Collective, when the log does not say (all_reduce, ...).",
            show_default=False,
        ),
    ] = None,
    ranks: Annotated[
        int | None,
        typer.Option(
            "--ranks", min=2, help="Ranks, when the log does not say.", show_default=False
        ),
    ] = None,
    gpu: Annotated[
        str | None,
        typer.Option(
            "--gpu",
            help="Device name, when the log does not say (as nvidia-smi prints it).",
            show_default=False,
        ),
    ] = None,
    gpu_id: Annotated[
        str | None,
        typer.Option(
            "--gpu-id", help="Catalog GPU to overlay (default: name match).", show_default=False
        ),
    ] = None,
    node: Annotated[
        str | None,
        typer.Option(
            "--node",
            help="Catalog node the log ran on: its GPU, NVLink domain and NICs (default: the "
            "GPU's reference node).",
            show_default=False,
        ),
    ] = None,
    profiles_out: Annotated[
        Path | None,
        typer.Option(
            "--profiles-out",
            help="Also write the fitted fabric of a multi-node run as profiles (a calibrated "
            "copy of the node and its NIC) into this directory, for --profiles.",
            show_default=False,
        ),
    ] = None,
    json_: JsonOption = False,
    profiles: ProfilesOption = None,
    force: Annotated[
        bool,
        typer.Option("--force", help="Replace --out even if it is not a calibration file."),
    ] = False,
) -> None:
    """Fit the collective model to an nccl-tests log from a cluster the probe cannot reach."""
    from calibrate.import_nccl import import_log
    from calibrate.output import write_calibration

    refuse_overwrite(out, is_calibration_file(out), force, "calibrate import-nccl-tests")
    catalog = load_catalog(profiles)
    if node is not None:
        node_gpu = catalog.node(node).gpu
        if gpu_id is not None and gpu_id != node_gpu:
            raise InputError(
                [Problem("import-nccl-tests", "--gpu-id", f"node {node} carries {node_gpu}")]
            )
        gpu_id = node_gpu
    calibration, messages, target = import_log(
        log,
        catalog.profiles["gpu"],  # type: ignore[arg-type]
        op=op,
        gpu_id=gpu_id,
        ranks=ranks,
        gpu_name=gpu,
        domain_of=_domain_of(catalog, node),
        group_of=_group_of(catalog, node),
    )
    with holding(out, "calibrate import-nccl-tests"):
        written = write_calibration(calibration, out)
    fabric_node = None
    if profiles_out is not None:
        fabric_node = _write_fabric(calibration, catalog, node or target, profiles_out, messages)
    if json_:
        print_json(
            {
                "file": str(written),
                "fits": [f.model_dump(mode="json") for f in calibration.fits.collectives],
                "overlay": calibration.overlay is not None,
                "fabric_node": fabric_node,
                "assumptions": messages,
            }
        )
        return
    for message in messages:
        typer.echo(f"assumed: {message}")
    for fit in calibration.fits.collectives:
        typer.echo(
            f"{fit.op}: {fit.num_ranks} ranks ({fit.span.replace('_', '-')}), busbw "
            f"{fit.bus_bandwidth_gb_per_s:.4g} GB/s, alpha {fit.alpha_us:.3g} us, held-out error "
            f"{_pct(fit.error.held_out_mean_abs_pct)}"
        )
    typer.echo(f"calibration written to {written}")


def _write_fabric(calibration, catalog, where: str, out_dir: Path, messages: list[str]):  # noqa: ANN001, ANN202
    """Write the widest inter-node fit's fabric as profiles; the calibrated node's id.

    `where` is the node the log ran on (--node) or, without one, the target GPU's id, whose
    reference node is then assumed."""
    from calibrate.fabric_profiles import write_fabric_profiles
    from simulator.perf.topology import default_node

    inter = [f for f in calibration.fits.collectives if f.span == "inter_node"]
    if not inter:
        raise InputError(
            [Problem(str(out_dir), "--profiles-out", "no multi-node run: no fabric to write")]
        )
    fit = max(inter, key=lambda f: (f.op == "all_reduce", f.num_ranks))
    node = where if where in catalog.profiles["node"] else None
    if node is None:
        found = default_node(catalog, where)
        if found is None:
            raise InputError([Problem(str(out_dir), "--node", "name the node the log ran on")])
        node = found.id
        messages.append(f"fabric of {node}, the reference node of {where} (pass --node)")
    node_id, _ = write_fabric_profiles(fit, catalog, node, out_dir)
    messages.append(
        f"fabric profiles written to {out_dir}: estimate on it with --profiles {out_dir} "
        f"--node {node_id}"
    )
    return node_id


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}%"
