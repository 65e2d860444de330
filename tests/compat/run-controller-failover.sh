#!/usr/bin/env bash
# Controller-mode failover under the official Java client (issue #25).
#
# Starts, through the user-facing scripts and on free loopback ports, three mqcontroller (one Raft
# group), a name server and a broker set of three replicas in controller mode (SYNC_MASTER,
# inSyncReplicas=2). The official 5.x remoting producer (ControllerFailover in tests/compat/java)
# sends synchronously at a steady rate; KILLS times this runner waits until all three replicas are
# in the SyncStateSet, kills the master with SIGKILL, waits for the controllers to name another,
# restarts the old master (same store) and waits until it is back in the SyncStateSet as a slave.
# Then the driver prints, per kill, the time until writes resumed (the first SEND_OK of a send
# begun after the kill) with median and max, and checks that a new consumer group reads every
# message acknowledged with SEND_OK, with the msgId the send returned.
#
# Usage: tests/compat/run-controller-failover.sh           (2 kills: CI)
#        KILLS=20 tests/compat/run-controller-failover.sh  (the measurement in docs/performance.md)
# Env:   KILLS (default 2), MVN_ARGS (e.g. -o), FAILOVER_EXTRA_CONF (extra broker.conf lines),
#        COMPAT_KEEP_LOGS (copy the work dir there on failure), CARGO_TARGET_DIR.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=cluster.sh
. "$HERE/cluster.sh"
KILLS="${KILLS:-2}"
read -r -a MVN_EXTRA <<<"${MVN_ARGS:-}"
compat_workdir
say() { printf 'controller-failover [%ss]: %s\n' "$SECONDS" "$*"; }

say "building our binaries"
compat_build -p mqcontroller -p mqnamesrv -p mqbroker -p mqadmin
say "building tests/compat/java (profile rmq5)"
if ! mvn -B -q -Dstyle.color=never "${MVN_EXTRA[@]}" -f "$HERE/java/pom.xml" -P rmq5 -DskipTests compile \
    > "$WORK/mvn.log" 2>&1; then
  cat "$WORK/mvn.log"
  exit 1
fi
CP="$HERE/java/target/classes:$(cat "$HERE/java/target/classpath.txt")"
export RMQ_BIN_DIR="$TARGET/debug"
MQADMIN="$TARGET/debug/mqadmin"

# Three controllers.
CTL_PORTS=()
for i in 0 1 2; do CTL_PORTS+=("$(free_port)"); done
PEERS="n0-127.0.0.1:${CTL_PORTS[0]};n1-127.0.0.1:${CTL_PORTS[1]};n2-127.0.0.1:${CTL_PORTS[2]}"
CONTROLLERS="127.0.0.1:${CTL_PORTS[0]};127.0.0.1:${CTL_PORTS[1]};127.0.0.1:${CTL_PORTS[2]}"
for i in 0 1 2; do
  cat > "$WORK/controller-n$i.conf" <<CONF
listenPort=${CTL_PORTS[$i]}
controllerDLegerGroup=group1
controllerDLegerPeers=$PEERS
controllerDLegerSelfId=n$i
controllerStorePath=$WORK/controller-n$i
enableElectUncleanMaster=false
notifyBrokerRoleChanged=true
CONF
  RMQ_RUN_DIR="$WORK/run/ctl-$i" ROCKETMQ_LOG_DIR="$WORK/logs/ctl-$i" \
    sh "$ROOT/scripts/mqcontroller" -c "$WORK/controller-n$i.conf" > "$WORK/controller-n$i.out" 2>&1 &
  PIDS+=($!)
done
for p in "${CTL_PORTS[@]}"; do wait_port "$p"; done

# Prints the SyncStateSet of broker-f as our mqadmin shows it (empty when no controller answers).
sync_state() { "$MQADMIN" getSyncStateSet -a "$CONTROLLERS" -b broker-f 2>/dev/null || true; }
master_addr() { sync_state | awk -F'\t' '/^#MasterAddr/ {print $2}'; }
in_sync_count() { sync_state | grep -c "^InSyncReplica:" || true; }
# Waits (up to $2 s) until the command in $1 succeeds.
wait_until() {
  local what=$1 secs=$2 i
  for i in $(seq 1 $((secs * 2))); do
    if eval "$3"; then return 0; fi
    sleep 0.5
  done
  say "timed out after ${secs}s waiting for $what"
  compat_failed "controller failover" "$WORK"/controller-n*.out "$WORK"/driver.out
}

