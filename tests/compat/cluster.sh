# Sourced by the compatibility runners: starts our name server and two broker sets, each a
# master and a slave (broker-a, broker-b), on free loopback ports with stores under $WORK,
# through the user-facing scripts. Needs: ROOT, TARGET, WORK, and a PIDS array the caller's trap
# kills (tests/compat/lib.sh sets them up; its compat_build marks the servers built). Exports NAMESRV_ADDR, BROKER_ADDR (broker-a's master), BROKER_A_MASTER_PID,
# BROKER_A_MASTER_ADDR, BROKER_A_SLAVE_ADDR.
# Extra broker config lines: CLUSTER_EXTRA_CONF; extra name server lines: CLUSTER_NS_EXTRA_CONF; broker sets: CLUSTER_SETS (default "a b"). With CLUSTER_FAILOVER=1 a third set, broker-c,
# starts too, for a scenario that kills its master: FAILOVER_MASTER_PID / _ADDR, and
# ensure_failover_master restarts that master when it is down.

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
# A port whose successor (the HA port) is free too.
free_port_pair() {
  python3 - <<'PY'
import socket
for _ in range(100):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]
    try:
        t = socket.socket(); t.bind(("127.0.0.1", p + 1)); t.close(); s.close(); print(p); break
    except OSError:
        s.close()
PY
}
wait_port() { for _ in $(seq 1 200); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; echo "port $1 did not open" >&2; return 1; }

start_cluster() {
  [[ "${COMPAT_SERVERS_BUILT:-0}" == 1 ]] || (cd "$ROOT" && CARGO_TARGET_DIR="$TARGET" cargo build -q -p mqnamesrv -p mqbroker)
  local ns_port; ns_port=$(free_port)
  printf 'listenPort=%s\nbindAddress=127.0.0.1\nkvConfigPath=%s/kv.json\n%s\n' "$ns_port" "$WORK" "${CLUSTER_NS_EXTRA_CONF:-}" > "$WORK/ns.conf"
  export RMQ_BIN_DIR="$TARGET/debug" RMQ_RUN_DIR="$WORK/run" ROCKETMQ_LOG_DIR="$WORK/logs"
  sh "$ROOT/scripts/mqnamesrv" -c "$WORK/ns.conf" > "$WORK/ns.out" 2>&1 &
  PIDS+=($!)
  wait_port "$ns_port"
  local set role id port sets="${CLUSTER_SETS:-a b}" ns_c=""
  if [[ "${CLUSTER_FAILOVER:-0}" == 1 ]]; then
    # broker-c registers with a name server of its own: killing its master must not disturb
    # the scenarios that run on broker-a and broker-b.
    sets="$sets c"
    local ns_c_port; ns_c_port=$(free_port)
    printf 'listenPort=%s\nbindAddress=127.0.0.1\nkvConfigPath=%s/kv-c.json\n' "$ns_c_port" "$WORK" > "$WORK/ns-c.conf"
    ROCKETMQ_LOG_DIR="$WORK/logs/ns-c" sh "$ROOT/scripts/mqnamesrv" -c "$WORK/ns-c.conf" > "$WORK/ns-c.out" 2>&1 &
    PIDS+=($!)
    wait_port "$ns_c_port"
    ns_c="127.0.0.1:$ns_c_port"
    export FAILOVER_NAMESRV="$ns_c"
  fi
  for set in $sets; do
    for role in master slave; do
      port=$(free_port_pair)
      if [[ $role == master ]]; then id=0; else id=1; fi
      cat > "$WORK/broker-$set-$role.conf" <<CONF
brokerName=broker-$set
brokerId=$id
brokerRole=$([[ $role == master ]] && echo ASYNC_MASTER || echo SLAVE)
brokerIP1=127.0.0.1
bindAddress=127.0.0.1
listenPort=$port
fastListenEnable=false
namesrvAddr=$([[ $set == c ]] && echo "$ns_c" || echo "127.0.0.1:$ns_port")
storePathRootDir=$WORK/store-$set-$role
mappedFileSizeCommitLog=134217728
maxHashSlotNum=500000
maxIndexNum=2000000
diskMaxUsedSpaceRatio=95
messageDelayLevel=1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s
enablePropertyFilter=true
filterSupportRetry=true
${CLUSTER_EXTRA_CONF:-}
CONF
      ROCKETMQ_LOG_DIR="$WORK/logs/$set-$role" sh "$ROOT/scripts/mqbroker" -c "$WORK/broker-$set-$role.conf" \
        > "$WORK/broker-$set-$role.out" 2>&1 &
      PIDS+=($!)
      wait_port "$port"
      if [[ $set == a && $role == master ]]; then
        export BROKER_A_MASTER_PID=$! BROKER_A_MASTER_ADDR="127.0.0.1:$port" BROKER_ADDR="127.0.0.1:$port"
      fi
      if [[ $set == a && $role == slave ]]; then export BROKER_A_SLAVE_ADDR="127.0.0.1:$port"; fi
      if [[ $set == c && $role == master ]]; then export FAILOVER_MASTER_PID=$! FAILOVER_MASTER_ADDR="127.0.0.1:$port"; fi
      sleep 0.5  # masters register before their slaves ask for them
    done
  done
  sleep 1  # first registrations with the name server
  export NAMESRV_ADDR="127.0.0.1:$ns_port"
}

