"""Read a calibration file and lay it over the catalog's GPU profiles.

A calibration file (written by `infrasim calibrate run`) holds an `overlay`: a replacement
efficiency table (and measured power curve) for one catalog GPU, or a whole device entry for a
device the catalog lacks (a CPU, an unknown GPU). Applying it never edits files: it returns new
profiles, re-validated, so an overlay that breaks a profile fails here naming the field.
"""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import ValidationError

from simulator.errors import InputError, Problem, problems_from_validation
from simulator.schema.calibration import CALIBRATION_SCHEMA_VERSION, CalibrationFile
from simulator.schema.gpu import GpuProfile
from simulator.yaml_io import read_yaml

_TOKEN = re.compile(r"[a-z0-9]+")


def load_calibration(path: str | Path) -> CalibrationFile:
    """Parse and validate a calibration file (JSON or YAML); InputError naming each field."""
    path = Path(path)
    if not path.is_file():
        raise InputError([Problem(str(path), "", "calibration file not found")])
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise InputError([Problem(str(path), "(document)", "expected a calibration mapping")])
    version = data.get("schema_version")
    if version != CALIBRATION_SCHEMA_VERSION:
        raise InputError(
            [
                Problem(
                    str(path),
                    "schema_version",
                    f"expected {CALIBRATION_SCHEMA_VERSION} (got {version!r}); re-run the probe "
                    "or use the infrasim version that wrote it",
                )
            ]
        )
    try:
        return CalibrationFile.model_validate(data)
    except ValidationError as exc:
        raise InputError(problems_from_validation(exc, path)) from None


def _model_tokens(name: str) -> set[str]:
    """Tokens that name a model (contain a digit): 'NVIDIA H100 80GB HBM3' -> h100, 80gb, hbm3."""
    return {t for t in _TOKEN.findall(name.lower()) if any(c.isdigit() for c in t)}


def _memory_tokens(tokens: set[str]) -> set[str]:
    return {t for t in tokens if re.fullmatch(r"\d+gb", t)}


def match_gpu(device_name: str, gpus: dict[str, GpuProfile]) -> str | None:
    """The catalog GPU whose name shares the most model tokens with `device_name`.

    None when nothing shares a token, or when two profiles tie (the caller then needs an
    explicit id): matching an H100 PCIe to the SXM profile silently would be worse than asking.
    """
    wanted = _model_tokens(device_name)

    def score(name: str) -> int:
        tokens = _model_tokens(name)
        memory, theirs = _memory_tokens(wanted), _memory_tokens(tokens)
        if memory and theirs and not memory & theirs:
            return 0  # an A100-40GB is not the 80GB profile, however alike the names
        return len(wanted & tokens)

    scored = sorted(((score(gpu.name), gpu_id) for gpu_id, gpu in gpus.items()), reverse=True)
    if not scored or scored[0][0] == 0:
        return None
    if len(scored) > 1 and scored[1][0] == scored[0][0]:
        return None
    return scored[0][1]


def overlay_gpus(
    calibration: CalibrationFile, gpus: dict[str, GpuProfile], path: str | Path
) -> tuple[str, GpuProfile]:
    """(gpu id, new profile) the calibration produces; InputError naming the field otherwise."""
    where = str(path)
    overlay = calibration.overlay
    if overlay is None:
        notes = "; ".join(calibration.method.notes) or "no reason recorded"
        raise InputError(
            [Problem(where, "overlay", f"this calibration carries no overlay ({notes})")]
        )
    if overlay.device_profile is not None:
        profile = overlay.device_profile
        if profile.id in gpus:
            raise InputError(
                [
                    Problem(
                        where,
                        "overlay.device_profile.id",
                        f"{profile.id!r} is already a catalog GPU; give the entry another id "
                        "or use target_gpu_id to overlay it",
                    )
                ]
            )
        return profile.id, profile
    target = overlay.target_gpu_id
    assert target is not None  # the schema requires one of the two
    if target not in gpus:
        known = ", ".join(sorted(gpus)) or "none"
        raise InputError(
            [Problem(where, "overlay.target_gpu_id", f"unknown gpu id {target!r} (known: {known})")]
        )
    data = gpus[target].model_dump()
    data["efficiency"] = overlay.efficiency.model_dump() if overlay.efficiency else None
    if overlay.power_curve is not None:
        data["power_curve"] = [p.model_dump() for p in overlay.power_curve]
    if overlay.idle_power_w is not None:
        data["idle_power_w"] = overlay.idle_power_w
    try:
        return target, GpuProfile.model_validate(data)
    except ValidationError as exc:
        raise InputError(problems_from_validation(exc, where, "overlay")) from None
