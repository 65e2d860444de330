#!/usr/bin/env bash
# Issue 28: every library crate (crates/*) must be publishable. Runs `cargo publish --dry-run`
# for all of them at once, so cargo resolves their path dependencies among the packages being
# published (each needs a version on its internal dependencies, set once in the workspace's
# [workspace.dependencies]). Packages each crate and, unless PUBLISH_CHECK_NO_VERIFY=1, builds
# the packaged sources alone (what crates.io users would get). Reads the crates.io index; uploads
# nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

args=()
for manifest in crates/*/Cargo.toml; do
    name=$(sed -n 's/^name = "\(.*\)"/\1/p' "$manifest" | head -n 1)
    args+=(-p "$name")
done
verify=()
if [[ "${PUBLISH_CHECK_NO_VERIFY:-0}" == 1 ]]; then
    verify=(--no-verify)
fi
echo "publish-check: ${args[*]}"
# --allow-dirty: CI checks out a clean tree; locally, uncommitted work is checked as it stands.
cargo publish --dry-run --allow-dirty "${verify[@]}" "${args[@]}"
