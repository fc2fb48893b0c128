#!/usr/bin/env bash
# Issue #12 fair baselines for reading a cluster, side by side in one run,
# interleaved, against the sandbox API server (`modeldeck-apiserver --scale N
# --plain --control-signals`: N bound Deployments, request counters on SIGUSR2):
#   1. modeldeck status --output json    (discovery, paged lists (500) of
#      Deployments/CronJobs/InferenceServices by the binding label, Fleet rows, JSON)
#   2. kubectl get <the same kinds> -l <the binding label> --chunk-size 500
#      -o custom-columns=<the fields modeldeck's adapter reads>   (the closest work)
#   3. the same kubectl with -o json    (decodes and prints whole objects)
#   4. the listing floor: scripts/bench/kube_floor.py, one Python process, one
#      keep-alive connection, the same list requests and paging, no JSON decoding
# Before timing, every tool is run once and checked to see N objects, and the
# server's counters show the list requests each one made (the same paging).
# Prints markdown tables: wall time (median, min) and peak RSS over RUNS, the
# floor's own loop time (inside its process), the machine's load.
#
#   scripts/bench/status-vs-kubectl.sh            # N=10000 RUNS=10
#   N=1000 RUNS=3 scripts/bench/status-vs-kubectl.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${N:-10000}
RUNS=${RUNS:-10}
BIN=target/release/modeldeck
API=target/release/modeldeck-apiserver
LABEL=modeldeck.io/model
for t in kubectl jq python3 /usr/bin/time; do
  command -v "$t" >/dev/null || { echo "missing $t (apt-get install kubernetes-client jq python3 time)" >&2; exit 2; }
done
[ -x "$BIN" ] && [ -x "$API" ] || cargo build --release -p modeldeck -p modeldeck-apiserver >&2
PY=$(python3 -c 'import sys; print(sys.executable)') # not a pyenv shim: no shell start timed

work=$(mktemp -d)
server=
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
"$API" --plain --scale "$N" --control-signals --kubeconfig "$work/kubeconfig" >"$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 600); do grep -q "serving until" "$work/serve.log" 2>/dev/null && break; sleep 0.1; done
url=$(sed -n 's/^cluster [^:]*: //p' "$work/serve.log" | head -1)
[ -n "$url" ] || { cat "$work/serve.log" >&2; exit 1; }
export KUBECONFIG=$work/kubeconfig MODELDECK_CONFIG=$work/none.toml MODELDECK_LOG_DIR=$work/logs
export HOME=$work # kubectl's discovery cache: fresh, then warm from the warm-up runs

# The server's request counters (SIGUSR2 prints one line).
counters() {
  local before
  before=$(grep -c "^requests of" "$work/serve.log" || true)
  kill -USR2 "$server"
  for _ in $(seq 100); do
    [ "$(grep -c "^requests of" "$work/serve.log" || true)" -gt "$before" ] && break
    sleep 0.05
  done
  grep "^requests of" "$work/serve.log" | tail -1
}
count() { # count VERB/RESOURCE LINE
  local v
  v=$(grep -o "$1=[0-9]*" <<<"$2" | cut -d= -f2)
  echo "${v:-0}"
}
lists_of() { # what one run of a tool listed: "deployments 20, cronjobs 1, ..."
  local a=$1 b=$2 out=""
  for r in deployments cronjobs inferenceservices; do
    out="$out$r $(($(count "list/$r" "$b") - $(count "list/$r" "$a"))), "
  done
  echo "${out%, }"
}

# The kinds modeldeck lists: the InferenceService CRD only when installed.
kinds=deployments,cronjobs
paths=(/apis/apps/v1/deployments /apis/batch/v1/cronjobs)
if kubectl api-resources -o name 2>/dev/null | grep -q '^inferenceservices\.'; then
  kinds=$kinds,inferenceservices
  paths+=(/apis/serving.kserve.io/v1beta1/inferenceservices)
fi
# The fields crates/kube/src/convert.rs, binding.rs and rollout.rs read.
cols='NAMESPACE:.metadata.namespace,NAME:.metadata.name,UID:.metadata.uid,RV:.metadata.resourceVersion'
cols+=',CREATED:.metadata.creationTimestamp,LABELS:.metadata.labels,OWNERS:.metadata.ownerReferences[*].kind'
cols+=',GEN:.metadata.generation,VERSION:.spec.template.metadata.annotations.modeldeck\.io/model-version'
cols+=',ENV:.spec.template.spec.containers[*].env[*].value,REPLICAS:.spec.replicas,PAUSED:.spec.paused'
cols+=',READY:.status.readyReplicas,UPDATED:.status.updatedReplicas,CURRENT:.status.replicas'
cols+=',AVAILABLE:.status.availableReplicas,OBSERVED:.status.observedGeneration'
cols+=',CONDITIONS:.status.conditions[*].reason,SCHEDULE:.spec.schedule,SUSPEND:.spec.suspend'
cols+=',LAST:.status.lastScheduleTime,ACTIVE:.status.active[*].name'
kc="kubectl get $kinds -A -l $LABEL --chunk-size 500"
cat >"$work/kc-columns.sh" <<SH
exec $kc --no-headers -o custom-columns='$cols'
SH
floor="$PY -S scripts/bench/kube_floor.py $url --selector $LABEL --limit 500 ${paths[*]}"

