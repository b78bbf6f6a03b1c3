# -*- coding: utf-8 -*-
# Copyright: fateflow.ha contributors
# Apache License 2.0 (see LICENSE)
"""The input rules every module and filter of the collection checks its options with.

Each rule takes the option's name and its value and returns the value in the form the code uses,
or raises InputError, a ValueError whose message is one sentence naming the option and what is wrong
with its value. A rule given ``secret=True`` never puts the value in its message.

Numbers: ports and counts accept an int or a text of ASCII digits (inventories often quote them);
floats, booleans and anything else are refused. Seconds (timeouts) accept an int, a finite float or
a text of a decimal number, within bounds. Addresses follow module_utils/endpoints.py.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math
import re

from ansible.module_utils.six import string_types

from ansible_collections.fateflow.ha.plugins.module_utils.endpoints import (
    connect_address,
    routable_address,
    split_host_port,
    tcp_port,
)

# Longest value quoted in a message: enough to recognise it, short enough for one line.
SHOWN_LENGTH = 60

_DECIMAL = re.compile(r"^[0-9]+(\.[0-9]+)?$")
_DIGITS = re.compile(r"^[0-9]+$")

# ZooKeeper's PathUtils.validatePath: characters a znode name cannot hold.
_ZNODE_FORBIDDEN = re.compile(u"[\u0000-\u001f\u007f-\u009f\ud800-\uf8ff\ufff0-\uffff]")

# ZooKeeper's permission letters (zkCli's order) and bits.
PERM_BITS = (("c", 4), ("d", 8), ("r", 1), ("w", 2), ("a", 16))
PERM_ALL = 31

# supervisord program names (optionally group:program) and systemd unit names, without a leading
# dash (it would be read as a command-line option); 'all' means every program to supervisorctl.
_SUPERVISOR_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*(:[A-Za-z0-9_][A-Za-z0-9_.\-]*)?$")
_SYSTEMD_NAME = re.compile(r"^[A-Za-z0-9_.:\\][A-Za-z0-9_.:@\\\-]*$")
NAME_MAX = 255


class InputError(ValueError):
    """An option's value is refused; ``str()`` is one sentence naming the option."""

    def __init__(self, option, problem):
        self.option = option
        self.problem = problem
        super(InputError, self).__init__("%s %s" % (option, problem))


def shown(value, secret=False):
    """How a message quotes a value: ``repr``, shortened; never a secret's text."""
    if secret:
        return "(value not shown: it is secret)"
    text = repr(value)
    if len(text) > SHOWN_LENGTH:
        text = text[:SHOWN_LENGTH - 3] + "..."
    return text


def _type_name(value):
    return "null" if value is None else type(value).__name__


def text(option, value, secret=False, allow_empty=False, max_length=4096, single_line=True):
    """A string without NUL (and, when ``single_line``, without line breaks or other control characters)."""
    if not isinstance(value, string_types):
        raise InputError(option, "must be a string, not %s" % _type_name(value))
    if not allow_empty and not value.strip():
        raise InputError(option, "is empty")
    if len(value) > max_length:
        raise InputError(option, "is %d characters long; at most %d are taken" % (len(value), max_length))
    if "\x00" in value:
        raise InputError(option, "holds a NUL character: %s" % shown(value, secret))
    if single_line and any(ord(c) < 32 or 127 <= ord(c) < 160 for c in value):
        raise InputError(option, "holds a line break or another control character: %s" % shown(value, secret))
    return value


def port(option, value):
    """A TCP port as an int: an int or a text of digits, 1-65535."""
    try:
        return tcp_port(value)
    except ValueError:
        raise InputError(option, "must be a TCP port, a whole number 1-65535, not %s" % shown(value))


def integer(option, value, minimum=None, maximum=None):
    """A whole number (int or text of digits) within the bounds given."""
    if isinstance(value, bool) or not (isinstance(value, int) or
                                       (isinstance(value, string_types) and _DIGITS.match(value.strip()))):
        raise InputError(option, "must be a whole number, not %s" % shown(value))
    number_value = int(value)
    _bounds(option, number_value, minimum, maximum)
    return number_value


