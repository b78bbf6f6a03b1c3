"""Cases for the nginx_upstream_members filter: inventory hosts -> nginx upstream members."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.fateflow.ha.plugins.filter.nginx_upstream_members import (
    FilterModule,
    nginx_upstream_members,
)

ADDR_VARS = ["nginx_fateflow_node_address", "ansible_host"]
PORT_VARS = ["nginx_fateflow_node_http_port"]

HOSTVARS = {
    "flow1": {"ansible_host": "192.168.0.1"},
    "flow2": {"ansible_host": "192.168.0.2", "nginx_fateflow_node_http_port": "19380"},
    "flow3": {"ansible_host": "10.0.0.3", "nginx_fateflow_node_address": "192.168.0.3"},
    "v6": {"ansible_host": "fe80::1"},
    "named": {},
    "empty": {"ansible_host": "", "nginx_fateflow_node_address": None},
}


@pytest.mark.parametrize(
    "hosts, drained, expected",
    [
        (["flow1"], [], [("flow1", "192.168.0.1", 9380, False)]),
        (["flow2"], [], [("flow2", "192.168.0.2", 19380, False)]),
        (["flow3"], [], [("flow3", "192.168.0.3", 9380, False)]),
        (["v6"], [], [("v6", "[fe80::1]", 9380, False)]),
        (["named"], [], [("named", "named", 9380, False)]),
        (["empty"], [], [("empty", "empty", 9380, False)]),
        (["flow1", "flow2"], ["flow2"],
         [("flow1", "192.168.0.1", 9380, False), ("flow2", "192.168.0.2", 19380, True)]),
        ([], [], []),
    ],
)
def test_members(hosts, drained, expected):
    got = nginx_upstream_members(hosts, HOSTVARS, ADDR_VARS, PORT_VARS, 9380, drained)
    assert [(m["host"], m["address"], m["port"], m["down"]) for m in got] == expected


@pytest.mark.parametrize(
    "hosts, hostvars, drained, default_port, message",
    [
        (["flow1"], HOSTVARS, ["flow9"], 9380, "drained host(s) flow9 are not among"),
        (["a"], {"a": {"ansible_host": "1.2.3.4", "nginx_fateflow_node_http_port": "http"}}, [], 9380,
         "not a TCP port"),
        (["a"], {"a": {"ansible_host": "1.2.3.4", "nginx_fateflow_node_http_port": 70000}}, [], 9380,
         "not a TCP port"),
        (["a"], {"a": {"ansible_host": "1.2.3.4"}}, [], 0, "not a TCP port"),
        (["a"], {"a": {"ansible_host": "0.0.0.0"}}, [], 9380, "cannot be connected to"),
        (["a"], {"a": {"ansible_host": "x; y"}}, [], 9380, "not a host name or IP address"),
        (["a"], {"a": {"ansible_host": "bad}"}}, [], 9380, "not a host name or IP address"),
        (["a", "b"], {"a": {"ansible_host": "1.2.3.4"}, "b": {"ansible_host": "1.2.3.4"}}, [], 9380,
         "both point at 1.2.3.4:9380"),
        (["a"], {"a": {}}, [], None, "no default port"),
        ("flow1", HOSTVARS, [], 9380, "expects a list of host names"),
    ],
)
def test_errors(hosts, hostvars, drained, default_port, message):
    with pytest.raises(AnsibleFilterError, match=message.replace("(", r"\(").replace(")", r"\)")):
        nginx_upstream_members(hosts, hostvars, ADDR_VARS, PORT_VARS, default_port, drained)


def test_same_address_other_port_is_allowed():
    hostvars = {"a": {"ansible_host": "1.2.3.4"}, "b": {"ansible_host": "1.2.3.4", "nginx_fateflow_node_http_port": 9381}}
    got = nginx_upstream_members(["a", "b"], hostvars, ADDR_VARS, PORT_VARS, 9380)
    assert [m["port"] for m in got] == [9380, 9381]


def test_registered():
    assert FilterModule().filters()["nginx_upstream_members"] is nginx_upstream_members


def test_role_default_variable_order():
    """The role's default lists: its own override first, then the fateflow_ha role's names."""
    import os
    import yaml

    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
    with open(os.path.join(root, "roles", "nginx", "defaults", "main.yml"), encoding="utf-8") as handle:
        defaults = yaml.safe_load(handle)
    hostvars = {"f": {"ansible_host": "10.0.0.9", "fateflow_ha_host": "10.0.1.9", "party_flow_grpc_port": 19360}}
    grpc = nginx_upstream_members(["f"], hostvars, defaults["nginx_fateflow_backend_address_vars"],
                                  defaults["nginx_fateflow_backend_grpc_port_vars"], 9360)
    assert (grpc[0]["address"], grpc[0]["port"]) == ("10.0.1.9", 19360)
    hostvars["f"]["nginx_fateflow_node_address"] = "10.0.2.9"
    grpc = nginx_upstream_members(["f"], hostvars, defaults["nginx_fateflow_backend_address_vars"],
                                  defaults["nginx_fateflow_backend_grpc_port_vars"], 9360)
    assert grpc[0]["address"] == "10.0.2.9"
