#!/usr/bin/env python3
"""Time the rollout of the lab party with 1, 2, 4 ... FATE Flow nodes.

For each node count N: a fresh lab with the hosts of lab/topologies/site.yml (zk1-3, db, lb,
flow1 as the full node, flow2..flowN as extra Flow nodes), prepared as scripts/site.sh does;
then playbooks/site.yml twice. Prints, per N, the first run's wall time, its total and per-host
``changed`` counts and how long the Flow-node play and its phases took (from the profile_tasks
timestamps), then the second run's wall time and ``changed`` count, which must be 0. The lab is
removed afterwards unless --keep-lab. The figures are also written as JSON under .lab/rollout/.

The algorithm package (about 1 GB per node) is left out unless --algorithms: the rollout's cost
per node is the same without it, minus the time pip takes to unpack it.

Run as root from the repository root (the lab needs network namespaces):

    python3 bench/rollout.py [--nodes 1 2 4] [--keep-lab] [--algorithms] [--root CHECKOUT]

--root rolls out another checkout of the collection (for example an older commit in a git
worktree) with this script, so that two versions are timed the same way. Exits non-zero when a
step fails or a second run changes anything.
"""

import argparse
import datetime
import json
import os
import re
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LAB_DIR = os.path.join(ROOT, ".lab")
OUT_DIR = os.path.join(LAB_DIR, "rollout")

FLOW_PLAY = "Make the FATE Flow nodes an HA group on the shared registry and database"
# The fateflow_ha role's steps, told apart by the include tasks of its main.yml.
PHASES = [
    ("preflight", "Check the inputs"),
    ("database", "Prepare the party's MySQL"),
    ("install", "Install FATE Flow"),
    ("configure", "Configure FATE Flow for HA"),
    ("start", "Run FATE Flow"),
]
PLAY_RE = re.compile(r"^PLAY \[(.*)\] \*+$")
TASK_RE = re.compile(r"^TASK \[(?:[\w.]+ : )?(.*)\] \*+$")
# profile_tasks prints one after every task header: (time of the previous task) total time.
STAMP_RE = re.compile(r"\((\d+):(\d\d):(\d\d(?:\.\d+)?)\)\s+(\d+):(\d\d):(\d\d(?:\.\d+)?)")
RECAP_RE = re.compile(r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)")


def topology(nodes):
    hosts = {
        "zk1": {"groups": ["zookeeper"]},
        "zk2": {"groups": ["zookeeper"]},
        "zk3": {"groups": ["zookeeper"]},
        "db": {"groups": ["fateflow_mysql"]},
        "lb": {"groups": ["nginx"]},
        "flow1": {"groups": ["fateflow", "fate_full"]},
    }
    for i in range(2, nodes + 1):
        hosts["flow%d" % i] = {"groups": ["fateflow"]}
    # JSON is YAML: no YAML library needed to write it.
    return json.dumps({"hosts": hosts}, indent=2) + "\n"


def seconds(h, m, s):
    return int(h) * 3600 + int(m) * 60 + float(s)


def parse_run(log):
    """Per-host changed counts, per-play and Flow-phase durations of one ansible-playbook log."""
    recap = {}
    marks = []  # (elapsed at the task's start, play, task name)
    play = task = None
    in_recap = False
    for line in log.splitlines():
        if line.startswith("PLAY RECAP"):
            in_recap = True
            continue
        if in_recap:
            m = RECAP_RE.match(line)
            if m:
                recap[m.group(1)] = {"ok": int(m.group(2)), "changed": int(m.group(3)),
                                     "unreachable": int(m.group(4)), "failed": int(m.group(5))}
            continue
        m = PLAY_RE.match(line)
        if m:
            play = m.group(1)
            continue
        m = TASK_RE.match(line)
        if m:
            task = m.group(1)
            continue
        m = STAMP_RE.search(line)
        if m and task is not None:
            marks.append((seconds(*m.group(4, 5, 6)), play, task))
            task = None
    # The line after the recap carries the total time.
    end = None
    for m in STAMP_RE.finditer(log):
        end = seconds(*m.group(4, 5, 6))
    plays, phases = {}, {}
    if marks and end is not None:
        bounds = marks + [(end, None, None)]
        for (start, p, t), (stop, _, _) in zip(bounds, bounds[1:]):
            plays[p] = plays.get(p, 0.0) + stop - start
            if p == FLOW_PLAY:
                for name, prefix in PHASES:
                    if t.startswith(prefix):
                        phase = name
                        break
                else:
                    phase = phases.get("_current", "gather")
                phases["_current"] = phase
                phases[phase] = phases.get(phase, 0.0) + stop - start
        phases.pop("_current", None)
    return {
        "changed": sum(h["changed"] for h in recap.values()),
        "failed": sum(h["failed"] + h["unreachable"] for h in recap.values()),
        "hosts": recap,
        "plays": {p: round(s, 1) for p, s in plays.items()},
        "flow_phases": {p: round(s, 1) for p, s in phases.items()},
    }


