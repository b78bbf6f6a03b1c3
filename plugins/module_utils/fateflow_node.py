# -*- coding: utf-8 -*-
# Copyright: fateflow.ha contributors
# Apache License 2.0 (see LICENSE)
"""What a FATE Flow node looks like from outside: health endpoint, registry znode, dependencies.

Facts this code relies on (FATE Flow 1.x and 2.x, checked on 2.2.0):

* a Flow server registers an EPHEMERAL znode ``/FATE-COMPONENTS/fate-flow/<quote(host:grpc_port)>``
  whose data is JSON with ``instance_id``, ``host``, ``grpc_port``, ``http_port``;
* 2.x answers ``GET /v2/server/fateflow`` with ``{"code": 0, "data": {<instance_id>: {...}}}``, the
  servers it sees in ZooKeeper; its own id is ``flow-<host>-<http_port>``; 1.x answers
  ``POST /v1/version/get`` with ``{"retcode": 0}``. Errors come back as HTTP 200 with a non-zero code;
* a stopped server's znode lingers until its ZooKeeper session expires (~10 s), and a server started
  inside that window spins without serving: its own stale znode must go before it starts again.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import socket

try:
    from urllib.parse import quote
except ImportError:  # pragma: no cover
    from urllib import quote

from ansible.module_utils.urls import open_url

REGISTRY_ROOT = "/FATE-COMPONENTS/fate-flow"


def instance_id(host, http_port):
    return "flow-%s-%s" % (host, http_port)


def znode_path(host, grpc_port):
    """Path of a Flow server's registration (FATE quotes ``host:port``, ``:`` becomes ``%3A``)."""
    return "%s/%s" % (REGISTRY_ROOT, quote("%s:%s" % (host, grpc_port), safe=""))


def split_endpoint(endpoint, default_port):
    host, sep, port = endpoint.rpartition(":")
    if not sep:
        return endpoint, int(default_port)
    return host, int(port)


def tcp_reachable(host, port, timeout=3.0):
    try:
        sock = socket.create_connection((host, int(port)), timeout=timeout)
    except (OSError, socket.error):
        return False
    sock.close()
    return True


def health(host, http_port, major, timeout=5.0):
    """Ask the node for its health. Returns (ok, servers, reason); servers is a list of instance ids (2.x)."""
    try:
        if major == 1:
            resp = open_url("http://%s:%s/v1/version/get" % (host, http_port), method="POST",
                            data=json.dumps({}), headers={"Content-Type": "application/json"},
                            timeout=timeout)
        else:
            resp = open_url("http://%s:%s/v2/server/fateflow" % (host, http_port), method="GET", timeout=timeout)
        body = json.loads(resp.read().decode("utf-8") or "{}")
    except Exception as exc:  # any connection or HTTP error means "not healthy yet"
        return False, [], "no answer on http://%s:%s (%s)" % (host, http_port, " ".join(str(exc).split()))
    code = body.get("retcode") if major == 1 else body.get("code")
    if code != 0:
        return False, [], "answered code %r: %s" % (code, body.get("retmsg") or body.get("message"))
    servers = sorted((body.get("data") or {}).keys()) if major != 1 else []
    return True, servers, ""


def log_tail(paths, lines=30):
    """The last lines of the first non-empty log file among ``paths`` (for failure messages)."""
    for path in paths:
        if path and os.path.isfile(path) and os.path.getsize(path) > 0:
            try:
                with open(path, "rb") as handle:
                    handle.seek(0, os.SEEK_END)
                    size = handle.tell()
                    handle.seek(max(0, size - 16384))
                    text = handle.read().decode("utf-8", "replace")
            except (IOError, OSError):
                continue
            return path, "\n".join(text.splitlines()[-lines:])
    return None, ""
