#!/usr/bin/env python3
"""The lab's rollsite: a router that speaks eggroll's rollsite protocol to FATE Flow.

FATE Flow in MULTIPLE mode with `proxy_name: rollsite` sends every federated command as a
`DataTransferService/unaryCall` to its party's rollsite, which forwards the packet by its route table
to the destination party's rollsite, and that one to its own party's `fateflow` route. eggroll's Java
rollsite cannot be installed on the lab, so this file stands in for it; FATE Flow on both sides is real.

Routing follows eggroll 2.x's rollsite, `jvm/roll_site/main/scala/com/webank/eggroll/rollsite/Router.scala`
(`query`, used by `EggSiteServicer.unaryCall`), not the older `ConfFileBasedFdnRouter.java`:
  * the destination party's own entry if the table has it, else the `default` party; within it, the
    destination role, else the role `default`. A party that is in the table but has neither the role
    nor `default` has no route: the table's `default` party is NOT tried then;
  * `permission.default_allow: false` switches both `default` fallbacks off (it is not a deny list).
    A missing or non-boolean `default_allow` counts as true, as in eggroll;
  * only the first endpoint of a list is used; only `ip` and `port` are read (`hostname` is not).
    `is_secure` needs a CA file in eggroll, and without one eggroll connects in plain text, as this
    router always does.
Unlike eggroll, whose parser also refuses duplicate keys (org.json), a table that breaks while the
router runs is refused and the last good one kept, and the file is checked every second rather than
every minute (eggroll's refresh task stops for good at the first broken table).
"""

import argparse
import json
import os
import signal
import sys
import threading
import time
from concurrent import futures

import grpc

try:
    from fate_flow.proto.rollsite import proxy_pb2_grpc
except ImportError:
    from ofx.api.proto.rollsite import proxy_pb2_grpc

# A forwarded call is bounded by the caller's own deadline, as eggroll's unaryCall does (deadline
# propagation); overallTimeout is not read: FATE Flow 2.x's scheduler (ofx) writes its timeout
# there in seconds where eggroll's field is milliseconds. A call without a deadline gets this (s).
DEFAULT_TIMEOUT = 60.0
RELOAD_INTERVAL = 1.0
STOP_GRACE = 5.0
WORKERS = 64
# Headers gRPC sets by itself on every call; the caller's other metadata is forwarded.
TRANSPORT_HEADERS = ("user-agent", "content-type", "te", "host")
MESSAGE_OPTIONS = [("grpc.max_send_message_length", -1), ("grpc.max_receive_message_length", -1)]
# gRPC's reconnect backoff grows to 120 s, and a call during it fails at once: an upstream that is
# back (a restarted Nginx or Flow node) must be reached again within a second.
CHANNEL_OPTIONS = MESSAGE_OPTIONS + [("grpc.initial_reconnect_backoff_ms", 200),
                                     ("grpc.min_reconnect_backoff_ms", 200), ("grpc.max_reconnect_backoff_ms", 1000)]


class TableError(ValueError):
    """A route table that cannot be used; the message names the problem."""


class NoRoute(LookupError):
    """No endpoint for a destination; the message names the party and role."""


def _refuse_duplicates(pairs):
    seen = {}
    for key, value in pairs:
        if key in seen:
            raise TableError("duplicate key %s" % json.dumps(key))
        seen[key] = value
    return seen


def _check_endpoint(where, endpoint):
    if not isinstance(endpoint, dict):
        raise TableError("%s is not an object" % where)
    if endpoint.get("is_polling") in (True, 1, "1", "true"):
        raise TableError("%s is a polling endpoint, which this router does not serve" % where)
    ip = endpoint.get("ip")
    if not isinstance(ip, str) or not ip.strip():
        raise TableError("%s has no ip" % where)
    port = endpoint.get("port")
    if port is None:
        raise TableError("%s has no port" % where)
    # eggroll casts the value to an Int: a string or a float port fails there at the first packet.
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        raise TableError("%s has a bad port %s (a JSON integer 1-65535)" % (where, json.dumps(port)))


