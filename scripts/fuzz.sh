#!/usr/bin/env bash
# Runs every fuzz target for a bounded time: `scripts/fuzz.sh [seconds per target]` (default
# 60). Needs a nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`). Crashes land in
# fuzz/artifacts/<target>/; the corpus grows in fuzz/corpus/<target>/ (both ignored by git).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
export CARGO_TARGET_DIR="${FUZZ_TARGET_DIR:-$HOME/.cache/chat-server-fuzz-target}"
# A decoder may allocate up to 512 MiB by design; the fuzzer's own limit sits above it.
for target in $(cargo +nightly fuzz list); do
  echo "== $target: ${seconds}s"
  cargo +nightly fuzz run "$target" -- -max_total_time="$seconds" -rss_limit_mb=3072 -timeout=20
done
