#!/usr/bin/env bash
# Issue #11 benchmark: Modeldeck Desktop (Tauri 2) as a reviewer gets it.
#
# One run: builds the .deb with the Tauri bundler (or reuses the newest one in
# target/release/bundle/deb; REBUILD=1 forces a build), then reports
#   - the .deb's size, its installed size (the sum of the file sizes that
#     `dpkg-deb -x` unpacks, and the control file's Installed-Size),
#   - launch to a populated inbox: the deb's binary (unpacked, not installed)
#     is started by WebKitWebDriver (as src-tauri/tests/webdriver.rs does) on
#     the simulated demo world (MODELDECK_DESKTOP_DEMO=1) under Xvfb; the time
#     runs from sending POST /session (WebKitWebDriver spawns the app then)
#     until the first poll (every 50 ms) that finds an element
#     `[data-testid=inbox-row]` in the page: the inbox's first row is in the
#     DOM; and until the inbox is settled: a row, the session's user shown in
#     the header, and no "Loading the inbox" (the UI may read the inbox again
#     once the session is known). RUNS launches (default 3), min / median / max.
#   - idle memory: SETTLE s (default 10) after the inbox row appeared, the sum
#     of PSS (/proc/<pid>/smaps_rollup) over the app process and all of its
#     descendants (WebKitWebProcess, WebKitNetworkProcess, ...), each listed.
#   - the reference a reviewer would otherwise open, measured the same way:
#     Debian's Chromium, headless, on about:blank (a browser tab's floor; a
#     real web console's tab is more). Electron is not measured here (it is in
#     none of the reachable registries as a runnable binary).
# Everything is printed as a Markdown table with `uptime`'s load: other
# builds on the machine make the times noisy.
#
#   scripts/bench/desktop.sh              # RUNS=3 SETTLE=10
#   REBUILD=1 scripts/bench/desktop.sh    # rebuild ui/dist and the .deb first
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
RUNS=${RUNS:-3}
SETTLE=${SETTLE:-10}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target}
bundle_dir=$CARGO_TARGET_DIR/release/bundle/deb

need() { command -v "$1" >/dev/null || { echo "desktop.sh: $1 is missing ($2)" >&2; exit 1; }; }

