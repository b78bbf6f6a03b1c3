#!/usr/bin/env python3
"""fflab: several real hosts on one machine, for the fateflow.ha collection's lab.

Each lab host is a network namespace with its own address on one bridge, its own
sshd, and its own mount namespace in which a private directory of its own is
bind-mounted over FATE's ``/data/projects`` and over the few system directories
that services keep their configuration and state in (``/etc/nginx``,
``/var/lib/mysql`` ...). Everything started over SSH on a host sees that host's
tree, so every host has the same paths, as machines on a real site do.

Usage (as root):
    fflab [--lab NAME] up (--count N | --topology FILE) [--inventory PATH] [--inventory NAME=PATH ...]
    fflab [--lab NAME] down
    fflab [--lab NAME] status
    fflab [--lab NAME] exec HOST -- COMMAND...
    fflab [--lab NAME] link HOST up|down
    fflab [--lab NAME] inventory

``up`` brings the lab to the topology it is given: run twice it changes
nothing, run after a crash it repairs what is missing, and hosts left out of
the topology are removed. ``down`` removes every namespace, veth, bridge,
process, SSH control socket and file of the lab, also when the lab's state
file was lost. Several labs (``--lab``) can run side by side, each with its own
subnet 10.200.<index>.0/24.

A topology may split its hosts between inventories (a host's ``inventory: NAME``), as two
organisations each keep their own: the hosts of two FATE parties on one lab network, each party
rolled out from its own inventory. Every inventory names every lab host's address in
``fflab_hosts``, so that one party's settings can point at the other party's hosts.
"""

import argparse
import fcntl
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time

STATE_ROOT = os.environ.get("FFLAB_STATE_ROOT", "/var/lib/fflab")
SUBNET_PREFIX = "10.200"
FIRST_HOST_OCTET = 10
MAX_HOSTS = 40
MAX_LABS = 100
HOST_NAME_RE = re.compile(r"^[a-z][a-z0-9-]{0,9}$")
LAB_NAME_RE = re.compile(r"^[a-z][a-z0-9]{0,3}$")
GROUP_NAME_RE = re.compile(r"^[a-z_][a-z0-9_]*$")
INVENTORY_NAME_RE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
SSH_WAIT_SECONDS = 30

# Directories that every lab host gets a private copy of. "copy": seeded from the
# machine's own directory on first use (configuration shipped by a package);
# "tree": the machine's directory layout without its files; "empty": nothing; "sticky": nothing,
# writable by every user as /tmp is (a real host's /tmp is its own: MariaDB's bootstrap and
# other programs keep temporary files there that another host must not see or remove).
PRIVATE_DIRS = [
    ("/data/projects", "empty"),
    ("/etc/nginx", "copy"),
    ("/etc/mysql", "copy"),
    ("/etc/zookeeper", "copy"),
    ("/etc/rabbitmq", "copy"),
    # Each host's own log rotation: its /etc/logrotate.d files and logrotate's state.
    ("/etc/logrotate.d", "copy"),
    ("/var/lib/logrotate", "empty"),
    ("/var/lib/nginx", "tree"),
    ("/var/lib/mysql", "empty"),
    ("/var/lib/zookeeper", "empty"),
    # RabbitMQ's node database (mnesia), its Erlang cookie and its plugins' expanded code.
    ("/var/lib/rabbitmq", "empty"),
    ("/var/log", "tree"),
    ("/tmp", "sticky"),
]
# One directory that all hosts of a lab share, standing in for a site's NFS mount.
SHARED_DIR = "/data/shared"
# SSH control sockets of every lab, named after the host address they lead to, so that
# `down` can close exactly the ones of its own subnet.
CONTROL_DIR = os.path.join(STATE_ROOT, "cp")
SSH_OPTIONS = ("-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR "
               "-o ControlMaster=auto -o ControlPersist=120s -o ControlPath=%s/%%r@%%h:%%p" % CONTROL_DIR)


class LabError(Exception):
    """A problem the user can fix; printed as one line, without a traceback."""


