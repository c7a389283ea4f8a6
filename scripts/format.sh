#!/usr/bin/env bash
# format.sh - format numseq's C sources with clang-format (style: .clang-format).
#
#   bash scripts/format.sh              format every C file in the tree, in place
#   bash scripts/format.sh --check      change nothing; list the files that are
#                                       not formatted, show the diff, exit 1
#   bash scripts/format.sh [--check] PATH...   only these files/directories
#
# The tree is the C sources (*.c, *.h) under src/ include/ tests/ examples/
# bench/ tools/ that git tracks or would track (untracked files that are not
# ignored are included, build directories are not).  Outside a git checkout
# it falls back to find(1).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

CLANG_FORMAT=${CLANG_FORMAT:-}
if [[ -z $CLANG_FORMAT ]]; then
	for c in clang-format-14 clang-format; do
		if command -v "$c" >/dev/null 2>&1; then CLANG_FORMAT=$c; break; fi
	done
fi
if [[ -z $CLANG_FORMAT ]]; then
	echo "format.sh: clang-format not found (bash scripts/deps.sh --ci installs it)" >&2
	exit 2
fi
# The style is tuned for clang-format 14; another major version may format
# some constructs differently.
ver=$("$CLANG_FORMAT" --version | sed -n 's/.*version \([0-9]*\).*/\1/p')
if [[ $ver != 14 ]]; then
	echo "format.sh: warning: $CLANG_FORMAT is version $ver, the style is checked with 14" >&2
fi

check=0
if [[ ${1:-} == --check ]]; then
	check=1
	shift
fi
dirs=("$@")
if [[ ${#dirs[@]} -eq 0 ]]; then
	dirs=(src include tests examples bench tools)
fi
existing=()
for d in "${dirs[@]}"; do
	[[ -e $d ]] && existing+=("$d")
done
[[ ${#existing[@]} -gt 0 ]] || { echo "format.sh: nothing to format"; exit 0; }

files=()
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	while IFS= read -r -d '' f; do
		[[ -f $f ]] && files+=("$f")
	done < <(git ls-files -z --cached --others --exclude-standard -- "${existing[@]}" |
		grep -zE '\.[ch]$' | sort -zu)
else
	while IFS= read -r -d '' f; do
		files+=("$f")
	done < <(find "${existing[@]}" -type f -name '*.[ch]' -print0 | sort -z)
fi
[[ ${#files[@]} -gt 0 ]] || { echo "format.sh: no C files under ${existing[*]}"; exit 0; }

if [[ $check -eq 0 ]]; then
	"$CLANG_FORMAT" -i --style=file "${files[@]}"
	echo "format.sh: formatted ${#files[@]} files"
	exit 0
fi

bad=()
for f in "${files[@]}"; do
	if ! "$CLANG_FORMAT" --dry-run --Werror --style=file "$f" >/dev/null 2>&1; then
		bad+=("$f")
	fi
done
if [[ ${#bad[@]} -eq 0 ]]; then
	echo "format: ${#files[@]} files, all formatted"
	exit 0
fi
echo "format: ${#bad[@]} of ${#files[@]} files are not formatted (fix: bash scripts/format.sh):"
for f in "${bad[@]}"; do
	echo "--- $f"
	"$CLANG_FORMAT" --style=file "$f" | diff -u "$f" - | head -n 40 || true
done
exit 1
