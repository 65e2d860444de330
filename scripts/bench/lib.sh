# shellcheck shell=bash
# Shared functions of the side-by-side benchmark (scripts/bench-compare.sh, scripts/bench/servers.sh).
# Source it; it defines functions and defaults only. Every server binds 127.0.0.1; every process
# started here is recorded in BENCH_PIDS and stopped by bench_cleanup (by PID, never by name).

BENCH_ROOT="${BENCH_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
BENCH_OFFICIAL_DIR="$BENCH_ROOT/bench/official"
BENCH_CP="$BENCH_OFFICIAL_DIR/target/classes:$BENCH_OFFICIAL_DIR/target/lib/*"
BENCH_JAVA="${BENCH_JAVA:-${JAVA_HOME:+$JAVA_HOME/bin/}java}"
BENCH_BIN_DIR="${RMQ_BIN_DIR:-${CARGO_TARGET_DIR:-$BENCH_ROOT/target}/release}"
BENCH_TOPIC="${BENCH_TOPIC:-BenchTopic}"     # not "BenchmarkTest": the official broker pre-creates that one with 1024 queues
BENCH_QUEUES="${BENCH_QUEUES:-8}"            # read = write queue count per master, the same on both brokers
BENCH_CLUSTER="DefaultCluster"

# JVM sizing for a 24 GiB, 2-core machine shared with the load generators (and other work):
# one broker gets 4 GiB of heap, each of the four brokers of the 2m-2s layout 2 GiB; name server
# 512 MiB; Producer and Consumer 1 GiB each. G1 flags as the official bin/runbroker.sh, but no
# -XX:+AlwaysPreTouch, so that RSS shows memory the broker really touched (the figure we compare).
BENCH_BROKER_HEAP_SINGLE="${BENCH_BROKER_HEAP_SINGLE:-4g}"
BENCH_BROKER_HEAP_CLUSTER="${BENCH_BROKER_HEAP_CLUSTER:-2g}"
BENCH_JVM_GC=(-XX:+UseG1GC -XX:G1HeapRegionSize=16m -XX:G1ReservePercent=25
  -XX:InitiatingHeapOccupancyPercent=30 -XX:SoftRefLRUPolicyMSPerMB=0 -XX:-OmitStackTraceInFastThrow
  -XX:-UseLargePages)

# --pin: command prefixes (taskset -c CPUS) for the broker processes and for everything else
# (name server, load generators); empty: not pinned. taskset execs the command, so $! stays its
# PID (sampling and stopping by PID keep working).
BENCH_PIN_BROKER=()
BENCH_PIN_LOAD=()

BENCH_PIDS=()      # every process we started, in start order
BENCH_DIRS=()      # temp dirs to remove on exit

bench_log() { printf '[bench %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
bench_die() { bench_log "ERROR: $*"; exit 1; }
now_ms() { date +%s%3N; }

# --- scenarios ----------------------------------------------------------------------------------
BENCH_SCENARIOS=(1k-async 1k-syncflush 128b-async batch32 2m2s-sync many-queues fanout)
# many-queues: producer client instances (each its own connections); lower it on a small machine.
BENCH_MQ_PRODUCERS="${BENCH_MQ_PRODUCERS:-1000}"

# Sets SC_SIZE SC_THREADS SC_FLUSH SC_BATCH SC_LAYOUT SC_ROLE SC_DESC, and for mqbench-only
# scenarios SC_TOPICS SC_PRODUCERS SC_GROUPS SC_MQBENCH_ONLY, for scenario $1.
scenario_set() {
  SC_NAME=$1 SC_SIZE=1024 SC_THREADS=32 SC_FLUSH=ASYNC_FLUSH SC_BATCH=1 SC_LAYOUT=single SC_ROLE=ASYNC_MASTER
  SC_TOPICS=1 SC_PRODUCERS=1 SC_GROUPS=1 SC_MQBENCH_ONLY=0
  case "$1" in
    1k-async) SC_DESC="1 KiB messages, sync send, 32 senders, ASYNC_FLUSH, one broker" ;;
    1k-syncflush) SC_FLUSH=SYNC_FLUSH; SC_DESC="1 KiB messages, sync send, 32 senders, SYNC_FLUSH, one broker" ;;
    128b-async) SC_SIZE=128; SC_DESC="128-byte messages, sync send, 32 senders, ASYNC_FLUSH, one broker" ;;
    batch32) SC_BATCH=32; SC_DESC="1 KiB messages in batches of 32 (BatchProducer), 32 senders, ASYNC_FLUSH, one broker" ;;
    2m2s-sync) SC_LAYOUT=2m2s SC_ROLE=SYNC_MASTER
      SC_DESC="1 KiB messages, sync send, 32 senders, ASYNC_FLUSH, 2 broker sets (SYNC_MASTER + one SLAVE each)" ;;
    many-queues) SC_TOPICS=1000 SC_PRODUCERS=$BENCH_MQ_PRODUCERS SC_MQBENCH_ONLY=1
      SC_DESC="1 KiB messages, sync send, 32 senders over 1,000 topics x $BENCH_QUEUES queues through $SC_PRODUCERS producer client instances (one consumer subscribing every topic), ASYNC_FLUSH, one broker; mqbench only" ;;
    fanout) SC_GROUPS=10 SC_MQBENCH_ONLY=1
      SC_DESC="1 KiB messages, sync send, 32 senders, one topic read by 10 consumer groups (consume TPS counts every group), ASYNC_FLUSH, one broker; mqbench only" ;;
    *) return 1 ;;
  esac
}

