"""The zookeeper role's preflight, run for real by ansible-playbook on local-connection hosts.

Only tasks_from: preflight runs, so nothing is installed on the machine running the tests;
what is checked is that bad ensembles are refused, with a message saying what to fix.
"""

import os
import subprocess
import sys

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
PLAYBOOK = """
- name: Preflight of the zookeeper role
  hosts: zookeeper
  gather_facts: false
  tasks:
    - name: Run the preflight only
      ansible.builtin.include_role:
        name: fateflow.ha.zookeeper
        tasks_from: preflight
"""


def run_preflight(tmp_path, hosts, group_vars=None):
    inventory = {"zookeeper": {
        "hosts": {name: dict({"ansible_connection": "local", "ansible_python_interpreter": sys.executable,
                              "zookeeper_data_dir": str(tmp_path / name)}, **(variables or {}))
                  for name, variables in hosts.items()},
        "vars": dict({"party_zookeeper_password": "secret"}, **(group_vars or {})),
    }}
    (tmp_path / "inventory.yml").write_text(yaml.safe_dump(inventory))
    (tmp_path / "play.yml").write_text(PLAYBOOK)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".cache", "collections"),
               ANSIBLE_STDOUT_CALLBACK="ansible.builtin.default", ANSIBLE_NOCOLOR="1",
               ANSIBLE_RETRY_FILES_ENABLED="0", ANSIBLE_LOCALHOST_WARNING="0")
    proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"),
                           "-i", str(tmp_path / "inventory.yml"), str(tmp_path / "play.yml")],
                          capture_output=True, text=True, env=env, cwd=str(tmp_path), timeout=120)
    return proc.returncode, proc.stdout + proc.stderr




def member(n, **extra):
    return dict({"ansible_host": "10.9.0.%d" % n}, **extra)


@pytest.mark.parametrize("hosts, group_vars, words", [
    ({"z1": member(1, zookeeper_myid=1), "z2": member(2, zookeeper_myid=1), "z3": member(3)},
     None, "Each member needs its own myid and its own address"),
    ({"z1": member(1), "z2": member(2), "z1again": member(1)},
     None, "A host listed twice under two names"),
    ({"z1": member(1), "z2": member(2), "z3": member(3)},
     {"zookeeper_admin_server_port": 8080}, "must not be 8080"),
    ({"z1": member(1)}, {"zookeeper_install_method": "tarball"}, "exactly one of zookeeper_tarball_url"),
    ({"z1": member(1)}, {"party_zookeeper_password": ""}, "party_zookeeper_password is required"),
    ({"z1": member(1, zookeeper_myid=300)}, None, "zookeeper_myid of z1 must be 1-255; it is 300"),
    ({"z1": member(1)}, {"zookeeper_election_port": 70000}, "fix zookeeper_election_port=70000"),
])
def test_refused(tmp_path, hosts, group_vars, words):
    rc, output = run_preflight(tmp_path, hosts, group_vars)
    assert rc != 0, output
    assert words in output, output


def test_member_keeps_its_myid(tmp_path):
    (tmp_path / "z2").mkdir()
    (tmp_path / "z2" / "myid").write_text("7\n")
    rc, output = run_preflight(tmp_path, {"z1": member(1), "z2": member(2), "z3": member(3)})
    assert rc != 0
    assert "z2 already has myid 7" in output and "gives it 2" in output


def test_even_size_refused_unless_allowed(tmp_path):
    rc, output = run_preflight(tmp_path, {"z1": member(1), "z2": member(2)})
    assert rc != 0, output
    assert "The ensemble has 2 members: an even ensemble tolerates no more failures" in output
    rc, output = run_preflight(tmp_path, {"z1": member(1), "z2": member(2)}, {"zookeeper_allow_even_ensemble": True})
    assert rc == 0, output
    assert "WARNING: the ensemble has 2 members" in output


def test_good_ensemble_passes_quietly(tmp_path):
    rc, output = run_preflight(tmp_path, {"z1": member(1), "z2": member(2), "z3": member(3)})
    assert rc == 0, output
    assert "WARNING" not in output
