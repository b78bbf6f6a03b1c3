#!/usr/bin/env python3
"""The lab party the lab-based benchmarks share: bring-up, commands on its hosts, its registry.

A lab party is party 10000 of lab/topologies/site.yml with inventories/lab/group_vars, rolled out by
site.yml on lab NAME (its files under .lab/NAME/), beside party 9999 (inventories/lab_guest/group_vars,
its own inventory), the other party of its toy jobs. failover.py runs it without FATE's algorithms
(API only), jobs.py with them (toy jobs).
"""

import json
import logging
import os
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request

import yaml
from kazoo.client import KazooClient
from kazoo.exceptions import KazooException

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))
import conftest  # noqa: E402,F401  (makes ansible_collections.fateflow.ha importable)

from ansible_collections.fateflow.ha.plugins.module_utils.zookeeper import (  # noqa: E402
    four_letter_word, parse_four_letter_answer)

FFLAB = os.path.join(ROOT, "lab", "fflab")
TOPOLOGY = os.path.join(ROOT, "lab", "topologies", "site.yml")
GROUP_VARS = os.path.join(ROOT, "inventories", "lab", "group_vars")
GUEST_GROUP_VARS = os.path.join(ROOT, "inventories", "lab_guest", "group_vars")
# The fateflow_ha, zookeeper and service_manager roles' defaults, which the lab party keeps.
FLOW_HTTP_PORT = 9380
FLOW_GRPC_PORT = 9360
ZK_PORT = 2181
SUPERVISORD_CONF = "/data/projects/common/supervisord/supervisord.conf"
FLOW_PROGRAM = "fate-fateflow"
ZK_PROGRAM = "fate-zookeeper"
REGISTRY = "/FATE-COMPONENTS/fate-flow"


def log(message):
    print("[%s] %s" % (time.strftime("%H:%M:%S"), message), flush=True)


