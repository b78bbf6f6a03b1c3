#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: fateflow.ha contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: fateflow_node
short_description: Check or wait until a FATE Flow node is healthy and registered, or clear its stale registration
version_added: 0.1.0
description:
  - O(state=healthy) checks that the node answers its health endpoint with code 0, its own instance
    (C(flow-<host>-<http_port>)) is among the servers it lists (2.x), and its znode under
    C(/FATE-COMPONENTS/fate-flow) in ZooKeeper carries its own host and gRPC port. It never changes anything.
  - With O(wait=true) it checks until the node is healthy or O(wait_timeout) has passed, and fails when
    the node does not come up, naming the unreachable dependency (ZooKeeper or MySQL) if there is one,
    and otherwise showing the tail of the node's log. With O(wait=false) it checks once and returns the
    report, healthy or not; a health report never fails for an unhealthy node.
  - Given O(database_user), it also logs in to MySQL once, as FATE Flow does, and reports the outcome
    in RV(database_login).
  - O(state=unregistered) deletes the node's own znode, which a stopped server leaves behind until
    its ZooKeeper session expires; a server started while it lingers does not serve. Use it only
    while the node's server is stopped.
  - Runs on the Flow node (it needs to reach the same ZooKeeper and MySQL the server does).
  - The ZooKeeper connection options are those of every ZooKeeper module of the collection; set them
    once with C(module_defaults) for C(group/fateflow.ha.zookeeper). O(auth_credential) is FATE Flow's
    C(zookeeper.user:zookeeper.password) when it runs with C(use_acl).
author:
  - fateflow.ha contributors (@fateflow)
extends_documentation_fragment:
  - fateflow.ha.zookeeper
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
  wait:
    description:
      - With O(state=healthy), check until the node is healthy (failing after O(wait_timeout)); when
        false, check once and return the report without failing.
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds O(wait=true) waits, all checks included (0 to 86400). The ZooKeeper session is opened first,
        within O(timeout).
      - However slowly the node or ZooKeeper answer, the whole call takes at most O(timeout) to open the
        ZooKeeper session, then O(wait_timeout) for the checks (with O(wait=false), O(timeout) for the one
        check), plus at most 5 s for the MySQL login of O(database_user) and, when the node does not come
        up, 3 s for probing its dependencies.
    type: int
    default: 120
  database_host:
    description: MySQL host FATE Flow uses, to name it when it is unreachable and to log in to.
    type: str
  database_port:
    description: MySQL port.
    type: int
    default: 3306
  database_user:
    description:
      - MySQL user FATE Flow logs in as (C(database.user)); when given, the module logs in once with
        PyMySQL (on the interpreter that runs the module) and returns RV(database_login).
    type: str
  database_password:
    description: Its password (C(database.passwd)).
    type: str
  database_name:
    description: Database FATE Flow uses (C(database.name)); the login selects it.
    type: str
  log_files:
    description: Log files of the node, the first existing one is shown when it does not come up.
    type: list
    elements: path
    default: []
attributes:
  check_mode:
    description: Can run in check mode and report what it would change without changing it.
    support: full
    details: O(state=unregistered) reports what it would delete.
  diff_mode:
    description: Returns the before and after of what it changes (or would change, in check mode) in diff mode.
    support: none
requirements:
  - kazoo (Debian package python3-kazoo) on the Flow node
  - PyMySQL (Debian package python3-pymysql) on the Flow node, for O(database_user)
"""

EXAMPLES = r"""
- name: Wait until this Flow node serves and is registered
  fateflow.ha.fateflow_node:
    host: 192.168.0.2
    hosts: [192.168.0.1:2181]
    auth_credential: "fate:{{ vault_zk_password }}"
    database_host: 192.168.0.1
    log_files: [/data/projects/fate_flow/logs/fate_flow/INFO.log]

- name: Report the node's health without waiting, MySQL login included
  fateflow.ha.fateflow_node:
    host: 192.168.0.2
    wait: false
    hosts: [192.168.0.1:2181]
    auth_credential: "{{ ('fate:' ~ vault_zk_password) if zk_use_acl else '' }}"
    database_host: 192.168.0.1
    database_user: fate
    database_password: "{{ vault_db_password }}"
    database_name: fate_flow
  register: flow_health

