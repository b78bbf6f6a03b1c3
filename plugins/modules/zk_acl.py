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
  - A change of several nodes (a recursive ACL change, a removed subtree, a node created with its
    missing parents) that a node refuses part-way (its ACL denies this session the admin or delete
    permission, someone changed it meanwhile) stops there and fails. The result then says exactly
    what was done - C(changed) is true when any node was changed, RV(changed_paths) lists them -
    and RV(failed_path) and the message name the node that refused and why. Nothing is undone; run
    again once that node can be changed. A node removed by someone else meanwhile is skipped.
  - Every option is checked (paths by ZooKeeper's own rules, addresses, ports, permissions, the
    timeout) before the module connects.
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
      - V(absent) removes the node; with O(recursive) the whole subtree, deepest nodes first.
    type: str
    default: present
    choices: [present, absent]
  value:
    description:
      - Data of the node (at most 1 MiB less 1 KiB, ZooKeeper's default request limit). Omitted, the data is
        left as it is (a new node gets none).
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
  description:
    - Whether the node exists after the run (in check mode, would exist); on failure, whether it exists
      as far as the module knows.
  returned: always
  type: bool
acls:
  description: The ACL of O(name) after the run (in check mode, the ACL it would have); empty when absent.
  returned: always
  type: list
  elements: dict
  sample: [{scheme: digest, id: "fate:3TfzM2VxkWu8TEjoqf95CBJqfEQ=", perms: cdrwa}]
changed_paths:
  description:
    - Every path created (missing parents included), changed or removed (would be, in check mode), sorted;
      a removed subtree lists each of its nodes.
    - On a failure part-way, exactly the nodes changed before the module stopped.
  returned: always
  type: list
  elements: str
failed_path:
  description: The node that refused a change and stopped a change of several nodes part-way.
  returned: when a change of several nodes stopped part-way
  type: str
nodes_checked:
  description: Number of nodes whose ACL was read (with O(state=absent), the nodes to remove).
  returned: always
  type: int
"""

import itertools

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes, to_text

from ansible_collections.fateflow.ha.plugins.module_utils.zookeeper import (
    CONNECTION_REQUIRED_TOGETHER,
    ZookeeperModuleError,
    acls_for_output,
    acls_from_kazoo,
    acls_to_kazoo,
    apply_pipelined,
    check_connection_options,
    check_kazoo,
    connect,
    connection_argument_spec,
    disconnect,
    explain,
    list_subtree,
    normalize_acls,
    resolve_auth_acl,
    session_identities,
    walk_acls,
)
from ansible_collections.fateflow.ha.plugins.module_utils import validation

# ZooKeeper's default jute.maxbuffer: the largest request a server takes, data included.
VALUE_MAX_BYTES = 1024 * 1024 - 1024

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


class PartialChange(ZookeeperModuleError):
    """A multi-node change stopped at ``path``; the result says which nodes it had changed."""

    def __init__(self, done, total, path, exc, action):
        self.path = path
        reason = explain(exc, path, action).rstrip(".")
        if total == 1:
            msg = "%s." % reason
        elif done:
            msg = "Changed %d of %d nodes, then stopped: %s. The other %d are as they were; " \
                  "changed_paths lists the nodes changed." % (len(done), total, reason, total - len(done))
        else:
            msg = "Changed nothing: %s." % reason
        super(PartialChange, self).__init__(msg)


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

    def changes(self, done):
        """Note what is changed so far, so that a failure reports exactly that."""
        self.result["changed_paths"] = sorted(set(self.result["changed_paths"]) | set(done))
        self.result["changed"] = bool(self.result["changed_paths"])

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
        self.result["acls"] = acls_for_output(current)
        planned = sorted(set(to_fix + ([self.path] if data_differs else [])))
        if self.module._diff:
            self.result["diff"] = dict(
                before=self.describe(current, data if wanted_value is not None else None, nodes, to_fix, before=True),
                after=self.describe(after, wanted_value, nodes, to_fix, before=False),
            )
        if self.module.check_mode or not planned:
            self.result["acls"] = acls_for_output(after)
            self.changes(planned)
            return
        if data_differs:
            try:
                self.client.set(self.path, wanted_value, version=stat.version)
            except Exception as exc:
                raise PartialChange([], len(planned), self.path, exc, "set the data of")
            self.changes([self.path])
        if to_fix:
            self.set_acls(to_fix, nodes, len(planned))
        self.result["acls"] = acls_for_output(after)
        self.reread_acls()

    def set_acls(self, paths, nodes, total):
        # Deepest first: a parent is changed only after everything under it.
        wanted = acls_to_kazoo(self.wanted)
        self.by_level(paths, total, "set the ACL of",
                      lambda p: self.client.set_acls_async(p, wanted, version=nodes[p][1].aversion))

    def by_level(self, paths, total, action, start):
        """Change ``paths`` (deepest first) one depth at a time: after a level where a node refused, no
        node above is touched, so a parent never gets the change while a node under it did not."""
        for _depth, level in itertools.groupby(paths, key=lambda p: p.count("/")):
            done, failure = apply_pipelined((p, lambda p=p: start(p)) for p in level)
            self.changes(done)
            if failure is not None:
                self.reread_acls()
                raise PartialChange(self.result["changed_paths"], total, failure[0], failure[1], action)

    def missing_ancestors(self):
        """The parents of the node that do not exist, top first (created with it, with its ACL)."""
        missing = []
        parent = self.path.rsplit("/", 1)[0]
        while parent:
            try:
                if self.client.exists(parent) is not None:
                    break
            except Exception as exc:
                raise ZookeeperModuleError(explain(exc, parent, "look up"))
            missing.insert(0, parent)
            parent = parent.rsplit("/", 1)[0]
        return missing

    def create(self, wanted_value):
        acl_list = acls_to_kazoo(self.wanted) if self.wanted is not None else None
        planned = self.missing_ancestors() + [self.path]
        after = self.wanted if self.wanted is not None else frozenset([("world", "anyone", 31)])
        if self.module._diff:
            self.result["diff"] = dict(before="", after=self.describe(self.wanted, wanted_value, {}, [], before=False)
                                       + "".join("created parent: %s\n" % p for p in planned[:-1]))
        if self.module.check_mode:
            self.result.update(exists=True, acls=acls_for_output(after))
            self.changes(planned)
            return
        for path in planned:
            try:
                self.client.create(path, (wanted_value or b"") if path == self.path else b"", acl=acl_list)
            except NodeExistsError:
                if path == self.path:
                    raise ZookeeperModuleError(
                        "Cannot create %s: someone else created it while the module ran; run again." % self.path)
                continue  # a parent created meanwhile by someone else: it is there, as wanted
            except Exception as exc:
                raise PartialChange(self.result["changed_paths"], len(planned), path, exc, "create")
            self.changes([path])
        self.result.update(exists=True, acls=acls_for_output(after))
        self.reread_acls()

    def reread_acls(self):
        """Report the ACL ZooKeeper stored, unless the new ACL no longer lets this session read it."""
        try:
            final_acls, _stat = self.client.get_acls(self.path)
        except (NoAuthError, NoNodeError):
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
        if self.path == "/":
            raise ZookeeperModuleError("name / is ZooKeeper's root, which cannot be removed.")
        try:
            stat = self.client.exists(self.path)
        except Exception as exc:
            raise ZookeeperModuleError(explain(exc, self.path, "look up"))
        if stat is None:
            return
        self.result["exists"] = True
        if stat.numChildren and not self.params["recursive"]:
            raise ZookeeperModuleError(
                "Cannot remove %s: it has %d children; set recursive to remove the subtree." % (self.path, stat.numChildren))
        # Deepest first; the whole subtree is listed before anything is removed.
        planned = list(reversed(list_subtree(self.client, self.path))) + [self.path] if stat.numChildren else [self.path]
        self.result["nodes_checked"] = len(planned)
        if self.module._diff:
            self.result["diff"] = dict(before="path: %s\n" % self.path + (
                "descendants: %d\n" % (len(planned) - 1) if len(planned) > 1 else ""), after="")
        if self.module.check_mode:
            self.result["exists"] = False
            self.changes(planned)
            return
        self.by_level(planned, len(planned), "remove", self.client.delete_async)
        self.result["exists"] = False


def check_value(option, value):
    validation.text(option, value, allow_empty=True, single_line=False, max_length=VALUE_MAX_BYTES)
    if len(to_bytes(value, errors="surrogate_or_strict")) > VALUE_MAX_BYTES:
        raise validation.InputError(option, "is larger than the %d bytes ZooKeeper takes in a node" % VALUE_MAX_BYTES)
    return value


def main():
    module = AnsibleModule(
        argument_spec=argument_spec(),
        required_together=CONNECTION_REQUIRED_TOGETHER,
        supports_check_mode=True,
    )
    params = module.params
    check_connection_options(module)
    validation.check_options(module, dict(name=validation.znode_path, value=check_value))
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
    except PartialChange as exc:
        disconnect(client)
        module.fail_json(msg=str(exc), failed_path=exc.path, **worker.result)
    except ZookeeperModuleError as exc:
        disconnect(client)
        module.fail_json(msg=str(exc), **worker.result)
    except KazooException as exc:  # e.g. the session lost half-way
        disconnect(client)
        module.fail_json(msg=explain(exc, params["name"], "work on"), **worker.result)
    disconnect(client)
    module.exit_json(**worker.result)


if __name__ == "__main__":
    main()