# Sanity, one run each: the objects seen and the list requests made.
c0=$(counters)
got_md=$("$BIN" status --output json | jq '.workloads | length')
c1=$(counters)
got_cc=$(bash "$work/kc-columns.sh" | wc -l)
c2=$(counters)
got_kj=$($kc -o json | jq '.items | length')
c3=$(counters)
got_fl=$($floor --check | sed -n 's/^items=\([0-9]*\) .*/\1/p')
c4=$(counters)
{
  echo "objects seen (N=$N): modeldeck $got_md, kubectl custom-columns $got_cc, kubectl -o json $got_kj, floor $got_fl"
  echo "lists made: modeldeck: $(lists_of "$c0" "$c1")"
  echo "            kubectl custom-columns: $(lists_of "$c1" "$c2")"
  echo "            kubectl -o json: $(lists_of "$c2" "$c3")"
  echo "            floor: $(lists_of "$c3" "$c4")"
} >&2
for g in "$got_md" "$got_cc" "$got_kj" "$got_fl"; do
  [ "$g" = "$N" ] || { echo "mismatch: a tool did not see N=$N objects" >&2; exit 1; }
done
pages=$(( (N + 499) / 500 ))
for t in "modeldeck|$c0|$c1" "kubectl-columns|$c1|$c2" "kubectl-json|$c2|$c3" "floor|$c3|$c4"; do
  IFS="|" read -r name a b <<<"$t"
  d=$(( $(count list/deployments "$b") - $(count list/deployments "$a") ))
  [ "$d" = "$pages" ] || { echo "$name made $d Deployment list requests, expected $pages pages of 500" >&2; exit 1; }
done

# Where the time goes: each tool's own CPU (user + system) and the server's
# CPU while that tool ran, median of 3 runs each.
srv_ticks() { awk '{ print $14 + $15 }' "/proc/$server/stat"; }
hz=$(getconf CLK_TCK)
cpu_of() { # cpu_of NAME COMMAND...: "NAME: wall W s, own CPU U s user + S s sys, server CPU X s"
  local name=$1
  shift
  for _ in 1 2 3; do
    local t0
    t0=$(srv_ticks)
    /usr/bin/time -f "%e %U %S" -o "$work/cpu" "$@" >/dev/null
    echo "$(cat "$work/cpu") $(( $(srv_ticks) - t0 ))"
  done | sort -n | sed -n 2p | awk -v n="$name" -v hz="$hz" '{ printf "%s: wall %.2f s, own CPU %.2f s user + %.2f s sys, server CPU %.2f s\n", n, $1, $2, $3, $4 / hz }'
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
"$PY" scripts/bench/sidebyside.py --runs "$RUNS" --warmup 2 --json "$work/r.json" \
  modeldeck "$BIN status --output json" \
  kubectl-columns "bash $work/kc-columns.sh" \
  kubectl-json "$kc -o json" \
  floor "$floor" >"$work/rows.md"
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
cpu_md=$(cpu_of modeldeck "$BIN" status --output json)
# shellcheck disable=SC2086
cpu_fl=$(cpu_of floor $floor)
# shellcheck disable=SC2086
cpu_kc=$(cpu_of kubectl-columns bash "$work/kc-columns.sh")
inproc=$($floor --reps 5 | sed -n 's/.*loop_ms=//p' | sort -n | tr '\n' ' ')

echo
echo "| command (N=$N Deployments, $RUNS runs interleaved, end to end) | median | min | peak RSS |"
echo "|---|---:|---:|---:|"
cat "$work/rows.md"
echo
echo "floor, timed inside its process (5 listings, sorted): $inproc ms"
echo "where the time goes (median of 3 runs each, after the table):"
echo "  $cpu_md"
echo "  $cpu_fl"
echo "  $cpu_kc"
echo "load average (1, 5, 15 min): before $load_before, after $load_after; $(nproc) cores"
jq -r 'map({(.name): .median_ms}) | add as $m |
  "modeldeck / floor: \($m.modeldeck / $m.floor * 100 | round / 100)x (goal <= 1.3x); kubectl custom-columns / modeldeck: \($m["kubectl-columns"] / $m.modeldeck * 100 | round / 100)x; kubectl -o json / modeldeck: \($m["kubectl-json"] / $m.modeldeck * 100 | round / 100)x"' "$work/r.json"
