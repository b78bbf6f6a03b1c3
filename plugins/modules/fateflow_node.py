#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: fateflow.ha contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: fateflow_node
short_description: Wait until a FATE Flow node is healthy and registered, or clear its stale registration
version_added: 0.1.0
description:
  - O(state=healthy) waits until the node answers its health endpoint with code 0, its own instance
    (C(flow-<host>-<http_port>)) is among the servers it lists (2.x), and its znode under
    C(/FATE-COMPONENTS/fate-flow) in ZooKeeper carries its own host. It never changes anything.
  - O(state=unregistered) deletes the node's own znode, which a stopped server leaves behind until
    its ZooKeeper session expires; a server started while it lingers does not serve. Use it only
    while the node's server is stopped.
  - When the node does not come up, the failure names the unreachable dependency (ZooKeeper or
    MySQL) if there is one, and otherwise shows the tail of the node's log.
  - Runs on the Flow node (it needs to reach the same ZooKeeper and MySQL the server does).
author:
  - fateflow.ha maintainers
options:
  state:
    description: What to make sure of.
    type: str
    choices: [healthy, unregistered]
    default: healthy
  host:
    description: The node's own address, as in C(fateflow.host).
    type: str
    required: true
  http_port:
    description: The node's C(fateflow.http_port).
    type: int
    default: 9380
  grpc_port:
    description: The node's C(fateflow.grpc_port).
    type: int
    default: 9360
  flow_version:
    description: FATE Flow version (1.x or 2.x), for the health endpoint.
    type: str
    default: "2"
  zookeeper_hosts:
    description: ZooKeeper servers (C(host:port)).
    type: list
    elements: str
    required: true
  zookeeper_user:
    description: Digest user FATE Flow's znodes are protected with (C(zookeeper.user)).
    type: str
  zookeeper_password:
    description: Its password.
    type: str
  database_host:
    description: MySQL host FATE Flow uses, to name it when it is unreachable.
    type: str
  database_port:
    description: MySQL port.
    type: int
    default: 3306
  timeout:
    description: Seconds to wait for O(state=healthy).
    type: int
    default: 120
  log_files:
    description: Log files of the node, the first existing one is shown when it does not come up.
    type: list
    elements: path
    default: []
attributes:
  check_mode:
    support: full
    details: O(state=unregistered) reports what it would delete.
  diff_mode:
    support: none
requirements:
  - kazoo (Debian package python3-kazoo) on the Flow node
"""

EXAMPLES = r"""
- name: Wait until this Flow node serves and is registered
  fateflow.ha.fateflow_node:
    host: 192.168.0.2
    zookeeper_hosts: [192.168.0.1:2181]
    zookeeper_user: fate
    zookeeper_password: "{{ vault_zk_password }}"
    database_host: 192.168.0.1
    log_files: [/data/projects/fate_flow/logs/fate_flow/INFO.log]

- name: Clear the stale registration of a stopped Flow node before starting it again
  fateflow.ha.fateflow_node:
    state: unregistered
    host: 192.168.0.2
    zookeeper_hosts: [192.168.0.1:2181]
    zookeeper_user: fate
    zookeeper_password: "{{ vault_zk_password }}"
"""

RETURN = r"""
instance_id:
  description: The node's FATE Flow instance id.
  returned: always
  type: str
  sample: flow-192.168.0.2-9380
znode:
  description: The node's registration path in ZooKeeper.
  returned: always
  type: str
  sample: /FATE-COMPONENTS/fate-flow/192.168.0.2%3A9360
servers:
  description: Instance ids the node lists as registered (2.x).
  returned: state=healthy
  type: list
  elements: str
elapsed:
  description: Seconds waited.
  returned: state=healthy
  type: float
"""

import json
import time
import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.fateflow.ha.plugins.module_utils import fateflow_node as fn

try:
    from kazoo.client import KazooClient
    from kazoo.exceptions import NoAuthError, NoNodeError
    from kazoo.handlers.threading import KazooTimeoutError

    HAS_KAZOO = True
    KAZOO_IMPORT_ERROR = None
except ImportError:
    HAS_KAZOO = False
    KAZOO_IMPORT_ERROR = traceback.format_exc()


class ZkSession:
    def __init__(self, module):
        params = module.params
        self.module = module
        auth = None
        if params["zookeeper_user"]:
            auth = [("digest", "%s:%s" % (params["zookeeper_user"], params["zookeeper_password"] or ""))]
        self.client = KazooClient(hosts=",".join(params["zookeeper_hosts"]), auth_data=auth, timeout=5.0)

    def __enter__(self):
        try:
            self.client.start(timeout=10)
        except KazooTimeoutError:
            self.module.fail_json(msg="ZooKeeper is unreachable at %s." % ", ".join(self.module.params["zookeeper_hosts"]))
        return self.client

    def __exit__(self, *exc):
        try:
            self.client.stop()
            self.client.close()
        except Exception:  # closing a broken session must not hide the real error
            pass
        return False


def registration(client, path):
    """The node's znode data as a dict, or None when it is absent."""
    try:
        data, _stat = client.get(path)
    except NoNodeError:
        return None
    try:
        return json.loads(data.decode("utf-8"))
    except ValueError:
        return {}


