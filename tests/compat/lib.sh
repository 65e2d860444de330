# Shared prologue of the tests/compat/run-*.sh runners: sourced, never run. Sets
#   HERE    this folder (tests/compat)
#   ROOT    the repository root
#   TARGET  cargo's target dir (CARGO_TARGET_DIR, default $ROOT/target); our binaries are debug
#           builds under $TARGET/debug
# and offers
#   compat_workdir          WORK (a temp dir) and PIDS (the processes this runner started); an EXIT
#                           trap stops those by PID (never by name) and deletes WORK
#   compat_build ARGS...    one `cargo build -q ARGS` into TARGET; when it builds mqnamesrv and
#                           mqbroker, compat_cluster does not build them again
#   compat_cluster          starts the cluster of cluster.sh (CLUSTER_SETS, CLUSTER_EXTRA_CONF,
#                           CLUSTER_FAILOVER as it documents) unless NAMESRV_ADDR names running
#                           servers; exports NAMESRV_ADDR
#   compat_failed NAME [GLOB...]  prints the WARN/ERROR tails of the brokers' output (and of the
#                           files GLOB names), copies WORK to COMPAT_KEEP_LOGS when set, exits 1
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"

compat_workdir() {
  WORK="$(mktemp -d "${TMPDIR:-/tmp}/rmq-compat.XXXXXX")"
  PIDS=()
  trap compat_cleanup EXIT
}

compat_cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}

compat_build() {
  (cd "$ROOT" && CARGO_TARGET_DIR="$TARGET" cargo build -q "$@")
  local args=" $* "
  if [[ $args == *" mqnamesrv "* && $args == *" mqbroker "* ]]; then COMPAT_SERVERS_BUILT=1; fi
}

compat_cluster() {
  if [[ -z "${NAMESRV_ADDR:-}" ]]; then
    # shellcheck source=cluster.sh
    source "$HERE/cluster.sh"
    start_cluster
  fi
  export NAMESRV_ADDR
}

compat_failed() { # name [extra log globs...]
  local name=$1 f
  shift
  echo "$name: FAILED (broker log tails follow)"
  for f in "$WORK"/broker*.out "$@"; do
    if [[ -e "$f" ]]; then echo "== $f"; grep -E "WARN|ERROR" "$f" | tail -15 || true; fi
  done
  if [[ -n "${COMPAT_KEEP_LOGS:-}" ]]; then cp -r "$WORK" "$COMPAT_KEEP_LOGS"; fi
  exit 1
}
