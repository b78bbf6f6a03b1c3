# Copyright: fateflow.ha contributors
# Apache License 2.0 (see LICENSE)
"""Addresses and ports as the party's services write them: one set of rules for every filter and module."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress


def tcp_port(value):
    """The port as an int; ValueError when it is not a whole number 1-65535 (text of digits is accepted)."""
    try:
        port = int(str(value).strip())
    except (TypeError, ValueError):
        port = None
    if port is None or isinstance(value, bool) or not 1 <= port <= 65535:
        raise ValueError("%r is not a TCP port (1-65535)" % (value,))
    return port


def connect_address(value):
    """A host name or IP address other hosts can connect to; IPv6 literals come back bracketed.

    ValueError for an empty value, one with characters no configuration file takes, or an
    unspecified address (0.0.0.0 or ::), which a server listens on but nobody can connect to.
    """
    text = str(value).strip()
    if not text or any(c.isspace() for c in text) or any(c in text for c in ";{}'\",/"):
        raise ValueError("%r is not a host name or IP address" % (value,))
    bare = text[1:-1] if text.startswith("[") and text.endswith("]") else text
    try:
        ip = ipaddress.ip_address(bare)
    except ValueError:
        return text
    if ip.is_unspecified:
        raise ValueError("%s listens everywhere but cannot be connected to; give the host's own address" % text)
    return "[%s]" % ip.compressed if ip.version == 6 else ip.compressed


def host_port(address, port):
    """``address:port`` with both checked, as nginx upstreams and ZooKeeper connection strings take it."""
    return "%s:%d" % (connect_address(address), tcp_port(port))
