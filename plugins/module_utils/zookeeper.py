# -*- coding: utf-8 -*-
# Copyright: fateflow.ha contributors
# Apache License 2.0 (see LICENSE)
"""Shared code for the collection's ZooKeeper modules.

ACL normalisation, ZooKeeper's digest hashing and zkCli's permission letters are
plain Python (testable without kazoo); connecting, and walking a tree with
pipelined requests, need kazoo.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import hashlib
import socket
import traceback

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.fateflow.ha.plugins.module_utils import validation
from ansible_collections.fateflow.ha.plugins.module_utils.deadline import DeadlineExceeded, call_within
from ansible_collections.fateflow.ha.plugins.module_utils.endpoints import unbracket

KAZOO_IMPORT_ERROR = None
try:
    from kazoo.client import KazooClient
    from kazoo.exceptions import (
        BadVersionError,
        KazooException,
        NoAuthError,
        NoNodeError,
        NotEmptyError,
    )
    from kazoo.handlers.threading import KazooTimeoutError
    from kazoo.security import ACL, Id
    HAS_KAZOO = True
except ImportError:
    HAS_KAZOO = False
    KAZOO_IMPORT_ERROR = traceback.format_exc()

SCHEMES = ("world", "digest", "ip", "auth", "sasl", "x509")

# zkCli's letters, in zkCli's own order; the values are ZooKeeper's permission bits.
PERM_BITS = validation.PERM_BITS
PERM_ALL = validation.PERM_ALL

# Requests kept in flight at once when walking or changing a tree: enough to hide
# the round trip, small enough to leave the server's request queue to others.
PIPELINE_WINDOW = 500


class ZookeeperModuleError(Exception):
    """A failure to report as the module's one-sentence message."""


def connection_argument_spec():
    """Options every ZooKeeper module of the collection takes (doc fragment fateflow.ha.zookeeper)."""
    return dict(
        hosts=dict(type="list", elements="str", required=True),
        auth_scheme=dict(type="str", default="digest", choices=["digest", "sasl"]),
        auth_credential=dict(type="str", no_log=True),
        timeout=dict(type="float", default=10.0),
        use_tls=dict(type="bool", default=False),
        ca_cert=dict(type="path"),
        client_cert=dict(type="path"),
        client_key=dict(type="path", no_log=False),
        validate_certs=dict(type="bool", default=True),
    )


CONNECTION_REQUIRED_TOGETHER = [("client_cert", "client_key")]

# Longest session timeout worth waiting for: an hour (ZooKeeper itself caps sessions far lower).
TIMEOUT_MAX = 3600.0


def _hosts_option(option, value):
    return [validation.zookeeper_hosts(option, value)]


def _credential_option(option, value):
    validation.text(option, value, secret=True, allow_empty=True)
    return value


def check_connection_options(module):
    """The connection options checked (and ``hosts`` made one connection string) before connecting."""
    validation.check_options(module, dict(
        hosts=_hosts_option,
        timeout=lambda option, value: validation.seconds(option, value, maximum=TIMEOUT_MAX),
        auth_credential=_credential_option,
    ))
    params = module.params
    if credential(params) and params.get("auth_scheme") == "digest" and ":" not in credential(params):
        module.fail_json(msg="auth_credential for the digest scheme must be 'user:password'.")


def normalize_hosts(hosts):
    """Turn ``["h1:2181,h2:2181", "h3:2181"]`` into ``"h1:2181,h2:2181,h3:2181"``."""
    if isinstance(hosts, str):
        hosts = [hosts]
    parts = []
    for item in hosts:
        parts.extend(part.strip() for part in str(item).split(",") if part.strip())
    if not parts:
        raise ZookeeperModuleError("hosts is empty; give at least one ZooKeeper address as host:port.")
    return ",".join(parts)


def parse_perms(perms, option="perms"):
    """Permission bits from ``all``, zkCli letters (``cdrwa`` in any order) or a number 1-31."""
    return validation.zookeeper_perms(option, perms)


def format_perms(bits):
    """zkCli's letters for permission bits (31 becomes ``cdrwa``)."""
    return "".join(letter for letter, bit in PERM_BITS if bits & bit)


