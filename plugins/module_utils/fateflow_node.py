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
import sys
import time
import traceback

try:
    from urllib.parse import quote
except ImportError:  # pragma: no cover
    from urllib import quote

from ansible.module_utils.urls import open_url

from ansible_collections.fateflow.ha.plugins.module_utils.deadline import DeadlineExceeded, call_within
from ansible_collections.fateflow.ha.plugins.module_utils.endpoints import host_port, unbracket

PYMYSQL_IMPORT_ERROR = None
try:
    import pymysql
    HAS_PYMYSQL = True
except ImportError:
    HAS_PYMYSQL = False
    PYMYSQL_IMPORT_ERROR = traceback.format_exc()

REGISTRY_ROOT = "/FATE-COMPONENTS/fate-flow"

# Longest single step of a check (an HTTP request, a znode read, a TCP probe, a MySQL login).
STEP_TIMEOUT = 5.0

# Largest health answer read: a node lists every server of the party, a few hundred bytes each.
ANSWER_MAX_BYTES = 4 * 1024 * 1024


class RegistryError(Exception):
    """The registry could not be read; the message is one sentence without its final full stop."""


def instance_id(host, http_port):
    return "flow-%s-%s" % (host, http_port)


def znode_path(host, grpc_port):
    """Path of a Flow server's registration (FATE quotes ``host:port``, ``:`` becomes ``%3A``)."""
    return "%s/%s" % (REGISTRY_ROOT, quote("%s:%s" % (host, grpc_port), safe=""))


def major_version(flow_version):
    return 1 if str(flow_version).strip().lstrip("vV").startswith("1") else 2


def _connect(host, port, timeout):
    socket.create_connection((unbracket(host), int(port)), timeout=timeout).close()


def tcp_reachable(host, port, timeout=3.0):
    """Whether a TCP connection opens within ``timeout`` seconds, name lookup included."""
    try:
        call_within(timeout, _connect, host, port, timeout)
    except (DeadlineExceeded, OSError, socket.error):
        return False
    return True


# The health endpoint of each major version: (method, path).
HEALTH_REQUESTS = {1: ("POST", "/v1/version/get"), 2: ("GET", "/v2/server/fateflow")}


def health_request(major):
    """``(method, path)`` of the health endpoint of FATE Flow ``major`` (1 or 2)."""
    return HEALTH_REQUESTS[1 if major == 1 else 2]


def _fetch(url, method, timeout):
    if method == "POST":
        resp = open_url(url, method="POST", data=json.dumps({}),
                        headers={"Content-Type": "application/json"}, timeout=timeout)
    else:
        resp = open_url(url, method="GET", timeout=timeout)
    return resp.read(ANSWER_MAX_BYTES + 1)


def json_value(text):
    """``(value, ok)``: the JSON value ``text`` holds; ok false when it is not JSON (or nested too deep)."""
    try:
        return json.loads(text), True
    except (ValueError, RecursionError):
        return None, False


def json_object(text):
    """The JSON object ``text`` holds, or None (not JSON, or JSON but not an object)."""
    value, _ok = json_value(text)
    return value if isinstance(value, dict) else None


def health(host, http_port, major, timeout=STEP_TIMEOUT):
    """Ask the node for its health once, the whole request within ``timeout`` seconds.

    Returns ``(answers, servers, reason)``: ``answers`` when it answered code 0 (retcode on 1.x),
    ``servers`` the instance ids it lists (2.x; empty on 1.x), ``reason`` why not when it did not.
    """
    base = "http://%s" % host_port(host, http_port)
    method, path = health_request(major)
    url = base + path
    try:
        raw = call_within(timeout, _fetch, url, method, timeout)
    except DeadlineExceeded:
        return False, [], "no complete answer from %s within %s s" % (base, round(timeout, 1))
    except Exception as exc:  # any connection or HTTP error means "not healthy yet"
        return False, [], "no answer on %s (%s)" % (base, " ".join(str(exc).split()))
    if len(raw) > ANSWER_MAX_BYTES:
        return False, [], "%s answered more than %d bytes" % (url, ANSWER_MAX_BYTES)
    body, is_json = json_value(raw.decode("utf-8", "replace") or "{}")
    if not is_json:
        return False, [], "%s answered something that is not JSON" % url
    if not isinstance(body, dict):
        return False, [], "%s answered JSON that is not an object" % url
    code = body.get("retcode") if major == 1 else body.get("code")
    if code != 0 or isinstance(code, bool):
        message = body.get("retmsg") or body.get("message")
        return False, [], "%s answered code %s: %s" % (url, shown(code), shown(message))
    data = body.get("data")
    servers = sorted(data.keys()) if major != 1 and isinstance(data, dict) else []
    return True, servers, ""


