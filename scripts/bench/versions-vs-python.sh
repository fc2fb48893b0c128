#!/usr/bin/env bash
# Issue #12 fair baselines for reading a registry, side by side in one run,
# interleaved, against one real MLflow 3.17.2 server (scripts/services/mlflow.sh,
# sqlite, loopback) holding COUNT versions of one model, EACH VERSION WITH ITS
# OWN RUN (metrics and params), seeded by scripts/bench/mlflow_bench.py.
# Two workloads, each read by three tools:
#   list:    `modeldeck versions M --metrics 0 -o json`: the registered model
#            (aliases) and every version, pages of 1000 newest first
#   default: `modeldeck versions M -o json`: the same plus the runs of the 50
#            newest versions (`--metrics` defaults to 50)
# and for each:
#   - modeldeck, end to end (process start to exit);
#   - Python MlflowClient doing the same reads (mlflow_bench.py client): end
#     to end (interpreter start and `import mlflow` included, printing JSON),
#     and in process (timed inside Python after the import, 5 reps);
#   - the floor (mlflow_bench.py floor): the same requests from one process
#     over one keep-alive connection, no JSON decoding (tokens and run ids cut
#     out of the bytes); end to end and in process.
# The Rust client's own in-process listing (the `list` workload without the
# process) comes from crates/mlflow's list_versions example (rust-registry).
# Before timing, every tool is checked to see COUNT versions and the same
# number of runs, and the server's access log shows the requests each made.
#
#   scripts/bench/versions-vs-python.sh            # COUNT=2000 RUNS=10
#   COUNT=100 RUNS=3 scripts/bench/versions-vs-python.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
COUNT=${COUNT:-2000}
RUNS=${RUNS:-10}
K=50 # modeldeck's default --metrics
export MODELDECK_CACHE=${MODELDECK_CACHE:-$ROOT/.cache}
VPY=$MODELDECK_CACHE/mlflow-venv/bin/python
for t in jq python3 /usr/bin/time; do
  command -v "$t" >/dev/null || { echo "missing $t (apt-get install jq python3 time)" >&2; exit 2; }
done
PY=$(python3 -c 'import sys; print(sys.executable)') # not a pyenv shim
scripts/services/mlflow.sh install
NAME=bench-versions-$$
eval "$(scripts/services/mlflow.sh start "$NAME")"
work=$(mktemp -d)
trap 'scripts/services/mlflow.sh stop "$NAME"; rm -rf "$work"' EXIT
LOG=$MODELDECK_CACHE/mlflow-run/$NAME/server.log
export MLFLOW_TRACKING_URI=$MODELDECK_TEST_MLFLOW_URI MODELDECK_CONFIG=/nonexistent MODELDECK_LOG_DIR=$work/logs
unset KUBECONFIG PROMETHEUS_URL MODELDECK_METRICS_URL
URI=$MLFLOW_TRACKING_URI
MODEL=bench-$$
# Two builds: `--example` alone would select only the example's target.
[ -x target/release/modeldeck ] || cargo build -q --release -p modeldeck
[ -x target/release/examples/list_versions ] ||
  cargo build -q --release -p modeldeck-mlflow --example list_versions
"$PY" scripts/bench/mlflow_bench.py seed "$URI" "$MODEL" "$COUNT"

