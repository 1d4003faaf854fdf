#!/usr/bin/env bash
# The contract never breaks an ERP's stubs silently: compares protos/ as it is now (the
# working tree) with protos/ at every earlier commit that changed it, back to the
# baseline, using buf's FILE rules (buf.yaml). Offline: each earlier version is taken from
# the repository's own history with git archive and built into a buf image here.
#
#   protos/breaking.sh BUF [BASELINE]     (make breaking runs it)
#
# A deliberate break is a new version package (wholesale.v2) beside wholesale.v1, never an
# edit of v1: see "Changing the contract" in docs/api.md.
set -euo pipefail

buf="$(realpath "$1")"
baseline="${2:-}"
cd "$(dirname "${BASH_SOURCE[0]}")/.."

test -d protos/third_party || { echo "protos/third_party is missing: run make breaking" >&2; exit 2; }
if [ "$(git rev-parse --is-shallow-repository)" = true ]; then
    echo "note: shallow clone; only the commits it holds are compared" >&2
fi
range="HEAD"
[ -n "$baseline" ] && range="$baseline^..HEAD"
commits="$(git log --format=%h "$range" -- protos/ 2>/dev/null || git log --format=%h -- protos/)"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
checked=0
for commit in $commits; do
    mkdir -p "$work/$commit"
    git archive "$commit" protos | tar -x -C "$work/$commit"
    cp -r protos/third_party protos/buf.yaml "$work/$commit/protos/"
    (cd "$work/$commit/protos" && "$buf" build -o "$work/$commit.binpb")
    if ! (cd protos && "$buf" breaking --against "$work/$commit.binpb"); then
        echo "protos/ breaks the contract as of commit $commit ($(git log -1 --format=%s "$commit"))" >&2
        echo "A breaking change needs a new version package (wholesale.v2): see docs/api.md" >&2
        exit 1
    fi
    checked=$((checked + 1))
done
echo "buf breaking: protos/ is compatible with all $checked earlier versions of the contract"
