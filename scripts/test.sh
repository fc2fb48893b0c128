#!/usr/bin/env bash
# The whole Modeldeck test suite, on a fresh Debian machine or a dev box:
# installs what the tests need (apt packages, the MLflow venv, the desktop
# UI's npm packages), checks format and lints, builds, starts a real MLflow
# (plain and basic-auth) and a real Prometheus on loopback, runs every test
# (the desktop app's WebDriver test in a virtual X display), the desktop UI's
# Vitest and Chromium end-to-end tests, and stops the servers again.
#
#   scripts/test.sh            # everything
#   SKIP_LINT=1 scripts/test.sh  # skip fmt/clippy (local iteration only)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export MODELDECK_CACHE="${MODELDECK_CACHE:-$ROOT/.cache}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
# One clean build per run: incremental state (tens of GB across ~180 test
# binaries) buys nothing here and once filled the CI machine's disk.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
mkdir -p "$MODELDECK_CACHE"
t0=$(date +%s)
step() {
  printf '\n==> [%4ss] %s (disk free: %s)\n' "$(( $(date +%s) - t0 ))" "$*" \
    "$(df -h --output=avail . 2>/dev/null | tail -1 | tr -d ' ')"
}

step "system packages"
need=()
command -v tmux >/dev/null || need+=(tmux)
command -v prometheus >/dev/null || need+=(prometheus)
command -v promtool >/dev/null || need+=(prometheus)
command -v kubectl >/dev/null || need+=(kubernetes-client)
command -v curl >/dev/null || need+=(curl)
command -v dbus-run-session >/dev/null || need+=(dbus)
command -v gnome-keyring-daemon >/dev/null || need+=(gnome-keyring)
# The desktop app (Tauri v2 on WebKitGTK), its WebDriver test under Xvfb,
# and the UI's end-to-end tests in Debian's Chromium.
for pkg in libwebkit2gtk-4.1-dev libgtk-3-dev librsvg2-dev libsoup-3.0-dev \
  libayatana-appindicator3-dev libssl-dev pkg-config webkit2gtk-driver xvfb xauth chromium; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
command -v npm >/dev/null || need+=(nodejs npm)
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

step "desktop UI: npm ci, type check, build (the desktop crate embeds ui/dist)"
(cd ui && npm ci --no-audit --no-fund && npm run check && npm run build)

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
# A private D-Bus session with an unlocked gnome-keyring, for the keychain
# tests, inside a virtual X display for the desktop app's WebDriver test.
xvfb-run -a -s "-screen 0 1280x800x24" \
  scripts/with-keyring.sh cargo nextest run --workspace --locked --no-fail-fast

step "desktop app end to end: WebKitWebDriver drives the built app (simulated world; and a deep link on a real profile: served API server, real MLflow, the on-call TUI in tmux)"
# Ignored in the plain run because it needs a display and WebKitWebDriver,
# both of which this script provides.
xvfb-run -a -s "-screen 0 1280x800x24" \
  cargo nextest run -p modeldeck-desktop --locked --test webdriver --test deep_link_review --run-ignored only

step "generated TypeScript types match the Rust types"
# The test run above regenerated ui/src/lib/gen from the Rust types (ts-rs).
if [ -n "$(git status --porcelain -- ui/src/lib/gen)" ]; then
  git status --porcelain -- ui/src/lib/gen
  echo "ui/src/lib/gen is stale: run 'cargo test -p modeldeck-desktop' and commit it" >&2
  exit 1
fi

step "desktop UI: Vitest, then end to end in Chromium (IPC mocked from the generated types)"
(cd ui && npm test && npm run e2e)
step "done"
