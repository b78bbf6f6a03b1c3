"""No secret in any output: every module of the collection run by ansible-playbook with -vvv and
--diff, in valid, invalid and failing cases, with its secret options set to a marked value, and all
of the output searched for the mark.

Real services behind them: the test ZooKeeper (digest ACLs), a MariaDB whose user's password is
marked, a real file for fateflow_service_conf. zookeeper_status, fate_service and eggroll_route take
no secret option: a test checks that it stays so (a new secret option must join the plays here).
"""

import json
import os
import subprocess
import sys
import uuid

import pytest

from ansible_collections.fateflow.ha.tests.support.zookeeper_server import ZookeeperServer, free_port

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# Unique per run, and made of pieces no other output holds.
MARK = "Qz%sXv" % uuid.uuid4().hex[:12]
SECRET = "pw-" + MARK
CREDENTIAL = "fate:" + SECRET

ZOOKEEPER_PLAY = """
- name: ZooKeeper modules with a marked credential
  hosts: localhost
  gather_facts: false
  vars_files: [secrets.yml]
  module_defaults:
    group/fateflow.ha.zookeeper:
      hosts: ["{{ zookeeper_hosts }}"]
      auth_credential: "{{ credential }}"
      timeout: 5
  tasks:
    - name: Valid, creates a node only the marked credential may use
      fateflow.ha.zk_acl:
        name: /secret-test/flow
        value: data
        acls: [{scheme: digest, username: fate, password: "{{ secret }}", perms: all}]
    - name: Valid, again (unchanged)
      fateflow.ha.zk_acl:
        name: /secret-test/flow
        value: data
        acls: [{scheme: digest, username: fate, password: "{{ secret }}", perms: all}]
    - name: Valid, a change in check mode
      fateflow.ha.zk_acl:
        name: /secret-test/flow
        value: other
        acls: [{scheme: digest, username: fate, password: "{{ secret }}", perms: rw}]
        recursive: true
      check_mode: true
    - name: Invalid, permission letters
      fateflow.ha.zk_acl:
        name: /secret-test/flow
        acls: [{scheme: digest, username: fate, password: "{{ secret }}", perms: rwx}]
      ignore_errors: true
    - name: Invalid, a password with a NUL
      fateflow.ha.zk_acl:
        name: /secret-test/flow
        acls: [{scheme: digest, username: fate, password: "{{ secret }}\\u0000", perms: all}]
      ignore_errors: true
    - name: Invalid, a digest credential without a colon
      fateflow.ha.zk_acl:
        name: /secret-test/flow
        auth_credential: "{{ secret }}"
      ignore_errors: true
    - name: Invalid, a credential with a line break
      fateflow.ha.fateflow_registry_info:
        auth_credential: "fate:{{ secret }}\\nx"
      ignore_errors: true
    - name: Failing, the wrong credential on the protected node
      fateflow.ha.zk_acl:
        name: /secret-test/flow
        value: x
        auth_credential: "fate:{{ secret }}-wrong"
      ignore_errors: true
    - name: Failing, a subtree removal refused part-way
      fateflow.ha.zk_acl:
        name: /secret-test
        state: absent
        recursive: true
        auth_credential: "other:{{ secret }}"
      ignore_errors: true
    - name: Failing, nothing listening
      fateflow.ha.zk_acl:
        hosts: ["127.0.0.1:{{ closed_port }}"]
        name: /secret-test
        timeout: 1
      ignore_errors: true
    - name: Valid, the registry read with the credential
      fateflow.ha.fateflow_registry_info:
        path: /secret-test
    - name: Invalid, a relative path
      fateflow.ha.fateflow_registry_info:
        path: secret-test
      ignore_errors: true
    - name: Valid, a node report with the marked MySQL password
      fateflow.ha.fateflow_node:
        host: 127.0.0.1
        http_port: "{{ closed_port }}"
        wait: false
        database_host: 127.0.0.1
        database_port: "{{ mysql_port }}"
        database_user: fate
        database_password: "{{ secret }}"
        database_name: fate_flow
    - name: Valid, a node report with the wrong MySQL password
      fateflow.ha.fateflow_node:
        host: 127.0.0.1
        http_port: "{{ closed_port }}"
        wait: false
        database_host: 127.0.0.1
        database_port: "{{ mysql_port }}"
        database_user: fate
        database_password: "{{ secret }}-wrong"
    - name: Failing, a node that does not come up, with the MySQL login
      fateflow.ha.fateflow_node:
        host: 127.0.0.1
        http_port: "{{ closed_port }}"
        wait_timeout: 1
        database_host: 127.0.0.1
        database_port: "{{ mysql_port }}"
        database_user: fate
        database_password: "{{ secret }}-wrong"
      ignore_errors: true
    - name: Invalid, a port out of range beside the password
      fateflow.ha.fateflow_node:
        host: 127.0.0.1
        http_port: 0
        database_host: 127.0.0.1
        database_user: fate
        database_password: "{{ secret }}"
      ignore_errors: true
    - name: Invalid, a password with a NUL
      fateflow.ha.fateflow_node:
        host: 127.0.0.1
        database_host: 127.0.0.1
        database_user: fate
        database_password: "{{ secret }}\\u0000"
      ignore_errors: true
    - name: Valid, the stale registration cleared
      fateflow.ha.fateflow_node:
        state: unregistered
        host: 10.0.0.9
"""