- name: Clear the stale registration of a stopped Flow node before starting it again
  module_defaults:
    group/fateflow.ha.zookeeper: "{{ zookeeper_connection }}"
  fateflow.ha.fateflow_node:
    state: unregistered
    host: 192.168.0.2
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
healthy:
  description: The node answers with code 0, lists itself (2.x) and is registered as itself.
  returned: state=healthy
  type: bool
answers:
  description: The node answered its health endpoint with code 0.
  returned: state=healthy
  type: bool
lists_itself:
  description: Its own instance id is among the servers it lists; null on 1.x, which lists none.
  returned: state=healthy
  type: bool
registered:
  description: Its znode exists and carries its own host and gRPC port.
  returned: state=healthy
  type: bool
registration:
  description: The data of its znode as FATE Flow wrote it (C({}) when not a JSON object), null when absent or unreadable.
  returned: state=healthy
  type: dict
  sample: {instance_id: flow-192.168.0.2-9380, host: 192.168.0.2, grpc_port: 9360, http_port: 9380, version: 2.2.0}
servers:
  description: Instance ids the node lists as registered (2.x).
  returned: state=healthy
  type: list
  elements: str
reason:
  description: Why the node is not healthy, in one sentence; empty when it is.
  returned: state=healthy
  type: str
  sample: "its znode /FATE-COMPONENTS/fate-flow/192.168.0.2%3A9360 is missing"
database_login:
  description: Outcome of one MySQL login with O(database_user); the message never holds the password.
  returned: state=healthy and O(database_user) given
  type: dict
  contains:
    ok:
      description: The login succeeded.
      type: bool
    message:
      description: What was tried and, when it failed, MySQL's answer.
      type: str
  sample: {ok: true, message: "logged in to MySQL at 192.168.0.1:3306 as fate (database fate_flow)"}
elapsed:
  description: Seconds the check took.
  returned: state=healthy
  type: float
