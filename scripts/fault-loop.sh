#!/usr/bin/env bash
# Long SIGKILL loops (issue 21): senders keep sending while the broker (under SYNC_FLUSH) or the
# master of a SYNC_MASTER set is killed with SIGKILL and restarted, CYCLES times; after each
# restart every acknowledged message must be readable. Prints one line per cycle and a summary
# per mode: cycles, acknowledged, lost. Exits non-zero if any acknowledged message is lost.
# Usage: scripts/fault-loop.sh [CYCLES] [SYNC_FLUSH|SYNC_MASTER|both]   (defaults: 20 both)
# The servers are our debug binaries on free loopback ports; stores live in temporary dirs.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
CYCLES="${1:-20}"
MODES="${2:-both}"
[ "$MODES" = both ] && MODES="SYNC_FLUSH SYNC_MASTER"

cargo build -q --workspace --bins
status=0
for mode in $MODES; do
  echo "==> $mode, $CYCLES cycles"
  if ! FAULT_MODE="$mode" FAULT_CYCLES="$CYCLES" cargo test -q -p rmq-tests --test it \
      fault::fault_loop_from_env -- --ignored --nocapture 2>&1 | grep -E "cycle|FAULT-LOOP|panicked|lost"; then
    status=1
  fi
done
exit $status
