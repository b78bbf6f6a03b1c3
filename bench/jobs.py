#!/usr/bin/env python3
"""Jobs benchmark: a stream of FATE toy jobs through the party's Nginx while faults hit the party.

Brings up the lab party (lab `job`: lab/topologies/site.yml, inventories/lab/group_vars, site.yml
with FATE's algorithms), and for each behaviour and case sends a toy job every --every seconds
through Nginx (lab/job_stream.py), follows every job to its outcome, and injects one fault:

  rolling  playbooks/rolling_restart.yml --tags fateflow (every Flow node, one at a time)
  link     the link of the node running the jobs' tasks down for --link-seconds, then up; jobs go
           on being submitted for 8 x --every seconds after the link is back
  kill     SIGKILL to that node's FATE Flow server and its task processes (supervisord starts
           the server again, as deployed)
  zk       SIGKILL to the ZooKeeper leader (supervisord starts it again)

Behaviours: `previous` is the collection before jobs were kept alive (site.yml with
fateflow_ha_self_healing=false: FATE Flow's own server, and fateflow_ha_drain_timeout=1: a restart
waits for nothing but Nginx's requests); `new` is the collection's defaults. site.yml is applied
with the behaviour's settings before its cases.

Prints a table per case and behaviour: jobs submitted, success, failed, stuck (not ended 10 min
after submission), rerun by the recovery, and for the link case the seconds from the link's return
until the node was registered again. Writes OUT/jobs.json (everything, every job's status changes)
and OUT/jobs.png (each job as a bar from submission to outcome, coloured by outcome, the fault
marked). OUT defaults to .lab/job/bench/. The lab is taken down at the end unless --keep-lab.

    .venv/bin/pip install -r requirements/bench.txt     # matplotlib, for the PNG
    .venv/bin/python bench/jobs.py [--behaviours previous new] [--cases rolling link kill zk]
        [--every 15] [--lab job] [--reuse] [--keep-lab] [--out DIR]
"""

import argparse
import datetime
import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lab_party import (  # noqa: E402
    FLOW_GRPC_PORT, FLOW_HTTP_PORT, FLOW_PROGRAM, ROOT, ZK_PORT, ZK_PROGRAM,
    Lab, RegistryWatch, flow_api, log, registration_timeline, srvr)

JOB_STREAM = os.path.join(ROOT, "lab", "job_stream.py")
LAB = "job"
CASES = ("rolling", "link", "kill", "zk")
BEHAVIOURS = {
    "previous": ["-e", "fateflow_ha_self_healing=false", "-e", "fateflow_ha_drain_timeout=1"],
    "new": [],
}
JOB_TIMEOUT = 600


