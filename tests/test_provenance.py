"""Provenance: every run records its code, lock, seed, scenario as run and dated inputs, and
warns when a price sheet is more than a year old; no shipped profile cites a file outside
the package."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from simulator._version import __version__
from simulator.catalog import Catalog
from simulator.paths import builtin_profiles_dir
from simulator.provenance import (
    LOCK_HASH_FILE,
    as_of_date,
    build_provenance,
    lock_sha256,
    price_sheet_warnings,
    provenance_warnings,
    scenario_sha256,
)
from simulator.results import Results, simulate
from simulator.scenario import load_scenario
from tests.engine.conftest import PROFILES
from tests.hardening.fuzz import small_scenario

ROOT = Path(__file__).resolve().parents[1]

SHEET = {
    "id": "provtest-cloud",
    "kind": "pricing",
    "name": "provenance test cloud",
    "source": "a hand-made sheet for tests/test_provenance.py",
    "as_of": "2025-10-01",
    "sheet": "cloud",
    "cloud": {
        "provider": "provtest",
        "instances": [
            {
                "instance_type": "8x test",
                "node": "enginetest-node",
                "gpus_per_instance": 8,
                "on_demand_usd_per_hour": 16.0,
            }
        ],
        "egress_usd_per_gb": 0,
    },
}


@pytest.fixture(scope="module")
def catalog(tmp_path_factory) -> Catalog:
    """The engine test profiles plus one price sheet dated 2025-10-01."""
    extra = tmp_path_factory.mktemp("profiles")
    (extra / "provtest-cloud.yaml").write_text(yaml.safe_dump(SHEET))
    return Catalog.load([PROFILES, extra], include_env=False)


def _scenario(tmp_path: Path, data: dict[str, Any] | None = None) -> Path:
    data = data or small_scenario()
    data["pricing"] = {
        "options": [{"name": "rent", "sheet": "provtest-cloud", "purchase": "on_demand"}]
    }
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_the_shipped_lock_hash_matches_the_lock() -> None:
    """requirements/compile.sh writes simulator/lock.sha256; a lock edited without rerunning
    it (or the hash line) would make every run name the wrong dependency set."""
    lock = ROOT / "requirements" / "lock.txt"
    expected = hashlib.sha256(lock.read_bytes()).hexdigest()
    assert LOCK_HASH_FILE.read_text().split() == [expected, "requirements/lock.txt"]
    assert lock_sha256() == expected


def test_a_missing_or_garbled_lock_hash_is_unknown(tmp_path: Path) -> None:
    assert lock_sha256(tmp_path / "absent") is None
    (tmp_path / "bad").write_text("not-a-hash  requirements/lock.txt\n")
    assert lock_sha256(tmp_path / "bad") is None
    (tmp_path / "good").write_text("AB" * 32 + "  requirements/lock.txt\n")
    assert lock_sha256(tmp_path / "good") == "ab" * 32


def test_as_of_a_month_counts_from_its_first_day() -> None:
    assert as_of_date("2025-06") == dt.date(2025, 6, 1)
    assert as_of_date("2025-06-17") == dt.date(2025, 6, 17)


def test_the_scenario_hash_is_of_the_scenario_as_run(tmp_path: Path, catalog: Catalog) -> None:
    path = _scenario(tmp_path)
    base = scenario_sha256(load_scenario(path, catalog).scenario)
    # the same scenario laid out differently (key order, flow style) hashes the same
    data = yaml.safe_load(path.read_text())
    relaid = tmp_path / "relaid.yaml"
    relaid.write_text(yaml.safe_dump(dict(reversed(data.items())), default_flow_style=True))
    assert scenario_sha256(load_scenario(relaid, catalog).scenario) == base
    # an override to the value already there changes nothing; a new value does
    same = load_scenario(path, catalog, ["seed=1"])
    assert scenario_sha256(same.scenario) == base
    assert scenario_sha256(load_scenario(path, catalog, ["seed=2"]).scenario) != base


def test_provenance_records_overrides_profiles_and_price_age(
    tmp_path: Path, catalog: Catalog
) -> None:
    loaded = load_scenario(_scenario(tmp_path), catalog, ["seed=7", "horizon_days=2"])
    # 2025-10-01 -> 2026-10-01 is 365 days, then 35 more to 2026-11-05: 400 days
    p = build_provenance(loaded, 7, today=dt.date(2026, 11, 5))
    assert (p.infrasim_version, p.seed, p.lock_sha256) == (__version__, 7, lock_sha256())
    assert p.overrides == ["seed=7", "horizon_days=2"]
    assert p.scenario_file == str(tmp_path / "s.yaml")
    assert p.scenario_sha256 == scenario_sha256(loaded.scenario)
    kinds = {(u.kind, u.id) for u in p.profiles}
    assert {
        ("node", "enginetest-node"),
        ("storage", "enginetest-fs"),
        ("facility", "enginetest-hall"),
        ("pricing", "provtest-cloud"),
    } <= kinds
    assert len(kinds) == len(p.profiles)  # each profile once
    (price,) = p.prices
    assert (price.sheet, price.as_of, price.age_days, price.stale) == (
        "provtest-cloud",
        "2025-10-01",
        400,
        True,
    )
    assert p.warnings == [
        "price sheet provtest-cloud is 400 days old (as_of 2025-10-01, older than 365 days); "
        "update it: docs/pricing.md"
    ]


@pytest.mark.parametrize(
    ("today", "age", "stale"),
    [(dt.date(2026, 10, 1), 365, False), (dt.date(2026, 10, 2), 366, True)],
)
def test_a_sheet_is_stale_only_after_a_full_year(
    tmp_path: Path, catalog: Catalog, today: dt.date, age: int, stale: bool
) -> None:
    p = build_provenance(load_scenario(_scenario(tmp_path), catalog), 1, today=today)
    assert (p.prices[0].age_days, p.prices[0].stale) == (age, stale)
    assert bool(p.warnings) is stale
    sheet = catalog.pricing("provtest-cloud")
    assert bool(price_sheet_warnings([sheet], today)) is stale


def test_a_run_carries_its_provenance_into_summary_json(tmp_path: Path, catalog: Catalog) -> None:
    loaded = load_scenario(_scenario(tmp_path), catalog, ["seed=3"])
    results = simulate(loaded)
    p = results.summary.provenance
    assert p is not None and p.seed == 3 and p.overrides == ["seed=3"]
    assert p.warnings == provenance_warnings(results.summary)
    out = results.save(tmp_path / "out")
    written = json.loads((out / "summary.json").read_text())
    assert written["provenance"]["scenario_sha256"] == p.scenario_sha256
    assert Results.load(out).summary.provenance == p


def test_a_summary_without_provenance_has_no_warnings(tmp_path: Path, catalog: Catalog) -> None:
    results = simulate(load_scenario(_scenario(tmp_path), catalog))
    old = results.summary.model_copy(update={"provenance": None})
    assert provenance_warnings(old) == []
    assert "provenance" not in old.to_dict()  # older summary.json files have no such key


# ------------------------------------------------------------------ shipped profiles
OUTSIDE = re.compile(r"figures\.md|shared/reference|(?:^|[\s(\"'])(?:/|~/|\.\./)\w")
"""A citation of a file outside the package: the old reference notes, or a filesystem path
(absolute, home-relative or climbing out with '..'); URLs and repo paths like
`NVIDIA/nccl src/graph/tuning.cc` do not match."""


def _strings(value: Any, where: str = "") -> list[tuple[str, str]]:
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in _strings(v, f"{where}.{k}")]
    if isinstance(value, list):
        return [s for i, v in enumerate(value) for s in _strings(v, f"{where}[{i}]")]
    return [(where, value)] if isinstance(value, str) else []


def test_the_outside_pattern_catches_what_it_should() -> None:
    assert OUTSIDE.search("as listed in figures.md")
    assert OUTSIDE.search("see /work/shared/notes.txt")
    assert OUTSIDE.search("copied from ../elsewhere.yaml")
    assert not OUTSIDE.search("NVIDIA/nccl src/graph/tuning.cc (docs.lambda.ai/billing)")


@pytest.mark.parametrize(
    "path",
    sorted(builtin_profiles_dir().rglob("*.yaml")),
    ids=lambda p: str(p.relative_to(builtin_profiles_dir())),
)
def test_no_profile_cites_a_file_outside_the_package(path: Path) -> None:
    """Sources name their primary source (a datasheet, a pricing page, a paper), never a file
    that only the authors had: a reader of a report could not follow it."""
    found = [
        f"{where}: {text[:80]!r}"
        for where, text in _strings(yaml.safe_load(path.read_text()))
        if OUTSIDE.search(text)
    ]
    assert found == []