# A name server and the broker set broker-f.
NS_PORT=$(free_port)
printf 'listenPort=%s\nbindAddress=127.0.0.1\nkvConfigPath=%s/kv.json\n' "$NS_PORT" "$WORK" > "$WORK/ns.conf"
RMQ_RUN_DIR="$WORK/run/ns" ROCKETMQ_LOG_DIR="$WORK/logs/ns" sh "$ROOT/scripts/mqnamesrv" -c "$WORK/ns.conf" \
  > "$WORK/ns.out" 2>&1 &
PIDS+=($!)
wait_port "$NS_PORT"
NS="127.0.0.1:$NS_PORT"
BPORTS=()
BPID=()
for i in 0 1 2; do
  BPORTS+=("$(free_port_pair)")
  cat > "$WORK/broker-f-$i.conf" <<CONF
brokerClusterName=FailoverCluster
brokerName=broker-f
brokerIP1=127.0.0.1
bindAddress=127.0.0.1
listenPort=${BPORTS[$i]}
fastListenEnable=false
namesrvAddr=$NS
storePathRootDir=$WORK/store-f-$i
mappedFileSizeCommitLog=67108864
maxHashSlotNum=50000
maxIndexNum=200000
enableControllerMode=true
controllerAddr=$CONTROLLERS
inSyncReplicas=2
minInSyncReplicas=1
allAckInSyncStateSet=false
syncBrokerMetadataPeriod=1000
checkSyncStateSetPeriod=1000
controllerHeartBeatTimeoutMills=3000
${FAILOVER_EXTRA_CONF:-}
CONF
done
start_broker() { # index
  RMQ_RUN_DIR="$WORK/run/broker-$1" ROCKETMQ_LOG_DIR="$WORK/logs/broker-$1" \
    sh "$ROOT/scripts/mqbroker" -c "$WORK/broker-f-$1.conf" >> "$WORK/broker-f-$1.out" 2>&1 &
  PIDS+=($!)
  BPID[$1]=$!
}
wait_until "a controller leader" 60 '"$MQADMIN" getControllerMetaData -a "127.0.0.1:${CTL_PORTS[0]}" 2>/dev/null | grep -q "^#ControllerLeaderAddress.127"'
start_broker 0
sleep 0.5 # replica 0 asks first and becomes the first master
start_broker 1
start_broker 2
wait_until "three replicas in the SyncStateSet" 90 '[[ $(in_sync_count) -eq 3 ]]'

mkdir -p "$WORK/driver"
say "brokers up; starting the official producer (rocketmq-client 5.5.0)"
java -cp "$CP" rmqrs.compat.ControllerFailover "$NS" broker-f "$WORK/driver" > "$WORK/driver.out" 2>&1 &
DRIVER=$!
PIDS+=("$DRIVER")
wait_until "the first 100 SEND_OKs" 90 '[[ -e "$WORK/driver/ready" ]]'
sleep 11 # the slaves copy the new topic's config (metadata sync every 10 s)

index_of() { local i; for i in 0 1 2; do if [[ "127.0.0.1:${BPORTS[$i]}" == "$1" ]]; then echo "$i"; fi; done; }
for k in $(seq 1 "$KILLS"); do
  wait_until "three replicas in the SyncStateSet" 120 '[[ $(in_sync_count) -eq 3 ]]'
  sleep 2 # steady load before the kill
  old=$(master_addr)
  idx=$(index_of "$old")
  [[ -n "$idx" ]] || { say "master $old is none of ours"; compat_failed "controller failover"; }
  kill -9 "${BPID[$idx]}"
  wait "${BPID[$idx]}" 2>/dev/null || true
  # Taken once the master is reaped: a send begun earlier may still have been acknowledged.
  date +%s%3N >> "$WORK/driver/kills"
  wait_until "a new master after killing $old" 60 'm=$(master_addr); [[ -n "$m" && "$m" != "$old" && "$m" != null ]]'
  say "kill $k/$KILLS: master $old killed, $(master_addr) elected"
  sleep 3 # writes resume on the new master before the old one comes back
  start_broker "$idx"
  wait_until "the old master back in the SyncStateSet" 120 'sync_state | grep -q "^InSyncReplica:.*brokerAddress=.$old."'
  now=$(master_addr)
  [[ "$now" != "$old" ]] || { say "the old master $old became master again"; compat_failed "controller failover"; }
  say "kill $k/$KILLS: $old rejoined as a slave of $now"
done

sleep 2
touch "$WORK/driver/stop"
rc=0
wait "$DRIVER" || rc=$?
grep -E "^(sends by status|KILL|FAILOVER|acknowledged|missing|never sent|RESULT)" "$WORK/driver.out" || true
if [[ $rc -ne 0 ]]; then
  tail -30 "$WORK/driver.out"
  compat_failed "controller failover" "$WORK"/controller-n*.out
fi
say "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
say "passed ($KILLS kills)"
