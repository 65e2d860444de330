#!/usr/bin/env bash
# Official Apache RocketMQ Go client (github.com/apache/rocketmq-client-go/v2) against our name
# server + brokers. Builds our binaries, starts the cluster of cluster.sh (two broker sets with a
# slave each, plus the failover set broker-c) on free loopback ports with temp stores, runs the Go
# scenarios in tests/compat/go (go test -json), prints a pass/fail table, and stops the servers by
# PID even when a test fails.
# Env: CARGO_TARGET_DIR (default $ROOT/target), NAMESRV_ADDR (use running servers instead; then
# BROKER_ADDR may name the broker, else the tests ask the name server), COMPAT_TABLE (write the
# result table as Markdown to this file), COMPAT_GO_RUN (go test -run regexp),
# COMPAT_GO_LOG_LEVEL (Go client log level, default error), COMPAT_KEEP_LOGS (copy the servers'
# logs and the go test output to this directory when something fails).
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
compat_workdir

# Our admin CLI: the scenarios check traces, queries and offset resets with it (the Go client has
# no API for them, or only writes what they read).
compat_build -p mqadmin -p mqnamesrv -p mqbroker
export MQADMIN_BIN="$TARGET/debug/mqadmin"
# Two broker sets, each a master and a slave, plus broker-c on a name server of its own for the
# failover scenario, which kills its master (tests/compat/cluster.sh exports FAILOVER_NAMESRV,
# FAILOVER_MASTER_ADDR, FAILOVER_MASTER_PID). Transaction checks every second (the default is
# 60 s), and the trace topic created at start, as the Java runner does.
CLUSTER_EXTRA_CONF=$'transactionCheckInterval=1000\ntransactionTimeOut=1000\ntraceTopicEnable=true'
CLUSTER_FAILOVER=1 compat_cluster

cd "$HERE/go"
go mod download  # a fresh machine fetches the client (versions pinned by go.mod/go.sum)
RUN_ARGS=()
[[ -n "${COMPAT_GO_RUN:-}" ]] && RUN_ARGS=(-run "$COMPAT_GO_RUN")
failed=0
# Broadcasting consumers keep offsets in a local file: keep it in the temp dir, not in $HOME.
env "rocketmq.client.localOffsetStoreDir=$WORK/go-offsets" \
  go test -json -count=1 -timeout 10m "${RUN_ARGS[@]}" . > "$WORK/go-test.json" 2> "$WORK/go-test.err" || failed=1

# Per-scenario table (tests and subtests, in the order they started) + output of failures.
python3 - "$WORK/go-test.json" "$WORK/table.md" <<'PY'
import json, sys
order, status, output, pkg_out, pkg_status = [], {}, {}, [], None
for line in open(sys.argv[1], encoding="utf-8", errors="replace"):
    try:
        ev = json.loads(line)
    except ValueError:
        pkg_out.append(line)
        continue
    name = ev.get("Test")
    if not name:
        if ev.get("Action") in ("output", "build-output"):
            pkg_out.append(ev.get("Output", ""))
        elif ev.get("Action") in ("pass", "fail", "skip"):
            pkg_status = ev["Action"]
        continue
    act = ev.get("Action")
    if act == "run" and name not in status:
        order.append(name); status[name] = "-"
    elif act in ("pass", "fail", "skip"):
        if name not in status:
            order.append(name)
        status[name] = act
    elif act == "output":
        output.setdefault(name, []).append(ev.get("Output", ""))
# Subtests right after their parent test (tests start in declaration order = scenario order).
top = [n for n in order if "/" not in n]
rank = {n: (top.index(n.split("/")[0]) if n.split("/")[0] in top else len(top), i) for i, n in enumerate(order)}
order.sort(key=lambda n: rank[n])
print("\n%-60s %s" % ("scenario", "Go"))
for n in order:
    print("%-60s %s" % (n, status[n]))
with open(sys.argv[2], "w") as f:
    f.write("| scenario | Go |\n|---|---|\n")
    for n in order:
        f.write("| %s | %s |\n" % (n, status[n]))
bad = [n for n in order if status[n] in ("fail", "-")]
for n in bad:
    lines = [l for l in output.get(n, []) if "_test.go:" in l or l.startswith(("--- ", "panic"))]
    if lines:
        print("\n[%s]" % n)
        sys.stdout.write("".join(lines[:30]))
if pkg_status != "pass" and not bad:
    print("\n[package %s]" % (pkg_status or "did not finish"))
    sys.stdout.write("".join(pkg_out[-30:]))
for n in order:
    if status[n] == "skip":
        reason = [l for l in output.get(n, []) if "_test.go:" in l]
        print("\n[%s skipped] %s" % (n, "".join(reason[:3]).strip()))
PY
if [[ -n "${COMPAT_TABLE:-}" ]]; then cp "$WORK/table.md" "$COMPAT_TABLE"; fi
if [[ -s "$WORK/go-test.err" ]]; then cat "$WORK/go-test.err" >&2; fi
if [[ $failed -ne 0 ]]; then compat_failed "go compat"; fi
echo "go compat: all passed"
