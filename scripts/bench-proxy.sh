#!/usr/bin/env bash
# Side-by-side benchmark of the gRPC proxies: the same mqbench gRPC load (bins/mqbench
# grpc-producer, then grpc-consumer draining what was sent) through
#   ours:     our name server + broker + our mqproxy
#   official: our name server + broker + the official rocketmq-proxy (ProxyStartup, cluster mode,
#             Maven Central, bench/official-proxy/pom.xml)
#   yardstick (YARDSTICK=1): the official name server + broker + the official proxy
# and prints ours/official ratios: send TPS, receive TPS, send p99, proxy RSS, proxy CPU per message.
#
# Usage: scripts/bench-proxy.sh [SECONDS]          (default 30 s of sends per layout)
# Env:   GRPC_SIZE (1024) GRPC_CONCURRENCY (64 calls in flight) GRPC_CHANNELS (2 connections)
#        GRPC_RECV_LOOPS (8 receive loops) YARDSTICK (0) BENCH_KEEP_LOGS (0: delete the work dirs)
#        BENCH_PROXY_CHECK (0; 1: a delivery check, not a benchmark: exit 1 unless every layout's
#        consumer received every message sent and acked them all, e.g. `BENCH_PROXY_CHECK=1
#        scripts/bench-proxy.sh 5` proves the official proxy delivers over our broker)
# Every server binds 127.0.0.1 on free ports; everything started is stopped by PID on exit.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BENCH_ROOT=$ROOT
# shellcheck source=scripts/bench/lib.sh
. "$ROOT/scripts/bench/lib.sh"

SECONDS_RUN=${1:-30}
SIZE=${GRPC_SIZE:-1024}
CONCURRENCY=${GRPC_CONCURRENCY:-64}
CHANNELS=${GRPC_CHANNELS:-2}
RECV_LOOPS=${GRPC_RECV_LOOPS:-8}
PROXY_DIR="$ROOT/bench/official-proxy"
PROXY_CP="$PROXY_DIR/target/lib/*"
RESULTS=$(mktemp -d "${TMPDIR:-/tmp}/rmq-bench-proxy.XXXXXX")
trap 'bench_cleanup; [[ ${BENCH_KEEP_LOGS:-0} == 1 ]] || rm -rf "$RESULTS"' EXIT
trap 'exit 130' INT TERM

ensure_proxy_classpath() {
  if [[ ! -d "$PROXY_DIR/target/lib" || "$PROXY_DIR/pom.xml" -nt "$PROXY_DIR/target/lib" ]]; then
    bench_log "resolving the official rocketmq-proxy (mvn package in bench/official-proxy)"
    (cd "$PROXY_DIR" && mvn -q -B package) || bench_die "mvn package in bench/official-proxy failed"
    touch "$PROXY_DIR/target/lib"
  fi
}

ensure_binaries() {
  if [[ "${BENCH_BUILD:-1}" == 1 ]]; then
    bench_log "building: cargo build --release -p mqnamesrv -p mqbroker -p mqproxy -p mqbench"
    (cd "$ROOT" && cargo build --release -q -p mqnamesrv -p mqbroker -p mqproxy -p mqbench) || bench_die "cargo build failed"
  fi
  local b
  for b in mqnamesrv mqbroker mqproxy mqbench; do [[ -x "$BENCH_BIN_DIR/$b" ]] || bench_die "no $b in $BENCH_BIN_DIR"; done
}

