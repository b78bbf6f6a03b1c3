#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: fateflow.ha contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: zk_acl
short_description: Manage ZooKeeper znodes and their ACLs
version_added: 0.1.0
description:
  - Creates, updates or removes a znode, its data and its ACL, idempotently.
  - With O(recursive), sets the ACL of a whole subtree; the tree is read with pipelined
    requests and only nodes whose ACL differs are written, each with the ACL version it was read at.
  - The whole subtree is read before anything is written, so an ACL that takes away the module's
    own permissions cannot stop a recursive change half-way.
author:
  - fateflow.ha contributors (@fateflow)
extends_documentation_fragment:
  - fateflow.ha.zookeeper
attributes:
  check_mode:
    description: Can run in check mode and report what it would change without changing it.
    support: full
  diff_mode:
    description: Returns the before and after of what it changes (or would change, in check mode) in diff mode.
    support: full
options:
  name:
    description:
      - Path of the znode.
    type: str
    required: true
    aliases: [path]
  state:
    description:
      - V(present) creates the node (and missing parents, with the same ACL) and sets its data and ACL.
      - V(absent) removes the node; with O(recursive) the whole subtree.
    type: str
    default: present
    choices: [present, absent]
  value:
    description:
      - Data of the node. Omitted, the data is left as it is (a new node gets none).
    type: str
  acls:
    description:
      - The node's ACL becomes exactly this set of entries.
      - Omitted, the ACL is left alone; a new node gets ZooKeeper's open default (C(world:anyone:cdrwa)).
      - Entries naming the same identity are merged.
    type: list
    elements: dict
    suboptions:
      scheme:
        description: ACL scheme.
        type: str
        required: true
        choices: [world, digest, ip, auth, sasl, x509]
      id:
        description:
          - Identity; C(anyone) for V(world), C(user:base64hash) for V(digest), an address or CIDR for V(ip).
          - Not used with V(auth), which ZooKeeper replaces by the session's own identities.
        type: str
      username:
        description: For V(digest), instead of O(acls[].id); hashed the way ZooKeeper does.
        type: str
      password:
        description: Password of O(acls[].username).
        type: str
      perms:
        description: V(all), or any of zkCli's letters C(c) create, C(d) delete, C(r) read, C(w) write, C(a) admin.
        type: str
        default: all
  recursive:
    description:
      - With O(state=present) and O(acls), apply the ACL to the node and every existing descendant.
      - With O(state=absent), remove the node and its subtree; without it a node with children is an error.
    type: bool
    default: false
notes:
  - ZooKeeper 3.8 shows digest ids of an ACL only to sessions with ADMIN permission on the node;
    authenticate with a credential that has it.
seealso:
  - module: fateflow.ha.fateflow_registry_info
"""

EXAMPLES = r"""
- name: Give FATE's registry root to the FATE user only
  fateflow.ha.zk_acl:
    hosts: "10.0.0.1:2181,10.0.0.2:2181,10.0.0.3:2181"
    name: /FATE-COMPONENTS
    acls:
      - scheme: digest
        username: fate
        password: "{{ vault_zk_password }}"
        perms: all
    recursive: true
    auth_credential: "fate:{{ vault_zk_password }}"

- name: Let monitoring read one node by address
  fateflow.ha.zk_acl:
    hosts: [10.0.0.1:2181]
    name: /FATE-SERVICES/flow
    acls:
      - {scheme: digest, username: fate, password: "{{ vault_zk_password }}", perms: all}
      - {scheme: ip, id: 10.0.0.0/24, perms: r}
    auth_credential: "fate:{{ vault_zk_password }}"

- name: Remove a test subtree
  fateflow.ha.zk_acl:
    hosts: [127.0.0.1:2181]
    name: /scratch
    state: absent
    recursive: true
"""

RETURN = r"""
path:
  description: The node the module worked on.
  returned: always
  type: str
  sample: /FATE-COMPONENTS
exists:
  description: Whether the node exists after the run (in check mode, would exist).
  returned: always
  type: bool
acls:
  description: The ACL of O(name) after the run (in check mode, the ACL it would have); empty when absent.
  returned: always
  type: list
  elements: dict
  sample: [{scheme: digest, id: "fate:3TfzM2VxkWu8TEjoqf95CBJqfEQ=", perms: cdrwa}]
changed_paths:
  description: Paths created, changed or removed (would be, in check mode); a removed subtree is its top path.
  returned: always
  type: list
  elements: str
