"""Unit tests of the fateflow.ha route and upstream filters."""

import json
import os
import subprocess
import sys

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.fateflow.ha.plugins.filter import routes

HOSTVARS = {
    "flow1": {"fateflow_host": "192.168.0.1", "ansible_host": "10.0.0.1"},
    "flow2": {"ansible_host": "10.0.0.2", "fateflow_http_port": "9390", "fateflow_grpc_port": 9370},
    "flow3": {},
    "flow6": {"fateflow_host": "fd00::6"},
    "clash": {"fateflow_host": "192.168.0.1"},
    "zk1": {"ansible_host": "10.0.1.1"},
    "zk2": {"ansible_host": "10.0.1.2", "party_zookeeper_client_port": 2182},
    "badport": {"fateflow_http_port": "http"},
}


@pytest.mark.parametrize("party, host, port, secure, expected", [
    ("10000", "192.168.0.1", 9999, None,
     {"party": "10000", "service": "fateflow", "ip": "192.168.0.1", "port": 9999}),
    (10000, "nginx.party", "9999", None,
     {"party": "10000", "service": "fateflow", "ip": "nginx.party", "port": 9999}),
    ("default", "10.0.0.1", 9360, "true",
     {"party": "default", "service": "fateflow", "ip": "10.0.0.1", "port": 9360, "is_secure": True}),
    # rollsite takes the bare IPv6 address.
    ("10000", "[fd00::5]", " 9370 ", None,
     {"party": "10000", "service": "fateflow", "ip": "fd00::5", "port": 9370}),
])
def test_fateflow_route(party, host, port, secure, expected):
    assert routes.fateflow_route(party, host, port, secure) == expected


@pytest.mark.parametrize("party, host, port, words", [
    ("10000", "", 9999, "ip must be"),
    ("", "h", 9999, "party must be"),
    ("10000", "h", 0, "port must be an integer 1-65535"),
    ("10000", "h", "grpc", "port must be an integer 1-65535"),
    ("10000", "h", "1_000", "port must be an integer 1-65535"),
    ("10000", "h", 9999.0, "port must be an integer 1-65535"),
    ("10000", "0.0.0.0", 9999, "ip must be an address rollsite can connect to"),
    ("10000", "h:9370", 9999, "ip must be an address rollsite can connect to"),
])
def test_fateflow_route_refuses(party, host, port, words):
    with pytest.raises(AnsibleFilterError) as error:
        routes.fateflow_route(party, host, port)
    assert words in str(error.value)
    assert str(error.value).startswith("fateflow_route: ")


def test_filters_are_registered():
    assert set(routes.FilterModule().filters()) == {"fateflow_route"}


def test_filters_through_ansible(tmp_path):
    """The filters load by FQCN in a real play, with an inventory's hostvars."""
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(json.dumps({"all": {"children": {
        "fateflow": {"hosts": {"f1": {"ansible_host": "10.1.0.1"},
                               "f2": {"ansible_host": "10.1.0.2", "fateflow_grpc_port": 9361}}},
        "zookeeper": {"hosts": {"z1": {"ansible_host": "10.1.0.3"}}}}}}))
    playbook = tmp_path / "play.yml"
    playbook.write_text(
        "- hosts: localhost\n  gather_facts: false\n  tasks:\n"
        "    - ansible.builtin.debug:\n        msg: \"{{ {'up': groups['fateflow'] | fateflow.ha.nginx_upstream_members("
        "hostvars, port_vars=['fateflow_grpc_port'], default_port=9360) | map(attribute='port') | list, "
        "'zk': groups['zookeeper'] | "
        "fateflow.ha.zookeeper_client_addresses(hostvars), 'route': '10000' | fateflow.ha.fateflow_route('10.1.0.9', '9999')}"
        " | to_json }}\"\n")
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
    # A configuration of its own: the checkout's ansible.cfg adds a callback that also writes to stdout.
    config = tmp_path / "ansible.cfg"
    config.write_text("[defaults]\n")
    env = dict(os.environ, ANSIBLE_CONFIG=str(config), ANSIBLE_STDOUT_CALLBACK="json",
               ANSIBLE_LOCALHOST_WARNING="false",
               ANSIBLE_COLLECTIONS_PATH=os.path.join(root, ".cache", "collections"))
    proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", str(inventory),
                           str(playbook)], env=env, capture_output=True, text=True, cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    msg = json.loads(json.loads(proc.stdout)["plays"][0]["tasks"][0]["hosts"]["localhost"]["msg"])
    assert msg == {"up": [9360, 9361], "zk": ["10.1.0.3:2181"],
                   "route": {"party": "10000", "service": "fateflow", "ip": "10.1.0.9", "port": 9999}}
