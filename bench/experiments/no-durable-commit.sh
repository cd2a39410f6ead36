#!/usr/bin/env bash
# An experiment, not a benchmark of the product: how fast is POST /v1/verify with nothing written to SQLite
# on the decision path? It bounds what any change to durable logging (a writer thread, fewer indexes,
# bigger batches) could give the verify-rate ratio on this box: the rest of the request costs what it costs.
#
# Applies no-durable-commit.patch to a throw-away worktree of HEAD (never to your checkout), runs
# bench/verify-rate.ts there and copies the result to bench/results/verify-rate-no-durable-commit.json,
# which BENCHMARKS.md shows beside the real run.
# Run: bash bench/experiments/no-durable-commit.sh [seconds [more bench/verify-rate.ts options, e.g. --runs handheld]]
set -euo pipefail
root=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
seconds=${1:-10}
shift || true
tree=$(mktemp -d /tmp/gate06-no-durable-XXXXXX)
trap 'git -C "$root" worktree remove --force "$tree" >/dev/null 2>&1 || rm -rf "$tree"' EXIT
git -C "$root" worktree add --detach "$tree" HEAD >/dev/null
git -C "$tree" apply "$root/bench/experiments/no-durable-commit.patch"
ln -s "$root/node_modules" "$tree/node_modules"
(cd "$tree" && node --import tsx bench/verify-rate.ts --seconds "$seconds" "$@" --result verify-rate-no-durable-commit >/dev/null)
cp "$tree/bench/results/verify-rate-no-durable-commit.json" "$root/bench/results/"
echo "bench/results/verify-rate-no-durable-commit.json"
