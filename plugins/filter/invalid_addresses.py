# Copyright: fateflow.ha contributors
# Apache License 2.0 (see LICENSE)

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.fateflow.ha.plugins.module_utils.validation import shown
from ansible_collections.fateflow.ha.plugins.module_utils.endpoints import connect_address, routable_address

DOCUMENTATION = r"""
name: invalid_addresses
short_description: The address variables that do not hold an address to connect to, named, for a preflight message
description:
  - Takes a dictionary of variable names and their values and returns, for every value that is not a
    host name or IP address other hosts can connect to, the text C(name=value). Refused are empty
    values, values with spaces or characters no configuration file takes (C(;{}'",/)), a port glued
    to the address, and the unspecified addresses C(0.0.0.0) and C(::), which a server listens on
    but nobody can connect to. IPv6 literals are accepted with or without brackets.
  - With O(routable=true) it also refuses loopback addresses (C(127.0.0.0/8), C(::1), C(localhost)).
    That is the check for C(fateflow.host), which must be the node's own address that the other nodes reach.
  - Every role of the collection checks its addresses with it, so that they all accept and refuse
    the same values as the modules do.
options:
  _input:
    description: Variable names and their values.
    type: dict
    required: true
  routable:
    description: Also refuse loopback addresses.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Check the node's own address
  ansible.builtin.assert:
    that: fateflow_ha_bad_addresses | length == 0
    fail_msg: >-
      fateflow.host must be the node's own routable address (not loopback, not 0.0.0.0);
      fix {{ fateflow_ha_bad_addresses | join(', ') }}.
  vars:
    fateflow_ha_bad_addresses: "{{ {'fateflow_ha_host': fateflow_ha_host} | fateflow.ha.invalid_addresses(routable=true) }}"

- name: Check the address clients reach a ZooKeeper member at
  ansible.builtin.assert:
    that: zookeeper_bad_addresses | length == 0
    fail_msg: "Give a host name or IP address clients connect to; fix {{ zookeeper_bad_addresses | join(', ') }}."
  vars:
    zookeeper_bad_addresses: "{{ {'zookeeper_client_address': zookeeper_client_address} | fateflow.ha.invalid_addresses }}"
"""

RETURN = r"""
_value:
  description: C(name=value) of each variable whose value is refused, in the order given; empty when all are accepted.
  type: list
  elements: str
"""


def invalid_addresses(addresses, routable=False):
    if not isinstance(addresses, dict):
        raise AnsibleFilterError("invalid_addresses takes a dictionary of variable names and addresses, not %r"
                                 % (shown(addresses),))
    check = routable_address if routable else connect_address
    found = []
    for name, value in addresses.items():
        try:
            if value is None:
                raise ValueError("no address")
            check(value)
        except ValueError:
            found.append("%s=%s" % (name, value))
    return found


class FilterModule(object):
    def filters(self):
        return {"invalid_addresses": invalid_addresses}
