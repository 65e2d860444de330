#!/usr/bin/env bash
# Backlog benchmark: consume TPS from the start of a large backlog when it is in the page cache
# (hot) and when it is not (cold), for our broker and the official one, side by side.
# Per target: fresh name server + broker (scenario 1k-async's config), fill the topic with
# --gib GiB of 1 KiB messages (mqbench producer, batches of 32), then
#   hot:  a new group consumes the whole backlog from the first offset (it was just written,
#         so its pages are cached; fincore shows how much);
#   cold: stop the broker, write back and drop the store's pages from the page cache
#         (posix_fadvise DONTNEED on every store file), start it again, and a second new group
#         consumes the whole backlog from the first offset.
# Both passes use mqbench consumer (20 listener threads); the figure is the drain rate,
# messages / (last message received - first message received). The goal (issue 12):
# cold >= 80% of hot.
#
# Usage: scripts/bench-backlog.sh [--target ours|official|both] [--gib N] [--timeout S]
#                                 [--out DIR] [--update-docs] [--no-build]
#   defaults: both, 10 GiB, 900 s at most per pass; results in target/bench/backlog-<UTC time>/
# Needs what scripts/bench-compare.sh needs. Stops only what it started (by PID).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BENCH_ROOT=$ROOT
# shellcheck source=scripts/bench/lib.sh
. "$ROOT/scripts/bench/lib.sh"

TARGET=both GIB=10 PASS_TIMEOUT=900 OUT="" UPDATE_DOCS=0
export BENCH_BUILD=1
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --target) TARGET=$2; shift 2 ;;
    --gib) GIB=$2; shift 2 ;;
    --timeout) PASS_TIMEOUT=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --update-docs) UPDATE_DOCS=1; shift ;;
    --no-build) BENCH_BUILD=0; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown option: $1" >&2; usage >&2; exit 2 ;;
  esac
done
case "$TARGET" in
  ours) TARGETS=(ours) ;; official) TARGETS=(official) ;; both) TARGETS=(ours official) ;;
  *) bench_die "--target must be ours, official or both" ;;
