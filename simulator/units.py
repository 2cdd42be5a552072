"""One quantity parser for the CLI and the scenario schema: `36mo`, `2T`, `400Gb/s`, `60d`.

A planner writes a horizon as `36mo` on the command line and `horizon_days: 60d` in a scenario;
both must mean the same thing, so both go through `parse_quantity` and the one table of units
below. A field keeps its unit in its name (`horizon_days`, `bandwidth_gb_per_s`): a plain number
is in that unit, as always; a string with a unit is converted to it. A unit of another kind
("400Gb/s" for a days field) is refused in words that name both kinds.

Why a table of our own rather than pint: the schema needs a handful of kinds, a JSON Schema
pattern for each (editors check `60d` as they type) and house conventions pint does not have:
a month is 365.25/12 days, as the engine's calendar counts it; `2T` tokens is 2e12 (SI, as
model cards count tokens) while a bare `2T` data size is 2**40 bytes, as nccl-tests reads `-e`.

Kinds and their spellings (case-insensitive except bandwidth, where `b` is a bit, `B` a byte):
- duration: ms, s/sec, min, h/hr, d/day, w/wk, mo/month, y/yr (plural words too); a bare `m` is
  refused as ambiguous (minutes or months)
- tokens: k, M, B (billion), T (trillion)
- data size: B; kB, MB, GB, TB, PB (powers of 1000); KiB .. PiB and bare K, M, G, T (powers of
  1024)
- bandwidth: b/s, kb/s .. Tb/s, bps, Gbps (bits); B/s, kB/s .. TB/s, GBps (bytes); KiB/s .. TiB/s
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, core_schema

DAY_S = 86400.0
MONTH_S = 365.25 / 12 * DAY_S
"""A month as the engine's calendar counts it (engine/arrivals.py), so 12mo == 1y == 365.25 d."""
YEAR_S = 12 * MONTH_S

_NUMBER = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
_TEXT = re.compile(rf"^\s*({_NUMBER})\s*(\S*?)\s*$")


def _words(factor: float, *spellings: str) -> dict[str, float]:
    return dict.fromkeys(spellings, factor)


def _si_prefixed(suffix: str, base: float, prefixes: Mapping[str, float]) -> dict[str, float]:
    return {p + suffix: base * f for p, f in prefixes.items()}


_SI = {"": 1.0, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15}
_SI_BOTH_K = {**_SI, "K": 1e3}
"""For the case-sensitive bandwidth table, where `Kb/s` is as common as `kb/s`."""
_BINARY = {"Ki": 2.0**10, "Mi": 2.0**20, "Gi": 2.0**30, "Ti": 2.0**40, "Pi": 2.0**50}


@dataclass(frozen=True)
class Kind:
    """A kind of quantity: its spellings with their factor to the base unit (SI base: s, B)."""

    name: str
    examples: str
    units: Mapping[str, float]
    case_sensitive: bool = False
    refused: Mapping[str, str] = field(default_factory=dict)
    """Spellings refused with a reason (an ambiguous `m`)."""

    def __post_init__(self) -> None:
        if not self.case_sensitive:
            lowered = {k.lower(): v for k, v in self.units.items()}
            if len(lowered) != len(self.units):
                raise ValueError(f"{self.name}: two spellings differ only in case")

    def _key(self, unit: str) -> str:
        return unit if self.case_sensitive else unit.lower()

    def factor(self, unit: str) -> float | None:
        """The factor of `unit` to the base unit; None if this kind has no such unit."""
        key = self._key(unit)
        return next((v for k, v in self.units.items() if self._key(k) == key), None)

    def refusal(self, unit: str) -> str | None:
        """Why this kind refuses `unit` (an ambiguous spelling), or None."""
        key = self._key(unit)
        return next((v for k, v in self.refused.items() if self._key(k) == key), None)

    def pattern(self) -> str:
        """A JSON Schema (ECMA 262) pattern of a number with one of this kind's units."""
        spellings = sorted((u for u in self.units if u), key=len, reverse=True)
        if not self.case_sensitive:
            spellings = sorted({u.lower() for u in spellings}, key=len, reverse=True)
            spellings = [_any_case(u) for u in spellings]
        alternatives = "|".join(re.escape(u) if self.case_sensitive else u for u in spellings)
        return rf"^\s*{_NUMBER}\s*(?:{alternatives})?\s*$"


