#!/usr/bin/env python3
"""Steady, bounded load on a FATE Flow HTTP API (through the party's Nginx), for the lab only.

Sends requests at a fixed rate (open loop: a request's latency counts from the moment it was
due, so a stall shows as latency rather than as fewer requests) until --seconds have passed or
the process gets SIGTERM/SIGINT, waits for the requests in flight, and writes a JSON report:

    sent, failed, p50 / p99 / max latency (s), the first failures, and one record per request
    [due offset (s), latency (s), HTTP status (0: no answer), FATE code or error text]

A request fails on anything but HTTP 200 with a body whose `code` (2.x) or `retcode` (1.x) is 0.
Only lab addresses (10.200.0.0/16, fflab's subnets) and loopback are accepted as targets, the
rate is capped at 300 requests a second and the duration at 30 min (a rolling restart of busy
lab nodes takes that long).

    lab/flow_load.py --url http://10.200.3.5:9998/v2/server/fateflow --rate 50 --seconds 60 \
        --json /tmp/load.json
"""

import argparse
import http.client
import ipaddress
import json
import signal
import socket
import sys
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

LAB_NETWORKS = (ipaddress.ip_network("10.200.0.0/16"), ipaddress.ip_network("127.0.0.0/8"))
MAX_RATE = 300.0
MAX_SECONDS = 1800.0


class Target:
    """Where the requests go, checked against the lab's address ranges."""

    def __init__(self, url, method, body):
        parts = urllib.parse.urlsplit(url)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError("--url must be http://<lab address>:<port>/<path>, not %r" % url)
        try:
            address = ipaddress.ip_address(socket.gethostbyname(parts.hostname))
        except (OSError, ValueError) as exc:
            raise ValueError("cannot resolve %s: %s" % (parts.hostname, exc)) from exc
        if not any(address in net for net in LAB_NETWORKS):
            raise ValueError("%s (%s) is not a lab address (10.200.0.0/16 or loopback): load goes "
                             "only to the lab" % (parts.hostname, address))
        self.host = str(address)
        self.port = parts.port or 80
        self.path = parts.path or "/"
        if parts.query:
            self.path += "?" + parts.query
        self.method = method
        self.body = body.encode() if body is not None else None


def call(target, timeout):
    """One request on a fresh connection: (HTTP status, FATE code or error text)."""
    conn = http.client.HTTPConnection(target.host, target.port, timeout=timeout)
    try:
        headers = {"Connection": "close"}
        if target.body is not None:
            headers["Content-Type"] = "application/json"
        conn.request(target.method, target.path, body=target.body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        if resp.status != 200:
            return resp.status, "HTTP %d" % resp.status
        try:
            doc = json.loads(data)
        except ValueError:
            return resp.status, "body is not JSON"
        code = doc.get("code", doc.get("retcode")) if isinstance(doc, dict) else None
        return resp.status, code if code is not None else "no code in body"
    except (OSError, http.client.HTTPException) as exc:
        return 0, "%s: %s" % (type(exc).__name__, exc)
    finally:
        conn.close()


def percentile(values, fraction):
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def run(target, rate, seconds, timeout, workers, stop):
    """Drive the load; returns the report."""
    records = []
    lock = threading.Lock()
    start = time.monotonic()
    started_at = time.time()

    def one(due):
        status, outcome = call(target, timeout)
        latency = time.monotonic() - (start + due)
        with lock:
            records.append([round(due, 4), round(latency, 4), status, outcome])

    stopped_by = "signal"
    with ThreadPoolExecutor(max_workers=workers) as pool:
        n = 0
        while not stop.is_set():
            due = n / rate
            if due >= seconds:
                stopped_by = "duration"
                break
            wait = start + due - time.monotonic()
            if wait > 0 and stop.wait(wait):
                break
            pool.submit(one, due)
            n += 1
    records.sort(key=lambda r: r[0])
    latencies = [r[1] for r in records]
    failures = [r for r in records if r[3] != 0]
    return {
        "url": "http://%s:%d%s" % (target.host, target.port, target.path),
        "method": target.method,
        "rate": rate,
        "started_at": started_at,
        "duration": round(time.monotonic() - start, 3),
        # "duration": --seconds ran out; "signal": stopped by SIGTERM/SIGINT before that.
        "stopped_by": stopped_by,
        "sent": len(records),
        "failed": len(failures),
        "p50": percentile(latencies, 0.50),
        "p99": percentile(latencies, 0.99),
        "max": max(latencies) if latencies else None,
        "first_failures": failures[:20],
        "records": records,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="http://<lab address>:<port>/<path>")
    parser.add_argument("--method", default="GET")
    parser.add_argument("--data", help="JSON request body (POST)")
    parser.add_argument("--rate", type=float, default=50.0, help="requests a second (max %d)" % MAX_RATE)
    parser.add_argument("--seconds", type=float, default=60.0, help="duration (max %d)" % MAX_SECONDS)
    parser.add_argument("--timeout", type=float, default=90.0, help="seconds a request may take")
    parser.add_argument("--workers", type=int, default=256, help="requests in flight at most")
    parser.add_argument("--json", help="write the report here (default: standard output)")
    args = parser.parse_args(argv)

    if not 0 < args.rate <= MAX_RATE:
        parser.error("--rate must be more than 0 and at most %d" % MAX_RATE)
    if not 0 < args.seconds <= MAX_SECONDS:
        parser.error("--seconds must be more than 0 and at most %d" % MAX_SECONDS)
    try:
        target = Target(args.url, args.method.upper(), args.data)
    except ValueError as exc:
        parser.error(str(exc))

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    report = run(target, args.rate, args.seconds, args.timeout, args.workers, stop)
    text = json.dumps(report)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            out.write(text)
    else:
        print(text)
    print("sent %d, failed %d, p50 %s s, p99 %s s, max %s s" % (
        report["sent"], report["failed"], report["p50"], report["p99"], report["max"]), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
