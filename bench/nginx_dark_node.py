#!/usr/bin/env python3
"""How nginx (role fateflow.ha.nginx) rides out a FATE Flow node whose link goes dark.

Brings up lab hosts lb, fa1, fa2 (lab `nbch`), runs the nginx scenario's prepare and the role,
then for each HTTP keepalive pool size: steady POST traffic through nginx, fa2's link taken
down after a few seconds, and prints failures, p99, max and requests slower than 2 s. The lab
is taken down at the end.

    bench/nginx_dark_node.py [--keepalive 0 4] [--seconds 15] [--rate 20] [--keep-lab]
"""

import argparse
import json
import os
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCENARIO = os.path.join(ROOT, "extensions", "molecule", "nginx")
FFLAB = os.path.join(ROOT, "lab", "fflab")
LAB = "nbch"
TOPOLOGY = "hosts:\n  lb: {groups: [nginx]}\n  fa1: {groups: [fateflow]}\n  fa2: {groups: [fateflow]}\n"


def run(cmd, **kwargs):
    return subprocess.run(cmd, check=True, **kwargs)


def playbook(inventory, name, *extra):
    env = dict(os.environ, ANSIBLE_PIPELINING="1",
               ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".cache", "collections"))
    run([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", inventory,
         os.path.join(SCENARIO, name)] + list(extra), env=env, stdout=subprocess.DEVNULL)


def trial(inventory, keepalive, seconds, rate):
    playbook(inventory, "converge.yml", "-e", json.dumps({"nginx_fateflow_http_keepalive": keepalive}))
    count = int(seconds * rate)
    out = {}

    def traffic():
        proc = subprocess.run(
            [FFLAB, "--lab", LAB, "exec", "lb", "--", "/usr/bin/python3", "/data/projects/fake_flow.py",
             "http-call", "--target", "lb:9998", "--method", "POST", "--count", str(count),
             "--interval", str(1.0 / rate), "--parallel", "32", "--timeout", "90"],
            capture_output=True, text=True, check=False)
        out.update(json.loads(proc.stdout))

    thread = threading.Thread(target=traffic)
    thread.start()
    time.sleep(seconds / 4)
    run([FFLAB, "--lab", LAB, "link", "fa2", "down"])
    thread.join()
    run([FFLAB, "--lab", LAB, "link", "fa2", "up"])
    time.sleep(12)  # fail_timeout: fa2 is tried again before the next trial
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keepalive", type=int, nargs="+", default=[0, 4])
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--rate", type=float, default=20)
    parser.add_argument("--keep-lab", action="store_true")
    args = parser.parse_args()
    topology = "/tmp/%s-topology.yml" % LAB
    inventory = "/tmp/%s-inventory.yml" % LAB
    with open(topology, "w", encoding="utf-8") as handle:
        handle.write(TOPOLOGY)
    run([FFLAB, "--lab", LAB, "up", "--topology", topology, "--inventory", inventory], stdout=subprocess.DEVNULL)
    try:
        playbook(inventory, "prepare.yml")
        print("%-10s %8s %8s %8s %8s %8s" % ("keepalive", "requests", "failed", "p99 s", "max s", ">2 s"))
        for keepalive in args.keepalive:
            res = trial(inventory, keepalive, args.seconds, args.rate)
            total = sum(res["status"].values()) + len(res["failed"])
            failed = len(res["failed"]) + sum(n for code, n in res["status"].items() if code != "200")
            print("%-10d %8d %8d %8.2f %8.2f %8d" % (keepalive, total, failed, res["p99_seconds"],
                                                   res["max_seconds"], res["over_2s"]), flush=True)
    finally:
        if not args.keep_lab:
            run([FFLAB, "--lab", LAB, "down"], stdout=subprocess.DEVNULL)
    return 0


if __name__ == "__main__":
    sys.exit(main())
