#!/usr/bin/env bash
# Store append bandwidth next to dd on the same disk, in one run.
# Usage: scripts/bench-store.sh [MiB=4096] [dir=target/bench-store]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
MIB="${1:-4096}"
DIR="${2:-$ROOT/target/bench-store}"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
cd "$ROOT"
cargo build --release -q -p rmq-store --example append_bench
rm -rf "$DIR"; mkdir -p "$DIR"
trap 'rm -rf "$DIR"' EXIT
echo "== dd if=/dev/zero bs=1M count=$MIB conv=fdatasync"
dd_out=$(dd if=/dev/zero of="$DIR/dd.bin" bs=1M count="$MIB" conv=fdatasync 2>&1 | tail -1)
echo "$dd_out"
rm -f "$DIR/dd.bin"
dd_bytes=$(echo "$dd_out" | awk '{print $1}'); dd_secs=$(echo "$dd_out" | awk '{for(i=1;i<=NF;i++) if ($i ~ /^s,?$/) print $(i-1)}' | head -1)
dd_mbs=$(python3 -c "print(round($dd_bytes/1e6/$dd_secs))")
echo "dd: ${dd_mbs} MB/s"
echo "== store ASYNC_FLUSH, 4 writers"
a=$("$TARGET/release/examples/append_bench" "$DIR/async" async "$MIB" 4); echo "$a"; rm -rf "$DIR/async"
echo "== store SYNC_FLUSH, 64 writers"
s=$("$TARGET/release/examples/append_bench" "$DIR/sync" sync "$MIB" 64); echo "$s"; rm -rf "$DIR/sync"
am=$(echo "$a" | sed -n 's/.*MB\/s=\([0-9]*\).*/\1/p'); sm=$(echo "$s" | sed -n 's/.*MB\/s=\([0-9]*\).*/\1/p')
python3 -c "print(f'ratio ASYNC_FLUSH/dd = {$am/$dd_mbs:.2f}x, SYNC_FLUSH(64)/dd = {$sm/$dd_mbs:.2f}x')"