class Bench:
    def __init__(self, args, lab, watch):
        self.args = args
        self.lab = lab
        self.watch = watch
        self.flows = lab.groups["fateflow"]
        self.nginx = "http://%s:%d" % (lab.address[lab.groups["nginx"][0]], lab.nginx_http_port)
        self.endpoints = {h: "%s:%d" % (lab.address[h], FLOW_GRPC_PORT) for h in self.flows}
        self.extra = []

    def apply(self, behaviour):
        self.extra = BEHAVIOURS[behaviour]
        self.lab.step("site-" + behaviour, self.lab.playbook_cmd("playbooks/site.yml", *self.extra))

    def problems(self):
        found = []
        modes = [srvr(self.lab.address[h]).get("Mode") for h in self.lab.groups["zookeeper"]]
        if sorted(modes, key=str) != sorted(["leader"] + ["follower"] * (len(modes) - 1), key=str):
            found.append("ZooKeeper modes %s" % modes)
        registered = self.watch.latest() or {}
        for host in self.flows:
            body = flow_api("http://%s:%d/v2/server/fateflow" % (self.lab.address[host], FLOW_HTTP_PORT))
            if not body or body.get("code") != 0:
                found.append("%s not healthy" % host)
            if self.endpoints[host] not in registered:
                found.append("%s not registered" % host)
        return found

    def wait_healthy(self, timeout=300):
        deadline = time.monotonic() + timeout
        while self.problems():
            if time.monotonic() > deadline:
                raise SystemExit("the party is not healthy after %d s: %s" % (timeout, "; ".join(self.problems())))
            time.sleep(2)

    def running_tasks(self):
        body = flow_api(self.nginx + "/v2/job/task/query?status=running", timeout=10) or {}
        return [t for t in body.get("data") or [] if isinstance(t, dict)]

    def busy_node(self):
        """The Flow node running most tasks now (the first node when none runs any)."""
        by_ip = {self.lab.address[h]: h for h in self.flows}
        counts = {}
        for task in self.running_tasks():
            host = by_ip.get(task.get("run_ip"))
            if host:
                counts[host] = counts.get(host, 0) + 1
        return max(counts, key=counts.get) if counts else self.flows[-1]

    def wait_for_a_running_task(self, timeout=90):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not self.running_tasks():
            time.sleep(1)

    # ---- faults: each returns (fault time, restore time or None, description) ---------------
    def fault_rolling(self):
        fault = time.time()
        self.lab.step("rolling_restart", self.lab.playbook_cmd("playbooks/rolling_restart.yml", "--tags", "fateflow",
                                                               *self.extra))
        restore = time.time()
        return fault, restore, "rolling_restart.yml --tags fateflow: every Flow node, %.0f s" % (restore - fault)

    def fault_link(self):
        self.wait_for_a_running_task()
        node = self.busy_node()
        fault = time.time()
        self.lab.link(node, "down")
        try:
            time.sleep(self.args.link_seconds)
        finally:
            self.lab.link(node, "up")
        restore = time.time()
        return fault, restore, "%s's link down for %.0f s, then up" % (node, restore - fault)

    def fault_kill(self):
        self.wait_for_a_running_task()
        node = self.busy_node()
        address = self.lab.address[node]
        # Lab hosts share the machine's process table: only this node's processes, by pid.
        pids = [self.lab.program_pid(node, FLOW_PROGRAM)]
        pids += [int(t["run_pid"]) for t in self.running_tasks()
                 if t.get("run_ip") == address and str(t.get("run_pid") or "").isdigit()]
        fault = time.time()
        self.lab.run(node, "kill", "-KILL", *[str(p) for p in pids], check=False)
        return fault, None, "SIGKILL to FATE Flow and %d task process(es) on %s" % (len(pids) - 1, node)

    def fault_zk(self):
        leaders = [h for h in self.lab.groups["zookeeper"] if srvr(self.lab.address[h]).get("Mode") == "leader"]
        if len(leaders) != 1:
            raise RuntimeError("no single ZooKeeper leader: %s" % leaders)
        pid = self.lab.program_pid(leaders[0], ZK_PROGRAM)
        fault = time.time()
        self.lab.run(leaders[0], "kill", "-KILL", str(pid))
        return fault, None, "SIGKILL to the ZooKeeper leader %s" % leaders[0]

    # ---- one case ------------------------------------------------------------------------------
    def run_case(self, behaviour, case):
        self.wait_healthy()
        every = self.args.every
        # rolling: as long as the restart; link: the loss, then 8 jobs after the link is back.
        seconds = {"rolling": 1800, "link": self.args.fault_at + self.args.link_seconds + 8 * every}.get(
            case, self.args.fault_at + 8 * every)
        path = os.path.join(self.args.out, "streams", "%s-%s.json" % (behaviour, case))
        stderr = open(os.path.join(self.args.out, "logs", "stream-%s-%s.log" % (behaviour, case)), "w", encoding="utf-8")
        cmd = [sys.executable, JOB_STREAM, "--url", self.nginx, "--every", str(every), "--seconds", str(seconds),
               "--job-timeout", str(JOB_TIMEOUT), "--json", path]
        log("%s/%s: a toy job every %g s through Nginx, fault after %g s" % (behaviour, case, every, self.args.fault_at))
        stream = subprocess.Popen(cmd, stderr=stderr)
        started = time.time()
        try:
            time.sleep(self.args.fault_at)
            fault, restore, detail = getattr(self, "fault_" + case)()
            log("%s/%s: %s" % (behaviour, case, detail))
            if case == "rolling":
                time.sleep(every)
                stream.send_signal(signal.SIGTERM)
            stream.wait(timeout=seconds + JOB_TIMEOUT + 120)
        finally:
            if stream.poll() is None:
                stream.kill()
            stderr.close()
        report = json.load(open(path, encoding="utf-8"))
        result = {
            "fault": detail,
            "fault_at": round(fault - started, 1),
            "restore_at": round(restore - started, 1) if restore else None,
            "registration": registration_timeline(self.watch.between(started - 5, time.time()), fault, self.endpoints),
            "host_load_average": round(os.getloadavg()[0], 1),
        }
        for key in ("submitted", "success", "failed", "stuck", "canceled", "submit_failed", "reruns", "jobs"):
            result[key] = report[key]
        if restore:
            # For the link case: from the link's return until the node's registration was back.
            back = [v.get("back_after") for v in result["registration"].values() if isinstance(v.get("back_after"), float)]
            result["registered_after_restore"] = round(max(back) - (restore - fault), 1) if back else None
        log("%s/%s: %d jobs, %d success, %d failed, %d stuck, %d rerun" % (
            behaviour, case, result["submitted"], result["success"], result["failed"], result["stuck"], result["reruns"]))
        return result


def print_table(results):
    print("%-9s %-8s %9s %8s %7s %6s %6s %9s  %s" % ("BEHAVIOUR", "CASE", "SUBMITTED", "SUCCESS", "FAILED", "STUCK",
                                                   "RERUN", "REG.BACK", "FAULT"))
    for behaviour, cases in results.items():
        for case, r in cases.items():
            back = r.get("registered_after_restore")
            print("%-9s %-8s %9d %8d %7d %6d %6d %9s  %s" % (
                behaviour, case, r["submitted"], r["success"], r["failed"], r["stuck"], r["reruns"],
                "-" if back is None else "%.1f s" % back, r["fault"]))


