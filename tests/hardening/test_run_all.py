"""benchmarks/run_all.py: runs what speaks the --json-out protocol, lists the rest, and
rewrites only the README's marked block."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks import run_all

REPORTING = """
import json, sys
path = sys.argv[sys.argv.index("--json-out") + 1]
json.dump([{"name": "speed", "value": 2.5, "unit": "s", "target": "< 5 s", "met": True},
           {"name": "rate", "value": 12345.0, "unit": "req/s", "target": None, "met": None}],
          open(path, "w"))
sys.exit(1)  # a missed target may exit non-zero; its figures still count
"""


def _script(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / name
    path.write_text(body)
    return path


def test_protocol_scripts_report_and_others_are_listed(tmp_path: Path) -> None:
    results = {
        "bench_a.py": run_all.run_script(_script(tmp_path, "bench_a.py", REPORTING), 60),
        "bench_b.py": run_all.run_script(_script(tmp_path, "bench_b.py", "print('hi')\n"), 60),
        "bench_c.py": run_all.run_script(
            _script(tmp_path, "bench_c.py", "# --json-out\nraise SystemExit('boom')\n"), 60
        ),
    }
    assert results["bench_a.py"][0][0]["value"] == 2.5
    assert results["bench_b.py"] == (None, "does not take --json-out yet")
    assert results["bench_c.py"][0] is None and "boom" in results["bench_c.py"][1]
    block = run_all.table(results, "test machine")
    assert "| `bench_a.py` | speed | 2.5 s | < 5 s | yes |" in block
    assert "| `bench_a.py` | rate | 12,345 req/s |  |  |" in block
    missing = "Not reported: `bench_b.py` (does not take --json-out yet); `bench_c.py` (failed"
    assert missing in block
    assert "test machine" in block


def test_readme_block_is_replaced_and_nothing_else(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    start, end = run_all.START, run_all.END
    readme.write_text(f"# x\n\nbefore\n{start}\nold table\n{end}\nafter\n")
    run_all.write_readme(readme, "new table")
    assert readme.read_text() == f"# x\n\nbefore\n{start}\nnew table\n{end}\nafter\n"
    readme.write_text("no markers\n")
    with pytest.raises(SystemExit, match="markers"):
        run_all.write_readme(readme, "t")


def test_the_real_scripts_speak_the_protocol() -> None:
    """The two scripts this project owns take --json-out; the runner finds every bench_*.py."""
    names = [p.name for p in run_all.scripts(None)]
    assert {"bench_engine.py", "bench_estimate_training.py"} <= set(names)
    for name in ("bench_engine.py", "bench_estimate_training.py"):
        assert run_all.FLAG in (run_all.HERE / name).read_text()
    where = run_all.machine()
    assert "usable cores" in where and "\n" not in where
