#!/usr/bin/env bash
# bench/run.sh - build the release tree, run numseq_bench, and regenerate
# docs/benchmarks.md from that run.
#
#   bench/run.sh                 full run (7 runs of 200 ms, 1/2/4 threads)
#   bench/run.sh --quick         a quick look (3 runs of 50 ms)
#   bench/run.sh --no-docs ...   run and keep the results, leave the docs alone
#
# Other arguments go to numseq_bench (see numseq_bench --help).  Raw output
# lands in bench/results/<UTC time>/ (not committed): the bench's text
# output, every run as CSV, the markdown fragment, and the callgrind
# instruction counts used in the "Instructions per number" section.
# BUILD_DIR=... uses an existing configured tree instead of the preset.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

docs=1
args=()
for a in "$@"; do
	if [[ $a == --no-docs ]]; then docs=0; else args+=("$a"); fi
done

# ---- build ------------------------------------------------------------------
if [[ -n ${BUILD_DIR:-} ]]; then
	build=$BUILD_DIR
elif [[ -f CMakePresets.json ]]; then
	log=$(mktemp)
	cmake --preset release | tee "$log"
	build=$(sed -n 's/^-- Build files have been written to: //p' "$log" | tail -n 1)
	rm -f "$log"
else
	build=build/release
	cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release
fi
[[ -n $build ]] || { echo "run.sh: cannot tell the build directory" >&2; exit 1; }
cmake --build "$build" --target numseq_bench --parallel "$(nproc)"
bench="$build/bench/numseq_bench"

# ---- run --------------------------------------------------------------------
out="bench/results/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"
echo "run.sh: results in $out"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
set +e
"$bench" "${args[@]}" --csv "$out/runs.csv" --markdown "$out/fragment.md" | tee "$out/bench.txt"
rc=${PIPESTATUS[0]}
set -e
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
if [[ $rc -ne 0 ]]; then
	echo "run.sh: numseq_bench exited with $rc (2 = a correctness check failed)" >&2
	[[ $rc -eq 2 ]] || exit "$rc"
fi

