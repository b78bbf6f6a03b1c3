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
  - Fails when the server does not answer (no such host, nothing listening, no complete answer within
    O(timeout)), with or without O(wait). A server that answers that the command is not in its
    C(4lw.commands.whitelist) has answered, with RV(whitelisted) false.
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
    description:
      - Seconds the whole call may take, name lookup, connection and the slowest answer included
        (with O(wait), the whole wait). A number above 0, at most 3600.
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

from ansible_collections.fateflow.ha.plugins.module_utils import validation
from ansible_collections.fateflow.ha.plugins.module_utils.deadline import Deadline
from ansible_collections.fateflow.ha.plugins.module_utils.zookeeper import four_letter_exchange, parse_four_letter_answer

NOT_WHITELISTED = "is not executed because it is not in the whitelist"

# Longest single question while waiting: a server that starts meanwhile is asked again soon.
ATTEMPT_MAX = 5.0


def four_letters(option, value):
    if not (len(value) == 4 and value.isascii() and value.isalpha()):
        raise validation.InputError(option, "must be a four-letter word such as srvr, ruok or mntr, not %s"
                                    % validation.shown(value))
    return value.lower()


def modes_option(option, value):
    if not value:
        raise validation.InputError(option, "is empty; give the modes to wait for, such as leader and follower")
    return [validation.text("%s[%d]" % (option, index), mode) for index, mode in enumerate(value)]


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
    validation.check_options(module, dict(
        host=validation.address,
        port=validation.port,
        command=four_letters,
        modes=modes_option,
        timeout=lambda option, value: validation.seconds(option, value, maximum=3600.0),
    ))
    deadline = Deadline(params["timeout"])
    while True:
        attempt = deadline.left() if not params["wait"] else max(0.1, min(deadline.left(), ATTEMPT_MAX))
        answer, problem = four_letter_exchange(params["host"], params["port"], params["command"], attempt)
        fields = parse_four_letter_answer(answer)
        mode = fields.get("Mode") or fields.get("zk_server_state")
        if not params["wait"] or mode in params["modes"] or deadline.passed():
            break
        time.sleep(min(0.5, deadline.left()))
    where = "%s:%d" % (validation.address("host", params["host"]), params["port"])
    result = dict(changed=False, answer=answer, mode=mode, fields=fields, whitelisted=NOT_WHITELISTED not in answer)
    if params["wait"] and mode not in params["modes"]:
        seen = "mode %s" % mode if mode else (problem or "no Mode: in its answer")
        module.fail_json(msg="ZooKeeper at %s did not reach mode %s within %s s (%s)." % (
            where, " or ".join(params["modes"]), params["timeout"], seen), **result)
    if problem:
        module.fail_json(msg="ZooKeeper at %s did not answer %s: %s." % (where, params["command"], problem), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
