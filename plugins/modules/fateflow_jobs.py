#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: fateflow.ha contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: fateflow_jobs
short_description: Report the work a FATE Flow 2.x node carries, or wait until it carries none
version_added: 0.2.0
description:
  - Asks the node for the party's running tasks and reports, for this node, the tasks that run on it,
    the tasks that run elsewhere but report to it (FATE writes the address of the node that built a
    task's configuration into the task), the jobs of both, and the jobs stuck without a live process
    (a task recorded as running here whose process is gone).
  - Given O(state_file), it adds the state of the HA server (C(files/fateflow_ha_server.py) of the
    C(fateflow_ha) role), that is whether the node is registered, whether its scheduler is paused and
    why, how often it registered again, and the jobs it reran.
  - With O(wait_idle=true) it checks until the node carries no work (and, given O(state_file), its
    scheduler is paused and idle), at most O(timeout) seconds; it does not fail when the time is up
    but returns RV(idle=false) and the jobs that a stop would cut in RV(cut_jobs).
  - Runs on the Flow node (it reads the state file and looks up task processes there). It changes nothing.
author:
  - fateflow.ha contributors (@fateflow)
options:
  host:
    description: The node's own address, as in C(fateflow.host).
    type: str
    required: true
  http_port:
    description: The node's C(fateflow.http_port).
    type: int
    default: 9380
  state_file:
    description: The HA server's state file on the node; omitted, the report has no RV(self_healing).
    type: path
  wait_idle:
    description: Check until the node carries no work, at most O(timeout) seconds.
    type: bool
    default: false
  timeout:
    description: Seconds O(wait_idle) waits (1-86400).
    type: int
    default: 600
  request_timeout:
    description: Seconds one request to the node may take (1-300).
    type: int
    default: 10
attributes:
  check_mode:
    description: Can run in check mode and report what it would change without changing it.
    support: full
    details: It never changes anything.
  diff_mode:
    description: Returns the before and after of what it changes (or would change, in check mode) in diff mode.
    support: none
"""

EXAMPLES = r"""
- name: What the node runs
  fateflow.ha.fateflow_jobs:
    host: 192.168.0.2
    state_file: /data/projects/fate_flow/run/fateflow_ha.json
  register: work

- name: Wait, at most 10 minutes, until the drained node runs nothing and nothing reports to it
  fateflow.ha.fateflow_jobs:
    host: 192.168.0.2
    state_file: /data/projects/fate_flow/run/fateflow_ha.json
    wait_idle: true
    timeout: 600
  register: drain
"""

RETURN = r"""
running_tasks:
  description: Tasks running on this node, each with C(alive) telling whether its process lives.
  returned: always
  type: list
  elements: dict
  sample: [{"job_id": "202612041234560000001", "task_name": "toy_example_0", "role": "guest",
            "party_id": "9999", "task_version": 0, "runs_on": "10.0.0.2:9380", "run_pid": 4242,
            "reports_to": "10.0.0.2:9380", "alive": true}]
reporting_tasks:
  description: Tasks running on another node that report to this one.
  returned: always
  type: list
  elements: dict
jobs:
  description: Ids of the jobs with a task running on or reporting to this node.
  returned: always
  type: list
  elements: str
stuck_jobs:
  description: Ids of the jobs with a task recorded as running here whose process is gone.
  returned: always
  type: list
  elements: str
idle:
  description: The node carries no work (and, given O(state_file), its scheduler is paused and idle).
  returned: always
  type: bool
cut_jobs:
  description: With O(wait_idle), the jobs still on the node when the time was up (empty when idle).
  returned: always
  type: list
  elements: str
waited:
  description: Seconds spent waiting.
  returned: always
  type: float
self_healing:
  description:
    - The HA server's state (C(registered), C(zookeeper_connected), C(gate) (C(open), C(drain),
      C(unregistered), C(zookeeper unreachable), C(off)), C(scheduler_busy), C(reregistrations),
      C(recovered), C(age) in seconds since it was written, C(stale) when it is older than 30 s or
      its process is gone); null without O(state_file) or when the file is missing (a node running
      FATE Flow's own server). A stale state is not waited on.
  returned: always
  type: dict
"""

import time

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.urls import open_url

from ansible_collections.fateflow.ha.plugins.module_utils import validation
from ansible_collections.fateflow.ha.plugins.module_utils.deadline import DeadlineExceeded, call_within
from ansible_collections.fateflow.ha.plugins.module_utils.endpoints import host_port
from ansible_collections.fateflow.ha.plugins.module_utils.fateflow_jobs import (
    parse_task_answer,
    pid_alive,
    read_state,
    summarize,
)

POLL_SECONDS = 2
# The HA server writes its state every 2 s.
STALE_SECONDS = 30


def check_options(module):
    validation.check_options(module, dict(
        host=validation.address,
        http_port=validation.port,
        state_file=lambda option, value: validation.text(option, value, max_length=4096),
        timeout=lambda option, value: validation.integer(option, value, minimum=1, maximum=86400),
        request_timeout=lambda option, value: validation.integer(option, value, minimum=1, maximum=300),
    ))
    module.params["base"] = "http://%s" % host_port(module.params["host"], module.params["http_port"])


def fetch(url, timeout):
    return open_url(url, method="GET", timeout=timeout).read().decode("utf-8", "replace")


def look(module, deadline):
    params = module.params
    url = params["base"] + "/v2/job/task/query?status=running"
    timeout = max(1, min(params["request_timeout"], deadline - time.time()))
    try:
        # The whole request, a trickling answer included, within the request timeout.
        tasks = parse_task_answer(call_within(timeout, fetch, url, timeout))
    except DeadlineExceeded:
        module.fail_json(msg="%s gave no complete answer within %d s" % (url, timeout))
    except ValueError as exc:
        module.fail_json(msg="%s answered something unexpected: %s" % (url, exc))
    except Exception as exc:  # any connection or HTTP error
        module.fail_json(msg="%s did not answer: %s" % (url, " ".join(str(exc).split())))
    report = summarize(tasks, params["host"], params["http_port"])
    state = read_state(params["state_file"])
    if state is not None:
        state["age"] = round(time.time() - float(state.get("updated") or 0), 1)
        # Left by a server that no longer runs (FATE Flow's own server runs now, or none): its
        # gate says nothing about the node.
        state["stale"] = state["age"] > STALE_SECONDS or not pid_alive(state.get("pid"))
        if not state["stale"]:
            report["idle"] = report["idle"] and state.get("gate") in ("drain", "off") and not state.get("scheduler_busy")
    report["self_healing"] = state
    return report


def main():
    module = AnsibleModule(
        argument_spec=dict(
            host=dict(type="str", required=True),
            http_port=dict(type="int", default=9380),
            state_file=dict(type="path"),
            wait_idle=dict(type="bool", default=False),
            timeout=dict(type="int", default=600),
            request_timeout=dict(type="int", default=10),
        ),
        supports_check_mode=True,
    )
    check_options(module)
    start = time.time()
    deadline = start + module.params["timeout"]
    report = look(module, deadline)
    while module.params["wait_idle"] and not report["idle"] and time.time() + POLL_SECONDS < deadline:
        time.sleep(POLL_SECONDS)
        report = look(module, deadline)
    report["cut_jobs"] = report["jobs"] if module.params["wait_idle"] and not report["idle"] else []
    report["waited"] = round(time.time() - start, 1)
    module.exit_json(changed=False, **report)


if __name__ == "__main__":
    main()
