"""The library never imports the command line: only `simulator/cli` imports `simulator.cli`.

`simulator.estimate_training` and friends call `simulator.estimates`, which the CLI calls too;
a module below the CLI reaching up into it (even lazily, inside a function) would make the
library depend on typer and on the CLI's layout. `__main__` is the CLI's entry point.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "simulator"
ALLOWED = {PACKAGE / "__main__.py"}


def _imports(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def test_no_module_outside_cli_imports_cli() -> None:
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path in ALLOWED or (PACKAGE / "cli") in path.parents:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for line, name in _imports(tree):
            if name == "simulator.cli" or name.startswith("simulator.cli."):
                offenders.append(f"{path.relative_to(PACKAGE.parent)}:{line}: {name}")
    assert not offenders, "modules below the CLI import it:\n" + "\n".join(offenders)
