#!/usr/bin/env bash
# TLS on vs off (issue 24): one name server and one broker in tls.server.mode=permissive (a
# self-signed certificate from rmq-testcert), then mqbench 1k-async (sync send, 32 senders,
# 1 KiB, ASYNC_FLUSH) plaintext and with --tls against the same servers, alternating for ROUNDS.
# Prints one line per run: mode, send TPS, p99 ms. Needs release builds of mqnamesrv, mqbroker,
# mqbench and rmq-testcert in $BIN (default target/release).
# Usage: scripts/bench-tls.sh [SECONDS (default 30)] [ROUNDS (default 1)]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BIN="${BIN:-$ROOT/target/release}"
SECS="${1:-30}"
ROUNDS="${2:-1}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/rmq-bench-tls.XXXXXX")"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
wait_port() { for _ in $(seq 1 300); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; return 1; }

"$BIN/rmq-testcert" "$WORK" > /dev/null
TLS=$'tls.server.mode=permissive\ntls.server.certPath='"$WORK/cert.pem"$'\ntls.server.keyPath='"$WORK/key.pem"
ns_port=$(free_port)
printf 'listenPort=%s\nbindAddress=127.0.0.1\nkvConfigPath=%s/kv.json\n%s\n' "$ns_port" "$WORK" "$TLS" > "$WORK/ns.conf"
ROCKETMQ_LOG_DIR="$WORK/logs/ns" "$BIN/mqnamesrv" -c "$WORK/ns.conf" > "$WORK/ns.out" 2>&1 &
PIDS+=($!)
wait_port "$ns_port"
b_port=$(free_port)
cat > "$WORK/broker.conf" <<CONF
brokerIP1=127.0.0.1
bindAddress=127.0.0.1
listenPort=$b_port
fastListenEnable=false
namesrvAddr=127.0.0.1:$ns_port
storePathRootDir=$WORK/store
flushDiskType=ASYNC_FLUSH
autoCreateTopicEnable=true
$TLS
CONF
ROCKETMQ_LOG_DIR="$WORK/logs/broker" "$BIN/mqbroker" -c "$WORK/broker.conf" > "$WORK/broker.out" 2>&1 &
PIDS+=($!)
wait_port "$b_port"
sleep 2
for round in $(seq 1 "$ROUNDS"); do
  for mode in plain tls; do
    flag=(); [[ $mode == tls ]] && flag=(--tls)
    "$BIN/mqbench" producer -n "127.0.0.1:$ns_port" -t BenchTls -w 32 -s 1024 -d "$SECS" --warmup-ms 5000 \
      "${flag[@]}" --json "$WORK/$mode.json" > "$WORK/$mode-$round.out" 2>&1
    python3 - "$WORK/$mode.json" "$mode" "$round" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
lat = s.get("latency_ms") or s.get("latency") or {}
print(f"round {sys.argv[3]} {sys.argv[2]:5} send TPS {s['tps']:.0f} p99 {lat.get('p99', '?')} ms")
PY
  done
done