class Lab:
    """A lab party: its hosts, commands inside them, and playbooks on its inventory."""

    def __init__(self, name, logs, algorithms=False, root=ROOT):
        self.name = name
        self.algorithms = algorithms
        # The checkout whose collection runs the playbooks (another one: its behaviour, for a comparison).
        self.root = root
        self.inventory_dir = os.path.join(ROOT, ".lab", name, "inventory")
        self.hosts_file = os.path.join(self.inventory_dir, "hosts.yml")
        # Party 9999's own inventory: the other party of the toy jobs.
        self.guest_inventory_dir = os.path.join(ROOT, ".lab", name, "inventory_guest")
        self.logs = logs
        self.address = {}
        self.groups = {}
        settings = yaml.safe_load(open(os.path.join(GROUP_VARS, "all", "site.yml"), encoding="utf-8"))
        self.zk_auth = "%s:%s" % (settings["party_zookeeper_user"], settings["party_zookeeper_password"])
        self.nginx_http_port = int(settings["party_nginx_http_port"])
        self.party_id = str(settings["party_id"])
        # The other party of the toy jobs (party 9999 of the lab).
        self.guest_party_id = str(settings.get("fateflow_toy_guest_party_id", self.party_id))
        self.vip = None

    def step(self, name, cmd):
        """Run one bring-up step, its output in a log file; a failure ends the benchmark."""
        start = time.monotonic()
        path = os.path.join(self.logs, name + ".log")
        with open(path, "w", encoding="utf-8") as out:
            rc = subprocess.call(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=self.root, env=ansible_env(self.root))
        if rc != 0:
            raise SystemExit("%s failed (exit %d); see %s" % (name, rc, path))
        log("%s: ok (%d s, log: %s)" % (name, time.monotonic() - start, path))

    def up(self):
        # Each inventory lives beside the lab's other files, with its party's group_vars linked
        # next to it: Ansible reads group_vars from the inventory's own directory.
        for inventory_dir, group_vars in ((self.inventory_dir, GROUP_VARS), (self.guest_inventory_dir, GUEST_GROUP_VARS)):
            os.makedirs(inventory_dir, exist_ok=True)
            link = os.path.join(inventory_dir, "group_vars")
            if not os.path.islink(link):
                os.symlink(os.path.relpath(group_vars, inventory_dir), link)
        self.step("lab", [FFLAB, "--lab", self.name, "up", "--topology", TOPOLOGY, "--inventory", self.hosts_file,
                          "--inventory", "guest=" + os.path.join(self.guest_inventory_dir, "hosts.yml")])
        for party, inventory_dir in (("", self.inventory_dir), ("_guest", self.guest_inventory_dir)):
            self.step("prepare" + party, self.playbook_cmd("extensions/molecule/ha/prepare.yml", inventory=inventory_dir))
            self.step("site" + party, self.playbook_cmd("playbooks/site.yml", inventory=inventory_dir))
            self.step("rollsite" + party, self.playbook_cmd("lab/router.yml", inventory=inventory_dir))

    def is_up(self):
        ok = subprocess.call([FFLAB, "--lab", self.name, "status"], stdout=subprocess.DEVNULL) == 0
        return ok and os.path.exists(self.hosts_file)

    def down(self):
        subprocess.call([FFLAB, "--lab", self.name, "down"])

    def load_inventory(self):
        inventory = yaml.safe_load(open(self.hosts_file, encoding="utf-8"))["all"]
        self.address = {h: v["ansible_host"] for h, v in inventory["hosts"].items()}
        self.groups = {g: list((spec or {}).get("hosts") or {}) for g, spec in inventory["children"].items()}
        # The virtual IP as the inventory resolves it (group_vars derive it from the lab's subnet).
        env = dict(ansible_env(), ANSIBLE_LOAD_CALLBACK_PLUGINS="1", ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json")
        out = subprocess.run(["ansible", "-i", self.inventory_dir, "localhost", "-m", "ansible.builtin.debug",
                              "-a", "var=party_nginx_vip"], capture_output=True, text=True, cwd=ROOT, env=env)
        try:
            # Other callbacks of ansible.cfg (profile_tasks) print around the JSON document.
            document = json.JSONDecoder().raw_decode(out.stdout[out.stdout.index("{"):])[0]
            answer = document["plays"][0]["tasks"][0]["hosts"]["localhost"]
            self.vip = answer.get("party_nginx_vip") or None
        except (ValueError, KeyError, IndexError):
            self.vip = None

    def playbook_cmd(self, playbook, *extra, inventory=None):
        # FATE's algorithms serve jobs only: a benchmark of the API does not need them.
        return ["ansible-playbook", "-i", inventory or self.inventory_dir, playbook,
                "-e", "fateflow_ha_install_algorithms=%s" % str(self.algorithms).lower()] + list(extra)

    def link(self, host, state):
        subprocess.check_call([FFLAB, "--lab", self.name, "link", host, state])

    def run(self, host, *cmd, stdin=None, check=True):
        proc = subprocess.run([FFLAB, "--lab", self.name, "exec", host, "--"] + list(cmd), input=stdin,
                              capture_output=True, text=True, check=False)
        if check and proc.returncode != 0:
            raise RuntimeError("%s on %s failed: %s" % (" ".join(cmd), host, (proc.stderr or proc.stdout).strip()))
        return proc.stdout

    def program_pid(self, host, program):
        out = self.run(host, "supervisorctl", "-c", SUPERVISORD_CONF, "pid", program).strip()
        if not out.isdigit() or out == "0":
            raise RuntimeError("%s is not running on %s (supervisorctl pid: %r)" % (program, host, out))
        return int(out)


def ansible_env(root=ROOT):
    """Ansible's environment for the collection of the checkout `root` (its .cache/collections link)."""
    env = dict(os.environ)
    env["PATH"] = os.path.join(root, ".venv", "bin") + os.pathsep + env.get("PATH", "")
    env["ANSIBLE_COLLECTIONS_PATH"] = os.path.join(root, ".cache", "collections")
    env["ANSIBLE_CONFIG"] = os.path.join(root, "ansible.cfg")
    env["ANSIBLE_NOCOLOR"] = "1"
    return env


class RegistryWatch(threading.Thread):
    """Polls FATE Flow's registry: one sample every `period` s, {znode name: czxid} or None."""

    def __init__(self, hosts, auth, period=0.2):
        super().__init__(daemon=True)
        # kazoo warns on every dropped connection; the zk case drops them on purpose.
        logging.getLogger("kazoo.client").setLevel(logging.ERROR)
        self.client = KazooClient(hosts=",".join(hosts), auth_data=[("digest", auth)], timeout=10)
        self.period = period
        self.samples = []
        self.lock = threading.Lock()
        self.halt = threading.Event()

    def run(self):
        self.client.start(timeout=30)
        while not self.halt.is_set():
            now = time.time()
            try:
                entries = {}
                for child in self.client.get_children(REGISTRY):
                    stat = self.client.exists(REGISTRY + "/" + child)
                    if stat is not None:
                        entries[urllib.parse.unquote(child)] = stat.czxid
            except KazooException:
                entries = None
            with self.lock:
                self.samples.append((now, entries))
            self.halt.wait(max(0.0, self.period - (time.time() - now)))
        self.client.stop()
        self.client.close()

    def latest(self):
        with self.lock:
            for _, entries in reversed(self.samples):
                if entries is not None:
                    return entries
        return None

    def between(self, start, end):
        with self.lock:
            return [s for s in self.samples if start <= s[0] <= end]

    def stop(self):
        self.halt.set()
        self.join(timeout=15)


def registration_timeline(samples, fault, endpoints):
    """For each Flow endpoint: seconds from the fault until its registration (as it was before
    the fault) left ZooKeeper, and until a new one appeared; 'stayed' if it never left."""
    before = [s for s in samples if s[0] < fault and s[1] is not None]
    after = [s for s in samples if s[0] >= fault and s[1] is not None]
    result = {}
    for name, endpoint in endpoints.items():
        if not before or endpoint not in before[-1][1]:
            result[name] = {"left_after": None, "back_after": None, "note": "not registered at the fault"}
            continue
        old = before[-1][1][endpoint]
        left = back = None
        for when, entries in after:
            current = entries.get(endpoint)
            if left is None and current != old:
                left = when
            if left is not None and current is not None and current != old:
                back = when
                break
        result[name] = {
            "left_after": round(left - fault, 1) if left else "stayed",
            "back_after": round(back - fault, 1) if back else None,
            "unreadable_samples": sum(1 for s in samples if s[0] >= fault and s[1] is None),
        }
    return result


def srvr(address, timeout=2.0):
    """ZooKeeper's `srvr` answer as a dict (empty when the member does not answer)."""
    return parse_four_letter_answer(four_letter_word(address, ZK_PORT, "srvr", timeout))


def flow_api(url, timeout=3.0):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            body = json.loads(resp.read() or b"{}")
    except (OSError, ValueError):
        return None
    return body if isinstance(body, dict) else None
