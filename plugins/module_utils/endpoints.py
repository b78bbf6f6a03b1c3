# Copyright: fateflow.ha contributors
# Apache License 2.0 (see LICENSE)
"""Addresses and ports as the party's services write them: one set of rules for every filter and module."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import re

_DIGITS = re.compile(r"^[0-9]+$")
# One label of a host name; '_' is taken because inventories and /etc/hosts use it.
_LABEL = re.compile(r"^[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$")

# Names that always mean this very machine, whatever the resolver says.
LOOPBACK_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")


def tcp_port(value):
    """The port as an int; ValueError when it is not a whole number 1-65535 (text of digits is accepted)."""
    if isinstance(value, bool):
        port = None
    elif isinstance(value, int):
        port = value
    elif isinstance(value, str) and _DIGITS.match(value.strip()):
        port = int(value.strip())
    else:
        port = None
    if port is None or not 1 <= port <= 65535:
        raise ValueError("%r is not a TCP port (1-65535)" % (value,))
    return port


def connect_address(value):
    """A host name or IP address other hosts can connect to; IPv6 literals come back bracketed.

    ValueError for an empty value, one with characters no configuration file takes, or an
    unspecified address (0.0.0.0 or ::), which a server listens on but nobody can connect to.
    """
    text = str(value).strip() if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    if not text or any(c.isspace() or not c.isprintable() for c in text) or any(c in text for c in ";{}'\",/"):
        raise ValueError("%r is not a host name or IP address" % (value,))
    bare = unbracket(text)
    try:
        ip = ipaddress.ip_address(bare)
    except ValueError:
        if ":" in text or "[" in text or "]" in text or not host_name(text):
            raise ValueError("%r is not a host name or IP address" % (value,))
        return text
    if ip.is_unspecified:
        raise ValueError("%s listens everywhere but cannot be connected to; give the host's own address" % text)
    return "[%s]" % ip.compressed if ip.version == 6 else ip.compressed


def host_name(text):
    """Whether ``text`` is a DNS host name (RFC 1123 labels, '_' taken, one trailing dot allowed).

    A name whose last label is all digits is refused: resolvers read ``10.0.0.256`` or
    ``3232235777`` as a (wrong) IPv4 address, not as a name.
    """
    name = text[:-1] if text.endswith(".") else text
    labels = name.split(".")
    return (0 < len(name) <= 253 and all(_LABEL.match(label) for label in labels)
            and not _DIGITS.match(labels[-1]))


def routable_address(value):
    """connect_address, also refusing loopback (127.0.0.0/8, ::1, localhost): an address other hosts reach."""
    address = connect_address(value)
    bare = unbracket(address)
    if bare.lower() in LOOPBACK_NAMES:
        raise ValueError("%s is this machine's loopback name; give the host's own routable address" % address)
    try:
        loopback = ipaddress.ip_address(bare).is_loopback
    except ValueError:
        loopback = False
    if loopback:
        raise ValueError("%s is a loopback address; give the host's own routable address" % address)
    return address


def unbracket(address):
    """``[fd00::1]`` as ``fd00::1`` (what sockets take); anything else unchanged."""
    text = str(address).strip()
    return text[1:-1] if text.startswith("[") and text.endswith("]") else text


def host_port(address, port):
    """``address:port`` with both checked, as nginx upstreams and ZooKeeper connection strings take it."""
    return "%s:%d" % (connect_address(address), tcp_port(port))


def split_host_port(text, default_port=None):
    """``(host, port)`` from ``host:port``, ``[v6]:port``, ``host`` or ``[v6]``; the host without brackets.

    Without ``default_port`` the port is required and comes after the last colon, as FATE writes
    ``host:port`` with an unbracketed IPv6 host (its registry znode names). With ``default_port``
    a text without a port takes it, and an unbracketed text with several colons is an IPv6 address.
    ValueError names the text when the host or the port is not valid.
    """
    value = str(text).strip()
    if value.startswith("["):
        host, sep, rest = value[1:].partition("]")
        if not sep or (rest and not rest.startswith(":")):
            raise ValueError("%r is not host:port" % (text,))
        port = rest[1:] if rest else None
    elif default_port is not None and value.count(":") != 1:
        host, port = value, None
    else:
        host, sep, port = value.rpartition(":")
        if not sep:
            host, port = value, None
    if port is None:
        if default_port is None:
            raise ValueError("%r is not host:port (the port is missing)" % (text,))
        port = default_port
    try:
        return unbracket(connect_address(host)), tcp_port(port)
    except ValueError as exc:
        raise ValueError("%r is not host:port: %s" % (text, exc))
