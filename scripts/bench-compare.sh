#!/usr/bin/env bash
# Side-by-side benchmark: our name server + broker against the official Apache RocketMQ ones
# (rocketmq-namesrv / rocketmq-broker from Maven Central, started with java -cp), both loaded by
# the official benchmark tools (rocketmq-example: benchmark.Producer / BatchProducer / Consumer),
# on this machine, on loopback, same topic layout, same broker properties file, same flush
# settings. Rounds alternate the brokers; the report gives the median of each figure per target
# and the ratio ours / official. See docs/performance.md, "Broker side by side".
#
# Usage: scripts/bench-compare.sh [options]
#   --target T                    official, ours, mqbench (our broker loaded by our bins/mqbench),
#                                 official-mqbench (the official broker loaded by our mqbench),
#                                 same-tool (mqbench + official-mqbench), both (ours + official)
#                                 or all (default: ours, official, mqbench, official-mqbench)
#   --scenario NAME|all           1k-async (default), 1k-syncflush, 128b-async, batch32, 2m2s-sync,
#                                 many-queues, fanout (these two: mqbench targets only)
#   --pin                         brokers on CPU 0, name server and load generators on CPU 1
#                                 (taskset; BENCH_PIN_CPUS="BROKER LOAD" changes the lists), so the
#                                 broker is the bottleneck: tables are titled "pinned" and give the
#                                 broker's capacity per core (messages per broker CPU-second)
#   --disk-mib N                  MiB dd writes (conv=fdatasync, new space, in the store's temp
#                                 dir) for the disk ceiling printed beside the ingest (default
#                                 1024; 0: skip)
#   --rounds N                    rounds per scenario (default 3); each round runs every target
#   --duration S                  measured seconds per run (default 60)
#   --warmup S                    seconds after the first send before measuring (default 30:
#                                 the JVMs (tools, official broker) need ~30 s of JIT to level off)
#   --out DIR                     results (default target/bench/<UTC time>)
#   --update-docs                 write the tables and plots into docs/performance.md
#   --no-build                    don't run cargo build when our binaries already exist
#   -h, --help
# Needs: Java 17+, Maven (resolves bench/official on first use), python3; for "ours" cargo.
# Everything listens on 127.0.0.1 (the official broker's HA port binds the wildcard address:
# it has no bind option; nothing connects to it but a local slave). Stops only the processes it
# started (by PID, trap on exit) and deletes its temp dirs.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BENCH_ROOT=$ROOT
# shellcheck source=scripts/bench/lib.sh
. "$ROOT/scripts/bench/lib.sh"

TARGET=all SCENARIO=1k-async ROUNDS=3 DURATION=60 WARMUP=30 OUT="" UPDATE_DOCS=0 PIN=0 DISK_MIB=1024
export BENCH_BUILD=1
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --target) TARGET=$2; shift 2 ;;
    --scenario) SCENARIO=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --update-docs) UPDATE_DOCS=1; shift ;;
    --pin) PIN=1; shift ;;
    --disk-mib) DISK_MIB=$2; shift 2 ;;
    --no-build) BENCH_BUILD=0; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown option: $1" >&2; usage >&2; exit 2 ;;
  esac
done
case "$TARGET" in
  official) TARGETS=(official) ;;
  ours) TARGETS=(ours) ;;
  mqbench) TARGETS=(ours-mqbench) ;;
  official-mqbench) TARGETS=(official-mqbench) ;;
  same-tool) TARGETS=(ours-mqbench official-mqbench) ;;
  both) TARGETS=(ours official) ;;
  all) TARGETS=(ours official ours-mqbench official-mqbench) ;;
  *) bench_die "--target must be official, ours, mqbench, official-mqbench, same-tool, both or all" ;;
esac
if (( PIN )); then
  read -r PIN_B PIN_L <<< "${BENCH_PIN_CPUS:-0 1}"
  command -v taskset >/dev/null || bench_die "--pin needs taskset (util-linux)"
  BENCH_PIN_BROKER=(taskset -c "$PIN_B") BENCH_PIN_LOAD=(taskset -c "$PIN_L")
fi
[[ "$DISK_MIB" =~ ^[0-9]+$ ]] || bench_die "bad --disk-mib"
if [[ "$SCENARIO" == all ]]; then SCENARIOS=("${BENCH_SCENARIOS[@]}"); else SCENARIOS=("$SCENARIO"); fi
for s in "${SCENARIOS[@]}"; do scenario_set "$s" || bench_die "unknown scenario $s (one of: ${BENCH_SCENARIOS[*]} all)"; done
[[ "$ROUNDS" =~ ^[1-9][0-9]*$ && "$DURATION" =~ ^[1-9][0-9]*$ && "$WARMUP" =~ ^[0-9]+$ ]] || bench_die "bad --rounds/--duration/--warmup"

