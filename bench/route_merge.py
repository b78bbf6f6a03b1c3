#!/usr/bin/env python3
"""Time the eggroll_route merge on route tables of thousands of parties.

Prints one row per table size: the file size, and the median of several runs of each step the
module takes (parse with duplicate-key detection, shape check, merge of one fateflow route and one
new party, serialisation), and of one whole module run as Ansible starts it (a new Python process).
Run from the repository root: ``python3 bench/route_merge.py [SIZES...]``.
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))
import conftest  # noqa: E402  (makes ansible_collections.fateflow.ha importable)

COLLECTIONS = conftest.COLLECTIONS

from ansible_collections.fateflow.ha.plugins.module_utils import route_table as rt  # noqa: E402

RUNS = 5


def make_table(parties):
    table = {"default": {"default": [{"ip": "192.168.0.3", "port": 9370}]}}
    for index in range(parties):
        party = str(10000 + index)
        table[party] = {"default": [{"ip": "10.%d.%d.%d" % (index >> 16 & 255, index >> 8 & 255, index & 255),
                                     "port": 9370, "is_secure": False}],
                        "fateflow": [{"ip": "10.255.0.1", "port": 9360}]}
    return json.dumps({"route_table": table, "permission": {"default_allow": True}}, indent=2)


def median_ms(step):
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        step()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def module_run_ms(path):
    args = {"ANSIBLE_MODULE_ARGS": {"path": path, "routes": [
        {"party": "10000", "service": "fateflow", "ip": "192.168.0.1", "port": 9999}]}}
    code = ("import sys; sys.path.insert(0, %r); "
            "from ansible_collections.fateflow.ha.plugins.modules import eggroll_route; eggroll_route.main()"
            % COLLECTIONS)
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "-c", code], input=json.dumps(args), capture_output=True, text=True)
        times.append((time.perf_counter() - start) * 1000)
        if '"failed": true' in proc.stdout:
            raise SystemExit(proc.stdout)
    return statistics.median(times)


def main():
    sizes = [int(arg) for arg in sys.argv[1:]] or [1000, 5000, 10000, 20000]
    routes = rt.normalize_routes([{"party": "10000", "service": "fateflow", "ip": "192.168.0.1", "port": 9999},
                                  {"party": "99999", "ip": "192.168.9.9", "port": 9370}], "eggroll")
    print("%8s %9s %9s %9s %9s %9s %9s %12s" % ("parties", "KiB", "parse_ms", "check_ms", "merge_ms", "dump_ms",
                                                 "total_ms", "module_ms"))
    for size in sizes:
        text = make_table(size)
        parse = median_ms(lambda: rt.parse(text))
        data = rt.parse(text)
        check = median_ms(lambda: rt.check_document(data))
        merge = median_ms(lambda: rt.merge(rt.parse(text), routes)) - parse
        rt.merge(data, routes)
        dump = median_ms(lambda: rt.dump(data))
        with tempfile.TemporaryDirectory() as directory:
            path = os.path.join(directory, "route_table.json")
            with open(path, "w") as handle:
                handle.write(text)
            module = module_run_ms(path)
        print("%8d %9.0f %9.1f %9.1f %9.2f %9.1f %9.1f %12.1f" % (
            size, len(text) / 1024.0, parse, check, max(merge, 0.0), dump, parse + check + max(merge, 0.0) + dump,
            module))


if __name__ == "__main__":
    main()
