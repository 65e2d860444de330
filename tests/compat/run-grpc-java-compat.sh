#!/usr/bin/env bash
# The official RocketMQ 5.x gRPC SDK (rocketmq-client-java 5.0.7) against our proxy.
# Builds our binaries, starts a name server and one broker set (master + slave) on free loopback
# ports with temp stores (tests/compat/cluster.sh), then our proxy (scripts/mqproxy) on a free
# port in its default TLS mode (permissive, self-signed certificate), runs the JUnit classes of
# tests/compat/grpc-java over TLS (the SDK's default, enableSsl=true), then GRPC_COMPAT_PLAIN
# (default PushConsumerTest) again in plaintext on the same port, prints a pass/fail table and
# stops the servers by PID even when a test fails. No released rocketmq-client-java (5.0.7 to
# 5.2.0) has a PullConsumer, so there is no pull scenario.
# Env: GRPC_COMPAT_TEST (surefire -Dtest filter, e.g. 'SimpleConsumerTest#tag*'),
# GRPC_COMPAT_PLAIN (-Dtest filter of the plaintext pass; empty skips it), GRPC_COMPAT_TLS_MODE
# (the proxy's tls.server.mode, default permissive; enforcing proves the TLS pass is TLS),
# COMPAT_TABLE (write the result table as Markdown to this file), COMPAT_KEEP_LOGS (copy the
# work dir there on failure).
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
compat_workdir

compat_build -p mqadmin -p mqnamesrv -p mqbroker -p mqproxy
export MQADMIN_BIN="$TARGET/debug/mqadmin"
export CLUSTER_SETS="${CLUSTER_SETS:-a}"
# Transaction checks every second (the default is 60 s), so the check-back scenario is quick.
CLUSTER_EXTRA_CONF=$'transactionCheckInterval=1000\ntransactionTimeOut=1000' compat_cluster

# The proxy: a client of the name server, serving gRPC on a free loopback port.
PROXY_PORT=$(free_port)
printf 'grpcServerPort=%s\ngrpcBindAddress=127.0.0.1\nnamesrvAddr=%s\ntls.server.mode=%s\nminInvisibleTimeMillsForRecv=1000\n' \
  "$PROXY_PORT" "$NAMESRV_ADDR" "${GRPC_COMPAT_TLS_MODE:-permissive}" > "$WORK/proxy.conf"
RMQ_BIN_DIR="$TARGET/debug" RMQ_RUN_DIR="$WORK/run" ROCKETMQ_LOG_DIR="$WORK/logs/proxy" \
  sh "$ROOT/scripts/mqproxy" -c "$WORK/proxy.conf" > "$WORK/proxy.out" 2>&1 &
PIDS+=($!)
wait_port "$PROXY_PORT"

cd "$HERE/grpc-java"
# run_pass TLS SUFFIX [FILTER]: one mvn run; prints its rows (name|status|time) on stdout and
# marks a failure in $WORK/failed (it runs in a subshell).
run_pass() {
  local tls=$1 suffix=$2 filter=()
  [[ -n "${3:-}" ]] && filter=(-Dtest="$3" -Dsurefire.failIfNoSpecifiedTests=false)
  rm -rf target/surefire-reports
  if ! mvn -B -q test -Dproxy="127.0.0.1:$PROXY_PORT" -Dnamesrv="$NAMESRV_ADDR" -Dmqadmin="$MQADMIN_BIN" \
      -Dtls="$tls" "${filter[@]}" > "$WORK/mvn-tls-$tls.log" 2>&1; then
    touch "$WORK/failed"
    grep -E "ERROR|FAIL|expected" "$WORK/mvn-tls-$tls.log" | head -40 >&2 || true
  fi
  for f in target/surefire-reports/TEST-*.xml; do
    [[ -e "$f" ]] || continue
    python3 - "$f" "$suffix" <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
for tc in root.iter('testcase'):
    name = tc.get('classname').split('.')[-1] + '.' + tc.get('name') + sys.argv[2]
    status = 'fail' if (tc.find('failure') is not None or tc.find('error') is not None) else ('skip' if tc.find('skipped') is not None else 'pass')
    print(f"{name}|{status}|{float(tc.get('time') or 0):.1f}s")
PY
  done
}
rows=$(run_pass true "" "${GRPC_COMPAT_TEST:-}" | sort)
plain="${GRPC_COMPAT_PLAIN-PushConsumerTest}"
if [[ -n "$plain" ]]; then rows+=$'\n'$(run_pass false " (plaintext)" "$plain" | sort); fi
printf '\n%-70s %-6s %s\n' "scenario" "java5" "time"
while IFS='|' read -r name status secs; do
  [[ -n "$name" ]] && printf '%-70s %-6s %s\n' "$name" "$status" "$secs"
done <<< "$rows"
if [[ -n "${COMPAT_TABLE:-}" ]]; then
  {
    printf '| scenario | Java SDK 5.0.7 (gRPC) |\n|---|---|\n'
    while IFS='|' read -r name status _; do [[ -n "$name" ]] && printf '| %s | %s |\n' "$name" "$status"; done <<< "$rows"
  } > "$COMPAT_TABLE"
fi
if [[ -e "$WORK/failed" ]]; then compat_failed "grpc java compat" "$WORK/proxy.out" "$WORK"/logs/proxy/*.log; fi
echo "grpc java compat: all passed"
