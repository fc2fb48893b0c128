"""Drives modeldeck_exporter for crates/prometheus/tests/exporter.rs.

Reads commands on stdin, answers one JSON line each on stdout:

- ``train N``: N training rows drawn from the reference distribution, as
  columns (``amount`` normal(100, 15) with 2 % missing, ``items`` an
  integer 1..5, ``country`` de 50 % / fr 30 % / es 20 %, ``score`` the
  prediction, uniform 0..1);
- ``load PROFILE MODEL V1 V2``: one exporter per version on the default
  registry and an HTTP server on a free port; answers the port;
- ``batch VERSION N SHIFT``: N observations into VERSION, drawn like the
  training data (SHIFT 0) or shifted (SHIFT 1: amount mean 130 and 10 %
  missing, items 2..6, country de 20 % / fr 30 % / es 30 % and the unseen
  ``xx`` 20 %, score squared); answers what this batch counted;
- ``counts VERSION``: everything VERSION counted so far;
- ``quit``.

The random generator is seeded, so a run is reproducible.
"""

import json
import random
import sys

import prometheus_client

from modeldeck_exporter import ModeldeckExporter

rng = random.Random(20261205)
exporters = {}
server = None


def row(shift):
    missing = 0.10 if shift else 0.02
    amount = None if rng.random() < missing else rng.gauss(130.0 if shift else 100.0, 15.0)
    items = rng.randint(2, 6) if shift else rng.randint(1, 5)
    u = rng.random()
    if shift:
        country = "de" if u < 0.2 else "fr" if u < 0.5 else "es" if u < 0.8 else "xx"
    else:
        country = "de" if u < 0.5 else "fr" if u < 0.8 else "es"
    score = rng.random()
    return {"amount": amount, "items": items, "country": country}, (
        score * score if shift else score
    )


def delta(before, after):
    out = {}
    for name, now in after.items():
        old = before.get(name, {})
        counts = now["counts"]
        if isinstance(counts, list):
            prev = old.get("counts") or [0] * len(counts)
            d = [a - b for a, b in zip(counts, prev)]
        else:
            prev = old.get("counts") or {}
            d = {k: v - prev.get(k, 0) for k, v in counts.items()}
        entry = {"counts": d}
        if "missing" in now:
            entry["missing"] = now["missing"] - old.get("missing", 0)
        if "name" in now:
            entry["name"] = now["name"]
        out[name] = entry
    return out


def answer(doc):
    sys.stdout.write(json.dumps(doc) + "\n")
    sys.stdout.flush()


for line in sys.stdin:
    words = line.split()
    if not words:
        continue
    cmd = words[0]
    if cmd == "train":
        cols = {"amount": [], "items": [], "country": [], "score": []}
        for _ in range(int(words[1])):
            feats, score = row(False)
            for k, v in feats.items():
                cols[k].append(v)
            cols["score"].append(score)
        answer(cols)
    elif cmd == "load":
        path, model, versions = words[1], words[2], words[3:]
        for v in versions:
            exporters[v] = ModeldeckExporter.from_file(path, model=model, version=v)
        server, _thread = prometheus_client.start_http_server(0, addr="127.0.0.1")
        answer({"port": server.server_port})
    elif cmd == "batch":
        exporter = exporters[words[1]]
        before = exporter.counts()
        for _ in range(int(words[2])):
            feats, score = row(words[3] == "1")
            exporter.observe(feats, prediction=score)
        answer(delta(before, exporter.counts()))
    elif cmd == "counts":
        answer(exporters[words[1]].counts())
    elif cmd == "quit":
        break
    else:
        answer({"error": f"unknown command {cmd!r}"})

if server is not None:
    server.shutdown()
