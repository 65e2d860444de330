#!/usr/bin/env bash
# A/B of two builds of our name server + broker on this machine: the 1k-async scenario loaded by
# mqbench (scripts/bench-compare.sh --target mqbench) and the backlog drain (scripts/bench-backlog.sh
# --target ours), in alternating rounds (A B, then B A, ...) so that load from elsewhere falls on
# both sides alike. Both sides are loaded by the same mqbench (B's), so only the servers differ.
# Prints per round the figures and B/A ratios, then the median of the ratios; writes the table to
# OUT/summary.md.
#
# Usage: scripts/bench-ab.sh --a DIR --b DIR [--rounds N] [--duration S] [--warmup S] [--gib G]
#                            [--skip-backlog] [--a-extra TEXT] [--b-extra TEXT]
#                            [--a-bench-extra ARGS] [--b-bench-extra ARGS] [--pin] [--out DIR]
#   --a/--b DIR     folders holding release builds of mqnamesrv and mqbroker (B also mqbench)
#   --a-extra/--b-extra TEXT  broker.conf lines added on that side only (`\n` separates lines),
#                   e.g. the same build with and without metrics:
#                   --a DIR --b DIR --b-extra 'metricsExporterType=PROM\nmetricsPromExporterPort=15557' 
#   --a-bench-extra/--b-bench-extra ARGS  mqbench arguments added on that side (producer and
#                   consumer), e.g. ACL on vs off with the same build (the 1k-async part only):
#                   --b-extra 'aclEnable=true\nrocketmq.acl.plain.file=/abs/scripts/bench/plain_acl.yml'
#                   --b-bench-extra '--accessKey benchUser --secretKey benchUser123'
#                   With aclEnable=true in a side's extra, the topic is created with the admin
#                   account of scripts/bench/plain_acl.yml (BENCH_TOOLS_ACCESS_KEY/_SECRET_KEY).
#   --pin           the 1k-async part pinned as scripts/bench-compare.sh --pin does (broker on CPU 0,
#                   name server and mqbench on CPU 1), so the broker is the bottleneck
#   defaults: 4 rounds, 30 s measured after 10 s warm-up, 1 GiB backlog, out target/bench/ab-<UTC time>
# Needs what scripts/bench-compare.sh needs. Stops only what it started (by PID).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
A="" B="" A_EXTRA="" B_EXTRA="" A_BENCH_EXTRA="" B_BENCH_EXTRA="" PIN=() ROUNDS=4 DURATION=30 WARMUP=10 GIB=1 BACKLOG=1 OUT=""
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --a) A=$2; shift 2 ;;
    --b) B=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --gib) GIB=$2; shift 2 ;;
    --skip-backlog) BACKLOG=0; shift ;;
    --a-extra) A_EXTRA=$2; shift 2 ;;
    --b-extra) B_EXTRA=$2; shift 2 ;;
    --a-bench-extra) A_BENCH_EXTRA=$2; shift 2 ;;
    --b-bench-extra) B_BENCH_EXTRA=$2; shift 2 ;;
    --pin) PIN=(--pin); shift ;;
    --out) OUT=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown option: $1" >&2; usage >&2; exit 2 ;;
  esac
done
for d in "$A" "$B"; do
  [[ -x "$d/mqnamesrv" && -x "$d/mqbroker" ]] || { echo "no mqnamesrv/mqbroker in '$d'" >&2; exit 2; }
done
[[ -x "$B/mqbench" ]] || { echo "no mqbench in $B" >&2; exit 2; }
OUT=${OUT:-$ROOT/target/bench/ab-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$OUT"
for side in A B; do
  dir=${!side}
  mkdir -p "$OUT/bin-$side"
  ln -sf "$(cd "$dir" && pwd)/mqnamesrv" "$OUT/bin-$side/mqnamesrv"
  ln -sf "$(cd "$dir" && pwd)/mqbroker" "$OUT/bin-$side/mqbroker"
  ln -sf "$(cd "$B" && pwd)/mqbench" "$OUT/bin-$side/mqbench"
done

run_side() { # side round
  local bin="$OUT/bin-$1" extra_var="$1_EXTRA" bench_var="$1_BENCH_EXTRA"
  export BENCH_BROKER_EXTRA="${!extra_var}" BENCH_MQBENCH_EXTRA="${!bench_var}"
  echo "== round $2: $1 (load average $(cut -d' ' -f1-3 /proc/loadavg))"
  RMQ_BIN_DIR=$bin "$ROOT/scripts/bench-compare.sh" --target mqbench --scenario 1k-async --rounds 1 "${PIN[@]}" \
    --duration "$DURATION" --warmup "$WARMUP" --no-build --out "$OUT/1k/r$2-$1" > "$OUT/1k-r$2-$1.log" 2>&1 ||
    echo "1k-async run failed: $OUT/1k-r$2-$1.log"
  if (( BACKLOG )); then
    RMQ_BIN_DIR=$bin "$ROOT/scripts/bench-backlog.sh" --target ours --gib "$GIB" --no-build \
      --out "$OUT/backlog/r$2-$1" > "$OUT/backlog-r$2-$1.log" 2>&1 || echo "backlog run failed: $OUT/backlog-r$2-$1.log"
  fi
}

for (( r = 1; r <= ROUNDS; r++ )); do
  if (( r % 2 )); then run_side A "$r"; run_side B "$r"; else run_side B "$r"; run_side A "$r"; fi
done

python3 - "$OUT" "$ROUNDS" <<'PY'
import csv, glob, json, os, statistics, sys
out, rounds = sys.argv[1], int(sys.argv[2])

def one_k(side, r):
    found = glob.glob(os.path.join(out, "1k", f"r{r}-{side}", "**", "result.json"), recursive=True)
    if not found:
        return {}
    res = json.load(open(found[0]))
    return {"send": res.get("send_tps"), "consume": res.get("consume_tps")}

def backlog(side, r):
    path = os.path.join(out, "backlog", f"r{r}-{side}", "results.tsv")
    if not os.path.exists(path):
        return {}
    row = next(csv.DictReader(open(path), delimiter="\t"), {})
    return {k: float(row[k]) for k in ("fill_mps", "hot_tps", "cold_tps") if row.get(k) not in (None, "", "n/a")}

figures = ["send", "consume", "fill_mps", "hot_tps", "cold_tps"]
lines = ["| round | figure | A | B | B/A |", "|---|---|---|---|---|"]
ratios = {f: [] for f in figures}
for r in range(1, rounds + 1):
    a, b = {**one_k("A", r), **backlog("A", r)}, {**one_k("B", r), **backlog("B", r)}
    for f in figures:
        if a.get(f) and b.get(f):
            ratio = b[f] / a[f]
            ratios[f].append(ratio)
            lines.append(f"| {r} | {f} | {a[f]:.0f} | {b[f]:.0f} | {ratio:.3f} |")
lines += ["", "| figure | rounds | median B/A | min | max |", "|---|---|---|---|---|"]
for f in figures:
    if ratios[f]:
        v = ratios[f]
        lines.append(f"| {f} | {len(v)} | {statistics.median(v):.3f} | {min(v):.3f} | {max(v):.3f} |")
text = "\n".join(lines)
open(os.path.join(out, "summary.md"), "w").write(text + "\n")
print(text)
PY
