"""`infrasim calibrate import-nccl-tests`: a calibration file from an nccl-tests log.

A log measures one group shape on one fabric, so each run is fitted on its own and labelled
with its span: `intra_node` when every rank sits in one scale-up domain (NVLink, xGMI), else
`inter_node` (the group crosses IB, RoCE, EFA). Only intra-node all_reduce fits go into the
overlay (the GPU's collective table, which every single-node estimate reads); inter-node fits
are recorded with their source but leave the overlay alone, so importing a 96-rank log never
moves the 8-GPU NVLink estimate. Every fit names its file, sha256, first line, NCCL version
and import time. An import that fits nothing (one size per run) is an InputError.
"""

from __future__ import annotations

import datetime
import hashlib
import math
import platform
from collections.abc import Callable
from pathlib import Path

from calibrate import overlay_build
from calibrate.fit_collectives import fit_one, fit_scale_out
from calibrate.nccl_tests import NcclRun, read_nccl_tests
from calibrate.split import HELD_OUT_RULE
from simulator import __version__
from simulator.calibration_overlay import match_gpu
from simulator.errors import InputError, Problem
from simulator.perf.topology import CollectiveGroup
from simulator.schema.calibration import (
    CALIBRATION_SCHEMA_VERSION,
    CalibrationFile,
    CollectiveFit,
    DeviceInfo,
    Fingerprint,
    Fits,
    FitSource,
    Measurements,
    Method,
    Overlay,
)
from simulator.schema.gpu import GpuProfile

DomainOf = Callable[[str], tuple[int, int]]
"""catalog GPU id -> (GPUs per scale-up domain, GPUs per node) of the node it ships in."""
GroupOf = Callable[[str, int, int], CollectiveGroup]
"""(catalog GPU id, ranks, ranks per domain) -> the catalog's group for that shape."""


def _target(runs: list[NcclRun], gpus: dict[str, GpuProfile], gpu_id: str | None, where: str):
    if gpu_id is not None:
        if gpu_id not in gpus:
            known = ", ".join(sorted(gpus))
            raise InputError([Problem(where, "--gpu-id", f"unknown gpu id {gpu_id!r} ({known})")])
        return gpu_id
    name = next((r.gpu for r in runs if r.gpu), None)
    if name is None:
        raise InputError(
            [Problem(where, "gpu", "the log names no GPU: pass --gpu NAME or --gpu-id ID")]
        )
    target = match_gpu(name, gpus)
    if target is None:
        raise InputError(
            [
                Problem(
                    where,
                    "gpu",
                    f"no single catalog GPU matches {name!r}: pass --gpu-id "
                    f"({', '.join(sorted(gpus))})",
                )
            ]
        )
    return target


def _span(run: NcclRun, domain: int, node_gpus: int) -> tuple[str, int]:
    """('intra_node' | 'inter_node', domains spanned) for one run on the target's hardware."""
    domains = math.ceil(run.ranks / domain)
    if domains == 1 and run.nodes and run.nodes > 1 and domain <= node_gpus:
        domains = run.nodes  # the log shows several hosts, each its own domain
    return ("inter_node" if domains > 1 else "intra_node"), domains


def _fit(
    run: NcclRun,
    source: FitSource,
    shape: tuple[str, int, int],
    group_of: GroupOf | None,
    notes: list[str],
) -> CollectiveFit | str:
    points = run.points()
    sizes = len({p.size_bytes for p in points})
    if sizes < 3:
        return f"run at line {run.first_line}: {sizes} message size(s), need 3 to fit"
    target, domain, node_gpus = shape
    span, domains = _span(run, domain, node_gpus)
    fit = None
    if span == "inter_node" and group_of is not None:
        try:
            base = group_of(target, run.ranks, math.ceil(run.ranks / domains))
        except InputError as exc:
            notes.append(f"line {run.first_line}: no catalog group to hold fixed ({exc})")
        else:
            fit = fit_scale_out(points, base)
            notes.append(
                f"line {run.first_line}: {run.ranks} ranks over {domains} domains: fitted the "
                f"scale-out rate ({fit.link_rate_gb_per_s:.3g} GB/s per GPU) and per-hop latency "
                f"({fit.step_latency_us:.3g} us), the catalog's {target} links inside each domain "
                "held fixed"
            )
    if fit is None:
        fit = fit_one(points)
    return fit.model_copy(update={"span": span, "nodes": domains, "source": source})


