#!/usr/bin/env bash
# Frame latency on the Fleet at 200x50 (issue 12 item 3), both ways in one
# run: on ratatui's TestBackend (the render work alone) and through
# crossterm into a real pseudo-terminal (tmux at 200x50 reads it, as a
# terminal would), for the sandbox's generated world (simulated) of 0,
# 10,000 and 100,000 workloads. 20,000 frames each after 2,000 of warm-up;
# one key press per frame (cursor down/up), timed from the key until the
# frame is drawn (TestBackend) or written and flushed to the pty.
#
#   scripts/bench/frame-latency.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v tmux >/dev/null || { echo "frame-latency.sh: needs tmux" >&2; exit 2; }
target="${CARGO_TARGET_DIR:-$PWD/target}"
cargo build --release --locked -q -p modeldeck-tui --example frame_latency
bin="$target/release/examples/frame_latency"
out="$(mktemp -d)"
sock="frame-latency-$$"
trap 'tmux -L "$sock" kill-server 2>/dev/null || true; rm -rf "$out"' EXIT

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
"$bin" > "$out/test-backend.md"
tmux -L "$sock" new-session -d -x 200 -y 50 "$bin --pty $out/pty.md; tmux -L $sock wait-for -S done"
tmux -L "$sock" wait-for done
[ -s "$out/pty.md" ] || { echo "frame-latency.sh: the pty run wrote no results" >&2; exit 1; }
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
cat "$out/test-backend.md"
tail -n +3 "$out/pty.md"