def run(cmd, check=True, capture=False, stdin=None):
    proc = subprocess.run(
        cmd,
        check=False,
        text=True,
        input=stdin,
        stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    if check and proc.returncode != 0:
        raise LabError("command failed: %s: %s" % (" ".join(cmd), proc.stderr.strip()))
    return proc


def link_exists(name, netns=None):
    cmd = ["ip"] + (["-n", netns] if netns else []) + ["link", "show", name]
    return run(cmd, check=False).returncode == 0


def netns_list():
    out = run(["ip", "netns", "list"], capture=True).stdout
    return [line.split()[0] for line in out.splitlines() if line.strip()]


def netns_pids(ns):
    out = run(["ip", "netns", "pids", ns], check=False, capture=True).stdout
    return [int(p) for p in out.split()]


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def parse_topology(path):
    """Read a topology file: {hosts: {name: {groups: [...], vars: {...}, inventory: NAME}}, vars: {...}}."""
    try:
        import yaml
    except ImportError as exc:
        raise LabError("PyYAML is needed to read a topology file; run fflab from the project's .venv") from exc

    class UniqueKeyLoader(yaml.SafeLoader):
        """A YAML loader that refuses a key given twice (PyYAML would keep the last one silently)."""

    def construct_mapping(loader, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = loader.construct_object(key_node, deep=deep)
            if key in seen:
                raise LabError("name %r appears twice in %s (line %d)" % (key, path, key_node.start_mark.line + 1))
            seen.add(key)
        return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)

    UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct_mapping)
    try:
        with open(path, encoding="utf-8") as handle:
            data = yaml.load(handle, Loader=UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except OSError as exc:
        raise LabError("cannot read topology %s: %s" % (path, exc.strerror)) from exc
    except yaml.YAMLError as exc:
        raise LabError("topology %s is not valid YAML: %s" % (path, exc)) from exc
    if not isinstance(data, dict) or not isinstance(data.get("hosts"), dict):
        raise LabError("topology %s must have a 'hosts' mapping of host name to {groups, vars}" % path)
    hosts = data["hosts"]
    topology = {"hosts": {}, "vars": data.get("vars") or {}}
    for name, spec in hosts.items():
        spec = spec or {}
        if not isinstance(spec, dict):
            raise LabError("host %s in %s: expected a mapping with 'groups' and 'vars'" % (name, path))
        unknown = sorted(str(key) for key in spec if key not in ("groups", "vars", "inventory"))
        if unknown:
            raise LabError("host %s in %s: unknown key %s (a host takes groups, vars and inventory)"
                           % (name, path, ", ".join(unknown)))
        topology["hosts"][str(name)] = {
            "groups": list(spec.get("groups") or []),
            "vars": dict(spec.get("vars") or {}),
            "inventory": spec.get("inventory") or "",
        }
    return topology


def count_topology(count):
    return {"hosts": {"host%d" % i: {"groups": [], "vars": {}, "inventory": ""} for i in range(1, count + 1)},
            "vars": {}}


def validate(lab, topology):
    if not LAB_NAME_RE.match(lab):
        raise LabError("lab name %r: use 1-4 lowercase letters or digits, starting with a letter" % lab)
    hosts = topology["hosts"]
    if not hosts:
        raise LabError("the topology has no hosts")
    if len(hosts) > MAX_HOSTS:
        raise LabError("%d hosts asked for; a lab holds at most %d" % (len(hosts), MAX_HOSTS))
    for name, spec in hosts.items():
        if not HOST_NAME_RE.match(name):
            raise LabError("host name %r: use 1-10 lowercase letters, digits or '-', starting with a letter" % name)
        for group in spec["groups"]:
            if not isinstance(group, str) or not GROUP_NAME_RE.match(group):
                raise LabError("host %s: group name %r is not a valid Ansible group name" % (name, group))
            if group in hosts:
                raise LabError("group %r has the same name as a host; Ansible cannot tell them apart" % group)
        if not isinstance(spec.get("inventory", ""), str) or not INVENTORY_NAME_RE.match(spec.get("inventory") or "main"):
            raise LabError("host %s: inventory %r is not a name of letters, digits, '_' or '-'" % (name, spec.get("inventory")))


class Lab:
    def __init__(self, name):
        self.name = name
        self.dir = os.path.join(STATE_ROOT, name)
        self.state_file = os.path.join(self.dir, "state.json")
        self.bridge = "ffl-%s" % name
        self.key = os.path.join(self.dir, "id_ed25519")

    # ---- state ---------------------------------------------------------
    def load(self):
        try:
            with open(self.state_file, encoding="utf-8") as handle:
                return json.load(handle)
        except (OSError, ValueError):
            return None

    def save(self, state):
        tmp = self.state_file + ".tmp"
        with open(tmp, "w", encoding="utf-8") as handle:
            json.dump(state, handle, indent=2, sort_keys=True)
        os.replace(tmp, self.state_file)

    def netns(self, host):
        return "%s-%s" % (self.name, host)

    def allocate_index(self):
        used = set()
        if os.path.isdir(STATE_ROOT):
            for other in os.listdir(STATE_ROOT):
                if other == self.name:
                    continue
                try:
                    with open(os.path.join(STATE_ROOT, other, "state.json"), encoding="utf-8") as handle:
                        used.add(json.load(handle)["index"])
                except (OSError, ValueError, KeyError):
                    continue
        for index in range(MAX_LABS):
            if index not in used:
                return index
        raise LabError("all %d lab subnets are in use; remove a lab with 'fflab --lab NAME down'" % MAX_LABS)

    # ---- up ------------------------------------------------------------
    def check_clashes(self, state, topology):
        """Refuse, before creating anything, names that something else on this machine already uses."""
        ours = set(state["hosts"]) if state else set()
        existing_ns = set(netns_list())
        for host in topology["hosts"]:
            ns = self.netns(host)
            if ns in existing_ns and host not in ours and not os.path.exists(os.path.join(self.dir, "hosts", host)):
                raise LabError("network namespace %s already exists and is not part of lab %s" % (ns, self.name))
        if not state and link_exists(self.bridge):
            raise LabError("interface %s already exists and is not part of a lab; "
                           "remove it or run 'fflab --lab %s down'" % (self.bridge, self.name))

    def up(self, topology, inventory_paths):
        validate(self.name, topology)
        os.makedirs(STATE_ROOT, exist_ok=True)
        state = self.load()
        self.check_clashes(state, topology)
        fresh = state is None
        if fresh:
            os.makedirs(self.dir, exist_ok=True)
            state = {"index": self.allocate_index(), "hosts": {}}
            self.save(state)
        try:
            self._up(state, topology, inventory_paths)
        except BaseException:
            if fresh:
                # A lab that did not exist before this call leaves nothing half-made behind.
                self.down(quiet=True)
            raise

    def _up(self, state, topology, inventory_paths):
        index = state["index"]
        named = {spec.get("inventory") or "" for spec in topology["hosts"].values()} - {""}
        missing = sorted(named - set(inventory_paths))
        if missing:
            raise LabError("the topology puts hosts in inventory %s: give its path with --inventory NAME=PATH"
                           % ", ".join(missing))
        gateway = "%s.%d.1" % (SUBNET_PREFIX, index)
        for host in [h for h in state["hosts"] if h not in topology["hosts"]]:
            self.remove_host(host, state["hosts"][host])
            del state["hosts"][host]
            self.save(state)
        self.ensure_bridge(gateway)
        self.ensure_key()
        os.makedirs(CONTROL_DIR, exist_ok=True)
        os.makedirs(os.path.join(self.dir, "shared"), exist_ok=True)
        used = {h["octet"] for h in state["hosts"].values()}
        for host in topology["hosts"]:
            if host not in state["hosts"]:
                octet = next(o for o in range(FIRST_HOST_OCTET, 255) if o not in used)
                used.add(octet)
                state["hosts"][host] = {"octet": octet, "veth": "fv%dh%d" % (index, octet)}
                self.save(state)
        addresses = {h: "%s.%d.%d" % (SUBNET_PREFIX, index, s["octet"]) for h, s in state["hosts"].items()}
        for host, info in state["hosts"].items():
            self.ensure_host(host, info, addresses, gateway)
        for host in state["hosts"]:
            self.wait_ssh(host, addresses[host])
        state["topology"] = topology
        state["addresses"] = addresses
        self.save(state)
        for name, path in inventory_paths.items():
            self.write_inventory(state, path, name)

    def ensure_bridge(self, gateway):
        if not link_exists(self.bridge):
            run(["ip", "link", "add", self.bridge, "type", "bridge"])
        addrs = run(["ip", "-4", "-o", "addr", "show", "dev", self.bridge], capture=True).stdout
        if " %s/24 " % gateway not in addrs:
            run(["ip", "addr", "add", "%s/24" % gateway, "dev", self.bridge])
        run(["ip", "link", "set", self.bridge, "up"])

    def ensure_key(self):
        if not os.path.exists(self.key):
            run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "fflab-%s" % self.name, "-f", self.key])
        host_key = os.path.join(self.dir, "ssh_host_ed25519_key")
        if not os.path.exists(host_key):
            run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", host_key])
        shutil.copyfile(self.key + ".pub", os.path.join(self.dir, "authorized_keys"))

    def host_dir(self, host):
        return os.path.join(self.dir, "hosts", host)

    def ensure_host(self, host, info, addresses, gateway):
        ns = self.netns(host)
        address = addresses[host]
        veth = info["veth"]
        if ns not in netns_list():
            run(["ip", "netns", "add", ns])
        if not link_exists("eth0", ns):
            if link_exists(veth):
                run(["ip", "link", "del", veth])
            run(["ip", "link", "add", veth, "type", "veth", "peer", "name", veth + "p", "netns", ns])
            run(["ip", "-n", ns, "link", "set", veth + "p", "name", "eth0"])
            # A host made again gets a new MAC: forget the old one wherever it was learnt.
            run(["ip", "neigh", "flush", "to", address], check=False)
            for other in addresses:
                if other != host and self.netns(other) in netns_list():
                    run(["ip", "-n", self.netns(other), "neigh", "flush", "to", address], check=False)
        run(["ip", "link", "set", veth, "master", self.bridge, "up"])
        run(["ip", "-n", ns, "link", "set", "lo", "up"])
        run(["ip", "-n", ns, "link", "set", "eth0", "up"])
        addrs = run(["ip", "-n", ns, "-4", "-o", "addr", "show", "dev", "eth0"], capture=True).stdout
        if " %s/24 " % address not in addrs:
            run(["ip", "-n", ns, "addr", "add", "%s/24" % address, "dev", "eth0"])
        run(["ip", "-n", ns, "route", "replace", "default", "via", gateway])
        self.write_etc(host, ns, addresses)
        self.prepare_dirs(host)
        if not self.sshd_pid(host):
            self.start_sshd(host, ns, address)

    def write_etc(self, host, ns, addresses):
        # `ip netns exec` bind-mounts /etc/netns/<ns>/* over /etc/*: name resolution per host
        # without touching the machine's own /etc/hosts.
        etc = os.path.join("/etc/netns", ns)
        os.makedirs(etc, exist_ok=True)
        lines = ["127.0.0.1 localhost", "%s %s" % (addresses[host], host)]
        lines += ["%s %s" % (addresses[h], h) for h in sorted(addresses) if h != host]
        write_if_changed(os.path.join(etc, "hosts"), "\n".join(lines) + "\n")
        # No resolver: every lab name is in /etc/hosts, and a DNS look-up would only stall.
        write_if_changed(os.path.join(etc, "resolv.conf"), "options timeout:1 attempts:1\n")
        write_if_changed(os.path.join(etc, "hostname"), host + "\n")

    def prepare_dirs(self, host):
        root = self.host_dir(host)
        for path, how in PRIVATE_DIRS:
            target = root + path
            if os.path.isdir(target):
                continue
            if how == "copy" and os.path.isdir(path):
                shutil.copytree(path, target, symlinks=True)
            elif how == "tree" and os.path.isdir(path):
                for dirpath, dirnames, _ in os.walk(path):
                    os.makedirs(root + dirpath, exist_ok=True)
                    shutil.copystat(dirpath, root + dirpath)
                    st = os.stat(dirpath)
                    os.chown(root + dirpath, st.st_uid, st.st_gid)
            else:
                os.makedirs(target)
                if how == "sticky":
                    os.chmod(target, 0o1777)
        os.makedirs(os.path.join(root, "run"), exist_ok=True)

    def sshd_config(self, host, address):
        path = os.path.join(self.dir, "sshd-%s.conf" % host)
        text = "\n".join([
            "ListenAddress %s:22" % address,
            "HostKey %s" % os.path.join(self.dir, "ssh_host_ed25519_key"),
            "PidFile %s" % os.path.join(self.dir, "sshd-%s.pid" % host),
            "AuthorizedKeysFile %s" % os.path.join(self.dir, "authorized_keys"),
            "PermitRootLogin prohibit-password",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "UsePAM no",
            "StrictModes no",
            "UseDNS no",
            "MaxSessions 50",
            "MaxStartups 50:30:100",
            "Subsystem sftp internal-sftp",
            "",
        ])
        write_if_changed(path, text)
        return path

    def sshd_pid(self, host):
        try:
            with open(os.path.join(self.dir, "sshd-%s.pid" % host), encoding="utf-8") as handle:
                pid = int(handle.read().strip())
        except (OSError, ValueError):
            return None
        return pid if pid_alive(pid) and pid in netns_pids(self.netns(host)) else None

    def start_sshd(self, host, ns, address):
        config = self.sshd_config(host, address)
        root = self.host_dir(host)
        mounts = ["mkdir -p %s" % " ".join(p for p, _ in PRIVATE_DIRS + [(SHARED_DIR, "")])]
        mounts += ["mount --bind %s %s" % (root + p, p) for p, _ in PRIVATE_DIRS]
        mounts.append("mount --bind %s %s" % (os.path.join(self.dir, "shared"), SHARED_DIR))
        # A private /run: pid files and sockets of one host are not seen by another.
        mounts.append("mount --bind %s /run" % os.path.join(root, "run"))
        mounts.append("mkdir -p /run/sshd /run/lock && chmod 0755 /run/sshd")
        mounts.append("hostname %s 2>/dev/null || true" % host)
        mounts.append("exec /usr/sbin/sshd -f %s -E %s" % (config, os.path.join(self.dir, "sshd-%s.log" % host)))
        script = "set -e\n" + "\n".join(mounts) + "\n"
        run(["ip", "netns", "exec", ns, "unshare", "--mount", "--uts", "--propagation", "private",
             "sh", "-c", script])

    def wait_ssh(self, host, address):
        deadline = time.time() + SSH_WAIT_SECONDS
        while time.time() < deadline:
            try:
                with socket.create_connection((address, 22), timeout=1):
                    return
            except OSError:
                time.sleep(0.2)
        raise LabError("sshd of host %s did not answer on %s:22 within %d s; see %s" % (
            host, address, SSH_WAIT_SECONDS, os.path.join(self.dir, "sshd-%s.log" % host)))

    def write_inventory(self, state, path, name=""):
        """The inventory of the topology's hosts that belong to inventory ``name`` ("" the main one)."""
        topology = state["topology"]
        members = [h for h in topology["hosts"] if (topology["hosts"][h].get("inventory") or "") == name]
        lines = ["# Written by fflab for lab %r%s; 'fflab --lab %s up' rewrites it."
                 % (self.name, ", inventory %r" % name if name else "", self.name),
                 "all:", "  vars:"]
        common = {
            "ansible_user": "root",
            "ansible_ssh_private_key_file": self.key,
            "ansible_ssh_common_args": SSH_OPTIONS,
            "ansible_python_interpreter": "/usr/bin/python3",
            "fflab_name": self.name,
            # Every host of the lab, whichever inventory holds it: the other party's addresses.
            "fflab_hosts": dict(sorted(state["addresses"].items())),
        }
        common.update(topology.get("vars") or {})
        lines += ["    %s: %s" % (k, json.dumps(v)) for k, v in common.items()]
        lines.append("  hosts:")
        for host in members:
            lines.append("    %s:" % host)
            host_vars = {"ansible_host": state["addresses"][host]}
            host_vars.update(topology["hosts"][host]["vars"])
            lines += ["      %s: %s" % (k, json.dumps(v)) for k, v in host_vars.items()]
        groups = {}
        for host in members:
            for group in topology["hosts"][host]["groups"]:
                groups.setdefault(group, []).append(host)
        if groups:
            lines.append("  children:")
            for group, members in groups.items():
                lines.append("    %s:" % group)
                lines.append("      hosts:")
                lines += ["        %s: {}" % m for m in members]
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        write_if_changed(path, "\n".join(lines) + "\n")
        write_if_changed(os.path.join(self.dir, "inventory%s.yml" % ("-" + name if name else "")), "\n".join(lines) + "\n")

    # ---- down ----------------------------------------------------------
    def lab_namespaces(self, state):
        names = {self.netns(h) for h in (state or {}).get("hosts", {})}
        # Also namespaces of hosts the state file no longer knows (a crash before it was saved).
        prefix = self.name + "-"
        names |= {ns for ns in netns_list()
                  if ns.startswith(prefix) and os.path.isdir(os.path.join(self.dir, "hosts", ns[len(prefix):]))}
        return sorted(names)

    def kill_ns(self, ns):
        for _ in range(50):
            pids = netns_pids(ns)
            if not pids:
                return
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.1)
        raise LabError("processes in namespace %s would not die: %s" % (ns, netns_pids(ns)))

    def remove_host(self, host, info):
        ns = self.netns(host)
        if ns in netns_list():
            self.kill_ns(ns)
            run(["ip", "netns", "del", ns])
        if info and link_exists(info.get("veth", "")):
            run(["ip", "link", "del", info["veth"]], check=False)
        shutil.rmtree(os.path.join("/etc/netns", ns), ignore_errors=True)
        shutil.rmtree(self.host_dir(host), ignore_errors=True)
        for suffix in (".conf", ".pid", ".log"):
            try:
                os.unlink(os.path.join(self.dir, "sshd-%s%s" % (host, suffix)))
            except FileNotFoundError:
                pass

    def close_control_sockets(self, index):
        marker = "%s/root@%s.%d." % (CONTROL_DIR, SUBNET_PREFIX, index)
        out = run(["ps", "-eo", "pid=,args="], capture=True).stdout
        for line in out.splitlines():
            pid, _, args = line.strip().partition(" ")
            if marker in args:
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass
        if os.path.isdir(CONTROL_DIR):
            for name in os.listdir(CONTROL_DIR):
                if name.startswith("root@%s.%d." % (SUBNET_PREFIX, index)):
                    os.unlink(os.path.join(CONTROL_DIR, name))

    def down(self, quiet=False):
        state = self.load()
        for ns in self.lab_namespaces(state):
            host = ns[len(self.name) + 1:]
            self.remove_host(host, (state or {}).get("hosts", {}).get(host))
        if state:
            for info in state.get("hosts", {}).values():
                if link_exists(info["veth"]):
                    run(["ip", "link", "del", info["veth"]], check=False)
        if state:
            self.close_control_sockets(state["index"])
        if link_exists(self.bridge):
            run(["ip", "link", "del", self.bridge])
        shutil.rmtree(self.dir, ignore_errors=True)
        if not quiet:
            print("lab %s: down" % self.name)

    # ---- other commands --------------------------------------------------
    def require_state(self):
        state = self.load()
        if not state or "addresses" not in state:
            raise LabError("lab %s is not up; run 'fflab --lab %s up' first" % (self.name, self.name))
        return state

    def status(self):
        state = self.load()
        if not state:
            print("lab %s: down" % self.name)
            return 1
        rc = 0
        for host, address in sorted(state.get("addresses", {}).items()):
            pid = self.sshd_pid(host)
            rc |= 0 if pid else 1
            print("%-10s %-15s netns=%-16s sshd=%s" % (host, address, self.netns(host), pid or "DOWN"))
        return rc

    def exec_in(self, host, command):
        self.require_state()
        pid = self.sshd_pid(host)
        if not pid:
            raise LabError("host %s of lab %s is not running" % (host, self.name))
        # Enter both namespaces of the host's sshd: the command sees that host's network and files.
        return subprocess.call(["nsenter", "-t", str(pid), "-n", "-m", "-u", "--"] + command)

    def link(self, host, updown):
        state = self.require_state()
        if host not in state["hosts"]:
            raise LabError("lab %s has no host %s" % (self.name, host))
        # The bridge side of the pair: the host keeps its address but nothing reaches it,
        # as when a machine's cable is pulled (packets to it are dropped, not refused).
        run(["ip", "link", "set", state["hosts"][host]["veth"], updown])


