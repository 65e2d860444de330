#!/usr/bin/env bash
# Official Java clients (4.9.x and 5.x profiles) against our name server + broker.
# Builds our binaries, starts a name server and a broker on free loopback ports with a temp
# store, runs the JUnit scenarios tagged "broker" for each profile, prints a pass/fail table,
# and stops the servers by PID even when a test fails.
# Env: COMPAT_PROFILES (default "rmq4 rmq5"), NAMESRV_ADDR (use running servers instead),
# COMPAT_TABLE (write the result table as Markdown to this file).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
PROFILES="${COMPAT_PROFILES:-rmq4 rmq5}"
WORK="$(mktemp -d)"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
wait_port() { for _ in $(seq 1 200); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; echo "port $1 did not open" >&2; return 1; }

# Our Rust client's interop driver (RustClientInteropTest runs it).
(cd "$ROOT" && cargo build -q -p rmq-client --example interop)
export RUST_INTEROP="$TARGET/debug/examples/interop"
# Our admin CLI (MqadminCliTest compares it with the official mqadmin).
(cd "$ROOT" && cargo build -q -p mqadmin)
export MQADMIN_BIN="$TARGET/debug/mqadmin"
if [[ -z "${NAMESRV_ADDR:-}" ]]; then
  (cd "$ROOT" && cargo build -q -p mqnamesrv -p mqbroker)
  NS_PORT=$(free_port); BROKER_PORT=$(free_port)
  printf 'listenPort=%s\nbindAddress=127.0.0.1\nkvConfigPath=%s/kv.json\n' "$NS_PORT" "$WORK" > "$WORK/ns.conf"
  cat > "$WORK/broker.conf" <<CONF
brokerName=broker-a
brokerIP1=127.0.0.1
bindAddress=127.0.0.1
listenPort=$BROKER_PORT
fastListenEnable=false
namesrvAddr=127.0.0.1:$NS_PORT
storePathRootDir=$WORK/store
mappedFileSizeCommitLog=134217728
maxHashSlotNum=500000
maxIndexNum=2000000
messageDelayLevel=1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s
transactionCheckInterval=1000
transactionTimeOut=1000
traceTopicEnable=true
CONF
  # Started through the user-facing scripts, as an operator would (they exec the binaries).
  export RMQ_BIN_DIR="$TARGET/debug" RMQ_RUN_DIR="$WORK/run" ROCKETMQ_LOG_DIR="$WORK/logs"
  sh "$ROOT/scripts/mqnamesrv" -c "$WORK/ns.conf" > "$WORK/ns.out" 2>&1 &
  PIDS+=($!)
  wait_port "$NS_PORT"
  sh "$ROOT/scripts/mqbroker" -c "$WORK/broker.conf" > "$WORK/broker.out" 2>&1 &
  PIDS+=($!)
  wait_port "$BROKER_PORT"
  sleep 1  # first registration with the name server
  NAMESRV_ADDR="127.0.0.1:$NS_PORT"
fi

cd "$HERE/java"
declare -A RESULT
failed=0
for profile in $PROFILES; do
  rm -rf target/surefire-reports
  if mvn -B -q -P "$profile" clean test -Dgroups=broker -Dnamesrv="$NAMESRV_ADDR" -Dmqadmin="$MQADMIN_BIN" > "$WORK/mvn-$profile.log" 2>&1; then :; else
    failed=1
    grep -E "ERROR|FAIL|expected" "$WORK/mvn-$profile.log" | head -40 || true
  fi
  for f in target/surefire-reports/TEST-*.xml; do
    [[ -e "$f" ]] || continue
    while IFS='|' read -r name status; do
      RESULT["$name|$profile"]="$status"
    done < <(python3 - "$f" <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
for tc in root.iter('testcase'):
    name = tc.get('classname').split('.')[-1] + '.' + tc.get('name')
    status = 'fail' if (tc.find('failure') is not None or tc.find('error') is not None) else ('skip' if tc.find('skipped') is not None else 'pass')
    print(f"{name}|{status}")
PY
)
  done
done

printf '\n%-70s' "scenario"; for p in $PROFILES; do printf ' %-6s' "$p"; done; printf '\n'
for key in "${!RESULT[@]}"; do echo "${key%%|*}"; done | sort -u | while read -r name; do
  printf '%-70s' "$name"
  for p in $PROFILES; do printf ' %-6s' "${RESULT[$name|$p]:--}"; done
  printf '\n'
done
# COMPAT_TABLE=<file>: also write the table as Markdown (docs/compatibility.md embeds it).
if [[ -n "${COMPAT_TABLE:-}" ]]; then
  {
    printf '| scenario |'; for p in $PROFILES; do printf ' Java %s |' "$p"; done; printf '\n'
    printf '|---|'; for p in $PROFILES; do printf -- '---|'; done; printf '\n'
    for key in "${!RESULT[@]}"; do echo "${key%%|*}"; done | sort -u | while read -r name; do
      printf '| %s |' "$name"
      for p in $PROFILES; do printf ' %s |' "${RESULT[$name|$p]:--}"; done
      printf '\n'
    done
  } > "$COMPAT_TABLE"
fi
if [[ $failed -ne 0 ]]; then
  echo "java compat: FAILED (broker log tail follows)"; tail -20 "$WORK/broker.out" 2>/dev/null || true
  exit 1
fi
echo "java compat: all passed"