def import_log(
    path: Path,
    gpus: dict[str, GpuProfile],
    *,
    op: str | None,
    gpu_id: str | None,
    ranks: int | None = None,
    gpu_name: str | None = None,
    domain_of: DomainOf = lambda _: (8, 8),
    group_of: GroupOf | None = None,
) -> tuple[CalibrationFile, list[str], str]:
    """(calibration, what the import assumed and did for the user, target GPU id)."""
    where = str(path)
    runs = read_nccl_tests(path, op, ranks=ranks, gpu=gpu_name)
    target = _target(runs, gpus, gpu_id, where)
    domain, node_gpus = domain_of(target)
    stamp = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    messages: list[str] = []
    fits: list[CollectiveFit] = []
    for run in runs:
        source = FitSource(
            file=path.name,
            sha256=digest,
            first_line=run.first_line,
            nccl_version=run.nccl_version,
            imported_at=stamp,
        )
        messages.extend(f"line {run.first_line}: {note}" for note in run.assumptions)
        fit = _fit(run, source, (target, domain, node_gpus), group_of, messages)
        if isinstance(fit, str):
            messages.append(fit)
        else:
            fits.append(fit)
    if not fits:
        raise InputError(
            [Problem(where, "results", "nothing imported: " + "; ".join(messages[-3:]))]
        )
    notes = [f"imported from {path.name} (sha256 {digest[:12]}), target {target}"]
    overlay = _overlay(gpus[target], fits, stamp, notes)
    first = runs[0]
    fingerprint = Fingerprint(
        device_kind="cuda",
        devices=[DeviceInfo(index=0, name=first.gpu or gpus[target].name)],
        host=f"(nccl-tests log {path.name})",
        os="(not in the log)",
        python_version=platform.python_version(),
        infrasim_version=__version__,
        nccl_version=first.nccl_version,
        nvml="not used: imported from an nccl-tests log",
        created_at=stamp,
    )
    warmup, iters = first.iterations or (0, 1)
    method = Method(
        mode="imported",
        timer=f"{'rccl' if first.library == 'rccl' else 'nccl'}-tests (device events)",
        warmup=warmup,
        repeats=max(iters, 1),
        statistic="mean",
        l2_flush=False,
        held_out_rule=HELD_OUT_RULE,
        notes=notes,
    )
    points = [p for run in runs for p in run.points()]
    calibration = CalibrationFile(
        schema_version=CALIBRATION_SCHEMA_VERSION,
        fingerprint=fingerprint,
        method=method,
        measurements=Measurements(collectives=points),
        fits=Fits(collectives=fits),
        overlay=overlay,
    )
    return calibration, messages + notes, target


def _overlay(
    gpu: GpuProfile, fits: list[CollectiveFit], stamp: str, notes: list[str]
) -> Overlay | None:
    """The GPU's collective table from the widest intra-node all_reduce fit, or None."""
    intra = [f for f in fits if f.span == "intra_node" and f.op == "all_reduce"]
    if not intra:
        notes.append(
            "no intra-node all_reduce run: the fits are recorded, the catalog's scale-up "
            "(NVLink) table is left as it is and no overlay is written"
        )
        return None
    widest = max(intra, key=lambda f: f.num_ranks)
    draft = CalibrationFile.model_construct(
        fingerprint=Fingerprint.model_construct(host="nccl-tests log", created_at=stamp),
        fits=Fits(collectives=[widest]),
    )
    return overlay_build.target_overlay(gpu, draft, notes)
