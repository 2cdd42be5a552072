"""A case's hardware text -> GPU and node profiles, by the names the profiles declare.

Published cases name hardware as their authors wrote it ('NVIDIA A100-SXM4-80GB (DGX A100
nodes, ...)'). Each GPU and node profile lists the names it goes by (`matches:`, plain names
or simple case-insensitive patterns), so adding a GPU means adding its YAML file, never
editing this module. `unmodelled_hardware.yaml` lists parts the catalog lacks, each with the
reason a case naming it is skipped.

Several names can match one text ('GB200' and 'B200', 'A100 PCIe' and 'A100'); the name that
matches the longest stretch of the text wins, so the more specific name decides without any
ordering of files. On a tie a profile beats an unmodelled entry, then catalog order decides.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

from pydantic import Field, TypeAdapter

from simulator.catalog import Catalog
from simulator.schema.base import StrictModel
from simulator.schema.gpu import HardwareName, HardwareNames, NamePattern
from simulator.validation.outcome import Skip
from simulator.yaml_io import read_yaml

UNMODELLED_FILE = Path(__file__).with_name("unmodelled_hardware.yaml")


class UnmodelledName(StrictModel):
    """Hardware with no profile, and why a case naming it is skipped."""

    pattern: NamePattern
    reason: str = Field(min_length=3)


@dataclass(frozen=True)
class _Rule:
    pattern: str
    profile: str | None
    """profile id, or None for hardware the catalog cannot model"""
    note: str
    """the mapping note, or the skip reason when `profile` is None"""


@functools.cache
def unmodelled_names() -> tuple[UnmodelledName, ...]:
    """The shipped list of unmodelled hardware (read once)."""
    data = read_yaml(UNMODELLED_FILE)
    return tuple(TypeAdapter(list[UnmodelledName]).validate_python(data))


def _profile_rules(profiles: dict) -> list[_Rule]:
    rules = []
    for profile_id, profile in profiles.items():
        names: HardwareNames = getattr(profile, "matches", [])
        for name in names:
            if isinstance(name, HardwareName):
                rules.append(_Rule(name.pattern, profile_id, name.note))
            else:
                rules.append(_Rule(name, profile_id, ""))
    return rules


def _best(rules: list[_Rule], hardware: str) -> _Rule | None:
    """The rule matching the longest stretch of `hardware`; profiles first on a tie."""
    best: tuple[int, int, _Rule] | None = None
    for rule in rules:
        found = re.search(rule.pattern, hardware, re.IGNORECASE)
        if found is None:
            continue
        key = (len(found.group(0)), rule.profile is not None)
        if best is None or key > best[:2]:
            best = (*key, rule)
    return best[2] if best else None


def gpu_for_hardware(hardware: str, catalog: Catalog) -> tuple[str, str] | Skip:
    """(GPU profile id, mapping note) for a case's hardware text, or Skip with the reason."""
    unmodelled = [_Rule(u.pattern, None, u.reason) for u in unmodelled_names()]
    rule = _best(_profile_rules(catalog.profiles["gpu"]) + unmodelled, hardware)
    if rule is None:
        return Skip(f"no GPU profile matches hardware {hardware!r}")
    if rule.profile is None:
        return Skip(rule.note)
    return rule.profile, rule.note


def node_for_hardware(hardware: str, catalog: Catalog) -> str | None:
    """A node profile id for the hardware text, if the catalog has one."""
    rule = _best(_profile_rules(catalog.profiles["node"]), hardware)
    return rule.profile if rule else None
