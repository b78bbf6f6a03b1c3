#!/usr/bin/env python3
"""A stand-in for one FATE Flow node behind nginx: an HTTP and a gRPC server that say who they are.

HTTP: every path answers 200 with JSON {"code": 0, "node": NAME, "method": ..., "path": ...};
``/slow?seconds=N`` answers after N seconds (a request in flight during a reload).
gRPC: every unary method answers the bytes ``NAME``; no generated stubs are needed.

    fake_flow.py serve --name flow1 --http-port 9380 --grpc-port 9360
    fake_flow.py grpc-call --target lb:9999 --count 20    # prints {"ok": {node: n}, "failed": [...]}
"""

import argparse
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


def grpc_call(target, count, timeout):
    """Make COUNT unary calls on one channel; tally which node answered each, and what failed."""
    import grpc

    tally, failed = {}, []
    with grpc.insecure_channel(target) as channel:
        call = channel.unary_unary("/fateflow.test.Echo/Who")
        for _ in range(count):
            started = time.monotonic()
            try:
                node = call(b"who", timeout=timeout).decode()
            except grpc.RpcError as exc:
                failed.append("%s after %.1f s" % (exc.code().name, time.monotonic() - started))
                continue
            tally[node] = tally.get(node, 0) + 1
    print(json.dumps({"ok": tally, "failed": failed}))
    return 0 if not failed else 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve")
    serve.add_argument("--name", required=True)
    serve.add_argument("--host", default="0.0.0.0")
    serve.add_argument("--http-port", type=int, required=True)
    serve.add_argument("--grpc-port", type=int, default=0, help="0: no gRPC server")
    call = sub.add_parser("grpc-call")
    call.add_argument("--target", required=True)
    call.add_argument("--count", type=int, default=10)
    call.add_argument("--timeout", type=float, default=10)
    args = parser.parse_args()
    if args.command == "grpc-call":
        return grpc_call(args.target, args.count, args.timeout)
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
