import pytest

from ansible_collections.fateflow.ha.plugins.module_utils.endpoints import connect_address, host_port, tcp_port


@pytest.mark.parametrize("value, expected", [(9380, 9380), ("9360", 9360), (" 2181 ", 2181), (1, 1), (65535, 65535)])
def test_tcp_port(value, expected):
    assert tcp_port(value) == expected


@pytest.mark.parametrize("value", [0, 65536, -1, "http", "", None, 9380.5, True, "9 380"])
def test_tcp_port_refuses(value):
    with pytest.raises(ValueError, match="is not a TCP port"):
        tcp_port(value)


@pytest.mark.parametrize("value, expected", [
    ("10.200.0.11", "10.200.0.11"),
    ("flow1.party.example", "flow1.party.example"),
    ("fd00::6", "[fd00::6]"),
    ("[fd00:0::6]", "[fd00::6]"),
])
def test_connect_address(value, expected):
    assert connect_address(value) == expected


@pytest.mark.parametrize("value, words", [
    ("0.0.0.0", "cannot be connected to"),
    ("::", "cannot be connected to"),
    ("", "not a host name"),
    ("a b", "not a host name"),
    ("x;y", "not a host name"),
    ("http://x", "not a host name"),
])
def test_connect_address_refuses(value, words):
    with pytest.raises(ValueError, match=words):
        connect_address(value)


def test_host_port():
    assert host_port("fd00::1", "2181") == "[fd00::1]:2181"
    assert host_port("10.0.0.1", 9380) == "10.0.0.1:9380"