# Starts proxy $1 (ours|official) over $NS_ADDR in workdir $2 on a free port. Sets PROXY_PID PROXY_PORT.
start_proxy() {
  local kind=$1 work=$2 base
  base=$(free_port_block 4) || bench_die "no free ports"
  PROXY_PORT=$base
  if [[ $kind == ours ]]; then
    printf 'grpcServerPort=%s\ngrpcBindAddress=127.0.0.1\nnamesrvAddr=%s\n' "$PROXY_PORT" "$NS_ADDR" > "$work/proxy.conf"
    mkdir -p "$work/logs-proxy"
    ROCKETMQ_LOG_DIR="$work/logs-proxy" "$BENCH_BIN_DIR/mqproxy" -c "$work/proxy.conf" > "$work/proxy.out" 2>&1 &
    PROXY_PID=$!
    bench_track "$PROXY_PID"
  else
    cat > "$work/rmq-proxy.json" <<JSON
{"rocketMQClusterName": "$BENCH_CLUSTER", "namesrvAddr": "$NS_ADDR", "proxyMode": "cluster",
 "grpcServerPort": $PROXY_PORT, "remotingListenPort": $(( PROXY_PORT + 1 ))}
JSON
    mkdir -p "$work/home-proxy"
    TZ=UTC ROCKETMQ_HOME="$work/home-proxy" RMQ_PROXY_HOME="$work/home-proxy" "$BENCH_JAVA" -server -Xms2g -Xmx2g \
      "${BENCH_JVM_GC[@]}" -Duser.home="$work/home-proxy" -cp "$PROXY_CP" \
      org.apache.rocketmq.proxy.ProxyStartup -pc "$work/rmq-proxy.json" -pm cluster > "$work/proxy.out" 2>&1 &
    PROXY_PID=$!
    bench_track "$PROXY_PID"
  fi
  wait_port "$PROXY_PORT" 120 "$PROXY_PID" || { tail -20 "$work/proxy.out" >&2; return 1; }
  sleep 3   # routes reach the proxy's cache
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }

# One layout: $1 label, $2 servers (ours|official), $3 proxy (ours|official). Writes $RESULTS/$1.json.
run_layout() {
  local label=$1 servers=$2 proxy=$3 work t0 t1 t2 sent
  work=$(mktemp -d "${TMPDIR:-/tmp}/rmq-bench-proxy-$label.XXXXXX"); BENCH_DIRS+=("$work")
  bench_log "== $label: $servers servers, $proxy proxy =="
  start_servers "$servers" "$work" || bench_die "servers did not start (logs in $work)"
  create_topic "$work"
  start_proxy "$proxy" "$work" || bench_die "$proxy proxy did not start (see $work/proxy.out)"
  local addr="127.0.0.1:$PROXY_PORT"
  t0=$(cpu_ticks "$PROXY_PID")
  "$BENCH_BIN_DIR/mqbench" grpc-producer --proxy "$addr" -t "$BENCH_TOPIC" -s "$SIZE" -w "$CONCURRENCY" \
    --channels "$CHANNELS" -d "$SECONDS_RUN" --warmup-ms 3000 --json "$work/send.json" > "$work/send.out" 2>&1 \
    || { tail -5 "$work/send.out" >&2; bench_die "grpc-producer failed ($label)"; }
  t1=$(cpu_ticks "$PROXY_PID")
  sent=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["run"]["messages"])' "$work/send.json")
  "$BENCH_BIN_DIR/mqbench" grpc-consumer --proxy "$addr" -t "$BENCH_TOPIC" -g "bench_grpc_$label" -w "$RECV_LOOPS" \
    --channels "$CHANNELS" -c "$sent" -d $(( SECONDS_RUN * 4 )) --json "$work/recv.json" > "$work/recv.out" 2>&1 \
    || { tail -5 "$work/recv.out" >&2; bench_die "grpc-consumer failed ($label)"; }
  t2=$(cpu_ticks "$PROXY_PID")
  python3 - "$work" "$label" "$t0" "$t1" "$t2" "$(rss_kib "$PROXY_PID")" "$(getconf CLK_TCK)" > "$RESULTS/$label.json" <<'PY'
