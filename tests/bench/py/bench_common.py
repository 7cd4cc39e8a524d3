"""Helpers shared by the Python runners (stdlib only)."""

import json
import sys


def payload(size):
    # The same bytes as the Go runner and the kcat/klient files: 'a'..'z' repeated.
    return bytes((ord("a") + i % 26) for i in range(size))


def percentiles(lat):
    if not lat:
        return 0.0, 0.0
    v = sorted(lat)

    def at(q):
        return v[min(len(v) - 1, int(q * len(v)))]

    return at(0.50), at(0.99)


def emit(client, mode, r):
    r = dict(r)
    r["client"], r["mode"] = client, mode
    if r.get("secs"):
        r["msgs_per_s"] = r["msgs"] / r["secs"]
        r["mb_per_s"] = r["bytes"] / r["secs"] / 1e6
    sys.stdout.write(json.dumps(r) + "\n")
    sys.stdout.flush()
