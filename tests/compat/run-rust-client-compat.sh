#!/usr/bin/env bash
# rocketmq-rust's client (crates.io rocketmq-client-rust, pinned to 1.0.0 by
# tests/compat/rust-client/Cargo.toml and Cargo.lock) against our name server + brokers. Builds
# the scenarios program, starts the cluster of cluster.sh on free loopback ports with temp stores,
# runs the scenarios (tests/compat/rust-client/src), prints a closing `N passed, N failed` line,
# and stops the servers by PID even when a scenario fails.
# Env: CARGO_TARGET_DIR (our binaries; default $ROOT/target), RUST_CLIENT_TARGET_DIR (the
# scenarios' build; default a cache outside the clone keyed by the client's version, since its
# dependency tree takes minutes to build from cold), NAMESRV_ADDR + BROKER_ADDR (use running
# servers instead), COMPAT_RUST_RUN (run only the scenarios whose name contains this),
# COMPAT_KEEP_LOGS (copy the servers' logs, stores and the scenarios' output to this directory).
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
CLIENT_VERSION=1.0.0
CLIENT_TARGET="${RUST_CLIENT_TARGET_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/rmq-rs-compat/rust-client-$CLIENT_VERSION}"
compat_workdir

grep -q "^version = \"$CLIENT_VERSION\"" <(grep -A1 '^name = "rocketmq-client-rust"' "$HERE/rust-client/Cargo.lock") ||
  { echo "tests/compat/rust-client/Cargo.lock does not pin rocketmq-client-rust $CLIENT_VERSION" >&2; exit 1; }
mkdir -p "$CLIENT_TARGET"
echo "building the rocketmq-client-rust $CLIENT_VERSION scenarios (target dir $CLIENT_TARGET)"
(cd "$HERE/rust-client" && CARGO_TARGET_DIR="$CLIENT_TARGET" timeout 1800 cargo build --locked -q)
SCENARIOS_BIN="$CLIENT_TARGET/debug/rmq-rust-client-compat"

# Our admin CLI: the scenarios create topics and read routes with it.
compat_build -p mqadmin -p mqnamesrv -p mqbroker
export MQADMIN_BIN="$TARGET/debug/mqadmin"
# One broker set (master + slave) is all the scenarios need; every delay level is 1 s, and
# transactions are checked back every second (the default is 60 s).
CLUSTER_EXTRA_CONF=$'transactionCheckInterval=1000\ntransactionTimeOut=1000'
CLUSTER_SETS=a compat_cluster
export BROKER_ADDR

failed=0
# Broadcasting consumers keep offsets in a local file: keep it in the temp dir, not in $HOME.
env "rocketmq.client.localOffsetStoreDir=$WORK/offsets" RUST_LOG="${RUST_LOG:-error}" \
  timeout 1500 "$SCENARIOS_BIN" > "$WORK/scenarios.out" 2> "$WORK/scenarios.err" || failed=1
cat "$WORK/scenarios.out"
if [[ -n "${COMPAT_KEEP_LOGS:-}" ]]; then cp -r "$WORK" "$COMPAT_KEEP_LOGS"; fi
passed_n=$(grep -c '^PASS ' "$WORK/scenarios.out" || true)
failed_n=$(grep -c '^FAIL ' "$WORK/scenarios.out" || true)
if [[ $failed -ne 0 || $failed_n -ne 0 || $passed_n -eq 0 ]]; then
  echo "--- scenarios' stderr (tail)"; tail -40 "$WORK/scenarios.err"
  for f in "$WORK"/broker*.out "$WORK"/logs/*.log "$WORK"/logs/*/*.log; do
    if [[ -e "$f" ]]; then echo "== $f"; grep -E "WARN|ERROR" "$f" | tail -15 || true; fi
  done
  [[ $failed_n -eq 0 ]] && failed_n=1  # the program died or ran nothing: count that as a failure
  echo "rust-client: $passed_n passed, $failed_n failed"
  exit 1
fi
echo "rust-client: $passed_n passed, $failed_n failed"
