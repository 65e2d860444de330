#!/usr/bin/env bash
# Regenerates the codec vectors of the JSON request bodies that official clients send
# (crates/remoting/tests/vectors/bodies/{java-4.9,java-5.5,go-v2}/ and their MANIFEST.md lines).
# Not part of CI: run it by hand after a client upgrade and review the diff.
#
# Usage: tests/compat/capture-vectors.sh [java-4.9] [java-5.5] [go-v2] [broker-5.5]   (default: all)
#
#   java-4.9, java-5.5  tests/compat/java CaptureBodies (profiles rmq4 = 4.9.8, rmq5 = 5.5.0): every
#                       client role and admin call with a JSON body
#   go-v2               tests/compat/go/capture (the Go client of tests/compat/go/go.mod), its
#                       broker-initiated calls triggered by CaptureBodies' poke mode
#   broker-5.5          the official 5.5.0 broker (bench/official, Maven Central) registering with
#                       our name server: REGISTER_BROKER (one new topic, then the full periodic one once
#                       forceRegister is switched on), QUERY_DATA_VERSION (family broker-java-5.5)
#
# How: our name server and broker listen on 127.0.0.2 (the broker registers 127.0.0.1:PORT), and
# rmq-capture forwards 127.0.0.1:PORT -> 127.0.0.2:PORT and writes every frame with a body; then
# capture_vectors.py keeps the client's JSON bodies. Everything runs in a private network
# namespace (unshare -n: loopback only, fixed ports; the official broker's HA port binds the
# wildcard address), after the builds, which need the registries, ran outside it.
# Our servers run at RUST_LOG=debug; the end of the run lists every request they refused
# ("request failed" lines) and writes them to $WORK/refused.txt.
#
# Env: KEEP_CAPTURE_DIR=1 keeps the work dir (captures, our servers' logs, the Java clients' logs
# under home-rmq4/ and home-rmq5/); MVN_ARGS=-o for offline Maven.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
COMPAT="$ROOT/tests/compat"
VEC="$ROOT/crates/remoting/tests/vectors/bodies"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
NS_PORT=9876 BROKER_PORT=10911 OFFICIAL_PORT=10921
say() { echo "== $*"; }

if [[ "${1:-}" != __inside ]]; then
  FAMILIES="${*:-java-4.9 java-5.5 go-v2 broker-5.5}"
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/rmq-capture.XXXXXX")
  say "work dir $WORK"
  say "building our servers and rmq-capture"
  (cd "$ROOT" && cargo build -q -p mqnamesrv -p mqbroker -p rmq-tests --bin rmq-capture)
  # Each profile compiles into the same target/: delete its classes first (the compiler does not see a changed
  # classpath as stale, and `var` bakes the version's return types into the class files), then keep
  # a copy of each one's classes.
  read -r -a mvn_args <<< "${MVN_ARGS:-}"
  for profile in rmq4 rmq5; do
    say "building tests/compat/java ($profile)"
    rm -rf "$COMPAT/java/target/classes" "$COMPAT/java/target/maven-status"
    mvn -B -q "${mvn_args[@]}" -f "$COMPAT/java/pom.xml" -P "$profile" -DskipTests compile
    mkdir -p "$WORK/java-$profile"
    cp -r "$COMPAT/java/target/classes" "$WORK/java-$profile/classes"
    cp "$COMPAT/java/target/classpath.txt" "$WORK/java-$profile/"
  done
  say "building tests/compat/go/capture"
  (cd "$COMPAT/go" && go build -o "$WORK/gocap" ./capture)
  if [[ " $FAMILIES " == *" broker-5.5 "* ]]; then
    say "resolving the official broker (bench/official)"
    (cd "$ROOT/bench/official" && mvn -B -q "${mvn_args[@]}" package -DskipTests)
  fi
  export WORK FAMILIES TARGET
  set +e
  unshare -n bash "$0" __inside
  rc=$?
  if [[ "${KEEP_CAPTURE_DIR:-0}" == 1 ]]; then say "kept $WORK"; else rm -rf "$WORK"; fi
  exit $rc
fi

