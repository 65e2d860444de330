#!/usr/bin/env bash
# The official RocketMQ 5.x gRPC SDK (rocketmq-client-java 5.0.7) against our proxy.
# Builds our binaries, starts a name server and one broker set (master + slave) on free loopback
# ports with temp stores (tests/compat/cluster.sh), then our proxy (scripts/mqproxy) on a free
# port, runs the JUnit classes of tests/compat/grpc-java, prints a pass/fail table and stops the
# servers by PID even when a test fails.
# Env: GRPC_COMPAT_TEST (surefire -Dtest filter, e.g. 'SimpleConsumerTest#tag*'),
# COMPAT_TABLE (write the result table as Markdown to this file), COMPAT_KEEP_LOGS (copy the
# work dir there on failure).
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
compat_workdir

compat_build -p mqadmin -p mqnamesrv -p mqbroker -p mqproxy
export MQADMIN_BIN="$TARGET/debug/mqadmin"
export CLUSTER_SETS="${CLUSTER_SETS:-a}"
compat_cluster

# The proxy: a client of the name server, serving gRPC on a free loopback port.
PROXY_PORT=$(free_port)
printf 'grpcServerPort=%s\ngrpcBindAddress=127.0.0.1\nnamesrvAddr=%s\n' "$PROXY_PORT" "$NAMESRV_ADDR" > "$WORK/proxy.conf"
RMQ_BIN_DIR="$TARGET/debug" RMQ_RUN_DIR="$WORK/run" ROCKETMQ_LOG_DIR="$WORK/logs/proxy" \
  sh "$ROOT/scripts/mqproxy" -c "$WORK/proxy.conf" > "$WORK/proxy.out" 2>&1 &
PIDS+=($!)
wait_port "$PROXY_PORT"

cd "$HERE/grpc-java"
rm -rf target/surefire-reports
filter=()
if [[ -n "${GRPC_COMPAT_TEST:-}" ]]; then filter=(-Dtest="$GRPC_COMPAT_TEST" -Dsurefire.failIfNoSpecifiedTests=false); fi
failed=0
if mvn -B -q test -Dproxy="127.0.0.1:$PROXY_PORT" -Dnamesrv="$NAMESRV_ADDR" -Dmqadmin="$MQADMIN_BIN" "${filter[@]}" \
  > "$WORK/mvn.log" 2>&1; then :; else
  failed=1
  grep -E "ERROR|FAIL|expected" "$WORK/mvn.log" | head -40 || true
fi

rows=$(for f in target/surefire-reports/TEST-*.xml; do
  [[ -e "$f" ]] || continue
  python3 - "$f" <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
for tc in root.iter('testcase'):
    name = tc.get('classname').split('.')[-1] + '.' + tc.get('name')
    status = 'fail' if (tc.find('failure') is not None or tc.find('error') is not None) else ('skip' if tc.find('skipped') is not None else 'pass')
    print(f"{name}|{status}|{float(tc.get('time') or 0):.1f}s")
PY
done | sort)
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
if [[ $failed -ne 0 ]]; then compat_failed "grpc java compat" "$WORK/proxy.out" "$WORK"/logs/proxy/*.log; fi
echo "grpc java compat: all passed"
