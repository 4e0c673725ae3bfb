#!/usr/bin/env bash
# Runs every cargo-fuzz target of the readers of outside data (fuzz/fuzz_targets: mtx, npy, npz;
# dataset directories; snapshot directories; saved reduced models, recycle spaces and DCDM
# weights; edge lists) for a fixed budget each and reports, per target, the executions, the corpus size and the coverage libFuzzer
# reached (`cov`: edges, `ft`: features), and the crashes found.
#
#   scripts/fuzz.sh [seconds-per-target] [target ...]
#
# Needs the nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`). The corpus grows in
# fuzz/corpus/<target>/ (only the committed seed-* files are tracked); crashing inputs land in
# fuzz/artifacts/<target>/ and should become regression tests (for mtx/npy/npz:
# crates/linalg/tests/data/fuzz/; for the others, a test in the crate that owns the reader).
# Memory limits: 2 GiB resident, 1 GiB for any single allocation; 10 s per input.
# The exit status is non-zero when a target found a crash (or failed to build).
set -euo pipefail

seconds="${1:-60}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(mtx npy npz dataset snapshots reduced_model recycle_space dcdm_cnn graph)
fi

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root/fuzz"
# The fuzz crate has its own target directory (nightly, instrumented): never the workspace's.
unset CARGO_TARGET_DIR

cargo +nightly fuzz build

logdir="$(mktemp -d)"
status=0
rows=()
for t in "${targets[@]}"; do
    mkdir -p "corpus/$t" "artifacts/$t"
    before=$(find "artifacts/$t" -type f | wc -l)
    log="$logdir/$t.log"
    set +e
    cargo +nightly fuzz run "$t" "corpus/$t" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=1024 \
        -print_final_stats=1 >"$log" 2>&1
    rc=$?
    set -e
    after=$(find "artifacts/$t" -type f | wc -l)
    crashes=$((after - before))
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
    last=$(grep -E '^#[0-9]+' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' <<<"$last" | grep -o '[0-9]*' || true)
    ft=$(grep -o 'ft: [0-9]*' <<<"$last" | grep -o '[0-9]*' || true)
    corpus=$(find "corpus/$t" -type f | wc -l)
    if [ "$rc" -ne 0 ] || [ "$crashes" -gt 0 ]; then
        status=1
        echo "== $t: exit $rc, $crashes new artifact(s); log tail:" >&2
        tail -30 "$log" >&2
    fi
    rows+=("| $t | $seconds | ${execs:-?} | $corpus | ${cov:-?} | ${ft:-?} | $crashes |")
done

echo
echo "| target | seconds | executions | corpus files | cov (edges) | ft (features) | crashes |"
echo "|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
echo
echo "logs: $logdir"
exit "$status"
