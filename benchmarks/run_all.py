"""Run every benchmark script and write their figures into README.md as one table.

    python benchmarks/run_all.py                    # all bench_*.py, README updated
    python benchmarks/run_all.py --only engine --dry-run

Each `benchmarks/bench_*.py` that takes `--json-out FILE` (the protocol in figures.py) is run
in its own process with that flag; its figures (name, value, unit, target, met) become rows of
the table between `<!-- bench:start -->` and `<!-- bench:end -->` in README.md, headed by the
machine they were measured on. Scripts without the flag, and scripts that fail or time out,
are listed as "not reported" with the reason, so the table never shows a stale or guessed
figure. Not a test: a benchmark run takes minutes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from simulator.atomic_files import write_text_atomic  # noqa: E402

HERE = ROOT / "benchmarks"
START, END = "<!-- bench:start -->", "<!-- bench:end -->"
FLAG = "--json-out"


def scripts(only: list[str] | None) -> list[Path]:
    """bench_*.py in name order, optionally those whose name contains one of `only`."""
    found = sorted(HERE.glob("bench_*.py"))
    return [p for p in found if not only or any(o in p.stem for o in only)]


def machine() -> str:
    """CPU model, usable cores, memory, Python, OS and date: what the figures depend on."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    try:
        memory = f", {os.sysconf('SC_PHYS_PAGES') * os.sysconf('SC_PAGE_SIZE') / 2**30:.0f} GiB"
    except (AttributeError, ValueError, OSError):
        memory = ""
    return (
        f"{cpu}, {cores} usable cores{memory}, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}, {dt.date.today().isoformat()}"
    )


def run_script(path: Path, timeout_s: float) -> tuple[list[dict] | None, str]:
    """(figures, note) for one script; figures None when it reported nothing."""
    if FLAG not in path.read_text(encoding="utf-8"):
        return None, f"does not take {FLAG} yet"
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "figures.json"
        start = time.monotonic()
        try:
            proc = subprocess.run(
                [sys.executable, str(path), FLAG, str(out)],
                capture_output=True,
                text=True,
                timeout=timeout_s,
                cwd=ROOT,
            )
        except subprocess.TimeoutExpired:
            return None, f"timed out after {timeout_s:.0f} s"
        took = time.monotonic() - start
        sys.stdout.write(proc.stdout)
        if not out.is_file():
            last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
            return None, f"failed (exit {proc.returncode}): {last[:120]}"
        try:
            figures = json.loads(out.read_text(encoding="utf-8"))
        except ValueError as exc:
            return None, f"wrote unreadable figures ({exc})"
    if not isinstance(figures, list) or not all(isinstance(f, dict) for f in figures):
        return None, "wrote something other than a list of figures"
    return figures, f"{took:.0f} s" + (f", exit {proc.returncode}" if proc.returncode else "")


def _value(f: dict) -> str:
    value = f.get("value")
    if not isinstance(value, int | float):
        return "n/a"
    text = f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"
    return f"{text} {f.get('unit', '')}".strip()


def _met(f: dict) -> str:
    return {True: "yes", False: "**no**"}.get(f.get("met"), "")


def table(results: dict[str, tuple[list[dict] | None, str]], where: str) -> str:
    """The Markdown block that goes between the markers."""
    lines = [
        f"Measured by `python benchmarks/run_all.py` on: {where}.",
        "",
        "| benchmark | figure | value | target | met |",
        "|---|---|---|---|---|",
    ]
    missing = []
    for script, (figures, note) in results.items():
        if figures is None:
            missing.append(f"`{script}` ({note})")
            continue
        for f in figures:
            lines.append(
                f"| `{script}` | {f.get('name', '?')} | {_value(f)} | {f.get('target') or ''} "
                f"| {_met(f)} |"
            )
    if missing:
        lines += ["", "Not reported: " + "; ".join(missing) + "."]
    return "\n".join(lines)


def write_readme(readme: Path, block: str) -> None:
    """Replace what is between the markers (atomically: temp file, then rename)."""
    text = readme.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(START) + r".*?" + re.escape(END), re.DOTALL)
    if not pattern.search(text):
        sys.exit(f"{readme}: no {START} ... {END} markers; add them under a Benchmarks heading")
    new = pattern.sub(lambda _: f"{START}\n{block}\n{END}", text, count=1)
    write_text_atomic(readme, new)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", help="run only scripts whose name contains these")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per script")
    parser.add_argument("--readme", type=Path, default=ROOT / "README.md")
    parser.add_argument("--dry-run", action="store_true", help="print the table only")
    args = parser.parse_args()
    results = {}
    for path in scripts(args.only):
        print(f"== {path.name}", flush=True)
        results[path.name] = run_script(path, args.timeout)
        print(f"   {results[path.name][1]}", flush=True)
    block = table(results, machine())
    print(block)
    if not args.dry_run:
        write_readme(args.readme, block)
        print(f"wrote the table into {args.readme}")


if __name__ == "__main__":
    main()