def _any_case(unit: str) -> str:
    """`gib` -> `[gG][iI][bB]`: JSON Schema patterns have no case-insensitive flag."""
    return "".join(
        f"[{c.lower()}{c.upper()}]" if c.isalpha() else re.escape(c) for c in unit.lower()
    )


DURATION = Kind(
    "duration",
    "60d, 12h, 90min, 36mo or 3y",
    {
        **_words(1e-6, "us", "usec"),
        **_words(1e-3, "ms", "msec", "millisecond", "milliseconds"),
        **_words(1.0, "s", "sec", "secs", "second", "seconds"),
        **_words(60.0, "min", "mins", "minute", "minutes"),
        **_words(3600.0, "h", "hr", "hrs", "hour", "hours"),
        **_words(DAY_S, "d", "day", "days"),
        **_words(7 * DAY_S, "w", "wk", "wks", "week", "weeks"),
        **_words(MONTH_S, "mo", "mon", "mos", "month", "months"),
        **_words(YEAR_S, "y", "yr", "yrs", "year", "years"),
    },
    refused={"m": "'m' is ambiguous: write min for minutes or mo for months"},
)
TOKENS = Kind(
    "token count",
    "2T, 1.5B, 300M or 8k",
    {"": 1.0, "k": 1e3, "m": 1e6, "b": 1e9, "t": 1e12},
)
DATA_SIZE = Kind(
    "data size",
    "2TiB, 500GB, 1.5PB or 64MiB",
    {
        **_si_prefixed("B", 1.0, _SI),
        **_si_prefixed("B", 1.0, _BINARY),
        **{p: 2.0**e for p, e in (("K", 10), ("M", 20), ("G", 30), ("T", 40))},
    },
)
BANDWIDTH = Kind(
    "bandwidth",
    "400Gb/s, 50GB/s or 3.2Tbps",
    {
        **_si_prefixed("b/s", 1 / 8, _SI_BOTH_K),
        **_si_prefixed("bit/s", 1 / 8, _SI_BOTH_K),
        **_si_prefixed("bps", 1 / 8, _SI_BOTH_K),
        **_si_prefixed("B/s", 1.0, _SI_BOTH_K),
        **_si_prefixed("Bps", 1.0, _SI_BOTH_K),
        **_si_prefixed("B/s", 1.0, _BINARY),
    },
    case_sensitive=True,
)
KINDS = (DURATION, TOKENS, DATA_SIZE, BANDWIDTH)


@dataclass(frozen=True)
class Unit:
    """The unit a field or option is in: a kind and the size of one unit in its base."""

    kind: Kind
    symbol: str
    size: float
    words: str
    """What a plain number means, for messages: 'days', 'GB/s'."""

    def parse(self, value: object) -> float:
        """`value` in this unit: a number as is, a string with any unit of this kind converted.

        Raises:
            ValueError: not a number, or a unit of another kind, in words naming both.
        """
        return parse_quantity(value, self)


SECONDS = Unit(DURATION, "s", 1.0, "seconds")
MINUTES = Unit(DURATION, "min", 60.0, "minutes")
HOURS = Unit(DURATION, "h", 3600.0, "hours")
DAYS = Unit(DURATION, "d", DAY_S, "days")
MONTHS = Unit(DURATION, "mo", MONTH_S, "months")
TOKEN = Unit(TOKENS, "", 1.0, "tokens")
TERABYTES = Unit(DATA_SIZE, "TB", 1e12, "terabytes (10^12 bytes)")
BYTE = Unit(DATA_SIZE, "B", 1.0, "bytes")
GB_PER_S = Unit(BANDWIDTH, "GB/s", 1e9, "gigabytes per second")


def _expected(unit: Unit) -> str:
    return f"expected a {unit.kind.name} like {unit.kind.examples} (a plain number is {unit.words})"


