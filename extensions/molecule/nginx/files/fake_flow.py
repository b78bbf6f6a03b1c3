#!/usr/bin/env python3
"""A stand-in for one FATE Flow node behind nginx: an HTTP and a gRPC server that say who they are.

HTTP: every path answers 200 with JSON {"code": 0, "node": NAME, "method": ..., "path": ...};
``/slow?seconds=N`` answers after N seconds (a request in flight during a reload).
gRPC: every unary method answers the bytes ``NAME``; no generated stubs are needed.

    fake_flow.py serve --name flow1 --http-port 9380 --grpc-port 9360
    fake_flow.py http-call --target lb:9998 --path /v2/server/fateflow --count 20 --interval 0.1
    fake_flow.py grpc-call --target lb:9999 --count 20 --interval 0.1

The clients print JSON: {"ok": {node: answers}, "status": {http status: count}, "failed": [why],
"max_seconds": slowest call}, and exit 1 when a call failed.
"""

import argparse
import http.client
import json
import signal
import sys
import threading
import time
from concurrent import futures
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


def http_server(name, host, port):
    class Handler(BaseHTTPRequestHandler):
        # HTTP/1.1 keeps connections open, as FATE Flow's server does, so nginx can pool them.
        protocol_version = "HTTP/1.1"

        def _answer(self):
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            url = urlsplit(self.path)
            if url.path.rstrip("/").endswith("/slow"):
                time.sleep(float(parse_qs(url.query).get("seconds", ["2"])[0]))
            body = json.dumps({"code": 0, "node": name, "method": self.command, "path": self.path}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _answer

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    return server


def grpc_server(name, host, port):
    import grpc

    def answer(request, context):
        return name.encode()

    class AnyMethod(grpc.GenericRpcHandler):
        def service(self, handler_call_details):
            return grpc.unary_unary_rpc_method_handler(answer)

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    server.add_generic_rpc_handlers((AnyMethod(),))
    if not server.add_insecure_port("%s:%d" % (host, port)):
        raise SystemExit("cannot listen on %s:%d for gRPC" % (host, port))
    return server


def run_calls(one_call, count, interval, parallel, paths=(None,)):
    """Make COUNT calls per path, PARALLEL at a time, INTERVAL seconds apart; tally answers and failures."""
    tally, statuses, by_path, failed, slowest = {}, {}, {}, [], 0.0
    latencies = []
    lock = threading.Lock()

    def timed(path):
        started = time.monotonic()
        try:
            status, node = one_call(path)
            error = None
        except Exception as exc:  # noqa: BLE001 - every failure is a result to report
            status, node, error = None, None, "%s: %s" % (type(exc).__name__, exc)
        elapsed = time.monotonic() - started
        with lock:
            nonlocal slowest
            slowest = max(slowest, elapsed)
            latencies.append(elapsed)
            if error:
                failed.append("%s after %.2f s" % (error, elapsed))
                return
            statuses[str(status)] = statuses.get(str(status), 0) + 1
            if path is not None:
                by_path.setdefault(path, {})
                by_path[path][str(status)] = by_path[path].get(str(status), 0) + 1
            if node:
                tally[node] = tally.get(node, 0) + 1

    with futures.ThreadPoolExecutor(max_workers=parallel) as pool:
        jobs = []
        for _ in range(count):
            for path in paths:
                jobs.append(pool.submit(timed, path))
                if interval:
                    time.sleep(interval)
        for job in jobs:
            job.result()
    latencies.sort()
    result = {"ok": tally, "status": statuses, "failed": failed, "max_seconds": round(slowest, 3),
              "p99_seconds": round(latencies[int(0.99 * (len(latencies) - 1))], 3) if latencies else 0,
              "over_2s": sum(1 for t in latencies if t > 2)}
    if by_path:
        result["by_path"] = by_path
    print(json.dumps(result))
    return 0 if not failed else 1


def http_call(args):
    host, _, port = args.target.rpartition(":")

    def one(path):
        conn = http.client.HTTPConnection(host, int(port), timeout=args.timeout)
        try:
            # putrequest sends the path exactly as given: encoded and double-slash variants stay so.
            conn.putrequest(args.method, path, skip_host=False, skip_accept_encoding=True)
            conn.putheader("Content-Length", "0")
            conn.endheaders()
            resp = conn.getresponse()
            body = resp.read()
        finally:
            conn.close()
        node = None
        if resp.status == 200:
            try:
                node = json.loads(body).get("node")
            except ValueError:
                node = None
        return resp.status, node

    return run_calls(one, args.count, args.interval, args.parallel, args.path or ["/v2/server/fateflow"])


def grpc_call(args):
    import grpc

    with grpc.insecure_channel(args.target) as channel:
        call = channel.unary_unary("/fateflow.test.Echo/Who")

        def one(_path):
            try:
                return 200, call(b"who", timeout=args.timeout).decode()
            except grpc.RpcError as exc:
                raise RuntimeError(exc.code().name) from None

        return run_calls(one, args.count, args.interval, args.parallel)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve")
    serve.add_argument("--name", required=True)
    serve.add_argument("--host", default="0.0.0.0")
    serve.add_argument("--http-port", type=int, required=True)
    serve.add_argument("--grpc-port", type=int, default=0, help="0: no gRPC server")
    for command in ("http-call", "grpc-call"):
        call = sub.add_parser(command)
        call.add_argument("--target", required=True, help="HOST:PORT")
        call.add_argument("--count", type=int, default=10)
        call.add_argument("--interval", type=float, default=0.0, help="seconds between calls")
        call.add_argument("--parallel", type=int, default=1)
        call.add_argument("--timeout", type=float, default=10)
        if command == "http-call":
            call.add_argument("--path", action="append", help="path to ask for (repeat for several)")
            call.add_argument("--method", default="GET")
    args = parser.parse_args()
    if args.command == "http-call":
        return http_call(args)
    if args.command == "grpc-call":
        return grpc_call(args)
    http = http_server(args.name, args.host, args.http_port)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    grpc_srv = grpc_server(args.name, args.host, args.grpc_port) if args.grpc_port else None
    if grpc_srv:
        grpc_srv.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    print("fake_flow %s: http %s:%d grpc %s" % (args.name, args.host, args.http_port, args.grpc_port or "-"),
          flush=True)
    stop.wait()
    http.shutdown()
    if grpc_srv:
        grpc_srv.stop(0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