def plot(results, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        log("no matplotlib: no PNG (pip install -r requirements/bench.txt)")
        return None
    behaviours = list(results)
    cases = [c for c in CASES if any(c in results[b] for b in behaviours)]
    fig, axes = plt.subplots(len(cases), len(behaviours), figsize=(7 * len(behaviours), 2.6 * len(cases)),
                             squeeze=False)
    colours = {"success": "tab:green", "failed": "tab:red", "timeout": "tab:red", "stuck": "tab:orange",
               "canceled": "tab:gray"}
    for col, behaviour in enumerate(behaviours):
        for row, case in enumerate(cases):
            ax = axes[row][col]
            r = results[behaviour].get(case)
            ax.set_title("%s: %s" % (behaviour, case), fontsize=9)
            if not r:
                continue
            for i, job in enumerate(r["jobs"]):
                end = job["submitted"] + (job["seconds"] or 0)
                ax.plot([job["submitted"], end], [i, i], color=colours.get(job["outcome"], "black"), linewidth=3)
                reruns = [c[0] for c in job["changes"][:-1] if c[1] in ("failed", "timeout")]
                ax.plot(reruns, [i] * len(reruns), "x", color="tab:red")
            ax.axvline(r["fault_at"], color="black", linestyle="--", linewidth=1)
            if r.get("restore_at"):
                ax.axvline(r["restore_at"], color="black", linestyle=":", linewidth=1)
            ax.set_xlabel("s (job from submission to outcome; green success, red failed, orange stuck, x failed then rerun)",
                          fontsize=7)
            ax.set_ylabel("job")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    return path


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--behaviours", nargs="+", choices=list(BEHAVIOURS), default=list(BEHAVIOURS))
    parser.add_argument("--cases", nargs="+", choices=CASES, default=list(CASES))
    parser.add_argument("--every", type=float, default=15.0, help="seconds between two jobs (min 5)")
    parser.add_argument("--fault-at", type=float, default=20.0, help="seconds into the stream")
    parser.add_argument("--link-seconds", type=float, default=60.0, help="link case: how long the link is down")
    parser.add_argument("--lab", default=LAB, help="lab name (its inventory in .lab/LAB/inventory)")
    parser.add_argument("--out", help="default: .lab/LAB/bench")
    parser.add_argument("--reuse", action="store_true", help="use the lab as it is (up, site applied)")
    parser.add_argument("--keep-lab", action="store_true", help="leave the lab up at the end")
    parser.add_argument("--applied", action="store_true",
                        help="with --reuse and one behaviour: the lab already runs it (no site.yml run first)")
    args = parser.parse_args()
    args.out = args.out or os.path.join(ROOT, ".lab", args.lab, "bench")
    if args.every < 5 or not 0 < args.fault_at <= 120 or not 10 <= args.link_seconds <= 300:
        parser.error("--every at least 5, --fault-at 0-120, --link-seconds 10-300")
    if args.applied and not (args.reuse and len(args.behaviours) == 1):
        parser.error("--applied needs --reuse and one behaviour")
    for sub in ("streams", "logs"):
        os.makedirs(os.path.join(args.out, sub), exist_ok=True)
    lab = Lab(args.lab, os.path.join(args.out, "logs"), algorithms=True)
    if args.reuse:
        if not lab.is_up():
            raise SystemExit("lab %s is not up: run without --reuse" % args.lab)
    else:
        log("bringing up lab %s (site.yml with FATE's algorithms: about 10 min)" % args.lab)
        lab.up()
    lab.load_inventory()
    watch = RegistryWatch(["%s:%d" % (lab.address[h], ZK_PORT) for h in lab.groups["zookeeper"]], lab.zk_auth)
    results = {}
    try:
        watch.start()
        bench = Bench(args, lab, watch)
        for behaviour in args.behaviours:
            if not args.applied:
                bench.apply(behaviour)
            results[behaviour] = {}
            for case in [c for c in CASES if c in args.cases]:
                results[behaviour][case] = bench.run_case(behaviour, case)
    finally:
        watch.stop()
        document = {"started": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                    "every": args.every, "link_seconds": args.link_seconds, "results": results}
        json_path = os.path.join(args.out, "jobs.json")
        with open(json_path, "w", encoding="utf-8") as out:
            json.dump(document, out)
        if not args.keep_lab:
            log("taking lab %s down" % args.lab)
            lab.down()
    print()
    print_table(results)
    png = plot(results, os.path.join(args.out, "jobs.png"))
    print("\nJSON: %s%s" % (json_path, "\nPNG: %s" % png if png else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