CONF_PLAY = """
- name: fateflow_service_conf with marked passwords
  hosts: localhost
  gather_facts: false
  vars_files: [secrets.yml]
  tasks:
    - name: Valid, a new 2.x file
      fateflow.ha.fateflow_service_conf:
        path: "{{ workdir }}/service_conf.yaml"
        create: true
        flow_version: 2.2.0
        host: 10.0.0.2
        http_port: 9380
        grpc_port: 9360
        zookeeper_hosts: [10.0.0.1:2181]
        zookeeper_use_acl: true
        zookeeper_user: fate
        zookeeper_password: "{{ secret }}"
        database: {name: fate_flow, user: fate, password: "{{ secret }}", host: 10.0.0.1}
    - name: Valid, the passwords changed (diff)
      fateflow.ha.fateflow_service_conf:
        path: "{{ workdir }}/service_conf.yaml"
        zookeeper_user: fate
        zookeeper_password: "{{ secret }}-2"
        database: {name: fate_flow, user: fate, password: "{{ secret }}-2", host: 10.0.0.1}
    - name: Invalid, a port out of range beside the password
      fateflow.ha.fateflow_service_conf:
        path: "{{ workdir }}/service_conf.yaml"
        database: {name: fate_flow, user: fate, password: "{{ secret }}", host: 10.0.0.1, port: 0}
      ignore_errors: true
    - name: Failing, no such file
      fateflow.ha.fateflow_service_conf:
        path: "{{ workdir }}/missing/service_conf.yaml"
        zookeeper_user: fate
        zookeeper_password: "{{ secret }}"
      ignore_errors: true
"""

BROKEN_CONF_PLAY = """
- name: fateflow_service_conf on a file whose YAML is broken next to a password
  hosts: localhost
  gather_facts: false
  vars_files: [secrets.yml]
  tasks:
    - name: Failing, a duplicate key in the file
      fateflow.ha.fateflow_service_conf:
        path: "{{ workdir }}/broken.yaml"
        flow_version: 2.2.0
        zookeeper_user: fate
        zookeeper_password: other
      ignore_errors: true
"""

SETTINGS_PLAY = """
- name: fateflow_service_conf given secrets in settings and in FATE 1.x's private_key
  hosts: localhost
  gather_facts: false
  vars_files: [secrets.yml]
  tasks:
    - name: Valid, a password given in settings
      fateflow.ha.fateflow_service_conf:
        path: "{{ workdir }}/service_conf.yaml"
        create: true
        flow_version: 2.2.0
        settings: {database: {mysql: {passwd: "{{ secret }}"}}}
    - name: Valid, a 1.x file with a private key
      fateflow.ha.fateflow_service_conf:
        path: "{{ workdir }}/service_conf_1.yaml"
        create: true
        flow_version: 1.11.4
        settings: {fateflow: {private_key: "{{ secret }}"}}
"""