def digest_id(username, password):
    """ZooKeeper's digest id for a user: ``user:base64(sha1("user:password"))``."""
    raw = ("%s:%s" % (username, password)).encode("utf-8")
    return "%s:%s" % (username, base64.b64encode(hashlib.sha1(raw).digest()).decode("ascii"))


def normalize_acl_entry(entry, option="acls[]"):
    """One ACL entry as the tuple ``(scheme, id, perms_bits)``.

    ``entry`` is the module's dict form: ``scheme``, ``perms`` and either ``id`` or,
    for digest, ``username`` + ``password``.
    """
    scheme = str(entry.get("scheme", "")).strip().lower()
    if scheme not in SCHEMES:
        raise ValueError("ACL scheme %r is unknown: use one of %s" % (entry.get("scheme"), ", ".join(SCHEMES)))
    perms = parse_perms(entry.get("perms", "all"), "%s.perms" % option)
    for field in ("id", "username", "password"):
        if entry.get(field) is not None:
            validation.text("%s.%s" % (option, field), entry[field], secret=field == "password",
                            allow_empty=field == "password", max_length=1024)
    if entry.get("username") is not None and ":" in entry["username"]:
        raise ValueError("%s.username must not hold ':', which separates user and hash in a digest id" % option)
    has_user = entry.get("username") is not None or entry.get("password") is not None
    ident = entry.get("id")
    if has_user:
        if scheme != "digest":
            raise ValueError("username and password are for the digest scheme only, not %s" % scheme)
        if ident is not None:
            raise ValueError("give a digest ACL either id or username + password, not both")
        if entry.get("username") is None or entry.get("password") is None:
            raise ValueError("a digest ACL given by user needs both username and password")
        ident = digest_id(entry["username"], entry["password"])
    if scheme == "world":
        ident = "anyone" if ident is None else ident
        if ident != "anyone":
            raise ValueError("the world scheme has only the id 'anyone', not %r" % ident)
    elif scheme == "auth":
        # ZooKeeper replaces 'auth' by the session's own identities and ignores the id.
        ident = "" if ident is None else str(ident)
    elif ident is None or str(ident) == "":
        raise ValueError("an ACL entry with scheme %s needs an id" % scheme)
    elif scheme == "digest" and ":" not in str(ident):
        raise ValueError("a digest id looks like 'user:base64hash'; give username and password to have it computed")
    return (scheme, str(ident), perms)


def normalize_acls(entries):
    """A set of normalised entries; duplicates of one id merge their permissions as ZooKeeper would not."""
    merged = {}
    for index, entry in enumerate(entries):
        scheme, ident, perms = normalize_acl_entry(entry, "acls[%d]" % index)
        merged[(scheme, ident)] = merged.get((scheme, ident), 0) | perms
    return frozenset((scheme, ident, perms) for (scheme, ident), perms in merged.items())


def acls_from_kazoo(acls):
    """A set of normalised entries from the ACL list kazoo read."""
    return frozenset((acl.id.scheme, acl.id.id, acl.perms) for acl in acls)


def acls_to_kazoo(acl_set):
    return [ACL(perms, Id(scheme, ident)) for scheme, ident, perms in sorted(acl_set)]


def acls_for_output(acl_set):
    """Sorted, readable entries for results and diffs."""
    return [dict(scheme=scheme, id=ident, perms=format_perms(perms)) for scheme, ident, perms in sorted(acl_set)]


def resolve_auth_acl(acl_set, session_ids):
    """Replace ``auth`` entries by what ZooKeeper stores for them: one entry per session identity.

    ZooKeeper never stores ``auth``: it writes the digest (or other) identities the
    session authenticated with. Comparing with what it stored needs the same rewrite.
    """
    resolved = set()
    for scheme, ident, perms in acl_set:
        if scheme == "auth":
            if not session_ids:
                raise ZookeeperModuleError("an ACL entry with scheme auth needs auth_scheme and auth_credential.")
            resolved.update((sid_scheme, sid, perms) for sid_scheme, sid in session_ids)
        else:
            resolved.add((scheme, ident, perms))
    return frozenset(resolved)


