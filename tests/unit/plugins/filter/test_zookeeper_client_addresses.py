"""The zookeeper_client_addresses filter."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.fateflow.ha.plugins.filter.zookeeper_client_addresses import zookeeper_client_addresses

HOSTVARS = {
    "zk1": {"ansible_host": "10.0.0.1"},
    "zk2": {"ansible_host": "10.0.0.2", "party_zookeeper_client_port": 2281},
    "zk3": {"ansible_host": "10.0.0.3", "zookeeper_client_address": "zk3.example.org"},
    "zk4": {},
    "zk5": {"zookeeper_listen_address": "fd00::5"},
}


@pytest.mark.parametrize("members, port, expected", [
    (["zk1"], 2181, ["10.0.0.1:2181"]),
    (["zk1", "zk2", "zk3"], 2181, ["10.0.0.1:2181", "10.0.0.2:2281", "zk3.example.org:2181"]),
    (["zk4"], 2181, ["zk4:2181"]),
    (["zk1", "zk4"], 3000, ["10.0.0.1:3000", "zk4:3000"]),
    (["zk5"], 2181, ["[fd00::5]:2181"]),
    ("zk1", 2181, ["10.0.0.1:2181"]),
])
def test_addresses(members, port, expected):
    assert zookeeper_client_addresses(members, HOSTVARS, port) == expected


def test_unknown_host():
    with pytest.raises(AnsibleFilterError, match="zk9"):
        zookeeper_client_addresses(["zk9"], HOSTVARS)
