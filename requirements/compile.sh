#!/usr/bin/env bash
# Regenerate the two locks from pyproject.toml's ranges, for Python 3.11 on Linux x86_64:
#   requirements/lock.txt    the newest releases the ranges allow (what CI installs);
#   requirements/lowest.txt  the lowest release of each direct dependency (CI_LOWEST=1), the dev
#                            tools (pytest, ruff, ...) held at lock.txt's versions so that lint
#                            and test behaviour do not change with the mode.
# Needs uv (pip install uv==0.13.9). Run it, then `bash .ci/run` and CI_LOWEST=1 before committing.
set -euo pipefail
cd "$(dirname "$0")/.."
uv=${UV:-uv}
torch_wheels=${TORCH_CPU_WHEELS:-/opt/wheels}  # where torch==2.13.0+cpu lies
common=(
  pyproject.toml requirements/build.in
  --extra dev --extra calibrate --extra ray
  --python-version 3.11 --python-platform x86_64-manylinux_2_28
  --override requirements/overrides.txt --find-links "$torch_wheels"
  --generate-hashes --no-header --quiet
)
header() {
  printf '# Locked by requirements/compile.sh (%s); do not edit by hand.\n' "$1"
  printf '# Install: pip install --require-hashes --no-deps -r %s\n' "$2"
}

"$uv" pip compile "${common[@]}" -o requirements/lock.body
{ header "newest releases the ranges allow" requirements/lock.txt; cat requirements/lock.body; } \
  > requirements/lock.txt

dev_tools=$(mktemp)
grep -E '^(pytest|hypothesis|import-linter|ruff|mypy|types-pyyaml|iniconfig|pluggy|grimp)==' \
  requirements/lock.body | sed 's/ .*//' > "$dev_tools"
"$uv" pip compile "${common[@]}" --resolution lowest-direct -c "$dev_tools" \
  -o requirements/lowest.body
{ header "lowest release of each direct dependency" requirements/lowest.txt
  cat requirements/lowest.body; } > requirements/lowest.txt
rm -f "$dev_tools" requirements/lock.body requirements/lowest.body
# The lock's hash ships inside the package (runs record it in their provenance; a wheel has no
# requirements/ folder); tests/test_provenance.py checks it matches.
sha256sum requirements/lock.txt > simulator/lock.sha256
