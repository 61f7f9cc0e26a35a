#!/usr/bin/env bash
# Fuzzes the aRPC frame decoder and envelope parser with libFuzzer for SECONDS (default 600).
#   scripts/fuzz.sh 600
# Builds amfuzz with -sanitize=fuzzer in .build-fuzz/, keeps the corpus in .fuzz/corpus
# and any crash input in .fuzz/crashes. Replay a crash with a plain build:
#   swift run amfuzz .fuzz/crashes/crash-...
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
mkdir -p .fuzz/corpus .fuzz/crashes
swift build -c release --product amfuzz --scratch-path .build-fuzz \
    -Xswiftc -sanitize=fuzzer -Xswiftc -DFUZZING >/dev/null
bin=.build-fuzz/release/amfuzz
log=.fuzz/last-run.log
set +e
"$bin" .fuzz/corpus -max_total_time="$seconds" -max_len=4096 -artifact_prefix=.fuzz/crashes/ \
    -print_final_stats=1 >"$log" 2>&1
status=$?
set -e
runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
crashes=$(ls .fuzz/crashes | wc -l)
echo "fuzz: ${seconds}s, ${runs} executions, ${crashes} crash inputs in .fuzz/crashes (libFuzzer exit ${status}; log ${log})"
[ "$crashes" -eq 0 ]
