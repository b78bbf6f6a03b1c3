# Copyright: fateflow.ha contributors
# Apache License 2.0 (see LICENSE)

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.fateflow.ha.plugins.module_utils.validation import shown
from ansible_collections.fateflow.ha.plugins.module_utils.endpoints import tcp_port

DOCUMENTATION = r"""
name: invalid_ports
short_description: The port variables that do not hold a TCP port, named, for a preflight message
description:
  - Takes a dictionary of variable names and their values and returns, for every value that is not a
    whole number 1-65535 (text of digits is accepted, as inventories often quote ports), the text
    C(name=value).
  - Every role of the collection checks its ports with it, so that they all accept and refuse the same values.
options:
  _input:
    description: Variable names and their values.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Check the ports
  ansible.builtin.assert:
    that: zookeeper_bad_ports | length == 0
    fail_msg: "Ports are whole numbers 1-65535; fix {{ zookeeper_bad_ports | join(', ') }}."
  vars:
    zookeeper_bad_ports: "{{ {'party_zookeeper_client_port': party_zookeeper_client_port} | fateflow.ha.invalid_ports }}"
"""

RETURN = r"""
_value:
  description: C(name=value) of each variable whose value is not a TCP port, in the order given; empty when all are.
  type: list
  elements: str
"""


def invalid_ports(ports):
    if not isinstance(ports, dict):
        raise AnsibleFilterError("invalid_ports takes a dictionary of variable names and ports, not %r" % (shown(ports),))
    found = []
    for name, value in ports.items():
        try:
            tcp_port(value)
        except ValueError:
            found.append("%s=%s" % (name, value))
    return found


class FilterModule(object):
    def filters(self):
        return {"invalid_ports": invalid_ports}