def unreachable_dependency(params):
    zk = [fn.split_endpoint(e, 2181) for e in params["zookeeper_hosts"]]
    if not any(fn.tcp_reachable(h, p) for h, p in zk):
        return "ZooKeeper is unreachable from this node at %s" % ", ".join(params["zookeeper_hosts"])
    if params["database_host"] and not fn.tcp_reachable(params["database_host"], params["database_port"]):
        return "MySQL is unreachable from this node at %s:%s" % (params["database_host"], params["database_port"])
    return None


def wait_healthy(module, result):
    params = module.params
    major = 1 if str(params["flow_version"]).lstrip("vV").startswith("1") else 2
    own = result["instance_id"]
    started = time.time()
    deadline = started + params["timeout"]
    reason = ""
    with ZkSession(module) as client:
        while True:
            ok, servers, reason = fn.health(params["host"], params["http_port"], major)
            if ok and major == 2 and own not in servers:
                ok, reason = False, "it answers but does not list itself (%s) among %s" % (own, servers or "no servers")
            if ok:
                try:
                    data = registration(client, result["znode"])
                except NoAuthError:
                    module.fail_json(msg="ZooKeeper refused to read %s with user %r: check the FATE ZooKeeper "
                                         "credential." % (result["znode"], params["zookeeper_user"]), **result)
                if data is None:
                    ok, reason = False, "its znode %s is missing" % result["znode"]
                elif data.get("host") != params["host"]:
                    ok, reason = False, "its znode carries host %r" % data.get("host")
            if ok:
                result["servers"] = servers
                result["elapsed"] = round(time.time() - started, 1)
                return
            if time.time() >= deadline:
                break
            time.sleep(2)
    dependency = unreachable_dependency(params)
    if dependency:
        module.fail_json(msg="FATE Flow on %s is not healthy: %s." % (params["host"], dependency), **result)
    log_path, tail = fn.log_tail(params["log_files"])
    msg = "FATE Flow on %s is not healthy after %ss: %s." % (params["host"], params["timeout"], reason)
    if log_path:
        msg += " Last lines of %s:\n%s" % (log_path, tail)
    module.fail_json(msg=msg, log_file=log_path, log_tail=tail.splitlines(), **result)


def unregister(module, result):
    with ZkSession(module) as client:
        try:
            exists = client.exists(result["znode"]) is not None
            if exists and not module.check_mode:
                client.delete(result["znode"])
        except NoAuthError:
            module.fail_json(msg="ZooKeeper refused to delete %s with user %r: check the FATE ZooKeeper "
                                 "credential." % (result["znode"], module.params["zookeeper_user"]), **result)
        except NoNodeError:
            exists = False
    result["changed"] = exists


def main():
    module = AnsibleModule(
        argument_spec=dict(
            state=dict(type="str", choices=["healthy", "unregistered"], default="healthy"),
            host=dict(type="str", required=True),
            http_port=dict(type="int", default=9380),
            grpc_port=dict(type="int", default=9360),
            flow_version=dict(type="str", default="2"),
            zookeeper_hosts=dict(type="list", elements="str", required=True),
            zookeeper_user=dict(type="str"),
            zookeeper_password=dict(type="str", no_log=True),
            database_host=dict(type="str"),
            database_port=dict(type="int", default=3306),
            timeout=dict(type="int", default=120),
            log_files=dict(type="list", elements="path", default=[]),
        ),
        required_together=[("zookeeper_user", "zookeeper_password")],
        supports_check_mode=True,
    )
    if not HAS_KAZOO:
        module.fail_json(msg=missing_required_lib("kazoo (Debian package python3-kazoo)"), exception=KAZOO_IMPORT_ERROR)
    params = module.params
    result = dict(
        changed=False,
        instance_id=fn.instance_id(params["host"], params["http_port"]),
        znode=fn.znode_path(params["host"], params["grpc_port"]),
    )
    if params["state"] == "healthy":
        wait_healthy(module, result)
    else:
        unregister(module, result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