# Restarts broker-c's master (same config and store) if a scenario killed it.
ensure_failover_master() {
  [[ -n "${FAILOVER_MASTER_PID:-}" ]] || return 0
  kill -0 "$FAILOVER_MASTER_PID" 2>/dev/null && return 0
  ROCKETMQ_LOG_DIR="$WORK/logs/c-master" sh "$ROOT/scripts/mqbroker" -c "$WORK/broker-c-master.conf" \
    >> "$WORK/broker-c-master.out" 2>&1 &
  PIDS+=($!)
  export FAILOVER_MASTER_PID=$!
  wait_port "${FAILOVER_MASTER_ADDR##*:}"
  sleep 1
}

# A second, private set with ACL 2.0 on, for the credential scenarios of the gRPC suites: a name
# server, one broker (authenticationEnabled, authorizationEnabled, super user AUTH_ADMIN_AK /
# AUTH_ADMIN_SK from initAuthenticationUser) and a proxy checking the SDKs' credentials and
# signing its own requests as that super user (innerClientAuthenticationCredentials), TLS mode
# PROXY_TLS_MODE (default permissive; AUTH_PROXY_EXTRA_CONF: lines added to the proxy's config,
# e.g. its certificate). Configs and stores under $WORK/auth. Exports
# AUTH_NAMESRV_ADDR, AUTH_BROKER_ADDR, AUTH_PROXY_ENDPOINT, AUTH_ADMIN_AK, AUTH_ADMIN_SK.
start_auth_set() {
  local dir="$WORK/auth" ns_port broker_port proxy_port
  mkdir -p "$dir"
  export AUTH_ADMIN_AK=admin AUTH_ADMIN_SK=admin-secret
  local -x RMQ_BIN_DIR="$TARGET/debug" RMQ_RUN_DIR="$dir/run"
  ns_port=$(free_port)
  printf 'listenPort=%s\nbindAddress=127.0.0.1\nkvConfigPath=%s/kv.json\n' "$ns_port" "$dir" > "$dir/ns.conf"
  ROCKETMQ_LOG_DIR="$dir/logs/ns" sh "$ROOT/scripts/mqnamesrv" -c "$dir/ns.conf" > "$dir/ns.out" 2>&1 &
  PIDS+=($!)
  wait_port "$ns_port"
  broker_port=$(free_port_pair)
  cat > "$dir/broker.conf" <<CONF
brokerName=broker-auth
brokerIP1=127.0.0.1
bindAddress=127.0.0.1
listenPort=$broker_port
fastListenEnable=false
namesrvAddr=127.0.0.1:$ns_port
storePathRootDir=$dir/store
mappedFileSizeCommitLog=16777216
maxHashSlotNum=50000
maxIndexNum=200000
authenticationEnabled=true
authorizationEnabled=true
initAuthenticationUser={"username":"$AUTH_ADMIN_AK","password":"$AUTH_ADMIN_SK"}
CONF
  ROCKETMQ_LOG_DIR="$dir/logs/broker" sh "$ROOT/scripts/mqbroker" -c "$dir/broker.conf" > "$dir/broker.out" 2>&1 &
  PIDS+=($!)
  wait_port "$broker_port"
  proxy_port=$(free_port)
  cat > "$dir/proxy.conf" <<CONF
grpcServerPort=$proxy_port
grpcBindAddress=127.0.0.1
namesrvAddr=127.0.0.1:$ns_port
tls.server.mode=${PROXY_TLS_MODE:-permissive}
minInvisibleTimeMillsForRecv=1000
authenticationEnabled=true
authorizationEnabled=true
innerClientAuthenticationCredentials={"accessKey":"$AUTH_ADMIN_AK","secretKey":"$AUTH_ADMIN_SK"}
${AUTH_PROXY_EXTRA_CONF:-}
CONF
  ROCKETMQ_LOG_DIR="$dir/logs/proxy" sh "$ROOT/scripts/mqproxy" -c "$dir/proxy.conf" > "$dir/proxy.out" 2>&1 &
  PIDS+=($!)
  wait_port "$proxy_port"
  sleep 1  # the broker's first registration
  export AUTH_NAMESRV_ADDR="127.0.0.1:$ns_port" AUTH_BROKER_ADDR="127.0.0.1:$broker_port"
  export AUTH_PROXY_ENDPOINT="127.0.0.1:$proxy_port"
}
