#!/usr/bin/env bash
# check.sh - numseq's code gates, the ones .ci/run runs besides the test
# presets, runnable alone:
#
#   bash scripts/check.sh                 all: format tidy cppcheck coverage
#   bash scripts/check.sh format          one or more steps, in any order
#   bash scripts/check.sh lint            = tidy cppcheck
#   bash scripts/check.sh --ci ...        CI mode: the ci-coverage preset
#                                         (warnings are errors)
#
#   format    clang-format --dry-run --Werror over every C file
#             (scripts/format.sh --check; fix with scripts/format.sh)
#   tidy      clang-tidy (.clang-tidy) over the product code
#   cppcheck  cppcheck over the product code
#   coverage  scripts/coverage.sh: unit + stress tests under gcc --coverage,
#             fails below the line / branch floor
#
# "Product code" is every translation unit of the `lint` preset's
# compile_commands.json outside tests/, examples/ and bench/: the library
# (src/, and include/ through it) and any tool built from this tree.  The
# `lint` preset is only configured, never built.
#
# Every step runs even if an earlier one failed; the exit status is non-zero
# if any failed, and the last line is a one-line summary.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

ci=0
steps=()
for a in "$@"; do
	case $a in
	--ci) ci=1 ;;
	all) steps+=(format tidy cppcheck coverage) ;;
	lint) steps+=(tidy cppcheck) ;;
	format | tidy | cppcheck | coverage) steps+=("$a") ;;
	-h | --help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "check.sh: unknown step '$a' (format, tidy, cppcheck, lint, coverage, all)" >&2; exit 2 ;;
	esac
done
[[ ${#steps[@]} -gt 0 ]] || steps=(format tidy cppcheck coverage)

pick() { # first of the named commands that exists
	for c in "$@"; do
		if command -v "$c" >/dev/null 2>&1; then echo "$c"; return 0; fi
	done
	return 1
}
section() { printf '\n======== %s ========\n' "$*"; }
jobs=$(nproc 2>/dev/null || echo 2)

# The lint preset's compile commands, cut down to the product code, in
# build/lint/product/compile_commands.json (clang-tidy -p wants a directory).
lint_db=build/lint/product
lint_files=()
lint_prepare() {
	[[ -f $lint_db/compile_commands.json ]] && return 0
	cmake --preset lint >/dev/null || { echo "cmake --preset lint failed"; return 1; }
	mkdir -p "$lint_db"
	python3 - build/lint/compile_commands.json "$lint_db/compile_commands.json" "$PWD" <<'PY' || return 1
import json, os, sys
src, dst, root = sys.argv[1:4]
keep = []
for e in json.load(open(src)):
    f = os.path.relpath(os.path.join(e["directory"], e["file"]), root)
    if f.startswith("..") or f.split(os.sep)[0] in ("tests", "examples", "bench", "build"):
        continue
    keep.append(e)
json.dump(keep, open(dst, "w"), indent=1)
PY
}
lint_list() {
	lint_files=()
	while IFS= read -r f; do lint_files+=("$f"); done < <(python3 -c '
import json, sys
for e in json.load(open(sys.argv[1])): print(e["file"])' "$lint_db/compile_commands.json" | sort -u)
	[[ ${#lint_files[@]} -gt 0 ]] || { echo "no product files in $lint_db"; return 1; }
}

step_format() {
	bash scripts/format.sh --check
}

step_tidy() {
	local tidy
	tidy=$(pick clang-tidy-14 clang-tidy) || { echo "clang-tidy not found (bash scripts/deps.sh --ci)"; return 1; }
	lint_prepare && lint_list || return 1
	echo "$tidy over ${#lint_files[@]} files: ${lint_files[*]#$PWD/}"
	# --quiet: no "N warnings generated" chatter; findings are errors
	# (WarningsAsErrors in .clang-tidy), so the exit status tells.
	printf '%s\0' "${lint_files[@]}" |
		xargs -0 -n 1 -P "$jobs" "$tidy" --quiet -p "$lint_db" 2>&1 |
		{ grep -vE '^[0-9]+ warnings? generated\.$' || true; }
	local rc=${PIPESTATUS[1]}
	[[ $rc -eq 0 ]] && echo "clang-tidy: no findings"
	return "$rc"
}

step_cppcheck() {
	command -v cppcheck >/dev/null 2>&1 || { echo "cppcheck not found (bash scripts/deps.sh --ci)"; return 1; }
	lint_prepare || return 1
	cppcheck --version
	# All checks but `information` (missing system headers) and
	# unusedFunction (meaningless per translation unit).  Findings that are
	# false positives are suppressed at the line: // cppcheck-suppress id
	cppcheck --project="$lint_db/compile_commands.json" --std=c11 --library=posix \
		--enable=warning,style,performance,portability --inline-suppr \
		--error-exitcode=1 --quiet -j "$jobs" \
		--template='{file}:{line}:{column}: {severity}: {message} [{id}]'
	local rc=$?
	[[ $rc -eq 0 ]] && echo "cppcheck: no findings"
	return $rc
}

step_coverage() {
	if [[ $ci -eq 1 ]]; then
		bash scripts/coverage.sh --ci
	else
		bash scripts/coverage.sh
	fi
}

# The compile commands are regenerated once per check.sh run.
rm -rf "$lint_db"
results=()
failed=()
for s in "${steps[@]}"; do
	section "check: $s"
	t0=$(date +%s)
	if "step_$s"; then st=ok; else st=FAILED; failed+=("$s"); fi
	results+=("$s $st $(( $(date +%s) - t0 ))s")
	echo "check $s: $st"
done

section "check summary"
printf '%s\n' "${results[@]}"
if [[ ${#failed[@]} -ne 0 ]]; then
	echo "check: FAILED: ${failed[*]}"
	exit 1
fi
echo "check: all passed (${steps[*]})"
