import pytest

from ansible_collections.fateflow.ha.plugins.module_utils.endpoints import (
    connect_address,
    host_port,
    routable_address,
    split_host_port,
    tcp_port,
)


@pytest.mark.parametrize("value, expected", [(9380, 9380), ("9360", 9360), (" 2181 ", 2181), (1, 1), (65535, 65535)])
def test_tcp_port(value, expected):
    assert tcp_port(value) == expected


@pytest.mark.parametrize("value", [0, 65536, -1, "http", "", None, 9380.5, 9380.0, True, "9 380", "1_000", "+80",
                                   "-1", "0x50", "\u0663"])
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
    ("10.0.0.1:9380", "not a host name"),
    ("[flow1]", "not a host name"),
])
def test_connect_address_refuses(value, words):
    with pytest.raises(ValueError, match=words):
        connect_address(value)


def test_host_port():
    assert host_port("fd00::1", "2181") == "[fd00::1]:2181"
    assert host_port("10.0.0.1", 9380) == "10.0.0.1:9380"


@pytest.mark.parametrize("value, expected", [
    ("10.200.0.11", "10.200.0.11"),
    ("flow1.party.example", "flow1.party.example"),
    ("fd00::6", "[fd00::6]"),
    ("127.0.1.1.example", "127.0.1.1.example"),
])
def test_routable_address(value, expected):
    assert routable_address(value) == expected


@pytest.mark.parametrize("value, words", [
    ("127.0.0.1", "loopback address"),
    ("127.0.1.5", "loopback address"),
    ("::1", "loopback address"),
    ("[::1]", "loopback address"),
    ("localhost", "loopback name"),
    ("LOCALHOST", "loopback name"),
    ("0.0.0.0", "cannot be connected to"),
    ("::", "cannot be connected to"),
    ("", "not a host name"),
])
def test_routable_address_refuses(value, words):
    with pytest.raises(ValueError, match=words):
        routable_address(value)


# (text, default port, host, port)
SPLITS = [
    ("10.0.0.1:2182", 2181, "10.0.0.1", 2182),
    ("zk1", 2181, "zk1", 2181),
    (" zk1:2181 ", None, "zk1", 2181),
    ("[fd00::1]:2182", 2181, "fd00::1", 2182),
    ("[fd00::1]", 2181, "fd00::1", 2181),
    ("fd00::1", 2181, "fd00::1", 2181),
    # Without a default port the port is required, after the last colon (FATE's znode names).
    ("fd00::1:9360", None, "fd00::1", 9360),
    ("10.0.0.1:9360", None, "10.0.0.1", 9360),
]


@pytest.mark.parametrize("text, default, host, port", SPLITS)
def test_split_host_port(text, default, host, port):
    assert split_host_port(text, default) == (host, port)


@pytest.mark.parametrize("text, default, words", [
    ("zk1", None, "port is missing"),
    ("zk1:", 2181, "is not a TCP port"),
    ("zk1:0", 2181, "is not a TCP port"),
    ("zk1:http", 2181, "is not a TCP port"),
    (":2181", 2181, "not a host name"),
    ("0.0.0.0:2181", 2181, "cannot be connected to"),
    ("[fd00::1", 2181, "is not host:port"),
    ("[fd00::1]2181", 2181, "is not host:port"),
    ("a b:2181", 2181, "not a host name"),
])
def test_split_host_port_refuses(text, default, words):
    with pytest.raises(ValueError, match=words):
        split_host_port(text, default)
