"""Published default passwords refused by the roles' preflights, unless the role's opt-in is set.

The preflights run for real (ansible-playbook, local-connection hosts, only tasks_from: preflight,
so nothing is installed); each refusal must name the variable and never print the password.
"""

import os
import subprocess
import sys

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PLAYBOOK = """
- name: Preflight of {role}
  hosts: {group}
  gather_facts: false
  tasks:
    - name: Run the preflight only
      ansible.builtin.include_role:
        name: fateflow.ha.{role}
        tasks_from: preflight
"""
LOCAL = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
ROLES = {
    "zookeeper": {
        "group": "zookeeper",
        "vars": {"party_zookeeper_password": "Own-zk-31c9"},
        "opt_in": "zookeeper_allow_default_passwords",
    },
    "fateflow_ha": {
        "group": "fateflow",
        "vars": {"fateflow_ha_install": False, "party_id": "9999", "fateflow_ha_db_manage": False,
                 "party_zookeeper_hosts": ["127.0.0.1:1"], "party_mysql_host": "127.0.0.1", "party_mysql_port": 1,
                 "party_zookeeper_password": "Own-zk-31c9", "fateflow_ha_db_password": "Own-db-52a7"},
        "opt_in": "fateflow_ha_allow_default_passwords",
    },
    "rabbitmq": {
        "group": "rabbitmq",
        "vars": {"party_rabbitmq_password": "Own-mq-83d1"},
        "opt_in": "rabbitmq_allow_default_passwords",
    },
}


def assert_passwords_accepted(role, rc, output):
    """The password check passed: no refusal, and (fateflow_ha) the run went on to probe
    ZooKeeper, which the test's closed port then fails."""
    assert "that FATE's own samples publish" not in output, output
    if role == "fateflow_ha":
        assert "Read FATE's registry from this node" in output, output
        assert rc == 0 or "ZooKeeper is unreachable" in output, output
    else:
        assert rc == 0, output


def run_preflight(tmp_path, role, overrides):
    spec = ROLES[role]
    # The full node's existing service_conf.yaml, which the preflight merges in check mode.
    service_conf = tmp_path / "service_conf.yaml"
    service_conf.write_text("use_registry: false\n")
    host = dict(LOCAL, ansible_host="10.9.0.1", zookeeper_data_dir=str(tmp_path / "zk"),
                fateflow_ha_service_conf_path=str(service_conf))
    inventory = {spec["group"]: {"hosts": {"node1": host}, "vars": dict(spec["vars"], **overrides)}}
    (tmp_path / "inventory.yml").write_text(yaml.safe_dump(inventory))
    (tmp_path / "play.yml").write_text(PLAYBOOK.format(role=role, group=spec["group"]))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".cache", "collections"),
               ANSIBLE_STDOUT_CALLBACK="ansible.builtin.default", ANSIBLE_NOCOLOR="1",
               ANSIBLE_RETRY_FILES_ENABLED="0", ANSIBLE_LOCALHOST_WARNING="0")
    proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-v",
                           "-i", str(tmp_path / "inventory.yml"), str(tmp_path / "play.yml")],
                          capture_output=True, text=True, env=env, cwd=str(tmp_path), timeout=120)
    return proc.returncode, proc.stdout + proc.stderr


REFUSED = [
    ("zookeeper", "party_zookeeper_password", "fate", "party_zookeeper_password is a password that FATE"),
    ("zookeeper", "party_zookeeper_password", "fate_dev", "zookeeper_allow_default_passwords"),
    ("fateflow_ha", "party_zookeeper_password", "fate", "party_zookeeper_password is a password"),
    ("fateflow_ha", "fateflow_ha_db_password", "fate_deV2999", "fateflow_ha_db_password is a password"),
    ("fateflow_ha", "fateflow_ha_db_password", "FATE_DEV2023", "fateflow_ha_allow_default_passwords"),
    ("fateflow_ha", "fateflow_ha_db_login_password", "fate_dev", "fateflow_ha_db_login_password is a password"),
    ("rabbitmq", "party_rabbitmq_password", "guest", "party_rabbitmq_password is a password that FATE's or RabbitMQ's"),
    ("rabbitmq", "party_rabbitmq_password", "fate", "rabbitmq_allow_default_passwords"),
]


@pytest.mark.parametrize("role, variable, password, words", REFUSED)
def test_default_password_refused(tmp_path, role, variable, password, words):
    rc, output = run_preflight(tmp_path, role, {variable: password})
    assert rc != 0, output
    assert words in output, output
    # The message names the variable, never the password (the bare word "fate" is in every
    # path and sentence, so only the longer ones can be looked for).
    if len(password) > 4:
        assert password.lower() not in output.lower(), output


def test_every_default_variable_named_at_once(tmp_path):
    rc, output = run_preflight(tmp_path, "fateflow_ha", {"party_zookeeper_password": "fate",
                                                         "fateflow_ha_db_password": "fate_deV2999"})
    assert rc != 0
    assert "party_zookeeper_password and fateflow_ha_db_password are passwords" in output, output


@pytest.mark.parametrize("role, overrides", [
    ("zookeeper", {"party_zookeeper_password": "fate"}),
    ("fateflow_ha", {"party_zookeeper_password": "fate", "fateflow_ha_db_password": "fate_deV2999",
                     "fateflow_ha_db_login_password": "fate_dev"}),
    ("rabbitmq", {"party_rabbitmq_password": "guest"}),
])
def test_default_passwords_accepted_when_opted_in(tmp_path, role, overrides):
    rc, output = run_preflight(tmp_path, role, dict(overrides, **{ROLES[role]["opt_in"]: True}))
    assert_passwords_accepted(role, rc, output)


def test_zookeeper_password_unused_without_acl(tmp_path):
    # FATE Flow sends no ZooKeeper password when use_acl is off: nothing to refuse.
    rc, output = run_preflight(tmp_path, "fateflow_ha", {"party_zookeeper_use_acl": False,
                                                         "party_zookeeper_password": "fate"})
    assert_passwords_accepted("fateflow_ha", rc, output)


@pytest.mark.parametrize("role", sorted(ROLES))
def test_own_passwords_pass(tmp_path, role):
    rc, output = run_preflight(tmp_path, role, {})
    assert_passwords_accepted(role, rc, output)
