#!/usr/bin/env bash
# Runs every libFuzzer harness BUILD_DIR/fuzz_* for SECONDS seconds, each over
# a temporary copy of its seeds in tests/fuzz/corpus/NAME/ (libFuzzer adds
# what it finds to the corpus it is given; the committed seeds stay as they
# are). A crash, a leak, a sanitizer report, a hang or runaway memory fails
# the run; every harness still runs.
#
#   scripts/fuzz.sh BUILD_DIR SECONDS      (make fuzz-smoke, make fuzz)
#
# Prints one line per harness. A failing input is kept in
# BUILD_DIR/fuzz-artifacts/NAME/ and the end of the harness's log is shown;
# reproduce with: BUILD_DIR/NAME BUILD_DIR/fuzz-artifacts/NAME/crash-...
set -uo pipefail

if [ $# -ne 2 ]; then
  echo "usage: $0 BUILD_DIR SECONDS" >&2
  exit 2
fi
build_dir=$1
seconds=$2
case $seconds in
  '' | *[!0-9]* | 0)
    echo "fuzz: SECONDS must be a positive whole number, not '$seconds'" >&2
    exit 2 ;;
esac
repo=$(cd "$(dirname "$0")/.." && pwd)

harnesses=()
for f in "$build_dir"/fuzz_*; do
  if [ -f "$f" ] && [ -x "$f" ]; then
    harnesses+=("$f")
  fi
done
if [ ${#harnesses[@]} -eq 0 ]; then
  # No harness written yet is fine; harness sources that did not turn into
  # programs mean a broken fuzz build, which must not pass silently.
  sources=$(find "$repo/tests/fuzz" -maxdepth 1 -name 'fuzz_*.c' 2>/dev/null | wc -l)
  if [ "$sources" -eq 0 ]; then
    echo "fuzz: no harnesses yet (tests/fuzz/fuzz_*.c); nothing to run"
    exit 0
  fi
  echo "fuzz: $sources harness sources in tests/fuzz but no fuzz_* programs in $build_dir (configure with -DPADLOCK_FUZZ=ON)" >&2
  exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/padlock-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT

count_files() {
  find "$1" -type f | wc -l | tr -d ' '
}

failed=()
for harness in "${harnesses[@]}"; do
  name=$(basename "$harness")
  seeds="$repo/tests/fuzz/corpus/$name"
  corpus="$work/$name/corpus"
  artifacts="$work/$name/artifacts"
  log="$work/$name/log"
  mkdir -p "$corpus" "$artifacts"
  if [ -d "$seeds" ]; then
    # Inputs only: notes about the corpus are not seeds.
    find "$seeds" -type f ! -name 'README*' ! -name '*.md' -exec cp {} "$corpus/" \;
  fi
  before=$(count_files "$corpus")

  # -timeout: one input running this long is a hang; -rss_limit_mb: a
  # harness that keeps growing is a leak the sanitizer did not catch.
  "$harness" -max_total_time="$seconds" -timeout=30 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$artifacts/" "$corpus" >"$log" 2>&1
  status=$?

  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$log" | tail -n 1)
  after=$(count_files "$corpus")
  if [ $status -eq 0 ]; then
    echo "fuzz: $name ok: ${runs:-?} inputs in ${seconds}s, corpus $before -> $after, ${cov:-no coverage reported}"
  else
    failed+=("$name")
    keep="$build_dir/fuzz-artifacts/$name"
    mkdir -p "$keep"
    cp "$artifacts"/* "$keep/" 2>/dev/null
    echo "fuzz: $name FAILED (exit $status) after ${runs:-?} inputs; kept in $keep/:"
    ls -1 "$artifacts" | sed 's/^/fuzz:   /'
    echo "fuzz: last lines of $name's log:"
    tail -n 60 "$log" | sed 's/^/    /'
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: ${#failed[@]} of ${#harnesses[@]} harnesses failed: ${failed[*]}"
  exit 1
fi
echo "fuzz: all ${#harnesses[@]} harnesses ran ${seconds}s without a failure"