def number(option, value, minimum=None, maximum=None, above=None):
    """A finite number (int, float or text of a decimal number) within the bounds given.

    ``minimum``/``maximum`` are inclusive, ``above`` exclusive (a timeout is above 0).
    """
    if isinstance(value, bool):
        raise InputError(option, "must be a number, not %s" % shown(value))
    if isinstance(value, string_types) and _DECIMAL.match(value.strip()):
        value = float(value)
    if not isinstance(value, (int, float)):
        raise InputError(option, "must be a number, not %s" % shown(value))
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        raise InputError(option, "must be a finite number, not %s" % value)
    if above is not None and not value > above:
        raise InputError(option, "must be above %s, not %s" % (above, value))
    _bounds(option, value, minimum, maximum)
    return value


def _bounds(option, value, minimum, maximum):
    if minimum is not None and value < minimum:
        raise InputError(option, "must be at least %s, not %s" % (minimum, value))
    if maximum is not None and value > maximum:
        raise InputError(option, "must be at most %s, not %s" % (maximum, value))


def seconds(option, value, maximum=86400.0):
    """A timeout in seconds: a finite number above 0, at most ``maximum`` (a day by default)."""
    return float(number(option, value, above=0, maximum=maximum))


def address(option, value, routable=False):
    """A host name or IP address to connect to (IPv6 comes back bracketed); see endpoints.connect_address."""
    if not isinstance(value, string_types):
        raise InputError(option, "must be a host name or IP address (a string), not %s" % _type_name(value))
    text(option, value)
    try:
        return routable_address(value) if routable else connect_address(value)
    except ValueError as exc:
        raise InputError(option, "is refused: %s" % exc)


def host_port(option, value, default_port=None):
    """``(host, port)`` from one ``host:port`` text (``[v6]:port`` for IPv6); the host without brackets."""
    if not isinstance(value, string_types):
        raise InputError(option, "must be host:port (a string), not %s" % _type_name(value))
    text(option, value)
    try:
        return split_host_port(value, default_port)
    except ValueError as exc:
        raise InputError(option, "is refused: %s" % exc)


def host_port_list(option, value, default_port=None):
    """``[(host, port), ...]`` from a list of ``host:port`` texts, each of which may hold several, comma-separated."""
    if isinstance(value, string_types):
        value = [value]
    if not isinstance(value, (list, tuple)):
        raise InputError(option, "must be a list of host:port, not %s" % _type_name(value))
    found = []
    for index, item in enumerate(value):
        if not isinstance(item, string_types):
            raise InputError("%s[%d]" % (option, index), "must be host:port (a string), not %s" % _type_name(item))
        for part in item.split(","):
            if part.strip():
                found.append(host_port("%s[%d]" % (option, index), part.strip(), default_port))
    if not found:
        raise InputError(option, "is empty; give at least one host:port")
    return found


def zookeeper_hosts(option, value, default_port=2181):
    """A ZooKeeper connection string ``h1:p1,h2:p2[/chroot]`` from a list of ``host:port`` texts.

    The chroot may only end the last item, as in ZooKeeper's own connection strings.
    """
    if isinstance(value, string_types):
        value = [value]
    if not isinstance(value, (list, tuple)):
        raise InputError(option, "must be a list of host:port, not %s" % _type_name(value))
    items = list(value)
    chroot = ""
    if items and isinstance(items[-1], string_types) and "/" in items[-1]:
        last, _sep, rest = items[-1].partition("/")
        chroot = znode_path("%s (chroot)" % option, "/" + rest)
        items[-1] = last
    hosts = host_port_list(option, items, default_port)
    return ",".join("[%s]:%d" % (h, p) if ":" in h else "%s:%d" % (h, p) for h, p in hosts) + chroot


def znode_path(option, value):
    """An absolute znode path ZooKeeper accepts (its PathUtils.validatePath rules)."""
    if not isinstance(value, string_types):
        raise InputError(option, "must be a znode path (a string), not %s" % _type_name(value))
    if not value.startswith("/"):
        raise InputError(option, "must be an absolute znode path such as /FATE-COMPONENTS, not %s" % shown(value))
    if value == "/":
        return value
    if value.endswith("/"):
        raise InputError(option, "must not end with a slash: %s" % shown(value))
    if _ZNODE_FORBIDDEN.search(value):
        raise InputError(option, "holds a character ZooKeeper refuses in a path (a control character or "
                                 "a private-use one): %s" % shown(value))
    for segment in value.split("/")[1:]:
        if segment in ("", ".", ".."):
            raise InputError(option, "has an empty, '.' or '..' part, which ZooKeeper refuses: %s" % shown(value))
    return value


