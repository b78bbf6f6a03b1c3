#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: fateflow.ha contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: fateflow_registry_info
short_description: List the FATE Flow servers registered in ZooKeeper
version_added: 0.1.0
description:
  - Reads the children of C(/FATE-COMPONENTS/fate-flow), the ephemeral znodes that FATE Flow servers
    with C(use_registry) create, and decodes each one (host, gRPC and HTTP ports, version, instance id).
  - Read-only. FATE Flow with C(zookeeper.use_acl) makes the registry readable only with its digest
    credential; pass it as O(auth_credential) (C(user:password)).
author:
  - fateflow.ha contributors (@fateflow)
extends_documentation_fragment:
  - fateflow.ha.zookeeper
attributes:
  check_mode:
    description: Can run in check mode and report what it would change without changing it.
    support: full
    details: The module changes nothing.
  diff_mode:
    description: Returns the before and after of what it changes (or would change, in check mode) in diff mode.
    support: none
options:
  path:
    description:
      - Registry node whose children are FATE Flow registrations.
    type: str
    default: /FATE-COMPONENTS/fate-flow
seealso:
  - module: fateflow.ha.zk_acl
"""

EXAMPLES = r"""
- name: Read FATE Flow's registrations
  fateflow.ha.fateflow_registry_info:
    hosts: "{{ groups['zookeeper'] | fateflow.ha.zookeeper_client_addresses(hostvars) }}"
    auth_credential: "fate:{{ vault_zk_password }}"
  register: flow_registry

- name: Every FATE Flow node is registered
  ansible.builtin.assert:
    that: flow_registry.registrations | map(attribute='host') | list | sort == groups['fateflow'] | map('extract', hostvars, 'ansible_host') | list | sort
"""

RETURN = r"""
exists:
  description: Whether O(path) exists (it does once a FATE Flow server with use_registry has started).
  returned: always
  type: bool
registrations:
  description: One entry per child of O(path), sorted by host and port.
  returned: always
  type: list
  elements: dict
  contains:
    znode:
      description: The child's name, as stored (URL-quoted C(host:grpc_port)).
      type: str
    host:
      description: Address the server registered.
      type: str
    grpc_port:
      description: Its gRPC port.
      type: int
    http_port:
      description: Its HTTP port (null when the node's data does not say).
      type: int
    version:
      description: FATE Flow version it reported.
      type: str
    instance_id:
      description: Its instance id (C(flow-<host>-<http_port>) in FATE Flow 2.x).
      type: str
    timestamp:
      description: Registration time in milliseconds since the epoch, as FATE Flow wrote it.
      type: int
    ephemeral:
      description: Whether the znode belongs to a live session (FATE Flow's own registrations do).
      type: bool
  sample:
    - {znode: "10.0.0.2%3A9360", host: 10.0.0.2, grpc_port: 9360, http_port: 9380, version: 2.2.0,
       instance_id: flow-10.0.0.2-9380, timestamp: 1764400000000, ephemeral: true}
instances:
  description:
    - The C(host:http_port) of every registration whose host is an address and whose HTTP port is a TCP port,
      for health checks; an IPv6 host in brackets.
  returned: always
  type: list
  elements: str
  sample: ["10.0.0.2:9380", "10.0.0.3:9380"]
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.six.moves.urllib.parse import unquote

from ansible_collections.fateflow.ha.plugins.module_utils import validation
from ansible_collections.fateflow.ha.plugins.module_utils.endpoints import host_port, split_host_port, tcp_port
from ansible_collections.fateflow.ha.plugins.module_utils.fateflow_node import decode_registration as decode_payload
from ansible_collections.fateflow.ha.plugins.module_utils.zookeeper import (
    CONNECTION_REQUIRED_TOGETHER,
    ZookeeperModuleError,
    check_connection_options,
    check_kazoo,
    connect,
    connection_argument_spec,
    disconnect,
    explain,
    join_path,
    pipelined,
)

try:
    from kazoo.exceptions import KazooException, NoNodeError
except ImportError:
    pass  # reported by check_kazoo


def _int_or_none(value):
    """A whole number from the znode's data (JSON number or text of digits), else None."""
    if isinstance(value, bool) or isinstance(value, float) and not value.is_integer():
        return None
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):  # OverflowError: JSON's Infinity
        return None


def _port_or_none(value):
    try:
        return tcp_port(value)
    except ValueError:
        return None


def _text_or_none(value):
    return None if value is None or isinstance(value, (dict, list)) else str(value)


def instance_address(registration):
    """``host:http_port`` of a registration (``[v6]:port``), or None when either is not usable."""
    try:
        return host_port(registration["host"], registration["http_port"])
    except ValueError:
        return None


def decode_registration(znode, data, ephemeral):
    """One registration from a child's name (url-quoted ``host:grpc_port``) and its JSON data."""
    try:
        host, port = split_host_port(unquote(znode))
    except ValueError:  # not FATE's quoted host:port; the data may still say
        host, port = unquote(znode), None
    payload = decode_payload(data)
    return dict(
        znode=znode,
        host=_text_or_none(payload.get("host")) or host,
        grpc_port=_port_or_none(payload.get("grpc_port", port)),
        http_port=_port_or_none(payload.get("http_port")),
        version=_text_or_none(payload.get("version")),
        instance_id=_text_or_none(payload.get("instance_id")),
        timestamp=_int_or_none(payload.get("timestamp")),
        ephemeral=bool(ephemeral),
    )


def read_registrations(client, path):
    try:
        names = client.get_children(path)
    except NoNodeError:
        return False, []
    except Exception as exc:
        raise ZookeeperModuleError(explain(exc, path, "list the children of"))
    found = []
    calls = ((name, lambda name=name: client.get_async(join_path(path, name))) for name in names)
    for name, value, exc in pipelined(calls):
        if exc is not None:
            if isinstance(exc, NoNodeError):
                continue  # a server left between the listing and the read
            raise ZookeeperModuleError(explain(exc, join_path(path, name), "read"))
        data, stat = value
        found.append(decode_registration(name, data, stat.ephemeralOwner))
    found.sort(key=lambda r: (r["host"], r["grpc_port"] or 0))
    return True, found


def main():
    spec = connection_argument_spec()
    spec.update(path=dict(type="str", default="/FATE-COMPONENTS/fate-flow"))
    module = AnsibleModule(argument_spec=spec, required_together=CONNECTION_REQUIRED_TOGETHER, supports_check_mode=True)
    check_connection_options(module)
    validation.check_options(module, dict(path=validation.znode_path))
    check_kazoo(module)
    try:
        client = connect(module.params)
    except ZookeeperModuleError as exc:
        module.fail_json(msg=str(exc))
    try:
        exists, registrations = read_registrations(client, module.params["path"])
    except ZookeeperModuleError as exc:
        disconnect(client)
        module.fail_json(msg=str(exc))
    except KazooException as exc:  # e.g. the session lost half-way
        disconnect(client)
        module.fail_json(msg=explain(exc, module.params["path"], "read"))
    disconnect(client)
    instances = [address for address in (instance_address(r) for r in registrations) if address]
    module.exit_json(changed=False, exists=exists, registrations=registrations, instances=instances)


if __name__ == "__main__":
    main()