def parse_table(text):
    """Return (routes, default_allow, notes) from a route_table.json text, or raise TableError."""
    try:
        doc = json.loads(text, object_pairs_hook=_refuse_duplicates)
    except TableError:
        raise
    except ValueError as err:
        raise TableError("invalid JSON: %s" % err) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("route_table"), dict):
        raise TableError("no route_table object")
    routes = doc["route_table"]
    for party, roles in routes.items():
        if not isinstance(roles, dict):
            raise TableError("route_table.%s is not an object" % party)
        for role, endpoints in roles.items():
            where = "route_table.%s.%s" % (party, role)
            if not isinstance(endpoints, list) or not endpoints:
                raise TableError("%s is not a non-empty list" % where)
            for index, endpoint in enumerate(endpoints):
                _check_endpoint("%s[%d]" % (where, index), endpoint)
    notes = []
    permission = doc.get("permission")
    default_allow = permission.get("default_allow", True) if isinstance(permission, dict) else True
    if not isinstance(default_allow, bool):
        notes.append("permission.default_allow %s is not a boolean: taken as true, as eggroll does"
                     % json.dumps(default_allow))
        default_allow = True
    return routes, default_allow, notes


def _pick(keys, wanted, default_allow, where, party, role):
    """One level of eggroll's lookup: the key itself, else `default` when default_allow."""
    if wanted in keys:
        return wanted
    if "default" in keys and default_allow:
        return "default"
    reason = "permission.default_allow is false" if "default" in keys else "no default either"
    raise NoRoute("no route to party %s role %s: %s has no %s and %s" % (party, role, where, wanted, reason))


class RouteTable:
    """The last good route table of one file, re-read when the file changes."""

    def __init__(self, path, log):
        self.path = path
        self.log = log
        self._lock = threading.Lock()
        self._signature = None
        self._refused = None
        self.routes, self.default_allow = {}, True

    def _stat(self):
        st = os.stat(self.path)
        return (st.st_ino, st.st_size, st.st_mtime_ns)

    def load(self):
        """Read the file; raise TableError (or OSError) and keep the current table if it is broken."""
        signature = self._stat()
        with open(self.path, "rb") as handle:
            text = handle.read()
        routes, default_allow, notes = parse_table(text)
        with self._lock:
            self.routes, self.default_allow = routes, default_allow
            self._signature = signature
        for note in notes:
            self.log("route table %s: %s" % (self.path, note))
        return routes

    def refresh(self):
        """Reload the table if the file changed since the last look; log a refusal once per version."""
        try:
            signature = self._stat()
        except OSError as err:
            signature = ("missing", err.strerror)
        if signature in (self._signature, self._refused):
            return
        try:
            routes = self.load()
        except (TableError, OSError) as err:
            self._refused = signature
            problem = err.strerror if isinstance(err, OSError) else str(err)
            self.log("route table %s refused, keeping the last good one: %s" % (self.path, problem))
            return
        self._refused = None
        self.log("route table %s loaded: parties %s" % (self.path, ",".join(sorted(routes))))

    def route(self, party, role):
        """Return (party key, role key, endpoint) as eggroll's Router.query picks them."""
        with self._lock:
            routes, default_allow = self.routes, self.default_allow
        party_key = _pick(routes, party, default_allow, "route_table", party, role)
        roles = routes[party_key]
        role_key = _pick(roles, role, default_allow, "route_table.%s" % party_key, party, role)
        return party_key, role_key, roles[role_key][0]


