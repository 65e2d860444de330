#!/usr/bin/env bash
# The C++ core client (rocketmq-client-cpp 2.x, the core under the official Python, Node.js, PHP
# and C++ SDKs) against our name server + brokers, through the official Python SDK
# rocketmq-client-python 2.0.0 (PyPI). That SDK is a ctypes wrapper and ships no librocketmq.so
# (upstream told users to install the core's rpm/deb from its release page, which no registry
# serves); the only registry package that ships a built 2.x core is the PyPI sdist
# rocketmq-python-cvs 2.1.0.3, whose librocketmq.so (core 2.1.x: it exports SendAsync, the
# message-trace switches and the whole C API the 2.0.0 wrapper binds) we put under the official
# wrapper. Both downloads are pinned by sha256 (docs/compatibility.md says more).
#
# Installs into a cache outside the clone keyed by those versions (created when missing), builds
# our binaries, starts the cluster of cluster.sh (broker-a and broker-b, each a master with a
# slave) on free loopback ports, runs tests/compat/cpp/scenarios.py (each scenario in a process of
# its own), prints the table and `N passed, N failed`, and stops the servers by PID.
# Env: CARGO_TARGET_DIR (default $ROOT/target), NAMESRV_ADDR (use running servers instead),
# RMQ_COMPAT_CACHE (default ~/.cache/rmq-rs-compat), COMPAT_TABLE, COMPAT_CPP_RUN (regexp on
# scenario names), COMPAT_KEEP_LOGS (copy the servers' and the core's logs there on failure).
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
compat_workdir

WRAPPER_VERSION=2.0.0
WRAPPER_SHA256=692324adaa8107eebd0369117043871d90035ddb1562f9999c5681136f16f738
CORE_PKG=rocketmq-python-cvs
CORE_PKG_VERSION=2.1.0.3
CORE_PKG_SHA256=99e4ce8008554a74193a3ad94b60f939a4666c48ffabbf4c4417a109daf1419d
CORE_SO_SHA256=ed3fce39f2b926637637a2b8b9122799f207b0cdf98dbd9110505bf43170fa30
CACHE="${RMQ_COMPAT_CACHE:-$HOME/.cache/rmq-rs-compat}/cpp-py$WRAPPER_VERSION-core$CORE_PKG_VERSION"

install_sdk() {
  rm -rf "$CACHE"
  mkdir -p "$CACHE/dl"
  python3 -m venv "$CACHE/venv"
  printf 'rocketmq-client-python==%s --hash=sha256:%s\n' "$WRAPPER_VERSION" "$WRAPPER_SHA256" > "$CACHE/dl/req-wrapper.txt"
  printf '%s==%s --hash=sha256:%s\n' "$CORE_PKG" "$CORE_PKG_VERSION" "$CORE_PKG_SHA256" > "$CACHE/dl/req-core.txt"
  "$CACHE/venv/bin/pip" install -q --no-deps --require-hashes -r "$CACHE/dl/req-wrapper.txt"
  "$CACHE/venv/bin/pip" download -q --no-deps --no-binary :all: --require-hashes -r "$CACHE/dl/req-core.txt" -d "$CACHE/dl"
  local site; site=$("$CACHE/venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  tar -xzf "$CACHE/dl/$CORE_PKG-$CORE_PKG_VERSION.tar.gz" -C "$CACHE/dl" "$CORE_PKG-$CORE_PKG_VERSION/rocketmq/librocketmq.so"
  echo "$CORE_SO_SHA256  $CACHE/dl/$CORE_PKG-$CORE_PKG_VERSION/rocketmq/librocketmq.so" | sha256sum -c --quiet
  cp "$CACHE/dl/$CORE_PKG-$CORE_PKG_VERSION/rocketmq/librocketmq.so" "$site/rocketmq/librocketmq.so"
  "$CACHE/venv/bin/python" -c 'import rocketmq.client, rocketmq.ffi as f; assert f._DYLIB_PATH.endswith("rocketmq/librocketmq.so")'
  touch "$CACHE/ok"
}
[[ -f "$CACHE/ok" ]] || install_sdk
PY="$CACHE/venv/bin/python"

compat_build -p mqadmin -p mqnamesrv -p mqbroker
export MQADMIN_BIN="$TARGET/debug/mqadmin"
# Transaction checks every second (the default is 60 s); consumers run with message trace on
# (see harness.py), so the trace topic is created at start.
CLUSTER_EXTRA_CONF=$'transactionCheckInterval=1000\ntransactionTimeOut=1000\ntraceTopicEnable=true'
compat_cluster

# The core writes its logs under $HOME/logs/rocketmq-cpp and broadcasting offsets under
# $HOME/.rocketmq_offsets: keep both in the temp dir.
mkdir -p "$WORK/home"
failed=0
HOME="$WORK/home" "$PY" "$HERE/cpp/scenarios.py" || failed=1
if [[ $failed -ne 0 ]]; then compat_failed "cpp compat"; fi
echo "cpp compat: all passed"