def write_if_changed(path, text):
    try:
        with open(path, encoding="utf-8") as handle:
            if handle.read() == text:
                return
    except OSError:
        pass
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp, path)


def parse_inventory_args(values, lab):
    """{inventory name: path} from --inventory PATH and --inventory NAME=PATH ("" is the main one)."""
    paths = {}
    for value in values:
        name, sep, path = value.partition("=")
        if not sep or "/" in name:
            name, path = "", value
        elif not INVENTORY_NAME_RE.match(name):
            raise LabError("--inventory %s: %r is not an inventory name" % (value, name))
        if not path:
            raise LabError("--inventory %s: no path" % value)
        if name in paths:
            raise LabError("--inventory: %s given twice" % ("inventory %r" % name if name else "the main inventory"))
        paths[name] = path
    paths.setdefault("", os.path.join(lab.dir, "inventory.yml"))
    return paths


def main(argv=None):
    parser = argparse.ArgumentParser(prog="fflab", description=__doc__.split("\n\n")[0])
    parser.add_argument("--lab", default=os.environ.get("FFLAB_NAME", "lab"),
                        help="lab name (default: $FFLAB_NAME or 'lab')")
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="bring the lab to a topology")
    how = up.add_mutually_exclusive_group(required=True)
    how.add_argument("--count", type=int, help="N hosts named host1..hostN")
    how.add_argument("--topology", help="YAML file: hosts with their groups and vars")
    up.add_argument("--inventory", action="append", default=[],
                    help="where to write the Ansible inventory (default: <state>/inventory.yml); NAME=PATH: "
                         "where to write the inventory of the hosts the topology puts in inventory NAME")
    sub.add_parser("down", help="remove everything of the lab")
    sub.add_parser("status", help="list the hosts and whether they run")
    sub.add_parser("inventory", help="print the inventory path")
    ex = sub.add_parser("exec", help="run a command inside a host")
    ex.add_argument("host")
    ex.add_argument("cmd", nargs=argparse.REMAINDER)
    ln = sub.add_parser("link", help="take a host's link down or up")
    ln.add_argument("host")
    ln.add_argument("state", choices=["up", "down"])
    args = parser.parse_args(argv)

    try:
        if os.geteuid() != 0:
            raise LabError("fflab must run as root (it creates network namespaces and starts sshd)")
        if not LAB_NAME_RE.match(args.lab):
            raise LabError("lab name %r: use 1-4 lowercase letters or digits, starting with a letter" % args.lab)
        lab = Lab(args.lab)
        os.makedirs(STATE_ROOT, exist_ok=True)
        with open(os.path.join(STATE_ROOT, ".lock"), "w", encoding="utf-8") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if args.command == "up":
                if args.count is not None:
                    if not 1 <= args.count <= MAX_HOSTS:
                        raise LabError("--count %d: a lab has 1 to %d hosts" % (args.count, MAX_HOSTS))
                    topology = count_topology(args.count)
                else:
                    topology = parse_topology(args.topology)
                inventories = parse_inventory_args(args.inventory, lab)
                lab.up(topology, inventories)
                state = lab.load()
                for host, address in sorted(state["addresses"].items()):
                    print("%-10s %s" % (host, address))
                for name, path in sorted(inventories.items()):
                    print("inventory%s: %s" % (" " + name if name else "", os.path.abspath(path)))
                return 0
            if args.command == "down":
                lab.down()
                return 0
            if args.command == "status":
                return lab.status()
            if args.command == "inventory":
                lab.require_state()
                print(os.path.join(lab.dir, "inventory.yml"))
                return 0
            if args.command == "link":
                lab.link(args.host, args.state)
                return 0
        if args.command == "exec":
            command = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
            if not command:
                raise LabError("exec needs a command: fflab exec HOST -- COMMAND...")
            return lab.exec_in(args.host, command)
    except LabError as exc:
        print("fflab: %s" % exc, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
