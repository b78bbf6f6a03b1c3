#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: fateflow.ha contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: fateflow_service_conf
short_description: Merge the high-availability settings into a FATE Flow service_conf.yaml
version_added: 0.1.0
description:
  - Sets, in an existing FATE Flow C(service_conf.yaml), the keys a highly available party needs
    (C(use_registry), the node's own C(fateflow.host) and ports, the C(fateflow.nginx) balancer,
    C(zookeeper), the shared MySQL C(database) and a MySQL model store, and for 1.x the party's
    rollsite), in the layout of FATE Flow 1.x or 2.x.
  - Every other key of the file stays as it was. Comments are kept when C(ruamel.yaml) is
    importable on the target (Debian package C(python3-ruamel.yaml)); with PyYAML alone they
    cannot be, and the module warns that they were dropped.
  - The diff masks every password.
author:
  - fateflow.ha maintainers
options:
  path:
    description: Path of the C(service_conf.yaml) file.
    type: path
    required: true
  flow_version:
    description:
      - FATE Flow version the file belongs to (C(1.11.2), C(2.2.0), or just C(1) / C(2)).
      - When omitted, the layout is told from the file's keys; an empty file needs it.
    type: str
  create:
    description: Create the file when it does not exist (needs O(flow_version)).
    type: bool
    default: false
  host:
    description: The node's own routable address (C(fateflow.host)); never C(127.0.0.1) or C(0.0.0.0).
    type: str
  http_port:
    description: C(fateflow.http_port).
    type: int
  grpc_port:
    description: C(fateflow.grpc_port).
    type: int
  party_id:
    description: C(party_id) (2.x only; ignored for 1.x).
    type: str
  use_registry:
    description: C(use_registry); every Flow server sharing one database needs it on.
    type: bool
    default: true
  nginx_host:
    description: Address of the party's balancer (C(fateflow.nginx.host)).
    type: str
  nginx_http_port:
    description: Balancer HTTP port (C(fateflow.nginx.http_port)).
    type: int
  nginx_grpc_port:
    description: Balancer gRPC port (C(fateflow.nginx.grpc_port)).
    type: int
  zookeeper_hosts:
    description: ZooKeeper servers as C(host:port) strings.
    type: list
    elements: str
  zookeeper_use_acl:
    description: C(zookeeper.use_acl).
    type: bool
  zookeeper_user:
    description: Digest user FATE Flow's znodes are created with.
    type: str
  zookeeper_password:
    description: Digest password of O(zookeeper_user).
    type: str
  database:
    description:
      - The party's shared MySQL database of FATE Flow (1.x C(database), 2.x C(database.mysql)
        with C(database.engine=mysql)).
    type: dict
    suboptions: &db_options
      name:
        description: Database name.
        type: str
        required: true
      user:
        description: Database user.
        type: str
        required: true
      password:
        description: Password of O(database.user) (written as C(passwd) or C(password) as the layout wants).
        type: str
        required: true
      host:
        description: MySQL server address.
        type: str
        required: true
      port:
        description: MySQL server port.
        type: int
        default: 3306
      max_connections:
        description: Connection pool size.
        type: int
      stale_timeout:
        description: Seconds before an idle pooled connection is dropped.
        type: int
  model_store:
    description:
      - The MySQL model store (1.x C(enable_model_store) + C(model_store_address), 2.x
        C(model_store.engine=mysql)). Defaults to O(database).
    type: dict
    suboptions: *db_options
  rollsite_host:
    description: The party's rollsite address (1.x C(fate_on_eggroll.rollsite.host)); ignored for 2.x.
    type: str
  rollsite_port:
    description: The party's rollsite port (1.x C(fate_on_eggroll.rollsite.port)); ignored for 2.x.
    type: int
  settings:
    description: Further keys merged in last, as nested mappings (for site-specific needs).
    type: dict
    default: {}
  backup:
    description: Keep a time-stamped copy of the file before changing it.
    type: bool
    default: false
extends_documentation_fragment:
  - ansible.builtin.files
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details: Passwords are masked in the diff.
requirements:
  - ruamel.yaml (keeps comments) or PyYAML on the target
"""

EXAMPLES = r"""
- name: Make this Flow node an HA member (FATE Flow 2.x)
  fateflow.ha.fateflow_service_conf:
    path: /data/projects/fate_flow/conf/service_conf.yaml
    host: "{{ ansible_default_ipv4.address }}"
    http_port: 9380
    grpc_port: 9360
    nginx_host: 192.168.0.1
    nginx_http_port: 9998
    nginx_grpc_port: 9999
    zookeeper_hosts: [192.168.0.1:2181]
    zookeeper_use_acl: true
    zookeeper_user: fate
    zookeeper_password: "{{ vault_zk_password }}"
    database:
      name: fate_flow
      user: fate
      password: "{{ vault_db_password }}"
      host: 192.168.0.1
    mode: "0640"
    backup: true

- name: Same on a FATE 1.x node, with its rollsite
  fateflow.ha.fateflow_service_conf:
    path: /data/projects/fate/conf/service_conf.yaml
    flow_version: 1.11.2
    host: 192.168.0.2
    nginx_host: 192.168.0.1
    nginx_http_port: 9998
    nginx_grpc_port: 9999
    zookeeper_hosts: [192.168.0.1:2181]
    database: {name: fate_flow, user: fate, password: "{{ vault_db_password }}", host: 192.168.0.1}
    rollsite_host: 192.168.0.1
    rollsite_port: 9370
