"""The connection options set once, with module_defaults for group/fateflow.ha.zookeeper, reach every
module of the group: a real play by ansible-playbook against the real test ZooKeeper.

On ansible-core 2.19 the group's value may be a template of a whole dictionary (play or block
level) or a dictionary of templated values; module_defaults itself may not be one template.
"""

import json
import os
import subprocess
import sys
from urllib.parse import quote

import pytest
from kazoo.client import KazooClient
from kazoo.security import make_digest_acl

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
USER, PASSWORD = "fate", "fate_zk_pass"
ZNODE = "/FATE-COMPONENTS/fate-flow/" + quote("10.0.0.2:9360", safe="")

PLAYBOOK = """
- name: Connection options for the whole play, from one templated dictionary
  hosts: localhost
  gather_facts: false
  vars:
    zookeeper_connection:
      hosts: "{{ zookeeper_hosts }}"
      auth_credential: "{{ (fate_user ~ ':' ~ fate_password) if use_acl else '' }}"
      timeout: 5
  module_defaults:
    group/fateflow.ha.zookeeper: "{{ zookeeper_connection }}"
  tasks:
    - name: Read the registrations with the defaults
      fateflow.ha.fateflow_registry_info:
      register: registry

    - name: Clear the node's registration, in check mode
      fateflow.ha.fateflow_node:
        state: unregistered
        host: 10.0.0.2
      check_mode: true
      register: unregistered

    - name: Both modules used the play's connection and credential
      ansible.builtin.assert:
        that:
          - registry.registrations | map(attribute='host') | list == ['10.0.0.2']
          - unregistered is changed
          - unregistered.znode == znode

- name: Connection options for a block, one templated value per key, anonymous by an empty credential
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Anonymous session
      module_defaults:
        group/fateflow.ha.zookeeper:
          hosts: "{{ zookeeper_hosts }}"
          auth_credential: "{{ '' }}"
          timeout: "{{ 2 + 3 }}"
      block:
        - name: Report the node without waiting
          fateflow.ha.fateflow_node:
            host: 10.0.0.2
            http_port: 1
            wait: false
          register: report

        - name: The anonymous session may not read FATE's znode, and the report says so
          ansible.builtin.assert:
            that:
              - not report.healthy
              - not report.registered
              - "'Not allowed to read ' ~ znode in report.reason"
"""


@pytest.fixture
def fate_registration(zookeeper):
    client = KazooClient(hosts=zookeeper.hosts, default_acl=[make_digest_acl(USER, PASSWORD, all=True)],
                         auth_data=[("digest", "%s:%s" % (USER, PASSWORD))])
    client.start(timeout=10)
    data = {"instance_id": "flow-10.0.0.2-9380", "host": "10.0.0.2", "grpc_port": 9360, "http_port": 9380}
    client.create(ZNODE, json.dumps(data).encode(), ephemeral=True, makepath=True)
    yield client
    client.stop()
    client.close()


def test_module_defaults_through_the_group(tmp_path, zookeeper, fate_registration):
    (tmp_path / "play.yml").write_text(PLAYBOOK)
    extra = {"zookeeper_hosts": [zookeeper.hosts], "fate_user": USER, "fate_password": PASSWORD,
             "use_acl": True, "znode": ZNODE, "ansible_python_interpreter": sys.executable}
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".cache", "collections"),
               ANSIBLE_STDOUT_CALLBACK="ansible.builtin.default", ANSIBLE_NOCOLOR="1",
               ANSIBLE_RETRY_FILES_ENABLED="0", ANSIBLE_LOCALHOST_WARNING="0")
    proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"),
                           "-i", "localhost,", "-c", "local", "-e", json.dumps(extra), str(tmp_path / "play.yml")],
                          capture_output=True, text=True, env=env, cwd=str(tmp_path), timeout=120)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert "failed=0" in output
    assert fate_registration.exists(ZNODE), "check mode deleted nothing"
