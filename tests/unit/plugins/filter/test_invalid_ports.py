"""The port check every role's preflight shares."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.fateflow.ha.plugins.filter.invalid_ports import invalid_ports

# (id, variables, names reported)
CASES = [
    ("all-good", {"a_port": 1, "b_port": 65535, "c_port": "9380", "d_port": " 2181 "}, []),
    ("zero", {"a_port": 0}, ["a_port=0"]),
    ("too-high", {"a_port": 9380, "b_port": 70000}, ["b_port=70000"]),
    ("negative", {"a_port": -1}, ["a_port=-1"]),
    ("word", {"a_port": "http"}, ["a_port=http"]),
    ("mixed-text", {"a_port": "93a0"}, ["a_port=93a0"]),
    ("boolean", {"a_port": True}, ["a_port=True"]),
    ("empty", {"a_port": ""}, ["a_port="]),
    ("none", {"a_port": None}, ["a_port=None"]),
    ("order-kept", {"b_port": 0, "a_port": 0}, ["b_port=0", "a_port=0"]),
]


@pytest.mark.parametrize("ports, expected", [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_invalid_ports(ports, expected):
    assert invalid_ports(ports) == expected


def test_not_a_dictionary():
    with pytest.raises(AnsibleFilterError, match="dictionary"):
        invalid_ports([9380])
