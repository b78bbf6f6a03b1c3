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
