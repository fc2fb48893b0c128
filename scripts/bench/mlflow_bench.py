#!/usr/bin/env python3
"""Helpers of scripts/bench/versions-vs-python.sh, against a real MLflow server.

  mlflow_bench.py seed URI MODEL COUNT
      One experiment; COUNT runs, each with its own metrics and params; one
      model version per run (version i has run i), alias `champion` on 1.
      Standard library only (http.client, one keep-alive connection).
  mlflow_bench.py floor URI MODEL [--runs K] [--reps R]
      The floor: what `modeldeck versions MODEL --metrics K` asks the server
      for, from one process over one keep-alive connection, without JSON
      decoding: `registered-models/get`, `model-versions/search` pages of
      1000 newest first (the next page token cut out with a byte search), and
      `runs/get` for the K newest versions' runs (run ids cut out of the
      first page the same way). Prints `versions=N runs=K loop_ms=T` per rep,
      T timed inside the process. Standard library only.
  mlflow_bench.py client URI MODEL [--runs K] [--reps R] [--print]
      The same reads through mlflow's own `MlflowClient` (get_registered_model,
      search_model_versions paged by 1000 newest first, get_run for the K
      newest), in process: prints `versions=N runs=K loop_ms=T` per rep (after
      the import and the client's creation). With --print, the versions as
      JSON on stdout instead (the end-to-end run prints its result, as
      modeldeck does).
"""
import argparse
import http.client
import json
import re
import sys
import time
import urllib.parse

API = "/api/2.0/mlflow/"
TOKEN = re.compile(rb'"next_page_token":\s*"([^"]*)"')
RUN_ID = re.compile(rb'"run_id":\s*"([^"]*)"')
VERSION = re.compile(rb'"version":\s*"')


def conn_of(uri):
    u = urllib.parse.urlsplit(uri)
    return http.client.HTTPConnection(u.hostname, u.port)


def call(conn, method, path, query=None, body=None):
    url = API + path + ("?" + urllib.parse.urlencode(query) if query else "")
    data = json.dumps(body).encode() if body is not None else None
    conn.request(method, url, body=data, headers={"Content-Type": "application/json"})
    r = conn.getresponse()
    raw = r.read()
    if r.status != 200:
        sys.exit(f"mlflow_bench: {method} {path}: HTTP {r.status}: {raw[:300]!r}")
    return raw


def seed(a):
    c = conn_of(a.uri)
    t0 = time.time()
    exp = json.loads(call(c, "POST", "experiments/create", body={"name": f"bench-{a.model}"}))
    exp_id = exp["experiment_id"]
    call(c, "POST", "registered-models/create", body={"name": a.model})
    for i in range(a.count):
        run = json.loads(call(c, "POST", "runs/create",
                              body={"experiment_id": exp_id, "run_name": f"train-{i + 1}"}))
        run_id = run["run"]["info"]["run_id"]
        ts = int(time.time() * 1000)
        call(c, "POST", "runs/log-batch", body={
            "run_id": run_id,
            "metrics": [{"key": "accuracy", "value": 0.8 + (i % 100) / 1000, "timestamp": ts, "step": 0},
                        {"key": "loss", "value": 0.5 - (i % 100) / 1000, "timestamp": ts, "step": 0}],
            "params": [{"key": "lr", "value": "0.01"}, {"key": "seed", "value": str(i)}]})
        call(c, "POST", "model-versions/create",
             body={"name": a.model, "source": f"runs:/{run_id}/model", "run_id": run_id})
    call(c, "POST", "registered-models/alias",
         body={"name": a.model, "alias": "champion", "version": "1"})
    print(f"seeded {a.count} versions, one run each, in {time.time() - t0:.0f} s", file=sys.stderr)


def floor(a):
    c = conn_of(a.uri)
    filt = f"name = '{a.model}'"
    for _ in range(a.reps):
        t0 = time.perf_counter()
        call(c, "GET", "registered-models/get", {"name": a.model})
        n, tok, newest = 0, "", []
        while True:
            q = {"filter": filt, "max_results": "1000", "order_by": "version_number DESC"}
            if tok:
                q["page_token"] = tok
            page = call(c, "GET", "model-versions/search", q)
            n += len(VERSION.findall(page))
            if not newest:
                newest = RUN_ID.findall(page)[:a.runs]
            m = TOKEN.search(page)
            tok = m.group(1).decode() if m else ""
            if not tok:
                break
        for rid in dict.fromkeys(newest):
            call(c, "GET", "runs/get", {"run_id": rid.decode()})
        ms = (time.perf_counter() - t0) * 1000
        print(f"versions={n} runs={len(set(newest))} loop_ms={ms:.1f}", flush=True)


def client(a):
    from mlflow import MlflowClient
    c = MlflowClient(a.uri)
    for _ in range(a.reps):
        t0 = time.perf_counter()
        model = c.get_registered_model(a.model)
        out, tok = [], None
        while True:
            page = c.search_model_versions(f"name = '{a.model}'", max_results=1000,
                                           order_by=["version_number DESC"], page_token=tok)
            out += list(page)
            tok = page.token
            if not tok:
                break
        runs = {}
        for v in out[:a.runs]:
            if v.run_id and v.run_id not in runs:
                runs[v.run_id] = c.get_run(v.run_id).data.metrics
        aliases = {}
        for al, ver in (model.aliases or {}).items():
            aliases.setdefault(str(ver), []).append(al)
        docs = [{"version": v.version, "aliases": aliases.get(str(v.version), []),
                 "status": v.status, "run_id": v.run_id, "source": v.source,
                 "tags": dict(v.tags or {}), "metrics": runs.get(v.run_id)} for v in out]
        ms = (time.perf_counter() - t0) * 1000
        if a.print:
            json.dump({"model": a.model, "count": len(docs), "versions": docs}, sys.stdout)
        else:
            print(f"versions={len(out)} runs={len(runs)} loop_ms={ms:.1f}", flush=True)


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("seed")
    s.add_argument("uri"), s.add_argument("model"), s.add_argument("count", type=int)
    for name in ("floor", "client"):
        p = sub.add_parser(name)
        p.add_argument("uri"), p.add_argument("model")
        p.add_argument("--runs", type=int, default=50)
        p.add_argument("--reps", type=int, default=1)
        if name == "client":
            p.add_argument("--print", action="store_true")
    a = ap.parse_args()
    {"seed": seed, "floor": floor, "client": client}[a.cmd](a)


if __name__ == "__main__":
    main()