nodes_checked:
  description: Number of nodes whose ACL was read.
  returned: always
  type: int
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes, to_text

from ansible_collections.fateflow.ha.plugins.module_utils.zookeeper import (
    CONNECTION_REQUIRED_TOGETHER,
    ZookeeperModuleError,
    acls_for_output,
    acls_from_kazoo,
    acls_to_kazoo,
    check_kazoo,
    connect,
    connection_argument_spec,
    disconnect,
    explain,
    normalize_acls,
    pipelined,
    resolve_auth_acl,
    session_identities,
    walk_acls,
)

try:
    from kazoo.exceptions import KazooException, NoAuthError, NoNodeError, NodeExistsError
except ImportError:
    pass  # reported by check_kazoo


def argument_spec():
    spec = connection_argument_spec()
    spec.update(
        name=dict(type="str", required=True, aliases=["path"]),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        value=dict(type="str"),
        acls=dict(
            type="list",
            elements="dict",
            options=dict(
                scheme=dict(type="str", required=True, choices=["world", "digest", "ip", "auth", "sasl", "x509"]),
                id=dict(type="str"),
                username=dict(type="str"),
                password=dict(type="str", no_log=True),
                perms=dict(type="str", default="all"),
            ),
            mutually_exclusive=[("id", "username"), ("id", "password")],
            required_together=[("username", "password")],
        ),
        recursive=dict(type="bool", default=False),
    )
    return spec


class ZnodeAcl:
    def __init__(self, module, client, wanted_acls):
        self.module = module
        self.client = client
        self.params = module.params
        self.path = module.params["name"]
        self.wanted = wanted_acls
        self.result = dict(changed=False, path=self.path, exists=False, acls=[], changed_paths=[], nodes_checked=0)

    def read(self):
        try:
            acls, stat = self.client.get_acls(self.path)
        except NoNodeError:
            return None, None, None
        except Exception as exc:
            raise ZookeeperModuleError(explain(exc, self.path, "read the ACL of"))
        data = None
        if self.params["value"] is not None:
            try:
                data, stat = self.client.get(self.path)
            except Exception as exc:
                raise ZookeeperModuleError(explain(exc, self.path, "read the data of"))
        return acls, stat, data

    def present(self):
        acls, stat, data = self.read()
        wanted_value = to_bytes(self.params["value"]) if self.params["value"] is not None else None
        if stat is None:
            return self.create(wanted_value)
        current = acls_from_kazoo(acls)
        self.result["exists"] = True
        nodes = {self.path: (current, stat)}
        if self.wanted is not None and self.params["recursive"]:
            nodes = walk_acls(self.client, self.path, acls, stat)
        self.result["nodes_checked"] = len(nodes)
        to_fix = []
        if self.wanted is not None:
            to_fix = sorted(
                (path for path, (node_acls, _stat) in nodes.items() if node_acls != self.wanted),
                key=lambda p: (-p.count("/"), p))
        data_differs = wanted_value is not None and data != wanted_value
        after = self.wanted if self.wanted is not None else current
        self.result["acls"] = acls_for_output(after)
        self.result["changed_paths"] = sorted(set(to_fix + ([self.path] if data_differs else [])))
        self.result["changed"] = bool(self.result["changed_paths"])
        if self.module._diff:
            self.result["diff"] = dict(
                before=self.describe(current, data if wanted_value is not None else None, nodes, to_fix, before=True),
                after=self.describe(after, wanted_value, nodes, to_fix, before=False),
            )
        if self.module.check_mode or not self.result["changed"]:
            return
        if data_differs:
            try:
                self.client.set(self.path, wanted_value, version=stat.version)
            except Exception as exc:
                raise ZookeeperModuleError(explain(exc, self.path, "set the data of"))
        if to_fix:
            self.set_acls(to_fix, nodes)
        self.reread_acls()

    def set_acls(self, paths, nodes):
        # Deepest first: a parent is changed only after everything under it.
        wanted = acls_to_kazoo(self.wanted)
        calls = ((p, lambda p=p: self.client.set_acls_async(p, wanted, version=nodes[p][1].aversion)) for p in paths)
        for path, _value, exc in pipelined(calls):
            if exc is not None:
                raise ZookeeperModuleError(explain(exc, path, "set the ACL of"))

    def create(self, wanted_value):
        self.result.update(changed=True, exists=True, changed_paths=[self.path], nodes_checked=0)
        acl_list = acls_to_kazoo(self.wanted) if self.wanted is not None else None
        if self.wanted is not None:
            self.result["acls"] = acls_for_output(self.wanted)
        else:
            self.result["acls"] = [dict(scheme="world", id="anyone", perms="cdrwa")]
        if self.module._diff:
            self.result["diff"] = dict(before="", after=self.describe(self.wanted, wanted_value, {}, [], before=False))
        if self.module.check_mode:
            return
        try:
            self.client.create(self.path, wanted_value or b"", acl=acl_list, makepath=True)
        except NodeExistsError:
            raise ZookeeperModuleError("Cannot create %s: someone else created it while the module ran; run again." % self.path)
        except Exception as exc:
            raise ZookeeperModuleError(explain(exc, self.path, "create"))
        self.reread_acls()

    def reread_acls(self):
        """Report the ACL ZooKeeper stored, unless the new ACL no longer lets this session read it."""
        try:
            final_acls, _stat = self.client.get_acls(self.path)
        except NoAuthError:
            return
        self.result["acls"] = acls_for_output(acls_from_kazoo(final_acls))

    def describe(self, acl_set, data, nodes, to_fix, before):
        text = "path: %s\n" % self.path
        if data is not None:
            text += "value: %s\n" % to_text(data, errors="surrogate_or_replace")
        if acl_set is not None:
            for entry in acls_for_output(acl_set):
                text += "acl: %(scheme)s:%(id)s:%(perms)s\n" % entry
        others = [p for p in to_fix if p != self.path]
        if others:
            text += "descendants %s: %d of %d\n" % (
                "with another ACL" if before else "given this ACL", len(others), len(nodes) - 1)
        return text

    def absent(self):
        try:
            stat = self.client.exists(self.path)
        except Exception as exc:
            raise ZookeeperModuleError(explain(exc, self.path, "look up"))
        if stat is None:
            return
        if stat.numChildren and not self.params["recursive"]:
            raise ZookeeperModuleError(
                "Cannot remove %s: it has %d children; set recursive to remove the subtree." % (self.path, stat.numChildren))
        self.result.update(changed=True, changed_paths=[self.path], nodes_checked=1)
        if self.module._diff:
            self.result["diff"] = dict(before="path: %s\n" % self.path, after="")
        if self.module.check_mode:
            return
        try:
            self.client.delete(self.path, recursive=self.params["recursive"])
        except NoNodeError:
            pass
        except Exception as exc:
            raise ZookeeperModuleError(explain(exc, self.path, "remove"))


