#!/usr/bin/env bash
# Regenerates generated/ from protos/: messages, gRPC stubs and their .pyi type stubs.
set -euo pipefail
cd "$(dirname "$0")/.."
py="${PYTHON:-.venv/bin/python}"
bindir="$(dirname "$py")"
out=generated
rm -rf "$out/carenotes"
mkdir -p "$out/carenotes/v1"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# mypy-protobuf reports every file it writes on stderr; show its output only on failure.
if ! PATH="$bindir:$PATH" "$py" -m grpc_tools.protoc -I protos \
  --python_out="$out" --grpc_python_out="$out" \
  --mypy_out="$out" --mypy_grpc_out="$out" \
  protos/carenotes/v1/*.proto >"$log" 2>&1; then
  cat "$log" >&2
  exit 1
fi
printf '"""Generated protobuf packages of the Carenotes contract."""\n' > "$out/carenotes/__init__.py"
printf '"""carenotes.v1: generated from protos/carenotes/v1 by `make proto`. Do not edit."""\n' > "$out/carenotes/v1/__init__.py"
touch "$out/carenotes/py.typed"
