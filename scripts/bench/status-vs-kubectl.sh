#!/usr/bin/env bash
# Issue #3 benchmark, side by side in one run: reading N Deployments from the
# sandbox Kubernetes API server (`modeldeck sandbox serve --scale N`) with
#   1. modeldeck status --output json   (kube adapter: discovery, paged lists of
#      Deployments/CronJobs/InferenceServices, Fleet rows, JSON; cluster only)
#   2. kubectl get deploy -A -o json   (kubectl's default --chunk-size 500)
#   3. a curl loop with the same paging (limit=500 + continue), the floor
# Prints a markdown table: median and min wall time over RUNS, peak RSS.
#
#   scripts/bench/status-vs-kubectl.sh            # N=10000 RUNS=10
#   N=1000 RUNS=20 scripts/bench/status-vs-kubectl.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${N:-10000}
RUNS=${RUNS:-10}
BIN=target/release/modeldeck
for t in kubectl curl jq hyperfine /usr/bin/time; do
  command -v "$t" >/dev/null || { echo "missing $t (apt-get install kubernetes-client curl jq hyperfine time)" >&2; exit 2; }
done
[ -x "$BIN" ] || cargo build --release -p modeldeck >&2

work=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
"$BIN" sandbox serve --scale "$N" --plain --kubeconfig "$work/kubeconfig" >"$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 300); do
  grep -q "serving until" "$work/serve.log" 2>/dev/null && break
  sleep 0.1
done
url=$(sed -n 's/^cluster [^:]*: //p' "$work/serve.log" | head -1)
[ -n "$url" ] || { cat "$work/serve.log" >&2; exit 1; }
export KUBECONFIG=$work/kubeconfig MODELDECK_CONFIG=$work/none.toml MODELDECK_LOG_DIR=$work/logs

# The floor: one curl per page, the continue token cut out with grep (no JSON
# parsing at all), pages written to a file.
curl_loop() {
  local cont="" pages=0
  while :; do
    local q="limit=500"
    [ -n "$cont" ] && q="$q&continue=$cont"
    curl -sS "$url/apis/apps/v1/deployments?$q" -o "$work/page.json"
    pages=$((pages + 1))
    cont=$(grep -o '"continue":"[^"]*"' "$work/page.json" | head -1 | cut -d'"' -f4)
    [ -z "$cont" ] && break
  done
  echo "$pages"
}
export -f curl_loop
export url work

# Sanity: every tool sees N.
got_md=$("$BIN" status --output json | jq '.workloads | length')
got_kc=$(kubectl get deploy -A -o json | jq '.items | length')
pages=$(curl_loop)
got_curl=$(( (pages - 1) * 500 + $(jq '.items | length' "$work/page.json") ))
echo "objects seen: modeldeck $got_md, kubectl $got_kc, curl $got_curl (N=$N)" >&2
[ "$got_md" = "$N" ] && [ "$got_kc" = "$N" ] && [ "$got_curl" = "$N" ] || { echo "mismatch" >&2; exit 1; }

hyperfine -N --warmup 2 --runs "$RUNS" --export-json "$work/h.json" \
  -n modeldeck "$BIN status --output json" \
  -n kubectl "kubectl get deploy -A -o json" \
  -n curl-loop "bash -c curl_loop" >&2

rss() { /usr/bin/time -f %M "$@" >/dev/null 2>"$work/rss" || true; tail -1 "$work/rss"; }
rss_md=$(rss "$BIN" status --output json)
rss_kc=$(rss kubectl get deploy -A -o json)

echo
echo "| command (N=$N Deployments, $RUNS runs) | median | min | peak RSS |"
echo "|---|---:|---:|---:|"
jq -r --arg md "$rss_md" --arg kc "$rss_kc" '.results[] |
  [.command, (.median*1000|floor|tostring)+" ms", (.min*1000|floor|tostring)+" ms",
   (if .command=="modeldeck" then (($md|tonumber)/1024|floor|tostring)+" MiB"
    elif .command=="kubectl" then (($kc|tonumber)/1024|floor|tostring)+" MiB" else "-" end)]
  | "| " + join(" | ") + " |"' "$work/h.json"
jq -r '(.results | map({(.command): .median}) | add) as $m |
  "\nmodeldeck / curl floor: \(($m.modeldeck/$m["curl-loop"])*100|floor/100)x; modeldeck / kubectl: \(($m.modeldeck/$m.kubectl)*100|floor/100)x"' "$work/h.json"
