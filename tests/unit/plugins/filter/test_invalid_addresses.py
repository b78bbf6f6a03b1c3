"""The address check every role's preflight shares (fateflow.host with routable=true)."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.fateflow.ha.plugins.filter.invalid_addresses import invalid_addresses

# (id, variables, routable, names reported)
CASES = [
    ("all-good", {"a": "10.0.0.1", "b": "flow1.example", "c": "fd00::1", "d": "[fd00::2]"}, False, []),
    ("loopback-allowed-by-default", {"a": "127.0.0.1", "b": "localhost", "c": "::1"}, False, []),
    ("unspecified", {"a": "0.0.0.0", "b": "::"}, False, ["a=0.0.0.0", "b=::"]),
    ("empty", {"a": ""}, False, ["a="]),
    ("none", {"a": None}, False, ["a=None"]),
    ("space", {"a": "10.0.0.1 10.0.0.2"}, False, ["a=10.0.0.1 10.0.0.2"]),
    ("with-port", {"a": "10.0.0.1:9380"}, False, ["a=10.0.0.1:9380"]),
    ("url", {"a": "http://10.0.0.1"}, False, ["a=http://10.0.0.1"]),
    ("list", {"a": ["10.0.0.1"]}, False, ["a=['10.0.0.1']"]),
    ("routable-good", {"a": "10.200.0.11", "b": "flow1.example", "c": "fd00::6"}, True, []),
    ("routable-loopback", {"a": "127.0.0.1", "b": "127.0.1.2", "c": "::1", "d": "localhost", "e": "10.0.0.1"},
     True, ["a=127.0.0.1", "b=127.0.1.2", "c=::1", "d=localhost"]),
    ("routable-unspecified", {"a": "0.0.0.0", "b": "::"}, True, ["a=0.0.0.0", "b=::"]),
    ("order-kept", {"b": "", "a": "0.0.0.0"}, False, ["b=", "a=0.0.0.0"]),
]


@pytest.mark.parametrize("addresses, routable, expected", [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_invalid_addresses(addresses, routable, expected):
    assert invalid_addresses(addresses, routable=routable) == expected


def test_not_a_dictionary():
    with pytest.raises(AnsibleFilterError, match="dictionary"):
        invalid_addresses(["10.0.0.1"])
