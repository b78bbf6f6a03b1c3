"""The lab command against the real machine: namespaces, bridge, sshd, teardown, recovery, bad input.

These tests need root, iproute2 and sshd (scripts/setup.sh installs them). They use their own lab
name, so they do not touch a lab someone is using.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FFLAB = [sys.executable, os.path.join(ROOT, "lab", "fflab.py")]
LAB = "tlab"
STATE = "/var/lib/fflab/%s" % LAB

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the lab needs root")


def fflab(*args, check=True, lab=LAB, **kwargs):
    proc = subprocess.run(FFLAB + ["--lab", lab] + list(args), capture_output=True, text=True, **kwargs)
    if check and proc.returncode != 0:
        raise AssertionError("fflab %s failed: %s %s" % (" ".join(args), proc.stdout, proc.stderr))
    return proc


def namespaces(prefix=LAB + "-"):
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=True).stdout
    return sorted(line.split()[0] for line in out.splitlines() if line.startswith(prefix))


def links(name):
    out = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True, check=True).stdout
    return [line for line in out.splitlines() if name in line]


def state():
    with open(os.path.join(STATE, "state.json"), encoding="utf-8") as handle:
        return json.load(handle)


def ssh(address, command):
    key = os.path.join(STATE, "id_ed25519")
    return subprocess.run(
        ["ssh", "-i", key, "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
         "-o", "LogLevel=ERROR", "-o", "ConnectTimeout=5", "-o", "BatchMode=yes", "root@%s" % address, command],
        capture_output=True, text=True, timeout=30)


def assert_nothing_left(index=None):
    assert namespaces() == []
    assert links("ffl-%s" % LAB) == []
    assert not os.path.exists(STATE)
    assert not any(name.startswith(LAB + "-") for name in os.listdir("/etc/netns")) if os.path.isdir("/etc/netns") else True
    procs = subprocess.run(["ps", "-eo", "args="], capture_output=True, text=True, check=True).stdout
    assert os.path.join(STATE, "sshd-") not in procs
    if index is not None:
        assert links("fv%dh" % index) == []
        assert "@10.200.%d." % index not in procs


@pytest.fixture
def clean_lab():
    fflab("down")
    yield
    fflab("down")


def write_topology(tmp_path, text):
    path = tmp_path / "topology.yml"
    path.write_text(text)
    return str(path)


def test_up_makes_reachable_hosts_with_private_trees(clean_lab, tmp_path):
    topology = write_topology(tmp_path, "hosts:\n  alpha: {groups: [zookeeper]}\n  beta: {groups: [fateflow], vars: {x: 1}}\n")
    inventory = tmp_path / "inventory.yml"
    fflab("up", "--topology", topology, "--inventory", str(inventory))
    addresses = state()["addresses"]
    assert set(addresses) == {"alpha", "beta"}
    text = inventory.read_text()
    assert "zookeeper:" in text and "fateflow:" in text and "x: 1" in text
    # Each host answers over SSH on its own address, knows every lab name, and has its own /data/projects.
    ssh(addresses["alpha"], "echo alpha > /data/projects/owner")
    ssh(addresses["beta"], "echo beta > /data/projects/owner")
    for host, address in addresses.items():
        out = ssh(address, "hostname; cat /data/projects/owner; getent hosts alpha beta | wc -l; ip -4 -o addr show eth0")
        assert out.returncode == 0, out.stderr
        lines = out.stdout.split("\n")
        assert lines[0] == host and lines[1] == host and lines[2] == "2"
        assert address in lines[3]
    # /data/shared is one directory for all hosts of the lab.
    ssh(addresses["alpha"], "echo shared > /data/shared/file")
    assert ssh(addresses["beta"], "cat /data/shared/file").stdout.strip() == "shared"
    # /tmp is each host's own, writable by every user (sticky), as on a real host.
    ssh(addresses["alpha"], "echo alpha > /tmp/fflab-owner")
    assert ssh(addresses["beta"], "test -e /tmp/fflab-owner || echo absent").stdout.strip() == "absent"
    assert ssh(addresses["beta"], "stat -c %a /tmp").stdout.strip() == "1777"
    assert not os.path.exists("/tmp/fflab-owner")


def test_topology_splits_hosts_between_inventories(clean_lab, tmp_path):
    """Two parties on one lab network, each with its own inventory that knows the other's addresses."""
    import yaml

    topology = write_topology(tmp_path, "hosts:\n  alpha: {groups: [fateflow]}\n"
                                        "  beta: {groups: [fateflow, fate_full], inventory: guest}\n")
    main, guest = tmp_path / "main" / "hosts.yml", tmp_path / "guest" / "hosts.yml"
    missing = fflab("up", "--topology", topology, "--inventory", str(main), check=False)
    assert missing.returncode == 2 and "inventory guest" in missing.stderr and not namespaces()
    fflab("up", "--topology", topology, "--inventory", str(main), "--inventory", "guest=%s" % guest)
    addresses = state()["addresses"]
    ours, theirs = yaml.safe_load(main.read_text())["all"], yaml.safe_load(guest.read_text())["all"]
    assert list(ours["hosts"]) == ["alpha"] and list(ours["children"]) == ["fateflow"]
    assert list(theirs["hosts"]) == ["beta"] and list(theirs["children"]) == ["fateflow", "fate_full"]
    assert ours["vars"]["fflab_hosts"] == theirs["vars"]["fflab_hosts"] == addresses
    # One network: a host of one inventory reaches the other's.
    assert ssh(addresses["alpha"], "timeout 3 bash -c 'echo > /dev/tcp/%s/22' && echo ok" % addresses["beta"]).stdout.strip() == "ok"
    bad = fflab("up", "--topology", topology, "--inventory", str(main), "--inventory", "gu est=%s" % guest, check=False)
    assert bad.returncode == 2 and "not an inventory name" in bad.stderr


