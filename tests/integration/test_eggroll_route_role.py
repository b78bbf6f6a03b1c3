"""The eggroll_route role run by ansible-playbook on this machine (connection local) on temporary files.

The lab scenario (extensions/molecule/eggroll_route) covers the service side; these cases cover the
role's inputs: what preflight refuses before touching anything, check mode, and a second run.
"""

import json
import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(ROOT, "tests", "unit", "fixtures", "route_table")
PLAYBOOK = """
- name: Apply the eggroll_route role
  hosts: localhost
  gather_facts: false
  roles:
    - role: fateflow.ha.eggroll_route
"""
PROPERTIES = "[eggroll]\neggroll.rollsite.coordinator=fate\neggroll.rollsite.host=127.0.0.1\neggroll.rollsite.port=9370\n"


def run_role(tmp_path, extra_vars, check=False):
    playbook = tmp_path / "play.yml"
    playbook.write_text(PLAYBOOK)
    variables = tmp_path / "vars.json"
    variables.write_text(json.dumps(extra_vars))
    command = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "localhost,", "-c", "local",
               "-e", "@%s" % variables, "-e", "ansible_python_interpreter=%s" % sys.executable, str(playbook)]
    if check:
        command.append("--check")
    # A configuration of its own: the checkout's ansible.cfg adds a callback that also writes to stdout.
    config = tmp_path / "ansible.cfg"
    config.write_text("[defaults]\n")
    env = dict(os.environ, ANSIBLE_CONFIG=str(config), ANSIBLE_STDOUT_CALLBACK="json",
               ANSIBLE_LOCALHOST_WARNING="false",
               ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".cache", "collections"))
    proc = subprocess.run(command, env=env, capture_output=True, text=True, cwd=str(tmp_path))
    assert proc.stdout.startswith("{"), proc.stdout + proc.stderr
    report = json.loads(proc.stdout)
    stats = report["stats"]["localhost"]
    messages = [task["hosts"]["localhost"].get("msg", "") for play in report["plays"] for task in play["tasks"]
                if task["hosts"].get("localhost", {}).get("failed")]
    return stats, messages


@pytest.fixture
def fate_home(tmp_path):
    conf = tmp_path / "fate" / "eggroll" / "conf"
    conf.mkdir(parents=True)
    shutil.copy(os.path.join(FIXTURES, "seed_before_ha.json"), conf / "route_table.json")
    (conf / "eggroll.properties").write_text(PROPERTIES)
    return tmp_path / "fate"


def full_vars(fate_home, **overrides):
    variables = {"eggroll_route_fate_home": str(fate_home), "party_id": "10000",
                 "party_nginx_host": "192.168.0.1", "eggroll_route_backup": False}
    variables.update(overrides)
    return variables


def test_full_node_check_mode_then_run_then_rerun(tmp_path, fate_home):
    table = fate_home / "eggroll" / "conf" / "route_table.json"
    before = table.read_bytes()
    stats, _ = run_role(tmp_path, full_vars(fate_home), check=True)
    assert stats["changed"] == 1 and stats["failures"] == 0
    assert table.read_bytes() == before
    stats, _ = run_role(tmp_path, full_vars(fate_home))
    assert stats["changed"] == 1 and stats["failures"] == 0
    assert json.loads(table.read_text())["route_table"]["10000"]["fateflow"] == [{"ip": "192.168.0.1", "port": 9999}]
    stats, _ = run_role(tmp_path, full_vars(fate_home))
    assert stats["changed"] == 0 and stats["failures"] == 0


def test_extra_node_properties_only_host_line(tmp_path, fate_home):
    properties = fate_home / "eggroll" / "conf" / "eggroll.properties"
    variables = {"eggroll_route_fate_home": str(fate_home), "eggroll_route_node": "extra_flow",
                 "party_rollsite_host": "192.168.0.1", "eggroll_route_stop_extra_rollsite": False,
                 "eggroll_route_backup": False}
    stats, _ = run_role(tmp_path, variables)
    assert stats["changed"] == 1 and stats["failures"] == 0
    assert properties.read_text() == PROPERTIES.replace("host=127.0.0.1", "host=192.168.0.1")
    assert run_role(tmp_path, variables)[0]["changed"] == 0


# (id, variables over the full node's, words of the failure message)
REFUSALS = [
    ("no-party", {"party_id": ""}, "Set party_id"),
    ("no-nginx", {"party_nginx_host": " "}, "party_nginx_host"),
    ("bad-port", {"party_nginx_grpc_port": 70000}, "1-65535"),
    ("wrong-layout-path", {"eggroll_route_layout": "osx"}, "No route table at"),
    ("osx-without-party", {"eggroll_route_layout": "osx", "eggroll_route_self_party": []}, "self_party"),
    ("unknown-node", {"eggroll_route_node": "half"}, "eggroll_route_node"),
    ("extra-without-rollsite", {"eggroll_route_node": "extra_flow"}, "party_rollsite_host"),
]


@pytest.mark.parametrize("overrides, words", [case[1:] for case in REFUSALS], ids=[case[0] for case in REFUSALS])
def test_preflight_refuses_before_any_change(tmp_path, fate_home, overrides, words):
    table = fate_home / "eggroll" / "conf" / "route_table.json"
    before = table.read_bytes()
    stats, messages = run_role(tmp_path, full_vars(fate_home, **overrides))
    assert stats["failures"] == 1 and stats["changed"] == 0
    assert any(words in message for message in messages), messages
    assert table.read_bytes() == before
