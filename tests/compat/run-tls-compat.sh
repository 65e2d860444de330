#!/usr/bin/env bash
# TLS with the official clients (issue 24) against a name server and one broker set whose ports
# run TLS in permissive mode (a self-signed certificate made at start by rmq-testcert; the broker
# registers over TLS with tls.enable=true): the Java JUnit scenarios tagged "tls" (TlsTest) with
# -Dtls.enable=true for each profile, then the Go client's TestTlsPermissive (WithTls(true)).
# Env: COMPAT_PROFILES (default "rmq4 rmq5"), COMPAT_SKIP_GO=1 to run Java only.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
PROFILES="${COMPAT_PROFILES:-rmq4 rmq5}"
compat_workdir
unset NAMESRV_ADDR  # always our own TLS cluster

compat_build -p mqnamesrv -p mqbroker -p rmq-tests --bin rmq-testcert
"$TARGET/debug/rmq-testcert" "$WORK/certs" > /dev/null
TLS_LINES=$'tls.server.mode=permissive\ntls.server.certPath='"$WORK/certs/cert.pem"$'\ntls.server.keyPath='"$WORK/certs/key.pem"
export CLUSTER_SETS=a CLUSTER_NS_EXTRA_CONF="$TLS_LINES" CLUSTER_EXTRA_CONF="$TLS_LINES"$'\ntls.enable=true'
compat_cluster

cd "$HERE/java"
failed=0
for profile in $PROFILES; do
  rm -rf target/surefire-reports
  if mvn -B -q -P "$profile" clean test -Dgroups=tls -Dnamesrv="$NAMESRV_ADDR" -Dtls.enable=true \
      > "$WORK/mvn-$profile.log" 2>&1; then
    echo "java tls ($profile): passed"
  else
    failed=1
    echo "java tls ($profile): FAILED"
    grep -E "ERROR|FAIL|expected" "$WORK/mvn-$profile.log" | head -40 || true
  fi
done
if [[ "${COMPAT_SKIP_GO:-0}" != 1 ]]; then
  cd "$HERE/go"
  if COMPAT_TLS=1 go test -count=1 -timeout 5m -run 'TestTlsPermissive' . > "$WORK/go-tls.log" 2>&1; then
    echo "go tls: passed"
  else
    failed=1
    echo "go tls: FAILED"
    tail -30 "$WORK/go-tls.log"
  fi
fi
if [[ $failed -ne 0 ]]; then compat_failed "tls compat" "$WORK/ns.out"; fi
echo "tls compat: all passed"