# --- inner part, run under xvfb-run: launch timing and memory ------------
pss_tree() { # <pid>: "total_kib" on stdout, one line per process on fd 3
  local pids=("$1") i=0 total=0 p kib name
  while [ "$i" -lt "${#pids[@]}" ]; do
    for p in $(pgrep -P "${pids[$i]}" || true); do pids+=("$p"); done
    i=$((i + 1))
  done
  for p in "${pids[@]}"; do
    kib=$(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup" 2>/dev/null || echo 0)
    name=$(cat "/proc/$p/comm" 2>/dev/null || echo gone)
    echo "    $name (pid $p): $((${kib:-0} / 1024)) MiB PSS" >&3
    total=$((total + ${kib:-0}))
  done
  echo "$total"
}

wd() { # <method> <path> [json]: the WebDriver answer's value
  local out
  if [ $# -ge 3 ]; then
    out=$(curl -sS -X "$1" "$WD$2" -H 'content-type: application/json' -d "$3")
  else
    out=$(curl -sS -X "$1" "$WD$2")
  fi
  jq -c '.value' <<<"$out"
}

measure() {
  local bin=$1 out=$2 port sid t0 t1 tsess app i total
  work=$(mktemp -d)
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  WD=http://127.0.0.1:$port
  TAURI_WEBVIEW_AUTOMATION=true MODELDECK_DESKTOP_DEMO=1 \
    WebKitWebDriver --port="$port" --host=127.0.0.1 >"$work/wd.log" 2>&1 &
  drv=$!
  for _ in $(seq 200); do curl -sf "$WD/status" >/dev/null && break; sleep 0.05; done
  curl -sf "$WD/status" >/dev/null || { cat "$work/wd.log" >&2; return 1; }
  for i in $(seq "$RUNS"); do
    t0=$(date +%s%N)
    sid=$(wd POST /session "{\"capabilities\":{\"alwaysMatch\":{\"webkitgtk:browserOptions\":{\"binary\":\"$bin\",\"args\":[]}}}}" | jq -r '.sessionId')
    [ -n "$sid" ] && [ "$sid" != null ] || { echo "no WebDriver session" >&2; cat "$work/wd.log" >&2; return 1; }
    tsess=$(date +%s%N)
    t1= t2=
    for _ in $(seq 2400); do # 120 s
      # row: an inbox row is in the DOM; settled: also the session's user is
      # shown and the inbox is not being read again ("Loading the inbox").
      probe=$(wd POST "/session/$sid/execute/sync" '{"script":"const row = !!document.querySelector(\"[data-testid=inbox-row]\"); const t = document.body.innerText; return [row, row && t.includes(\"sandbox-admin\") && !t.includes(\"Loading the inbox\")];","args":[]}')
      if [ -z "$t1" ] && [ "$(jq '.[0]' <<<"$probe")" = true ]; then t1=$(date +%s%N); fi
      if [ "$(jq '.[1]' <<<"$probe")" = true ]; then
        t2=$(date +%s%N)
        break
      fi
      sleep 0.05
    done
    [ -n "$t2" ] || { echo "the inbox never showed a row with the session; page: $(wd POST "/session/$sid/execute/sync" '{"script":"return document.body.innerText","args":[]}')" >&2; return 1; }
    echo "launch $i: session $(((tsess - t0) / 1000000)) ms, first inbox row $(((t1 - t0) / 1000000)) ms, settled $(((t2 - t0) / 1000000)) ms, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
    echo "launch_ms $(((t1 - t0) / 1000000))" >>"$out"
    echo "settled_ms $(((t2 - t0) / 1000000))" >>"$out"
    echo "session_ms $(((tsess - t0) / 1000000))" >>"$out"
    if [ "$i" = 1 ]; then
      sleep "$SETTLE"
      app=$(pgrep -P "$drv" -f "$bin" | head -1)
      [ -n "$app" ] || { echo "the app process is not a child of WebKitWebDriver" >&2; return 1; }
      echo "  app tree after $SETTLE s idle on the inbox:" >&2
      total=$(pss_tree "$app" 3>&2)
      echo "app_pss_kib $total" >>"$out"
      echo "load_pss $(cut -d' ' -f1-3 /proc/loadavg)" >>"$out"
    fi
    wd DELETE "/session/$sid" >/dev/null
    sleep 1
  done
  # The browser tab floor: headless Chromium on a blank page, same PSS sum.
  local chrome=/usr/lib/chromium/chromium
  [ -x "$chrome" ] || chrome=$(command -v chromium)
  "$chrome" --headless --no-sandbox --disable-gpu --remote-debugging-port=0 \
    --user-data-dir="$work/chromium" about:blank >"$work/chromium.log" 2>&1 &
  local cr=$!
  sleep "$SETTLE"
  echo "  chromium headless about:blank after $SETTLE s:" >&2
  total=$(pss_tree "$cr" 3>&2)
  echo "chromium_pss_kib $total" >>"$out"
  echo "load_chromium $(cut -d' ' -f1-3 /proc/loadavg)" >>"$out"
  kill "$cr" 2>/dev/null || true
  wait "$cr" 2>/dev/null || true
}

if [ "${1:-}" = --measure ]; then
  work= drv=
  trap 'if [ -n "$drv" ]; then kill "$drv" 2>/dev/null || true; fi; rm -rf "$work"' EXIT
  measure "$2" "$3"
  exit 0
fi

# --- outer part: build or reuse the .deb, sizes, then measure -------------
need dpkg-deb "Debian's dpkg"
need xvfb-run "apt-get install xvfb xauth"
need WebKitWebDriver "apt-get install webkit2gtk-driver"
need jq "apt-get install jq"
need curl "apt-get install curl"
deb=$(ls -t "$bundle_dir"/*.deb 2>/dev/null | head -1 || true)
if [ -z "$deb" ] || [ "${REBUILD:-0}" = 1 ]; then
  [ -d ui/node_modules ] || (cd ui && npm ci) >&2
  (cd ui && npm run build) >&2
  start=$(date +%s)
  # bundle.active is false in tauri.conf.json so that cargo builds never
  # bundle; the CLI is told to bundle here. The release profile keeps symbol
  # tables (strip=debuginfo); strip them before bundling, as Debian packages do.
  (cd src-tauri && ../ui/node_modules/.bin/tauri build --ci --bundles deb \
    --config "{\"bundle\":{\"active\":true},\"build\":{\"beforeBundleCommand\":\"strip $CARGO_TARGET_DIR/release/modeldeck-desktop\"}}") >&2
  echo "tauri build: $(($(date +%s) - start)) s" >&2
  deb=$(ls -t "$bundle_dir"/*.deb | head -1)
fi
echo "deb: $deb ($(date -u -r "$deb" +%FT%TZ))" >&2

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dpkg-deb -x "$deb" "$work/root"
deb_bytes=$(stat -c %s "$deb")
files_bytes=$(find "$work/root" -type f -printf '%s\n' | awk '{s += $1} END {print s + 0}')
installed_kib=$(dpkg-deb -f "$deb" Installed-Size)
depends=$(dpkg-deb -f "$deb" Depends)
mime=$(grep -h '^MimeType=' "$work"/root/usr/share/applications/*.desktop || echo "(no MimeType line)")
bin=$(find "$work/root/usr/bin" -type f | head -1)
echo "files: $(cd "$work/root" && find . -type f | sort | tr '\n' ' ')" >&2
echo "desktop entry: $mime" >&2

xvfb-run -a -s "-screen 0 1280x800x24" "$root/scripts/bench/desktop.sh" --measure "$bin" "$work/figures"

get() { awk -v k="$1" '$1 == k {print $2}' "$work/figures"; }
stats() { sort -n | awk '{v[NR] = $1} END {printf "%d / %d / %d", v[1], v[int((NR + 1) / 2)], v[NR]}'; }
mib() { awk -v b="$1" 'BEGIN {printf "%.1f", b / 1048576}'; }
launch=$(get launch_ms | stats)
session=$(get session_ms | stats)
settled=$(get settled_ms | stats)
app_pss=$(get app_pss_kib)
cr_pss=$(get chromium_pss_kib)
load_pss=$(awk '$1 == "load_pss" {print $2, $3, $4}' "$work/figures")
load_cr=$(awk '$1 == "load_chromium" {print $2, $3, $4}' "$work/figures")

cat <<EOF

Modeldeck Desktop $(dpkg-deb -f "$deb" Version), .deb built $(date -u -r "$deb" +%FT%TZ) (HEAD now $(git rev-parse --short HEAD)), $(nproc) cores, $(date -u +%FT%TZ); load at the end: $(uptime | sed 's/.*load average: //')

| what | Modeldeck Desktop (Tauri 2, WebKitGTK) | reference |
|---|---|---|
| package | $(basename "$deb"): $(mib "$deb_bytes") MiB | Electron: not measured here |
| installed | $(mib "$files_bytes") MiB (files unpacked); Installed-Size $installed_kib KiB | Electron: not measured here |
| idle memory (PSS, app + WebKit children, inbox open, $SETTLE s idle) | $(mib $((app_pss * 1024))) MiB (load $load_pss) | Chromium headless, about:blank: $(mib $((cr_pss * 1024))) MiB (load $load_cr) |
| launch to the inbox's first row (WebDriver, min / median / max of $RUNS) | $launch ms (WebDriver session up: $session ms) | – |
| launch to a settled inbox (a row, the session's user shown, not loading) | $settled ms | – |

Depends: $depends
Desktop entry: $mime
EOF
