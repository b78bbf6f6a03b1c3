#!/usr/bin/env python3
"""Failover benchmark: the party's FATE Flow API under steady load while faults hit the party.

Brings up the lab party (lab `fob`: lab/topologies/site.yml, inventories/lab/group_vars, the
site without FATE's algorithms), starts a second nginx on the lb host with the seed's sample
configuration (bench/seed_nginx.conf, ports 19998/19999), and for each case sends the same
steady load (lab/flow_load.py, GET /v2/provider/query: a read through Flow's database, open loop) through the role's Nginx
(lb:9998) and through the seed's (lb:19998) at once, while one fault hits the party:

  kill     SIGKILL to the FATE Flow server on flow2 (supervisord starts it again, as deployed)
  link     flow2's link taken down (packets to it are dropped) until the load ends, then up
  rolling  playbooks/rolling_restart.yml --tags fateflow (every Flow node, one at a time); the
           load runs for as long as the restart takes
  zk       SIGKILL to the ZooKeeper leader (supervisord starts it again, as deployed)

The balancer cases (a party with a virtual IP, party_nginx_vip, on two Nginx hosts) send the same
load through the virtual IP ("vip") and, as clients did before there was one, through the first
Nginx host's own address ("first"), while the host that holds the virtual IP (the master) fails:

  nginx-kill     SIGKILL to the master's Nginx, master process and workers (supervisord starts it again)
  nginx-link     the master's link taken down until the load ends, then up
  nginx-rolling  playbooks/rolling_restart.yml --tags nginx (the virtual IP moved off each host first)

nginx-rolling also sends slow requests through the virtual IP ("vip-slow": one every 0.5 s, headers
sent over 2 s), so that a few are in flight whenever the address moves: a move that cuts the
requests in flight on the old holder fails them.

In nginx-kill and nginx-link a toy job is submitted through the virtual IP when the load starts
(running when the fault hits) and another as soon as the virtual IP answers again; both must
succeed. keepalived's state changes (run/transitions.log on each Nginx host) give the takeover time.

ZooKeeper's registry (/FATE-COMPONENTS/fate-flow) is polled every 0.2 s during each case. After
each case the party is restored and must be healthy again (every ZooKeeper member serving, both
Flow nodes healthy and registered, both nginx answering), and the seed's fail_timeout (60 s) must
have passed since the fault ended, so that each case starts from the same state.

Prints a side-by-side table; writes OUT/failover.json (every case, both configurations),
OUT/failover.png (latency and failures over time, fault marked) and OUT/loads/*.json (every
request). OUT defaults to .lab/fob/bench/. The lab is taken down at the end unless --keep-lab.

    .venv/bin/pip install -r requirements/bench.txt     # matplotlib, for the PNG
    .venv/bin/python bench/failover.py [--cases kill link rolling zk nginx-kill nginx-link nginx-rolling]
        [--rate 20] [--seconds 60] [--rounds 1] [--root CHECKOUT] [--reuse] [--keep-lab] [--lab NAME] [--out DIR]

--rounds N runs a rolling case's restart N times in a row under one load (the Nginx round moves the
virtual IP once each time); --root CHECKOUT runs the playbooks of another checkout of the collection
(one with its .cache/collections link), e.g. main's, on the same lab: its behaviour, for a comparison.
"""

import argparse
import datetime
import json
import math
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lab_party import (  # noqa: E402
    FLOW_GRPC_PORT, FLOW_HTTP_PORT, FLOW_PROGRAM, ROOT, SUPERVISORD_CONF, ZK_PORT, ZK_PROGRAM,
    Lab, RegistryWatch, flow_api, log, registration_timeline, srvr)

FLOW_LOAD = os.path.join(ROOT, "lab", "flow_load.py")
SEED_CONF = os.path.join(ROOT, "bench", "seed_nginx.conf")
LAB = "fob"
LAB_DIR = os.path.join(ROOT, ".lab", LAB)

CASES = ("kill", "link", "rolling", "zk", "nginx-kill", "nginx-link", "nginx-rolling")
CONFIGS = ("ours", "seed")
# ---- The balancer cases (a virtual IP on two Nginx hosts) ----
BALANCER_CASES = ("nginx-kill", "nginx-link", "nginx-rolling")
BALANCER_CONFIGS = ("vip", "first")
NGINX_PROGRAM = "fate-nginx"
KEEPALIVED_RUN_DIR = "/data/projects/common/keepalived/run"
TOY_END_STATES = ("success", "failed", "canceled", "timeout")


# The planned move's case also sends slow requests through the virtual IP: each one's headers take
# SLOW_SEND seconds to arrive, so that a few are always in flight when the address moves.
SLOW_CONFIG = "vip-slow"
SLOW_EVERY = 0.5
SLOW_SEND = 2.0


