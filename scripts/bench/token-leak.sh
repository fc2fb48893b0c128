#!/usr/bin/env bash
# Issue #12 item 6: a planted token never leaks. Starts a real MLflow and a
# real Prometheus (scripts/services), then runs tests/e2e_token_leak.rs:
# a unique secret in every slot (MLflow token, password and URL user info;
# metrics token, password and URL user info; the kubeconfig's bearer token,
# and its basic-auth password and tokenFile), every CLI command as a table
# and as JSON, and the TUI under tmux, against servers that echo the secrets
# back in error bodies and headers and against the real backends; stdout,
# stderr, every log file (MODELDECK_LOG=debug), the data dir, the journal and
# the screens are searched. Prints per scenario: command runs, TUI screens,
# files, bytes searched; then the totals and the occurrences (0, or the test
# fails naming the secret, the place and the text around it).
#
#   scripts/bench/token-leak.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
export MODELDECK_CACHE=${MODELDECK_CACHE:-$PWD/.cache}
stops=()
trap 'for s in "${stops[@]}"; do $s >/dev/null 2>&1 || true; done' EXIT
eval "$(scripts/services/mlflow.sh start leak)"
stops+=("scripts/services/mlflow.sh stop leak")
eval "$(scripts/services/prometheus.sh start leak)"
stops+=("scripts/services/prometheus.sh stop leak")
cargo build -q -p modeldeck
log=$(mktemp)
echo "load before: $(uptime)"
set +e
cargo test -q -p modeldeck-e2e --test e2e_token_leak -- --nocapture >"$log" 2>&1
rc=$?
set -e
echo
echo "| scenario | command runs | TUI screens | files | bytes searched |"
echo "|---|---:|---:|---:|---:|"
python3 - "$log" <<'PY'
import re, sys
rows = []
for l in open(sys.argv[1], errors="replace"):
    m = re.match(r"(.+): (\d+) runs, (\d+) TUI screens, (\d+) files, (\d+) bytes of output and files searched: no secret", l.strip())
    if m:
        rows.append((m.group(1), *map(int, m.groups()[1:])))
for r in rows:
    print(f"| {r[0]} | {r[1]} | {r[2]} | {r[3]} | {r[4]:,} |")
t = [sum(r[i] for r in rows) for i in range(1, 5)]
print(f"| **{len(rows)} scenarios** | **{t[0]}** | **{t[1]}** | **{t[2]}** | **{t[3]:,}** |")
PY
echo
if [ "$rc" -eq 0 ]; then
  echo "occurrences of a planted secret: 0"
else
  echo "the test FAILED (a leak, or the run broke):"; grep -v '^$' "$log" | tail -30
fi
echo "load after: $(uptime)"
rm -f "$log"
exit "$rc"
