"""The VRRP interface look-up and the virtual IP checks of the keepalived role's preflight."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.fateflow.ha.plugins.filter.vrrp_interface import vrrp_interface


def link(name, *addresses):
    """One interface as `ip -j -4 addr show` prints it; addresses as 'a.b.c.d/len'."""
    return {"ifindex": 1, "ifname": name, "addr_info": [
        {"family": "inet", "local": a.split("/")[0], "prefixlen": int(a.split("/")[1])} for a in addresses]}


LINKS = [link("lo", "127.0.0.1/8"), link("eth0", "10.200.3.14/24"), link("eth1", "192.168.7.2/16")]
PEERS = {"lb": "10.200.3.14", "lb2": "10.200.3.15"}

# (id, links, vip, address, interface, interface and network found, problem words)
CASES = [
    ("found-by-address", LINKS, "10.200.3.250", "10.200.3.14", "", ("eth0", "10.200.3.0/24"), None),
    ("interface-given", LINKS, "192.168.100.9", "192.168.7.2", "eth1", ("eth1", "192.168.0.0/16"), None),
    # The second run on the host that holds the address: the /32 on eth0 is not taken for the host's.
    ("vip-held-already", [link("eth0", "10.200.3.14/24", "10.200.3.250/32")], "10.200.3.250", "10.200.3.14", "",
     ("eth0", "10.200.3.0/24"), None),
    ("interface-missing", LINKS, "10.200.3.250", "10.200.3.14", "eth9", None,
     "keepalived_interface eth9 does not exist on this host (its interfaces: eth0, eth1, lo)"),
    ("source-not-ip", LINKS, "10.200.3.250", "lb.example", "", None,
     "keepalived_unicast_src_ip lb.example is not an IPv4 address"),
    ("source-on-no-interface", LINKS, "10.200.3.250", "10.200.9.9", "", None,
     "no interface of this host holds its address 10.200.9.9: set keepalived_interface"),
    ("source-on-other-interface", LINKS, "10.200.3.250", "10.200.3.14", "eth1", None,
     "keepalived_unicast_src_ip 10.200.3.14 is not an address of keepalived_interface eth1"),
    ("vip-not-ip", LINKS, "nginx.example", "10.200.3.14", "", ("eth0", "10.200.3.0/24"),
     "party_nginx_vip nginx.example is not an IPv4 address"),
    ("vip-outside-subnet", LINKS, "10.200.4.250", "10.200.3.14", "", ("eth0", "10.200.3.0/24"),
     "party_nginx_vip 10.200.4.250 is outside the subnet 10.200.3.0/24 of eth0 on this host"),
    ("vip-is-a-peer", LINKS, "10.200.3.15", "10.200.3.14", "", ("eth0", "10.200.3.0/24"),
     "party_nginx_vip 10.200.3.15 is the address of lb2: choose a free address of 10.200.3.0/24"),
    ("vip-is-this-host", LINKS, "10.200.3.14", "10.200.3.14", "", ("eth0", "10.200.3.0/24"),
     "party_nginx_vip 10.200.3.14 is the address of lb: choose a free address"),
    ("vip-is-broadcast", LINKS, "10.200.3.255", "10.200.3.14", "", ("eth0", "10.200.3.0/24"),
     "party_nginx_vip 10.200.3.255 is the network or broadcast address of 10.200.3.0/24"),
]


@pytest.mark.parametrize("links, vip, address, interface, found, words", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_vrrp_interface(links, vip, address, interface, found, words):
    result = vrrp_interface(links, vip=vip, address=address, interface=interface, peers=PEERS)
    if found:
        assert (result["interface"], result["network"]) == found
    if words is None:
        assert result["problems"] == []
        assert result["address"] == address
    else:
        assert len(result["problems"]) == 1
        assert words in result["problems"][0]


def test_vip_equal_to_own_address_without_peers_names_this_host():
    result = vrrp_interface(LINKS, vip="10.200.3.14", address="10.200.3.14")
    assert result["problems"] == ["party_nginx_vip 10.200.3.14 is the address of this host: "
                                  "choose a free address of 10.200.3.0/24"]


@pytest.mark.parametrize("bad", ["eth0", {"ifname": "eth0"}, [["eth0"]]])
def test_not_ip_json(bad):
    with pytest.raises(AnsibleFilterError, match="ip -j -4 addr show"):
        vrrp_interface(bad, vip="10.0.0.1", address="10.0.0.2")
