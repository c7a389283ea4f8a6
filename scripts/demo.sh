#!/usr/bin/env bash
# demo.sh - from a fresh clone to the founding-members demo in one command:
# installs the build dependencies if missing (scripts/deps.sh), configures
# and builds the release preset, runs build/release/examples/founding_members.
# Arguments are passed on to the demo.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/deps.sh
cmake --preset release
cmake --build --preset release --parallel "$(nproc)"

demo=build/release/examples/founding_members
if [[ ! -x "$demo" ]]; then
	echo "demo.sh: $demo was not built (is examples/ in this checkout?)" >&2
	exit 1
fi
echo
echo "==> $demo $*"
exec "$demo" "$@"
