#!/usr/bin/env bash
# Runs the fuzz targets one after the other (mk/fuzz.mk calls it; see the README, "Fuzzing and sanitizers").
#
#   run.sh --bin DIR --seeds DIR --work DIR --seconds N [--smoke] TARGET...
#
# TARGET is bundle, redactor, json or signer (binaries DIR/FuzzBundle, ...). For each one:
#   1. every input of Tests/Fuzz/regressions/TARGET/ is replayed once: each must pass;
#   2. libFuzzer runs for N seconds over the corpus WORK/corpus/TARGET (kept between runs; --smoke uses a
#      fresh WORK/smoke/TARGET) and the seeds SEEDS/TARGET, with the dictionary Tests/Fuzz/dict/TARGET.dict.
#      Crashes, timeouts and slow inputs are saved in WORK/artifacts/TARGET/.
#   3. one summary line: executions, coverage (libFuzzer's `cov`, edges; `ft`, features), corpus size,
#      crashes, timeouts, out-of-memory stops and slow inputs. The lines also go to WORK/summary.txt.
# A crash (or a broken property) fails the run at once, and so does a timeout or an out-of-memory stop:
# the work on any input within the limits is bounded. FUZZ_TOLERATE_SLOW names targets (none by
# default) whose timeouts are only saved and reported, libFuzzer starting again on the same corpus.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bin="" seeds="" work="" seconds="" smoke=0
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) bin="$2"; shift 2 ;;
    --seeds) seeds="$2"; shift 2 ;;
    --work) work="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    --smoke) smoke=1; shift ;;
    -*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
[ -n "$bin" ] && [ -n "$seeds" ] && [ -n "$work" ] && [ -n "$seconds" ] && [ ${#targets[@]} -gt 0 ] \
  || { sed -n '2,6p' "$0" >&2; exit 2; }
case "$seconds" in ''|*[!0-9]*|0) echo "run.sh: --seconds must be a positive integer" >&2; exit 2 ;; esac
tolerate_slow=" ${FUZZ_TOLERATE_SLOW-} "

# No Swift backtracer: it would read freed memory after an abort, and ASan reports that instead of the crash.
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:allocator_may_return_null=1}"

binary_of() {
  case "$1" in
    bundle) echo FuzzBundle ;; redactor) echo FuzzRedactor ;; json) echo FuzzJSON ;; signer) echo FuzzSigner ;;
    *) echo "run.sh: unknown target $1" >&2; exit 2 ;;
  esac
}
# Per target: the largest input (bundle: room for a chain of several certificates) and the time one input may take.
max_len_of() { case "$1" in bundle) echo 16384 ;; redactor) echo 4096 ;; *) echo 8192 ;; esac; }
timeout_of() { case "$1" in bundle) echo 10 ;; *) echo 5 ;; esac; }

mkdir -p "$work"
status=0
for target in "${targets[@]}"; do
  fuzzer="$bin/$(binary_of "$target")"
  [ -x "$fuzzer" ] || { echo "run.sh: $fuzzer is not built" >&2; exit 1; }
  [ -d "$seeds/$target" ] || { echo "run.sh: no seeds in $seeds/$target" >&2; exit 1; }
  artifacts="$work/artifacts/$target"
  logs="$work/logs/$target"
  mkdir -p "$artifacts" "$logs"

  regressions=("$here/regressions/$target"/*)
  if [ -e "${regressions[0]}" ]; then
    if ! "$fuzzer" -timeout="$(timeout_of "$target")" -rss_limit_mb=2048 "${regressions[@]}" >"$logs/regressions.log" 2>&1; then
      tail -n 30 "$logs/regressions.log" >&2
      echo "fuzz $target: FAIL: a regression input fails again (log: $logs/regressions.log)" >&2
      status=1
      continue
    fi
    echo "fuzz $target: ${#regressions[@]} regression input(s) pass"
  fi

  if [ "$smoke" = 1 ]; then corpus="$work/smoke/$target"; rm -rf "$corpus"; else corpus="$work/corpus/$target"; fi
  mkdir -p "$corpus"
  before="$(find "$artifacts" -type f | wc -l)"
  started=$(date +%s)
  execs=0 crashes=0 timeouts=0 ooms=0 part=0 coverage="" last_log=""
  while :; do
    left=$((seconds - ($(date +%s) - started)))
    [ "$left" -gt 0 ] || break
    part=$((part + 1))
    last_log="$logs/run-$part.log"
    rc=0
    nice -n 10 "$fuzzer" -max_total_time="$left" -timeout="$(timeout_of "$target")" -rss_limit_mb=2048 \
      -max_len="$(max_len_of "$target")" -dict="$here/dict/$target.dict" -report_slow_units=2 -print_final_stats=1 \
      -artifact_prefix="$artifacts/" "$corpus" "$seeds/$target" >"$last_log" 2>&1 || rc=$?
    runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$last_log" | tail -n 1)"
    execs=$((execs + ${runs:-0}))
    line="$(grep -E '^#[0-9]+.*cov: ' "$last_log" | tail -n 1 || true)"
    [ -n "$line" ] && coverage="$line"
    [ "$rc" = 0 ] && break
    if grep -q 'ERROR: libFuzzer: timeout' "$last_log"; then kind=timeout
    elif grep -qE 'ERROR: libFuzzer: (out-of-memory|malloc\(.*\) exceeds)' "$last_log"; then kind=oom
    else kind=crash
    fi
    grep -E 'Test unit written to|SUMMARY|fuzz property broken' "$last_log" | sed "s/^/fuzz $target: /" >&2 || true
    case "$kind" in
      timeout) timeouts=$((timeouts + 1)) ;;
      oom) ooms=$((ooms + 1)) ;;
      crash) crashes=$((crashes + 1)) ;;
    esac
    if [ "$kind" = crash ] || [[ "$tolerate_slow" != *" $target "* ]]; then break; fi
  done
  slow="$(find "$artifacts" -type f -name 'slow-unit-*' -newermt "@$started" | wc -l)"
  cov="$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$coverage")"
  ft="$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$coverage")"
  corp="$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<<"$coverage")"
  elapsed=$(($(date +%s) - started))
  summary="fuzz $target: ${elapsed} s, ${execs} execs ($((execs / (elapsed > 0 ? elapsed : 1)))/s), cov ${cov:-?} edges, ft ${ft:-?}, corpus ${corp:-?}, crashes $crashes, timeouts $timeouts, oom $ooms, slow inputs $slow"
  echo "$summary"
  echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) $summary" >>"$work/summary.txt"
  if [ "$crashes" -gt 0 ] || { [[ "$tolerate_slow" != *" $target "* ]] && [ $((timeouts + ooms)) -gt 0 ]; }; then
    tail -n 40 "$last_log" >&2
    echo "fuzz $target: FAIL (log: $last_log, inputs: $artifacts/, $(($(find "$artifacts" -type f | wc -l) - before)) new)" >&2
    status=1
  elif [ $((timeouts + ooms + slow)) -gt 0 ]; then
    echo "fuzz $target: known slow inputs saved in $artifacts/ (reported, not failed)"
  fi
done
exit "$status"
