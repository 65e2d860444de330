#!/usr/bin/env bash
# The official RocketMQ 5.x Go SDK (github.com/apache/rocketmq-clients/golang/v5, gRPC) against
# our gRPC proxy (scripts/mqproxy) over our name server and broker. Builds our binaries, starts
# one broker set of cluster.sh (master + slave) on free loopback ports with temp stores, then the
# proxy on a free port with TLS only (tls.server.mode=enforcing, the self-signed certificate of
# tlsTestModeEnable: the SDK always dials TLS and trusts any certificate), runs the scenarios in
# tests/compat/grpc-go (go test -json), prints a pass/fail table, and stops the servers by PID
# even when a test fails. A second private set with ACL 2.0 on (start_auth_set: name server,
# broker, proxy checking credentials) serves TestCredentials.
# Env: CARGO_TARGET_DIR (default $ROOT/target), COMPAT_TABLE (write the result table as Markdown
# to this file), COMPAT_GO_RUN (go test -run regexp), COMPAT_KEEP_LOGS (copy the servers' logs
# and the go test output to this directory when something fails).
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
compat_workdir

compat_build -p mqadmin -p mqnamesrv -p mqbroker -p mqproxy
export MQADMIN_BIN="$TARGET/debug/mqadmin"
# Transaction checks every second (the default is 60 s), so the check-back scenario is quick.
CLUSTER_SETS="a" CLUSTER_EXTRA_CONF=$'transactionCheckInterval=1000\ntransactionTimeOut=1000' compat_cluster

# shellcheck source=cluster.sh
. "$HERE/cluster.sh" # free_port, wait_port
PROXY_PORT=$(free_port)
printf 'grpcServerPort=%s\ngrpcBindAddress=127.0.0.1\nnamesrvAddr=%s\ntls.server.mode=enforcing\nminInvisibleTimeMillsForRecv=1000\n' \
  "$PROXY_PORT" "$NAMESRV_ADDR" > "$WORK/proxy.conf"
RMQ_BIN_DIR="$TARGET/debug" RMQ_RUN_DIR="$WORK/run" sh "$ROOT/scripts/mqproxy" -c "$WORK/proxy.conf" \
  > "$WORK/proxy.out" 2>&1 &
PIDS+=($!)
wait_port "$PROXY_PORT"
export PROXY_ENDPOINT="127.0.0.1:$PROXY_PORT"
# The credential scenario's private ACL-enabled name server, broker and proxy (cluster.sh).
PROXY_TLS_MODE=enforcing start_auth_set

cd "$HERE/grpc-go"
go mod download # a fresh machine fetches the SDK (versions pinned by go.mod/go.sum)
RUN_ARGS=()
[[ -n "${COMPAT_GO_RUN:-}" ]] && RUN_ARGS=(-run "$COMPAT_GO_RUN")
failed=0
# The SDK logs to ~/logs/rocketmqlogs by default: keep it in the temp dir.
env "rocketmq.client.logRoot=$WORK/sdk-logs" "mq.consoleAppender.enabled=false" \
  go test -json -count=1 -timeout 8m "${RUN_ARGS[@]}" . > "$WORK/go-test.json" 2> "$WORK/go-test.err" || failed=1

python3 - "$WORK/go-test.json" "$WORK/table.md" <<'PY'
import json, sys
order, status, output = [], {}, {}
for line in open(sys.argv[1], encoding="utf-8", errors="replace"):
    try:
        ev = json.loads(line)
    except ValueError:
        print(line, end="")
        continue
    name, act = ev.get("Test"), ev.get("Action")
    if not name:
        if act == "output":
            print(ev.get("Output", ""), end="")
        continue
    if name not in status:
        order.append(name); status[name] = "-"
    if act in ("pass", "fail", "skip"):
        status[name] = act
    elif act == "output":
        output.setdefault(name, []).append(ev.get("Output", ""))
print("\n%-60s %s" % ("scenario", "Go 5.x SDK"))
for n in order:
    print("%-60s %s" % (n, status[n]))
with open(sys.argv[2], "w") as f:
    f.write("| scenario | Go 5.x SDK |\n|---|---|\n")
    for n in order:
        f.write("| %s | %s |\n" % (n, status[n]))
for n in order:
    if status[n] != "pass":
        lines = [l for l in output.get(n, []) if "_test.go:" in l or l.startswith(("--- ", "panic"))]
        print("\n[%s %s]" % (n, status[n]))
        sys.stdout.write("".join(lines[:20]))
PY
if [[ -n "${COMPAT_TABLE:-}" ]]; then cp "$WORK/table.md" "$COMPAT_TABLE"; fi
if [[ -s "$WORK/go-test.err" ]]; then cat "$WORK/go-test.err" >&2; fi
if [[ $failed -ne 0 ]]; then compat_failed "grpc go compat" "$WORK/proxy.out" "$WORK"/auth/*.out; fi
echo "grpc go compat: all passed"
