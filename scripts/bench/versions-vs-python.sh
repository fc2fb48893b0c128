#!/usr/bin/env bash
# Issue #3 benchmark, side by side in one run, END TO END (process start
# included), against the same real MLflow with COUNT versions of one model:
#   1. modeldeck versions <model> --output json   (MLFLOW_TRACKING_URI only)
#   2. python -c 'MlflowClient().search_model_versions(...)' paging to the end,
#      printing JSON (mlflow 3.17.2 from the test venv; import included)
#   3. a curl loop with the same filter, order and page size (1000), the floor
# The in-process comparison (listing loop timed inside each tool) is
# crates/mlflow/bench/list_versions.sh.
#
#   scripts/bench/versions-vs-python.sh            # COUNT=2000 RUNS=10
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
COUNT=${COUNT:-2000}
RUNS=${RUNS:-10}
export MODELDECK_CACHE=${MODELDECK_CACHE:-$ROOT/.cache}
PY=$MODELDECK_CACHE/mlflow-venv/bin/python
for t in curl jq hyperfine; do
  command -v "$t" >/dev/null || { echo "missing $t (apt-get install curl jq hyperfine)" >&2; exit 2; }
done
scripts/services/mlflow.sh install
eval "$(scripts/services/mlflow.sh start bench-e2e)"
trap 'scripts/services/mlflow.sh stop bench-e2e' EXIT
export MLFLOW_TRACKING_URI=$MODELDECK_TEST_MLFLOW_URI MODELDECK_CONFIG=/nonexistent
unset KUBECONFIG PROMETHEUS_URL MODELDECK_METRICS_URL
MODEL="bench-e2e-$$"
cargo build -q --release -p modeldeck -p modeldeck-mlflow --example list_versions
t0=$(date +%s)
target/release/examples/list_versions seed "$MLFLOW_TRACKING_URI" "$MODEL" "$COUNT"
echo "seeded $COUNT versions in $(( $(date +%s) - t0 )) s" >&2

work=$(mktemp -d)
cat >"$work/py.py" <<PYEOF
import json, sys
from mlflow import MlflowClient
c = MlflowClient()
out, tok = [], None
while True:
    page = c.search_model_versions("name = '$MODEL'", max_results=1000, order_by=["version_number DESC"], page_token=tok)
    out += [{"version": v.version, "aliases": list(v.aliases or []), "status": v.status,
             "run_id": v.run_id, "source": v.source, "tags": dict(v.tags or {})} for v in page]
    tok = page.token
    if not tok:
        break
json.dump({"count": len(out), "versions": out}, sys.stdout)
PYEOF
cat >"$work/curl.sh" <<'SHEOF'
tok="" n=0
while :; do
  args=(--data-urlencode "filter=name = '$MODEL'" --data-urlencode max_results=1000
        --data-urlencode "order_by=version_number DESC")
  [ -n "$tok" ] && args+=(--data-urlencode "page_token=$tok")
  curl -sS -G --fail "${args[@]}" "$MLFLOW_TRACKING_URI/api/2.0/mlflow/model-versions/search" \
    -o "$WORK/page.json"
  n=$((n + $(grep -o '"version": *"' "$WORK/page.json" | wc -l)))
  tok=$(grep -o '"next_page_token": *"[^"]*"' "$WORK/page.json" | cut -d'"' -f4)
  [ -z "$tok" ] && break
done
echo "$n"
SHEOF
export MODEL WORK=$work

n_md=$(target/release/modeldeck versions "$MODEL" -o json | jq '.versions | length')
n_py=$("$PY" "$work/py.py" | jq '.count')
n_curl=$(bash "$work/curl.sh")
echo "versions seen: modeldeck $n_md, python $n_py, curl $n_curl (COUNT=$COUNT)" >&2
[ "$n_md" = "$COUNT" ] && [ "$n_py" = "$COUNT" ] && [ "$n_curl" = "$COUNT" ] || { echo mismatch >&2; exit 1; }

hyperfine -N --warmup 2 --runs "$RUNS" --export-json "$work/h.json" \
  -n modeldeck "target/release/modeldeck versions $MODEL --output json" \
  -n python "$PY $work/py.py" \
  -n curl-loop "bash $work/curl.sh" >&2
echo
echo "| end to end ($COUNT versions, page 1000, $RUNS runs) | median | min |"
echo "|---|---:|---:|"
jq -r '.results[] | "| \(.command) | \(.median*1000|floor) ms | \(.min*1000|floor) ms |"' "$work/h.json"
jq -r '(.results | map({(.command): .median}) | add) as $m |
  "\npython / modeldeck: \(($m.python/$m.modeldeck)*10|floor/10)x; modeldeck / curl loop: \(($m.modeldeck/$m["curl-loop"])*100|floor/100)x"' "$work/h.json"
rm -rf "$work"
