"""host_port joins an address and a port by the rules of module_utils/endpoints.py."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.fateflow.ha.plugins.filter.host_port import host_port


@pytest.mark.parametrize("address, port, expected", [
    ("10.0.0.1", 2181, "10.0.0.1:2181"),
    ("10.0.0.1", "2181", "10.0.0.1:2181"),
    ("zk1.example.org", 2182, "zk1.example.org:2182"),
    ("fd00::1", 2181, "[fd00::1]:2181"),
    ("[fd00::1]", 2181, "[fd00::1]:2181"),
])
def test_joined(address, port, expected):
    assert host_port(address, port) == expected


@pytest.mark.parametrize("address, port", [
    ("", 2181), ("0.0.0.0", 2181), ("10.0.0.1:2181", 2181), ("a b", 2181),
    ("10.0.0.1", 0), ("10.0.0.1", 65536), ("10.0.0.1", "21x"), ("10.0.0.1", True),
])
def test_refused_with_the_value_named(address, port):
    with pytest.raises(AnsibleFilterError, match="host_port: "):
        host_port(address, port)