def credential(params):
    """The session's credential, or None for an anonymous session (auth_credential omitted or empty).

    An empty string counts as none so that a playbook can pass ``''`` where it cannot omit, as in
    a module_defaults dictionary built from ``use_acl``.
    """
    return params.get("auth_credential") or None


def session_identities(params):
    """The identities a session authenticated with these module parameters holds."""
    if credential(params) and params.get("auth_scheme") == "digest":
        user, sep, password = credential(params).partition(":")
        if sep:
            return [("digest", digest_id(user, password))]
    return []


def check_kazoo(module):
    if not HAS_KAZOO:
        module.fail_json(msg=missing_required_lib("kazoo"), exception=KAZOO_IMPORT_ERROR)


def connect(params):
    """A started KazooClient, or ZookeeperModuleError naming the hosts."""
    hosts = normalize_hosts(params["hosts"])
    if credential(params) and params["auth_scheme"] == "digest" and ":" not in credential(params):
        raise ZookeeperModuleError("auth_credential for the digest scheme must be 'user:password'.")
    if not params["timeout"] > 0:
        raise ZookeeperModuleError("timeout %s is not a number of seconds above 0." % params["timeout"])
    kwargs = dict(hosts=hosts, timeout=params["timeout"])
    if credential(params):
        kwargs["auth_data"] = [(params["auth_scheme"], credential(params))]
    if params.get("use_tls"):
        kwargs.update(
            use_ssl=True,
            ca=params.get("ca_cert"),
            certfile=params.get("client_cert"),
            keyfile=params.get("client_key"),
            verify_certs=params.get("validate_certs", True),
        )
    client = KazooClient(**kwargs)
    try:
        client.start(timeout=params["timeout"])
    except KazooTimeoutError:
        client.close()
        raise ZookeeperModuleError(
            "Could not connect to ZooKeeper at %s within %s s." % (hosts, params["timeout"]))
    except Exception as exc:  # kazoo raises auth and TLS failures as assorted types
        client.close()
        raise ZookeeperModuleError("Could not open a ZooKeeper session at %s: %s" % (hosts, exc))
    return client


def disconnect(client):
    try:
        client.stop()
    finally:
        client.close()


def explain(exc, path, action):
    """One sentence for a kazoo error met while doing ``action`` on ``path``."""
    if isinstance(exc, NoAuthError) and action == "remove":
        return ("Not allowed to remove %s: removing a node needs the delete permission on its parent %s, "
                "which the credential given lacks." % (path, path.rsplit("/", 1)[0] or "/"))
    if isinstance(exc, NoAuthError):
        return "Not allowed to %s %s: the credential given lacks permission there." % (action, path)
    if isinstance(exc, NoNodeError):
        return "Cannot %s %s: the node does not exist (removed while the module ran?)." % (action, path)
    if isinstance(exc, BadVersionError):
        return "Cannot %s %s: someone else changed it while the module ran; run again." % (action, path)
    if isinstance(exc, NotEmptyError):
        return "Cannot %s %s: it has children; set recursive to remove the subtree." % (action, path)
    if isinstance(exc, KazooTimeoutError):
        return "Timed out trying to %s %s." % (action, path)
    return "Could not %s %s: %s." % (action, path, exc.__class__.__name__ if not str(exc) else exc)


def pipelined(calls, window=PIPELINE_WINDOW):
    """Run ``(key, start)`` pairs, ``start()`` returning a kazoo async result, ``window`` at a time.

    Yields ``(key, value, exception)`` in order. Requests in one window share the
    round trip, so a tree of thousands of nodes costs a few dozen round trips.
    """
    calls = list(calls)
    for offset in range(0, len(calls), window):
        batch = [(key, start()) for key, start in calls[offset:offset + window]]
        for key, async_result in batch:
            try:
                yield key, async_result.get(), None
            except KazooException as exc:
                yield key, None, exc


