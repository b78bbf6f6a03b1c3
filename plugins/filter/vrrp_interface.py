# -*- coding: utf-8 -*-
# Copyright: fateflow.ha contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: vrrp_interface
short_description: The interface a VRRP instance runs on, its source address, and what is wrong with a virtual IP there
version_added: 0.1.0
description:
  - Reads a host's IPv4 addresses as C(ip -j -4 addr show) prints them and finds the interface the
    C(fateflow.ha.keepalived) role runs VRRP on (the one given, else the one that holds the host's
    own address), the address its advertisements leave from (C(unicast_src_ip)) and its subnet.
  - Returns the problems a preflight must refuse, each naming the variable to fix, in C(problems)
    (empty when the virtual IP can be held there), in this order, the first one that applies - an
    interface that does not exist on the host; a source address that is not an IPv4 address or is not
    on the interface; a virtual IP that is not an IPv4 address, lies outside the interface's subnet,
    or is one of the host addresses (O(peers)).
  - The virtual IP itself, once held on the interface (as a /32), is not taken for a host address, so
    a second run on the host that holds it finds the same interface and subnet as the first.
options:
  _input:
    description: The parsed JSON of C(ip -j -4 addr show) on the host.
    type: list
    elements: dict
    required: true
  vip:
    description: The virtual IP (C(party_nginx_vip)).
    type: str
    required: true
  address:
    description: The host's own address, the source of its VRRP advertisements (C(keepalived_unicast_src_ip)).
    type: str
    required: true
  interface:
    description: The interface to run on (C(keepalived_interface)); empty finds the one that holds O(address).
    type: str
    default: ""
  peers:
    description: Inventory name and address of every host of the group, the virtual IP must differ from each.
    type: dict
    default: {}
"""

EXAMPLES = r"""
- name: Find the interface and check the virtual IP
  ansible.builtin.set_fact:
    keepalived_vrrp: >-
      {{ ip_addresses.stdout | from_json | fateflow.ha.vrrp_interface(vip='10.200.3.250', address='10.200.3.14',
         peers={'lb': '10.200.3.14', 'lb2': '10.200.3.15'}) }}
    # {"interface": "eth0", "address": "10.200.3.14", "network": "10.200.3.0/24", "problems": []}
"""

RETURN = r"""
_value:
  description: C(interface), C(address) (the source address), C(network) (its subnet, empty when unknown) and C(problems).
  type: dict
"""

import ipaddress

from ansible.errors import AnsibleFilterError
from ansible.module_utils.six import string_types


def _ipv4(value):
    try:
        return ipaddress.IPv4Address(str(value).strip())
    except ValueError:
        return None


def vrrp_interface(links, vip, address, interface="", peers=None):
    if not isinstance(links, list) or not all(isinstance(link, dict) for link in links):
        raise AnsibleFilterError("vrrp_interface takes the parsed JSON of `ip -j -4 addr show`, not %r" % (links,))
    if not isinstance(interface, string_types):
        raise AnsibleFilterError("vrrp_interface: interface must be a name, not %r" % (interface,))
    vip_ip = _ipv4(vip)
    source = _ipv4(address)
    # Every interface with its IPv4 networks, the virtual IP left out wherever it is held already.
    networks = {}
    for link in links:
        name = link.get("ifname")
        if not name:
            continue
        entries = networks.setdefault(name, [])
        for info in link.get("addr_info") or []:
            local = _ipv4(info.get("local"))
            if local is None or (local == vip_ip and local != source):
                continue
            entries.append(ipaddress.IPv4Interface("%s/%s" % (local, info.get("prefixlen", 32))))
    result = {"interface": interface, "address": str(address), "network": "", "problems": []}
    problems = result["problems"]
    if interface and interface not in networks:
        problems.append("keepalived_interface %s does not exist on this host (its interfaces: %s)"
                        % (interface, ", ".join(sorted(networks)) or "none"))
        return result
    if source is None:
        problems.append("keepalived_unicast_src_ip %s is not an IPv4 address: give the host's own address" % (address,))
        return result
    holding = [name for name, entries in sorted(networks.items()) if any(e.ip == source for e in entries)]
    if not interface:
        if not holding:
            problems.append("no interface of this host holds its address %s: set keepalived_interface, "
                            "or keepalived_unicast_src_ip to an address of the interface" % source)
            return result
        interface = result["interface"] = holding[0]
    own = [e for e in networks[interface] if e.ip == source]
    if not own:
        problems.append("keepalived_unicast_src_ip %s is not an address of keepalived_interface %s"
                        % (source, interface))
        return result
    network = own[0].network
    result["network"] = str(network)
    if vip_ip is None:
        problems.append("party_nginx_vip %s is not an IPv4 address" % (vip,))
    elif vip_ip not in network:
        problems.append("party_nginx_vip %s is outside the subnet %s of %s on this host: the other hosts "
                        "of the subnet could not reach it" % (vip_ip, network, interface))
    else:
        taken = sorted(name for name, peer in (peers or {}).items() if _ipv4(peer) == vip_ip)
        if vip_ip == source and not taken:
            taken = ["this host"]
        if vip_ip in (network.network_address, network.broadcast_address):
            problems.append("party_nginx_vip %s is the network or broadcast address of %s: choose a host address"
                            % (vip_ip, network))
        elif taken:
            problems.append("party_nginx_vip %s is the address of %s: choose a free address of %s"
                            % (vip_ip, ", ".join(taken), network))
    return result


class FilterModule(object):
    def filters(self):
        return {"vrrp_interface": vrrp_interface}
