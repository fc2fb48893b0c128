#!/usr/bin/env bash
# Issue #12 item 2, scale 10x: C contexts x N mixed workloads (default 10 x
# 10,000 = 100,000: Deployments, InferenceServices, suspended CronJobs and
# stream consumers in turn), served by the sandbox API server
# (`modeldeck-apiserver --plain --scale N --kinds deploy,isvc,cronjob,stream
# --contexts C --control-signals`: one server per context, one kubeconfig).
# Side by side in one run, each first checked to see all C x N objects:
#   1. the listing floor: scripts/bench/kube_floor.py, one Python process,
#      every (context, kind) listed at once over its own keep-alive
#      connection, the same paging (500) and label selector, no decoding;
#   2. kubectl -o custom-columns with the fields the adapter reads, one
#      kubectl per context, all at once (kubectl reads one context a run);
#   3. `modeldeck status --output json` on every context (MODELDECK_CONTEXTS=*):
#      wall time and peak RSS (scripts/bench/sidebyside.py, interleaved);
#   4. the TUI (`modeldeck` in tmux, 200x50): from start until the Fleet
#      shows a workload row, next to the floor's first page (same clock);
#   5. the kube adapter watching all C x N (crates/kube/examples/watch_rss,
#      all contexts): steady RSS, then SIGUSR1 drops every server's watch
#      history (410 Gone): the relists are COUNTED from the servers'
#      request counters (SIGUSR2) before the relist peak is reported.
#
#   scripts/bench/scale-10x.sh                 # C=10 N=10000 RUNS=3
#   C=2 N=1000 RUNS=1 scripts/bench/scale-10x.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
C=${C:-10}
N=${N:-10000}
RUNS=${RUNS:-3}
TUI_RUNS=${TUI_RUNS:-3}
STEADY=${STEADY:-15}
TOTAL=${TOTAL:-60}
TOTAL_N=$((C * N))
BIN=target/release/modeldeck
API=target/release/modeldeck-apiserver
RSS=target/release/examples/watch_rss
LABEL=modeldeck.io/model
for t in kubectl jq python3 tmux /usr/bin/time; do
  command -v "$t" >/dev/null || { echo "missing $t" >&2; exit 2; }
done
# Two builds: `--example` alone would select only the example's target.
[ -x "$BIN" ] && [ -x "$API" ] || cargo build -q --release -p modeldeck -p modeldeck-apiserver >&2
[ -x "$RSS" ] || cargo build -q --release -p modeldeck-kube --example watch_rss >&2
PY=$(python3 -c 'import sys; print(sys.executable)')

work=$(mktemp -d)
server= watcher=
sock="scale10x-$$"
trap 'tmux -L "$sock" kill-server 2>/dev/null || true; for p in $watcher $server; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$work"' EXIT
t_seed=$(date +%s%N)
"$API" --plain --scale "$N" --kinds deploy,isvc,cronjob,stream --contexts "$C" --control-signals \
  --name scale --kubeconfig "$work/kubeconfig" >"$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 3000); do grep -q "serving until" "$work/serve.log" 2>/dev/null && break; sleep 0.1; done
grep -q "serving until" "$work/serve.log" || { cat "$work/serve.log" >&2; exit 1; }
echo "servers up after $(( ($(date +%s%N) - t_seed) / 1000000 )) ms (seeding $TOTAL_N workloads)" >&2
mapfile -t urls < <(sed -n 's/^cluster [^:]*: //p' "$work/serve.log")
mapfile -t contexts < <(sed -n 's/^cluster \([^:]*\): .*/\1/p' "$work/serve.log")
[ "${#urls[@]}" = "$C" ] || { echo "expected $C servers, got ${#urls[@]}" >&2; exit 1; }
export KUBECONFIG=$work/kubeconfig MODELDECK_CONFIG=$work/none.toml MODELDECK_LOG_DIR=$work/logs
export MODELDECK_CONTEXTS='*' HOME=$work

counters() { # the request counters of every server, one line each, after this call
  local before
  before=$(grep -c "^requests of" "$work/serve.log" || true)
  kill -USR2 "$server"
  for _ in $(seq 200); do
    [ "$(grep -c "^requests of" "$work/serve.log" || true)" -ge $((before + C)) ] && break
    sleep 0.05
  done
  grep "^requests of" "$work/serve.log" | tail -n "$C"
}
sum_of() { # sum_of VERB/RESOURCE LINES: the counter summed over every server
  grep -o "$1=[0-9]*" <<<"$2" | cut -d= -f2 | awk '{ s += $1 } END { print s + 0 }'
}