def apply_pipelined(calls, window=PIPELINE_WINDOW):
    """Run ``(path, start)`` changes window by window, stopping after the window where one fails.

    Returns ``(done, failure)``: the paths changed, in order, and ``(path, exception)`` of the first
    change refused, or None. A node removed meanwhile (NoNodeError) is neither: nothing to change.
    Requests of one window are already on their way when one fails, so the ones after it may
    still succeed: ``done`` lists exactly those that did.
    """
    calls = list(calls)
    done, failure = [], None
    for offset in range(0, len(calls), window):
        for path, _value, exc in pipelined(calls[offset:offset + window], window):
            if exc is None:
                done.append(path)
            elif not isinstance(exc, NoNodeError) and failure is None:
                failure = (path, exc)
        if failure is not None:
            break
    return done, failure


def list_subtree(client, root, window=PIPELINE_WINDOW):
    """Every descendant of ``root`` (not root itself), parents before children.

    Raises ZookeeperModuleError on the first node whose children may not be listed.
    """
    found = []
    level = [root]
    while level:
        level = children_of(client, level, window)
        found.extend(level)
    return found


def children_of(client, parents, window=PIPELINE_WINDOW):
    """The paths of the children of ``parents``; a parent removed meanwhile has none."""
    children = []
    for parent, names, exc in pipelined(
            ((p, lambda p=p: client.get_children_async(p)) for p in parents), window):
        if exc is not None:
            if isinstance(exc, NoNodeError):
                continue
            raise ZookeeperModuleError(explain(exc, parent, "list the children of"))
        children.extend(join_path(parent, name) for name in names)
    return children


def join_path(parent, child):
    return (parent.rstrip("/") + "/" + child) if parent != "/" else "/" + child


def walk_acls(client, root, root_acls, root_stat, window=PIPELINE_WINDOW):
    """ACL and stat of ``root`` and of every descendant, level after level.

    Returns ``{path: (acl_set, stat)}``. A leaf costs one request (get_acls; its
    stat tells whether it has children); a node with children one more. Raises
    ZookeeperModuleError on the first node it may not read.
    """
    found = {root: (acls_from_kazoo(root_acls), root_stat)}
    level = [root] if root_stat.numChildren else []
    while level:
        children = children_of(client, level, window)
        level = []
        for path, value, exc in pipelined(
                ((c, lambda c=c: client.get_acls_async(c)) for c in children), window):
            if exc is not None:
                if isinstance(exc, NoNodeError):
                    continue
                raise ZookeeperModuleError(explain(exc, path, "read the ACL of"))
            acls, stat = value
            found[path] = (acls_from_kazoo(acls), stat)
            if stat.numChildren:
                level.append(path)
    return found


# Largest four-letter-word answer kept (mntr and cons of a busy server stay far below).
ANSWER_MAX_BYTES = 4 * 1024 * 1024


def _four_letter_exchange(host, port, command):
    with socket.create_connection((unbracket(host), port)) as sock:
        sock.sendall(command.encode("ascii"))
        chunks, size = [], 0
        while size < ANSWER_MAX_BYTES:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    return b"".join(chunks).decode("utf-8", "replace")


def four_letter_exchange(host, port, command, timeout):
    """``(answer, problem)``: the whole answer within ``timeout`` seconds in all, name lookup included.

    ``problem`` is '' when the server answered, else why not (no such host, connection refused,
    no complete answer in time, the connection closed without an answer).
    """
    try:
        answer = call_within(timeout, _four_letter_exchange, host, port, command)
    except DeadlineExceeded:
        return "", "no complete answer within %s s" % timeout
    except socket.gaierror as exc:
        return "", "cannot resolve %s (%s)" % (host, exc.strerror or exc)
    except (OSError, socket.timeout) as exc:
        return "", exc.strerror or exc.__class__.__name__
    if not answer:
        return "", "the connection closed without an answer"
    return answer, ""


def four_letter_word(host, port, command, timeout):
    """A four-letter-word command's answer, or '' when the server does not answer within ``timeout``."""
    return four_letter_exchange(host, port, command, timeout)[0]


def parse_four_letter_answer(answer):
    """``Key: value`` lines (srvr, stat) and ``key<TAB>value`` lines (mntr) as one dictionary."""
    fields = {}
    for line in answer.splitlines():
        if "\t" in line:
            key, _sep, value = line.partition("\t")
        else:
            key, sep, value = line.partition(":")
            if not sep or key.startswith(" "):
                continue
        if key.strip():
            fields.setdefault(key.strip(), value.strip())
    return fields
