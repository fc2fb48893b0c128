#!/usr/bin/env bash
# Benchmark of `modeldeck --sandbox status --output json` on generated
# sandbox worlds (100, 1,000 and 10,000 workloads): wall time with hyperfine
# (10 runs after 2 warm-ups, no shell), peak RSS with /usr/bin/time -v, output size.
# Prints a Markdown table for crates/modeldeck/BENCHMARKS.md.
#
#   crates/modeldeck/benches/status_json.sh            # builds --release first
#   SIZES="10000" RUNS=20 crates/modeldeck/benches/status_json.sh
set -euo pipefail
cd "$(dirname "$0")/../../.."
SIZES="${SIZES:-100 1000 10000}"
RUNS="${RUNS:-10}"
command -v hyperfine >/dev/null || { echo "needs hyperfine (apt-get install hyperfine)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "needs GNU time (apt-get install time)" >&2; exit 1; }

cargo build --release -p modeldeck --quiet
BIN="$PWD/target/release/modeldeck"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
export MODELDECK_LOG_DIR="$WORK/logs"

echo "date: $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown), load before: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
echo
echo "| workloads | mean | stddev | min | max | peak RSS | JSON size |"
echo "|---:|---:|---:|---:|---:|---:|---:|"
for n in $SIZES; do
  export MODELDECK_SANDBOX_WORKLOADS="$n"
  "$BIN" --sandbox status --output json >"$WORK/out.json"
  got=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["count"])' "$WORK/out.json")
  [ "$got" = "$n" ] || { echo "expected $n workloads, got $got" >&2; exit 1; }
  bytes=$(wc -c <"$WORK/out.json")
  hyperfine -N --style none --warmup 2 --runs "$RUNS" --export-json "$WORK/h.json" \
    "$BIN --sandbox status --output json" >/dev/null
  /usr/bin/time -v "$BIN" --sandbox status --output json >/dev/null 2>"$WORK/time.txt"
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/time.txt")
  python3 - "$WORK/h.json" "$n" "$rss" "$bytes" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
ms = lambda s: f"{s * 1000:.1f} ms"
n, rss, size = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
print(f"| {int(n):,} | {ms(r['mean'])} | {ms(r['stddev'])} | {ms(r['min'])} | {ms(r['max'])} "
      f"| {rss / 1024:.1f} MiB | {size / 1024 / 1024:.2f} MiB |")
PY
done
echo
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
