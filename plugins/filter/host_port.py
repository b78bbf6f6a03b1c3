# Copyright: fateflow.ha contributors
# Apache License 2.0 (see LICENSE)

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.fateflow.ha.plugins.module_utils.endpoints import host_port as checked_host_port

DOCUMENTATION = r"""
name: host_port
short_description: C(address:port) as clients dial it, both checked
version_added: 0.1.0
description:
  - The address (host name or IP; an IPv6 literal comes back in brackets) and the TCP port joined as
    ZooKeeper connection strings and Nginx upstreams write them, by the rules of every module of the
    collection (C(module_utils/endpoints.py)).
  - Fails naming the value when the address cannot be connected to (empty, C(0.0.0.0), spaces, a port
    glued on) or the port is not a whole number 1-65535.
options:
  _input:
    description: Host name or IP address.
    type: str
    required: true
  port:
    description: TCP port.
    type: raw
    required: true
"""

EXAMPLES = r"""
- name: A member's client address
  ansible.builtin.set_fact:
    client_address: "{{ zookeeper_listen_address | fateflow.ha.host_port(2181) }}"
"""

RETURN = r"""
_value:
  description: C(address:port), C([v6]:port) for IPv6.
  type: str
"""


def host_port(address, port):
    try:
        return checked_host_port(address, port)
    except ValueError as exc:
        raise AnsibleFilterError("host_port: %s" % exc)


class FilterModule(object):
    def filters(self):
        return {"host_port": host_port}
