#!/usr/bin/env bash
# Contract checks: `buf lint` (buf.yaml), then `buf breaking` of the working tree's
# protos against protos/carenotes.binpb, the descriptor image of the last accepted
# contract, committed with the protos. Finally the image must match the protos, like
# generated/ (an additive change is accepted with `make contract`, in the same commit).
#
#   scripts/check_contract.sh                    lint + breaking + image up to date
#   scripts/check_contract.sh --update           same, then rewrite the image
#   scripts/check_contract.sh --update --allow-breaking
#                                                a deliberate, reviewed breaking change
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

BUF="${BUF:-.venv/bin/buf}"
IMAGE=protos/carenotes.binpb
update=false
allow_breaking=false
for arg in "$@"; do
  case "$arg" in
    --update) update=true ;;
    --allow-breaking) allow_breaking=true ;;
    *) echo "usage: $0 [--update [--allow-breaking]]" >&2; exit 2 ;;
  esac
done

"$BUF" lint
echo "contract: buf lint ok" >&2

if [ -f "$IMAGE" ]; then
  if ! "$BUF" breaking --against "$IMAGE"; then
    if $update && $allow_breaking; then
      echo "contract: breaking changes accepted (--allow-breaking)" >&2
    else
      echo "contract: the protos break the accepted contract ($IMAGE) for existing clients." >&2
      echo "  Add instead of changing (new fields, messages, RPCs), or, for a reviewed" >&2
      echo "  breaking release: scripts/check_contract.sh --update --allow-breaking" >&2
      exit 1
    fi
  else
    echo "contract: no breaking change against $IMAGE" >&2
  fi
elif ! $update; then
  echo "contract: $IMAGE is missing: run make contract" >&2
  exit 1
fi

fresh="$(mktemp --suffix=.binpb)"
trap 'rm -f "$fresh"' EXIT
# Without source info the image changes only when the contract does, not its comments.
"$BUF" build --exclude-source-info -o "$fresh"
if $update; then
  cp "$fresh" "$IMAGE"
  chmod 0644 "$IMAGE"
  echo "contract: $IMAGE updated" >&2
elif ! cmp -s "$fresh" "$IMAGE"; then
  echo "contract: $IMAGE is older than the protos (an additive change?): run make contract" >&2
  exit 1
else
  echo "contract: $IMAGE matches the protos" >&2
fi