"""

RETURN = r"""
flow_major:
  description: FATE Flow major version whose layout was written.
  returned: success
  type: int
  sample: 2
comments_preserved:
  description: Whether the file's comments were kept (false when only PyYAML was available).
  returned: success
  type: bool
yaml_library:
  description: YAML library used, C(ruamel) or C(pyyaml).
  returned: success
  type: str
backup_file:
  description: The backup copy, when one was made.
  returned: changed and backup
  type: str
"""

import os
import tempfile
import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible.module_utils.common.text.converters import to_bytes, to_native

from ansible_collections.fateflow.ha.plugins.module_utils import service_conf as sc

DB_SPEC = dict(
    name=dict(type="str", required=True),
    user=dict(type="str", required=True),
    password=dict(type="str", required=True, no_log=True),
    host=dict(type="str", required=True),
    port=dict(type="int", default=3306),
    max_connections=dict(type="int"),
    stale_timeout=dict(type="int"),
)

OVERLAY_PARAMS = (
    "host", "http_port", "grpc_port", "party_id", "use_registry", "nginx_host", "nginx_http_port",
    "nginx_grpc_port", "zookeeper_hosts", "zookeeper_use_acl", "zookeeper_user", "zookeeper_password",
    "database", "model_store", "rollsite_host", "rollsite_port",
)


def argument_spec():
    return dict(
        path=dict(type="path", required=True),
        flow_version=dict(type="str"),
        create=dict(type="bool", default=False),
        host=dict(type="str"),
        http_port=dict(type="int"),
        grpc_port=dict(type="int"),
        party_id=dict(type="str"),
        use_registry=dict(type="bool", default=True),
        nginx_host=dict(type="str"),
        nginx_http_port=dict(type="int"),
        nginx_grpc_port=dict(type="int"),
        zookeeper_hosts=dict(type="list", elements="str"),
        zookeeper_use_acl=dict(type="bool"),
        zookeeper_user=dict(type="str"),
        zookeeper_password=dict(type="str", no_log=True),
        database=dict(type="dict", options=DB_SPEC),
        model_store=dict(type="dict", options=DB_SPEC),
        rollsite_host=dict(type="str"),
        rollsite_port=dict(type="int"),
        settings=dict(type="dict", default={}),
        backup=dict(type="bool", default=False),
    )


def write_atomically(module, path, text):
    fd, tmp = tempfile.mkstemp(dir=module.tmpdir)
    with os.fdopen(fd, "wb") as handle:
        handle.write(to_bytes(text))
    module.atomic_move(tmp, path, unsafe_writes=module.params["unsafe_writes"])


def main():
    module = AnsibleModule(
        argument_spec=argument_spec(),
        required_together=[("zookeeper_user", "zookeeper_password"), ("rollsite_host", "rollsite_port")],
        required_if=[("create", True, ("flow_version",))],
        add_file_common_args=True,
        supports_check_mode=True,
    )
    if not (sc.HAS_RUAMEL or sc.HAS_PYYAML):
        module.fail_json(msg=missing_required_lib("ruamel.yaml or PyYAML (python3-ruamel.yaml)"))

    params = module.params
    path = params["path"]
    if params["host"] in ("127.0.0.1", "0.0.0.0", "localhost", "::", "::1"):
        module.fail_json(msg="host must be the node's own routable address, not %s: every Flow node "
                             "registers it and the others call it." % params["host"])

    exists = os.path.exists(path)
    if not exists and not params["create"]:
        module.fail_json(msg="%s does not exist: install FATE Flow's configuration first or set create=true." % path)
    text = ""
    if exists:
        try:
            with open(path, "rb") as handle:
                text = to_native(handle.read())
        except (IOError, OSError) as exc:
            module.fail_json(msg="Cannot read %s: %s." % (path, to_native(exc)))

    overlay_params = dict((k, params[k]) for k in OVERLAY_PARAMS)

    def overlay(major):
        wanted = sc.ha_overlay(major, overlay_params)
        return sc.deep_merge(wanted, params["settings"] or {})

    try:
        new_text, before, after, major, kept = sc.merge_text(text, overlay, version=params["flow_version"])
    except sc.ServiceConfError as exc:
        module.fail_json(msg="%s: %s" % (path, to_native(exc)))
    except Exception as exc:  # pragma: no cover - a library error we did not foresee
        module.fail_json(msg="%s: cannot merge the settings: %s" % (path, to_native(exc)),
                         exception=traceback.format_exc())

    changed = (before != after) or not exists
    result = dict(changed=changed, flow_major=major, comments_preserved=kept,
                  yaml_library="ruamel" if kept else "pyyaml", path=path)
    if changed and not kept and exists:
        module.warn("%s: comments were dropped; install python3-ruamel.yaml on the node to keep them." % path)
    if module._diff:
        result["diff"] = dict(
            before_header=path, after_header=path,
            before=sc.render_plain(sc.mask_secrets(before)) if exists else "",
            after=sc.render_plain(sc.mask_secrets(after)),
        )

    if changed and not module.check_mode:
        if params["backup"] and exists:
            result["backup_file"] = module.backup_local(path)
        write_atomically(module, path, new_text)

    file_args = module.load_file_common_arguments(params)
    if os.path.exists(path):
        result["changed"] = module.set_fs_attributes_if_different(file_args, result["changed"])
    module.exit_json(**result)


if __name__ == "__main__":
    main()
