#!/usr/bin/python3
"""A stand-in for eggroll rollsite in the eggroll_route scenario: the route table handling only.

Like rollsite it listens on its port, loads conf/route_table.json at start and refuses to start
when the table cannot be used (invalid JSON, a key repeated in an object, a port that is not a
JSON integer, an OSX table without self_party), and re-reads the table when it changes, keeping
the last good one when the new one is broken. After every load it writes what it loaded, with
its pid, to --state so that the scenario can see which routes the running process uses.
"""

import argparse
import json
import os
import select
import socket
import sys
import time


class TableError(Exception):
    pass


def reject_duplicates(pairs):
    keys = [key for key, _ in pairs]
    for key in keys:
        if keys.count(key) > 1:
            raise TableError('duplicate key "%s"' % key)
    return dict(pairs)


def load(path, osx):
    try:
        with open(path) as handle:
            data = json.load(handle, object_pairs_hook=reject_duplicates)
    except ValueError as exc:
        raise TableError(str(exc))
    table = data.get("route_table")
    if not isinstance(table, dict):
        raise TableError("no route_table object")
    for party, services in table.items():
        for service, endpoints in services.items():
            for endpoint in endpoints:
                port = endpoint.get("port")
                if not isinstance(port, int) or isinstance(port, bool):
                    raise TableError("%s/%s: port %r is not an integer" % (party, service, port))
    if osx and not data.get("self_party"):
        raise TableError("self_party is not found in route_table.json")
    return data


def write_state(path, data):
    temp = path + ".tmp"
    with open(temp, "w") as handle:
        json.dump({"pid": os.getpid(), "loaded_at": time.time(), "table": data}, handle)
    os.replace(temp, path)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--table", required=True)
    parser.add_argument("--state", required=True)
    parser.add_argument("--port", type=int, default=9370)
    parser.add_argument("--interval", type=float, default=2.0)
    parser.add_argument("--osx", action="store_true")
    parser.add_argument("--check", action="store_true", help="load the table once and exit 0, or 1 when refused")
    args = parser.parse_args()

    try:
        data = load(args.table, args.osx)
    except (TableError, OSError) as exc:
        print("rollsite: cannot load %s: %s; not starting" % (args.table, exc), file=sys.stderr, flush=True)
        return 1
    if args.check:
        return 0
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("0.0.0.0", args.port))
    listener.listen(16)
    write_state(args.state, data)
    loaded_mtime = os.stat(args.table).st_mtime_ns
    print("rollsite: listening on %d with %d parties" % (args.port, len(data["route_table"])), flush=True)
    while True:
        ready, _, _ = select.select([listener], [], [], args.interval)
        if ready:
            connection, _ = listener.accept()
            connection.close()
        try:
            mtime = os.stat(args.table).st_mtime_ns
        except OSError:
            continue
        if mtime == loaded_mtime:
            continue
        loaded_mtime = mtime
        try:
            data = load(args.table, args.osx)
        except (TableError, OSError) as exc:
            print("rollsite: keeping the last good table, %s is broken: %s" % (args.table, exc), flush=True)
            continue
        write_state(args.state, data)
        print("rollsite: reloaded %s" % args.table, flush=True)


if __name__ == "__main__":
    sys.exit(main())
