#!/usr/bin/env bash
# Official Java clients (4.9.x and 5.x profiles) against our name server + broker.
# Builds our binaries, starts a name server and two broker sets (master + slave each) on free
# loopback ports with temp stores, runs the JUnit scenarios tagged "broker" for each profile, prints a pass/fail table,
# and stops the servers by PID even when a test fails.
# Env: COMPAT_PROFILES (default "rmq4 rmq5"), NAMESRV_ADDR (use running servers instead),
# CLUSTER_SETS (broker sets, default "a b"), COMPAT_TEST (surefire -Dtest filter, e.g.
# 'TraceTest,ConsumeModesTest#orderly*'), COMPAT_TABLE (write the result table as Markdown to this file).
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
PROFILES="${COMPAT_PROFILES:-rmq4 rmq5}"
compat_workdir

# Our Rust client's interop driver (RustClientInteropTest runs it).
compat_build -p rmq-client --example interop
export RUST_INTEROP="$TARGET/debug/examples/interop"
# Our admin CLI (MqadminCliTest compares it with the official mqadmin), name server and broker.
compat_build -p mqadmin -p mqnamesrv -p mqbroker
export MQADMIN_BIN="$TARGET/debug/mqadmin"
# Two broker sets (master + slave each) for the scenarios, plus broker-c for the failover
# scenario (tests/compat/cluster.sh); CLUSTER_SETS=a runs a single set.
export CLUSTER_SETS="${CLUSTER_SETS:-a b}"
CLUSTER_EXTRA_CONF=$'transactionCheckInterval=1000\ntransactionTimeOut=1000\ntraceTopicEnable=true'
CLUSTER_FAILOVER=1 compat_cluster

cd "$HERE/java"
declare -A RESULT
failed=0
for profile in $PROFILES; do
  declare -F ensure_failover_master > /dev/null && ensure_failover_master
  rm -rf target/surefire-reports
  filter=()
  if [[ -n "${COMPAT_TEST:-}" ]]; then filter=(-Dtest="$COMPAT_TEST" -Dsurefire.failIfNoSpecifiedTests=false); fi
  if mvn -B -q -P "$profile" clean test -Dgroups=broker -Dnamesrv="$NAMESRV_ADDR" -Dmqadmin="$MQADMIN_BIN" "${filter[@]}" > "$WORK/mvn-$profile.log" 2>&1; then :; else
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
if [[ $failed -ne 0 ]]; then compat_failed "java compat"; fi
echo "java compat: all passed"
