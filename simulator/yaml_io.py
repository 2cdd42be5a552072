"""Safe YAML reading: plain data only, with errors that name the file and line.

Scenarios and profiles come from users; a YAML tag must never build an object or run code.
Beyond PyYAML's SafeLoader this refuses: aliases (the "billion laughs" bomb), the tags that build
non-plain values (`!!binary`, `!!set`, `!!omap`, `!!pairs`: a set's order would even vary between
processes), integers outside a signed 64-bit range (numpy and Parquet would overflow later, far
from the file), and anything but a regular file of at most MAX_FILE_BYTES (a FIFO or /dev/zero
would otherwise block or fill memory); YAML that is not JSON is further capped at MAX_YAML_CHARS.
"""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import yaml

from simulator.errors import InputError, Problem

MAX_FILE_BYTES = 16 * 1024 * 1024
"""Larger files are refused unread. JSON (what the calibration probe writes) parses fast."""

MAX_YAML_CHARS = 2 * 1024 * 1024
"""Larger YAML (non-JSON) text is refused: no hand-written profile or scenario comes close (the
largest shipped file is under 10 kB), and 2 MiB of YAML already takes seconds to parse."""


INT64_MAX = 2**63 - 1
"""Largest integer accepted: every count in the tool fits a signed 64-bit integer."""

_REFUSED_TAGS = (
    "tag:yaml.org,2002:binary",
    "tag:yaml.org,2002:set",
    "tag:yaml.org,2002:omap",
    "tag:yaml.org,2002:pairs",
)


try:  # libyaml's event parser is several times faster than PyYAML's pure-Python one
    from yaml.cyaml import CParser as _CParser

    _PARSER: tuple[type, ...] = (_CParser,)
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    _PARSER = (yaml.parser.Parser, yaml.scanner.Scanner, yaml.reader.Reader)


class _NoAliasSafeLoader(
    yaml.composer.Composer, *_PARSER, yaml.constructor.SafeConstructor, yaml.resolver.Resolver
):
    """Safe constructors over a (C when available) event parser; refuses anchors/aliases.

    The composer is PyYAML's Python one on purpose: it can refuse aliases, closing the
    'billion laughs' door, and deep nesting ends in a catchable RecursionError, where
    libyaml's own composer overflows the C stack (a crash) on a few thousand '['.
    """

    yaml_constructors = {
        tag: fn for tag, fn in yaml.SafeLoader.yaml_constructors.items() if tag not in _REFUSED_TAGS
    }

    def __init__(self, stream: str) -> None:
        if len(_PARSER) == 1:
            _PARSER[0].__init__(self, stream)
        else:  # pragma: no cover - pure-Python PyYAML
            yaml.reader.Reader.__init__(self, stream)
            yaml.scanner.Scanner.__init__(self)
            yaml.parser.Parser.__init__(self)
        yaml.composer.Composer.__init__(self)
        yaml.constructor.SafeConstructor.__init__(self)
        yaml.resolver.Resolver.__init__(self)

    def compose_node(self, parent, index):  # type: ignore[no-untyped-def]
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None, None, "YAML aliases (*name) are not allowed", event.start_mark
            )
        return super().compose_node(parent, index)

    def construct_yaml_int(self, node):  # type: ignore[no-untyped-def]
        value = super().construct_yaml_int(node)
        if not -INT64_MAX - 1 <= value <= INT64_MAX:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"integer {node.value[:30]} is too large (limit 2**63-1)",
                node.start_mark,
            )
        return value


_NoAliasSafeLoader.add_constructor("tag:yaml.org,2002:int", _NoAliasSafeLoader.construct_yaml_int)


def read_yaml(path: str | Path) -> Any:
    """Parse one YAML (or JSON) file into plain Python data, or raise InputError."""
    path = Path(path)
    try:
        info = path.stat()
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise InputError([Problem(str(path), "", f"cannot read file ({reason})")]) from None
    if not stat.S_ISREG(info.st_mode):
        raise InputError([Problem(str(path), "", "not a regular file")])
    if info.st_size > MAX_FILE_BYTES:
        raise InputError(
            [
                Problem(
                    str(path),
                    "",
                    f"file is {info.st_size} bytes; at most {MAX_FILE_BYTES} accepted",
                )
            ]
        )
    try:
        with path.open("rb") as stream:
            raw = stream.read(MAX_FILE_BYTES + 1)  # the file may have grown since stat
        if len(raw) > MAX_FILE_BYTES:
            raise InputError([Problem(str(path), "", f"file is over {MAX_FILE_BYTES} bytes")])
        text = raw.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError([Problem(str(path), "", f"cannot read file as UTF-8 ({exc})")]) from None
    return parse_yaml_text(text, str(path))


def _int64(text: str) -> int:
    value = int(text)
    if not -INT64_MAX - 1 <= value <= INT64_MAX:
        raise ValueError("integer too large")  # the YAML parser then names its line
    return value


def _no_constant(text: str) -> None:
    raise ValueError(f"{text} is not a number")


def _parse_json(text: str) -> Any:
    """JSON is YAML, parsed in C: no tags or aliases exist in it; ints and NaN are checked."""
    return json.loads(text, parse_int=_int64, parse_constant=_no_constant)


def parse_yaml_text(text: str, origin: str) -> Any:
    """Parse YAML (or JSON) text; `origin` names it in errors."""
    if text.lstrip()[:1] in ("{", "["):
        try:
            return _parse_json(text)
        except RecursionError:
            raise InputError([Problem(origin, "", "not valid JSON: nested too deeply")]) from None
        except ValueError:
            pass  # YAML flow style, or an error the YAML parser locates more helpfully
    if len(text) > MAX_YAML_CHARS:
        raise InputError(
            [Problem(origin, "", f"YAML text over {MAX_YAML_CHARS} characters is not accepted")]
        )
    try:
        return yaml.load(text, Loader=_NoAliasSafeLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise InputError(
            [Problem(origin, where, f"not valid YAML: {exc.problem or exc}")]
        ) from None
    except RecursionError:
        raise InputError([Problem(origin, "", "not valid YAML: nested too deeply")]) from None
    except (yaml.YAMLError, UnicodeError) as exc:  # UnicodeError: lone surrogates from argv
        reason = str(exc).splitlines()[0]
        raise InputError([Problem(origin, "", f"not valid YAML: {reason}")]) from None
