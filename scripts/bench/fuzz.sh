#!/usr/bin/env bash
# Issue #12 item 5: every property test of a decoder of outside data, each
# with CASES cases (default 100,000; `MODELDECK_PROPTEST_CASES`, which
# `modeldeck_testkit::fuzz::config` reads), one property per process under
# /usr/bin/time -v. Prints one Markdown row per property: crate, property,
# cases run, failures, wall time, peak RSS. proptest stops at the first
# failing case (and shrinks it), so failures is 0 or 1; the failing input
# is printed above the table. Exits 1 when any property failed.
#
#   scripts/bench/fuzz.sh                # 100,000 cases each
#   CASES=256 scripts/bench/fuzz.sh      # what CI runs (the default)
#   ONLY=kubeconfig scripts/bench/fuzz.sh   # properties whose name matches
#
# The binaries are built in the `fuzz` profile (release optimizations with
# debug assertions and overflow checks kept, see Cargo.toml); PROFILE=test
# runs the test profile instead.
set -euo pipefail
cd "$(dirname "$0")/../.."
CASES=${CASES:-100000}
ONLY=${ONLY:-}
PROFILE=${PROFILE:-fuzz}

# crate  test-file  property  divisor (a property that writes a file or
# starts a server per case runs CASES/divisor cases: see its proptest_config)
PROPS="
core fuzz_parsers profile_toml_arbitrary_text_never_panics 1
core fuzz_parsers profile_toml_arbitrary_bytes_never_panic 1
core fuzz_parsers profile_toml_mutated_documents_give_located_errors 1
core fuzz_parsers filter_arbitrary_text_never_panics 1
core fuzz_parsers filter_structured_expressions_never_panic 1
mlflow fuzz_json mlflow_arbitrary_bytes_never_panic 1
mlflow fuzz_json mlflow_arbitrary_text_never_panics 1
mlflow fuzz_json mlflow_mutated_documents_decode_or_say_where 1
mlflow fuzz_json metric_values_keep_their_promise 1
prometheus fuzz_json prometheus_arbitrary_bodies_never_panic 4
prometheus fuzz_json prometheus_arbitrary_text_never_panics 4
prometheus fuzz_json prometheus_mutated_envelopes_decode_or_say_why 4
kube fuzz_kubeconfig kubeconfig_arbitrary_bytes_never_panic 1
kube fuzz_kubeconfig kubeconfig_arbitrary_text_never_panics 1
kube fuzz_kubeconfig kubeconfig_mutated_documents_read_or_say_where_without_the_secrets 1
promotion fuzz_journal journal_line_arbitrary_bytes_never_panic 1
promotion fuzz_journal journal_line_mutated_lines_parse_or_say_why 1
promotion fuzz_journal journal_file_arbitrary_bytes_never_panic 4
promotion fuzz_journal journal_file_edits_are_caught_at_a_line_or_say_why 4
sandbox fuzz_scenario scenario_arbitrary_text_never_panics 1
sandbox fuzz_scenario scenario_mutated_documents_build_or_say_why 1
tui fuzz_command command_arbitrary_text_never_panics 1
tui fuzz_command command_arbitrary_bytes_never_panic 1
tui fuzz_command command_structured_lines_parse_or_say_why 1
"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Build each test binary once (in $PROFILE) and find it.
declare -A BIN
while read -r crate test _ _; do
  [ -n "$crate" ] || continue
  key="$crate/$test"
  [ -n "${BIN[$key]:-}" ] && continue
  BIN[$key]=$(cargo test -q --profile "$PROFILE" -p "modeldeck-$crate" --test "$test" --no-run --message-format=json 2>/dev/null |
    python3 -c 'import json,sys
for l in sys.stdin:
    m=json.loads(l)
    if m.get("reason")=="compiler-artifact" and m.get("executable") and "test" in m.get("target",{}).get("kind",[]):
        print(m["executable"])' | tail -1)
  [ -x "${BIN[$key]}" ] || { echo "no test binary for $key" >&2; exit 1; }
done <<<"$PROPS"

echo "profile: $PROFILE; load before: $(uptime)"
echo
echo "| decoder (crate) | property | cases | failures | wall time | peak RSS |"
echo "|---|---|---:|---:|---:|---:|"
failed=0
total_s=0
while read -r crate test prop div; do
  [ -n "$crate" ] || continue
  [ -z "$ONLY" ] || [[ "$prop" == *"$ONLY"* ]] || continue
  cases=$(( CASES / div )); [ "$cases" -ge 1 ] || cases=1
  log="$work/$prop.log"
  fails=0
  MODELDECK_PROPTEST_CASES=$CASES /usr/bin/time -v -o "$work/$prop.time" \
    "${BIN[$crate/$test]}" --exact "$prop" --test-threads=1 >"$log" 2>&1 || fails=1
  grep -q "test result: ok. 1 passed" "$log" || fails=1
  wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$work/$prop.time")
  rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/$prop.time")
  secs=$(python3 -c "import sys
p=[float(x) for x in sys.argv[1].split(':')]
s=0
for x in p: s=s*60+x
print(f'{s:.1f}')" "$wall")
  total_s=$(python3 -c "print(f'{$total_s+$secs:.1f}')")
  printf '| %s | `%s` | %s | %s | %s s | %s MB |\n' "$crate" "$prop" \
    "$(python3 -c "print(f'{$cases:,}')")" "$fails" "$secs" "$(( rss / 1024 ))"
  if [ "$fails" -ne 0 ]; then
    failed=1
    { echo "---- $prop failed:"; grep -v "^$" "$log" | tail -40; } >&2
  fi
done <<<"$PROPS"
echo
echo "total wall time: ${total_s} s; load after: $(uptime)"
exit "$failed"
