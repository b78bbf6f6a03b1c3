"""Decoding of FATE Flow registrations (the children of /FATE-COMPONENTS/fate-flow)."""

import json

import pytest

from ansible_collections.fateflow.ha.plugins.modules import fateflow_registry_info as registry
from ansible_collections.fateflow.ha.tests.support.module_runner import run_module

FLOW_2 = json.dumps({"instance_id": "flow-10.0.0.2-9380", "timestamp": 1764400000000, "version": "2.2.0",
                     "host": "10.0.0.2", "grpc_port": 9360, "http_port": 9380}).encode()


@pytest.mark.parametrize("znode, data, ephemeral, expected", [
    ("10.0.0.2%3A9360", FLOW_2, 72057594037927936,
     {"host": "10.0.0.2", "grpc_port": 9360, "http_port": 9380, "version": "2.2.0",
      "instance_id": "flow-10.0.0.2-9380", "timestamp": 1764400000000, "ephemeral": True}),
    # Data that is not JSON: what the node's name says is still worth reporting.
    ("10.0.0.3%3A9360", b"garbage", 0,
     {"host": "10.0.0.3", "grpc_port": 9360, "http_port": None, "version": None,
      "instance_id": None, "timestamp": None, "ephemeral": False}),
    ("10.0.0.4:9361", b"", 0,
     {"host": "10.0.0.4", "grpc_port": 9361, "http_port": None, "version": None,
      "instance_id": None, "timestamp": None, "ephemeral": False}),
    ("10.0.0.5%3A9360", b'{"host": "10.0.0.5", "grpc_port": "9360", "http_port": "9380", "version": 1.11}', 1,
     {"host": "10.0.0.5", "grpc_port": 9360, "http_port": 9380, "version": "1.11",
      "instance_id": None, "timestamp": None, "ephemeral": True}),
    # FATE quotes host:port with the IPv6 host unbracketed: the port is after the last colon.
    ("fd00%3A%3A2%3A9360", b"[1, 2]", 0,
     {"host": "fd00::2", "grpc_port": 9360, "http_port": None, "version": None,
      "instance_id": None, "timestamp": None, "ephemeral": False}),
    # Hostile data: Infinity, ports out of range, objects where text is expected (a crash or a list
    # in host before).
    ("10.0.0.6%3A9360", b'{"grpc_port": Infinity, "http_port": 70000, "timestamp": Infinity, "host": {"a": 1},'
                        b' "instance_id": [1], "version": {"v": 2}}', 0,
     {"host": "10.0.0.6", "grpc_port": None, "http_port": None, "version": None,
      "instance_id": None, "timestamp": None, "ephemeral": False}),
    ("10.0.0.7%3A9360", b'{"grpc_port": true, "http_port": 9380.5, "timestamp": 1.5e3}', 0,
     {"host": "10.0.0.7", "grpc_port": None, "http_port": None, "version": None,
      "instance_id": None, "timestamp": 1500, "ephemeral": False}),
    ("x", b"[" * 100000, 0,
     {"host": "x", "grpc_port": None, "http_port": None, "version": None,
      "instance_id": None, "timestamp": None, "ephemeral": False}),
    # A child that is not host:port keeps its name as the host.
    ("stray", b"", 0,
     {"host": "stray", "grpc_port": None, "http_port": None, "version": None,
      "instance_id": None, "timestamp": None, "ephemeral": False}),
])
def test_decode_registration(znode, data, ephemeral, expected):
    expected = dict(expected, znode=znode)
    assert registry.decode_registration(znode, data, ephemeral) == expected


def test_relative_path_refused():
    result = run_module(registry.main, {"hosts": ["127.0.0.1:1"], "path": "FATE-COMPONENTS"})
    assert result["failed"]
    assert "absolute znode path" in result["msg"]


@pytest.mark.parametrize("registration, address", [
    ({"host": "10.0.0.2", "http_port": 9380}, "10.0.0.2:9380"),
    ({"host": "fd00::2", "http_port": 9380}, "[fd00::2]:9380"),
    ({"host": "stray name", "http_port": 9380}, None),
    ({"host": "10.0.0.2", "http_port": None}, None),
])
def test_instance_address(registration, address):
    assert registry.instance_address(registration) == address


@pytest.mark.parametrize("args, words", [
    ({"path": "/FATE-COMPONENTS//fate-flow"}, "path has an empty"),
    ({"path": "/FATE-COMPONENTS/fate-flow/"}, "path must not end with a slash"),
    ({"hosts": ["127.0.0.1:1", 5]}, "hosts[1] is refused"),
    ({"timeout": -2}, "timeout must be above 0"),
])
def test_options_refused_before_connecting(args, words):
    result = run_module(registry.main, dict({"hosts": ["127.0.0.1:1"]}, **args))
    assert result["failed"] and result["msg"].startswith(words), result["msg"]
