#!/usr/bin/env bash
# ACL 1.0 with the official clients (issue 24) against a name server and one broker set whose
# brokers run aclEnable=true over one plain_acl.yml written here (the brokers sign their own
# registration with the admin account): the Java JUnit scenarios tagged "acl" (AclTest:
# AclClientRPCHook with the right key, a wrong secret, an unknown key, no topic permission, a
# whitelisted-only account from outside its whitelist; the official 4.9.x mqadmin's ACL commands)
# for each profile, then the Go client's TestAcl* (primitive.Credentials).
# Env: COMPAT_PROFILES (default "rmq4 rmq5"), COMPAT_SKIP_GO=1 to run Java only.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
PROFILES="${COMPAT_PROFILES:-rmq4 rmq5}"
compat_workdir
unset NAMESRV_ADDR  # always our own ACL cluster

compat_build -p mqnamesrv -p mqbroker
cat > "$WORK/plain_acl.yml" <<'YML'
globalWhiteRemoteAddresses: []
accounts:
  - accessKey: rocketmq2
    secretKey: '12345678'
    admin: true
  - accessKey: RocketMQ
    secretKey: '87654321'
    defaultTopicPerm: PUB|SUB
    defaultGroupPerm: PUB|SUB
  - accessKey: NoPubUser
    secretKey: '87654321'
    defaultTopicPerm: SUB
    defaultGroupPerm: SUB
  - accessKey: WhiteOnly
    secretKey: whiteonly1
    whiteRemoteAddress: 10.9.9.*
    defaultTopicPerm: PUB|SUB
    defaultGroupPerm: SUB
YML
export CLUSTER_SETS=a CLUSTER_EXTRA_CONF="aclEnable=true
rocketmq.acl.plain.file=$WORK/plain_acl.yml
innerClientAuthenticationCredentials={\"accessKey\":\"rocketmq2\",\"secretKey\":\"12345678\"}"
compat_cluster

cd "$HERE/java"
failed=0
for profile in $PROFILES; do
  rm -rf target/surefire-reports
  if mvn -B -q -P "$profile" clean test -Dgroups=acl -Dnamesrv="$NAMESRV_ADDR" -Dbroker="$BROKER_ADDR" \
      > "$WORK/mvn-$profile.log" 2>&1; then
    echo "java acl ($profile): passed"
  else
    failed=1
    echo "java acl ($profile): FAILED"
    grep -E "ERROR|FAIL|expected" "$WORK/mvn-$profile.log" | head -40 || true
  fi
done
if [[ "${COMPAT_SKIP_GO:-0}" != 1 ]] && ls "$HERE"/go/*acl*_test.go > /dev/null 2>&1; then
  cd "$HERE/go"
  if COMPAT_ACL=1 go test -count=1 -timeout 5m -run 'TestAcl' . > "$WORK/go-acl.log" 2>&1; then
    echo "go acl: passed"
  else
    failed=1
    echo "go acl: FAILED"
    tail -30 "$WORK/go-acl.log"
  fi
fi
if [[ $failed -ne 0 ]]; then compat_failed "acl compat" "$WORK/ns.out"; fi
echo "acl compat: all passed"
