"""`infrasim profiles ...`: list, show and validate hardware profiles."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
import yaml

from simulator.catalog import Catalog, yaml_files
from simulator.cli.common import (
    JsonOption,
    ProfilesOption,
    guarded,
    load_catalog,
    print_json,
    print_table,
    print_warnings,
)
from simulator.errors import InputError, Problem
from simulator.provenance import price_sheet_warnings
from simulator.schema import PROFILE_KINDS, GpuProfile, NodeProfile, Profile

profiles_app = typer.Typer(help="List, show and validate hardware profiles.", no_args_is_help=True)

KindOption = Annotated[
    list[str] | None,
    typer.Option("--kind", help=f"Only these kinds: {', '.join(PROFILE_KINDS)}, model."),
]


def _headline(profile: Profile) -> str:
    """The one figure people look for first, per kind."""
    if isinstance(profile, GpuProfile):
        bf16 = profile.peak_tflops.bf16 or profile.peak_tflops.fp16
        return f"{bf16:g} TFLOP/s 16-bit, {profile.memory_gib:g} GiB, {profile.tdp_w:g} W"
    if isinstance(profile, NodeProfile):
        return f"{profile.gpus_per_node} x {profile.gpu}, {profile.max_power_w / 1000:g} kW"
    kind = profile.kind  # type: ignore[attr-defined]
    if kind == "interconnect":
        return f"{profile.technology} {profile.bandwidth_gb_per_s:g} GB/s"  # type: ignore[attr-defined]
    if kind == "storage":
        return f"{profile.tier}, {profile.read_gb_per_s_per_client:g} GB/s read per client"  # type: ignore[attr-defined]
    if kind == "facility":
        return f"{profile.cooling}, PUE {profile.pue:g}, {profile.max_kw_per_rack:g} kW/rack"  # type: ignore[attr-defined]
    if kind == "pricing":
        return f"{profile.sheet} price sheet"  # type: ignore[attr-defined]
    return ""


def _check_kinds(kinds: list[str] | None) -> list[str]:
    allowed = [*PROFILE_KINDS, "model"]
    chosen = kinds or allowed
    bad = [k for k in chosen if k not in allowed]
    if bad:
        raise InputError(
            [Problem("--kind", k, f"expected one of {', '.join(allowed)}") for k in bad]
        )
    return chosen


@profiles_app.command("list")
@guarded
def list_profiles(
    kind: KindOption = None, json_: JsonOption = False, profiles: ProfilesOption = None
) -> None:
    """List every profile (GPUs, nodes, interconnects, storage, facilities, pricing, models)."""
    kinds = _check_kinds(kind)
    catalog = load_catalog(profiles)
    rows = []
    for k in kinds:
        if k == "model":
            for model_id, model in sorted(catalog.models.items()):
                rows.append(
                    {
                        "kind": "model",
                        "id": model_id,
                        "name": model.name,
                        "summary": "",
                        "as_of": model.as_of,
                    }
                )
            continue
        for profile_id, profile in sorted(catalog.profiles[k].items()):
            rows.append(
                {
                    "kind": k,
                    "id": profile_id,
                    "name": profile.name,
                    "summary": _headline(profile),
                    "as_of": profile.as_of,
                }
            )
    if json_:
        print_json(rows)
        return
    for k in kinds:
        group = [r for r in rows if r["kind"] == k]
        if group:
            columns = ("id", "name", "summary", "as_of")
            lines = [[str(r[c] or "") for c in columns] for r in group]
            print_table(f"{k} ({len(group)})", ["id", "name", "headline", "as of"], lines)


@profiles_app.command("show")
@guarded
def show_profile(
    profile_id: Annotated[str, typer.Argument(help="Profile or model preset id.")],
    kind: Annotated[str | None, typer.Option("--kind", help="Disambiguate the kind.")] = None,
    json_: JsonOption = False,
    profiles: ProfilesOption = None,
) -> None:
    """Show one profile with its source, as YAML (or JSON)."""
    catalog = load_catalog(profiles)
    kinds = _check_kinds([kind] if kind else None)
    found: list[tuple[str, object]] = []
    for k in kinds:
        if k == "model":
            if profile_id in catalog.models:
                found.append(("model", catalog.models[profile_id]))
        elif profile_id in catalog.profiles[k]:
            found.append((k, catalog.profiles[k][profile_id]))
    if not found:
        raise InputError(
            [
                Problem(
                    "(catalog)",
                    "id",
                    f"no profile or model named {profile_id!r}; try `infrasim profiles list`",
                )
            ]
        )
    if len(found) > 1:
        raise InputError(
            [
                Problem(
                    "(catalog)",
                    "id",
                    f"{profile_id!r} names several kinds "
                    f"({', '.join(k for k, _ in found)}); add --kind",
                )
            ]
        )
    k, item = found[0]
    data = item.model_dump(mode="json", exclude_none=True)  # type: ignore[attr-defined]
    if json_:
        print_json(data)
        return
    typer.echo(f"# {k} {profile_id} from {catalog.paths[(k, profile_id)]}")
    typer.echo(yaml.safe_dump(data, sort_keys=False).rstrip())


@profiles_app.command("validate")
@guarded
def validate_profiles(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Files or directories; default: the whole catalog."),
    ] = None,
    json_: JsonOption = False,
    profiles: ProfilesOption = None,
) -> None:
    """Validate profile files: schema, id == file name, and references between profiles.

    Each problem is one line on stderr, and the exit code is 2.
    """
    if not paths:
        catalog = load_catalog(profiles)
        count = sum(len(v) for v in catalog.profiles.values()) + len(catalog.models)
        stale = price_sheet_warnings(catalog.profiles.get("pricing", {}).values())
        print_warnings(stale)
        if json_:
            read = sorted({str(p) for p in catalog.paths.values()})
            print_json({"valid": True, "profiles": count, "files": read, "warnings": stale})
            return
        typer.echo(f"ok: {count} profiles and model presets valid")
        return
    files: list[Path] = []
    problems: list[Problem] = []
    for path in paths:
        if path.is_dir():
            files += yaml_files(path)
        elif path.is_file():
            files.append(path)
        else:
            problems.append(Problem(str(path), "", "no such file or directory"))
    base = load_catalog(profiles)
    candidate = Catalog(
        profiles={k: dict(v) for k, v in base.profiles.items()},
        models=dict(base.models),
        paths=dict(base.paths),
    )
    problems += candidate.add_files(files)
    problems += candidate.reference_problems()
    if problems:
        raise InputError(problems)
    if json_:
        print_json({"valid": True, "files": [str(f) for f in files]})
        return
    typer.echo(f"ok: {len(files)} files valid")
