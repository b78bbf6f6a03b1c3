"""Every filter and the test plugin given values of the wrong type or form: a message naming the
input, never a Python exception of another kind."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.fateflow.ha.plugins.filter.fateflow_health_request import fateflow_health_request
from ansible_collections.fateflow.ha.plugins.filter.host_port import host_port
from ansible_collections.fateflow.ha.plugins.filter.invalid_addresses import invalid_addresses
from ansible_collections.fateflow.ha.plugins.filter.invalid_ports import invalid_ports
from ansible_collections.fateflow.ha.plugins.filter.nginx_upstream_members import nginx_upstream_members
from ansible_collections.fateflow.ha.plugins.filter.zookeeper_client_addresses import zookeeper_client_addresses
from ansible_collections.fateflow.ha.plugins.test.default_password import default_password

HOSTVARS = {"zk1": {"ansible_host": "10.0.0.1"}, "odd": ["not", "a", "dict"]}


@pytest.mark.parametrize("call, words", [
    (lambda: zookeeper_client_addresses(5, HOSTVARS), "must be a list of names, not int"),
    (lambda: zookeeper_client_addresses([{"a": 1}], HOSTVARS), r"\[0\] must be a name"),
    (lambda: zookeeper_client_addresses(["odd"], HOSTVARS), "host variables of odd are not a dictionary"),
    (lambda: zookeeper_client_addresses(["zk1"], HOSTVARS, port=True), "not a TCP port"),
    (lambda: zookeeper_client_addresses(["zk1"], {"zk1": {"ansible_host": "10.0.0.256"}}), "not a host name"),
    (lambda: nginx_upstream_members(["zk1"], HOSTVARS, default_port=9380, drained="zk1x"), "not among"),
    (lambda: nginx_upstream_members(["zk1"], HOSTVARS, default_port=9380, drained=[["zk1"]]), r"drained\[0\]"),
    (lambda: nginx_upstream_members([["zk1"]], HOSTVARS, default_port=9380), r"\[0\] must be a name"),
    (lambda: nginx_upstream_members(["odd"], HOSTVARS, default_port=9380), "not a dictionary"),
    (lambda: nginx_upstream_members(["zk1"], HOSTVARS, default_port="x"), "not a TCP port"),
    (lambda: nginx_upstream_members(["zk1"], HOSTVARS, address_vars=5, default_port=9380), "address_vars must be"),
    (lambda: host_port(None, 80), "not a host name"),
    (lambda: host_port(["10.0.0.1"], 80), "not a host name"),
    (lambda: host_port("10.0.0.1", "80\x00"), "not a TCP port"),
    (lambda: host_port("a\x00b", 80), "not a host name"),
    (lambda: fateflow_health_request("banana"), "must be a FATE Flow version"),
    (lambda: fateflow_health_request("3.0.0"), "must be a FATE Flow version"),
    (lambda: fateflow_health_request(None), "must be a FATE Flow version"),
    (lambda: invalid_ports(["x"]), "takes a dictionary"),
    (lambda: invalid_addresses("x" * 1000), "takes a dictionary"),
])
def test_refused_with_a_message(call, words):
    with pytest.raises(AnsibleFilterError, match=words) as raised:
        call()
    assert len(str(raised.value)) < 400


def test_health_request_versions():
    assert fateflow_health_request("v1.11.4") == {"method": "POST", "path": "/v1/version/get"}
    assert fateflow_health_request(2) == {"method": "GET", "path": "/v2/server/fateflow"}


@pytest.mark.parametrize("ports, refused", [
    ({"a": True, "b": "80", "c": 80.0, "d": [80], "e": None, "f": "\u0663"}, ["a=True", "c=80.0", "d=[80]", "e=None", "f=\u0663"]),
])
def test_invalid_ports_odd_values(ports, refused):
    assert invalid_ports(ports) == refused


def test_invalid_addresses_odd_values():
    found = invalid_addresses({"a": 10, "b": "10.0.0.256", "c": "flow\x00", "d": "flow-1.lab", "e": ["x"]})
    assert [entry.split("=")[0] for entry in found] == ["a", "b", "c", "e"]


@pytest.mark.parametrize("value, published", [
    ("fate", True), (" FATE ", True), ("\uff26\uff21\uff34\uff25", True), ("fa\u200bte", True),
    ("fate_deV2999", True), ("fate1", False), (None, False), (b"fate", True), (12, False), ({"a": 1}, False),
    ("\udcff", False),
])
def test_default_password_variants(value, published):
    assert default_password(value) is published
