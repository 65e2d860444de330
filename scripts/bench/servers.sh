#!/usr/bin/env bash
# Starts a benchmark layout by hand, as scripts/bench-compare.sh does for each run, and keeps it
# up until Ctrl-C (or SIGTERM), then stops what it started (by PID) and deletes its temp dir.
#
# Usage: scripts/bench/servers.sh official|ours [SCENARIO]      (SCENARIO default 1k-async)
#
# official: org.apache.rocketmq.namesrv.NamesrvStartup + broker.BrokerStartup via java -cp on the
#           Maven Central jars in bench/official/target/lib (resolved on first use);
# ours:     target/release/mqnamesrv + mqbroker (built if missing).
# Both get the same properties files (printed below), on 127.0.0.1, free ports, a temp store.
# Then load it with the official tools, e.g.:
#   java -cp 'bench/official/target/classes:bench/official/target/lib/*' rmqrs.bench.Probe \
#     org.apache.rocketmq.example.benchmark.Producer -n <namesrv> -t BenchTopic -w 32 -s 1024 -ri 1000
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BENCH_ROOT=$ROOT
# shellcheck source=scripts/bench/lib.sh
. "$ROOT/scripts/bench/lib.sh"

target=${1:-}
scenario=${2:-1k-async}
[[ $target == official || $target == ours ]] || { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
scenario_set "$scenario" || bench_die "unknown scenario $scenario (${BENCH_SCENARIOS[*]})"
export BENCH_BUILD=0

trap 'bench_cleanup' EXIT
trap 'exit 0' INT TERM

ensure_official_classpath
[[ $target == ours ]] && ensure_our_binaries
work=$(mktemp -d "${TMPDIR:-/tmp}/rmq-bench.XXXXXX"); BENCH_DIRS+=("$work")
start_servers "$target" "$work" || bench_die "servers did not start (logs in $work)"
create_topic "$work"
echo
echo "name server: $NS_ADDR"
echo "masters:     ${MASTER_ADDRS[*]}"
echo "processes:   namesrv:${SERVER_PIDS[0]} ${BROKER_ROLES[*]}"
echo "topic:       $BENCH_TOPIC ($BENCH_QUEUES queues per master)"
echo "work dir:    $work (configs, logs; deleted on exit)"
echo "scenario:    $SC_NAME: $SC_DESC"
echo "Ctrl-C to stop."
while :; do sleep 1; done
