"""No module under simulator/ grows past 500 lines: one idea per file (docs/architecture.md)."""

from __future__ import annotations

from tests.conftest import REPO

MAX_LINES = 500


def test_no_simulator_module_is_over_500_lines() -> None:
    sizes = {
        str(path.relative_to(REPO)): len(path.read_text(encoding="utf-8").splitlines())
        for path in (REPO / "simulator").rglob("*.py")
    }
    assert sizes, "no modules found"
    assert {name: n for name, n in sizes.items() if n > MAX_LINES} == {}