# ---- inside the private network namespace ------------------------------------------------------
ip link set lo up
PIDS=()
stop_all() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap stop_all EXIT
wait_port() { # host port [tries]
  for _ in $(seq 1 "${3:-300}"); do (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null && return 0; sleep 0.1; done
  echo "$1:$2 did not open" >&2; return 1
}
wait_line() { # file regexp seconds
  for _ in $(seq 1 $(( $3 * 2 ))); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.5; done
  return 1
}

say "starting our name server 127.0.0.2:$NS_PORT and broker 127.0.0.2:$BROKER_PORT (RUST_LOG=debug)"
printf 'listenPort=%s\nbindAddress=127.0.0.2\nkvConfigPath=%s/kv.json\n' "$NS_PORT" "$WORK" > "$WORK/ns.conf"
cat > "$WORK/broker.conf" <<CONF
brokerName=broker-a
brokerId=0
brokerRole=ASYNC_MASTER
brokerIP1=127.0.0.1
bindAddress=127.0.0.2
listenPort=$BROKER_PORT
fastListenEnable=false
namesrvAddr=127.0.0.2:$NS_PORT
storePathRootDir=$WORK/store
mappedFileSizeCommitLog=67108864
autoCreateTopicEnable=true
autoCreateSubscriptionGroup=true
CONF
RUST_LOG=debug ROCKETMQ_LOG_DIR="$WORK/logs/ns" "$TARGET/debug/mqnamesrv" -c "$WORK/ns.conf" > "$WORK/ns.out" 2>&1 &
PIDS+=($!)
wait_port 127.0.0.2 "$NS_PORT"
RUST_LOG=debug ROCKETMQ_LOG_DIR="$WORK/logs/broker" "$TARGET/debug/mqbroker" -c "$WORK/broker.conf" > "$WORK/broker.out" 2>&1 &
PIDS+=($!)
wait_port 127.0.0.2 "$BROKER_PORT"
sleep 2

NS="127.0.0.1:$NS_PORT" BROKER="127.0.0.1:$BROKER_PORT"
PROXY_PID=""
start_proxy() { # capture dir
  "$TARGET/debug/rmq-capture" --map "$NS=127.0.0.2:$NS_PORT" --map "$BROKER=127.0.0.2:$BROKER_PORT" \
    --out "$1" > "$1.proxy.log" 2>&1 &
  PROXY_PID=$!
  PIDS+=("$PROXY_PID")
  wait_port 127.0.0.1 "$NS_PORT"
  wait_port 127.0.0.1 "$BROKER_PORT"
}
stop_proxy() { kill "$PROXY_PID" 2>/dev/null || true; wait "$PROXY_PID" 2>/dev/null || true; }
capture_bodies() { # seconds profile args...: runs rmqrs.compat.CaptureBodies, bounded in time
  local secs=$1 p=$2; shift 2
  # user.home: the client's own logs (rocketmqlogs/) stay in the work dir
  timeout "$secs" java -Duser.home="$WORK/home-$p" -cp "$WORK/java-$p/classes:$(cat "$WORK/java-$p/classpath.txt")" \
    rmqrs.compat.CaptureBodies "$@"
}
classify() { # capture dir, family, language, produced by, regexp of the vector files it replaces
  python3 "$COMPAT/capture_vectors.py" "$1" "$2" "$3" "$4" "$VEC/$2" "$VEC/MANIFEST.md" "$5"
}
ALL_VECTORS='.'

GO_CLIENT=$(sed -n 's|^require github.com/apache/rocketmq-client-go/v2 ||p' "$COMPAT/go/go.mod")
status=0

for family in $FAMILIES; do
  cap="$WORK/cap-$family"
  case $family in
    java-4.9|java-5.5)
      profile=rmq4; [[ $family == java-5.5 ]] && profile=rmq5
      version=$(grep -A8 "<id>$profile</id>" "$COMPAT/java/pom.xml" | sed -n 's|.*<rocketmq.version>\(.*\)</rocketmq.version>.*|\1|p' | head -1)
      say "[$family] official Java client $version: CaptureBodies"
      start_proxy "$cap"
      capture_bodies 240 "$profile" java "$NS" "$BROKER" > "$WORK/$family.out" 2>&1 || { say "[$family] CaptureBodies exited $?"; status=1; }
      stop_proxy
      grep -E '^(STEP|received|poke)' "$WORK/$family.out" || true
      classify "$cap" "$family" JAVA "Java client $version (tests/compat/java CaptureBodies)" "$ALL_VECTORS" || status=1
      ;;
    go-v2)
      say "[$family] official Go client $GO_CLIENT: tests/compat/go/capture"
      start_proxy "$cap"
      CAPTURE_WAIT_FILE="$WORK/poke.done" timeout 240 "$WORK/gocap" "$NS" "$BROKER" > "$WORK/go.out" 2>&1 &
      gopid=$!
      PIDS+=("$gopid")
      if wait_line "$WORK/go.out" '^READY' 120; then
        while read -r _ group topic msgid; do
          say "[$family] poke $group"
          # shellcheck disable=SC2086 # no message id: no argument
          capture_bodies 120 rmq4 poke "$NS" "$BROKER" "$group" "$topic" $msgid >> "$WORK/go-poke.out" 2>&1 || status=1
        done < <(grep '^POKE ' "$WORK/go.out")
      else
        say "[$family] the Go program never got READY"; status=1
      fi
      touch "$WORK/poke.done"
      wait "$gopid" || { say "[$family] capture program exited $?"; status=1; }
      stop_proxy
      grep -E '^(STEP|received)' "$WORK/go.out" || true
      grep -E '^(STEP|poke)' "$WORK/go-poke.out" || true
      classify "$cap" "$family" GO "Go client $GO_CLIENT (tests/compat/go/capture; loopback-only namespace, so its clientID has no IP: @instance)" "$ALL_VECTORS" || status=1
      ;;
    broker-5.5)
      say "[$family] official broker 5.5.0 registering with our name server through the proxy"
      start_proxy "$cap"
      cat > "$WORK/official.conf" <<CONF
