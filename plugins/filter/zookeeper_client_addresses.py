# -*- coding: utf-8 -*-
# Copyright: fateflow.ha contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: zookeeper_client_addresses
short_description: Client addresses (host:port) of a ZooKeeper ensemble
version_added: 0.1.0
description:
  - Turns the inventory hosts of an ensemble into the C(host:port) list that FATE Flow's
    C(service_conf.yaml) takes as C(zookeeper.hosts) and that the collection's ZooKeeper modules take as C(hosts).
  - Each host's address is its C(zookeeper_client_address), else C(zookeeper_listen_address), else
    C(ansible_host), else its inventory name; its port is its C(party_zookeeper_client_port), else O(port).
    These are the variables of the C(fateflow.ha.zookeeper) role.
options:
  _input:
    description: Inventory names of the ensemble's members, usually C(groups['zookeeper']).
    type: list
    elements: str
    required: true
  hostvars:
    description: C(hostvars).
    type: dict
    required: true
  port:
    description: Client port of members that do not set C(party_zookeeper_client_port).
    type: int
    default: 2181
"""

EXAMPLES = r"""
- name: Point FATE Flow at the ensemble
  ansible.builtin.set_fact:
    flow_zookeeper_addresses: "{{ groups['zookeeper'] | fateflow.ha.zookeeper_client_addresses(hostvars) }}"
    # ["10.0.0.1:2181", "10.0.0.2:2181", "10.0.0.3:2181"]
"""

RETURN = r"""
_value:
  description: C(host:port) of every member, in the order given.
  type: list
  elements: str
"""

from ansible.errors import AnsibleFilterError
from ansible.module_utils.six.moves.collections_abc import Mapping

from ansible_collections.fateflow.ha.plugins.module_utils.endpoints import host_port
from ansible_collections.fateflow.ha.plugins.module_utils.validation import InputError, names


def zookeeper_client_addresses(members, hostvars, port=2181):
    try:
        members = names("zookeeper_client_addresses's input (the ensemble's members)", members)
    except InputError as exc:
        raise AnsibleFilterError(str(exc))
    addresses = []
    for member in members:
        try:
            variables = hostvars[member]
        except KeyError:
            raise AnsibleFilterError("zookeeper_client_addresses: %s is not a host of the inventory" % member)
        if not isinstance(variables, Mapping):
            raise AnsibleFilterError("zookeeper_client_addresses: the host variables of %s are not a dictionary" % member)
        address = (variables.get("zookeeper_client_address") or variables.get("zookeeper_listen_address")
                   or variables.get("ansible_host") or member)
        member_port = variables.get("party_zookeeper_client_port") or port
        try:
            addresses.append(host_port(address, member_port))
        except ValueError as exc:
            raise AnsibleFilterError(
                "zookeeper_client_addresses: member %s (address %s, party_zookeeper_client_port %s): %s"
                % (member, address, member_port, exc))
    return addresses


class FilterModule(object):
    def filters(self):
        return {"zookeeper_client_addresses": zookeeper_client_addresses}