B=scripts/bench/mlflow_bench.py
requests() { # requests() LINE_BEFORE: what the server served since, by endpoint
  tail -n +"$(($1 + 1))" "$LOG" | grep -o '"[A-Z]* /api/2.0/mlflow/[a-z/-]*' | sed 's|.*/mlflow/||' |
    sort | uniq -c | awk '{ printf "%s %s, ", $2, $1 }' | sed 's/, $//'
}
check() { # check NAME EXPECTED_RUNS COMMAND...: prints versions and runs seen
  local name=$1 want_runs=$2
  shift 2
  local l0 out v r
  l0=$(wc -l <"$LOG")
  out=$("$@")
  case $name in
  modeldeck*)
    v=$(jq '.versions | length' <<<"$out")
    r=$(jq '[.versions[] | select(.metrics != null) | .run_id] | unique | length' <<<"$out")
    ;;
  python-e2e*)
    v=$(jq '.versions | length' <<<"$out")
    r=$(jq '[.versions[] | select(.metrics != null) | .run_id] | unique | length' <<<"$out")
    ;;
  *)
    v=$(sed -n 's/^versions=\([0-9]*\) .*/\1/p' <<<"$out")
    r=$(sed -n 's/.* runs=\([0-9]*\) .*/\1/p' <<<"$out")
    ;;
  esac
  echo "$name: $v versions, $r runs read; requests: $(requests "$l0")" >&2
  [ "$v" = "$COUNT" ] && [ "$r" = "$want_runs" ] || { echo "mismatch: $name saw $v versions and $r runs, expected $COUNT and $want_runs" >&2; exit 1; }
}
# Each version its own run: the run ids of all versions are distinct.
distinct=$(target/release/modeldeck versions "$MODEL" --metrics 0 -o json | jq '[.versions[].run_id] | unique | length')
[ "$distinct" = "$COUNT" ] || { echo "the seed gave $distinct distinct runs for $COUNT versions" >&2; exit 1; }
kk=$((K < COUNT ? K : COUNT))
check modeldeck-list 0 target/release/modeldeck versions "$MODEL" --metrics 0 -o json
check modeldeck-default "$kk" target/release/modeldeck versions "$MODEL" -o json
check python-e2e-list 0 "$VPY" $B client "$URI" "$MODEL" --runs 0 --print
check python-e2e-default "$kk" "$VPY" $B client "$URI" "$MODEL" --runs "$K" --print
check floor-list 0 "$PY" -S $B floor "$URI" "$MODEL" --runs 0
check floor-default "$kk" "$PY" -S $B floor "$URI" "$MODEL" --runs "$K"

load() { cut -d' ' -f1-3 /proc/loadavg; }
table() { # table WORKLOAD METRICS_ARG RUNS_ARG
  local lb la
  lb=$(load)
  "$PY" scripts/bench/sidebyside.py --runs "$RUNS" --warmup 2 --json "$work/$1.json" \
    modeldeck "target/release/modeldeck versions $MODEL --metrics $2 -o json" \
    python-MlflowClient "$VPY $B client $URI $MODEL --runs $3 --print" \
    floor "$PY -S $B floor $URI $MODEL --runs $3" >"$work/$1.md"
  la=$(load)
  echo
  echo "| $1 workload ($COUNT versions, --metrics $2; end to end, $RUNS runs interleaved) | median | min | peak RSS |"
  echo "|---|---:|---:|---:|"
  cat "$work/$1.md"
  echo "load average (1, 5, 15 min): before $lb, after $la; $(nproc) cores"
  jq -r 'map({(.name): .median_ms}) | add as $m |
    "modeldeck / floor: \($m.modeldeck / $m.floor * 100 | round / 100)x; python / modeldeck: \($m["python-MlflowClient"] / $m.modeldeck * 10 | round / 10)x"' "$work/$1.json"
}
table list 0 0
table default "$K" "$K"

# In process: each loop timed inside its own process, 5 reps after a warm-up rep.
med() { sed -n 's/.*loop_ms=\([0-9.]*\).*/\1/p' | tail -n +2 | sort -n | awk '{ a[NR] = $1 } END { printf "%.0f ms (min %.0f)", a[int((NR + 1) / 2)], a[1] }'; }
lb=$(load)
py_list=$("$VPY" $B client "$URI" "$MODEL" --runs 0 --reps 6 | med)
py_def=$("$VPY" $B client "$URI" "$MODEL" --runs "$K" --reps 6 | med)
fl_list=$("$PY" -S $B floor "$URI" "$MODEL" --runs 0 --reps 6 | med)
fl_def=$("$PY" -S $B floor "$URI" "$MODEL" --runs "$K" --reps 6 | med)
rust=$(target/release/examples/list_versions list "$URI" "$MODEL" 1000 6 | awk '$1 == "rust-registry" { print "loop_ms=" $2 }' | med)
imp=$( { for _ in 1 2 3; do "$VPY" -X importtime -c 'from mlflow import MlflowClient' 2>&1 >/dev/null | tail -1; done; } |
  awk -F'|' '{ print $2 + 0 }' | sort -n | head -1)
la=$(load)
echo
echo "| in process, median of 5 (min) | list workload | default workload (+ $K runs) |"
echo "|---|---:|---:|"
echo "| Rust registry (list_versions example, rust-registry: search + aliases) | $rust | - |"
echo "| Python MlflowClient | $py_list | $py_def |"
echo "| floor (one connection, no decoding) | $fl_list | $fl_def |"
echo "Python 'from mlflow import MlflowClient' alone (best of 3, -X importtime, cumulative): $((imp / 1000)) ms"
echo "load average (1, 5, 15 min): before $lb, after $la; $(nproc) cores"
