#!/usr/bin/env bash
# Issue #3 benchmark: resident memory of the kube adapter (its own process,
# release build) watching N Deployments served by the sandbox API server,
# steady, and while relisting after the API server restarts (watch
# connections drop, the new server does not know the old resourceVersions:
# every watcher lists again). Prints steady (median RSS over the first
# STEADY seconds) and the peak after the restart.
#
#   scripts/bench/watch-rss.sh          # N=10000
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${N:-10000}
STEADY=${STEADY:-15}
TOTAL=${TOTAL:-60}
cargo build -q --release -p modeldeck -p modeldeck-kube --example watch_rss
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
serve() {
  target/release/modeldeck sandbox serve --scale "$N" --plain --port "$port" \
    --kubeconfig "$work/kubeconfig" >"$work/serve.log" 2>&1 &
  server=$!
  for _ in $(seq 600); do grep -q "serving until" "$work/serve.log" && return; sleep 0.1; done
  cat "$work/serve.log" >&2; exit 1
}
trap 'kill "$server" "$watcher" 2>/dev/null || true; rm -rf "$work"' EXIT
serve
target/release/examples/watch_rss "$work/kubeconfig" "$TOTAL" >"$work/rss.txt" &
watcher=$!
until grep -q "^# listed" "$work/rss.txt" 2>/dev/null; do sleep 0.2; done
sleep "$STEADY"
echo "restarting the API server at t=$(tail -1 "$work/rss.txt" | cut -d' ' -f1) ms" >&2
restart_ms=$(tail -1 "$work/rss.txt" | cut -d' ' -f1)
kill "$server"; wait "$server" 2>/dev/null || true
serve
wait "$watcher"
head -1 "$work/rss.txt" >&2
tail -1 "$work/rss.txt" >&2
med=$(awk -v r="$restart_ms" '!/^#/ && $1 <= r { print $2 }' "$work/rss.txt" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
changes_before=$(awk -v r="$restart_ms" '!/^#/ && $1 <= r { c = $3 } END { print c }' "$work/rss.txt")
changes_after=$(awk '!/^#/ { c = $3 } END { print c }' "$work/rss.txt")
echo "change notifications: $changes_before before the restart, $changes_after at the end" >&2
awk -v r="$restart_ms" -v n="$N" -v med="$med" '
  /^#/ { next }
  $1 > r && $2 > peak { peak = $2 }
  $1 > r { last = $2 }
  END {
    printf "| N | steady RSS (median) | peak after restart (relist) | peak / steady | RSS at the end |\n|---:|---:|---:|---:|---:|\n"
    printf "| %d | %.1f MiB | %.1f MiB | %.2fx | %.1f MiB |\n", n, med / 1024, peak / 1024, peak / med, last / 1024
  }' "$work/rss.txt"
