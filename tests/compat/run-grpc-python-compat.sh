#!/usr/bin/env bash
# The official RocketMQ 5.x Python SDK (rocketmq-python-client on PyPI, gRPC) against our proxy
# (scripts/mqproxy) over our name server and one broker set (master + slave) of cluster.sh, on
# free loopback ports with temp stores. Installs the SDK (version pinned below) into a venv in a
# cache outside the clone (created when missing), runs tests/compat/grpc-python/scenarios.py
# (send normal / FIFO / delay / transactional with check-back; SimpleConsumer receive, ack and
# changeInvisibleDuration with exact id sets) over TLS (the proxy's permissive port with a
# certificate made here by openssl, which the SDK checks: GRPC_DEFAULT_SSL_ROOTS_FILE_PATH), then
# COMPAT_PY_PLAIN (default test_send_receive) again in plaintext (the SDK's default) on the same
# port, prints a pass/fail table and stops the servers by PID even when a test fails. A second
# private set with ACL 2.0 on (cluster.sh start_auth_set: name server, broker, proxy checking
# credentials, with the same certificate) serves test_credentials.
# Env: RMQ_COMPAT_CACHE (default ~/.cache/rmq-rs-compat), COMPAT_TABLE (write the table as
# Markdown to this file), COMPAT_PY_RUN (run only scenarios whose name contains it; empty = all),
# COMPAT_KEEP_LOGS (copy the work dir there on failure).
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
SDK_VERSION=5.1.2
CACHE="${RMQ_COMPAT_CACHE:-$HOME/.cache/rmq-rs-compat}/grpc-python-$SDK_VERSION"
if [[ ! -x "$CACHE/venv/bin/python" ]] || ! "$CACHE/venv/bin/python" -c 'import rocketmq' 2>/dev/null; then
  rm -rf "$CACHE"
  python3 -m venv "$CACHE/venv"
  "$CACHE/venv/bin/pip" install -q "rocketmq-python-client==$SDK_VERSION"
fi
compat_workdir

compat_build -p mqadmin -p mqnamesrv -p mqbroker -p mqproxy
export MQADMIN_BIN="$TARGET/debug/mqadmin"
# Transaction checks every second (the default is 60 s), so the check-back scenario is quick;
# RECALL_MESSAGE on (off by default, as RocketMQ 5.3.1+) for the recall scenario.
CLUSTER_SETS="a" CLUSTER_EXTRA_CONF=$'transactionCheckInterval=1000\ntransactionTimeOut=1000\nrecallMessageEnable=true' compat_cluster

# shellcheck source=cluster.sh
. "$HERE/cluster.sh" # free_port, wait_port
PROXY_PORT=$(free_port)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=localhost \
  -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" -keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2> /dev/null
printf 'grpcServerPort=%s\ngrpcBindAddress=127.0.0.1\nnamesrvAddr=%s\ntlsCertPath=%s\ntlsKeyPath=%s\n' \
  "$PROXY_PORT" "$NAMESRV_ADDR" "$WORK/cert.pem" "$WORK/key.pem" > "$WORK/proxy.conf"
RMQ_BIN_DIR="$TARGET/debug" RMQ_RUN_DIR="$WORK/run" ROCKETMQ_LOG_DIR="$WORK/logs/proxy" \
  sh "$ROOT/scripts/mqproxy" -c "$WORK/proxy.conf" > "$WORK/proxy.out" 2>&1 &
PIDS+=($!)
wait_port "$PROXY_PORT"
export PROXY_ENDPOINT="127.0.0.1:$PROXY_PORT"
# The credential scenario's private ACL-enabled name server, broker and proxy.
AUTH_PROXY_EXTRA_CONF=$(printf 'tlsCertPath=%s\ntlsKeyPath=%s' "$WORK/cert.pem" "$WORK/key.pem") start_auth_set

failed=0
# The SDK logs under ~/logs/rocketmq_python: keep that in the temp dir.
mkdir -p "$WORK/home"
printf '| scenario | Python SDK rocketmq-python-client %s |\n|---|---|\n' "$SDK_VERSION" > "$WORK/table.md"
# py_pass TLS FILTER: one run of the scenarios (FILTER: names containing it; empty = all).
py_pass() {
  HOME="$WORK/home" COMPAT_PY_TLS="$1" COMPAT_PY_RUN="$2" GRPC_DEFAULT_SSL_ROOTS_FILE_PATH="$WORK/cert.pem" \
    timeout 15m "$CACHE/venv/bin/python" "$HERE/grpc-python/scenarios.py" "$WORK/table.md" > "$WORK/py-$1.out" 2>&1 || failed=1
  grep -vE "^(ok|OK)$" "$WORK/py-$1.out" | tail -150 || true
}
py_pass 1 "${COMPAT_PY_RUN:-}"
plain="${COMPAT_PY_PLAIN-test_send_receive}"
if [[ -n "$plain" ]]; then py_pass 0 "$plain"; fi
if [[ -n "${COMPAT_TABLE:-}" && -e "$WORK/table.md" ]]; then cp "$WORK/table.md" "$COMPAT_TABLE"; fi
if [[ $failed -ne 0 ]]; then compat_failed "grpc python compat" "$WORK/proxy.out" "$WORK"/logs/proxy/*.log "$WORK"/auth/*.out; fi
echo "grpc python compat: all passed"
