"""`infrasim calibrate ...`: run the probe, show a calibration file, import nccl-tests logs.

The probe package (`calibrate`, which needs torch) is imported inside each command, so the
rest of the CLI starts, and works, without torch. This is the one module of the simulator that
reaches into `calibrate`; the import-linter contract names it as its only exception.
"""

from __future__ import annotations

import socket
import sys
from pathlib import Path
from typing import Annotated

import typer

from simulator.cli.common import JsonOption, ProfilesOption, guarded, load_catalog, print_json
from simulator.errors import InputError, Problem

calibrate_app = typer.Typer(
    help="Measure this machine (GEMM, memory, collectives, power) and write a profile overlay.",
    no_args_is_help=True,
)


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
    gpu_id: Annotated[
        str | None,
        typer.Option(
            "--gpu-id", help="Catalog GPU to overlay (default: name match).", show_default=False
        ),
    ] = None,
    profiles: ProfilesOption = None,
) -> None:
    """Fit the collective model to an nccl-tests log from a cluster the probe cannot reach."""
    from calibrate.import_nccl import import_log
    from calibrate.output import write_calibration

    catalog = load_catalog(profiles)
    calibration = import_log(log, catalog.profiles["gpu"], op=op, gpu_id=gpu_id)  # type: ignore[arg-type]
    written = write_calibration(calibration, out)
    for fit in calibration.fits.collectives:
        typer.echo(
            f"{fit.op}: {fit.num_ranks} ranks, busbw {fit.bus_bandwidth_gb_per_s:.4g} "
            f"GB/s, alpha {fit.alpha_us:.3g} us"
        )
    typer.echo(f"calibration written to {written}")
