#!/usr/bin/env bash
# Fresh-machine demo: builds the binaries, starts a name server and a broker on loopback
# (temporary store, free ports), sends messages with our client and consumes them, then stops
# both servers. Usage: scripts/quickstart.sh
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"

echo "==> building (release)"
cargo build --release -q -p mqnamesrv -p mqbroker
cargo build --release -q -p rmq-broker --example quickstart

WORK="$(mktemp -d)"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
wait_port() { for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; echo "port $1 not up" >&2; return 1; }

NS_PORT=$(free_port)
BROKER_PORT=$(free_port)
printf 'listenPort=%s\nbindAddress=127.0.0.1\nkvConfigPath=%s/kvConfig.json\n' "$NS_PORT" "$WORK" > "$WORK/namesrv.conf"
cat > "$WORK/broker.conf" <<CONF
brokerClusterName=DefaultCluster
brokerName=broker-a
brokerId=0
brokerIP1=127.0.0.1
bindAddress=127.0.0.1
listenPort=$BROKER_PORT
fastListenEnable=false
storePathRootDir=$WORK/store
namesrvAddr=127.0.0.1:$NS_PORT
mappedFileSizeCommitLog=67108864
maxHashSlotNum=500000
maxIndexNum=2000000
CONF

echo "==> starting name server on 127.0.0.1:$NS_PORT"
ROCKETMQ_LOG_DIR="$WORK/logs" "$TARGET/release/mqnamesrv" -c "$WORK/namesrv.conf" > "$WORK/namesrv.out" 2>&1 &
PIDS+=($!)
wait_port "$NS_PORT"
echo "==> starting broker on 127.0.0.1:$BROKER_PORT"
ROCKETMQ_LOG_DIR="$WORK/logs" "$TARGET/release/mqbroker" -c "$WORK/broker.conf" > "$WORK/broker.out" 2>&1 &
PIDS+=($!)
wait_port "$BROKER_PORT"
sleep 1

echo "==> sending 10 messages and consuming them"
NAMESRV_ADDR="127.0.0.1:$NS_PORT" "$TARGET/release/examples/quickstart"
echo "==> done; stopping servers"
