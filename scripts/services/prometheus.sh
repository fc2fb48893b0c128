#!/usr/bin/env bash
# A real Prometheus for tests, on loopback, with history backfilled from an
# OpenMetrics file (promtool tsdb create-blocks-from openmetrics).
#
#   scripts/services/prometheus.sh install                 # apt-get install prometheus if not on PATH
#   eval "$(scripts/services/prometheus.sh start NAME)"    # backfills the Modeldeck fixture (generated
#                                                          # now by modeldeck-prom-fixture); exports
#                                                          # MODELDECK_TEST_PROM_URL
#   eval "$(scripts/services/prometheus.sh start NAME FIXTURE.om)"   # backfills your own file instead
#   scripts/services/prometheus.sh stop NAME               # SIGTERM by pid, removes the data dir
#
# `start` prints only `export ...` lines on stdout (for eval); progress goes to stderr.
# State (pid, port, data dir, log) lives in $MODELDECK_CACHE/prometheus-run/NAME/.
# The server has no scrape jobs and a 10-year retention: retention is measured
# against the newest block, so live data would otherwise delete the backfill.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CACHE=${MODELDECK_CACHE:-$ROOT/.cache}
RUNS=$CACHE/prometheus-run

say() { printf 'prometheus.sh: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

install() {
  if command -v prometheus >/dev/null && command -v promtool >/dev/null; then
    say "present: $(prometheus --version 2>&1 | head -n 1)"
    return 0
  fi
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  say "apt-get install prometheus (about 15 s)"
  if ! DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends prometheus >&2; then
    $sudo apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends prometheus >&2
  fi
  command -v prometheus >/dev/null || die "prometheus still not on PATH after install"
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Refuses files promtool would accept but mis-date: missing `# EOF`, or
# millisecond timestamps (blocks 50,000 years in the future).
check_fixture() {
  local file=$1
  [ -s "$file" ] || die "fixture $file is missing or empty"
  [ "$(tail -n 1 "$file")" = "# EOF" ] || die "fixture $file does not end with '# EOF'"
  local ts
  ts=$(awk '!/^#/ { print $NF; exit }' "$file")
  case "$ts" in
    '' | *[!0-9.]*) die "fixture $file: first sample has no numeric timestamp ($ts)" ;;
  esac
  awk -v t="$ts" 'BEGIN { exit !(t < 100000000000) }' \
    || die "fixture $file: timestamp $ts looks like milliseconds; OpenMetrics wants seconds"
}

start() {
  local name=${1:-} fixture=${2:-}
  [ -n "$name" ] || die "usage: start NAME [FIXTURE.om]"
  command -v prometheus >/dev/null || die "prometheus not on PATH: run '$0 install' first"
  command -v promtool >/dev/null || die "promtool not on PATH: run '$0 install' first"
  local state=$RUNS/$name
  if [ -f "$state/pid" ] && kill -0 "$(cat "$state/pid")" 2>/dev/null; then
    die "server '$name' already running (pid $(cat "$state/pid")); stop it first"
  fi
  [ -z "$fixture" ] || check_fixture "$fixture"
  if [ -f "$state/datadir" ]; then
    rm -rf "$(cat "$state/datadir")"
  fi
  rm -rf "$state"
  mkdir -p "$state"
  local data port
  data=$(mktemp -d "${TMPDIR:-/tmp}/modeldeck-prom-$name.XXXXXX")
  echo "$data" >"$state/datadir"
  mkdir -p "$data/tsdb"

  if [ -z "$fixture" ]; then
    fixture=$data/fixture.om
    say "generating the Modeldeck fixture (cargo run -p modeldeck-prometheus --bin modeldeck-prom-fixture)"
    (cd "$ROOT" && cargo run -q -p modeldeck-prometheus --bin modeldeck-prom-fixture -- "$fixture") >"$state/fixture.out" \
      || die "fixture generation failed"
    say "fixture anchored at $(cat "$state/fixture.out")"
  fi
  check_fixture "$fixture"
  local t0=$SECONDS
  promtool tsdb create-blocks-from openmetrics "$fixture" "$data/tsdb" >"$state/backfill.log" 2>&1 \
    || { tail -n 20 "$state/backfill.log" >&2; die "backfill failed (log: $state/backfill.log)"; }
  say "backfilled $(find "$data/tsdb" -mindepth 1 -maxdepth 1 -type d | wc -l) blocks in $((SECONDS - t0)) s"

  cat >"$data/prometheus.yml" <<'EOF'
global:
  scrape_interval: 15s
scrape_configs: []
EOF
  port=$(free_port)
  echo "$port" >"$state/port"
  say "starting '$name' on 127.0.0.1:$port (data $data)"
  (
    exec prometheus --config.file="$data/prometheus.yml" --storage.tsdb.path="$data/tsdb" \
      --storage.tsdb.retention.time=10y --web.listen-address="127.0.0.1:$port"
  ) </dev/null >"$state/server.log" 2>&1 &
  local pid=$!
  echo "$pid" >"$state/pid"

  local deadline=$((SECONDS + 30))
  until [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/-/ready" || true)" = 200 ]; do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 30 "$state/server.log" >&2 || true
      die "server '$name' exited before it was ready (log: $state/server.log)"
    fi
    if [ $SECONDS -ge $deadline ]; then
      tail -n 30 "$state/server.log" >&2 || true
      kill -TERM "$pid" 2>/dev/null || true
      die "server '$name' not ready after 30 s (log: $state/server.log)"
    fi
    sleep 0.1
  done
  say "'$name' ready (pid $pid)"
  echo "export MODELDECK_TEST_PROM_URL=http://127.0.0.1:$port"
}

stop() {
  local name=${1:-}
  [ -n "$name" ] || die "usage: stop NAME"
  local state=$RUNS/$name
  local pid=""
  [ -f "$state/pid" ] && pid=$(cat "$state/pid")
  if [ -z "$pid" ]; then
    say "no server '$name' running"
  elif kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 1 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      say "server '$name' (pid $pid) still alive 10 s after SIGTERM"
    else
      say "stopped '$name' (pid $pid)"
    fi
  else
    say "server '$name' (pid $pid) was not running"
  fi
  if [ -f "$state/datadir" ]; then
    rm -rf "$(cat "$state/datadir")"
    rm -f "$state/datadir"
  fi
  rm -f "$state/pid"
}

case "${1:-}" in
  install) install ;;
  start) shift; start "$@" ;;
  stop) shift; stop "$@" ;;
  *) die "usage: $0 install | start NAME [FIXTURE.om] | stop NAME" ;;
esac
