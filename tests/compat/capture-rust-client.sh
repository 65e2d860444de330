#!/usr/bin/env bash
# Records every remoting frame with a body that rocketmq-client-rust 1.0.0 exchanges with our
# servers while it runs the compatibility scenarios (tests/compat/rust-client), for the codec
# vectors in crates/remoting/tests/vectors/bodies/rust-1 (see MANIFEST.md there).
# Usage: tests/compat/capture-rust-client.sh OUT_DIR
# Our name server and one broker listen on 127.0.0.2; the broker registers 127.0.0.1:<port>, so
# the client, which reads routes from the name server, reaches both through rmq-capture
# (tests/kit/capture.rs) on 127.0.0.1. Our mqadmin talks to 127.0.0.2 directly (not recorded).
# Env: CARGO_TARGET_DIR, RUST_CLIENT_TARGET_DIR, COMPAT_RUST_RUN as run-rust-client-compat.sh.
set -euo pipefail
OUT="${1:?usage: $0 OUT_DIR}"
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
CLIENT_TARGET="${RUST_CLIENT_TARGET_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/rmq-rs-compat/rust-client-1.0.0}"
WORK="$(mktemp -d)"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
mkdir -p "$OUT" "$CLIENT_TARGET"
(cd "$HERE/rust-client" && CARGO_TARGET_DIR="$CLIENT_TARGET" timeout 1800 cargo build --locked -q)
(cd "$ROOT" && CARGO_TARGET_DIR="$TARGET" cargo build -q -p mqnamesrv -p mqbroker -p mqadmin -p rmq-tests --bin rmq-capture)

# Free ports on 127.0.0.1 (the proxy's side); the servers use the same numbers on 127.0.0.2.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
wait_port() { for _ in $(seq 1 200); do (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null && return 0; sleep 0.1; done; echo "$1:$2 did not open" >&2; return 1; }
NS_PORT=$(free_port)
BROKER_PORT=$(free_port)
printf 'listenPort=%s\nbindAddress=127.0.0.2\nkvConfigPath=%s/kv.json\n' "$NS_PORT" "$WORK" > "$WORK/ns.conf"
cat > "$WORK/broker.conf" <<CONF
brokerName=broker-a
brokerId=0
brokerRole=ASYNC_MASTER
brokerIP1=127.0.0.1
bindAddress=127.0.0.2
listenPort=$BROKER_PORT
fastListenEnable=false
namesrvAddr=127.0.0.2:$NS_PORT
storePathRootDir=$WORK/store
mappedFileSizeCommitLog=134217728
maxHashSlotNum=500000
maxIndexNum=2000000
messageDelayLevel=1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s
transactionCheckInterval=1000
transactionTimeOut=1000
CONF
export RMQ_BIN_DIR="$TARGET/debug" RMQ_RUN_DIR="$WORK/run" ROCKETMQ_LOG_DIR="$WORK/logs"
sh "$ROOT/scripts/mqnamesrv" -c "$WORK/ns.conf" > "$WORK/ns.out" 2>&1 &
PIDS+=($!)
wait_port 127.0.0.2 "$NS_PORT"
sh "$ROOT/scripts/mqbroker" -c "$WORK/broker.conf" > "$WORK/broker.out" 2>&1 &
PIDS+=($!)
wait_port 127.0.0.2 "$BROKER_PORT"
"$TARGET/debug/rmq-capture" --map "127.0.0.1:$NS_PORT=127.0.0.2:$NS_PORT" \
  --map "127.0.0.1:$BROKER_PORT=127.0.0.2:$BROKER_PORT" --out "$OUT" > "$WORK/capture.out" 2>&1 &
PIDS+=($!)
wait_port 127.0.0.1 "$NS_PORT"
sleep 2  # the broker's first registration

rc=0
env NAMESRV_ADDR="127.0.0.1:$NS_PORT" BROKER_ADDR="127.0.0.1:$BROKER_PORT" \
  ADMIN_NAMESRV_ADDR="127.0.0.2:$NS_PORT" ADMIN_BROKER_ADDR="127.0.0.2:$BROKER_PORT" \
  MQADMIN_BIN="$TARGET/debug/mqadmin" "rocketmq.client.localOffsetStoreDir=$WORK/offsets" RUST_LOG=error \
  timeout 1500 "$CLIENT_TARGET/debug/rmq-rust-client-compat" || rc=$?
echo "captured $(find "$OUT" -name '*.body' | wc -l) frames with a body in $OUT"
exit "$rc"
