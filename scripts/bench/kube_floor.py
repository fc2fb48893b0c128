#!/usr/bin/env python3
"""The listing floor for `modeldeck status`: the same list requests, with the
same paging (`limit` + `continue`) and label selector, from one process over
one keep-alive HTTP connection, and no JSON decoding: the continue token is
cut out of each page with a byte search and the items are counted with a
substring count (one `"uid":"` per item; scale-seed Deployments carry no
owner references). Prints `items=N pages=P bytes=B loop_ms=T` on stdout, one
line per rep, T timed inside the process after the connection object is made.
Python standard library only.

    kube_floor.py http://127.0.0.1:PORT [--limit 500] [--selector modeldeck.io/model]
                  [--reps 1] [--check] PATH [PATH ...]

PATH: a collection, e.g. /apis/apps/v1/deployments. --check also decodes every
page (json) and fails when the substring count differs from the item count.
"""
import argparse
import http.client
import sys
import time
import urllib.parse

CONT = b'"continue":"'


def list_all(conn, path, limit, selector, check):
    items = pages = size = 0
    cont = ""
    while True:
        q = {"limit": str(limit)}
        if selector:
            q["labelSelector"] = selector
        if cont:
            q["continue"] = cont
        conn.request("GET", path + "?" + urllib.parse.urlencode(q),
                     headers={"Accept": "application/json"})
        r = conn.getresponse()
        body = r.read()
        if r.status != 200:
            sys.exit(f"kube_floor: {path}: HTTP {r.status}: {body[:300]!r}")
        pages += 1
        size += len(body)
        n = body.count(b'"uid":"')
        if check:
            import json
            decoded = len(json.loads(body)["items"])
            if decoded != n:
                sys.exit(f"kube_floor: {path}: substring count {n} != {decoded} items")
        items += n
        i = body.find(CONT)
        if i < 0:
            return items, pages, size
        j = body.index(b'"', i + len(CONT))
        cont = body[i + len(CONT):j].decode()
        if not cont:
            return items, pages, size


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("paths", nargs="+")
    ap.add_argument("--limit", type=int, default=500)
    ap.add_argument("--selector", default="")
    ap.add_argument("--reps", type=int, default=1)
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args()
    u = urllib.parse.urlsplit(a.url)
    conn = http.client.HTTPConnection(u.hostname, u.port)
    for _ in range(a.reps):
        t0 = time.perf_counter()
        items = pages = size = 0
        for p in a.paths:
            i, pg, s = list_all(conn, p, a.limit, a.selector, a.check)
            items, pages, size = items + i, pages + pg, size + s
        ms = (time.perf_counter() - t0) * 1000
        print(f"items={items} pages={pages} bytes={size} loop_ms={ms:.1f}", flush=True)


if __name__ == "__main__":
    main()
