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
import re
import stat
from pathlib import Path
from typing import Any

import yaml

from simulator.errors import InputError, Problem, os_reason

MAX_FILE_BYTES = 16 * 1024 * 1024
"""Larger files are refused unread. JSON (what the calibration probe writes) parses fast."""

MAX_YAML_CHARS = 2 * 1024 * 1024
"""Larger YAML (non-JSON) text is refused: no hand-written profile or scenario comes close (the
largest shipped file is under 10 kB), and 2 MiB of YAML already takes seconds to parse."""


INT64_MAX = 2**63 - 1
"""Largest integer accepted: every count in the tool fits a signed 64-bit integer."""

MAX_NESTING_DEPTH = 100
"""Deepest nesting of lists and mappings accepted. The deepest shipped file nests 6 levels; the
limit stays well below libyaml's own (1,000, whose wording varies by release) and Python's
recursion limit, so the refusal is always ours and names the line."""


class _TooDeep(Exception):
    """Raised while composing or scanning when nesting passes MAX_NESTING_DEPTH."""

    def __init__(self, line: int, column: int) -> None:
        super().__init__(line, column)
        self.line = line
        self.column = column


class _DuplicateKey(Exception):
    """A mapping names the same key twice; PyYAML and json would keep the later silently."""

    def __init__(self, key: object, line: int, column: int, first_line: int) -> None:
        super().__init__(key, line, column)
        self.key = key
        self.line = line
        self.column = column
        self.first_line = first_line


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

    _depth = 0

    def compose_node(self, parent, index):  # type: ignore[no-untyped-def]
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None, None, "YAML aliases (*name) are not allowed", event.start_mark
            )
        if not self.check_event(yaml.SequenceStartEvent, yaml.MappingStartEvent):
            return super().compose_node(parent, index)
        self._depth += 1
        if self._depth > MAX_NESTING_DEPTH:
            mark = self.peek_event().start_mark
            raise _TooDeep(mark.line + 1, mark.column + 1)
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node, deep=False):  # type: ignore[no-untyped-def]
        """Refuse a key given twice in one mapping (merge keys `<<` aside)."""
        if isinstance(node, yaml.MappingNode):
            first_line: dict[object, int] = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    if key in first_line:
                        mark = key_node.start_mark
                        raise _DuplicateKey(key, mark.line + 1, mark.column + 1, first_line[key])
                    first_line[key] = key_node.start_mark.line + 1
                except TypeError:  # an unhashable key: the constructor refuses it below
                    break
        return super().construct_mapping(node, deep)

    def construct_undefined(self, node):  # type: ignore[no-untyped-def]
        raise yaml.constructor.ConstructorError(
            None,
            None,
            f"the tag {node.tag} is not accepted (plain data only: no objects, code or binary)",
            node.start_mark,
        )

    def construct_yaml_int(self, node):  # type: ignore[no-untyped-def]
        try:
            value = super().construct_yaml_int(node)
        except ValueError:  # Python refuses to convert over 4,300 digits at all
            value = INT64_MAX + 1
        if not -INT64_MAX - 1 <= value <= INT64_MAX:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"integer {node.value[:30]} is too large (limit 2**63-1)",
                node.start_mark,
            )
        return value


_NoAliasSafeLoader.add_constructor("tag:yaml.org,2002:int", _NoAliasSafeLoader.construct_yaml_int)
_NoAliasSafeLoader.add_constructor(None, _NoAliasSafeLoader.construct_undefined)  # our wording


def read_yaml(path: str | Path) -> Any:
    """Parse one YAML (or JSON) file into plain Python data, or raise InputError."""
    path = Path(path)
    try:
        info = path.stat()
    except (OSError, ValueError) as exc:
        raise InputError([Problem(str(path), "", f"cannot read file ({os_reason(exc)})")]) from None
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
    if len(text.lstrip("-")) > 19:  # int() of over 4,300 digits raises on its own
        raise ValueError("integer too large")  # the YAML parser then names its line
    value = int(text)
    if not -INT64_MAX - 1 <= value <= INT64_MAX:
        raise ValueError("integer too large")
    return value


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        raise ValueError("duplicate key")  # the YAML parser then names the key and its line
    return dict(pairs)