import json, sys
work, label, t0, t1, t2, rss, hz = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:])
send, recv = (json.load(open(f"{work}/{n}.json")) for n in ("send", "recv"))
sent, got = send["run"]["messages"], recv["run"]["messages"]
print(json.dumps({
    "label": label, "send_tps": send["tps"], "send_p50_ms": send["latency_ms"]["p50"],
    "send_p99_ms": send["latency_ms"]["p99"], "send_p999_ms": send["latency_ms"]["p999"],
    "send_failed": send["run"]["failed"], "sent": sent, "received": got, "recv_failed": recv["run"]["failed"],
    "recv_tps": recv["run"]["active_tps"], "recv_b2c_p99_ms": recv["latency_ms"]["p99"],
    "proxy_rss_mib": rss / 1024,
    "cpu_us_per_sent": (t1 - t0) * 1e6 / hz / max(sent, 1),
    "cpu_us_per_received": (t2 - t1) * 1e6 / hz / max(got, 1),
}))
PY
  [[ ${BENCH_KEEP_LOGS:-0} == 1 ]] && cp "$work"/*.out "$RESULTS/" 2>/dev/null || true
  bench_cleanup
}

scenario_set 1k-async
SC_SIZE=$SIZE
export BENCH_BUILD=${BENCH_BUILD:-1}
ensure_official_classpath
ensure_proxy_classpath
ensure_binaries
run_layout ours ours ours
run_layout official ours official
[[ ${YARDSTICK:-0} == 1 ]] && run_layout yardstick official official

python3 - "$RESULTS" "$SECONDS_RUN" "$SIZE" "$CONCURRENCY" "$CHANNELS" "$RECV_LOOPS" <<'PY'
import json, os, sys
d, secs, size, conc, ch, loops = sys.argv[1:]
rows = {n[:-5]: json.load(open(os.path.join(d, n))) for n in sorted(os.listdir(d)) if n.endswith(".json")}
print(f"\ngRPC proxy benchmark: {secs} s of sends, {size}-byte bodies, {conc} SendMessage calls in flight over "
      f"{ch} connections; then {loops} receive loops (ReceiveMessage batch 32 + AckMessage) drain them")
keys = [("send_tps", "send TPS", "{:.0f}"), ("send_p50_ms", "send p50 ms", "{:.2f}"), ("send_p99_ms", "send p99 ms", "{:.2f}"),
        ("send_p999_ms", "send p99.9 ms", "{:.2f}"), ("send_failed", "send failed", "{}"), ("recv_tps", "receive TPS", "{:.0f}"),
        ("received", "received", "{}"), ("recv_failed", "ack failed", "{}"), ("proxy_rss_mib", "proxy RSS MiB", "{:.0f}"),
        ("cpu_us_per_sent", "proxy CPU us/sent", "{:.1f}"), ("cpu_us_per_received", "proxy CPU us/received", "{:.1f}")]
names = [n for n in ("ours", "official", "yardstick") if n in rows]
print(f"{'':24}" + "".join(f"{n:>12}" for n in names) + f"{'ours/official':>15}")
for k, label, fmt in keys:
    vals = [rows[n][k] for n in names]
    ratio = ""
    if "official" in rows and rows["official"][k]:
        ratio = f"{rows['ours'][k] / rows['official'][k]:.2f}"
    print(f"{label:24}" + "".join(f"{fmt.format(v):>12}" for v in vals) + f"{ratio:>15}")
PY

if [[ ${BENCH_PROXY_CHECK:-0} == 1 ]]; then
  python3 - "$RESULTS" <<'PY' || exit 1
import json, os, sys
d = sys.argv[1]
bad = []
for n in sorted(os.listdir(d)):
    if n.endswith(".json"):
        r = json.load(open(os.path.join(d, n)))
        if r["sent"] == 0 or r["received"] < r["sent"] or r["recv_failed"] or r["send_failed"]:
            bad.append(f"{r['label']}: sent {r['sent']} (failed {r['send_failed']}), received {r['received']}, acks failed {r['recv_failed']}")
print("\ndelivery check: " + ("; ".join(bad) if bad else "every layout delivered every message"))
sys.exit(1 if bad else 0)
PY
fi
