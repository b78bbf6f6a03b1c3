#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: fateflow.ha contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: shared_dir_probe
short_description: Prove that directories are shared by several hosts and take their appends whole
version_added: 0.1.0
description:
  - Checks what storage shared by several hosts (an NFS mount) must give FATE Flow when its log or
    job directory lives there, in three steps run by a play across the hosts, then removes its traces.
  - O(action=write), on one host, writes a probe file holding O(probe) in each directory of O(paths)
    or, for a directory that does not exist yet, in its nearest existing parent. A directory where the
    host cannot create a file (read-only mount, root squashed by NFS, permissions) fails, named.
  - O(action=read), on every host, reads each of O(files) and tells whether it holds O(probe); a host
    that does not see the file, or sees another one, does not share the directory. With O(seconds),
    it then appends numbered lines to each file for that long, each line in one C(write) on a file
    opened with C(O_APPEND), as Python's logging (FATE Flow's logs) writes a record.
  - O(action=verify), on one host, reads the appended lines back and counts, per host, the lines that
    arrived whole; lines broken by interleaved appends are counted apart. Then the files are removed.
  - O(action=remove) removes the files (the clean-up after a failure).
  - O(action=writable) writes a probe into each of O(paths) (or its nearest existing parent) and removes it
    at once, to check a directory that one host uses alone.
  - The probe files are removed by the play that wrote them, so the module reports no change.
author:
  - fateflow.ha contributors (@fateflow)
attributes:
  check_mode:
    description: Can run in check mode and report what it would change without changing it.
    support: full
    details: The probe runs in check mode too; it leaves nothing behind once O(action=verify) or O(action=remove) ran.
  diff_mode:
    description: Returns the before and after of what it changes (or would change, in check mode) in diff mode.
    support: none
options:
  action:
    description: The step to run.
    type: str
    choices: [write, read, verify, remove, writable]
    required: true
  paths:
    description: The directories configured as shared (O(action=write)), or to check (O(action=writable)).
    type: list
    elements: path
    default: []
  files:
    description: The probe files that O(action=write) returned (RV(files)), for the other actions.
    type: list
    elements: path
    default: []
  probe:
    description: A token unique to this run, written into and looked for in the probe files.
    type: str
    default: ""
  node:
    description: This host's name on the lines it appends (O(action=read)).
    type: str
    default: ""
  seconds:
    description: How long each host appends lines (O(action=read)); 0 appends nothing.
    type: float
    default: 0
"""

EXAMPLES = r"""
- name: Write a probe into the directories configured as shared
  fateflow.ha.shared_dir_probe:
    action: write
    paths: [/data/shared/fate_flow/logs]
    probe: "{{ run_token }}"
  run_once: true
  register: probe_written

- name: Read the probe on every host and append lines together
  fateflow.ha.shared_dir_probe:
    action: read
    files: "{{ probe_written.files | map(attribute='file') }}"
    probe: "{{ run_token }}"
    node: "{{ inventory_hostname }}"
    seconds: 1
  register: probe_read

- name: Count the whole lines and remove the probes
  fateflow.ha.shared_dir_probe:
    action: verify
    files: "{{ probe_written.files | map(attribute='file') }}"
  run_once: true
  register: probe_verified
"""

RETURN = r"""
probe:
  description: The O(probe) token, for the steps that follow.
  returned: always
  type: str
files:
  description: One entry per directory (O(action=write)) or per file (the other actions).
  returned: always
  type: list
  elements: dict
  contains:
    path:
      description: The directory configured as shared (O(action=write)).
      type: str
    file:
      description: The probe file.
      type: str
    found:
      description: The file exists here and, with O(action=read), holds O(probe).
      type: bool
    written:
      description: Lines this host appended (O(action=read)).
      type: int
    lines:
      description: Whole appended lines per host (O(action=verify)).
      type: dict
    broken:
      description: Appended lines that are not whole (O(action=verify)).
      type: int