class Step:
    def __init__(self, args, env, log_dir):
        self.args = args
        self.env = env
        self.log_dir = log_dir

    def run(self, name, cmd):
        """Run one command, its output in a log file; return (seconds, output), raise on failure."""
        path = os.path.join(self.log_dir, name + ".log")
        start = time.monotonic()
        # Written as it runs, so that a long run can be followed with tail -f.
        with open(path, "w") as f:
            proc = subprocess.run(cmd, cwd=self.args.root, env=self.env, text=True,
                                  stdout=f, stderr=subprocess.STDOUT, check=False)
        took = time.monotonic() - start
        with open(path) as f:
            output = f.read()
        if proc.returncode != 0:
            tail = "\n".join(output.splitlines()[-30:])
            raise RuntimeError("%s failed (exit %d) after %.0f s; log %s\n%s" % (name, proc.returncode, took, path, tail))
        return took, output


def one(args, nodes, env, stamp):
    lab = args.lab or "%s%d" % (args.lab_prefix, nodes)
    lab_dir = os.path.join(LAB_DIR, lab)
    inventory = os.path.join(lab_dir, "inventory")
    log_dir = os.path.join(OUT_DIR, "%s-%s-n%d" % (stamp, args.label, nodes))
    os.makedirs(inventory, exist_ok=True)
    os.makedirs(log_dir, exist_ok=True)
    topo = os.path.join(lab_dir, "topology.yml")
    with open(topo, "w") as f:
        f.write(topology(nodes))
    # The site's settings of the lab party, next to the inventory fflab writes.
    link = os.path.join(inventory, "group_vars")
    if os.path.lexists(link):
        os.remove(link)
    os.symlink(os.path.join(args.root, "inventories", "lab", "group_vars"), link)

    fflab = [os.path.join(ROOT, "lab", "fflab"), "--lab", lab]
    extra = [] if args.algorithms else ["-e", "fateflow_ha_install_algorithms=false"]
    step = Step(args, env, log_dir)
    result = {"nodes": nodes, "lab": lab, "label": args.label, "root": args.root,
              "algorithms": args.algorithms, "logs": log_dir}
    try:
        # A first run needs an empty lab: a lab left by an earlier run goes first.
        step.run("down-before", fflab + ["down"])
        result["lab_up_s"] = round(step.run("lab-up", fflab + ["up", "--topology", topo, "--inventory",
                                                            os.path.join(inventory, "hosts.yml")])[0], 1)
        result["prepare_s"] = round(step.run("prepare", ["ansible-playbook", "-i", inventory,
                                                         "extensions/molecule/ha/prepare.yml"])[0], 1)
        for run in ("first",) if args.first_only else ("first", "second"):
            took, log = step.run(run, ["ansible-playbook", "-i", inventory, "playbooks/site.yml"] + extra)
            # The machine may be shared: its load over the last minute tells how far to trust the time.
            result[run] = dict(parse_run(log), wall_s=round(took, 1), load_1min=round(os.getloadavg()[0], 1))
            print("  n=%d %s run: %.0f s, changed=%d" % (nodes, run, took, result[run]["changed"]), flush=True)
        if args.check:
            result["check_s"] = round(step.run("check", ["ansible-playbook", "-i", inventory, "playbooks/check.yml"])[0], 1)
            result["check_ok"] = True
    except RuntimeError as exc:
        result["error"] = str(exc)
        print("  n=%d: %s" % (nodes, exc), file=sys.stderr, flush=True)
    finally:
        if not args.keep_lab:
            subprocess.run(fflab + ["down"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, check=False)
    return result


def table(results):
    rows = [("nodes", "first s", "changed", "flow play s", "install s", "start s", "load",
             "second s", "changed", "check")]
    for r in results:
        first, second = r.get("first", {}), r.get("second", {})
        flow = first.get("plays", {}).get(FLOW_PLAY)
        phases = first.get("flow_phases", {})
        rows.append((
            str(r["nodes"]),
            "%.0f" % first["wall_s"] if first else "-",
            str(first.get("changed", "-")),
            "%.0f" % flow if flow is not None else "-",
            "%.0f" % phases["install"] if "install" in phases else "-",
            "%.0f" % phases["start"] if "start" in phases else "-",
            "%.1f" % first["load_1min"] if "load_1min" in first else "-",
            "%.0f" % second["wall_s"] if second else "-",
            str(second.get("changed", "-")),
            "ok" if r.get("check_ok") else ("-" if "error" not in r else "FAILED"),
        ))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.rjust(w) for c, w in zip(row, widths)) for row in rows)


