#!/usr/bin/env bash
# Listing N versions of one model, side by side, against the same real MLflow:
#   1. the Rust client (modeldeck-mlflow, release build, one process, keep-alive)
#   2. Python MlflowClient().search_model_versions from the test venv (one process)
#   3. a curl loop (one curl process per page), same filter, order and page size
#
#   crates/mlflow/bench/list_versions.sh [COUNT=2000] [PAGE_SIZES="200 1000"] [REPS=3] [ROUNDS=3]
#
# Each round runs every tool REPS times in turn, so load changes on a shared
# machine hit all tools alike. BENCH_MODEL=<name> reuses an already seeded model.
# Uses $MODELDECK_TEST_MLFLOW_URI if set, else starts (and stops) a server
# named "bench" with scripts/services/mlflow.sh. Prints a markdown table of
# median and best wall time per full listing, measured inside each tool.
set -euo pipefail
cd "$(dirname "$0")/../../.."
ROOT=$PWD
COUNT=${1:-2000}
PAGE_SIZES=${2:-"200 1000"}
REPS=${3:-3}
ROUNDS=${4:-3}
export MODELDECK_CACHE=${MODELDECK_CACHE:-$ROOT/.cache}
PY=$MODELDECK_CACHE/mlflow-venv/bin/python

scripts/services/mlflow.sh install
if [ -z "${MODELDECK_TEST_MLFLOW_URI:-}" ]; then
  eval "$(scripts/services/mlflow.sh start bench)"
  trap 'scripts/services/mlflow.sh stop bench' EXIT
fi
URI=$MODELDECK_TEST_MLFLOW_URI
MODEL=${BENCH_MODEL:-"bench-versions-$(date +%s)-$$"}
OUT=$(mktemp -d)

cargo build -q --release -p modeldeck-mlflow --example list_versions
BIN=$ROOT/target/release/examples/list_versions

if [ -z "${BENCH_MODEL:-}" ]; then
  t0=$(date +%s)
  "$BIN" seed "$URI" "$MODEL" "$COUNT"
  echo "seeded $COUNT versions of $MODEL in $(( $(date +%s) - t0 )) s" >&2
fi

curl_loop() { # page_size -> prints "curl <ms> <n>"
  local ps=$1 tok="" n=0 start end page
  start=$(date +%s%N)
  while :; do
    local -a args=(-s -G "$URI/api/2.0/mlflow/model-versions/search"
      --data-urlencode "filter=name = '$MODEL'" --data-urlencode "max_results=$ps"
      --data-urlencode "order_by=version_number DESC")
    [ -n "$tok" ] && args+=(--data-urlencode "page_token=$tok")
    page=$(curl "${args[@]}")
    n=$(( n + $(grep -c '"version": "' <<<"$page" || true) ))
    tok=$(grep -o '"next_page_token": *"[^"]*"' <<<"$page" | sed 's/.*: *"\(.*\)"/\1/' || true)
    [ -z "$tok" ] && break
  done
  end=$(date +%s%N)
  echo "curl $(( (end - start) / 1000 )) $n" | awk '{printf "%s %.2f %s\n", $1, $2/1000, $3}'
}

for round in $(seq "$ROUNDS"); do
for ps in $PAGE_SIZES; do
  f=$OUT/ps$ps
  "$BIN" list "$URI" "$MODEL" "$ps" "$REPS" >>"$f"
  "$PY" - "$URI" "$MODEL" "$ps" "$REPS" >>"$f" <<'EOF'
import sys, time
uri, model, ps, reps = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
t0 = time.perf_counter()
from mlflow import MlflowClient
print("python-import %.2f 0" % ((time.perf_counter() - t0) * 1000))
c = MlflowClient(tracking_uri=uri, registry_uri=uri)
for _ in range(reps):
    t = time.perf_counter()
    n, tok = 0, None
    while True:
        page = c.search_model_versions(f"name = '{model}'", max_results=ps,
                                       order_by=["version_number DESC"], page_token=tok)
        n += len(page)
        tok = page.token
        if not tok:
            break
    print("python %.2f %d" % ((time.perf_counter() - t) * 1000, n))
EOF
  for _ in $(seq "$REPS"); do curl_loop "$ps" >>"$f"; done
done
echo "round $round done" >&2
done

echo
echo "MLflow $(curl -s "$URI/version"), $COUNT versions, $((REPS * ROUNDS)) listings per tool, $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)"
echo
echo "| page size | pages | tool | versions | median ms | best ms |"
echo "|---|---|---|---|---|---|"
for ps in $PAGE_SIZES; do
  pages=$(( (COUNT + ps - 1) / ps ))
  for tool in rust-client rust-registry python curl python-import; do
    grep "^$tool " "$OUT/ps$ps" | awk -v ps="$ps" -v pages="$pages" -v tool="$tool" '
      { v[NR] = $2; n = $3 }
      END {
        if (NR == 0) exit
        # sort values
        for (i = 1; i <= NR; i++) for (j = i + 1; j <= NR; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
        med = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
        printf "| %s | %s | %s | %s | %.1f | %.1f |\n", ps, pages, tool, (tool == "python-import" ? "-" : n), med, v[1]
      }'
  done
done
rm -rf "$OUT"