def zookeeper_perms(option, value):
    """ZooKeeper permission bits from ``all``, zkCli letters (``cdrwa`` in any order) or a number 1-31."""
    if isinstance(value, bool):
        raise InputError(option, "must be 'all', letters of cdrwa or a number 1-31, not %s" % shown(value))
    if isinstance(value, int):
        if 1 <= value <= PERM_ALL:
            return value
        raise InputError(option, "must be a number 1-31 when given as a number, not %d" % value)
    if not isinstance(value, string_types):
        raise InputError(option, "must be 'all', letters of cdrwa or a number 1-31, not %s" % _type_name(value))
    letters = value.strip().lower()
    if letters == "all":
        return PERM_ALL
    if _DIGITS.match(letters):
        return zookeeper_perms(option, int(letters))
    bits = dict(PERM_BITS)
    if not letters or any(letter not in bits for letter in letters):
        raise InputError(option, "must be 'all' or letters among c (create), d (delete), r (read), w (write), "
                                 "a (admin), not %s" % shown(value))
    result = 0
    for letter in letters:
        result |= bits[letter]
    return result


def service_name(option, value, manager="supervisord"):
    """One supervisord program (``name`` or ``group:name``) or one systemd unit name without ``.service``.

    Refused: ``all`` and any name that supervisorctl or systemctl would read as several programs,
    a pattern or an option (spaces, ``*``, a leading dash).
    """
    text(option, value)
    if value.strip().lower() == "all" or value.strip().endswith(":*"):
        raise InputError(option, "names every program (%s); give one program's name" % shown(value))
    pattern = _SUPERVISOR_NAME if manager == "supervisord" else _SYSTEMD_NAME
    if len(value) > NAME_MAX or not pattern.match(value):
        raise InputError(option, "is not one %s name (letters, digits, '_', '.', '-'%s; no spaces, no leading "
                                 "dash): %s" % ("supervisord program" if manager == "supervisord" else "systemd unit",
                                                ", 'group:program'" if manager == "supervisord" else ", ':', '@'",
                                                shown(value)))
    return value


_FLOW_VERSION = re.compile(r"^[vV]?[12](\.[0-9A-Za-z.+-]*)?$")


def flow_version(option, value):
    """A FATE Flow version of the majors the collection knows (1.x, 2.x), such as ``2.2.0``, ``v1.11.4`` or ``2``."""
    if isinstance(value, bool) or not isinstance(value, string_types + (int, float)):
        raise InputError(option, "must be a FATE Flow version (a string such as 2.2.0), not %s" % _type_name(value))
    text_value = str(value).strip()
    if not _FLOW_VERSION.match(text_value):
        raise InputError(option, "must be a FATE Flow version 1.x or 2.x (such as 2.2.0, 1.11.4 or 2), not %s"
                         % shown(value))
    return text_value


def names(option, value):
    """A list of names (inventory hosts, variables); one string is a list of one."""
    if isinstance(value, string_types):
        value = [value]
    if not isinstance(value, (list, tuple)):
        raise InputError(option, "must be a list of names, not %s" % _type_name(value))
    for index, item in enumerate(value):
        if not isinstance(item, string_types):
            raise InputError("%s[%d]" % (option, index), "must be a name (a string), not %s" % _type_name(item))
    return list(value)


def check_options(module, rules, params=None, prefix=""):
    """Apply ``{option: rule}`` to the module's parameters; the first refusal fails the module.

    A rule is called as ``rule(option_name, value)`` for every option whose value is not None and
    its result replaces the value in ``module.params``. Call it right after AnsibleModule(), before
    anything is read or written.
    """
    params = module.params if params is None else params
    for option, rule in rules.items():
        if params.get(option) is None:
            continue
        try:
            params[option] = rule(prefix + option, params[option])
        except InputError as exc:
            module.fail_json(msg="%s." % str(exc).rstrip("."))
