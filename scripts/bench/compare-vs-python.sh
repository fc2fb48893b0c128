#!/usr/bin/env bash
# Issue #13 benchmark: compare two versions whose runs have METRICS metrics,
# PARAMS params and HIST metrics with STEPS-step histories (plus a logged
# sklearn model with a signature and a dataset input each), against one real
# MLflow 3.17.2 (scripts/services/mlflow.sh, sqlite, loopback, one worker),
# seeded by scripts/bench/compare_bench.py. Side by side, interleaved:
#   - end to end: `modeldeck compare M 1 2 --curve m000 .. --curve m00<HIST-1> -o json`
#     (process start to exit) vs compare_bench.py client (Python MlflowClient
#     reading the same: both versions and runs, both MLmodel signatures via
#     get_model_info, dataset inputs, the HIST histories of both runs; import included);
#   - in process: crates/mlflow's compare_read example (first paint = both
#     versions and runs, what the metric table needs; complete = plus the
#     signatures, datasets and histories) vs the Python loop timed after import.
# Every tool is checked to read the same counts first.
#
#   scripts/bench/compare-vs-python.sh                # METRICS=100 PARAMS=200 HIST=5 STEPS=5000 RUNS=5
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
METRICS=${METRICS:-100} PARAMS=${PARAMS:-200} HIST=${HIST:-5} STEPS=${STEPS:-5000} RUNS=${RUNS:-5}
export MODELDECK_CACHE=${MODELDECK_CACHE:-$ROOT/.cache}
VPY=$MODELDECK_CACHE/mlflow-venv/bin/python
PY=$(python3 -c 'import sys; print(sys.executable)')
for t in jq /usr/bin/time; do command -v "$t" >/dev/null || { echo "missing $t" >&2; exit 2; }; done
scripts/services/mlflow.sh install
NAME=bench-compare-$$
eval "$(scripts/services/mlflow.sh start "$NAME")"
work=$(mktemp -d)
trap 'scripts/services/mlflow.sh stop "$NAME"; rm -rf "$work"' EXIT
export MLFLOW_TRACKING_URI=$MODELDECK_TEST_MLFLOW_URI MODELDECK_CONFIG=/nonexistent MODELDECK_LOG_DIR=$work/logs
unset KUBECONFIG PROMETHEUS_URL MODELDECK_METRICS_URL
URI=$MLFLOW_TRACKING_URI MODEL=bench-$$ B=scripts/bench/compare_bench.py
# Two builds: `--example` alone would select only the example's target.
cargo build -q --release -p modeldeck
cargo build -q --release -p modeldeck-mlflow --example compare_read
echo "seeding: 2 versions, $METRICS metrics, $PARAMS params, $HIST x $STEPS-step histories each" >&2
"$VPY" $B seed "$URI" "$MODEL" "$METRICS" "$PARAMS" "$HIST" "$STEPS" >/dev/null 2>"$work/seed.err" ||
  { cat "$work/seed.err" >&2; exit 1; }
curves=""
for ((m = 0; m < HIST; m++)); do curves+=" --curve $(printf 'm%03d' "$m")"; done
MD="target/release/modeldeck compare $MODEL 1 2$curves -o json"
# Same data read by every tool.
md=$($MD | jq -c '{metrics: (.metrics | length), params: (.params | length),
  inputs: [.schema.a.signature.inputs, .schema.b.signature.inputs | length],
  datasets: [.lineage.rows[] | [.a, .b] | map(select(. != null)) | length] | add,
  points: ([.curves[] | (.a | length) + (.b | length)] | add)}')
py=$("$VPY" $B client "$URI" "$MODEL" "$HIST")
rs=$(target/release/examples/compare_read "$URI" "$MODEL" "$HIST" 1)
echo "modeldeck: $md" >&2; echo "python: $py" >&2; echo "compare_read: $rs" >&2
want=$((2 * HIST * STEPS))
[ "$(jq .points <<<"$md")" = "$want" ] && [ "$(jq .points <<<"$py")" = "$want" ] &&
  grep -q "points=$want metrics=$((2 * METRICS)) params=$((2 * PARAMS))" <<<"$rs" &&
  [ "$(jq .metrics <<<"$md")" = "$METRICS" ] && [ "$(jq .params <<<"$md")" = "$PARAMS" ] ||
  { echo "the tools did not read the same data" >&2; exit 1; }

load() { cut -d' ' -f1-3 /proc/loadavg; }
lb=$(load)
"$PY" scripts/bench/sidebyside.py --runs "$RUNS" --warmup 1 --json "$work/e2e.json" \
  modeldeck "$MD" python-MlflowClient "$VPY $B client $URI $MODEL $HIST" >"$work/e2e.md"
la=$(load)
echo
echo "| end to end ($RUNS runs interleaved) | median | min | peak RSS |"
echo "|---|---:|---:|---:|"
cat "$work/e2e.md"
echo "load average (1, 5, 15 min): before $lb, after $la; $(nproc) cores"
lb=$(load)
rust=$(target/release/examples/compare_read "$URI" "$MODEL" "$HIST" $((RUNS + 1)) | tail -n +2)
pyl=$("$VPY" $B client "$URI" "$MODEL" "$HIST" --reps $((RUNS + 1)) | tail -n +2)
la=$(load)
med() { sort -n | awk '{ a[NR] = $1 } END { printf "%.0f ms (min %.0f)", a[int((NR + 1) / 2)], a[1] }'; }
echo
echo "| in process, median of $RUNS after a warm-up (min) | first paint | complete |"
echo "|---|---:|---:|"
echo "| Rust registry (compare_read) | $(sed -n 's/.*first_ms=\([0-9.]*\).*/\1/p' <<<"$rust" | med) | $(sed -n 's/.*complete_ms=\([0-9.]*\).*/\1/p' <<<"$rust" | med) |"
echo "| Python MlflowClient (no first paint: one result) | - | $(sed -n 's/loop_ms=//p' <<<"$pyl" | med) |"
echo "load average (1, 5, 15 min): before $lb, after $la; $(nproc) cores"
