#!/usr/bin/env bash
# A real MLflow tracking server for tests, on loopback, with a throwaway sqlite store.
#
#   scripts/services/mlflow.sh install               # venv at $MODELDECK_CACHE/mlflow-venv (idempotent;
#                                                    # also prometheus_client for the exporter tests)
#   eval "$(scripts/services/mlflow.sh start NAME)"  # plain server: exports MODELDECK_TEST_MLFLOW_URI
#   eval "$(scripts/services/mlflow.sh start NAME --auth)"
#                                                    # basic-auth server: exports MODELDECK_TEST_MLFLOW_AUTH_URI,
#                                                    # MODELDECK_TEST_MLFLOW_AUTH_USER, MODELDECK_TEST_MLFLOW_AUTH_PASSWORD
#   scripts/services/mlflow.sh stop NAME             # SIGTERM by pid, removes the data dir
#
# `start` prints only `export ...` lines on stdout (for eval); progress goes to stderr.
# State (pid, port, data dir, log) lives in $MODELDECK_CACHE/mlflow-run/NAME/.
set -euo pipefail

MLFLOW_VERSION=3.17.2
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CACHE=${MODELDECK_CACHE:-$ROOT/.cache}
VENV=$CACHE/mlflow-venv
RUNS=$CACHE/mlflow-run
STAMP=$VENV/.modeldeck-mlflow-$MLFLOW_VERSION

say() { printf 'mlflow.sh: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

# Other tests' Python packages, in the same venv (pandas and pyarrow come
# with MLflow): prometheus_client for integrations/python's exporter,
# scikit-learn for the real mlflow.sklearn models of crates/mlflow/tests/live_compare.rs.
PY_EXTRAS=(prometheus-client==0.26.0 scikit-learn==1.9.1)

extras() {
  "$VENV/bin/python" -c 'import prometheus_client, sklearn' 2>/dev/null && return 0
  say "pip install ${PY_EXTRAS[*]}"
  "$VENV/bin/pip" install -q "${PY_EXTRAS[@]}" >&2
}

install() {
  if [ -f "$STAMP" ] && "$VENV/bin/python" -c 'import mlflow, flask_wtf' 2>/dev/null; then
    say "venv present at $VENV (mlflow $MLFLOW_VERSION), skipping install"
    extras
    return 0
  fi
  mkdir -p "$CACHE"
  local t0=$SECONDS
  say "creating venv at $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --upgrade pip >&2
  say "pip install mlflow[auth]==$MLFLOW_VERSION (about 90 s)"
  "$VENV/bin/pip" install -q "mlflow[auth]==$MLFLOW_VERSION" >&2
  "$VENV/bin/python" -c 'import mlflow, flask_wtf' || die "mlflow import failed after install"
  extras
  touch "$STAMP"
  say "installed in $((SECONDS - t0)) s"
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

start() {
  local name=${1:-} auth=no
  [ -n "$name" ] || die "usage: start NAME [--auth]"
  [ "${2:-}" = "--auth" ] && auth=yes
  [ -x "$VENV/bin/mlflow" ] || die "no venv at $VENV: run '$0 install' first"
  local state=$RUNS/$name
  if [ -f "$state/pid" ] && kill -0 "$(cat "$state/pid")" 2>/dev/null; then
    die "server '$name' already running (pid $(cat "$state/pid")); stop it first"
  fi
  rm -rf "$state"
  mkdir -p "$state"
  local data port
  data=$(mktemp -d "${TMPDIR:-/tmp}/modeldeck-mlflow-$name.XXXXXX")
  mkdir -p "$data/artifacts" "$data/tmp"
  port=$(free_port)
  echo "$data" >"$state/datadir"
  echo "$port" >"$state/port"

  local -a extra=()
  local password=""
  if [ "$auth" = yes ]; then
    password="admin-$(python3 -c 'import secrets; print(secrets.token_hex(8))')"
    cat >"$data/basic_auth.ini" <<EOF
[mlflow]
default_permission = READ
database_uri = sqlite:///$data/basic_auth.db
admin_username = admin
admin_password = $password
authorization_function = mlflow.server.auth:authenticate_request_basic_auth
EOF
    extra=(--app-name basic-auth)
  fi

  say "starting '$name' on 127.0.0.1:$port (data $data, auth $auth)"
  # exec in a subshell so $! is the server itself; stdout/stderr to the log so `$(start)` does not hang.
  (
    cd "$data"
    export TMPDIR=$data/tmp MLFLOW_SERVER_ENABLE_JOB_EXECUTION=false
    if [ "$auth" = yes ]; then
      export MLFLOW_AUTH_CONFIG_PATH=$data/basic_auth.ini \
        MLFLOW_FLASK_SERVER_SECRET_KEY="secret-$port" \
        MLFLOW_AUTH_ADMIN_PASSWORD="$password"
    fi
    exec "$VENV/bin/mlflow" server --host 127.0.0.1 --port "$port" \
      --backend-store-uri "sqlite:///$data/mlflow.db" \
      --artifacts-destination "$data/artifacts" --serve-artifacts \
      --workers 1 "${extra[@]}"
  ) </dev/null >"$state/server.log" 2>&1 &
  local pid=$!
  echo "$pid" >"$state/pid"

  local deadline=$((SECONDS + 120))
  until [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/health" || true)" = 200 ]; do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 30 "$state/server.log" >&2 || true
      die "server '$name' exited before it was ready (log: $state/server.log)"
    fi
    if [ $SECONDS -ge $deadline ]; then
      tail -n 30 "$state/server.log" >&2 || true
      kill -TERM "$pid" 2>/dev/null || true
      die "server '$name' not ready after 120 s (log: $state/server.log)"
    fi
    sleep 0.2
  done
  local -a cred=()
  [ "$auth" = yes ] && cred=(-u "admin:$password")
  say "'$name' ready (pid $pid, version $(curl -s "${cred[@]}" "http://127.0.0.1:$port/version"))"
  if [ "$auth" = yes ]; then
    echo "export MODELDECK_TEST_MLFLOW_AUTH_URI=http://127.0.0.1:$port"
    echo "export MODELDECK_TEST_MLFLOW_AUTH_USER=admin"
    echo "export MODELDECK_TEST_MLFLOW_AUTH_PASSWORD=$password"
  else
    echo "export MODELDECK_TEST_MLFLOW_URI=http://127.0.0.1:$port"
  fi
}

stop() {
  local name=${1:-}
  [ -n "$name" ] || die "usage: stop NAME"
  local state=$RUNS/$name
  [ -f "$state/pid" ] || { say "no server '$name' recorded"; return 0; }
  local pid
  pid=$(cat "$state/pid")
  if kill -0 "$pid" 2>/dev/null; then
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
  fi
  rm -f "$state/pid"
}

case "${1:-}" in
  install) install ;;
  start) shift; start "$@" ;;
  stop) shift; stop "$@" ;;
  *) die "usage: $0 install | start NAME [--auth] | stop NAME" ;;
esac