def _depth(data: Any) -> int:
    """How deep lists and mappings nest in parsed data (iterative: no recursion limit)."""
    deepest = 0
    stack = [(data, 1)]
    while stack:
        node, level = stack.pop()
        children = node.values() if isinstance(node, dict) else node
        deepest = max(deepest, level)
        stack.extend((c, level + 1) for c in children if isinstance(c, (dict, list)))
    return deepest if isinstance(data, (dict, list)) else 0


_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')
_YAML_TOKEN = re.compile(
    r'"(?:[^"\\]|\\.)*"'  # a double-quoted string
    r"|'(?:[^']|'')*'"  # a single-quoted one
    r"|(?:^|(?<=\s))#[^\n]*"  # a comment
    r"|[\[\]{}]",
    re.M,
)


def _flow_too_deep(text: str, tokens: re.Pattern[str]) -> _TooDeep | None:
    """Where brackets first nest past MAX_NESTING_DEPTH, quoted strings and comments skipped.

    libyaml reads a flow collection far ahead of the composer, so its own limit would speak
    first; this scan finds the place before it parses.
    """
    level = 0
    for match in tokens.finditer(text):
        token = match.group()
        if token in "[{":
            level += 1
            if level > MAX_NESTING_DEPTH:
                start = match.start()
                line = text.count("\n", 0, start) + 1
                return _TooDeep(line, start - text.rfind("\n", 0, start))
        elif token in "]}":
            level = max(level - 1, 0)
    return None


def _no_constant(text: str) -> None:
    raise ValueError(f"{text} is not a number")


def _parse_json(text: str) -> Any:
    """JSON is YAML, parsed in C: no tags or aliases exist in it; ints and NaN are checked."""
    data = json.loads(
        text, parse_int=_int64, parse_constant=_no_constant, object_pairs_hook=_unique_keys
    )
    if _depth(data) > MAX_NESTING_DEPTH:
        raise _flow_too_deep(text, _JSON_TOKEN) or _TooDeep(1, 1)
    return data


def _too_deep(origin: str, error: _TooDeep) -> InputError:
    return InputError(
        [
            Problem(
                origin,
                f"line {error.line}, column {error.column}",
                f"nested more than {MAX_NESTING_DEPTH} levels deep at line {error.line}",
            )
        ]
    )


def parse_yaml_text(text: str, origin: str) -> Any:
    """Parse YAML (or JSON) text; `origin` names it in errors."""
    if text.lstrip()[:1] in ("{", "["):
        try:
            return _parse_json(text)
        except RecursionError:
            raise _too_deep(origin, _flow_too_deep(text, _JSON_TOKEN) or _TooDeep(1, 1)) from None
        except _TooDeep as exc:
            raise _too_deep(origin, exc) from None
        except ValueError:
            pass  # YAML flow style, or an error the YAML parser locates more helpfully
    if len(text) > MAX_YAML_CHARS:
        raise InputError(
            [Problem(origin, "", f"YAML text over {MAX_YAML_CHARS} characters is not accepted")]
        )
    if text.count("[") + text.count("{") > MAX_NESTING_DEPTH:
        too_deep = _flow_too_deep(text, _YAML_TOKEN)
        if too_deep:
            raise _too_deep(origin, too_deep)
    try:
        return yaml.load(text, Loader=_NoAliasSafeLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise InputError(
            [Problem(origin, where, f"not valid YAML: {exc.problem or exc}")]
        ) from None
    except _TooDeep as exc:
        raise _too_deep(origin, exc) from None
    except _DuplicateKey as exc:
        where = f"line {exc.line}, column {exc.column}"
        message = f"duplicate key {str(exc.key)!r} (first given at line {exc.first_line})"
        raise InputError([Problem(origin, where, message)]) from None
    except RecursionError:  # pragma: no cover - MAX_NESTING_DEPTH refuses first
        raise InputError([Problem(origin, "", "not valid YAML: nested too deeply")]) from None
    except (yaml.YAMLError, UnicodeError) as exc:  # UnicodeError: lone surrogates from argv
        reason = str(exc).splitlines()[0]
        raise InputError([Problem(origin, "", f"not valid YAML: {reason}")]) from None
