#!/usr/bin/env python3
"""Runs commands side by side, interleaved (run 1 of every command, then run
2 of every command, ...), and prints one markdown row per command: median and
min wall time (process start to exit, the child's output to /dev/null) and
the median peak RSS. Every command runs under GNU `/usr/bin/time -f %M`
(the same ~1 ms for each), which forks it from a small process: a child
spawned by Python itself would report Python's own ~15 MiB as its peak
(Linux keeps the high-water mark across exec). A command that fails stops
the benchmark. Python standard library only.

    sidebyside.py --runs 10 --warmup 2 --json out.json NAME 'COMMAND' [NAME 'COMMAND' ...]

Each COMMAND is run by `bash -c` only when it contains shell syntax
(|, >, $, ;); otherwise it is split on spaces and run directly, so no shell
start is timed.
"""
import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import time

SHELL = set("|>$;&")


def argv_of(cmd):
    return ["bash", "-c", cmd] if SHELL & set(cmd) else shlex.split(cmd)


RSS_FILE = f"/tmp/sidebyside-{os.getpid()}.rss"


def run_once(argv):
    full = ["/usr/bin/time", "-f", "%M", "-o", RSS_FILE] + argv
    devnull = os.open(os.devnull, os.O_WRONLY)
    t0 = time.perf_counter()
    pid = os.posix_spawn(full[0], full, os.environ,
                         file_actions=[(os.POSIX_SPAWN_DUP2, devnull, 1)])
    _, status = os.waitpid(pid, 0)
    wall = time.perf_counter() - t0
    os.close(devnull)
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        sys.exit(f"sidebyside: `{' '.join(argv)}` exited with {code}")
    with open(RSS_FILE) as f:
        rss = int(f.read().split()[-1])
    return wall, rss  # seconds, KiB


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--json")
    ap.add_argument("pairs", nargs="+", help="NAME COMMAND ...")
    a = ap.parse_args()
    if len(a.pairs) % 2:
        sys.exit("sidebyside: NAME COMMAND pairs expected")
    cmds = [(a.pairs[i], argv_of(a.pairs[i + 1])) for i in range(0, len(a.pairs), 2)]
    for _ in range(a.warmup):
        for _, argv in cmds:
            run_once(argv)
    res = {name: {"wall": [], "rss": []} for name, _ in cmds}
    for _ in range(a.runs):
        for name, argv in cmds:
            w, r = run_once(argv)
            res[name]["wall"].append(w)
            res[name]["rss"].append(r)
    rows = []
    for name, _ in cmds:
        w, r = res[name]["wall"], res[name]["rss"]
        rows.append({"name": name, "median_ms": statistics.median(w) * 1000,
                     "min_ms": min(w) * 1000, "rss_mib": statistics.median(r) / 1024,
                     "runs": len(w)})
    for row in rows:
        print(f"| {row['name']} | {row['median_ms']:,.0f} ms | {row['min_ms']:,.0f} ms "
              f"| {row['rss_mib']:.1f} MiB |")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(rows, f)
    os.unlink(RSS_FILE)


if __name__ == "__main__":
    main()
