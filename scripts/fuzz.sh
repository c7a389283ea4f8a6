#!/usr/bin/env bash
# fuzz.sh - fuzz the journal reader (tests/fuzz/fuzz_journal.c) with libFuzzer.
#
#   bash scripts/fuzz.sh [SECONDS]     build with clang (ASan + UBSan + libFuzzer),
#                                      fuzz for SECONDS (default 60), print the
#                                      number of executions; exit 1 on a finding
#   bash scripts/fuzz.sh --regen       rewrite the seed corpus tests/fuzz/corpus/
#                                      with the generator (gen_corpus.c)
#
# The committed seeds (tests/fuzz/corpus/) are read, never written: new
# inputs go to $NUMSEQ_FUZZ_BUILD/corpus-work (kept between runs, so a
# later run starts where the last one stopped).  A crash, leak or failed
# property leaves its input as $NUMSEQ_FUZZ_BUILD/crash-* (or leak-*,
# timeout-*); replay it with  $NUMSEQ_FUZZ_BUILD/tests/fuzz/fuzz_journal FILE.
#
# Environment: NUMSEQ_FUZZ_BUILD   build directory (default build/fuzz)
#              NUMSEQ_FUZZ_ARGS    extra libFuzzer flags (e.g. "-seed=1")
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

secs=60
regen=0
case ${1:-} in
"") ;;
--regen) regen=1 ;;
-h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
*[!0-9]* | 0) echo "fuzz.sh: SECONDS must be a positive number (got '$1')" >&2; exit 2 ;;
*) secs=$1 ;;
esac

command -v clang >/dev/null 2>&1 || { echo "fuzz.sh: clang not found (bash scripts/deps.sh)" >&2; exit 2; }
bdir=${NUMSEQ_FUZZ_BUILD:-build/fuzz}
san="-fsanitize=address,undefined -fno-sanitize-recover=undefined"

cmake -S . -B "$bdir" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug \
	"-DCMAKE_C_FLAGS=-O1 -g -fno-omit-frame-pointer $san" \
	"-DCMAKE_EXE_LINKER_FLAGS=$san" "-DCMAKE_SHARED_LINKER_FLAGS=$san" \
	-DNUMSEQ_BUILD_FUZZ=ON -DNUMSEQ_BUILD_TESTS=OFF -DNUMSEQ_BUILD_BENCH=OFF \
	-DNUMSEQ_BUILD_EXAMPLES=OFF -DNUMSEQ_WERROR=ON >/dev/null
cmake --build "$bdir" --target fuzz_journal fuzz_journal_gen_corpus --parallel 2 >/dev/null

if [[ $regen -eq 1 ]]; then
	rm -f tests/fuzz/corpus/*
	mkdir -p tests/fuzz/corpus
	"$bdir/tests/fuzz/fuzz_journal_gen_corpus" tests/fuzz/corpus
	echo "fuzz.sh: $(find tests/fuzz/corpus -type f | wc -l) seeds in tests/fuzz/corpus"
	exit 0
fi

work=$bdir/corpus-work
mkdir -p "$work"
log=$bdir/fuzz.log
echo "fuzz.sh: fuzzing the journal reader for ${secs}s (log: $log)"
set +e
# shellcheck disable=SC2086 # NUMSEQ_FUZZ_ARGS is a list of flags
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	"$bdir/tests/fuzz/fuzz_journal" -max_total_time="$secs" -print_final_stats=1 \
	-timeout=10 -rss_limit_mb=2048 -max_len=65536 \
	-dict=tests/fuzz/journal.dict -artifact_prefix="$bdir/" ${NUMSEQ_FUZZ_ARGS:-} \
	"$work" tests/fuzz/corpus >"$log" 2>&1
rc=$?
set -e
# The numbers of libFuzzer's final statistics (-print_final_stats=1).
stat() { { grep -oE "stat::$1: +[0-9]+" "$log" || true; } | awk '{print $2}' | tail -n 1; }
execs=$(stat number_of_executed_units)
rate=$(stat average_exec_per_sec)
cov=$({ grep -oE '^#[0-9]+.*cov: [0-9]+' "$log" || true; } | tail -n 1 | sed 's/.*cov: //')
if [[ $rc -ne 0 ]]; then
	grep -E 'ERROR|SUMMARY|property failed|artifact' "$log" | head -n 20
	echo "fuzz: FAILED after ${execs:-?} executions (exit $rc); the input is under $bdir/"
	exit 1
fi
echo "fuzz: ${execs:-0} executions in ${secs}s (${rate:-?}/s), coverage ${cov:-?} edges, corpus $(find "$work" -type f | wc -l) inputs, no finding"
