#!/usr/bin/python
# Copyright: fateflow.ha maintainers
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: eggroll_route
short_description: Merge routes into an eggroll rollsite or FATE OSX route_table.json
version_added: 0.1.0
description:
  - Sets or removes the routes of given parties and services in the C(route_table.json) that eggroll 2.x
    rollsite (FATE 1.x) or OSX (FATE 2.x) reads, by editing the parsed document, never the text.
  - Each route given with O(state=present) becomes the one endpoint of its party and service. Every
    party, service and top-level key it was not asked to change keeps its content and its order.
  - Refuses, leaving the file untouched, a file that is not valid JSON (reporting line and column),
    a file with a key repeated in any object (reporting the key and its JSON pointer), a port in the file
    that is neither an integer 1-65535 nor text of such digits (reporting its JSON pointer), a route whose
    port is not an integer 1-65535 or whose ip is empty, and an OSX table without C(self_party).
  - A port the file holds as text of digits (C("9370")), which rollsite cannot use, is rewritten as a JSON integer.
  - Nothing is written when the document would not change. Writes are atomic. A written file has one line
    per party and service, so that a diff shows one line per changed route. A file with CRLF line endings
    keeps them; a symlinked file is written through the link (its target is replaced, keeping its owner
    and mode).
  - Several runs on one file at once (several hosts sharing it, or parallel tasks) never lose an update; each
    holds an exclusive C(flock) on the directory that holds the table (no lock file is left behind)
    from reading the file to writing it.
  - Every option and every route key is checked (type, range, form) before the file is read; a list or a
    mapping where a string is expected is refused, never written as Python text.
  - The diff and the return values hold only the routes and top-level keys that changed, whatever the size
    of the table.
  - rollsite and OSX re-read the file on their own (about once a minute); this module restarts nothing.
author:
  - fateflow.ha contributors (@fateflow)
options:
  path:
    description: Path of the route table file.
    type: path
    required: true
    aliases: [dest]
  format:
    description:
      - V(eggroll) for eggroll 2.x rollsite (endpoint keys C(ip), C(port), C(is_secure), C(is_polling)).
      - V(osx) for FATE 2.x OSX, which also needs a top-level C(self_party) list and takes further endpoint
        keys (C(protocol), C(url), C(useSSL), C(caFile), C(certChainFile), C(privateKeyFile), ...).
    type: str
    choices: [eggroll, osx]
    default: eggroll
  routes:
    description:
      - The routes to set or remove.
      - Each item has C(party) (a party id, or V(default) for the route of every other party), C(service)
        (V(default), V(fateflow) or another role name; V(default) when left out), C(ip) and C(port).
      - Optional C(is_secure) and C(is_polling); with O(format=osx) any further endpoint key, kept as given.
      - O(format=osx) routes with C(protocol=http) and a C(url) need no C(ip) and C(port).
      - A port given as text of digits is written as a JSON integer, the only form rollsite accepts.
      - With O(state=absent) only C(party) and C(service) are read.
    type: list
    elements: dict
    default: []
  state:
    description:
      - V(present) makes each listed route the one entry of its party and service.
      - V(absent) removes the listed party and service entries; a party left without services is removed.
    type: str
    choices: [present, absent]
    default: present
  default_allow:
    description: Value of C(permission.default_allow). Left as it is when not given.
    type: bool
  self_party:
    description:
      - The party ids this OSX serves (top-level C(self_party)). Only with O(format=osx).
      - Left as it is when not given; the table must then already have a non-empty one.
    type: list
    elements: str
  required_parties:
    description:
      - Parties the table must route to once changed, the other parties this party runs jobs with.
        Each needs an entry of its own, or a C(default) party entry that C(permission.default_allow) does
        not turn off, as eggroll and OSX route.
      - A table that would not route one of them is refused, and nothing is written.
    type: list
    elements: str
    default: []
  create:
    description:
      - Create the file when it is missing, with an empty C(route_table) and C(permission.default_allow)
        (true unless O(default_allow) says otherwise).
      - When false, a missing file is an error, which catches a wrong O(path).
    type: bool
    default: false
  backup:
    description: Keep a timestamped copy of the file before changing it.
    type: bool
    default: false
  lock_timeout:
    description:
      - Seconds to wait for another run that holds the table's lock before failing (above 0, at most 3600).
    type: float
    default: 30
