# -*- coding: utf-8 -*-
# Copyright: fateflow.ha contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    DOCUMENTATION = r"""
options:
  hosts:
    description:
      - ZooKeeper client addresses, as C(host:port) items or comma-separated strings (C("h1:2181,h2:2181")).
        A host without a port takes 2181; an IPv6 address with a port is written C([fd00::1]:2181); the last
        item may end with a chroot (C(h3:2181/fate)). Each is checked before connecting.
    type: list
    elements: str
    required: true
  auth_scheme:
    description:
      - Scheme of O(auth_credential).
    type: str
    default: digest
    choices: [digest, sasl]
  auth_credential:
    description:
      - Credential the session authenticates with; for C(digest), C(user:password) (FATE Flow's
        C(zookeeper.user) and C(zookeeper.password)).
      - Without it, or when it is the empty string, the session is anonymous (a playbook can pass
        C('') where it cannot omit the option, for instance in C(module_defaults)).
      - No message of the modules ever quotes it.
    type: str
  timeout:
    description:
      - Seconds to wait for a session with any of O(hosts) before failing; also the session timeout
        it asks the servers for. A number above 0, at most 3600.
    type: float
    default: 10.0
  use_tls:
    description:
      - Talk TLS to the client port (the server needs a secure client port).
    type: bool
    default: false
  ca_cert:
    description:
      - CA bundle that signed the servers' certificates, with O(use_tls).
    type: path
  client_cert:
    description:
      - Client certificate for the C(x509) scheme, with O(use_tls).
    type: path
  client_key:
    description:
      - Key of O(client_cert).
    type: path
  validate_certs:
    description:
      - Check the servers' certificates against O(ca_cert).
    type: bool
    default: true
requirements:
  - kazoo >= 2.8 on the host that runs the module (Debian/Ubuntu C(python3-kazoo)).
"""
