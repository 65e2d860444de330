#!/usr/bin/env bash
# Fails when two modules of a crate depend on each other. Builds every workspace crate's module
# graph (lib, main and src/bin targets) from its `mod` declarations and the paths its code names
# (`use crate::..`, `super::..`, `self::..`, child modules), lifts each use to the children of
# the two modules' lowest common ancestor, and requires those sibling graphs to be acyclic.
# A child using its parent, or a parent its children, is ownership and allowed.
# The checker first checks itself on two tiny crates, one with a circle (exit 2 if it misses it).
# Usage: scripts/check-module-cycles.sh [--verbose]   (python3; no network, no cargo plugins)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
exec python3 "$ROOT/scripts/lib/modgraph.py" --self-test --root "$ROOT" "$@"
