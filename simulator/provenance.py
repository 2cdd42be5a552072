"""Build a run's provenance block: code, dependencies, seed, scenario as run, and dated inputs.

`simulate` calls `build_provenance` for every run, so `summary.json`, `cost compare` and the
report all carry the same record. Two parts of it need more than the loaded scenario:

- **The lock hash.** `requirements/lock.txt` pins every dependency CI tests. An installed
  wheel has no `requirements/` folder, so `requirements/compile.sh` writes the lock's sha256
  into `simulator/lock.sha256` (package data, shipped in the wheel) and a test checks the two
  agree; the hash is read from that file alone, the same way in a checkout and after
  `pip install`.
- **Price age.** A price sheet's `as_of` is compared with today's date (UTC): older than
  `STALE_AFTER_DAYS` is stale, and the run warns, pointing at the documented way to update
  sheets (`docs/pricing.md`). A month (`2025-06`) counts from its first day, so a sheet is
  never reported younger than it may be.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import platform
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from simulator._version import __version__
from simulator.scenario import LoadedScenario
from simulator.schema.base import Profile
from simulator.schema.pricing import PricingProfile
from simulator.schema.provenance import STALE_AFTER_DAYS, PriceUsed, ProfileUsed, Provenance
from simulator.schema.run_summary import RunSummary
from simulator.schema.scenario import Scenario

LOCK_HASH_FILE = Path(__file__).resolve().parent / "lock.sha256"
"""`sha256sum` output for requirements/lock.txt, written by requirements/compile.sh."""

UPDATE_DOC = "docs/pricing.md"
"""Where the way to update a price sheet is written down (named in every stale warning)."""

NOT_GIVEN = "not given"


@functools.lru_cache(maxsize=8)
def lock_sha256(path: Path = LOCK_HASH_FILE) -> str | None:
    """The dependency lock's sha256 as shipped with the package; None if the file is missing
    or unreadable (a hand-made copy of the package), so a run never fails over it. Read once
    per process: every run of a sweep records it."""
    try:
        text = path.read_text(encoding="utf-8").split()
    except OSError:
        return None
    digest = text[0].lower() if text else ""
    is_hex = len(digest) == 64 and all(c in "0123456789abcdef" for c in digest)
    return digest if is_hex else None


def scenario_sha256(scenario: Scenario) -> str:
    """sha256 of the validated scenario (overrides applied) as canonical JSON.

    Sorted keys and fixed separators make the same scenario hash the same however its YAML
    was laid out (key order, comments, quoting); defaults are included, so a value left out
    and the same value written out hash alike.
    """
    data = scenario.model_dump(mode="json")
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def as_of_date(as_of: str) -> dt.date:
    """The date an `as_of` names; a bare month (YYYY-MM) is its first day (the oldest reading).

    Raises:
        ValueError: not YYYY-MM or YYYY-MM-DD (the schema refuses those before this runs).
    """
    if len(as_of) == 7:
        as_of += "-01"
    return dt.date.fromisoformat(as_of)


def price_used(sheet: PricingProfile, today: dt.date) -> PriceUsed:
    """`sheet`'s source, date and age on `today`; stale when older than STALE_AFTER_DAYS."""
    age = max(0, (today - as_of_date(sheet.as_of)).days)
    return PriceUsed(
        sheet=sheet.id,
        source=sheet.source,
        as_of=sheet.as_of,
        age_days=age,
        stale=age > STALE_AFTER_DAYS,
    )


def stale_warning(price: PriceUsed) -> str:
    """The sentence a run prints for a stale sheet ('' when it is not stale)."""
    if not price.stale:
        return ""
    return (
        f"price sheet {price.sheet} is {price.age_days} days old (as_of {price.as_of}, "
        f"older than {STALE_AFTER_DAYS} days); update it: {UPDATE_DOC}"
    )


def price_sheet_warnings(
    sheets: Iterable[PricingProfile], today: dt.date | None = None
) -> list[str]:
    """A warning per stale sheet among `sheets` (for `infrasim profiles validate`)."""
    today = today or utc_today()
    return [w for w in (stale_warning(price_used(s, today)) for s in sheets) if w]


def utc_today() -> dt.date:
    """Today's date in UTC (ages do not depend on the machine's time zone)."""
    return dt.datetime.now(dt.UTC).date()


def _used(kind: str, profile: Any) -> ProfileUsed:
    return ProfileUsed(
        id=str(getattr(profile, "id", None) or getattr(profile, "name", "")),
        kind=kind,
        source=getattr(profile, "source", None) or NOT_GIVEN,
        as_of=getattr(profile, "as_of", None) or NOT_GIVEN,
    )


def profiles_used(loaded: LoadedScenario) -> list[ProfileUsed]:
    """Every profile and model shape the run read, once each, in the scenario's order."""
    world = loaded.world
    found: list[tuple[str, Profile]] = []
    for pool in world.pools.values():
        found += [("node", pool.node), ("gpu", pool.gpu)]
        if pool.scale_up is not None:
            found.append(("interconnect", pool.scale_up))
        found += [("interconnect", nic) for _, nic in pool.nics]
        found.append(("interconnect", pool.scale_out))
    found += [("storage", tier.profile) for tier in world.storage]
    found.append(("facility", world.facility))
    found += [("pricing", sheet) for sheet in world.price_sheets.values()]
    used: dict[tuple[str, str], ProfileUsed] = {}
    for kind, profile in found:
        entry = _used(kind, profile)
        used.setdefault((kind, entry.id), entry)
    for model in world.models.values():
        entry = _used("model", model)
        used.setdefault(("model", entry.id), entry)
    return list(used.values())


def build_provenance(
    loaded: LoadedScenario, seed: int, *, today: dt.date | None = None
) -> Provenance:
    """The provenance of running `loaded` with `seed` (ages of prices as of `today`, UTC)."""
    today = today or utc_today()
    prices = [price_used(sheet, today) for sheet in loaded.world.price_sheets.values()]
    lock = lock_sha256()
    warnings = [w for w in (stale_warning(p) for p in prices) if w]
    if lock is None:
        warnings.append(
            "dependency lock hash unknown (simulator/lock.sha256 is missing): the run cannot "
            "be tied to a pinned dependency set"
        )
    return Provenance(
        infrasim_version=__version__,
        lock_sha256=lock,
        python=platform.python_version(),
        seed=seed,
        scenario_file=str(loaded.path),
        scenario_sha256=scenario_sha256(loaded.scenario),
        overrides=list(loaded.overrides),
        profiles=profiles_used(loaded),
        prices=prices,
        warnings=warnings,
    )


def provenance_warnings(summary: RunSummary) -> list[str]:
    """The warnings a command should print for a run (stale prices, unknown lock); [] for a
    summary written before provenance was recorded."""
    provenance = summary.provenance
    return list(provenance.warnings) if provenance is not None else []
