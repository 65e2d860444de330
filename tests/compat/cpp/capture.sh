#!/usr/bin/env bash
# Captures every remoting frame with a body that the C++ core exchanges with our servers while the
# scenarios run (for the codec vectors of family cpp-2). Not part of CI: run by hand after
# tests/compat/run-cpp-compat.sh installed the SDK.
#   tests/compat/cpp/capture.sh OUT_DIR [SCENARIO ...]
# Our name server and one broker listen on 127.0.0.2; the broker registers 127.0.0.1:P, so the
# client, given the name server 127.0.0.1:N, talks to rmq-capture on 127.0.0.1:N and 127.0.0.1:P,
# which forwards to 127.0.0.2 and writes OUT_DIR/<seq>-<dir>-<CODE_NAME>.body/.json.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
OUT="$(mkdir -p "$1" && cd "$1" && pwd)"; shift
CACHE="${RMQ_COMPAT_CACHE:-$HOME/.cache/rmq-rs-compat}/cpp-py2.0.0-core2.1.0.3"
[[ -f "$CACHE/ok" ]] || { echo "run tests/compat/run-cpp-compat.sh first (installs the SDK)" >&2; exit 2; }
WORK="$(mktemp -d)"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
(cd "$ROOT" && CARGO_TARGET_DIR="$TARGET" cargo build -q -p mqnamesrv -p mqbroker -p mqadmin -p rmq-tests --bin rmq-capture)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
wait_port() { for _ in $(seq 1 200); do (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null && return 0; sleep 0.1; done; echo "port $1:$2 did not open" >&2; return 1; }
NS=$(free_port); BP=$(free_port)
printf 'listenPort=%s\nbindAddress=127.0.0.2\nkvConfigPath=%s/kv.json\n' "$NS" "$WORK" > "$WORK/ns.conf"
cat > "$WORK/broker.conf" <<CONF
brokerName=broker-a
brokerId=0
brokerRole=ASYNC_MASTER
brokerIP1=127.0.0.1
bindAddress=127.0.0.2
listenPort=$BP
fastListenEnable=false
namesrvAddr=127.0.0.2:$NS
storePathRootDir=$WORK/store
mappedFileSizeCommitLog=67108864
messageDelayLevel=1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s
transactionCheckInterval=1000
transactionTimeOut=1000
traceTopicEnable=true
CONF
export RMQ_BIN_DIR="$TARGET/debug" RMQ_RUN_DIR="$WORK/run" ROCKETMQ_LOG_DIR="$WORK/logs"
sh "$ROOT/scripts/mqnamesrv" -c "$WORK/ns.conf" > "$WORK/ns.out" 2>&1 & PIDS+=($!)
wait_port 127.0.0.2 "$NS"
"$TARGET/debug/rmq-capture" --map "127.0.0.1:$NS=127.0.0.2:$NS" --map "127.0.0.1:$BP=127.0.0.2:$BP" \
  --out "$OUT" > "$WORK/capture.out" 2>&1 & PIDS+=($!)
wait_port 127.0.0.1 "$NS"
sh "$ROOT/scripts/mqbroker" -c "$WORK/broker.conf" > "$WORK/broker.out" 2>&1 & PIDS+=($!)
wait_port 127.0.0.2 "$BP"
sleep 2
mkdir -p "$WORK/home"
NAMESRV_ADDR="127.0.0.1:$NS" MQADMIN_BIN="$TARGET/debug/mqadmin" COMPAT_BROKERS=1 HOME="$WORK/home" \
  "$CACHE/venv/bin/python" "$HERE/scenarios.py" "$@" || echo "(some scenarios failed; the capture is kept)"
echo "frames with a body: $(ls "$OUT" | grep -c '\.body$')"