# --- ports --------------------------------------------------------------------------------------
# Prints a base port B such that B-2 .. B+N-1 are all free on 127.0.0.1 (B-2: the official
# broker's fast port; B+1: HA port).
free_port_block() {
  python3 - "$1" <<'PY'
import random, socket, sys
n = int(sys.argv[1])
for _ in range(500):
    base = random.randrange(20000, 60000 - n)
    try:
        for p in range(base - 2, base + n):
            with socket.socket() as s:   # the wildcard: free there means free on 127.0.0.1 too (HA binds it)
                s.bind(("0.0.0.0", p))
    except OSError:
        continue
    print(base); break
else:
    sys.exit("no free port block")
PY
}

wait_port() { # port [timeout_s] [pid]
  local port=$1 deadline=$(( $(date +%s) + ${2:-60} )) pid=${3:-}
  while (( $(date +%s) < deadline )); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
    if [[ -n "$pid" ]] && ! kill -0 "$pid" 2>/dev/null; then bench_log "process $pid exited before port $port opened"; return 1; fi
    sleep 0.2
  done
  bench_log "port $port not open after ${2:-60}s"; return 1
}

# --- process control ----------------------------------------------------------------------------
bench_track() { BENCH_PIDS+=("$1"); }
# Forgets a pid once it has been stopped (so that a reused pid is never signalled later).
bench_untrack() {
  local keep=() p
  for p in "${BENCH_PIDS[@]}"; do [[ "$p" == "$1" ]] || keep+=("$p"); done
  BENCH_PIDS=("${keep[@]}")
}