"""

import errno
import os
import re
import time

from ansible.module_utils.basic import AnsibleModule

PREFIX = ".fateflow-ha-probe-"
# About the size of a FATE Flow log record.
PADDING = "x" * 160
LINE = re.compile(r"^(\S+) (\d+) " + PADDING + "$")


def nearest_existing(path):
    path = os.path.abspath(path)
    while not os.path.isdir(path) and os.path.dirname(path) != path:
        path = os.path.dirname(path)
    return path


def write(module, paths, probe):
    files = []
    for index, path in enumerate(paths):
        directory = nearest_existing(path)
        # Numbered: two directories that do not exist yet may share their nearest parent.
        probe_file = os.path.join(directory, "%s%s-%d" % (PREFIX, probe, index))
        try:
            fd = os.open(probe_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            try:
                os.write(fd, (probe + "\n").encode())
            finally:
                os.close(fd)
        except OSError as err:
            for written in files:
                remove_file(written["file"])
            where = path if directory == path else "%s (which does not exist yet: tried %s)" % (path, directory)
            module.fail_json(msg="Cannot create a file in %s on this host: %s. The directory must be writable by root "
                                 "(a read-only mount or an NFS export with root_squash is not)." % (where, err.strerror))
        files.append(dict(path=path, file=probe_file))
    return files


def read(files, probe, node, seconds):
    result = []
    for probe_file in files:
        try:
            with open(probe_file, encoding="utf-8", errors="replace") as handle:
                found = handle.readline().rstrip("\n") == probe
        except OSError:
            found = False
        result.append(dict(file=probe_file, found=found, written=0))
    if seconds > 0 and all(entry["found"] for entry in result):
        fds = []
        try:
            for entry in result:
                fds.append(os.open(entry["file"], os.O_WRONLY | os.O_APPEND))
            deadline = time.monotonic() + seconds
            count = 0
            while time.monotonic() < deadline:
                for fd in fds:
                    os.write(fd, ("%s %d %s\n" % (node, count, PADDING)).encode())
                count += 1
                # Spread the lines over the whole time, so that every host's appends overlap.
                time.sleep(0.0005)
        finally:
            for fd in fds:
                os.close(fd)
        for entry in result:
            entry["written"] = count
    return result


def verify(files):
    result = []
    for probe_file in files:
        lines, broken = {}, 0
        try:
            with open(probe_file, encoding="utf-8", errors="replace") as handle:
                handle.readline()
                for line in handle:
                    match = LINE.match(line.rstrip("\n"))
                    if match:
                        lines[match.group(1)] = lines.get(match.group(1), 0) + 1
                    else:
                        broken += 1
            found = True
        except OSError:
            found = False
        result.append(dict(file=probe_file, found=found, lines=lines, broken=broken))
    return result


def remove_file(path):
    try:
        os.unlink(path)
    except OSError as err:
        if err.errno != errno.ENOENT:
            raise


def main():
    module = AnsibleModule(
        argument_spec=dict(
            action=dict(type="str", required=True, choices=["write", "read", "verify", "remove", "writable"]),
            paths=dict(type="list", elements="path", default=[]),
            files=dict(type="list", elements="path", default=[]),
            probe=dict(type="str", default=""),
            node=dict(type="str", default=""),
            seconds=dict(type="float", default=0.0),
        ),
        required_if=[("action", "write", ["paths", "probe"]), ("action", "writable", ["paths", "probe"]), ("action", "read", ["files", "probe"]),
                     ("action", "verify", ["files"]), ("action", "remove", ["files"])],
        supports_check_mode=True,
    )
    params = module.params
    if params["probe"] and not re.match(r"^[A-Za-z0-9_.-]+$", params["probe"]):
        module.fail_json(msg="probe must be letters, digits and '_.-' (it names the probe files).")
    if any(os.path.basename(path) and not os.path.basename(path).startswith(PREFIX) for path in params["files"]):
        module.fail_json(msg="files must be probe files that action=write returned (named %s...)." % PREFIX)
    action = params["action"]
    if action in ("write", "writable"):
        files = write(module, params["paths"], params["probe"])
        if action == "writable":
            for entry in files:
                remove_file(entry["file"])
    elif action == "read":
        try:
            files = read(params["files"], params["probe"], params["node"] or "node", params["seconds"])
        except OSError as err:
            module.fail_json(msg="Cannot append to %s on this host: %s." % (err.filename, err.strerror))
    elif action == "verify":
        files = verify(params["files"])
        for probe_file in params["files"]:
            remove_file(probe_file)
    else:
        for probe_file in params["files"]:
            remove_file(probe_file)
        files = [dict(file=probe_file) for probe_file in params["files"]]
    module.exit_json(changed=False, files=files, probe=params["probe"])


if __name__ == "__main__":
    main()
