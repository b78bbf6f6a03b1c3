# -*- coding: utf-8 -*-
# Copyright: fateflow.ha contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: default_password
short_description: Whether a password is one that FATE's documents and installers publish
version_added: 0.1.0
description:
  - True when the value is a password that FATE's own samples ship and that anyone can therefore
    guess (the ZooKeeper digest password and MySQL passwords of FATE's deployment guides,
    C(service_conf.yaml), AnsibleFATE and KubeFATE), and the user RabbitMQ creates on a new node.
  - The comparison ignores case, surrounding blanks, full-width and other compatibility forms of
    letters and invisible format characters (zero-width spaces), because such a variant of a
    published password is just as easy to guess.
  - The list, the only one in the collection, is V(fate), V(fate_dev), V(fate_deV2999), V(fate_deV2023),
    and RabbitMQ's V(guest).
  - The roles' preflights use it to refuse such passwords unless the role's
    C(*_allow_default_passwords) variable is true.
  - An empty or missing value is not a default password (the roles require their passwords separately).
options:
  _input:
    description: The password.
    type: raw
    required: true
"""

EXAMPLES = r"""
- name: Refuse the FATE samples' ZooKeeper password
  ansible.builtin.assert:
    that:
      - party_zookeeper_password is not fateflow.ha.default_password
    fail_msg: party_zookeeper_password is a published default password; choose your own.
"""

RETURN = r"""
_value:
  description: True when the password is a published default one.
  type: bool
"""

import unicodedata

from ansible.module_utils.six import string_types
from ansible.module_utils.common.text.converters import to_text


def _folded(text):
    """Case, width and compatibility forms folded (``ＦＡＴＥ`` is ``fate``), invisible format characters dropped."""
    text = unicodedata.normalize("NFKC", text)
    return "".join(c for c in text if unicodedata.category(c) != "Cf").strip().casefold()


# Published by FATE itself: the seed procedure and the FATE Flow 1.x guides (zookeeper user/password
# fate / fate, MySQL fate_deV2999), FATE Flow 2.x's conf/service_conf.yaml (database passwd fate),
# AnsibleFATE's var_files (dbpasswd fate_deV2999, zk passwd fate), KubeFATE and the FATE-Serving
# guides (fate_dev), and later FATE releases' MySQL sample (fate_deV2023); FATE Flow 2.x's
# federation.rabbitmq sample is fate / fate, and RabbitMQ itself creates guest / guest.
DEFAULT_PASSWORDS = frozenset(_folded(password) for password in (
    "fate",
    "fate_dev",
    "fate_deV2999",
    "fate_deV2023",
    "guest",
))


def default_password(value):
    if value is None:
        return False
    if not isinstance(value, string_types):
        value = to_text(value)
    return _folded(to_text(value, errors="surrogate_or_replace")) in DEFAULT_PASSWORDS


class TestModule(object):
    def tests(self):
        return {"default_password": default_password}