brokerClusterName=DefaultCluster
brokerName=official-broker
brokerId=0
brokerRole=ASYNC_MASTER
brokerIP1=127.0.0.1
brokerIP2=127.0.0.1
bindAddress=127.0.0.1
listenPort=$OFFICIAL_PORT
haListenPort=$(( OFFICIAL_PORT + 1 ))
storePathRootDir=$WORK/official-store
namesrvAddr=$NS
mappedFileSizeCommitLog=67108864
forceRegister=false
registerNameServerPeriod=10000
CONF
      mkdir -p "$WORK/official-home"
      TZ=UTC ROCKETMQ_HOME="$WORK/official-home" java -Xms1g -Xmx1g -XX:MaxDirectMemorySize=1g \
        -Duser.home="$WORK/official-home" -cp "$ROOT/bench/official/target/classes:$ROOT/bench/official/target/lib/*" \
        org.apache.rocketmq.broker.BrokerStartup -c "$WORK/official.conf" > "$WORK/official.out" 2>&1 &
      opid=$!
      PIDS+=("$opid")
      if wait_port 127.0.0.1 "$OFFICIAL_PORT" 600; then
        sleep 3
        # A new topic changes the data version: a REGISTER_BROKER after QUERY_DATA_VERSION says so.
        capture_bodies 60 rmq5 topic "$NS" "127.0.0.1:$OFFICIAL_PORT" > "$WORK/official-topic.out" 2>&1 || status=1
        grep STEP "$WORK/official-topic.out" || true
        sleep 15
      else
        say "[$family] the official broker did not start"; tail -20 "$WORK/official.out"; status=1
      fi
      kill "$opid" 2>/dev/null || true
      wait "$opid" 2>/dev/null || true
      stop_proxy
      classify "$cap" broker-java-5.5 JAVA "official broker 5.5.0 (bench/official BrokerStartup, forceRegister=false, registerNameServerPeriod=10000)" "$ALL_VECTORS" || status=1
      ;;
    *) say "unknown family $family"; status=1 ;;
  esac
done

say "requests our servers refused (RUST_LOG=debug 'request failed' and body errors)"
grep -hiE 'request failed|invalid request body|invalid body|cannot decode|unknown variant|invalid type' \
  "$WORK/ns.out" "$WORK/broker.out" | sed 's/\x1b\[[0-9;]*m//g' | sort | uniq -c | sort -rn | tee "$WORK/refused.txt" | head -50 || true
exit $status
