#!/usr/bin/env python3
"""Fetches URL once per Cookie header of FILE: `fill_cache.py URL FILE` (8 keep-alive
connections). Prints one JSON line: requests, how many answered 200, seconds."""
import http.client
import json
import sys
import threading
import time
import urllib.parse

url, path = urllib.parse.urlsplit(sys.argv[1]), sys.argv[2]
cookies = [line.rstrip("\n") for line in open(path) if line.strip()]
THREADS = 8
answered = [0] * THREADS
ok = [0] * THREADS


def fetch(n):
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
    for cookie in cookies[n::THREADS]:
        connection.request("GET", url.path, headers={"cookie": cookie})
        response = connection.getresponse()
        response.read()
        answered[n] += 1
        ok[n] += response.status == 200


started = time.monotonic()
threads = [threading.Thread(target=fetch, args=(n,)) for n in range(THREADS)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(json.dumps({"requests": sum(answered), "ok": sum(ok), "seconds": round(time.monotonic() - started, 2)}))