paths=(/apis/apps/v1/deployments /apis/batch/v1/cronjobs /apis/serving.kserve.io/v1beta1/inferenceservices)
url_list=$(IFS=,; echo "${urls[*]}")
floor="$PY -S scripts/bench/kube_floor.py $url_list --selector $LABEL --limit 500 ${paths[*]}"
cols='NAMESPACE:.metadata.namespace,NAME:.metadata.name,UID:.metadata.uid,RV:.metadata.resourceVersion'
cols+=',CREATED:.metadata.creationTimestamp,LABELS:.metadata.labels,OWNERS:.metadata.ownerReferences[*].kind'
cols+=',GEN:.metadata.generation,VERSION:.spec.template.metadata.annotations.modeldeck\.io/model-version'
cols+=',ENV:.spec.template.spec.containers[*].env[*].value,REPLICAS:.spec.replicas,PAUSED:.spec.paused'
cols+=',READY:.status.readyReplicas,UPDATED:.status.updatedReplicas,CURRENT:.status.replicas'
cols+=',AVAILABLE:.status.availableReplicas,OBSERVED:.status.observedGeneration'
cols+=',CONDITIONS:.status.conditions[*].reason,SCHEDULE:.spec.schedule,SUSPEND:.spec.suspend'
cols+=',LAST:.status.lastScheduleTime,ACTIVE:.status.active[*].name'
cols+=',URI:.spec.predictor.model.storageUri,CANARY:.spec.predictor.canaryTrafficPercent'
{
  echo "for c in ${contexts[*]}; do"
  echo "  kubectl --context \$c get deployments,cronjobs,inferenceservices -A -l $LABEL --chunk-size 500 --no-headers -o custom-columns='$cols' &"
  echo "done; wait"
} >"$work/kc-columns.sh"

# Sanity, one run each: the objects seen, the list requests made.
c0=$(counters)
got_md=$("$BIN" status --output json | jq '.workloads | length')
c1=$(counters)
got_cc=$(bash "$work/kc-columns.sh" | wc -l)
got_fl=$($floor --check | sed -n 's/^items=\([0-9]*\) .*/\1/p')
echo "objects seen ($C x $N = $TOTAL_N): modeldeck $got_md, kubectl custom-columns $got_cc, floor $got_fl" >&2
for g in "$got_md" "$got_cc" "$got_fl"; do
  [ "$g" = "$TOTAL_N" ] || { echo "mismatch: a tool did not see $TOTAL_N objects" >&2; exit 1; }
done
echo "modeldeck's list requests: deployments $(( $(sum_of list/deployments "$c1") - $(sum_of list/deployments "$c0") )), cronjobs $(( $(sum_of list/cronjobs "$c1") - $(sum_of list/cronjobs "$c0") )), inferenceservices $(( $(sum_of list/inferenceservices "$c1") - $(sum_of list/inferenceservices "$c0") ))" >&2

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
"$PY" scripts/bench/sidebyside.py --runs "$RUNS" --warmup 1 --json "$work/r.json" \
  modeldeck "$BIN status --output json" \
  kubectl-columns "bash $work/kc-columns.sh" \
  floor "$floor" >"$work/rows.md"
load_mid=$(cut -d' ' -f1-3 /proc/loadavg)

# TUI: start to the first workload row on screen, next to the floor's first page.
tui_first() {
  local t0 t1 i
  tmux -L "$sock" kill-server 2>/dev/null || true
  t0=$(date +%s%N)
  tmux -L "$sock" new-session -d -x 200 -y 50 "env KUBECONFIG=$KUBECONFIG MODELDECK_CONFIG=$MODELDECK_CONFIG MODELDECK_LOG_DIR=$MODELDECK_LOG_DIR MODELDECK_CONTEXTS='*' HOME=$HOME $BIN --no-mouse"
  for i in $(seq 20000); do
    if tmux -L "$sock" capture-pane -p 2>/dev/null | grep -q "serve-[0-9]"; then
      t1=$(date +%s%N)
      echo $(( (t1 - t0) / 1000000 ))
      tmux -L "$sock" kill-server 2>/dev/null || true
      return
    fi
    [ "$i" -gt 10 ] && sleep 0.005
  done
  tmux -L "$sock" capture-pane -p >&2
  echo "the TUI showed no workload row" >&2
  exit 1
}
floor_first() {
  local t0 line
  t0=$(date +%s%N)
  line=$($floor)
  echo $(( $(sed -n 's/.*first_page_epoch_ms=\([0-9]*\).*/\1/p' <<<"$line") - t0 / 1000000 ))
}
tui_ms=() floor_ms=()
for _ in $(seq "$TUI_RUNS"); do
  floor_ms+=("$(floor_first)")
  tui_ms+=("$(tui_first)")
