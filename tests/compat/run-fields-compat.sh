#!/usr/bin/env bash
# Response bodies field by field: the official Apache RocketMQ 5.5.0 name server + broker (Maven
# Central jars, resolved as the benchmark harness does: scripts/bench/lib.sh) against ours, each a
# single name server + broker on free loopback ports with a temp store. The same set-up and the
# same requests go to both (rmqrs.compat.FieldsCompare in tests/compat/java, official 5.5.0
# client); every key the official writes must be in our answer with the same JSON type.
# Keys allowed to be absent, with the reason: tests/compat/fields-allowed-absent.txt.
# Env: FIELDS_DUMP=<dir> keeps both sides' answers there; MVN_ARGS extra Maven arguments.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
JAVA_DIR="$HERE/java"
read -r -a MVN_EXTRA <<<"${MVN_ARGS:-}"

BENCH_ROOT=$ROOT
export RMQ_BIN_DIR="$TARGET/debug"          # our debug binaries (scripts/bench/lib.sh defaults to release)
export BENCH_BROKER_HEAP_SINGLE="${BENCH_BROKER_HEAP_SINGLE:-1g}"
# shellcheck source=../../scripts/bench/lib.sh
. "$ROOT/scripts/bench/lib.sh"
trap 'bench_cleanup' EXIT
say() { printf 'fields: %s\n' "$*"; }

say "building our name server and broker; resolving the official 5.5.0 servers; building the Java side"
compat_build -p mqnamesrv -p mqbroker
ensure_official_classpath
if ! mvn -B -q -Dstyle.color=never "${MVN_EXTRA[@]}" -f "$JAVA_DIR/pom.xml" -P rmq5 -DskipTests compile \
    > "$TARGET/fields-mvn.log" 2>&1; then
  cat "$TARGET/fields-mvn.log"; bench_die "Maven build of tests/compat/java failed"
fi
CP="$JAVA_DIR/target/classes:$(cat "$JAVA_DIR/target/classpath.txt")"

scenario_set 1k-async
declare -A NS BROKER
for target in official ours; do
  work=$(mktemp -d "${TMPDIR:-/tmp}/rmq-fields-$target.XXXXXX"); BENCH_DIRS+=("$work")
  start_servers "$target" "$work" || { tail -30 "$work"/*.out >&2 || true; bench_die "$target servers did not start"; }
  NS[$target]=$NS_ADDR BROKER[$target]=${MASTER_ADDRS[0]}
  say "$target: name server $NS_ADDR, broker ${MASTER_ADDRS[0]}"
done
sleep 2  # first registrations with the name servers

home=$(mktemp -d "${TMPDIR:-/tmp}/rmq-fields-client.XXXXXX"); BENCH_DIRS+=("$home")
set +e
timeout 180 java -Xmx512m -Duser.home="$home" -Drocketmq.client.logRoot="$home/logs" -cp "$CP" \
  rmqrs.compat.FieldsCompare "${NS[official]}" "${BROKER[official]}" "${NS[ours]}" "${BROKER[ours]}" \
  "$HERE/fields-allowed-absent.txt" ${FIELDS_DUMP:+"$FIELDS_DUMP"}
rc=$?
set -e
if [[ $rc -ne 0 ]]; then say "FAILED (exit $rc)"; exit 1; fi
say "all response bodies carry the official fields"
