#!/usr/bin/env bash
# The single test entry point: everything CI runs. Usage: scripts/test.sh
# Env: SKIP_COMPAT=1 skips the compatibility suites (Java, Go, C++ core, rocketmq-client-rust) (local
# iteration only).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"

step() { printf '\n==> %s\n' "$*"; }

step "format and lints"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
scripts/check-module-cycles.sh
scripts/function-lengths.sh
# Every library crate packages for crates.io (issue 28); the build below verifies the sources.
PUBLISH_CHECK_NO_VERIFY=1 scripts/publish-check.sh

step "build (all binaries and examples)"
cargo build --workspace --bins --examples

step "unit and integration tests"
cargo test --workspace --no-fail-fast

if [[ "${SKIP_COMPAT:-0}" != "1" ]]; then
  # Explicit list: a suite joins CI once it passes against our binaries.
  for suite in run-remoting-interop.sh run-java-compat.sh run-go-compat.sh run-fields-compat.sh run-cpp-compat.sh \
    run-rust-client-compat.sh run-tls-compat.sh run-grpc-java-compat.sh run-grpc-go-compat.sh \
    run-grpc-python-compat.sh run-acl-compat.sh run-console-browser.sh run-controller-failover.sh; do
    step "compatibility: $suite"
    bash "tests/compat/$suite"
  done
fi

step "all tests passed"
