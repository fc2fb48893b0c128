#!/usr/bin/env python3
"""The listing floor for `modeldeck status`: the same list requests, with the
same paging (`limit` + `continue`) and label selector, from one process over
one keep-alive HTTP connection, and no JSON decoding: the continue token is
cut out of each page with a byte search and the items are counted with a
substring count (one `"uid":"` per item; scale-seed Deployments carry no
owner references). Prints `items=N pages=P bytes=B loop_ms=T` on stdout, one
line per rep, T timed inside the process after the connection object is made.
Python standard library only.

    kube_floor.py http://127.0.0.1:PORT[,http://127.0.0.1:PORT2,...] [--limit 500]
                  [--selector modeldeck.io/model] [--reps 1] [--check] PATH [PATH ...]

PATH: a collection, e.g. /apis/apps/v1/deployments. --check also decodes every
page (json) and fails when the substring count differs from the item count.

Several servers (comma-separated URLs, one per cluster, issue 12's 10
contexts): every (server, PATH) is listed at once, each by its own thread
over its own keep-alive connection (as the adapter lists every kind of every
context at once), and the line also gives `first_page_ms`, when the first
page of any listing arrived (after the same t0), and `first_page_epoch_ms`,
that moment on the wall clock (for scripts that compare it with another
process's first screen).
"""
import argparse
import http.client
import sys
import time
import urllib.parse

CONT = b'"continue":"'


def list_all(conn, path, limit, selector, check, on_page=None):
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
        if on_page:
            on_page()
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


def list_concurrently(urls, paths, limit, selector, check):
    import threading
    results, first, lock = [], [], threading.Lock()

    def one(url, path):
        u = urllib.parse.urlsplit(url)
        conn = http.client.HTTPConnection(u.hostname, u.port)
        r = list_all(conn, path, limit, selector, check, on_page=lambda: mark())
        with lock:
            results.append(r)

    def mark():
        if not first:
            with lock:
                if not first:
                    first.append((time.perf_counter(), time.time()))

    threads = [threading.Thread(target=one, args=(u, p)) for u in urls for p in paths]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if len(results) != len(threads):
        sys.exit("kube_floor: a listing failed")
    items = sum(r[0] for r in results)
    pages = sum(r[1] for r in results)
    size = sum(r[2] for r in results)
    return items, pages, size, first[0] if first else (time.perf_counter(), time.time())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("paths", nargs="+")
    ap.add_argument("--limit", type=int, default=500)
    ap.add_argument("--selector", default="")
    ap.add_argument("--reps", type=int, default=1)
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args()
    urls = a.url.split(",")
    if len(urls) > 1:
        for _ in range(a.reps):
            t0 = time.perf_counter()
            items, pages, size, (first, first_epoch) = list_concurrently(
                urls, a.paths, a.limit, a.selector, a.check)
            ms = (time.perf_counter() - t0) * 1000
            print(f"items={items} pages={pages} bytes={size} loop_ms={ms:.1f} "
                  f"first_page_ms={(first - t0) * 1000:.1f} "
                  f"first_page_epoch_ms={first_epoch * 1000:.0f}", flush=True)
        return
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