def shown(value):
    """A value from a node's answer, on one short line."""
    text = " ".join(str(value).split())
    return text if len(text) <= 200 else text[:197] + "..."


def decode_registration(data):
    """A znode's data as FATE Flow wrote it: a dict, ``{}`` when it is not a JSON object."""
    return json_object((data or b"").decode("utf-8", "replace") or "{}") or {}


def registration_problem(data, host, grpc_port, path):
    """Why the registration ``data`` (None when absent) is not the node's own; '' when it is."""
    if data is None:
        return "its znode %s is missing" % path
    if str(data.get("host")) != str(host):
        return "its znode carries host %r" % data.get("host")
    if data.get("grpc_port") is not None and str(data.get("grpc_port")) != str(grpc_port):
        return "its znode carries grpc_port %r" % data.get("grpc_port")
    return ""


def node_report(host, http_port, grpc_port, major, read_registration, timeout=STEP_TIMEOUT):
    """One check of a node: the report fateflow_node returns, healthy or not.

    ``read_registration(path, timeout)`` returns the znode's data (None when absent) or raises
    RegistryError. Healthy means: answers code 0, lists its own instance id (2.x), and its znode
    carries its own host and grpc_port. The whole check takes at most ``timeout`` seconds (and a
    tenth of a second for the znode read when the health request took all of it).
    """
    own = instance_id(host, http_port)
    path = znode_path(host, grpc_port)
    reasons = []
    started = time.monotonic()
    answers, servers, why = health(host, http_port, major, timeout=timeout)
    if not answers:
        reasons.append(why)
    lists_itself = None
    if major != 1:
        lists_itself = own in servers
        if answers and not lists_itself:
            reasons.append("it answers but does not list itself (%s) among %s" % (own, servers or "no servers"))
    try:
        registration = read_registration(path, max(0.1, timeout - (time.monotonic() - started)))
    except RegistryError as exc:
        registration, problem = None, str(exc)
    else:
        problem = registration_problem(registration, host, grpc_port, path)
    if problem:
        reasons.append(problem)
    return dict(
        healthy=not reasons,
        answers=answers,
        lists_itself=lists_itself,
        registered=not problem,
        registration=registration,
        servers=servers,
        reason="; ".join(reasons),
    )


def _login(host, port, user, password, database, timeout):
    connection = pymysql.connect(host=unbracket(host), port=int(port), user=user, password=password or "",
                                 database=database or None, connect_timeout=timeout,
                                 read_timeout=timeout, write_timeout=timeout)
    connection.close()


def database_login(host, port, user, password, database=None, timeout=STEP_TIMEOUT):
    """Log in to MySQL once, as FATE Flow does; ``{"ok": bool, "message": str}`` (never the password)."""
    where = "MySQL at %s as %s" % (host_port(host, port), user)
    if database:
        where += " (database %s)" % database
    if not HAS_PYMYSQL:
        return dict(ok=False, message="cannot log in to %s: PyMySQL is not installed for %s" % (where, sys.executable))
    try:
        call_within(timeout, _login, host, port, user, password, database, timeout)
    except DeadlineExceeded:
        return dict(ok=False, message="cannot log in to %s: no answer within %s s" % (where, round(timeout, 1)))
    except Exception as exc:  # PyMySQL raises assorted types for network, auth and protocol errors
        args = getattr(exc, "args", ())
        if len(args) == 2 and isinstance(args[0], int):
            detail = "%s (error %d)" % (args[1], args[0])
        else:
            detail = str(exc) or exc.__class__.__name__
        detail = " ".join(detail.split())
        if password:
            detail = detail.replace(password, "********")
        return dict(ok=False, message="cannot log in to %s: %s" % (where, detail))
    return dict(ok=True, message="logged in to %s" % where)


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
