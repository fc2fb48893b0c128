#!/usr/bin/env bash
# Modeldeck on real servers, on loopback: a real MLflow (scripts/services/mlflow.sh),
# the sandbox Kubernetes API server (`modeldeck sandbox serve`, TLS + tokens, one
# context per simulated cluster) whose simulated world is also served at /metrics,
# a real Prometheus scraping that /metrics every 5 s, and the world's registry
# written into the MLflow (`modeldeck sandbox seed-registry`). Then prints the
# profile that points `modeldeck` at the three.
#
#   scripts/stack.sh up [--seed N]   # about a minute (MLflow's start is most of it);
#                                    # builds modeldeck unless MODELDECK_BIN names a binary
#   eval "$(scripts/stack.sh env)"   # MODELDECK_CONFIG for this shell
#   modeldeck                        # the TUI on real servers; `modeldeck status`, `drift`, ...
#   scripts/stack.sh status
#   scripts/stack.sh down            # stops all three by pid, removes the state directory
#
# State (pids, ports, logs, kubeconfig, config.toml, Prometheus data) lives in
# $MODELDECK_STACK_DIR (default ${XDG_RUNTIME_DIR:-/tmp}/modeldeck-stack).
# The data is simulated: the clusters, traffic and feature distributions are the
# sandbox world's (wall clock); MLflow and Prometheus are real. /metrics is plain
# HTTP without authentication on 127.0.0.1 (read-only simulated data); the API
# server is TLS with bearer tokens (in the kubeconfig, mode 0600).
# Prometheus starts with the world's last 24 h backfilled (`sandbox serve --backfill`,
# promtool; MODELDECK_STACK_BACKFILL_HOURS, 0 = none), and the scrapes continue the
# same counters.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
export MODELDECK_CACHE=${MODELDECK_CACHE:-$ROOT/.cache}
STATE=${MODELDECK_STACK_DIR:-${XDG_RUNTIME_DIR:-/tmp}/modeldeck-stack}
MLFLOW_NAME=stack
SCRAPE_INTERVAL=${MODELDECK_STACK_SCRAPE_INTERVAL:-5s}
BACKFILL_HOURS=${MODELDECK_STACK_BACKFILL_HOURS:-24}

