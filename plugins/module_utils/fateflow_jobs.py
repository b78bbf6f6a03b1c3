# -*- coding: utf-8 -*-
# Copyright: fateflow.ha contributors
# Apache License 2.0 (see LICENSE)
"""The work a FATE Flow 2.x node carries: running tasks on it, tasks that report to it, stuck ones.

Facts this code relies on (FATE Flow 2.2.0):

* ``GET /v2/job/task/query?status=running`` answers ``{"code": 0, "data": [<task>, ...]}`` with every
  party's running tasks, each with ``job_id``, ``task_name``, ``role``, ``party_id``, ``task_version``,
  ``run_ip``, ``run_port``, ``run_pid`` and ``party_status``; with no such task it answers
  ``{"code": 2000, "message": "No found task"}``.
* A task reports its status and outputs to the node that built its configuration: the ``mlmd``
  section (``metadata.host`` / ``metadata.port``) of its ``component_parameters.conf``, which may be
  another node than the one running it.
* The task runs as process ``run_pid`` on ``run_ip``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

RUNNING = "running"


def find_mlmd(value, depth=0):
    """The ``(host, port)`` a task reports to, from the first ``mlmd`` section in its parameters."""
    if depth > 8:
        return None
    if isinstance(value, dict):
        mlmd = value.get("mlmd")
        if isinstance(mlmd, dict) and isinstance(mlmd.get("metadata"), dict):
            meta = mlmd["metadata"]
            if meta.get("host") is not None and meta.get("port") is not None:
                return str(meta["host"]), str(meta["port"])
        for item in value.values():
            found = find_mlmd(item, depth + 1)
            if found:
                return found
    elif isinstance(value, list):
        for item in value:
            found = find_mlmd(item, depth + 1)
            if found:
                return found
    return None


def pid_alive(pid):
    try:
        pid = int(pid)
    except (TypeError, ValueError):
        return False
    return pid > 0 and os.path.exists("/proc/%d" % pid)


def summarize(tasks, host, http_port, alive=pid_alive):
    """What ``tasks`` (the running-task query's data) mean for the node ``host:http_port``.

    ``alive(pid)`` tells whether a process of this machine lives; it is asked only for the tasks that
    run here. Returns the report fateflow_jobs returns (without the waiting fields).
    """
    here = (str(host), str(http_port))
    running, reporting, stuck = [], [], []
    for task in tasks if isinstance(tasks, list) else []:
        if not isinstance(task, dict):
            continue
        if RUNNING not in (task.get("status"), task.get("party_status")):
            continue
        reports_to = find_mlmd(task.get("component_parameters")) or find_mlmd(task)
        entry = {
            "job_id": str(task.get("job_id")),
            "task_name": task.get("task_name"),
            "role": task.get("role"),
            "party_id": task.get("party_id"),
            "task_version": task.get("task_version"),
            "runs_on": "%s:%s" % (task.get("run_ip"), task.get("run_port")),
            "run_pid": task.get("run_pid"),
            "reports_to": "%s:%s" % reports_to if reports_to else None,
        }
        runs_here = (str(task.get("run_ip")), str(task.get("run_port"))) == here
        if runs_here:
            entry["alive"] = bool(alive(task.get("run_pid")))
            running.append(entry)
            if not entry["alive"]:
                stuck.append(entry["job_id"])
        if reports_to == here and not runs_here:
            reporting.append(entry)
    jobs = sorted(set(t["job_id"] for t in running + reporting))
    return {
        "running_tasks": running,
        "reporting_tasks": reporting,
        "jobs": jobs,
        "stuck_jobs": sorted(set(stuck)),
        "idle": not running and not reporting,
    }


def parse_task_answer(text):
    """The task list from the query's answer; raises ValueError when the answer makes no sense."""
    body = json.loads(text or "{}")
    if not isinstance(body, dict):
        raise ValueError("the answer is JSON but not an object")
    if body.get("code") == 0:
        data = body.get("data")
        if not isinstance(data, list):
            raise ValueError("the answer's data is not a list")
        return data
    # FATE Flow answers a non-zero code when no task matches ("no found task").
    if body.get("data") in (None, [], {}) and "task" in str(body.get("message", "")).lower():
        return []
    raise ValueError("code %r: %s" % (body.get("code"), body.get("message")))


def read_state(path):
    """The HA server's state file, or None when there is none or it cannot be read."""
    if not path:
        return None
    try:
        with open(path) as handle:
            state = json.load(handle)
    except (OSError, IOError, ValueError):
        return None
    return state if isinstance(state, dict) else None
