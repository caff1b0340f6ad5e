#!/usr/bin/env bash
# Fails when generated/ differs from what protos/ generate now (someone forgot `make proto`).
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/tree"
cp -r protos scripts "$tmp/tree/"
PYTHON="$PWD/.venv/bin/python" bash -c "cd '$tmp/tree' && scripts/gen_protos.sh"
if ! diff -r generated "$tmp/tree/generated" >/dev/null; then
  echo "generated/ is stale: run 'make proto' and commit the result" >&2
  diff -r generated "$tmp/tree/generated" | head -20 >&2
  exit 1
fi
echo "generated/ is up to date"