done
med() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
tui_med=$(med "${tui_ms[@]}") floor_med=$(med "${floor_ms[@]}")

# Watch memory at C x N with a forced, counted relist.
"$RSS" "$work/kubeconfig" "$TOTAL" all >"$work/rss.txt" &
watcher=$!
until grep -q "^# listed" "$work/rss.txt" 2>/dev/null; do
  kill -0 "$watcher" 2>/dev/null || { echo "watch_rss ended before listing" >&2; exit 1; }
  sleep 0.2
done
grep -q "^# listed $TOTAL_N " "$work/rss.txt" || { head -1 "$work/rss.txt" >&2; echo "watch_rss did not list $TOTAL_N" >&2; exit 1; }
sleep "$STEADY"
c_before=$(counters)
expire_ms=$(tail -1 "$work/rss.txt" | cut -d' ' -f1)
kill -USR1 "$server"
for _ in $(seq 100); do [ "$(grep -c "^history expired" "$work/serve.log")" -ge "$C" ] && break; sleep 0.05; done
wait "$watcher"
watcher=
c_end=$(counters)
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
dep_pages=$(( (N / 2 + 499) / 500 )) # deploy + stream are Deployments: N/2 per context
relist_pages=$(( $(sum_of list/deployments "$c_end") - $(sum_of list/deployments "$c_before") ))
relists=$(( relist_pages / dep_pages ))
echo "Deployment list requests after the compaction: $relist_pages = $relists full relists of $dep_pages pages (one per context expected: $C)" >&2
[ "$relists" -ge "$C" ] || { echo "FAIL: not every context relisted ($relists of $C): no relist figure" >&2; exit 1; }
grep -q "^# end: $TOTAL_N workloads" "$work/rss.txt" || { tail -1 "$work/rss.txt" >&2; echo "FAIL: the adapter does not hold $TOTAL_N at the end" >&2; exit 1; }
rss_row=$(python3 - "$expire_ms" "$relists" "$work/rss.txt" <<'PY'
import sys
r, relists, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
steady, peak, at, last = [], 0, 0, 0
for line in open(path):
    if line.startswith("#"):
        continue
    t, kib = (int(x) for x in line.split()[:2])
    if t <= r:
        steady.append(kib)
    else:
        if kib > peak:
            peak, at = kib, t - r
        last = kib
steady.sort()
med = steady[(len(steady) + 1) // 2 - 1]
print(f"| {med / 1024:.1f} MiB | {relists} | {peak / 1024:.1f} MiB ({at} ms after) | {peak / med:.2f}x | {last / 1024:.1f} MiB |")
PY
)

echo
echo "| command ($C contexts x $N mixed workloads = $TOTAL_N, $RUNS runs interleaved, end to end) | median | min | peak RSS |"
echo "|---|---:|---:|---:|"
cat "$work/rows.md"
echo
echo "| first screen ($TUI_RUNS runs) | median | runs |"
echo "|---|---:|---|"
echo "| floor: first page of any listing | $floor_med ms | ${floor_ms[*]} |"
echo "| TUI: first workload row on the Fleet | $tui_med ms | ${tui_ms[*]} |"
echo "| TUI - floor | $((tui_med - floor_med)) ms (goal <= 150 ms) | |"
echo
echo "| watching $TOTAL_N: steady RSS (median) | relists counted | peak after the compaction | peak / steady | RSS at the end |"
echo "|---:|---:|---:|---:|---:|"
echo "$rss_row"
echo
echo "load average (1, 5, 15 min): before $load_before, after the table $load_mid, at the end $load_after; $(nproc) cores"
jq -r 'map({(.name): .median_ms}) | add as $m |
  "modeldeck / floor: \($m.modeldeck / $m.floor * 100 | round / 100)x (goal <= 1.3x); kubectl custom-columns / modeldeck: \($m["kubectl-columns"] / $m.modeldeck * 100 | round / 100)x"' "$work/r.json"
