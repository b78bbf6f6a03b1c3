#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: fateflow.ha contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: job_log_merge
short_description: Merge a FATE job's log files gathered from several Flow nodes into one, in time order
version_added: 0.1.0
description:
  - Reads every file under each directory of O(sources) (the logs of one job, as gathered from one
    Flow node or from the directory the nodes share) and writes O(dest), one line per line read, in
    the order of the time stamps the log records start with, each line prefixed with the node that
    wrote it and the file it comes from.
  - A record's node is the one its line names (C([flow1 1234:5678]), as the settings.py of
    M(fateflow.ha.fateflow_ha) makes FATE Flow write), else the node the file was gathered from.
    Lines without a time stamp (a traceback) stay with the record before them.
  - Records of several nodes are ordered by their nodes' clocks, which must be kept in step (NTP).
  - Usually run on the controller, on files fetched there.
author:
  - fateflow.ha contributors (@fateflow)
attributes:
  check_mode:
    description: Can run in check mode and report what it would change without changing it.
    support: full
  diff_mode:
    description: Returns the before and after of what it changes (or would change, in check mode) in diff mode.
    support: none
options:
  sources:
    description: Directories to read, each with the node its files were gathered from.
    type: list
    elements: dict
    required: true
    suboptions:
      node:
        description: The node the files come from (C(shared) for a directory every node writes to).
        type: str
        required: true
      path:
        description: The directory.
        type: path
        required: true
  dest:
    description: The merged log to write.
    type: path
    required: true
"""

EXAMPLES = r"""
- name: Merge the job's logs gathered from every Flow node
  fateflow.ha.job_log_merge:
    sources:
      - {node: flow1, path: job_logs/202612041250011234560/flow1}
      - {node: flow2, path: job_logs/202612041250011234560/flow2}
    dest: job_logs/202612041250011234560/merged.log
  delegate_to: localhost
"""

RETURN = r"""
lines:
  description: Lines written.
  returned: always
  type: int
files:
  description: Files read.
  returned: always
  type: int
nodes:
  description: Lines per node.
  returned: always
  type: dict
  sample: {flow1: 120, flow2: 37}
"""

import os
import re
import tempfile

from ansible.module_utils.basic import AnsibleModule

STAMP = re.compile(r"(\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(?:[,.]\d+)?)")
NODE = re.compile(r"\[(\S+) \d+:\d+\]")


def records(node, root):
    """(time stamp, file order, line order, node, relative file, line) for every line under root."""
    order = 0
    for directory, subdirs, names in os.walk(root):
        subdirs.sort()
        for name in sorted(names):
            path = os.path.join(directory, name)
            relative = os.path.relpath(path, root)
            stamp, writer = "", node
            with open(path, encoding="utf-8", errors="replace") as handle:
                for number, line in enumerate(handle):
                    line = line.rstrip("\n")
                    found = STAMP.search(line[:80])
                    if found:
                        stamp = found.group(1).replace("T", " ").replace(".", ",")
                        named = NODE.search(line)
                        writer = named.group(1) if named else node
                    yield stamp, order, number, writer, relative, line
            order += 1


def merge(sources):
    lines = []
    files = set()
    for index, source in enumerate(sources):
        for stamp, order, number, writer, relative, line in records(source["node"], source["path"]):
            files.add((index, relative))
            # A continuation keeps its record's stamp and comes right after it: the sort is stable.
            lines.append(((stamp, index, order, number), writer, relative, line))
    lines.sort(key=lambda item: item[0])
    return ["%s | %s | %s" % (writer, relative, line) for _key, writer, relative, line in lines], len(files)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            sources=dict(type="list", elements="dict", required=True, options=dict(
                node=dict(type="str", required=True),
                path=dict(type="path", required=True),
            )),
            dest=dict(type="path", required=True),
        ),
        supports_check_mode=True,
    )
    missing = [source["path"] for source in module.params["sources"] if not os.path.isdir(source["path"])]
    if missing:
        module.fail_json(msg="No such directory: %s." % ", ".join(missing))
    merged, files = merge(module.params["sources"])
    nodes = {}
    for line in merged:
        writer = line.split(" | ", 1)[0]
        nodes[writer] = nodes.get(writer, 0) + 1
    text = "".join(line + "\n" for line in merged)
    dest = module.params["dest"]
    try:
        with open(dest, encoding="utf-8") as handle:
            changed = handle.read() != text
    except OSError:
        changed = True
    if changed and not module.check_mode:
        handle, temporary = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(dest)), prefix=".job_log_merge.")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        module.atomic_move(temporary, dest)
    module.exit_json(changed=changed, lines=len(merged), files=files, nodes=nodes)


if __name__ == "__main__":
    main()