say() { printf 'stack.sh: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

alive() { [ -f "$STATE/$1.pid" ] && kill -0 "$(cat "$STATE/$1.pid")" 2>/dev/null; }

# wait_for NAME URL SECONDS: until URL answers 200, or the process dies.
wait_for() {
  local name=$1 url=$2 secs=$3
  local deadline=$((SECONDS + secs))
  until [ "$(curl -s -o /dev/null -w '%{http_code}' "$url" || true)" = 200 ]; do
    alive "$name" || { tail -n 20 "$STATE/$name.log" >&2 || true; die "$name exited (log: $STATE/$name.log)"; }
    [ $SECONDS -lt $deadline ] || die "$name not answering at $url after $secs s (log: $STATE/$name.log)"
    sleep 0.2
  done
}

stop_pid() {
  local name=$1 sig=$2
  alive "$name" || { rm -f "$STATE/$name.pid"; return 0; }
  local pid
  pid=$(cat "$STATE/$name.pid")
  kill "-$sig" "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    say "$name (pid $pid) still alive 10 s after SIG$sig; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  say "stopped $name (pid $pid)"
  rm -f "$STATE/$name.pid"
}

up() {
  local seed=()
  while [ $# -gt 0 ]; do
    case "$1" in
      --seed) [ $# -ge 2 ] || die "--seed needs a number"; seed=(--seed "$2"); shift 2 ;;
      *) die "up: unknown argument $1 (usage: up [--seed N])" ;;
    esac
  done
  if alive sandbox || alive prometheus; then
    die "a stack is already up in $STATE; run '$0 down' first"
  fi
  command -v curl >/dev/null || die "curl is needed"
  local -a backfill=()
  case "$BACKFILL_HOURS" in
    0) ;;
    *[!0-9]* | '') die "MODELDECK_STACK_BACKFILL_HOURS=$BACKFILL_HOURS: hours, 0 to 168" ;;
    *) backfill=(--backfill "$STATE/history.om" --backfill-hours "$BACKFILL_HOURS") ;;
  esac
  mkdir -p "$STATE"
  chmod 700 "$STATE"
  local t0=$SECONDS
  trap 'say "up did not finish; $0 down stops whatever started"' EXIT

  local bin=${MODELDECK_BIN:-}
  if [ -z "$bin" ]; then
    say "building modeldeck (cargo build -p modeldeck; set MODELDECK_BIN to use a built binary)"
    (cd "$ROOT" && cargo build -q -p modeldeck) || die "build failed"
    bin=$ROOT/target/debug/modeldeck
  fi
  [ -x "$bin" ] || die "MODELDECK_BIN $bin is not an executable"
  # The stack's commands must not read the user's profile or keychain.
  local -a isolated=(env MODELDECK_CONFIG="$STATE/none.toml" MODELDECK_LOG_DIR="$STATE/logs")

  "$ROOT/scripts/services/mlflow.sh" install
  "$ROOT/scripts/services/prometheus.sh" install

  say "starting MLflow (scripts/services/mlflow.sh start $MLFLOW_NAME)"
  local mlflow_env mlflow_url
  mlflow_env=$("$ROOT/scripts/services/mlflow.sh" start "$MLFLOW_NAME")
  mlflow_url=$(printf '%s\n' "$mlflow_env" | sed -n 's/^export MODELDECK_TEST_MLFLOW_URI=//p')
  [ -n "$mlflow_url" ] || die "mlflow.sh printed no URL"
  echo "$mlflow_url" >"$STATE/mlflow.url"

  local metrics_port prom_port
  metrics_port=$(free_port)
  say "starting the sandbox API server (modeldeck sandbox serve, /metrics on 127.0.0.1:$metrics_port)"
  (
    exec "${isolated[@]}" "$bin" "${seed[@]}" sandbox serve \
      --kubeconfig "$STATE/kubeconfig" --metrics-addr "127.0.0.1:$metrics_port" "${backfill[@]}"
  ) </dev/null >"$STATE/sandbox.log" 2>&1 &
  echo $! >"$STATE/sandbox.pid"
  wait_for sandbox "http://127.0.0.1:$metrics_port/metrics" 60
  local deadline=$((SECONDS + 30))
  until [ -s "$STATE/kubeconfig" ] && grep -q '^serving until ctrl-c' "$STATE/sandbox.log"; do
    [ $SECONDS -lt $deadline ] || die "sandbox serve wrote no kubeconfig (log: $STATE/sandbox.log)"
    sleep 0.2
  done
  echo "$metrics_port" >"$STATE/metrics.port"

  prom_port=$(free_port)
  mkdir -p "$STATE/prometheus-data"
  if [ ${#backfill[@]} -gt 0 ]; then
    say "backfilling $BACKFILL_HOURS h of the world's metrics (promtool tsdb create-blocks-from openmetrics)"
    promtool tsdb create-blocks-from openmetrics "$STATE/history.om" "$STATE/prometheus-data" \
      >"$STATE/backfill.log" 2>&1 || die "backfill failed (log: $STATE/backfill.log)"
    rm -f "$STATE/history.om"
  fi
  cat >"$STATE/prometheus.yml" <<EOF
global:
  scrape_interval: $SCRAPE_INTERVAL
scrape_configs:
  - job_name: modeldeck-sandbox
    static_configs:
      - targets: ['127.0.0.1:$metrics_port']
    # The backfill's series have no job or instance label: drop them from the
    # scraped series too, so the scrapes continue the backfilled series.
    metric_relabel_configs:
      - action: labeldrop
        regex: job|instance
EOF
  say "starting Prometheus on 127.0.0.1:$prom_port (scraping every $SCRAPE_INTERVAL)"
  (
    exec prometheus --config.file="$STATE/prometheus.yml" --storage.tsdb.path="$STATE/prometheus-data" \
      --web.listen-address="127.0.0.1:$prom_port"
  ) </dev/null >"$STATE/prometheus.log" 2>&1 &
  echo $! >"$STATE/prometheus.pid"
  wait_for prometheus "http://127.0.0.1:$prom_port/-/ready" 30
  echo "$prom_port" >"$STATE/prometheus.port"

  say "seeding MLflow with the simulated registry (modeldeck sandbox seed-registry)"
  "${isolated[@]}" "$bin" "${seed[@]}" sandbox seed-registry "$mlflow_url" >&2 \
    || die "seed-registry failed"

  cat >"$STATE/config.toml" <<EOF
# Written by scripts/stack.sh: Modeldeck on the stack's real servers.
default_profile = "stack"

[profiles.stack.cluster]
kubeconfig = "$STATE/kubeconfig"   # the sandbox API server (simulated clusters)
contexts = ["*"]

[profiles.stack.registry]
url = "$mlflow_url"                # real MLflow, seeded with the simulated registry

[profiles.stack.metrics]
url = "http://127.0.0.1:$prom_port"   # real Prometheus scraping the simulated world

[profiles.stack.promql]
cluster_label = "cluster"          # the simulated clusters share namespace and workload names
EOF
  printf 'export MODELDECK_CONFIG=%s\n' "$STATE/config.toml" >"$STATE/env"
  trap - EXIT
  say "up in $((SECONDS - t0)) s; state in $STATE"
  status
  echo
  echo "Profile: $STATE/config.toml"
  echo "Use it:  eval \"\$($0 env)\"   (or: export MODELDECK_CONFIG=$STATE/config.toml)"
  echo "Then:    $bin status   |   $bin   (TUI)   |   $bin drift demand-forecaster"
  echo "Stop:    $0 down"
}

status() {
  [ -d "$STATE" ] || { echo "no stack in $STATE"; return 0; }
  local s
  for s in sandbox prometheus; do
    if alive "$s"; then echo "$s: running (pid $(cat "$STATE/$s.pid"))"; else echo "$s: not running"; fi
  done
  [ -f "$STATE/mlflow.url" ] && echo "mlflow (real): $(cat "$STATE/mlflow.url")"
  [ -f "$STATE/metrics.port" ] && echo "sandbox /metrics (simulated): http://127.0.0.1:$(cat "$STATE/metrics.port")/metrics"
  [ -f "$STATE/prometheus.port" ] && echo "prometheus (real): http://127.0.0.1:$(cat "$STATE/prometheus.port")"
  [ -f "$STATE/kubeconfig" ] && echo "kubeconfig (sandbox API server): $STATE/kubeconfig"
  echo "state: $STATE"
}

down() {
  stop_pid prometheus TERM
  # ctrl-c is how sandbox serve stops.
  stop_pid sandbox INT
  "$ROOT/scripts/services/mlflow.sh" stop "$MLFLOW_NAME" || true
  if [ -d "$STATE" ]; then
    rm -rf "$STATE"
    say "removed $STATE"
  fi
}

case "${1:-}" in
  up) shift; up "$@" ;;
  down) down ;;
  status) status ;;
  env)
    [ -f "$STATE/env" ] || die "no stack up in $STATE (run '$0 up')"
    cat "$STATE/env"
    ;;
  *) die "usage: $0 up [--seed N] | down | status | env" ;;
esac
