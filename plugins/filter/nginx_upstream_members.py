# Copyright: fateflow.ha contributors
# Apache License 2.0 (see LICENSE)
"""Build the member list of an nginx upstream from the FATE Flow hosts of an inventory."""

from __future__ import annotations

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.fateflow.ha.plugins.module_utils.endpoints import connect_address, tcp_port
from ansible_collections.fateflow.ha.plugins.module_utils.validation import InputError, names

DOCUMENTATION = r"""
name: nginx_upstream_members
short_description: Upstream members (address, port, down) for the FATE Flow hosts of an inventory group
description:
  - Takes the names of the FATE Flow hosts (usually C(groups['fateflow'])) and returns one entry per
    host with the address and port nginx should connect to, and whether the host is drained.
  - The address and the port of each host come from the first of the given host variables that is
    set on that host, so a node can override what the group says.
  - Fails with a message naming the host when a host has no address, a port is not a TCP port, a
    drained host is not in the list, or two hosts resolve to the same address and port.
positional: hostvars, address_vars, port_vars, default_port, drained
options:
  _input:
    description: Inventory host names of the FATE Flow nodes.
    type: list
    elements: str
    required: true
  hostvars:
    description: The C(hostvars) of the play.
    type: dict
    required: true
  address_vars:
    description: Host variables to take the address from, first set one wins; the host name is the last resort.
    type: list
    elements: str
    default: [ansible_host]
  port_vars:
    description: Host variables to take the port from, first set one wins.
    type: list
    elements: str
    default: []
  default_port:
    description: Port of a host that sets none of O(port_vars).
    type: int
    required: true
  drained:
    description: Hosts that get no new requests (marked C(down)).
    type: list
    elements: str
    default: []
"""

EXAMPLES = r"""
- name: Show the HTTP members of the FATE Flow upstream
  ansible.builtin.debug:
    msg: >-
      {{ groups['fateflow'] | fateflow.ha.nginx_upstream_members(hostvars,
         ['nginx_fateflow_node_address', 'ansible_host'], ['nginx_fateflow_node_http_port'], 9380,
         ['flow2']) }}
"""

RETURN = r"""
_value:
  description: One entry per host, in the order given.
  type: list
  elements: dict
  contains:
    host:
      description: Inventory host name.
      type: str
    address:
      description: Address as nginx writes it (IPv6 in brackets).
      type: str
    port:
      description: TCP port.
      type: int
    down:
      description: Whether the host is drained.
      type: bool
"""


def _first_set(variables, names):
    for name in names:
        value = variables.get(name)
        if value is not None and value != "":
            return name, value
    return None, None


def _port(host, source, value):
    try:
        return tcp_port(value)
    except ValueError as exc:
        raise AnsibleFilterError("host %s: %s is %s" % (host, source, exc))


def _nginx_address(host, source, value):
    try:
        return connect_address(value)
    except ValueError as exc:
        raise AnsibleFilterError("host %s: %s is %s" % (host, source, exc))


def nginx_upstream_members(hosts, hostvars, address_vars=None, port_vars=None, default_port=None, drained=None):
    """Return [{host, address, port, down}] for the given hosts; see DOCUMENTATION."""
    if not isinstance(hosts, (list, tuple)):
        raise AnsibleFilterError("nginx_upstream_members expects a list of host names, got %s" % type(hosts).__name__)
    try:
        hosts = names("nginx_upstream_members's input (the FATE Flow hosts)", hosts)
        address_vars = names("address_vars", address_vars or ["ansible_host"])
        port_vars = names("port_vars", port_vars or [])
        drained = names("drained", drained or [])
    except InputError as exc:
        raise AnsibleFilterError("nginx_upstream_members: %s" % exc)
    unknown = [h for h in drained if h not in hosts]
    if unknown:
        raise AnsibleFilterError(
            "drained host(s) %s are not among the FATE Flow hosts %s; fix the host names"
            % (", ".join(map(str, unknown)), ", ".join(map(str, hosts))))
    members = []
    seen = {}
    for host in hosts:
        try:
            variables = hostvars[host]
        except KeyError:
            variables = {}
        if not isinstance(variables, Mapping):
            raise AnsibleFilterError("host %s: its host variables are not a dictionary" % host)
        source, address = _first_set(variables, address_vars)
        if address is None:
            source, address = "its inventory name", host
        address = _nginx_address(host, source, address)
        port_source, port = _first_set(variables, port_vars)
        if port is None:
            if default_port is None:
                raise AnsibleFilterError("host %s sets none of %s and no default port is given"
                                         % (host, ", ".join(port_vars)))
            port_source, port = "the default port", default_port
        port = _port(host, port_source, port)
        key = (address, port)
        if key in seen:
            raise AnsibleFilterError("hosts %s and %s both point at %s:%d; every FATE Flow node needs its own address"
                                     % (seen[key], host, address, port))
        seen[key] = host
        members.append({"host": str(host), "address": address, "port": port, "down": host in drained})
    return members


class FilterModule:
    """fateflow.ha nginx filters."""

    def filters(self):
        return {"nginx_upstream_members": nginx_upstream_members}