def parse_quantity(value: object, unit: Unit) -> float:
    """`value` (a number in `unit`, or text such as '36mo' or '400Gb/s') as a float in `unit`.

    Raises:
        ValueError: unreadable text, an unknown unit, or a unit of another kind.
    """
    if isinstance(value, bool):
        raise ValueError(_expected(unit))
    if isinstance(value, int | float):
        return float(value)
    if not isinstance(value, str):
        raise ValueError(_expected(unit))
    match = _TEXT.match(value)
    if match is None:
        raise ValueError(_expected(unit))
    number, spelled = float(match.group(1)), match.group(2)
    refusal = unit.kind.refusal(spelled)
    if refusal is not None:
        raise ValueError(refusal)
    factor = unit.size if spelled == "" else unit.kind.factor(spelled)
    if factor is None:
        others = [k.name for k in KINDS if k is not unit.kind and k.factor(spelled) is not None]
        if others:
            raise ValueError(f"{_expected(unit)}, not a {' or '.join(others)}")
        raise ValueError(f"{_expected(unit)}; unknown unit {spelled!r}")
    result = number * factor / unit.size
    if not math.isfinite(result):
        raise ValueError(f"{_expected(unit)}; got a number too large")
    return result


def parse_byte_count(value: object) -> int:
    """Whole bytes from 4096, 1e6, '64MiB', '1GB', '512K' (bare K/M/G/T binary); >= 0."""
    size = parse_quantity(value, BYTE)
    if size < 0:
        raise ValueError("expected a size >= 0 bytes")
    return round(size)


@dataclass(frozen=True)
class Quantity:
    """Pydantic metadata: the field takes a number in `unit` or a string with a unit.

    `Annotated[float, Quantity(DAYS)]` converts '60d' or '12h' to days before the float is
    checked (so the field's bounds apply to the converted value), and its JSON Schema becomes
    number-or-string, the string matching the kind's pattern. Put `| None` inside the
    `Annotated` (`Annotated[float | None, Quantity(DAYS)]`), where pydantic can still write the
    field's bounds into the number's JSON Schema.
    """

    unit: Unit

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        def convert(value: Any) -> Any:
            return value if value is None else self.unit.parse(value)

        return core_schema.no_info_before_validator_function(convert, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        number = handler(schema)
        text = {
            "type": "string",
            "pattern": self.unit.kind.pattern(),
            "description": f"a {self.unit.kind.name} with a unit, e.g. {self.unit.kind.examples}",
        }
        branches = number.get("anyOf") if set(number) == {"anyOf"} else None
        if branches is not None:  # `float | None`: one flat list, the string before the null
            nulls = [b for b in branches if b.get("type") == "null"]
            return {"anyOf": [*(b for b in branches if b not in nulls), text, *nulls]}
        return {"anyOf": [number, text]}


Seconds = Annotated[float, Quantity(SECONDS)]
Minutes = Annotated[float, Quantity(MINUTES)]
Hours = Annotated[float, Quantity(HOURS)]
Days = Annotated[float, Quantity(DAYS)]
Months = Annotated[float, Quantity(MONTHS)]
Tokens = Annotated[float, Quantity(TOKEN)]
TB = Annotated[float, Quantity(TERABYTES)]
GBps = Annotated[float, Quantity(GB_PER_S)]

OptionalSeconds = Annotated[float | None, Quantity(SECONDS)]
OptionalMinutes = Annotated[float | None, Quantity(MINUTES)]
OptionalHours = Annotated[float | None, Quantity(HOURS)]
OptionalDays = Annotated[float | None, Quantity(DAYS)]
OptionalMonths = Annotated[float | None, Quantity(MONTHS)]
OptionalTokens = Annotated[float | None, Quantity(TOKEN)]
OptionalTB = Annotated[float | None, Quantity(TERABYTES)]
OptionalGBps = Annotated[float | None, Quantity(GB_PER_S)]
"""`X | None` fields: the None inside the Annotated keeps the bounds in the JSON Schema."""
