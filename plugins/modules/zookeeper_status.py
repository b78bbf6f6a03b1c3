#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: fateflow.ha contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: zookeeper_status
short_description: Ask a ZooKeeper server a four-letter-word command, optionally until it serves
version_added: 0.1.0
description:
  - Sends a four-letter-word command (C(srvr) by default) to one ZooKeeper server and returns its
    answer, parsed.
  - With O(wait), asks again until the answer has a mode line (C(Mode) in C(srvr)), the sign that the
    server serves (C(ruok) answers C(imok) earlier, before it has joined a quorum), or until O(timeout).
  - Needs nothing but Python on the host that runs it; the command must be in the server's
    C(4lw.commands.whitelist).
author:
  - fateflow.ha contributors (@fateflow)
attributes:
  check_mode:
    description: Can run in check mode and report what it would change without changing it.
    support: full
    details: The module changes nothing.
  diff_mode:
    description: Returns the before and after of what it changes (or would change, in check mode) in diff mode.
    support: none
options:
  host:
    description: Address of the server.
    type: str
    default: 127.0.0.1
  port:
    description: Its client port.
    type: int
    default: 2181
  command:
    description: The four-letter word.
    type: str
    default: srvr
  wait:
    description: Ask until the answer shows a mode in O(modes) (with O(command=srvr) or V(stat)); fail after O(timeout).
    type: bool
    default: false
  modes:
    description: With O(wait), keep asking until the mode is one of these.
    type: list
    elements: str
    default: [leader, follower, standalone]
  timeout:
    description: Seconds to wait for the answer (with O(wait), for the whole wait).
    type: float
    default: 5
"""

EXAMPLES = r"""
- name: Wait until this member serves inside a quorum
  fateflow.ha.zookeeper_status:
    host: "{{ ansible_host }}"
    wait: true
    modes: [leader, follower]
    timeout: 60
  register: zookeeper_member

- name: Ask a command the whitelist should refuse
  fateflow.ha.zookeeper_status:
    command: conf
  register: refused
"""

RETURN = r"""
answer:
  description: The server's whole answer (empty when it did not answer).
  returned: always
  type: str
mode:
  description: C(leader), C(follower), C(standalone), C(observer), or null when the answer has no mode line.
  returned: always
  type: str
  sample: follower
fields:
  description: The C(Key) and value lines of the answer (C(srvr), C(mntr) ...), as a dictionary.
  returned: always
  type: dict
  sample: {Mode: follower, Zxid: "0x100000002", Node count: "7"}
whitelisted:
  description: False when the server refused the command because of C(4lw.commands.whitelist).
  returned: always
  type: bool
"""

import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.fateflow.ha.plugins.module_utils.zookeeper import four_letter_word, parse_four_letter_answer

NOT_WHITELISTED = "is not executed because it is not in the whitelist"


def main():
    module = AnsibleModule(
        argument_spec=dict(
            host=dict(type="str", default="127.0.0.1"),
            port=dict(type="int", default=2181),
            command=dict(type="str", default="srvr"),
            wait=dict(type="bool", default=False),
            modes=dict(type="list", elements="str", default=["leader", "follower", "standalone"]),
            timeout=dict(type="float", default=5.0),
        ),
        supports_check_mode=True,
    )
    params = module.params
    if len(params["command"]) != 4 or not params["command"].isalpha():
        module.fail_json(msg="command %r is not a four-letter word such as srvr, ruok or mntr." % params["command"])
    deadline = time.monotonic() + params["timeout"]
    while True:
        answer = four_letter_word(params["host"], params["port"], params["command"], min(params["timeout"], 5.0))
        fields = parse_four_letter_answer(answer)
        mode = fields.get("Mode") or fields.get("zk_server_state")
        if not params["wait"] or mode in params["modes"] or time.monotonic() >= deadline:
            break
        time.sleep(0.5)
    result = dict(changed=False, answer=answer, mode=mode, fields=fields, whitelisted=NOT_WHITELISTED not in answer)
    if params["wait"] and mode not in params["modes"]:
        seen = "mode %s" % mode if mode else ("no answer" if not answer else "no Mode: in its answer")
        module.fail_json(msg="ZooKeeper at %s:%d did not reach mode %s within %s s (%s)." % (
            params["host"], params["port"], " or ".join(params["modes"]), params["timeout"], seen), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