extends_documentation_fragment:
  - ansible.builtin.files
attributes:
  check_mode:
    support: full
    description: Computes the change and its diff without writing.
  diff_mode:
    support: full
    description: The diff shows, before and after, the JSON text of the routes and top-level keys that change.
  platform:
    platforms: posix
    support: full
    description: Runs on any POSIX host with Python; needs no library outside the standard one.
notes:
  - Only the first endpoint of a rollsite list is used, OSX picks one at random; this module always
    leaves exactly one endpoint for the routes it sets.
"""

EXAMPLES = r"""
- name: Point party 10000's fateflow route at Nginx's gRPC port
  fateflow.ha.eggroll_route:
    path: /data/projects/fate/eggroll/conf/route_table.json
    routes:
      - party: "10000"
        service: fateflow
        ip: 192.168.0.1
        port: 9999

- name: Set an OSX table's fateflow route and its self_party
  fateflow.ha.eggroll_route:
    path: /data/projects/fate/osx/conf/broker/route_table.json
    format: osx
    self_party: ["10000"]
    routes:
      - party: "10000"
        service: fateflow
        ip: 192.168.0.1
        port: 9999
      - party: "9999"
        ip: 192.168.0.3
        port: 9370
        useSSL: true
        caFile: /data/projects/fate/osx/conf/cert/ca.crt

- name: Remove a peer that left the federation
  fateflow.ha.eggroll_route:
    path: /data/projects/fate/eggroll/conf/route_table.json
    state: absent
    routes:
      - party: "9998"
        service: default
"""

RETURN = r"""
changes:
  description: >-
    What was changed, one line per party and service (C(added 10000/fateflow), C(set 10000/fateflow), C(removed 9998/default))
    and per port rewritten as an integer (C(integer port /route_table/9999/default/0/port)).
  returned: always
  type: list
  elements: str
  sample: ["set 10000/fateflow"]
changed_routes:
  description: >-
    Each route this run changed (or would change, in check mode), as it is after the run: party, then service,
    then its endpoint list, or null for a route removed. Routes left as they were are not listed, so that a
    one-route change on a big table returns one route.
  returned: success
  type: dict
  sample: {"10000": {"fateflow": [{"ip": "192.168.0.1", "port": 9999}]}}
integer_ports:
  description: JSON pointers of ports the file held as text of digits, which rollsite cannot use, now written as JSON integers.
  returned: always
  type: list
  elements: str
  sample: ["/route_table/9999/default/0/port"]
backup_file:
  description: Path of the backup copy.
  returned: when a backup was made
  type: str
  sample: /data/projects/fate/eggroll/conf/route_table.json.12345.2026-11-29@17:20:00~
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.fateflow.ha.plugins.module_utils import fate_inputs, files, validation
from ansible_collections.fateflow.ha.plugins.module_utils.route_table import (
    RouteTableError,
    changed_parts,
    changed_routes,
    check_document,
    dump,
    merge,
    new_document,
    normalize_ports,
    normalize_routes,
    parse,
    unrouted_parties,
)


def _self_party(option, value):
    return [fate_inputs.party_id("%s[%d]" % (option, index), item) for index, item in enumerate(value)]


RULES = dict(
    path=validation.text,
    self_party=_self_party,
    required_parties=_self_party,
    lock_timeout=lambda option, value: validation.seconds(option, value, maximum=3600),
)


