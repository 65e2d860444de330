#!/usr/bin/env bash
# Remoting wire interop: the official Java RemotingCommand against our Rust codec.
#
#   1. build tests/compat/java (Maven; downloads the official client on first use)
#   2. Java `RemotingInterop gen`  -> <tmp>/java/*.frame + *.expect.json
#   3. Rust `--example wire_interop`    -> decodes/compares/re-encodes those, writes <tmp>/rust/*
#   4. Java `RemotingInterop check`-> official decode of ours, compare, header checks
#
# Usage: tests/compat/run-remoting-interop.sh            (any cwd)
# Env:   COMPAT_PROFILES="rmq4 rmq5"  official client lines to test (default: rmq4 = 4.9.8)
#        MVN_ARGS="-o"                 extra Maven arguments (e.g. offline once ~/.m2 is filled)
#        KEEP_INTEROP_DIR=1            keep the frames directory for inspection
#        CARGO_TARGET_DIR              honoured as usual
set -euo pipefail

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
JAVA_DIR="$ROOT/tests/compat/java"
PROFILES="${COMPAT_PROFILES:-rmq4}"
read -r -a MVN_EXTRA <<<"${MVN_ARGS:-}"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/rmq-remoting-interop.XXXXXX")"
cleanup() {
  if [[ "${KEEP_INTEROP_DIR:-0}" == "1" ]]; then
    echo "interop: frames kept in $WORK"
  else
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT

say() { printf 'interop: %s\n' "$*"; }

say "building the Rust example"
compat_build -p rmq-remoting --example wire_interop

status=0
summary=()
for profile in $PROFILES; do
  say "building tests/compat/java (profile $profile)"
  # (output kept in a log: Debian's Maven 3.8 prints stray colour resets even with -B -q)
  if ! mvn -B -q -Dstyle.color=never "${MVN_EXTRA[@]}" -f "$JAVA_DIR/pom.xml" -P "$profile" -DskipTests \
      compile >"$WORK/mvn-$profile.log" 2>&1; then
    cat "$WORK/mvn-$profile.log"
    say "Maven build of tests/compat/java failed (profile $profile)"
    exit 1
  fi
  CP="$JAVA_DIR/target/classes:$(cat "$JAVA_DIR/target/classpath.txt")"
  dir="$WORK/$profile"
  mkdir -p "$dir"

  say "[$profile] java gen"
  if ! java -cp "$CP" rmqrs.compat.RemotingInterop gen "$dir" >"$dir/gen.log" 2>&1; then
    cat "$dir/gen.log"
    summary+=("$profile: java gen FAILED")
    status=1
    continue
  fi
  say "[$profile] java gen: $(grep -c '^GEN ' "$dir/gen.log") frames"

  say "[$profile] rust decode of java frames, rust frames out"
  rust_rc=0
  (cd "$ROOT" && cargo run -q -p rmq-remoting --example wire_interop -- "$dir") | tee "$dir/rust.log" || rust_rc=$?
  if [[ $rust_rc -ne 0 ]]; then
    status=1
  fi

  say "[$profile] java decode of rust frames"
  java_rc=0
  java -cp "$CP" rmqrs.compat.RemotingInterop check "$dir" 2>"$dir/check.err" | tee "$dir/check.log" || java_rc=$?
  if [[ $java_rc -ne 0 ]]; then
    status=1
    cat "$dir/check.err"
  fi

  rust_pass=$(grep -c '^PASS ' "$dir/rust.log" || true)
  rust_fail=$(grep -c '^FAIL ' "$dir/rust.log" || true)
  java_pass=$(grep -c '^PASS ' "$dir/check.log" || true)
  java_fail=$(grep -c '^FAIL ' "$dir/check.log" || true)
  summary+=("$profile: java->rust $rust_pass passed, $rust_fail failed (rc $rust_rc); rust->java $java_pass passed, $java_fail failed (rc $java_rc)")
done

echo
say "summary"
for line in "${summary[@]}"; do
  say "  $line"
done
if [[ $status -ne 0 ]]; then
  say "FAILED"
  exit 1
fi
say "all interop checks passed"