trap 'bench_cleanup' EXIT
trap 'bench_log "interrupted"; exit 130' INT TERM

# --- preflight ---------------------------------------------------------------------------------
command -v python3 >/dev/null || bench_die "python3 needed"
command -v "$BENCH_JAVA" >/dev/null || bench_die "java needed (17+)"
JAVA_VER=$("$BENCH_JAVA" -version 2>&1 | head -1)
ensure_official_classpath
for t in "${TARGETS[@]}"; do [[ $t == ours* || $t == *-mqbench ]] && { ensure_our_binaries; break; }; done

OUT=${OUT:-$ROOT/target/bench/$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$OUT"

# Disk ceiling: new-space write bandwidth where the stores go, in the same run.
DISK_MBS=0
if (( DISK_MIB > 0 )); then
  ddir=$(mktemp -d "${TMPDIR:-/tmp}/rmq-bench-dd.XXXXXX"); BENCH_DIRS+=("$ddir")
  dd_out=$(dd if=/dev/zero of="$ddir/dd.bin" bs=1M count="$DISK_MIB" conv=fdatasync 2>&1 | tail -1)
  rm -rf "$ddir"
  DISK_MBS=$(python3 -c 'import re,sys; m=re.match(r"(\d+) bytes.*?, ([\d.]+) s,", sys.argv[1]); print(round(int(m.group(1))/1e6/float(m.group(2))) if m else 0)' "$dd_out")
  bench_log "disk ceiling: dd bs=1M count=$DISK_MIB conv=fdatasync (new space): $DISK_MBS MB/s"
fi
COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
RMQ_VERSION=$(sed -n 's:.*<rocketmq.version>\(.*\)</rocketmq.version>.*:\1:p' "$BENCH_OFFICIAL_DIR/pom.xml" | head -1)
DESC_LINES=""
for s in "${SCENARIOS[@]}"; do scenario_set "$s"; DESC_LINES+="$s|$SC_DESC"$'\n'; done
M_PIN=$PIN M_DISK=$DISK_MBS M_DISK_MIB=$DISK_MIB M_PIN_CPUS="${BENCH_PIN_BROKER[*]:-} / ${BENCH_PIN_LOAD[*]:-}" \
M_DATE=$(date -u +%Y-%m-%d) M_COMMIT=$COMMIT M_TARGETS="${TARGETS[*]}" M_SCEN="${SCENARIOS[*]}" \
M_ROUNDS=$ROUNDS M_DURATION=$DURATION M_WARMUP=$WARMUP M_JAVA=$JAVA_VER M_RMQ=$RMQ_VERSION M_DESC=$DESC_LINES \
python3 - "$OUT/meta.json" <<'PY'
import json, os, sys
e = os.environ
desc = dict(l.split("|", 1) for l in e["M_DESC"].splitlines() if "|" in l)
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
mem = next((int(l.split()[1]) for l in open("/proc/meminfo") if l.startswith("MemTotal")), 0)
json.dump({
  "date": e["M_DATE"], "commit": e["M_COMMIT"], "targets": e["M_TARGETS"].split(),
  "rounds": int(e["M_ROUNDS"]), "duration_s": int(e["M_DURATION"]), "warmup_s": int(e["M_WARMUP"]),
  "scenario_order": e["M_SCEN"].split(), "descriptions": desc,
  "machine": {"cpus": os.cpu_count(), "cpu": cpu, "mem_gib": round(mem / 1048576, 1), "kernel": os.uname().release},
  "java": e["M_JAVA"], "rocketmq_official": e["M_RMQ"],
  "loadavg": " ".join(open("/proc/loadavg").read().split()[0:3]),
  "pinned": e["M_PIN"] == "1", "pin": e["M_PIN_CPUS"],
  "disk_mbs": int(e["M_DISK"]), "disk_mib": int(e["M_DISK_MIB"]),
}, open(sys.argv[1], "w"), indent=1)
PY
bench_log "results in $OUT; targets: ${TARGETS[*]}; scenarios: ${SCENARIOS[*]}; $ROUNDS round(s) x ${DURATION}s (+${WARMUP}s warm-up)"

# --- one run -----------------------------------------------------------------------------------
# run_one TARGET ROUND: fresh servers in a temp dir, consumer + producer, sampling, stop, analyze.
run_one() {
  local target=$1 round=$2 work rundir server_target pid t0 end_ms deadline sampler load
  work=$(mktemp -d "${TMPDIR:-/tmp}/rmq-bench.XXXXXX"); BENCH_DIRS+=("$work")
  rundir="$OUT/$SC_NAME/r$round-$target"; mkdir -p "$rundir"
  server_target=official; [[ $target == ours* ]] && server_target=ours
  load=$(cut -d' ' -f1-3 /proc/loadavg)
  if (( SC_MQBENCH_ONLY )) && [[ $target != *-mqbench ]]; then
    bench_log "== $SC_NAME round $round: $target skipped (the official tools cannot run this scenario)"; rm -rf "$work" "$rundir"; return 0
  fi
  bench_log "== $SC_NAME round $round: $target (load average $load)"

  local ok=1
  start_servers "$server_target" "$work" || ok=0
  local PRODUCER_PID="" CONSUMER_PID="" SAMPLER_PID=""
  if (( ok )); then
    create_topic "$work"
    if [[ $target == *-mqbench ]]; then
      start_mqbench "$work" "$rundir/producer.log" "$rundir/consumer.log" $(( WARMUP * 1000 )) || ok=0
      PRODUCER_PID=${MQB_PRODUCER_PID:-} CONSUMER_PID=${MQB_CONSUMER_PID:-}
      t0=$(now_ms)
    else
      start_official_consumer "$work" "$rundir/consumer.log"; CONSUMER_PID=$LAST_PID
      sleep 3
      t0=$(now_ms)
      start_official_producer "$work" "$rundir/producer.log" $(( WARMUP * 1000 )); PRODUCER_PID=$LAST_PID
    fi
  fi
  if (( ok )); then
    local roles=()
    roles+=("${BROKER_ROLES[@]}")
    roles+=("namesrv:${SERVER_PIDS[0]}" "producer:$PRODUCER_PID" "consumer:$CONSUMER_PID")
    python3 "$ROOT/scripts/bench/procstat.py" --out "$rundir/procstat.tsv" --interval 0.5 "${roles[@]}" &
    SAMPLER_PID=$!; bench_track "$SAMPLER_PID"
    # wait for the end of the warm-up (the probe's reset line), then measure DURATION seconds
    deadline=$(( $(date +%s) + WARMUP + 60 ))
    until grep -q '^\[probe-reset\]' "$rundir/producer.log" 2>/dev/null; do
      if ! kill -0 "$PRODUCER_PID" 2>/dev/null || (( $(date +%s) > deadline )); then
        bench_log "producer did not finish warming up (no [probe-reset]); see $rundir/producer.log"; ok=0; break
      fi
      sleep 0.5
    done
    (( ok )) && sleep "$DURATION"
    stop_tracked "$PRODUCER_PID" 15
    end_ms=$(now_ms)
    sleep 1
    stop_tracked "$CONSUMER_PID" 10
    stop_tracked "$SAMPLER_PID" 5
  fi
  for (( i = ${#SERVER_PIDS[@]} - 1; i >= 0; i-- )); do stop_tracked "${SERVER_PIDS[i]}" 20; done
  mkdir -p "$rundir/servers"
  cp "$work"/*.out "$work"/*.conf "$work"/*.properties "$rundir/servers/" 2>/dev/null || true
  rm -rf "$work"
  cat > "$rundir/meta.json" <<JSON
{"target": "$target", "scenario": "$SC_NAME", "round": $round, "batch": $SC_BATCH, "size": $SC_SIZE,
 "pinned": $PIN, "disk_mbs": $DISK_MBS,
 "t0_ms": ${t0:-0}, "end_ms": ${end_ms:-0}, "warmup_s": $WARMUP, "duration_s": $DURATION,
 "loadavg_before": "$load", "ok": $ok}
JSON
  if (( ok )); then python3 "$ROOT/scripts/bench/analyze.py" run "$rundir" || bench_log "analysis of $rundir failed"
  else bench_log "run failed: $rundir (server logs in $rundir/servers)"; fi
}

for s in "${SCENARIOS[@]}"; do
  scenario_set "$s"
  for (( round = 1; round <= ROUNDS; round++ )); do
    order=("${TARGETS[@]}")
    if (( round % 2 == 0 )); then   # alternate which broker goes first
      order=(); for (( i = ${#TARGETS[@]} - 1; i >= 0; i-- )); do order+=("${TARGETS[i]}"); done
    fi
    for t in "${order[@]}"; do run_one "$t" "$round"; done
  done
done

bench_log "report"
if (( UPDATE_DOCS )); then
  python3 "$ROOT/scripts/bench/analyze.py" report "$OUT" --docs "$ROOT/docs/performance.md"
else
  python3 "$ROOT/scripts/bench/analyze.py" report "$OUT"
fi
bench_log "done: $OUT/summary.md, plots $OUT/<scenario>/tps.svg"
