#!/usr/bin/env bash
# The whole Modeldeck test suite, on a fresh Debian machine or a dev box:
# installs what the tests need (apt packages, the MLflow venv), checks format
# and lints, builds, starts a real MLflow (plain and basic-auth) and a real
# Prometheus on loopback, runs every test, and stops the servers again.
#
#   scripts/test.sh            # everything
#   SKIP_LINT=1 scripts/test.sh  # skip fmt/clippy (local iteration only)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export MODELDECK_CACHE="${MODELDECK_CACHE:-$ROOT/.cache}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
mkdir -p "$MODELDECK_CACHE"
t0=$(date +%s)
step() { printf '\n==> [%4ss] %s\n' "$(( $(date +%s) - t0 ))" "$*"; }

step "system packages"
need=()
command -v tmux >/dev/null || need+=(tmux)
command -v prometheus >/dev/null || need+=(prometheus)
command -v promtool >/dev/null || need+=(prometheus)
command -v kubectl >/dev/null || need+=(kubernetes-client)
command -v curl >/dev/null || need+=(curl)
command -v dbus-run-session >/dev/null || need+=(dbus)
command -v gnome-keyring-daemon >/dev/null || need+=(gnome-keyring)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
if ! command -v cargo-nextest >/dev/null; then
  cargo install cargo-nextest --locked
fi

step "MLflow venv"
scripts/services/mlflow.sh install

if [ -z "${SKIP_LINT:-}" ]; then
  step "cargo fmt --check"
  cargo fmt --all -- --check
  step "cargo clippy (all targets, -D warnings)"
  cargo clippy --workspace --all-targets --locked -- -D warnings
fi

step "build tests"
cargo nextest run --workspace --locked --no-run

step "start MLflow (plain + basic auth) and Prometheus"
services=()
cleanup() {
  for s in "${services[@]}"; do
    # shellcheck disable=SC2086
    $s || true
  done
}
trap cleanup EXIT
eval "$(scripts/services/mlflow.sh start test)"
services+=("scripts/services/mlflow.sh stop test")
eval "$(scripts/services/mlflow.sh start test-auth --auth)"
services+=("scripts/services/mlflow.sh stop test-auth")
eval "$(scripts/services/prometheus.sh start test)"
services+=("scripts/services/prometheus.sh stop test")

step "doc tests"
cargo test --workspace --locked --doc

step "tests"
# A private D-Bus session with an unlocked gnome-keyring, for the keychain tests.
scripts/with-keyring.sh cargo nextest run --workspace --locked --no-fail-fast
step "done"
