"""Properties of the address rules (module_utils/endpoints.py) on arbitrary values.

For any value: only ValueError; a result is in the form the rule promises and the rule keeps it
as it is (idempotent); host_port and split_host_port are inverse.
"""

import ipaddress

from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.fateflow.ha.plugins.module_utils import endpoints
from ansible_collections.fateflow.ha.tests.unit.properties.strategies import addresses, json_values, ports


@given(ports | json_values)
def test_tcp_port(value):
    try:
        port = endpoints.tcp_port(value)
    except ValueError:
        return
    assert type(port) is int and 1 <= port <= 65535
    assert endpoints.tcp_port(port) == port == endpoints.tcp_port(str(port))


@given(addresses | json_values)
def test_connect_address(value):
    try:
        address = endpoints.connect_address(value)
    except ValueError:
        return
    assert address == address.strip() and address and not any(c.isspace() for c in address)
    assert endpoints.connect_address(address) == address
    bare = endpoints.unbracket(address)
    try:
        ip = ipaddress.ip_address(bare)
    except ValueError:
        assert ":" not in address and "[" not in address
    else:
        assert not ip.is_unspecified
        assert address == ("[%s]" % ip.compressed if ip.version == 6 else ip.compressed)


@given(addresses | json_values)
def test_routable_address(value):
    try:
        address = endpoints.routable_address(value)
    except ValueError:
        return
    assert endpoints.routable_address(address) == address == endpoints.connect_address(value)
    bare = endpoints.unbracket(address)
    assert bare.lower() not in endpoints.LOOPBACK_NAMES
    try:
        assert not ipaddress.ip_address(bare).is_loopback
    except ValueError:
        pass


@given(addresses, ports)
def test_host_port_and_split_are_inverse(host, port):
    try:
        text = endpoints.host_port(host, port)
    except ValueError:
        return
    assert endpoints.split_host_port(text) == (endpoints.unbracket(endpoints.connect_address(host)),
                                               endpoints.tcp_port(port))
    assert endpoints.split_host_port(text, default_port=1) == endpoints.split_host_port(text)


@given(addresses | st.text(max_size=30) | json_values, st.none() | st.integers(1, 65535))
def test_split_host_port(text, default_port):
    try:
        host, port = endpoints.split_host_port(text, default_port)
    except ValueError:
        return
    assert 1 <= port <= 65535
    assert endpoints.unbracket(endpoints.connect_address(host)) == host
    assert endpoints.split_host_port(endpoints.host_port(host, port)) == (host, port)
