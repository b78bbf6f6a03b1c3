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
  - Every option is checked (type, range, form) before the file is read; a refusal names the option
    and never quotes a password.
  - The diff masks every credential (passwords, COS keys, FATE 1.x's C(private_key), 2.x's
    C(decrypt_key)), and no message quotes a line of the file, which could hold one.
  - A 1.x C(model_store_address) with C(storage=mysql) keeps only the keys FATE Flow 1.11 can hand to
    C(pymysql.connect); the stock file's null COS keys (C(Region), C(SecretId), ...) are removed.
  - A mapping the file shares through a YAML alias (C(model_store.mysql) written as the alias C(*mysql)) is copied
    before it is changed, so that the other place that names it keeps its settings.
  - A symlinked file is written through the link (its target is replaced, keeping its owner and
    mode); a file with CRLF line endings keeps them.
  - Runs on one file at once are serialised by an exclusive C(flock) on the directory that holds it
    (no lock file is left behind), held from reading the file to writing it.
author:
  - fateflow.ha contributors (@fateflow)
options:
  path:
    description: Path of the C(service_conf.yaml) file.
    type: path
    required: true
  flow_version:
    description:
      - FATE Flow version the file belongs to (C(1.11.2), C(2.2.0), or just C(1) / C(2)).
      - When omitted, the layout is told from the file's keys; an empty file needs it.
      - A version whose major differs from the layout of the file is refused.
    type: str
  create:
    description: Create the file when it does not exist (needs O(flow_version)).
    type: bool
    default: false
  host:
    description:
      - The node's own routable address (C(fateflow.host)); never a loopback (C(127.0.0.1), C(localhost))
        or an unspecified one (C(0.0.0.0)).
    type: str
  http_port:
    description: C(fateflow.http_port).
    type: int
  grpc_port:
    description: C(fateflow.grpc_port).
    type: int
  party_id:
    description: C(party_id) (2.x only; ignored for 1.x); letters, digits, C(_), C(.), C(-).
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
    description:
      - ZooKeeper servers as C(host:port) strings (C([v6]:port) for IPv6); the port defaults to 2181.
      - Written as one C(host:port) item per server.
    type: list
    elements: str
  zookeeper_use_acl:
    description: C(zookeeper.use_acl).
    type: bool
  zookeeper_user:
    description: Digest user FATE Flow's znodes are created with (no C(:), no white space).
    type: str
  zookeeper_password:
    description: Digest password of O(zookeeper_user) (a string; a whole number is taken as its digits).
    type: raw
  database:
    description:
      - The party's shared MySQL database of FATE Flow (1.x C(database), 2.x C(database.mysql)
        with C(database.engine=mysql)).
    type: dict
    suboptions: &db_options
      name:
        description: Database name (letters, digits, C(_), C($); at most 64).
        type: str
        required: true
      user:
        description: Database user.
        type: str
        required: true
      password:
        description:
          - Password of O(database.user) (written as C(passwd) or C(password) as the layout wants).
          - A string; a whole number is taken as its digits.
        type: raw
        required: true
      host:
        description: MySQL server address.
        type: str
        required: true
      port:
        description: MySQL server port (1-65535).
        type: int
        default: 3306
      max_connections:
        description: Connection pool size (1-100000).
        type: int
      stale_timeout:
        description: Seconds before an idle pooled connection is dropped (1-86400).
        type: int
  model_store:
    description:
      - The MySQL model store (1.x C(enable_model_store) + C(model_store_address), 2.x
        C(model_store.engine=mysql)). Defaults to O(database).
    type: dict
    suboptions: *db_options
  rollsite_host:
    description:
      - The party's rollsite address (1.x C(fate_on_eggroll.rollsite.host), 2.x C(federation.rollsite.host),
        where O(proxy_name=rollsite) sends the federated scheduling commands).
    type: str
  rollsite_port:
    description: The party's rollsite port (1.x C(fate_on_eggroll.rollsite.port), 2.x C(federation.rollsite.port)).
    type: int
  federation_engine:
    description:
      - 2.x C(default_engines.federation), the engine the jobs' data crosses parties with. C(standalone)
        is FATE Flow's SINGLE mode (every party on this node); any other is MULTIPLE mode, in which
        the scheduling commands go through O(proxy_name).
      - C(rabbitmq) needs O(rabbitmq). Refused for a 1.x file.
    type: str
    choices: [standalone, rabbitmq, pulsar, osx, rollsite]
  proxy_name:
    description:
      - 2.x C(fateflow.proxy_name), the proxy of the federated scheduling commands in MULTIPLE mode.
        C(rollsite) sends them, as gRPC, to O(rollsite_host) (eggroll's rollsite or the OSX broker).
      - Refused for a 1.x file.
    type: str
    choices: [rollsite, osx, nginx]
  rabbitmq:
    description:
      - 2.x C(federation.rabbitmq), the party's RabbitMQ for O(federation_engine=rabbitmq). FATE creates
        a user, vhosts, queues and federation upstreams per job through its management API with this
        user, which needs the C(administrator) tag. The other parties' brokers are in
        C(rabbitmq_route_table.yaml) next to this file (written by the fateflow_ha role).
      - Refused for a 1.x file.
    type: dict
    suboptions:
      host:
        description: The broker's address.
        type: str
        required: true
      port:
        description: AMQP port (1-65535).
        type: int
        default: 5672
      mng_port:
        description: Management API port (1-65535).
        type: int
        default: 15672
      user:
        description: The base user.
        type: str
        required: true
      password:
        description: Password of O(rabbitmq.user).
        type: str
        required: true
      mode:
        description: C(replication) (each party's broker pulls through a federation upstream) or C(client).
        type: str
        choices: [replication, client]
        default: replication
      max_message_size:
        description: Largest message in bytes FATE sends in one piece (1-2147483647); FATE's default when omitted.
        type: int
  settings:
    description:
      - Further keys merged in last, as nested mappings (for site-specific needs).
      - Keys are strings; values strings, numbers, booleans, nulls, lists or mappings.
      - Values under credential keys (C(passwd), C(password), C(private_key), C(SecretKey), ...) are hidden
        from every output, the diff and C(-vvv) included; other values are shown.
      - With a 1.x file, a C(model_store_address) key that C(pymysql.connect) would refuse is refused
        when the model store is MySQL.
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
    description: Can run in check mode and report what it would change without changing it.
    support: full
  diff_mode:
    description: Shows the file's settings before and after, every credential masked.
    support: full
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
removed_keys:
  description: >-
    Keys removed from a 1.x C(model_store_address) with C(storage=mysql) because C(pymysql.connect) would
    refuse them (null values, the COS keys of the stock file).
  returned: success
  type: list
  elements: str
  sample: ["model_store_address.Region", "model_store_address.SecretKey"]
"""

import os

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.fateflow.ha.plugins.module_utils import fate_inputs, files
from ansible_collections.fateflow.ha.plugins.module_utils import service_conf as sc
from ansible_collections.fateflow.ha.plugins.module_utils import validation
from ansible_collections.fateflow.ha.plugins.module_utils.endpoints import unbracket

DB_SPEC = dict(
    name=dict(type="str", required=True),
    user=dict(type="str", required=True),
    password=dict(type="raw", required=True, no_log=True),
    host=dict(type="str", required=True),
    port=dict(type="int", default=3306),
    max_connections=dict(type="int"),
    stale_timeout=dict(type="int"),
)

OVERLAY_PARAMS = (
    "host", "http_port", "grpc_port", "party_id", "use_registry", "nginx_host", "nginx_http_port",
    "nginx_grpc_port", "zookeeper_hosts", "zookeeper_use_acl", "zookeeper_user", "zookeeper_password",
    "database", "model_store", "rollsite_host", "rollsite_port", "federation_engine", "proxy_name", "rabbitmq",
)

RABBITMQ_SPEC = dict(
    host=dict(type="str", required=True),
    port=dict(type="int", default=5672),
    mng_port=dict(type="int", default=15672),
    user=dict(type="str", required=True),
    password=dict(type="str", required=True, no_log=True),
    mode=dict(type="str", choices=["replication", "client"], default="replication"),
    max_message_size=dict(type="int"),
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
        zookeeper_password=dict(type="raw", no_log=True),
        database=dict(type="dict", options=DB_SPEC),
        model_store=dict(type="dict", options=DB_SPEC),
        rollsite_host=dict(type="str"),
        rollsite_port=dict(type="int"),
        federation_engine=dict(type="str", choices=["standalone", "rabbitmq", "pulsar", "osx", "rollsite"]),
        proxy_name=dict(type="str", choices=["rollsite", "osx", "nginx"]),
        rabbitmq=dict(type="dict", options=RABBITMQ_SPEC),
        # no_log hides every value of settings until the arguments are accepted; then only the
        # values under credential keys stay hidden (see hide_secrets).
        settings=dict(type="dict", default={}, no_log=True),
        backup=dict(type="bool", default=False),
    )


def _host(option, value):
    return unbracket(validation.address(option, value))


def _whole_number(low, high):
    return lambda option, value: validation.integer(option, value, minimum=low, maximum=high)


def _zookeeper_hosts(option, value):
    hosts = validation.host_port_list(option, value, default_port=2181)
    return ["[%s]:%d" % (host, port) if ":" in host else "%s:%d" % (host, port) for host, port in hosts]


DB_RULES = dict(
    name=fate_inputs.mysql_name,
    user=fate_inputs.mysql_user,
    password=fate_inputs.secret,
    host=_host,
    port=validation.port,
    max_connections=_whole_number(1, 100000),
    stale_timeout=_whole_number(1, 86400),
)

RULES = dict(
    path=validation.text,
    flow_version=fate_inputs.flow_version,
    host=lambda option, value: unbracket(validation.address(option, value, routable=True)),
    http_port=validation.port,
    grpc_port=validation.port,
    party_id=fate_inputs.party_id,
    nginx_host=_host,
    nginx_http_port=validation.port,
    nginx_grpc_port=validation.port,
    zookeeper_hosts=_zookeeper_hosts,
    zookeeper_user=fate_inputs.digest_user,
    zookeeper_password=fate_inputs.secret,
    rollsite_host=_host,
    rollsite_port=validation.port,
    settings=lambda option, value: fate_inputs.settings(option, value, sc.is_secret_key),
)


RABBITMQ_RULES = dict(
    host=_host,
    port=validation.port,
    mng_port=validation.port,
    user=fate_inputs.rabbitmq_user,
    password=fate_inputs.secret,
    max_message_size=_whole_number(1, 2147483647),
)

DB_OPTIONS = ("database", "model_store")


def check_mappings(module):
    """database and model_store are mappings of DB_SPEC's keys, its defaults filled in.

    The argument spec does this, except when build_module had to take them raw.
    """
    for option in DB_OPTIONS:
        value = module.params[option]
        if value is None:
            continue
        if not isinstance(value, dict):
            module.fail_json(msg="%s must be a mapping of name, user, password, host and port, not %s."
                                 % (option, type(value).__name__))
        unknown = sorted(str(key) for key in value if key not in DB_SPEC)
        missing = [key for key, rules in DB_SPEC.items() if rules.get("required") and value.get(key) is None]
        if unknown or missing:
            module.fail_json(msg="%s %s." % (option, "has keys it does not take: %s" % ", ".join(unknown) if unknown
                                             else "lacks %s" % ", ".join(missing)))
        for key, rules in DB_SPEC.items():
            value.setdefault(key, rules.get("default"))


def check_inputs(module):
    """Every option's type, range and form, before anything is read; the first refusal fails the module."""
    params = module.params
    validation.check_options(module, RULES)
    files.check_file_args(module)
    for option in DB_OPTIONS:
        if params[option] is not None:
            validation.check_options(module, DB_RULES, params=params[option], prefix=option + ".")
    if params["rabbitmq"] is not None:
        validation.check_options(module, RABBITMQ_RULES, params=params["rabbitmq"], prefix="rabbitmq.")
        if params["rabbitmq"]["port"] == params["rabbitmq"]["mng_port"]:
            module.fail_json(msg="rabbitmq.port and rabbitmq.mng_port must differ: the broker listens on both.")
    if params["http_port"] is not None and params["http_port"] == params["grpc_port"]:
        module.fail_json(msg="http_port and grpc_port must differ: FATE Flow listens on both.")
    if os.path.isdir(params["path"]):
        module.fail_json(msg="path %s is a directory, not a service_conf.yaml file." % params["path"])


def hide_secrets(module):
    """Hide what settings holds under credential keys, and no longer hide its other values.

    settings is no_log so that a refused argument (before this runs) prints none of it; once the
    arguments are accepted, only its credentials need hiding, and the diff can show the rest.
    """
    settings = module.params["settings"] or {}
    secrets = sc.secret_values(settings)
    others = set()
    for option in ("zookeeper_password", "database", "model_store", "rabbitmq"):
        value = module.params[option]
        if option != "zookeeper_password":
            value = (value or {}).get("password")
        if value not in (None, ""):
            others.add(str(value))
    module.no_log_values.difference_update(sc.all_values(settings) - secrets - others)
    module.no_log_values.update(secrets)


def refuse_foreign_model_store_keys(module, major):
    """A 1.x MySQL model store key (from settings) that pymysql.connect would refuse is an error."""
    store = (module.params["settings"] or {}).get("model_store_address")
    if major != 1 or not isinstance(store, dict):
        return
    foreign = sorted(key for key in store if key not in sc.V1_MYSQL_STORE_KEYS)
    storage = store.get("storage", "mysql" if module.params["database"] or module.params["model_store"] else None)
    if foreign and storage == "mysql":
        raise sc.ServiceConfError("settings.model_store_address has %s, which FATE Flow 1.x hands to "
                                  "pymysql.connect with storage: mysql, and pymysql refuses: remove them."
                                  % ", ".join(foreign))


MODULE_RULES = dict(
    required_together=[("zookeeper_user", "zookeeper_password"), ("rollsite_host", "rollsite_port")],
    required_if=[("create", True, ("flow_version",)), ("federation_engine", "rabbitmq", ("rabbitmq",))],
    add_file_common_args=True,
    supports_check_mode=True,
)


def build_module():
    try:
        return AnsibleModule(argument_spec=argument_spec(), **MODULE_RULES)
    except (TypeError, OverflowError):
        # ansible-core 2.19's argument checks raise these (an uncaught traceback) for a database or
        # model_store that is neither a mapping nor a string (false, a number), and for an int option
        # given as infinity. Those options are then taken raw (database and model_store hidden whole)
        # and check_inputs refuses what is wrong by name.
        spec = argument_spec()
        for option, rules in list(spec.items()):
            if option in DB_OPTIONS:
                spec[option] = dict(type="raw", no_log=True)
            elif rules.get("type") == "int":
                spec[option] = dict(type="raw")
        return AnsibleModule(argument_spec=spec, **MODULE_RULES)


def main():
    module = build_module()
    if not (sc.HAS_RUAMEL or sc.HAS_PYYAML):
        module.fail_json(msg=missing_required_lib("ruamel.yaml or PyYAML (python3-ruamel.yaml)"))

    check_mappings(module)
    hide_secrets(module)
    check_inputs(module)
    path = module.params["path"]
    if not os.path.exists(path) and not module.params["create"]:
        module.fail_json(msg="%s does not exist: install FATE Flow's configuration first or set create=true." % path)
    if module.check_mode:
        result = merge_file(module)
    else:
        if module.params["create"]:
            files.check_parent(module, path)
        with files.file_lock(module, path):
            result = merge_file(module)
    module.exit_json(**result)


def merge_file(module):
    """Read, merge and (unless in check mode) write the file; the caller holds its lock."""
    params = module.params
    path = params["path"]
    exists = os.path.exists(path)
    text = ""
    if exists:
        try:
            with open(path, "rb") as handle:
                text = handle.read().decode("utf-8")
        except (IOError, OSError) as exc:
            module.fail_json(msg="Cannot read %s: %s." % (path, to_native(exc)))
        except UnicodeDecodeError as exc:
            module.fail_json(msg="%s is not UTF-8 text (byte %d), so it is not a service_conf.yaml FATE Flow reads."
                                 % (path, exc.start))

    overlay_params = dict((k, params[k]) for k in OVERLAY_PARAMS)

    def overlay(major):
        refuse_foreign_model_store_keys(module, major)
        wanted = sc.ha_overlay(major, overlay_params)
        return sc.deep_merge(wanted, params["settings"] or {})

    try:
        merged = sc.merge_text(text, overlay, version=params["flow_version"])
    except sc.ServiceConfError as exc:
        module.fail_json(msg="%s: %s" % (path, to_native(exc)))
    except Exception as exc:  # pragma: no cover - a library error we did not foresee
        # Only the exception's class: its text and its traceback may quote the file.
        module.fail_json(msg="%s: cannot merge the settings (%s)." % (path, type(exc).__name__))
    # The file's own credentials are hidden from every output as well, whatever key they sit under.
    module.no_log_values.update(sc.secret_values(merged.before))

    before, after, kept = merged.before, merged.after, merged.comments_preserved
    changed = merged.changed or not exists
    result = dict(changed=changed, flow_major=merged.major, comments_preserved=kept,
                  yaml_library="ruamel" if kept else "pyyaml", path=path, removed_keys=merged.removed)
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
        files.write_through(module, path, merged.text)

    # The mode and owner asked for apply to the file, not to a symlink in front of it.
    file_args = module.load_file_common_arguments(params, path=os.path.realpath(path))
    if os.path.exists(path):
        result["changed"] = module.set_fs_attributes_if_different(file_args, result["changed"])
    return result


if __name__ == "__main__":
    main()