class Forwarder(proxy_pb2_grpc.DataTransferServiceServicer):
    """unaryCall: the packet goes unchanged to the endpoint its destination routes to."""

    def __init__(self, table, listen, log):
        self.table = table
        self.listen = listen
        self.log = log
        self._channels = {}
        self._lock = threading.Lock()

    def _stub(self, target):
        with self._lock:
            stub = self._channels.get(target)
            if stub is None:
                channel = grpc.insecure_channel(target, options=CHANNEL_OPTIONS)
                stub = self._channels[target] = (channel, proxy_pb2_grpc.DataTransferServiceStub(channel))
        return stub[1]

    def close(self):
        with self._lock:
            for channel, _ in self._channels.values():
                channel.close()
            self._channels.clear()

    def unaryCall(self, request, context):
        started = time.monotonic()
        header = request.header
        party, role = header.dst.partyId, header.dst.role
        fields = {"src": header.src.partyId or "-", "dst": "%s/%s" % (party or "-", role or "-"),
                  "job": header.task.taskId or "-", "url": request.body.key or "-"}

        def finish(outcome, endpoint="-", error=None):
            fields.update(endpoint=endpoint, outcome=outcome, ms="%.1f" % ((time.monotonic() - started) * 1000))
            line = " ".join("%s=%s" % item for item in fields.items())
            self.log(line + (" error=%s" % json.dumps(error) if error else ""))

        try:
            party_key, role_key, endpoint = self.table.route(party, role)
        except NoRoute as err:
            # eggroll answers UNKNOWN here; NOT_FOUND keeps "no route" apart from an upstream's own errors.
            finish("NOT_FOUND", error=str(err))
            context.abort(grpc.StatusCode.NOT_FOUND, str(err))
        target = "%s:%d" % (endpoint["ip"], endpoint["port"])
        fields["route"] = "%s/%s" % (party_key, role_key)
        if (endpoint["ip"], endpoint["port"]) == self.listen:
            message = ("route_table.%s.%s of party %s role %s points at this rollsite itself (%s): commands "
                       "to rollsite are not served here" % (party_key, role_key, party, role, target))
            finish("UNIMPLEMENTED", target, message)
            context.abort(grpc.StatusCode.UNIMPLEMENTED, message)

        remaining = context.time_remaining()
        # A little of the caller's time is kept back so that it gets this router's message, which
        # names the endpoint, rather than its own bare deadline error.
        timeout = DEFAULT_TIMEOUT if remaining is None else min(DEFAULT_TIMEOUT, max(remaining - 0.2, remaining / 2))
        metadata = [(key, value) for key, value in context.invocation_metadata()
                    if not key.startswith((":", "grpc-")) and key not in TRANSPORT_HEADERS]
        try:
            answer, call = self._stub(target).unaryCall.with_call(request, timeout=timeout, metadata=metadata)
        except grpc.RpcError as err:
            code = err.code() if isinstance(err, grpc.Call) else grpc.StatusCode.UNKNOWN
            details = err.details() if isinstance(err, grpc.Call) else str(err)
            message = "party %s role %s via route_table.%s.%s at %s (timeout %.1f s): %s: %s" % (
                party, role, party_key, role_key, target, timeout, code.name, details)
            finish(code.name, target, message)
            context.abort(code, message)
        trailing = [(key, value) for key, value in (call.trailing_metadata() or ())
                    if not key.startswith((":", "grpc-"))]
        if trailing:
            context.set_trailing_metadata(trailing)
        finish("OK", target)
        return answer


def make_logger(party_id):
    sys.stdout.reconfigure(line_buffering=True)
    lock = threading.Lock()

    def log(message):
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
        with lock:
            sys.stdout.write("%s rollsite=%s %s\n" % (stamp, party_id, message))

    return log


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--table", required=True, help="eggroll's route_table.json")
    parser.add_argument("--host", default="0.0.0.0", help="address to listen on")
    parser.add_argument("--port", type=int, default=9370, help="port to listen on")
    parser.add_argument("--party-id", default="-", help="this party's id, for the logs")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    log = make_logger(args.party_id)
    table = RouteTable(args.table, log)
    try:
        routes = table.load()
    except (TableError, OSError) as err:
        problem = err.strerror if isinstance(err, OSError) else str(err)
        sys.stderr.write("router: route table %s: %s\n" % (args.table, problem))
        return 2

    forwarder = Forwarder(table, (args.host, args.port), log)
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=WORKERS), options=MESSAGE_OPTIONS)
    proxy_pb2_grpc.add_DataTransferServiceServicer_to_server(forwarder, server)
    try:
        bound = server.add_insecure_port("%s:%d" % (args.host, args.port))
    except RuntimeError as err:
        bound, problem = 0, str(err)
    else:
        problem = "address in use or not on this host"
    if not bound:
        sys.stderr.write("router: cannot listen on %s:%d: %s\n" % (args.host, args.port, problem))
        return 2
    server.start()
    log("listening on %s:%d, route table %s: parties %s" % (args.host, args.port, args.table, ",".join(sorted(routes))))

    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())
    while not stopping.wait(RELOAD_INTERVAL):
        table.refresh()
    log("stopping (grace %.0f s)" % STOP_GRACE)
    server.stop(STOP_GRACE).wait()
    forwarder.close()
    log("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