esac
[[ "$GIB" =~ ^[0-9]+(\.[0-9]+)?$ && "$PASS_TIMEOUT" =~ ^[1-9][0-9]*$ ]] || bench_die "bad --gib/--timeout"
OUT=${OUT:-$ROOT/target/bench/backlog-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$OUT"
trap bench_cleanup EXIT
ensure_our_binaries   # mqbench loads both brokers
[[ " ${TARGETS[*]} " =~ " official " ]] && ensure_official_classpath
scenario_set 1k-async
COUNT=$(python3 -c "print(int($GIB * 1024 * 1024))")   # 1 KiB bodies
MQB="$BENCH_BIN_DIR/mqbench"

# Writes back and drops every store file's pages from the page cache; prints the bytes dropped.
evict() { # store dir
  sync
  python3 - "$1" <<'PY'
import os, sys
total = 0
for d, _, files in os.walk(sys.argv[1]):
    for f in files:
        p = os.path.join(d, f)
        fd = os.open(p, os.O_RDONLY)
        try:
            os.fdatasync(fd)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            total += os.fstat(fd).st_size
        finally:
            os.close(fd)
print(total)
PY
}

# Cached bytes of the commit log (fincore), or "n/a".
cached() { # store dir
  fincore -b -n -o RES "$1"/commitlog/* 2>/dev/null | awk '{s += $1} END {printf "%.0f\n", s}' || echo n/a
}

# Drain rate of a pass: messages / (last message - first message), from mqbench's summary.
drain_tps() { # json
  python3 -c 'import json,sys; print(round(json.load(open(sys.argv[1]))["run"]["active_tps"]))' "$1" 2>/dev/null || echo 0
}

consume_pass() { # rundir name -> prints the drain rate
  local log="$1/consume-$2.log"
  "$MQB" consumer -n "$NS_ADDR" -t "$BENCH_TOPIC" -g "backlog_$2" --from-first -w 20 -c "$COUNT" \
    -d "$PASS_TIMEOUT" --json "$1/consume-$2.json" > "$log" 2>&1 || bench_log "consumer $2 exited with an error (see $log)"
  local got; got=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["run"]["messages"])' "$1/consume-$2.json" 2>/dev/null || echo 0)
  (( got >= COUNT )) || bench_log "WARNING: pass $2 consumed $got of $COUNT messages in ${PASS_TIMEOUT}s"
  drain_tps "$1/consume-$2.json"
}

RESULTS="$OUT/results.tsv"
printf 'target\tgib\tfill_s\tfill_mps\tcached_hot\thot_tps\tcached_cold\tcold_tps\tcold_over_hot\n' > "$RESULTS"
for target in "${TARGETS[@]}"; do
  work=$(mktemp -d "${TMPDIR:-/tmp}/rmq-backlog.XXXXXX"); BENCH_DIRS+=("$work")
  rundir="$OUT/$target"; mkdir -p "$rundir"
  bench_log "== $target: fill $GIB GiB ($COUNT messages of 1 KiB)"
  start_servers "$target" "$work" || bench_die "servers did not start ($work)"
  create_topic "$work"
  store="$work/store-broker-a"
  t0=$(now_ms)
  "$MQB" producer -n "$NS_ADDR" -t "$BENCH_TOPIC" -w 8 -s 1024 -b 32 -c "$COUNT" -d 0 \
    --json "$rundir/fill.json" > "$rundir/fill.log" 2>&1 || bench_die "fill failed (see $rundir/fill.log)"
  fill_s=$(( ($(now_ms) - t0) / 1000 ))
  fill_mps=$(( COUNT / (fill_s > 0 ? fill_s : 1) ))
  bench_log "$target: filled in ${fill_s}s ($fill_mps msg/s); commit log $(du -sh "$store/commitlog" | cut -f1)"
  sleep 5   # let the flusher and dispatch catch up
  cached_hot=$(cached "$store")
  hot=$(consume_pass "$rundir" hot)
  bench_log "$target: hot pass $hot msg/s (cached before: $cached_hot bytes)"
  # restart the broker with its page cache dropped
  broker_pid=${BROKER_ROLES[0]#*:}
  stop_tracked "$broker_pid" 60
  dropped=$(evict "$store")
  cached_cold=$(cached "$store")
  bench_log "$target: broker stopped, $dropped bytes of store files evicted (cached now: $cached_cold bytes)"
  conf="$work/broker-a.properties"
  port=$(sed -n 's/^listenPort=//p' "$conf")
  if [[ $target == official ]]; then start_official_broker "$work" "$conf" broker-a "$BENCH_BROKER_HEAP_SINGLE"
  else start_ours_broker "$work" "$conf" broker-a; fi
  BROKER_ROLES=("broker-a:$LAST_PID"); SERVER_PIDS[1]=$LAST_PID
  wait_port "$port" 180 "$LAST_PID" || bench_die "broker did not restart"
  sleep 8   # registration with the name server
  cold=$(consume_pass "$rundir" cold)
  ratio=$(python3 -c "print(f'{$cold / $hot:.2f}' if $hot else 'n/a')")
  bench_log "$target: cold pass $cold msg/s; cold / hot = $ratio"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$target" "$GIB" "$fill_s" "$fill_mps" "$cached_hot" "$hot" \
    "$cached_cold" "$cold" "$ratio" >> "$RESULTS"
  for (( i = ${#SERVER_PIDS[@]} - 1; i >= 0; i-- )); do stop_tracked "${SERVER_PIDS[i]}" 30; done
  cp "$work"/*.out "$work"/*.properties "$rundir/" 2>/dev/null || true
  rm -rf "$work"
done

python3 - "$RESULTS" "$OUT/summary.md" "$GIB" "$PASS_TIMEOUT" "$(git -C "$ROOT" rev-parse --short HEAD)" <<'PY'
import csv, sys, datetime
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
gib, commit = sys.argv[3], sys.argv[5]
def gb(x):
    try: return f"{int(x) / 2**30:.1f}"
    except ValueError: return x
out = [f"Measured {datetime.date.today()} at commit `{commit}`: {gib} GiB backlog of 1 KiB messages, "
       "each pass a new group draining it from the first offset (mqbench consumer, 20 threads); "
       "TPS = messages / (last received - first received).", "",
       "| broker | fill (msg/s) | cached before hot (GiB) | hot drain TPS | cached before cold (GiB) | cold drain TPS | cold / hot |",
       "|---|---:|---:|---:|---:|---:|---:|"]
for r in rows:
    out.append(f"| {r['target']} | {int(r['fill_mps']):,} | {gb(r['cached_hot'])} | {int(r['hot_tps']):,} | "
               f"{gb(r['cached_cold'])} | {int(r['cold_tps']):,} | {r['cold_over_hot']} |")
open(sys.argv[2], "w").write("\n".join(out) + "\n")
print("\n".join(out))
PY
if (( UPDATE_DOCS )); then
  python3 - "$OUT/summary.md" "$ROOT/docs/performance.md" <<'PY'
import sys
body = open(sys.argv[1]).read()
doc = open(sys.argv[2]).read()
b, e = "<!-- bench-backlog:begin -->", "<!-- bench-backlog:end -->"
if b in doc and e in doc:
    doc = doc[:doc.index(b) + len(b)] + "\n" + body + doc[doc.index(e):]
    open(sys.argv[2], "w").write(doc)
else:
    sys.exit("docs/performance.md has no bench-backlog markers")
PY
fi
bench_log "done: $OUT/summary.md"
