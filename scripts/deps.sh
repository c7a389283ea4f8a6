#!/usr/bin/env bash
# deps.sh - install numseq's build dependencies from Debian 12 packages.
#
#   bash scripts/deps.sh        what a build needs (compiler, cmake,
#                               pkg-config, ck, cmocka)
#   bash scripts/deps.sh --ci   plus what .ci/run uses (clang and its
#                               sanitizer runtime, clang-format, clang-tidy,
#                               cppcheck, gcovr, gnuplot)
#
# Idempotent: when every package is already installed it does not touch apt.
# Runs apt-get directly as root, through sudo otherwise.
set -euo pipefail

pkgs=(build-essential cmake pkg-config libck-dev libcmocka-dev)
if [[ "${1:-}" == "--ci" ]]; then
	pkgs+=(clang libclang-rt-14-dev clang-format clang-tidy cppcheck gcovr gnuplot-nox)
fi

missing=()
for p in "${pkgs[@]}"; do
	if [[ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)" != installed ]]; then
		missing+=("$p")
	fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
	echo "deps: all present (${pkgs[*]})"
	exit 0
fi

if [[ "$(id -u)" -eq 0 ]]; then
	as_root=()
elif command -v sudo >/dev/null 2>&1; then
	as_root=(sudo)
else
	echo "deps: missing ${missing[*]}; run as root or install sudo:" >&2
	echo "  apt-get install -y ${missing[*]}" >&2
	exit 1
fi

echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