def test_up_twice_changes_nothing(clean_lab):
    fflab("up", "--count", "2")
    first = state()
    pids = sorted(open(os.path.join(STATE, "sshd-host%d.pid" % i)).read() for i in (1, 2))
    fflab("up", "--count", "2")
    assert state() == first
    assert sorted(open(os.path.join(STATE, "sshd-host%d.pid" % i)).read() for i in (1, 2)) == pids


def test_down_leaves_nothing_behind(clean_lab):
    fflab("up", "--count", "2")
    index = state()["index"]
    address = state()["addresses"]["host1"]
    # A service left running on a host, and an SSH control master, as Ansible leaves them.
    subprocess.run(FFLAB + ["--lab", LAB, "exec", "host1", "--", "sh", "-c", "setsid sleep 600 >/dev/null 2>&1 &"], check=True)
    control = "/var/lib/fflab/cp/root@%s:22" % address
    subprocess.run(["ssh", "-i", os.path.join(STATE, "id_ed25519"), "-o", "StrictHostKeyChecking=no",
                    "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "-o", "ControlMaster=auto",
                    "-o", "ControlPersist=300", "-o", "ControlPath=%s" % control, "root@%s" % address, "true"],
                   check=True, timeout=30)
    assert os.path.exists(control)
    fflab("down")
    assert_nothing_left(index)
    assert not os.path.exists(control)
    procs = subprocess.run(["ps", "-eo", "args="], capture_output=True, text=True, check=True).stdout
    assert "sleep 600" not in procs


def test_up_after_a_killed_run_recovers(clean_lab):
    proc = subprocess.Popen(FFLAB + ["--lab", LAB, "up", "--count", "4"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.time() + 20
    while time.time() < deadline and len(namespaces()) < 2:
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    fflab("up", "--count", "4")
    for address in state()["addresses"].values():
        assert ssh(address, "true").returncode == 0
    # A host whose sshd died is repaired by the next up.
    pid = int(open(os.path.join(STATE, "sshd-host2.pid")).read())
    os.kill(pid, signal.SIGKILL)
    time.sleep(0.2)
    fflab("up", "--count", "4")
    assert ssh(state()["addresses"]["host2"], "true").returncode == 0
    index = state()["index"]
    fflab("down")
    assert_nothing_left(index)


def test_down_without_state_file_still_cleans(clean_lab):
    fflab("up", "--count", "2")
    os.unlink(os.path.join(STATE, "state.json"))
    fflab("down")
    assert namespaces() == []


def test_topology_shrinks_and_grows(clean_lab):
    fflab("up", "--count", "3")
    third = state()["addresses"]["host3"]
    fflab("up", "--count", "2")
    assert set(state()["addresses"]) == {"host1", "host2"}
    assert namespaces() == ["%s-host1" % LAB, "%s-host2" % LAB]
    fflab("up", "--count", "3")
    assert ssh(state()["addresses"]["host3"], "true").returncode == 0
    assert third  # an address is reused only after its host was removed


def test_link_down_drops_packets_and_up_restores(clean_lab):
    fflab("up", "--count", "1")
    address = state()["addresses"]["host1"]
    fflab("link", "host1", "down")
    with pytest.raises(OSError):
        socket.create_connection((address, 22), timeout=2).close()
    fflab("link", "host1", "up")
    socket.create_connection((address, 22), timeout=5).close()


@pytest.mark.parametrize("args, topology, message", [
    (["up", "--count", "0"], None, "--count 0: a lab has 1 to 40 hosts"),
    (["up", "--count", "41"], None, "--count 41: a lab has 1 to 40 hosts"),
    (["up"], "hosts:\n  zk1: {}\n  zk1: {}\n", "name 'zk1' appears twice"),
    (["up"], "hosts:\n  Bad_Name: {}\n", "host name 'Bad_Name'"),
    (["up"], "hosts:\n  zk: {groups: [zk]}\n", "group 'zk' has the same name as a host"),
    (["up"], "hosts: [a, b\n", "is not valid YAML"),
    (["up"], "nodes: {}\n", "must have a 'hosts' mapping"),
    (["up"], "hosts: {}\n", "the topology has no hosts"),
])
def test_bad_input_is_refused_before_anything_is_made(clean_lab, tmp_path, args, topology, message):
    if topology is not None:
        args = args + ["--topology", write_topology(tmp_path, topology)]
    proc = fflab(*args, check=False)
    assert proc.returncode == 2
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr
    assert_nothing_left()


def test_bad_lab_name_is_refused():
    proc = fflab("up", "--count", "1", check=False, lab="Bad")
    assert proc.returncode == 2 and "lab name 'Bad'" in proc.stderr


def test_name_clash_with_a_foreign_namespace(clean_lab):
    foreign = "%s-host1" % LAB
    subprocess.run(["ip", "netns", "add", foreign], check=True)
    try:
        proc = fflab("up", "--count", "2", check=False)
        assert proc.returncode == 2
        assert "network namespace %s already exists and is not part of lab %s" % (foreign, LAB) in proc.stderr
        assert namespaces() == [foreign]
        assert links("ffl-%s" % LAB) == []
        assert not os.path.exists(STATE)
    finally:
        subprocess.run(["ip", "netns", "del", foreign], check=True)


def test_not_root_is_refused():
    proc = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] + FFLAB + ["up", "--count", "1"],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert "fflab must run as root" in proc.stderr
