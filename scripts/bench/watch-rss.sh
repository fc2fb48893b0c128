#!/usr/bin/env bash
# Issue #12 benchmark: resident memory of the kube adapter (its own process,
# release build, crates/kube/examples/watch_rss.rs) watching N Deployments
# served by the sandbox API server (`modeldeck-apiserver --scale N --plain
# --control-signals`): steady, then while it RELISTS after the server drops
# its watch history (SIGUSR1, as when etcd compacts): open watches end with
# 410 Gone, the adapter's resourceVersion is expired, and kube's watcher must
# list everything again. The script counts that relist from the server's
# request counters (SIGUSR2: Deployment list requests before the compaction
# and at the end; a full list is ceil(N/500) pages) and fails when there was
# none, before it reports any relist figure.
#
#   scripts/bench/watch-rss.sh          # N=10000 STEADY=15 TOTAL=45
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${N:-10000}
STEADY=${STEADY:-15}
TOTAL=${TOTAL:-45}
API=target/release/modeldeck-apiserver
# Two builds: `--example` alone would select only the example's target.
[ -x "$API" ] || cargo build -q --release -p modeldeck-apiserver
[ -x target/release/examples/watch_rss ] ||
  cargo build -q --release -p modeldeck-kube --example watch_rss
work=$(mktemp -d)
server= watcher=
trap 'for p in $watcher $server; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$work"' EXIT
"$API" --plain --scale "$N" --control-signals --kubeconfig "$work/kubeconfig" >"$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 600); do grep -q "serving until" "$work/serve.log" && break; sleep 0.1; done
grep -q "serving until" "$work/serve.log" || { cat "$work/serve.log" >&2; exit 1; }

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
count() { local v; v=$(grep -o "$1=[0-9]*" <<<"$2" | cut -d= -f2); echo "${v:-0}"; }

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
target/release/examples/watch_rss "$work/kubeconfig" "$TOTAL" >"$work/rss.txt" &
watcher=$!
until grep -q "^# listed" "$work/rss.txt" 2>/dev/null; do
  kill -0 "$watcher" 2>/dev/null || { echo "watch_rss ended before listing" >&2; exit 1; }
  sleep 0.2
done
sleep "$STEADY"
c_before=$(counters)
expire_ms=$(tail -1 "$work/rss.txt" | cut -d' ' -f1)
kill -USR1 "$server"
for _ in $(seq 100); do grep -q "^history expired" "$work/serve.log" && break; sleep 0.05; done
grep -q "^history expired" "$work/serve.log" || { echo "the server did not report expiring its history" >&2; exit 1; }
echo "watch history expired at t=$expire_ms ms (adapter clock)" >&2
wait "$watcher"
watcher=
c_end=$(counters)
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

pages=$(( (N + 499) / 500 ))
lists_before=$(count list/deployments "$c_before")
lists_end=$(count list/deployments "$c_end")
relist_pages=$((lists_end - lists_before))
relists=$((relist_pages / pages))
{
  echo "$c_before (before the compaction)"
  echo "$c_end (at the end)"
  echo "Deployment list requests after the compaction: $relist_pages = $relists full relist(s) of $pages pages"
  head -1 "$work/rss.txt"
  tail -1 "$work/rss.txt"
} >&2
[ "$relists" -ge 1 ] || { echo "FAIL: no relist after the compaction ($relist_pages list requests): no relist figure" >&2; exit 1; }
grep -q "^# end: $N workloads" "$work/rss.txt" || { echo "FAIL: the adapter does not hold $N workloads at the end" >&2; exit 1; }

med=$(awk -v r="$expire_ms" '!/^#/ && $1 <= r { print $2 }' "$work/rss.txt" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
changes_before=$(awk -v r="$expire_ms" '!/^#/ && $1 <= r { c = $3 } END { print c }' "$work/rss.txt")
changes_after=$(awk '!/^#/ { c = $3 } END { print c }' "$work/rss.txt")
echo "change notifications: $changes_before before the compaction, $changes_after at the end" >&2
awk -v r="$expire_ms" -v n="$N" -v med="$med" -v rl="$relists" '
  /^#/ { next }
  $1 > r && $2 > peak { peak = $2; at = $1 - r }
  $1 > r { last = $2 }
  END {
    printf "| N | steady RSS (median) | relists counted | peak after the compaction | peak / steady | RSS at the end |\n|---:|---:|---:|---:|---:|---:|\n"
    printf "| %d | %.1f MiB | %d | %.1f MiB (%d ms after) | %.2fx | %.1f MiB |\n", n, med / 1024, rl, peak / 1024, at, peak / med, last / 1024
  }' "$work/rss.txt"
echo "load average (1, 5, 15 min): before $load_before, after $load_after; $(nproc) cores"