# ---- instruction counts (callgrind) --------------------------------------
# Instructions per number = (Ir of 2N ops - Ir of N ops) / N: the setup and
# the process start cancel out.  Also the functions that one nextval runs,
# from callgrind_annotate on the larger run.
profile_rows=(nextval nextval-c64 nextval-n64 faa-inline faa-call block64-call local)
cg_md="$out/callgrind.md"
: > "$cg_md"
if command -v valgrind > /dev/null && command -v callgrind_annotate > /dev/null; then
	n1=1000000
	n2=2000000
	ir_total() { # file -> total Ir
		sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$1" | head -n 1
	}
	{
		echo "| contender | instructions per number |"
		echo "|---|--:|"
	} >> "$cg_md"
	for name in "${profile_rows[@]}"; do
		"$bench" --list | grep -q "^$name " || continue
		for n in $n1 $n2; do
			valgrind --tool=callgrind --callgrind-out-file="$out/cg.$name.$n" \
				"$bench" --profile "$name" --ops "$n" > /dev/null 2>&1
		done
		a=$(ir_total "$out/cg.$name.$n1")
		b=$(ir_total "$out/cg.$name.$n2")
		# nextval_n hands out 64 numbers per op
		per=1
		[[ $name == nextval-n64 ]] && per=64
		ipn=$(awk -v a="$a" -v b="$b" -v n=$((n2 - n1)) -v p=$per \
			'BEGIN { printf "%.2f", (b - a) / (n * p) }')
		echo "| \`$name\` | $ipn |" >> "$cg_md"
		callgrind_annotate "$out/cg.$name.$n2" > "$out/cg.$name.txt" 2>/dev/null || true
	done
	for name in nextval nextval-c64; do
		[[ -f $out/cg.$name.txt ]] || continue
		{
			echo
			echo "Functions run by \`$name\` ($n2 ops; self instructions per op):"
			echo
			echo "| function | instructions per op |"
			echo "|---|--:|"
			# lines like "40,000,000 (45.1%)  src/sequence.c:numseq_nextval [path]"
			awk -v n=$n2 '
				/^-+$/ { sect++ }
				/^ *[0-9,]+ \(/ && sect >= 3 && !/PROGRAM TOTALS/ {
					ir = $1; gsub(",", "", ir)
					if (ir / n < 0.05) next
					fn = $0; sub(/^ *[0-9,]+ \([^)]*\) */, "", fn); sub(/ \[.*$/, "", fn)
					printf "| `%s` | %.2f |\n", fn, ir / n
				}' "$out/cg.$name.txt" | head -n 12
		} >> "$cg_md"
	done
else
	echo "(valgrind not installed: no instruction counts)" >> "$cg_md"
fi

[[ $docs -eq 1 ]] || { echo "run.sh: --no-docs, docs/benchmarks.md left alone"; exit "$rc"; }

# ---- docs/benchmarks.md ----------------------------------------------------
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
ncpu=$(nproc)
cores=$(lscpu 2> /dev/null | sed -n 's/^Core(s) per socket:[[:space:]]*//p' | head -n 1)
tpc=$(lscpu 2> /dev/null | sed -n 's/^Thread(s) per core:[[:space:]]*//p' | head -n 1)
hyper=$(lscpu 2> /dev/null | sed -n 's/^Hypervisor vendor:[[:space:]]*//p' | head -n 1)
mhz=$(sed -n 's/^cpu MHz[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
cc=$(sed -n 's/^CMAKE_C_COMPILER:[A-Z]*=//p' "$build/CMakeCache.txt" | head -n 1)
cc_version=$("${cc:-cc}" --version | head -n 1)
btype=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$build/CMakeCache.txt" | head -n 1)
bflags=$(sed -n "s/^CMAKE_C_FLAGS_${btype^^}:[A-Z]*=//p" "$build/CMakeCache.txt" | head -n 1)
version=$(sed -n 's/^project(numseq VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt | head -n 1)
commit=$(git rev-parse --short HEAD)
dirty=$(git status --porcelain --untracked-files=no -- src include CMakeLists.txt | wc -l)
[[ $dirty -eq 0 ]] && tree="clean" || tree="with uncommitted changes in src/ include/ CMakeLists.txt"

doc=docs/benchmarks.md
{
	cat << EOF
# Benchmarks

<!-- Generated by bench/run.sh from one run; do not edit by hand.  The
     analysis at the end comes from bench/analysis.md. -->

What one number costs from numseq, next to what it costs from a bare atomic
counter, a mutex and a plain per-thread block, measured in the same run.

Run it: \`bench/run.sh\` (builds the \`release\` preset, runs
\`numseq_bench\`, rewrites this file; about a minute).  \`bench/run.sh --quick\`
for a quick look, \`numseq_bench --help\` for the options.  The raw results of
a run are kept in \`bench/results/\` (not committed).

## Machine

- CPU: $cpu, $ncpu CPUs online (${cores:-?} cores per socket, ${tpc:-?} thread(s) per core${hyper:+, virtual machine under $hyper}), ${mhz:-?} MHz reported
- Kernel: $(uname -srm)
- Compiler: $cc_version; build type ${btype:-?} (\`${bflags}\`)
- numseq $version, commit \`$commit\` ($tree)
- Date: $(date -u '+%Y-%m-%d %H:%M UTC'); load average before / after: $load_before / $load_after
- Command: \`numseq_bench ${args[*]}\`

EOF
	cat "$out/fragment.md"
	echo
	echo "## Instructions per number"
	echo
	echo "Counted by \`valgrind --tool=callgrind\` on one thread (no contention), loop and"
	echo "fingerprint included (the \`local\` row is that overhead alone)."
	echo
	cat "$cg_md"
	if [[ -f bench/analysis.md ]]; then
		echo
		cat bench/analysis.md
	fi
} > "$doc.tmp"
mv "$doc.tmp" "$doc"
echo "run.sh: wrote $doc"
exit "$rc"