def read_document(module, path, fmt):
    """Return (document, text before) or fail; a missing file is an empty document only with create.

    The text before has the file's own line endings.
    """
    params = module.params
    if not os.path.exists(path):
        if not params["create"]:
            module.fail_json(msg="%s does not exist; check path, or set create=true to make a new route table." % path)
        return new_document(fmt, params["default_allow"], params["self_party"]), ""
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except (IOError, OSError) as exc:
        module.fail_json(msg="Cannot read %s: %s." % (path, to_native(exc)))
    try:
        # A byte order mark left by a Windows editor is not part of the JSON text.
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        module.fail_json(msg="%s is not UTF-8 text, so it is not a route table rollsite can read." % path)
    return parse(text, source=path), text


def run(module):
    params = module.params
    path = params["path"]
    fmt = params["format"]
    if fmt != "osx" and params["self_party"] is not None:
        module.fail_json(msg="self_party is an OSX key; set format=osx or leave self_party out.")
    if os.path.isdir(path):
        module.fail_json(msg="%s is a directory, not a route table file." % path)

    routes = normalize_routes(params["routes"], fmt, params["state"])
    if module.check_mode:
        # Nothing is written: the table is read as it is (each write replaces it whole, by a rename).
        return merge_file(module, routes)
    files.check_parent(module, path)
    with files.file_lock(module, path, params["lock_timeout"]):
        return merge_file(module, routes)


def merge_file(module, routes):
    """Read, merge, and (unless in check mode) write the table; the caller holds its lock."""
    params = module.params
    path = params["path"]
    fmt = params["format"]
    result = dict(changed=False, changes=[], integer_ports=[])
    data, before_text = read_document(module, path, fmt)
    table = check_document(data, source=path)
    existed = bool(before_text)
    originals = {}
    result["integer_ports"] = normalize_ports(table, source=path, originals=originals)

    changes = ["integer port %s" % pointer for pointer in result["integer_ports"]]
    changes += merge(data, routes, state=params["state"], default_allow=params["default_allow"],
                     self_party=params["self_party"], fmt=fmt, originals=originals)
    unrouted = unrouted_parties(data, params["required_parties"])
    if unrouted:
        module.fail_json(msg="%s would have no route for party %s: no entry of its own and no default party entry "
                             "(or permission.default_allow is false); give %s a route."
                         % (path, ", ".join(unrouted), "it" if len(unrouted) == 1 else "them"), changed=False)
    changed = bool(changes) or not existed
    newline = "\r\n" if "\r\n" in before_text else "\n"
    result["changes"] = changes
    result["changed_routes"] = changed_routes(data, originals)

    if module._diff:
        before_part, after_part = changed_parts(data, originals)
        if not existed:
            before_part = {}
        result["diff"] = dict(before=dump(before_part) if before_part else "", after=dump(after_part),
                              before_header=path, after_header=path)
    if changed and not module.check_mode:
        if existed and params["backup"]:
            result["backup_file"] = module.backup_local(path)
        files.write_through(module, path, dump(data, newline))
    # The mode and owner asked for apply to the table, not to a symlink in front of it.
    file_args = module.load_file_common_arguments(params, path=os.path.realpath(path))
    if os.path.exists(path) and not module.check_mode:
        changed = module.set_fs_attributes_if_different(file_args, changed)
    result["changed"] = changed
    return result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True, aliases=["dest"]),
            format=dict(type="str", default="eggroll", choices=["eggroll", "osx"]),
            routes=dict(type="list", elements="dict", default=[]),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            default_allow=dict(type="bool"),
            self_party=dict(type="list", elements="str"),
            required_parties=dict(type="list", elements="str", default=[]),
            create=dict(type="bool", default=False),
            backup=dict(type="bool", default=False),
            lock_timeout=dict(type="float", default=30),
        ),
        add_file_common_args=True,
        supports_check_mode=True,
    )
    validation.check_options(module, RULES)
    files.check_file_args(module)
    try:
        result = run(module)
    except RouteTableError as exc:
        module.fail_json(msg=to_native(exc), changed=False)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