def configs_of(case):
    """The loads of a case: the role's Nginx and the seed's, or the virtual IP and the first host (and the
    slow requests through the virtual IP, in nginx-rolling)."""
    if case == "nginx-rolling":
        return BALANCER_CONFIGS + (SLOW_CONFIG,)
    return BALANCER_CONFIGS if case in BALANCER_CASES else CONFIGS


class SlowRequests(threading.Thread):
    """Requests whose headers arrive over SLOW_SEND seconds (as a large upload on a slow link does), one
    every SLOW_EVERY seconds on a fresh connection, each counted as failed on anything but HTTP 200 with
    code 0. Behaves as a load process (send_signal, wait, kill) and writes flow_load's report."""

    def __init__(self, host, port, path, json_path, timeout=90.0):
        super().__init__(daemon=True)
        self.host, self.port, self.path, self.json_path, self.timeout = host, port, path, json_path, timeout
        self.halt = threading.Event()
        self.records = []
        self.lock = threading.Lock()

    def one(self, due, start):
        chunks = 20
        try:
            with socket.create_connection((self.host, self.port), timeout=self.timeout) as conn:
                # HTTP/1.0: an answer without chunks, ended by the close.
                conn.sendall(("GET %s HTTP/1.0\r\nHost: %s\r\nX-Slow: " % (self.path, self.host)).encode())
                for _ in range(chunks):
                    time.sleep(SLOW_SEND / chunks)
                    conn.sendall(b"s")
                conn.sendall(b"\r\nConnection: close\r\n\r\n")
                data = b""
                while True:
                    part = conn.recv(65536)
                    if not part:
                        break
                    data += part
            head, _, body = data.partition(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/") else 0
            if status != 200:
                outcome = "HTTP %d" % status if status else "no HTTP answer"
            else:
                code = json.loads(body).get("code")
                outcome = code if code is not None else "no code in body"
        except (OSError, ValueError, IndexError) as exc:
            status, outcome = 0, "%s: %s" % (type(exc).__name__, exc)
        with self.lock:
            self.records.append([round(due, 4), round(time.monotonic() - (start + due), 4), status, outcome])

    def run(self):
        start, started_at = time.monotonic(), time.time()
        workers, number = [], 0
        while not self.halt.is_set():
            due = number * SLOW_EVERY
            if self.halt.wait(max(0.0, start + due - time.monotonic())):
                break
            worker = threading.Thread(target=self.one, args=(due, start), daemon=True)
            worker.start()
            workers.append(worker)
            number += 1
        for worker in workers:
            worker.join(self.timeout + 5)
        records = sorted(self.records)
        latencies = sorted(r[1] for r in records)
        failures = [r for r in records if r[3] != 0]
        report = {
            "url": "http://%s:%d%s" % (self.host, self.port, self.path), "rate": 1 / SLOW_EVERY,
            "started_at": started_at, "duration": round(time.monotonic() - start, 3), "stopped_by": "signal",
            "sent": len(records), "failed": len(failures),
            "p50": latencies[len(latencies) // 2] if latencies else None,
            "p99": latencies[min(len(latencies) - 1, int(round(0.99 * (len(latencies) - 1))))] if latencies else None,
            "max": latencies[-1] if latencies else None, "first_failures": failures[:20], "records": records,
        }
        with open(self.json_path, "w", encoding="utf-8") as out:
            json.dump(report, out)

    def send_signal(self, _signal):
        self.halt.set()

    def wait(self, timeout=None):
        self.join(timeout)

    def kill(self):
        self.halt.set()
# ---- end of the balancer cases' settings ----
# The seed's nginx: its own ports, and a directory on the lb host for its pid, logs and temp files.
SEED_HTTP_PORT = 19998
SEED_GRPC_PORT = 19999
SEED_STATE_DIR = "/var/lib/nginx/seedbench"
# The seed's fail_timeout: a node it marked failed stays out this long.
SEED_FAIL_TIMEOUT = 60


class ToyJob(threading.Thread):
    """The seed's toy job (`flow test toy`) through FATE Flow 2.x's HTTP API, as playbooks/tasks/toy_job.yml
    submits it: started once `after` returns (at once without it), followed until it ends."""

    def __init__(self, api, party_id, label, after=None, guest_party_id="9999", timeout=300):
        # party_id: the party whose FATE Flow api reaches (the toy's host, 10000 in the seed); its
        # record of the job is followed. The guest is the other party of the toy.
        super().__init__(daemon=True)
        self.api, self.party_id, self.label, self.after = api, party_id, label, after
        self.guest_party_id, self.timeout = guest_party_id, timeout
        self.outcome = {"label": label, "job_id": None, "status": "not submitted", "seconds": None}

    def call(self, path, body=None):
        request = urllib.request.Request(self.api + path, method="POST" if body is not None else "GET",
                                         data=json.dumps(body).encode() if body is not None else None,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as resp:
            return json.loads(resp.read() or b"{}")

    def run(self):
        if self.after:
            self.after()
        started = self.outcome["submitted_at"] = time.time()
        dag = {"dag_schema": {"schema_version": "2.0.0.alpha", "dag": {
            "stage": "default",
            "parties": [{"role": "guest", "party_id": [self.guest_party_id]}, {"role": "host", "party_id": [self.party_id]}],
            "tasks": {"toy_example_0": {"component_ref": "toy_example", "parameters": {"data_num": 1024, "partition": 4}}}}}}
        # Nginx never resends a POST a dying server dropped (502): retried, as an HA client should.
        for attempt in range(5):
            try:
                answer = self.call("/v2/job/submit", dag)
                break
            except OSError as exc:
                self.outcome["status"] = "submit failed: %s" % exc
                time.sleep(2)
        else:
            return
        self.outcome["job_id"] = answer.get("job_id")
        if answer.get("code") != 0 or not answer.get("job_id"):
            self.outcome["status"] = "submit refused: %s" % answer.get("message")
            return
        while time.time() - started < self.timeout:
            time.sleep(2)
            try:
                data = self.call("/v2/job/query?job_id=%s&party_id=%s" % (answer["job_id"], self.party_id)).get("data") or []
            except OSError:
                continue
            states = sorted({row.get("status") for row in data})
            self.outcome["status"] = ",".join(str(state) for state in states)
            if data and set(states) <= set(TOY_END_STATES):
                break
        self.outcome["seconds"] = round(time.time() - started, 1)

    def finish(self):
        self.join(timeout=self.timeout + 120)
        return dict(self.outcome)



class SeedNginx:
    """A second nginx master on the lb host, running the seed's sample configuration."""

    def __init__(self, lab):
        self.lab = lab
        self.host = lab.groups["nginx"][0]
        self.conf = SEED_STATE_DIR + "/nginx.conf"

    def render(self):
        flows = self.lab.groups["fateflow"]
        if len(flows) != 2:
            raise SystemExit("the seed's sample has two Flow servers; the lab has %d" % len(flows))
        values = {
            "<flow_server_ip1>": self.lab.address[flows[0]],
            "<flow_server_ip2>": self.lab.address[flows[1]],
            "<flow_http_port>": str(FLOW_HTTP_PORT),
            "<flow_grpc_port>": str(FLOW_GRPC_PORT),
            "<nginx_server_ip>": self.lab.address[self.host],
            "<nginx_http_port>": str(SEED_HTTP_PORT),
            "<nginx_grpc_port>": str(SEED_GRPC_PORT),
            "<state_dir>": SEED_STATE_DIR,
        }
        text = open(SEED_CONF, encoding="utf-8").read()
        for key, value in values.items():
            text = text.replace(key, value)
        return text

    def start(self):
        self.stop()
        self.lab.run(self.host, "mkdir", "-p", SEED_STATE_DIR)
        self.lab.run(self.host, "sh", "-c", "cat > %s" % self.conf, stdin=self.render())
        self.lab.run(self.host, "nginx", "-t", "-q", "-c", self.conf)
        self.lab.run(self.host, "nginx", "-c", self.conf)
        log("seed's nginx: http://%s:%d (config %s on %s)" % (
            self.lab.address[self.host], SEED_HTTP_PORT, self.conf, self.host))

    def stop(self):
        self.lab.run(self.host, "sh", "-c", "test ! -f %s/nginx.pid || nginx -c %s -s stop" % (
            SEED_STATE_DIR, self.conf), check=False)


class Bench:
    def __init__(self, args, lab, watch, out):
        self.args = args
        self.lab = lab
        self.watch = watch
        self.out = out
        self.flows = lab.groups["fateflow"]
        self.node = args.node
        self.lb = lab.address[lab.groups["nginx"][0]]
        self.urls = {
            "ours": "http://%s:%d%s" % (self.lb, lab.nginx_http_port, args.path),
            "seed": "http://%s:%d%s" % (self.lb, SEED_HTTP_PORT, args.path),
        }
        self.nginx_hosts = lab.groups["nginx"]
        if lab.vip:
            self.urls["vip"] = "http://%s:%d%s" % (lab.vip, lab.nginx_http_port, args.path)
            self.urls["first"] = self.urls["ours"]
        self.endpoints = {h: "%s:%d" % (lab.address[h], FLOW_GRPC_PORT) for h in self.flows}

    # ---- health --------------------------------------------------------------------------
    def problems(self):
        """What keeps the party from being healthy now (empty: healthy)."""
        found = []
        modes = [srvr(self.lab.address[h]).get("Mode") for h in self.lab.groups["zookeeper"]]
        if sorted(modes, key=str) != sorted(["leader"] + ["follower"] * (len(modes) - 1), key=str):
            found.append("ZooKeeper modes %s" % modes)
        wanted = {"flow-%s-%d" % (self.lab.address[h], FLOW_HTTP_PORT) for h in self.flows}
        for host in self.flows:
            body = flow_api("http://%s:%d/v2/server/fateflow" % (self.lab.address[host], FLOW_HTTP_PORT))
            if not body or body.get("code") != 0 or not wanted <= set(body.get("data") or {}):
                found.append("%s not healthy (%s)" % (host, (body or {}).get("message", "no answer")))
        registered = self.watch.latest() or {}
        missing = [h for h, e in self.endpoints.items() if e not in registered]
        if missing:
            found.append("not registered: %s" % ", ".join(missing))
        for config, url in self.urls.items():
            body = flow_api(url)
            if not body or body.get("code") != 0:
                found.append("%s nginx does not answer" % config)
        if self.lab.vip:
            states = self.vrrp_states()
            if sorted(states.values()) != sorted(["MASTER"] + ["BACKUP"] * (len(states) - 1)):
                found.append("keepalived states %s" % states)
        return found

    # ---- the balancer cases: keepalived, the virtual IP, toy jobs ------------------------------
    def vrrp_states(self):
        return {h: self.lab.run(h, "cat", KEEPALIVED_RUN_DIR + "/state", check=False).strip() or "none"
                for h in self.nginx_hosts}

    def vip_holder(self):
        holders = [h for h in self.nginx_hosts
                   if self.lab.run(h, "ip", "-o", "-4", "addr", "show", "to", self.lab.vip + "/32").strip()]
        if len(holders) != 1:
            raise RuntimeError("the virtual IP %s is held by %s, not by one host" % (self.lab.vip, holders or "no host"))
        return holders[0]

    def transitions(self, since):
        """keepalived's state changes on each Nginx host after `since`, as (seconds after it, host, state)."""
        found = []
        for host in self.nginx_hosts:
            for line in self.lab.run(host, "cat", KEEPALIVED_RUN_DIR + "/transitions.log", check=False).splitlines():
                parts = line.split()
                if len(parts) != 3:
                    continue
                when = datetime.datetime.strptime(parts[0], "%Y-%m-%dT%H:%M:%S.%fZ").replace(
                    tzinfo=datetime.timezone.utc).timestamp()
                if when >= since:
                    found.append((round(when - since, 2), host, parts[2]))
        return sorted(found)

    def toy_job(self, label, after=None):
        """A toy job through the virtual IP, started now (or once `after` returns) and followed in a thread."""
        job = ToyJob("http://%s:%d" % (self.lab.vip, self.lab.nginx_http_port), self.lab.party_id, label, after,
                     guest_party_id=self.lab.guest_party_id)
        job.start()
        return job

    def vip_answers_again(self):
        """Returns once FATE Flow answers through the virtual IP (polled every 0.1 s)."""
        url = "http://%s:%d/v2/server/fateflow" % (self.lab.vip, self.lab.nginx_http_port)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            body = flow_api(url, timeout=1.0)
            if body and body.get("code") == 0:
                return
            time.sleep(0.1)

    def fault_nginx_kill(self, load_end):
        master = self.vip_holder()
        pid = self.lab.program_pid(master, NGINX_PROGRAM)
        workers = self.lab.run(master, "ps", "-o", "pid=", "--ppid", str(pid)).split()
        fault = time.time()
        self.lab.run(master, "kill", "-KILL", str(pid), *workers)
        self.after_fault_job = self.toy_job("submitted when the VIP answers again", self.vip_answers_again)
        return fault, None, "SIGKILL to Nginx on the master %s (master pid %d and %d workers); supervisord starts it" % (
            master, pid, len(workers))

    def fault_nginx_link(self, load_end):
        master = self.vip_holder()
        fault = time.time()
        self.lab.link(master, "down")
        try:
            self.after_fault_job = self.toy_job("submitted when the VIP answers again", self.vip_answers_again)
            time.sleep(max(0.0, load_end - time.time()))
        finally:
            self.lab.link(master, "up")
        restore = time.time()
        return fault, restore, "the master %s's link down for %.0f s (packets dropped), then up" % (master, restore - fault)

    def fault_nginx_rolling(self, load_end):
        fault = time.time()
        moves = self.rolling_rounds("rolling_restart_nginx", "nginx")
        restore = time.time()
        return fault, restore, "rolling_restart.yml --tags nginx: both Nginx hosts, %s, %.0f s in all%s" % (
            self.rounds_said(), restore - fault, self.behaviour_said()) + (
            "; the virtual IP moved at %s s" % moves if moves else "")

    def rolling_rounds(self, name, tags):
        """The rolling restart --rounds times in a row, the party healthy again between two; for the
        balancer, the seconds after the first round's start at which the virtual IP changed hands."""
        first = time.time()
        moves = []
        for number in range(1, self.args.rounds + 1):
            if number > 1:
                self.wait_healthy()
            holder = self.vip_holder() if tags == "nginx" else None
            start = time.time()
            step = name if self.args.rounds == 1 else "%s-%d" % (name, number)
            self.lab.step(step, self.lab.playbook_cmd("playbooks/rolling_restart.yml", "--tags", tags))
            if holder is not None:
                left = [when for when, host, state in self.transitions(start) if host == holder and state != "MASTER"]
                if left:
                    moves.append(round(start - first + left[0], 1))
        return moves

    def rounds_said(self):
        return "once" if self.args.rounds == 1 else "%d times in a row" % self.args.rounds

    def behaviour_said(self):
        return "" if self.lab.root == ROOT else " (the playbooks of %s)" % self.lab.root
    # ---- end of the balancer cases ----

    def wait_healthy(self, timeout=300):
        deadline = time.monotonic() + timeout
        while True:
            found = self.problems()
            if not found:
                return
            if time.monotonic() > deadline:
                raise SystemExit("the party is not healthy after %d s: %s" % (timeout, "; ".join(found)))
            time.sleep(2)

    # ---- faults --------------------------------------------------------------------------
    def fault_kill(self, load_end):
        pid = self.lab.program_pid(self.node, FLOW_PROGRAM)
        fault = time.time()
        self.lab.run(self.node, "kill", "-KILL", str(pid))
        return fault, None, "SIGKILL to FATE Flow (pid %d) on %s; supervisord starts it again" % (pid, self.node)

    def fault_link(self, load_end):
        fault = time.time()
        self.lab.link(self.node, "down")
        try:
            time.sleep(max(0.0, load_end - time.time()))
        finally:
            self.lab.link(self.node, "up")
        restore = time.time()
        detail = "%s's link down for %.0f s (packets dropped), then up" % (self.node, restore - fault)
        # A Flow server whose ZooKeeper session expired while it was cut off serves again, but
        # never registers again: restart it, as an operator would, or the party stays degraded.
        endpoint = self.endpoints[self.node]
        deadline = time.time() + self.args.reregister_wait
        while time.time() < deadline and endpoint not in (self.watch.latest() or {}):
            time.sleep(0.5)
        if endpoint not in (self.watch.latest() or {}):
            self.lab.run(self.node, "supervisorctl", "-c", SUPERVISORD_CONF, "restart", FLOW_PROGRAM)
            detail += ("; %s had not registered again %.0f s after its link came back (its ZooKeeper session "
                       "expired while cut off): FATE Flow restarted on it" % (self.node, self.args.reregister_wait))
        return fault, restore, detail

    def fault_rolling(self, load_end):
        fault = time.time()
        self.rolling_rounds("rolling_restart", "fateflow")
        restore = time.time()
        return fault, restore, "rolling_restart.yml --tags fateflow: every Flow node, %s, %.0f s in all%s" % (
            self.rounds_said(), restore - fault, self.behaviour_said())

    def fault_zk(self, load_end):
        leaders = [h for h in self.lab.groups["zookeeper"] if srvr(self.lab.address[h]).get("Mode") == "leader"]
        if len(leaders) != 1:
            raise RuntimeError("no single ZooKeeper leader: %s" % leaders)
        pid = self.lab.program_pid(leaders[0], ZK_PROGRAM)
        fault = time.time()
        self.lab.run(leaders[0], "kill", "-KILL", str(pid))
        return fault, None, "SIGKILL to the ZooKeeper leader %s (pid %d); supervisord starts it again" % (
            leaders[0], pid)

    # ---- one case --------------------------------------------------------------------------
    def start_loads(self, case, seconds):
        procs = {}
        for config in configs_of(case):
            path = os.path.join(self.out, "loads", "%s-%s.json" % (case, config))
            stderr = open(os.path.join(self.out, "logs", "load-%s-%s.log" % (case, config)), "w", encoding="utf-8")
            if config == SLOW_CONFIG:
                procs[config] = (SlowRequests(self.lab.vip, self.lab.nginx_http_port, self.args.path, path), path, stderr)
                procs[config][0].start()
                continue
            cmd = [sys.executable, FLOW_LOAD, "--url", self.urls[config], "--rate", str(self.args.rate),
                   "--seconds", str(seconds), "--workers", str(self.workers()), "--timeout", "90", "--json", path]
            procs[config] = (subprocess.Popen(cmd, stderr=stderr), path, stderr)
        return procs

    def workers(self):
        # Enough for every request of a minute-long stall to be in flight at once: the client
        # never queues, so latency is nginx's and the Flow nodes', not the load generator's.
        return int(math.ceil(self.args.rate * (SEED_FAIL_TIMEOUT + 5))) + 16

    def run_case(self, case):
        self.wait_healthy()
        open_ended = case in ("rolling", "nginx-rolling")
        # A rolling restart lasts as long as it lasts (15 min on a busy lab): its load is stopped
        # once it is over, and bounded by flow_load's own limit.
        seconds = 1800 if open_ended else self.args.seconds
        log("case %s: load %g req/s on each nginx, fault after %g s" % (case, self.args.rate, self.args.fault_at))
        procs = self.start_loads(case, seconds)
        started = time.time()
        load_before = os.getloadavg()[0]
        completed = False
        # A job already running when a balancer fault hits, and one submitted right after it.
        running_job = self.toy_job("running when the fault hits") if case in ("nginx-kill", "nginx-link") else None
        self.after_fault_job = None
        try:
            time.sleep(self.args.fault_at)
            fault, restore, detail = getattr(self, "fault_" + case.replace("-", "_"))(started + seconds)
            log("case %s: %s" % (case, detail))
            if open_ended:
                time.sleep(self.args.tail)
            completed = True
        finally:
            # SIGTERM ends a load early: it then waits for its requests in flight and reports.
            if open_ended or not completed:
                for proc, _, _ in procs.values():
                    proc.send_signal(signal.SIGTERM)
            for proc, _, stderr in procs.values():
                try:
                    proc.wait(timeout=seconds + 120)
                except subprocess.TimeoutExpired:
                    proc.kill()
                stderr.close()
        ended = time.time()
        # The host's load: other work on the same cores stalls both nginx paths alike.
        host_load = [round(load_before, 1), round(os.getloadavg()[0], 1)]
        log("case %s: over after %.0f s; waiting for the party to be healthy" % (case, ended - started))
        self.wait_healthy()
        healthy = time.time()
        result = {
            "fault": detail,
            "fault_at": round(fault - started, 2),
            "restore_at": round(restore - started, 2) if restore else None,
            "host_load_average": host_load,
            "healthy_checked_after_fault": round(healthy - fault, 1),
            "registration": registration_timeline(self.watch.between(started - 5, healthy), fault, self.endpoints),
        }
        for config, (proc, path, _) in procs.items():
            report = json.load(open(path, encoding="utf-8"))
            result[config] = summarize(report, fault)
        # The loads' own length (a fault may go on after them, as the link case's wait does).
        result["load_seconds"] = max(result[config]["duration"] for config in configs_of(case))
        if case in BALANCER_CASES:
            result["vrrp_transitions"] = self.transitions(fault)
            result["toy_jobs"] = [job.finish() for job in (running_job, self.after_fault_job) if job is not None]
            for job in result["toy_jobs"]:
                job["submitted_after_fault"] = round(job.pop("submitted_at", fault) - fault, 2)
            for job in result["toy_jobs"]:
                log("case %s: toy job %s: %s" % (case, job["label"], job))
        # The seed's nginx keeps a node it marked failed out for fail_timeout: let that pass, so
        # that the next case starts with both nodes in both upstreams.
        settle = (restore or fault) + SEED_FAIL_TIMEOUT + 1 - time.time()
        if settle > 0 and case != self.args.cases[-1] and case not in BALANCER_CASES:
            log("case %s: %.0f s for the seed's fail_timeout to pass" % (case, settle))
            time.sleep(settle)
        return result


def summarize(report, fault):
    """The figures of one load report, with times relative to the fault."""
    offset = fault - report["started_at"]
    records = report["records"]
    failures = [r for r in records if r[3] != 0]
    slow = [r for r in records if r[1] > 3.0]
    return {
        "url": report["url"],
        "duration": round(report["duration"], 1),
        "sent": report["sent"],
        "failed": report["failed"],
        "p50": report["p50"],
        "p99": report["p99"],
        "max": report["max"],
        "slower_than_3s": len(slow),
        # The span of the failed requests' due times (a request cut off in flight fails only at the
        # client's timeout, but it was lost when it was sent), and where it lies after the fault.
        "failure_window": round(failures[-1][0] - failures[0][0], 2) if failures else 0.0,
        "failures_due_after_fault": [round(failures[0][0] - offset, 2), round(failures[-1][0] - offset, 2)] if failures else None,
        "fault_offset": round(offset, 3),
        "first_failures": [{"due_after_fault": round(r[0] - offset, 2), "latency": r[1], "status": r[2],
                            "outcome": r[3]} for r in failures[:5]],
        "failure_kinds": count_kinds(failures),
        # (due time after the fault, latency, failed) for the plot.
        "series": [[round(r[0] - offset, 3), r[1], int(r[3] != 0)] for r in records],
    }


def count_kinds(failures):
    kinds = {}
    for record in failures:
        key = str(record[3])[:60]
        kinds[key] = kinds.get(key, 0) + 1
    return kinds


def fmt(value, unit=""):
    if value is None:
        return "-"
    if isinstance(value, float):
        return "%.3f%s" % (value, unit) if value < 10 else "%.1f%s" % (value, unit)
    return "%s%s" % (value, unit)


def print_table(results, node):
    head = "%-13s %-5s %6s %6s %7s %8s %8s %8s %7s  %s" % (
        "case", "nginx", "sent", "failed", "fail s", "p50 s", "p99 s", "max s", ">3 s",
        "registration of %s: left / back (s)" % node)
    print(head)
    print("-" * len(head))
    for case, result in results.items():
        reg = result["registration"]
        for config in configs_of(case):
            figures = result[config]
            regs = ""
            if config == configs_of(case)[0]:
                regs = "; ".join("%s %s / %s" % (h, fmt(r["left_after"]), fmt(r["back_after"])) for h, r in reg.items()
                                 if h == node or case == "rolling")
            print("%-13s %-5s %6d %6d %7s %8s %8s %8s %7d  %s" % (
                case if config == configs_of(case)[0] else "", config, figures["sent"], figures["failed"],
                fmt(figures.get("failure_window")), fmt(figures["p50"]),
                fmt(figures["p99"]), fmt(figures["max"]), figures["slower_than_3s"], regs))
    for case, result in results.items():
        print("%s: %s (fault %.1f s into the load of %.0f s; host load average %s -> %s on %d cores)" % (
            case, result["fault"], result["fault_at"], result["load_seconds"], result["host_load_average"][0],
            result["host_load_average"][1], os.cpu_count()))
        for config in configs_of(case):
            if result[config]["failure_kinds"]:
                print("  %s failures (due %s s after the fault): %s" % (
                    config, result[config].get("failures_due_after_fault"), result[config]["failure_kinds"]))
        if "vrrp_transitions" in result:
            print("  keepalived after the fault (s, host, state): %s" % result["vrrp_transitions"])
        for job in result.get("toy_jobs", []):
            print("  toy job %s: %s %s in %s s (submitted %s s after the fault)" % (
                job["label"], job["job_id"], job["status"], job["seconds"], job.get("submitted_after_fault")))


def plot(results, path):
    try:
        import matplotlib
    except ImportError:
        print("no PNG: matplotlib is missing; install it with "
              ".venv/bin/pip install -r requirements/bench.txt", file=sys.stderr)
        return None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cases = list(results)
    columns = max(len(configs_of(case)) for case in cases)
    fig, axes = plt.subplots(len(cases), columns, figsize=(7 * columns, 3.2 * len(cases)), squeeze=False, sharey=True)
    for row, case in enumerate(cases):
        result = results[case]
        for col, config in enumerate(configs_of(case)):
            ax = axes[row][col]
            series = result[config]["series"]
            ok = [(t, lat) for t, lat, failed in series if not failed]
            bad = [(t, lat) for t, lat, failed in series if failed]
            if ok:
                ax.scatter(*zip(*ok), s=3, color="tab:blue", label="answered (latency)")
            if bad:
                ax.scatter(*zip(*bad), s=18, marker="x", color="tab:red", label="failed (%d)" % len(bad))
            ax.axvline(0, color="black", linestyle="--", linewidth=1, label="fault")
            if result["restore_at"] is not None:
                ax.axvline(result["restore_at"] - result["fault_at"], color="grey", linestyle=":",
                           linewidth=1, label="fault over")
            ax.set_yscale("log")
            ax.set_ylim(1e-3, 120)
            ax.grid(True, which="major", alpha=0.3)
            ax.set_title("%s, %s nginx: %d sent, %d failed, p99 %s s, max %s s" % (
                case, config, result[config]["sent"], result[config]["failed"], fmt(result[config]["p99"]),
                fmt(result[config]["max"])), fontsize=9)
            ax.set_xlabel("request due, s after the fault")
            if col == 0:
                ax.set_ylabel("latency, s (log)")
            ax.legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def main():
    global LAB, LAB_DIR
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", nargs="+", choices=CASES, help="default: every case")
    parser.add_argument("--rate", type=float, default=20.0, help="requests a second on EACH nginx (max 150)")
    parser.add_argument("--seconds", type=float, default=60.0, help="load per case (max 60; rolling: as long as the restart)")
    parser.add_argument("--fault-at", type=float, default=5.0, help="seconds into the load")
    parser.add_argument("--tail", type=float, default=10.0, help="load after a rolling restart ends, s")
    parser.add_argument("--rounds", type=int, default=1,
                        help="rolling cases: the restart this many times in a row under one load (each Nginx round moves "
                             "the virtual IP once: more rounds, more moves measured)")
    parser.add_argument("--root", default=ROOT,
                        help="checkout whose collection runs the playbooks (default: this one); another one, e.g. "
                             "main's, measures its behaviour on the same lab for a comparison")
    # A cheap read through FATE Flow's database (the provider table). /v2/job/list/query is not
    # cheap: it saturates two lab Flow nodes at a few dozen requests a second.
    parser.add_argument("--reregister-wait", type=float, default=30.0,
                        help="link case: how long the node may take to register again before it is restarted")
    parser.add_argument("--path", default="/v2/provider/query",
                        help="Flow API path the load GETs (read-only)")
    parser.add_argument("--node", default="flow2", help="the Flow node that fails")
    parser.add_argument("--out", help="default: .lab/LAB/bench")
    parser.add_argument("--lab", default=LAB, help="the lab's name (default %s); with --reuse, a lab already up" % LAB)
    parser.add_argument("--reuse", action="store_true", help="use lab fob as it is (up, site applied)")
    parser.add_argument("--keep-lab", action="store_true", help="leave lab fob up at the end")
    args = parser.parse_args()
    LAB, LAB_DIR = args.lab, os.path.join(ROOT, ".lab", args.lab)
    args.out = args.out or os.path.join(LAB_DIR, "bench")
    if not 0 < args.rate <= 150:
        parser.error("--rate must be more than 0 and at most 150 (two loads run at once)")
    if not 1 <= args.rounds <= 10:
        parser.error("--rounds must be 1-10")
    args.root = os.path.abspath(args.root)
    if not os.path.isdir(os.path.join(args.root, ".cache", "collections", "ansible_collections", "fateflow", "ha")):
        parser.error("--root %s has no .cache/collections/ansible_collections/fateflow/ha (link it to the checkout)"
                     % args.root)
    if not 0 < args.fault_at < args.seconds <= 60:
        parser.error("--seconds must be at most 60 and more than --fault-at")
    rolling_playbook = os.path.exists(os.path.join(ROOT, "playbooks", "rolling_restart.yml"))
    if args.cases is None:
        args.cases = [c for c in CASES if c != "rolling" or rolling_playbook]
        if not rolling_playbook:
            log("case rolling left out: this checkout has no playbooks/rolling_restart.yml")
    elif "rolling" in args.cases and not rolling_playbook:
        parser.error("case rolling needs playbooks/rolling_restart.yml, which this checkout lacks")
    args.cases_given = args.cases is not None
    args.cases = [c for c in CASES if c in args.cases]

    for sub in ("loads", "logs"):
        os.makedirs(os.path.join(args.out, sub), exist_ok=True)
    lab = Lab(LAB, os.path.join(args.out, "logs"), root=args.root)
    if args.reuse:
        if not lab.is_up():
            raise SystemExit("lab %s is not up (or %s is missing): run without --reuse" % (LAB, lab.hosts_file))
        log("reusing lab %s" % LAB)
    else:
        log("bringing up lab %s (site.yml takes about 10 min)" % LAB)
        lab.up()
    lab.load_inventory()
    if args.node not in lab.groups["fateflow"]:
        parser.error("--node must be one of the Flow nodes: %s" % ", ".join(lab.groups["fateflow"]))
    if not lab.vip or len(lab.groups.get("nginx", [])) < 2:
        if args.cases_given and set(args.cases) & set(BALANCER_CASES):
            parser.error("the balancer cases need a virtual IP (party_nginx_vip) on two Nginx hosts")
        args.cases = [c for c in args.cases if c not in BALANCER_CASES]

    seed = SeedNginx(lab)
    watch = RegistryWatch(["%s:%d" % (lab.address[h], ZK_PORT) for h in lab.groups["zookeeper"]], lab.zk_auth)
    results = {}
    try:
        seed.start()
        watch.start()
        bench = Bench(args, lab, watch, args.out)
        for case in args.cases:
            results[case] = bench.run_case(case)
            summary = ", ".join("%s failed %d p99 %s" % (c, results[case][c]["failed"], fmt(results[case][c]["p99"]))
                                for c in configs_of(case))
            log("case %s: %s" % (case, summary))
    finally:
        watch.stop()
        seed.stop()
        document = {
            "started": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "rate_per_nginx": args.rate, "path": args.path, "node": args.node, "rounds": args.rounds,
            "playbooks_of": args.root,
            "urls": {"ours": "lb:%d" % lab.nginx_http_port, "seed": "lb:%d" % SEED_HTTP_PORT,
                     "vip": "%s:%d" % (lab.vip, lab.nginx_http_port), "first": "lb:%d" % lab.nginx_http_port},
            "cases": results,
        }
        json_path = os.path.join(args.out, "failover.json")
        with open(json_path, "w", encoding="utf-8") as out:
            json.dump(document, out)
        if not args.keep_lab:
            log("taking lab %s down" % LAB)
            lab.down()
    if not results:
        return 1
    print()
    print_table(results, args.node)
    png = plot(results, os.path.join(args.out, "failover.png"))
    print("\nJSON: %s%s" % (json_path, "\nPNG: %s" % png if png else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