BROKEN_CONF = """database:
  name: fate_flow
  passwd: %s
  passwd: again-%s
""" % (SECRET, SECRET)


@pytest.fixture(scope="module")
def zookeeper():
    server = ZookeeperServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def mariadb():
    from ansible_collections.fateflow.ha.tests.support.mariadb_server import MariadbServer
    server = MariadbServer()
    server.password = SECRET
    server.start()
    try:
        yield server
    finally:
        server.stop()


def play(tmp_path, text, **variables):
    """Run the play with -vvv and --diff; its whole output (stdout and stderr) and return code."""
    (tmp_path / "play.yml").write_text(text)
    (tmp_path / "secrets.yml").write_text(json.dumps({"secret": SECRET, "credential": CREDENTIAL}))
    extra = dict(variables, workdir=str(tmp_path), closed_port=free_port(), ansible_python_interpreter=sys.executable)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".cache", "collections"),
               ANSIBLE_STDOUT_CALLBACK="ansible.builtin.default", ANSIBLE_NOCOLOR="1",
               ANSIBLE_RETRY_FILES_ENABLED="0", ANSIBLE_LOCALHOST_WARNING="0")
    proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-vvv", "--diff",
                           "-i", "localhost,", "-c", "local", "-e", json.dumps(extra), str(tmp_path / "play.yml")],
                          capture_output=True, text=True, env=env, cwd=str(tmp_path), timeout=300, check=False)
    return proc.stdout + proc.stderr, proc.returncode


def assert_no_mark(output):
    lines = [line for line in output.splitlines() if MARK in line]
    assert not lines, "the secret appears in %d lines, first: %s" % (len(lines), lines[0][:300])


def assert_ran(output, returncode, tasks):
    assert returncode == 0, output[-3000:]
    assert output.count("TASK [") == tasks, "not every task ran"


def test_zookeeper_modules_and_fateflow_node(tmp_path, zookeeper, mariadb):
    output, returncode = play(tmp_path, ZOOKEEPER_PLAY, zookeeper_hosts=zookeeper.hosts, mysql_port=mariadb.port)
    assert_ran(output, returncode, ZOOKEEPER_PLAY.count("- name: ") - 1)
    assert "logged in to MySQL at 127.0.0.1:%d as fate (database fate_flow)" % mariadb.port in output
    assert "Access denied for user 'fate'" in output
    assert_no_mark(output)


def test_fateflow_service_conf(tmp_path):
    output, returncode = play(tmp_path, CONF_PLAY)
    assert_ran(output, returncode, CONF_PLAY.count("- name: ") - 1)
    assert_no_mark(output)


def test_fateflow_service_conf_broken_file(tmp_path):
    (tmp_path / "broken.yaml").write_text(BROKEN_CONF)
    output, returncode = play(tmp_path, BROKEN_CONF_PLAY)
    assert_ran(output, returncode, 1)
    assert_no_mark(output)


def test_fateflow_service_conf_secrets_in_settings(tmp_path):
    output, returncode = play(tmp_path, SETTINGS_PLAY)
    assert_ran(output, returncode, 2)
    assert_no_mark(output)


@pytest.mark.parametrize("name", ["zookeeper_status", "fate_service", "eggroll_route"])
def test_modules_without_secret_options(name):
    # They take no secret, so the plays above have nothing to mark for them; a secret option added
    # to one of them must be added to a play here.
    import importlib
    module = importlib.import_module("ansible_collections.fateflow.ha.plugins.modules.%s" % name)
    source = open(module.__file__).read()
    assert "no_log=True" not in source
    for word in ("password", "credential", "private_key", "secret", "token"):
        assert word not in source.split('DOCUMENTATION = r"""')[1].split('"""')[0].lower(), word
