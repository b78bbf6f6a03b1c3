# -*- coding: utf-8 -*-
# Copyright: fateflow.ha contributors
# Apache License 2.0 (see LICENSE)
"""Input rules for FATE's own values (party ids, versions, MySQL names, free-form settings).

They follow module_utils/validation.py's convention (``rule(option, value)`` returns the value in
the form the code uses or raises validation.InputError naming the option) and belong with its
rules; they live here until validation.py takes them.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math
import re

from ansible.module_utils.six import integer_types, string_types

from ansible_collections.fateflow.ha.plugins.module_utils.validation import InputError, shown, text

# FATE party ids are numbers in 1.x and texts of digits in 2.x; OSX and rollsite also route the
# word ``default``. Word characters only: a key of route_table.json and a znode name segment.
_PARTY_ID = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")
_VERSION = re.compile(r"^[vV]?[0-9]+(\.[0-9]+){0,3}([\-+.][0-9A-Za-z.\-]+)?$")
# MySQL unquoted identifiers (database names): letters, digits, _ and $; 64 characters at most.
_MYSQL_NAME = re.compile(r"^[A-Za-z0-9_$]{1,64}$")
# A ZooKeeper digest user is the text before the first ':' of "user:password".
_DIGEST_USER = re.compile(r"^[^:\s]{1,256}$")
_RABBITMQ_USER = re.compile(r"^[A-Za-z0-9._-]{1,64}\Z")
# A service name in a route table: rollsite's role names (default, fateflow, fateboard, ...).
_ROUTE_SERVICE = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")
SETTINGS_DEPTH = 16


def party_id(option, value, allow_default=False):
    """A party id (digits, or a word of letters, digits, ``_.-``) as text; ``default`` when allowed."""
    if isinstance(value, bool) or not isinstance(value, string_types + integer_types):
        raise InputError(option, "must be a party id (digits, as text or a number), not %s" % shown(value))
    if isinstance(value, integer_types) and value < 0:
        raise InputError(option, "must be a party id, not the negative number %d" % value)
    result = str(value).strip()
    if not _PARTY_ID.match(result):
        raise InputError(option, "must be a party id of letters, digits, '_', '.' or '-' (at most 64), not %s"
                         % shown(value))
    if result == "default" and not allow_default:
        raise InputError(option, "must be a party id, not 'default'")
    return result


def route_service(option, value):
    """A route table service name (``default``, ``fateflow``, another role name)."""
    if not isinstance(value, string_types):
        raise InputError(option, "must be a service name (a string), not %s" % shown(value))
    result = value.strip()
    if not _ROUTE_SERVICE.match(result):
        raise InputError(option, "must be a service name of letters, digits, '_', '.' or '-' (at most 64), not %s"
                         % shown(value))
    return result


def flow_version(option, value):
    """A FATE Flow version text: ``1.11.2``, ``v2.2.0``, ``2``; its major must be 1 or 2."""
    if isinstance(value, bool) or not isinstance(value, string_types + integer_types + (float,)):
        raise InputError(option, "must be a version such as 2.2.0, not %s" % shown(value))
    result = str(value).strip()
    if not _VERSION.match(result):
        raise InputError(option, "must be a version such as 1.11.2 or 2.2.0, not %s" % shown(value))
    if result.lstrip("vV").split(".", 1)[0] not in ("1", "2"):
        raise InputError(option, "is %s: that FATE Flow version is not supported; give a 1.x or 2.x version" % shown(value))
    return result


def mysql_name(option, value):
    """A MySQL database name as FATE writes it unquoted."""
    if not isinstance(value, string_types) or not _MYSQL_NAME.match(value):
        raise InputError(option, "must be a MySQL database name (letters, digits, '_' or '$', at most 64), not %s"
                         % shown(value))
    return value


def mysql_user(option, value):
    """A MySQL user name: one line of at most 80 characters (MySQL 8's limit is 32, MariaDB's 80)."""
    return text(option, value, max_length=80)


def digest_user(option, value):
    """A ZooKeeper digest user: no ':' (it ends the user in ``user:password``) and no white space."""
    text(option, value)
    if not _DIGEST_USER.match(value):
        raise InputError(option, "must be a user name without ':' or white space, not %s" % shown(value))
    return value


def rabbitmq_user(option, value):
    """A RabbitMQ user FATE's management API calls authenticate as (HTTP basic): no ':' or white space."""
    text(option, value)
    if not _RABBITMQ_USER.match(value):
        raise InputError(option, "must be 1-64 letters, digits, '.', '_' or '-', not %s" % shown(value))
    return value


def secret(option, value):
    """A password: a non-empty single-line string, never quoted in a message.

    A whole number (an unquoted ``123456`` in an inventory) is taken as its digits; any other type
    (a list, a mapping) is refused rather than written as Python text.
    """
    if isinstance(value, integer_types) and not isinstance(value, bool):
        value = str(value)
    return text(option, value, secret=True)


def settings(option, value, is_secret_key=lambda key: False):
    """A nested mapping of YAML settings: string keys; strings, numbers, booleans, nulls, lists and mappings.

    The value of a key ``is_secret_key`` names is never quoted in a message.
    """
    _check_setting(option, value, 0, is_secret_key, False)
    return value


def _check_setting(where, value, depth, is_secret_key, hidden):
    if depth > SETTINGS_DEPTH:
        raise InputError(where, "is nested deeper than %d levels" % SETTINGS_DEPTH)
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, string_types) or not key.strip():
                raise InputError(where, "has a key that is not a non-empty string: %s" % shown(key))
            if any(ord(c) < 32 for c in key):
                raise InputError(where, "has a key with a control character: %s" % shown(key))
            _check_setting("%s.%s" % (where, key), item, depth + 1, is_secret_key, hidden or is_secret_key(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_setting("%s[%d]" % (where, index), item, depth + 1, is_secret_key, hidden)
    elif isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        raise InputError(where, "must be a finite number, not %s" % value)
    elif isinstance(value, string_types):
        if "\x00" in value:
            raise InputError(where, "holds a NUL character: %s" % shown(value, hidden))
    elif not (value is None or isinstance(value, (bool, float) + integer_types)):
        raise InputError(where, "must be a string, number, boolean, null, list or mapping, not %s"
                         % type(value).__name__)