def marginal(results):
    """Seconds each extra node adds to the first run, between the node counts measured."""
    walls = {r["nodes"]: r["first"]["wall_s"] for r in results if "first" in r}
    counts = sorted(walls)
    return [{"from": a, "to": b, "per_node_s": round((walls[b] - walls[a]) / (b - a), 1)}
            for a, b in zip(counts, counts[1:])]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, nargs="+", default=[1, 2, 4], help="Flow node counts (default 1 2 4)")
    parser.add_argument("--keep-lab", action="store_true", help="leave each lab up after its runs")
    parser.add_argument("--algorithms", action="store_true",
                        help="install the algorithm package too (about 1 GB per node; off by default)")
    parser.add_argument("--first-only", action="store_true", help="skip the second run (and its changed=0 check)")
    parser.add_argument("--no-check", dest="check", action="store_false", help="skip playbooks/check.yml")
    parser.add_argument("--root", default=ROOT, help="checkout of the collection to roll out (default: this one)")
    parser.add_argument("--label", default="", help="name of this series in the output (default: the checkout's commit)")
    parser.add_argument("--lab-prefix", default="ro", help="labs are named PREFIX<N> (default ro)")
    parser.add_argument("--lab", help="one lab for every node count, one after the other (instead of PREFIX<N>)")
    args = parser.parse_args()
    args.root = os.path.abspath(args.root)
    if any(n < 1 or n > 30 for n in args.nodes):
        parser.error("--nodes takes counts from 1 to 30")
    if not args.label:
        args.label = subprocess.run(["git", "-C", args.root, "rev-parse", "--short", "HEAD"],
                                    text=True, capture_output=True, check=False).stdout.strip() or "rollout"

    env = dict(os.environ)
    env["PATH"] = os.path.join(args.root, ".venv", "bin") + os.pathsep + env.get("PATH", "")
    env["ANSIBLE_COLLECTIONS_PATH"] = os.path.join(args.root, ".cache", "collections")
    env["ANSIBLE_CONFIG"] = os.path.join(args.root, "ansible.cfg")
    env["PROFILE_TASKS_TASK_OUTPUT_LIMIT"] = "all"
    env["ANSIBLE_NOCOLOR"] = "1"
    link = os.path.join(args.root, ".cache", "collections", "ansible_collections", "fateflow", "ha")
    if not os.path.islink(link):
        os.makedirs(os.path.dirname(link), exist_ok=True)
        os.symlink(args.root, link)

    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    print("Rollout of %s (%s), algorithms %s" % (args.root, args.label, "on" if args.algorithms else "off"), flush=True)
    os.makedirs(OUT_DIR, exist_ok=True)
    path = os.path.join(OUT_DIR, "%s-%s.json" % (stamp, args.label))
    results = []
    for n in args.nodes:
        results.append(one(args, n, env, stamp))
        # Written after every node count: an interrupted series keeps what it measured.
        with open(path, "w") as f:
            json.dump({"label": args.label, "root": args.root, "algorithms": args.algorithms,
                       "results": results, "marginal": marginal(results)}, f, indent=2)

    print(table(results))
    for m in marginal(results):
        print("first run, %d -> %d nodes: %+.0f s per added node" % (m["from"], m["to"], m["per_node_s"]))
    print("JSON: %s" % path)

    bad = [r for r in results if "error" in r or r.get("second", {}).get("changed", 1) != 0]
    for r in results:
        if r.get("second", {}).get("changed", 0) != 0:
            print("n=%d: the second run changed %d (must be 0): %s" % (
                r["nodes"], r["second"]["changed"],
                ", ".join("%s=%d" % (h, c["changed"]) for h, c in r["second"]["hosts"].items() if c["changed"])))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