def main():
    module = AnsibleModule(
        argument_spec=argument_spec(),
        required_together=CONNECTION_REQUIRED_TOGETHER,
        supports_check_mode=True,
    )
    params = module.params
    if not params["name"].startswith("/") or (params["name"] != "/" and params["name"].endswith("/")):
        module.fail_json(msg="name %r must be an absolute znode path such as /FATE-COMPONENTS, without a trailing slash." % params["name"])
    if params["state"] == "absent" and (params["acls"] is not None or params["value"] is not None):
        module.fail_json(msg="acls and value are for state=present; remove them to delete %s." % params["name"])
    wanted = None
    if params["acls"] is not None:
        if not params["acls"]:
            module.fail_json(msg="acls is empty: a node needs at least one ACL entry; omit acls to leave the ACL alone.")
        try:
            wanted = normalize_acls(params["acls"])
            wanted = resolve_auth_acl(wanted, session_identities(params))
        except (ValueError, ZookeeperModuleError) as exc:
            module.fail_json(msg="%s." % str(exc).rstrip("."))
    check_kazoo(module)
    try:
        client = connect(params)
    except ZookeeperModuleError as exc:
        module.fail_json(msg=str(exc))
    worker = ZnodeAcl(module, client, wanted)
    try:
        if params["state"] == "present":
            worker.present()
        else:
            worker.absent()
    except ZookeeperModuleError as exc:
        disconnect(client)
        module.fail_json(msg=str(exc), **{k: v for k, v in worker.result.items() if k != "changed"})
    except KazooException as exc:  # e.g. the session lost half-way
        disconnect(client)
        module.fail_json(msg=explain(exc, params["name"], "work on"), **{k: v for k, v in worker.result.items() if k != "changed"})
    disconnect(client)
    module.exit_json(**worker.result)


if __name__ == "__main__":
    main()