"""

import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.fateflow.ha.plugins.module_utils import fateflow_node as fn
from ansible_collections.fateflow.ha.plugins.module_utils import validation
from ansible_collections.fateflow.ha.plugins.module_utils.deadline import Deadline
from ansible_collections.fateflow.ha.plugins.module_utils.endpoints import split_host_port
from ansible_collections.fateflow.ha.plugins.module_utils.zookeeper import (
    CONNECTION_REQUIRED_TOGETHER,
    ZookeeperModuleError,
    check_connection_options,
    check_kazoo,
    connect,
    connection_argument_spec,
    disconnect,
    explain,
    normalize_hosts,
)

try:
    from kazoo.exceptions import KazooException, NoAuthError, NoNodeError
except ImportError:
    pass  # reported by check_kazoo


def registration_reader(client, refused):
    """read_registration for fn.node_report; a refusal is noted in ``refused`` (it will not heal by waiting)."""
    def read(path, timeout):
        try:
            data, _stat = client.get_async(path).get(timeout=timeout)
        except NoNodeError:
            return None
        except Exception as exc:  # kazoo's errors and its handler's timeout
            if isinstance(exc, NoAuthError):
                refused.append(path)
            raise fn.RegistryError(explain(exc, path, "read").rstrip("."))
        return fn.decode_registration(data)
    return read


# Seconds all the probes for an unreachable dependency take together.
PROBES_TIMEOUT = 3.0


def unreachable_dependency(params):
    zookeeper = []
    for endpoint in normalize_hosts(params["hosts"]).split("/", 1)[0].split(","):
        try:
            zookeeper.append(split_host_port(endpoint, 2181))
        except ValueError:
            continue
    probes = Deadline(PROBES_TIMEOUT)
    if not any(fn.tcp_reachable(h, p, max(0.1, probes.left())) for h, p in zookeeper):
        return "ZooKeeper is unreachable from this node at %s" % ", ".join(params["hosts"])
    if params["database_host"] and not fn.tcp_reachable(params["database_host"], params["database_port"],
                                                        max(0.1, probes.left())):
        return "MySQL is unreachable from this node at %s:%s" % (params["database_host"], params["database_port"])
    return None


def check_health(module, result):
    params = module.params
    major = fn.major_version(params["flow_version"])
    started = time.monotonic()
    try:
        client = connect(params)
    except ZookeeperModuleError as exc:
        client, connect_error = None, str(exc).rstrip(".")
        if params["wait"]:
            module.fail_json(msg="FATE Flow on %s cannot be checked: %s." % (params["host"], connect_error), **result)
    refused = []
    if client is None:
        def read(path, timeout):
            raise fn.RegistryError(connect_error)
    else:
        read = registration_reader(client, refused)
    # The ZooKeeper session opened (or failed) within timeout; the checks take timeout, or wait_timeout.
    deadline = Deadline(params["wait_timeout"] if params["wait"] else params["timeout"])
    try:
        while True:
            step = max(0.1, min(fn.STEP_TIMEOUT, deadline.left()))
            report = fn.node_report(params["host"], params["http_port"], params["grpc_port"], major, read, step)
            if report["healthy"] or not params["wait"] or refused or deadline.passed():
                break
            time.sleep(min(2.0, deadline.left()))
    finally:
        if client is not None:
            disconnect(client)
    result.update(report)
    if params["database_user"]:
        result["database_login"] = fn.database_login(
            params["database_host"], params["database_port"], params["database_user"],
            params["database_password"], params["database_name"], timeout=min(fn.STEP_TIMEOUT, max(1.0, deadline.left())))
    result["elapsed"] = round(time.monotonic() - started, 1)
    if report["healthy"] or not params["wait"]:
        return
    if refused:
        module.fail_json(msg="FATE Flow on %s cannot be checked: %s; check the FATE ZooKeeper credential "
                             "(auth_credential)." % (params["host"], report["reason"]), **result)
    dependency = unreachable_dependency(params)
    if not dependency and not result.get("database_login", {"ok": True})["ok"]:
        dependency = result["database_login"]["message"]
    if dependency:
        module.fail_json(msg="FATE Flow on %s is not healthy: %s." % (params["host"], dependency), **result)
    log_path, tail = fn.log_tail(params["log_files"])
    msg = "FATE Flow on %s is not healthy after %ss: %s." % (params["host"], params["wait_timeout"], report["reason"])
    if log_path:
        msg += " Last lines of %s:\n%s" % (log_path, tail)
    module.fail_json(msg=msg, log_file=log_path, log_tail=tail.splitlines(), **result)


def unregister(module, result):
    try:
        client = connect(module.params)
    except ZookeeperModuleError as exc:
        module.fail_json(msg=str(exc), **result)
    path = result["znode"]
    try:
        exists = client.exists(path) is not None
        if exists and not module.check_mode:
            client.delete(path)
    except NoNodeError:
        exists = False
    except KazooException as exc:
        module.fail_json(msg=explain(exc, path, "delete"), **result)
    finally:
        disconnect(client)
    result["changed"] = exists


def main():
    spec = connection_argument_spec()
    spec.update(
        state=dict(type="str", choices=["healthy", "unregistered"], default="healthy"),
        host=dict(type="str", required=True),
        http_port=dict(type="int", default=9380),
        grpc_port=dict(type="int", default=9360),
        flow_version=dict(type="str", default="2"),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=120),
        database_host=dict(type="str"),
        database_port=dict(type="int", default=3306),
        database_user=dict(type="str"),
        database_password=dict(type="str", no_log=True),
        database_name=dict(type="str"),
        log_files=dict(type="list", elements="path", default=[]),
    )
    module = AnsibleModule(
        argument_spec=spec,
        required_together=CONNECTION_REQUIRED_TOGETHER,
        required_by=dict(database_user="database_host"),
        supports_check_mode=True,
    )
    check_kazoo(module)
    params = module.params
    check_connection_options(module)
    validation.check_options(module, dict(
        host=validation.address,
        http_port=validation.port,
        grpc_port=validation.port,
        flow_version=validation.flow_version,
        wait_timeout=lambda option, value: validation.integer(option, value, minimum=0, maximum=86400),
        database_host=validation.address,
        database_port=validation.port,
        database_user=lambda option, value: validation.text(option, value, max_length=256),
        database_password=lambda option, value: validation.text(option, value, secret=True, allow_empty=True),
        database_name=lambda option, value: validation.text(option, value, max_length=256),
        log_files=lambda option, value: [validation.text("%s[%d]" % (option, i), f) for i, f in enumerate(value)],
    ))
    result = dict(
        changed=False,
        instance_id=fn.instance_id(params["host"], params["http_port"]),
        znode=fn.znode_path(params["host"], params["grpc_port"]),
    )
    if params["state"] == "healthy":
        check_health(module, result)
    else:
        unregister(module, result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
