#!/usr/bin/env bash
# Function-length budget: the p90 of production function lengths, per package (libs and bins,
# tests left out), must be <= 30 lines. Prints per package: functions, median, p90, longest;
# and the longest functions of a package over budget. See scripts/lib/sizes.py for what counts.
# Usage: scripts/function-lengths.sh [--max-p90 N] [--longest K] [-v]
#        scripts/function-lengths.sh --structs broker store   (named-field counts, largest first)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
exec python3 "$ROOT/scripts/lib/sizes.py" --root "$ROOT" "$@"
