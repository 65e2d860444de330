#!/usr/bin/env bash
# The web console (mqconsole) in a real headless browser: Debian's Chromium driven by
# playwright-core (tests/compat/console/console-browser.mjs). Builds our binaries, starts a name
# server and one broker set (master + slave) on free loopback ports, produces known messages and
# a consumer group with a known lag, starts two consoles (one with --admin, one read-only), then
# clicks cluster -> topic -> group -> message query, creates a topic through the confirmation
# step and checks the read-only console refuses it. Screenshots: $CONSOLE_SHOTS (default
# $TARGET/console-screenshots), kept as test artefacts.
# Needs: node + npm (playwright-core is installed into tests/compat/console/node_modules, pinned
# by package.json), chromium (installed with apt-get when missing and we are root).
# Env: CARGO_TARGET_DIR, CHROMIUM (browser path, default /usr/bin/chromium), CONSOLE_SHOTS,
# COMPAT_KEEP_LOGS (copy the servers' and consoles' logs there when something fails).
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
compat_workdir

CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
if [[ ! -x "$CHROMIUM" ]]; then
  if [[ $(id -u) == 0 ]] && command -v apt-get > /dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium > "$WORK/apt.log" 2>&1 \
      || { apt-get update -q > /dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium > "$WORK/apt.log" 2>&1; }
  else
    echo "run-console-browser: $CHROMIUM missing; install Debian's chromium (apt-get install chromium)" >&2
    exit 1
  fi
fi
export CHROMIUM
(cd "$HERE/console" && npm ci --no-audit --no-fund --silent)

compat_build -p mqadmin -p mqnamesrv -p mqbroker -p mqbench -p mqconsole
CLUSTER_SETS="a" compat_cluster
BIN="$TARGET/debug"
export TOPIC=ConsoleTopic GROUP=ConsoleGroup BROKER=broker-a QUEUES=4 LAG=7
export KEY=console-key-3 BODY="console body 3 (known)"
SHOTS=${CONSOLE_SHOTS:-$TARGET/console-screenshots}
export SHOTS

send() { "$BIN/mqadmin" -n "$NAMESRV_ADDR" sendMessage -t "$TOPIC" -p "$2" -k "$1" > /dev/null; }
"$BIN/mqadmin" -n "$NAMESRV_ADDR" updateTopic -c DefaultCluster -t "$TOPIC" -r "$QUEUES" -w "$QUEUES" > /dev/null
for i in 1 2; do send "console-key-$i" "console body $i"; done
# The group consumes what is there, commits, stops; the messages sent after it are its lag.
"$BIN/mqbench" consumer -n "$NAMESRV_ADDR" -t "$TOPIC" -g "$GROUP" --from-first -d 8 > "$WORK/consumer.out" 2>&1
send "$KEY" "$BODY"
for i in $(seq 4 $((LAG + 2))); do send "console-key-$i" "console body $i"; done

start_console() { # port [flags...]
  local port=$1
  shift
  "$BIN/mqconsole" -n "$NAMESRV_ADDR" --listenPort "$port" --sampleIntervalSecs 1 --log-dir "$WORK/logs/console-$port" "$@" \
    > "$WORK/console-$port.out" 2>&1 &
  PIDS+=($!)
  wait_port "$port"
}
admin_port=$(free_port)
start_console "$admin_port" --admin
ro_port=$(free_port)
start_console "$ro_port"
export ADMIN_URL="http://127.0.0.1:$admin_port" RO_URL="http://127.0.0.1:$ro_port"
sleep 3 # a few chart samples

rm -rf "$SHOTS"
if ! (cd "$HERE/console" && node console-browser.mjs); then
  compat_failed run-console-browser "$WORK"/console-*.out "$WORK/consumer.out"
fi
echo "run-console-browser: passed; screenshots in $SHOTS"
