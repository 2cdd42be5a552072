"""No module reads another object's private attributes: `obj._name` only on `self` or `cls`.

A private attribute read from elsewhere (`sim._repaired`, `server._lm_head_s`) couples two
modules through a name neither advertises; give the owner a public name instead.
"""

from __future__ import annotations

import ast

from tests.conftest import REPO


def _private_reads(source: str) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Attribute):
            continue
        if not node.attr.startswith("_") or node.attr.startswith("__"):
            continue
        if isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"):
            continue
        found.append((node.lineno, ast.unparse(node)))
    return found


def test_the_scan_sees_a_private_read() -> None:
    assert _private_reads("x = sim._repaired\ny = self._own\nz = self._a._b\n") == [
        (1, "sim._repaired"),
        (3, "self._a._b"),
    ]


def test_no_module_reads_another_objects_private_attributes() -> None:
    hits = [
        f"{path.relative_to(REPO)}:{line}: {text}"
        for path in sorted((REPO / "simulator").rglob("*.py"))
        for line, text in _private_reads(path.read_text(encoding="utf-8"))
    ]
    assert hits == []