# Stops one process we started: SIGTERM, wait up to $2 s (default 20), then SIGKILL.
stop_pid() {
  local pid=$1 grace=${2:-20} i
  [[ -n "$pid" ]] || return 0
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for (( i = 0; i < grace * 5; i++ )); do
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    sleep 0.2
  done
  bench_log "pid $pid still alive after ${grace}s, SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
stop_tracked() { stop_pid "$1" "${2:-20}"; bench_untrack "$1"; }

bench_cleanup() {
  local i
  for (( i = ${#BENCH_PIDS[@]} - 1; i >= 0; i-- )); do stop_pid "${BENCH_PIDS[i]}" 10; done
  BENCH_PIDS=()
  for d in "${BENCH_DIRS[@]}"; do [[ -n "$d" && -d "$d" ]] && rm -rf "$d"; done
  BENCH_DIRS=()
}

# --- configs (one properties file per broker, used as-is by both brokers) ------------------------
write_namesrv_conf() { # file port workdir
  printf 'listenPort=%s\nbindAddress=127.0.0.1\nkvConfigPath=%s/namesrv/kvConfig.json\n' "$2" "$3" > "$1"
}

write_broker_conf() { # file brokerName brokerId role flush port store namesrvAddr
  cat > "$1" <<CONF
brokerClusterName=$BENCH_CLUSTER
brokerName=$2
brokerId=$3
brokerRole=$4
flushDiskType=$5
brokerIP1=127.0.0.1
brokerIP2=127.0.0.1
bindAddress=127.0.0.1
listenPort=$6
haListenPort=$(( $6 + 1 ))
storePathRootDir=$7
namesrvAddr=$8
mappedFileSizeCommitLog=1073741824
autoCreateTopicEnable=true
autoCreateSubscriptionGroup=true
defaultTopicQueueNums=$BENCH_QUEUES
deleteWhen=04
fileReservedTime=72
CONF
  # Extra lines (BENCH_BROKER_EXTRA, set per side by scripts/bench-ab.sh --a-extra/--b-extra), `\n`-separated.
  if [[ -n "${BENCH_BROKER_EXTRA:-}" ]]; then printf '%b\n' "$BENCH_BROKER_EXTRA" >> "$1"; fi
}

# --- official servers (java -cp, Maven Central artifacts) ------------------------------------------
ensure_official_classpath() {
  if [[ ! -d "$BENCH_OFFICIAL_DIR/target/lib" || ! -f "$BENCH_OFFICIAL_DIR/target/classes/rmqrs/bench/Probe.class" \
        || "$BENCH_OFFICIAL_DIR/pom.xml" -nt "$BENCH_OFFICIAL_DIR/target/lib" ]]; then
    bench_log "resolving official RocketMQ artifacts (mvn package in bench/official)"
    (cd "$BENCH_OFFICIAL_DIR" && mvn -q -B package) || bench_die "mvn package in bench/official failed"
    touch "$BENCH_OFFICIAL_DIR/target/lib"
  fi
}

# Runs a JVM in the background with the official classpath; home dir ($1) keeps its logs.
# Usage: java_bg HOME LOG JVM_OPTS... -- MAIN ARGS...   Sets LAST_PID (and tracks it).
# (Functions that start processes set LAST_PID rather than print it: a $(...) subshell would
# orphan the process from this shell.)
java_bg() {
  local home=$1 log=$2; shift 2
  local opts=()
  while [[ $# -gt 0 && "$1" != "--" ]]; do opts+=("$1"); shift; done
  shift
  mkdir -p "$home"
  local -a pin=("${BENCH_PIN_LOAD[@]}")
  [[ "${JAVA_BG_BROKER:-0}" == 1 ]] && pin=("${BENCH_PIN_BROKER[@]}")
  TZ=UTC ROCKETMQ_HOME="$home" "${pin[@]}" "$BENCH_JAVA" "${opts[@]}" -Duser.home="$home" -cp "$BENCH_CP" "$@" > "$log" 2>&1 &
  LAST_PID=$!
  bench_track "$LAST_PID"
}

start_official_namesrv() { # workdir port -> LAST_PID
  write_namesrv_conf "$1/namesrv.conf" "$2" "$1"
  java_bg "$1/home-namesrv" "$1/namesrv.out" -server -Xms512m -Xmx512m "${BENCH_JVM_GC[@]}" -- \
    org.apache.rocketmq.namesrv.NamesrvStartup -c "$1/namesrv.conf"
}

start_official_broker() { # workdir conf name heap -> LAST_PID
  local heap=$4 young JAVA_BG_BROKER=1
  young=$(( ${heap%g} * 1024 / 2 ))m
  java_bg "$1/home-$3" "$1/broker-$3.out" -server "-Xms$heap" "-Xmx$heap" "-Xmn$young" \
    "${BENCH_JVM_GC[@]}" -XX:MaxDirectMemorySize=2g -- \
    org.apache.rocketmq.broker.BrokerStartup -c "$2"
}

# --- our servers (Rust binaries; same properties files) ----------------------------------------
ensure_our_binaries() {
  if [[ ! -x "$BENCH_BIN_DIR/mqnamesrv" || ! -x "$BENCH_BIN_DIR/mqbroker" || "${BENCH_BUILD:-1}" == 1 ]]; then
    bench_log "building our binaries: cargo build --release -p mqnamesrv -p mqbroker -p mqbench"
    (cd "$BENCH_ROOT" && cargo build --release -q -p mqnamesrv -p mqbroker -p mqbench) || bench_die "cargo build failed"
  fi
  [[ -x "$BENCH_BIN_DIR/mqnamesrv" && -x "$BENCH_BIN_DIR/mqbroker" ]] || bench_die "no mqnamesrv/mqbroker in $BENCH_BIN_DIR"
}

start_ours_namesrv() { # workdir port -> LAST_PID
  write_namesrv_conf "$1/namesrv.conf" "$2" "$1"
  mkdir -p "$1/logs-namesrv"
  ROCKETMQ_LOG_DIR="$1/logs-namesrv" "${BENCH_PIN_LOAD[@]}" "$BENCH_BIN_DIR/mqnamesrv" -c "$1/namesrv.conf" > "$1/namesrv.out" 2>&1 &
  LAST_PID=$!
  bench_track "$LAST_PID"
}

start_ours_broker() { # workdir conf name -> LAST_PID
  mkdir -p "$1/logs-$3"
  ROCKETMQ_LOG_DIR="$1/logs-$3" "${BENCH_PIN_BROKER[@]}" "$BENCH_BIN_DIR/mqbroker" -c "$2" > "$1/broker-$3.out" 2>&1 &
  LAST_PID=$!
  bench_track "$LAST_PID"
}

# --- a whole layout --------------------------------------------------------------------------
# Starts name server + brokers of layout $SC_LAYOUT for target $1 (official|ours) in workdir $2.
# Sets NS_ADDR, MASTER_ADDRS (array), BROKER_ROLES (array "name:pid"), SERVER_PIDS.
start_servers() {
  local target=$1 work=$2 base ns_port heap i
  local -a names=() ids=() roles=()
  case "$SC_LAYOUT" in
    single) names=(broker-a); ids=(0); roles=("$SC_ROLE"); heap=$BENCH_BROKER_HEAP_SINGLE ;;
    2m2s) names=(broker-a broker-b broker-a-s broker-b-s); ids=(0 0 1 1)
          roles=("$SC_ROLE" "$SC_ROLE" SLAVE SLAVE); heap=$BENCH_BROKER_HEAP_CLUSTER ;;
  esac
  base=$(free_port_block $(( 8 + 10 * ${#names[@]} ))) || bench_die "no free ports"
  ns_port=$base
  NS_ADDR="127.0.0.1:$ns_port"
  MASTER_ADDRS=() BROKER_ROLES=() SERVER_PIDS=()
  if [[ $target == official ]]; then start_official_namesrv "$work" "$ns_port"; else start_ours_namesrv "$work" "$ns_port"; fi
  SERVER_PIDS+=("$LAST_PID")
  wait_port "$ns_port" 60 "$LAST_PID" || { tail -20 "$work/namesrv.out" >&2; return 1; }
  for i in "${!names[@]}"; do
    local port=$(( base + 10 * (i + 1) ))
    local conf="$work/${names[i]}.properties" bname=${names[i]%-s}
    write_broker_conf "$conf" "$bname" "${ids[i]}" "${roles[i]}" "$SC_FLUSH" "$port" "$work/store-${names[i]}" "$NS_ADDR"
    if [[ $target == official ]]; then start_official_broker "$work" "$conf" "${names[i]}" "$heap"
    else start_ours_broker "$work" "$conf" "${names[i]}"; fi
    SERVER_PIDS+=("$LAST_PID")
    BROKER_ROLES+=("${names[i]}:$LAST_PID")
    [[ ${ids[i]} == 0 ]] && MASTER_ADDRS+=("127.0.0.1:$port")
  done
  for i in "${!names[@]}"; do
    wait_port $(( base + 10 * (i + 1) )) 120 "${BROKER_ROLES[i]#*:}" || { tail -20 "$work/broker-${names[i]}.out" >&2; return 1; }
  done
}

# Creates the benchmark topic with the same layout on every master (mqadmin updateTopic -b addr).
# Falls back to auto-creation (defaultTopicQueueNums=$BENCH_QUEUES) if the broker refuses.
# SC_TOPICS > 1: mqbench topics creates $BENCH_TOPIC_0 .. on every master of the cluster.
create_topic() { # workdir
  local addr try ok
  if [[ "${BENCH_BROKER_EXTRA:-}" == *aclEnable=true* ]]; then # the Java tool signs with conf/tools.yml
    mkdir -p "$1/home-admin/conf"
    printf 'accessKey: %s\nsecretKey: %s\n' "${BENCH_TOOLS_ACCESS_KEY:-benchAdmin}" \
      "${BENCH_TOOLS_SECRET_KEY:-benchAdmin123}" > "$1/home-admin/conf/tools.yml"
  fi
  if (( ${SC_TOPICS:-1} > 1 )); then
    "$BENCH_BIN_DIR/mqbench" topics -n "$NS_ADDR" -c "$BENCH_CLUSTER" -t "$BENCH_TOPIC" \
      --count "$SC_TOPICS" -q "$BENCH_QUEUES" > "$1/admin.out" 2>&1 || { bench_log "mqbench topics failed"; tail -5 "$1/admin.out" >&2; }
    bench_log "$(tail -1 "$1/admin.out")"
    sleep 2
    return
  fi
  for addr in "${MASTER_ADDRS[@]}"; do
    ok=0
    for try in 1 2 3 4 5; do
      if timeout 60 env TZ=UTC ROCKETMQ_HOME="$1/home-admin" "$BENCH_JAVA" -Xmx256m -Duser.home="$1/home-admin" -cp "$BENCH_CP" \
           org.apache.rocketmq.tools.command.MQAdminStartup updateTopic -n "$NS_ADDR" -b "$addr" \
           -t "$BENCH_TOPIC" -r "$BENCH_QUEUES" -w "$BENCH_QUEUES" > "$1/admin.out" 2>&1 \
         && grep -q 'create topic to .* success' "$1/admin.out"; then ok=1; break; fi
      sleep 1
    done
    if (( ok )); then bench_log "topic $BENCH_TOPIC ($BENCH_QUEUES queues) created on $addr"
    else bench_log "WARNING: updateTopic on $addr failed (see admin.out); relying on auto-creation"; grep -v '|-' "$1/admin.out" | tail -5 >&2; fi
  done
  sleep 2   # let the brokers' route registration reach the name server
}

# --- load generators -------------------------------------------------------------------------
# Official benchmark Consumer (all messages of the topic, 20 consume threads, a line every second).
start_official_consumer() { # workdir log -> LAST_PID
  java_bg "$1/home-consumer" "$2" -server -Xms1g -Xmx1g -- \
    org.apache.rocketmq.example.benchmark.Consumer -n "$NS_ADDR" -t "$BENCH_TOPIC" -w 20 -ri 1000
}

# Official benchmark Producer / BatchProducer, run through rmqrs.bench.Probe (send latency percentiles).
start_official_producer() { # workdir log warmup_ms -> LAST_PID
  local main=org.apache.rocketmq.example.benchmark.Producer extra=()
  if (( SC_BATCH > 1 )); then main=org.apache.rocketmq.example.benchmark.BatchProducer; extra=(-b "$SC_BATCH"); fi
  export PROBE_WARMUP_MS=$3
  java_bg "$1/home-producer" "$2" -server -Xms1g -Xmx1g -- \
    rmqrs.bench.Probe "$main" -n "$NS_ADDR" -t "$BENCH_TOPIC" -w "$SC_THREADS" -s "$SC_SIZE" "${extra[@]}" -ri 1000
}

# ==== mqbench: our own load tool (bins/mqbench), targets "ours-mqbench" and "official-mqbench" ===
# Its output follows the official tools' formats (bins/mqbench/src/stats.rs), so analyze.py reads
# it the same way: producer "Current Time: ... | Send TPS: N | [Send MPS: N |] Max RT(ms): N |
# Average RT(ms): F | ..." every second (10 s window, UTC), "[probe] ..." every second,
# "[probe-reset] ts=EPOCH_MS" when the warm-up ends (--warmup-ms after the first send), and
# "[probe-total] since=.. until=.. sends=.. nonok=.. pending=.. avgus=.. p50us=.. ..." on SIGTERM;
# consumer "Current Time: ... | Consume TPS: N | AVG(B2C) RT(ms): F | AVG(S2C) RT(ms): F | ...".
# Same load as the official tools: one consumer with 20 listener threads started 3 s before the
# producer, SC_THREADS concurrent sync senders, SC_SIZE-byte bodies, SC_BATCH per batch.
mqbench_available() { [[ -x "$BENCH_BIN_DIR/mqbench" ]]; }
start_mqbench() { # workdir producer_log consumer_log warmup_ms -> sets MQB_PRODUCER_PID MQB_CONSUMER_PID
  local bin="$BENCH_BIN_DIR/mqbench"
  [[ -x "$bin" ]] || { bench_log "no $bin: target ours-mqbench skipped"; return 2; }
  # Extra mqbench arguments (BENCH_MQBENCH_EXTRA, per side by scripts/bench-ab.sh --a/--b-bench-extra).
  local -a extra; read -r -a extra <<< "${BENCH_MQBENCH_EXTRA:-}"
  "${BENCH_PIN_LOAD[@]}" "$bin" consumer -n "$NS_ADDR" -t "$BENCH_TOPIC" -g benchmark_consumer -w 20 -d 0 "${extra[@]}" \
    --topics "${SC_TOPICS:-1}" --groups "${SC_GROUPS:-1}" --json "$1/consumer-summary.json" > "$3" 2>&1 &
  MQB_CONSUMER_PID=$!; bench_track "$MQB_CONSUMER_PID"
  sleep $(( 3 + ${SC_GROUPS:-1} / 5 ))
  "${BENCH_PIN_LOAD[@]}" "$bin" producer -n "$NS_ADDR" -t "$BENCH_TOPIC" -w "$SC_THREADS" -s "$SC_SIZE" -b "$SC_BATCH" -d 0 "${extra[@]}" \
    --topics "${SC_TOPICS:-1}" --producers "${SC_PRODUCERS:-1}" \
    --warmup-ms "$4" --json "$1/producer-summary.json" > "$2" 2>&1 &
  MQB_PRODUCER_PID=$!; bench_track "$MQB_PRODUCER_PID"
}
# ===============================================================================================
