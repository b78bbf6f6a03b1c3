# -*- coding: utf-8 -*-
# Copyright: fateflow.ha contributors
# Apache License 2.0 (see LICENSE)
"""The FATE Flow high-availability keys of service_conf.yaml, for FATE Flow 1.x and 2.x.

The two major versions lay the same settings out differently (checked against FATE Flow 1.11
and 2.2.0):

* 1.x: ``database: {name, user, passwd, host, port, ...}`` at the top level,
  ``enable_model_store: true`` plus ``model_store_address: {storage: mysql, database, user,
  password, ...}`` (``passwd`` under database but ``password`` under the model store),
  ``fate_on_eggroll.rollsite`` for the party's rollsite.
* 2.x: ``database: {engine: mysql, mysql: {name, user, passwd, host, port, ...}}`` and
  ``model_store: {engine: mysql, mysql: {...}}`` (the default ``file`` engine keeps models on one
  node, which breaks HA).

Both: ``use_registry``, ``fateflow: {host, http_port, grpc_port, nginx: {...}}``, ``zookeeper``.

The overlay built here is merged into the site's existing file: keys it does not name stay as
they were. Comments survive when ruamel.yaml is importable (round-trip mode); with PyYAML only,
they cannot, and callers say so.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import io

try:
    from collections.abc import Mapping
except ImportError:  # pragma: no cover - Python 2 is not supported by the collection
    from collections import Mapping

try:
    from ruamel.yaml import YAML as RuamelYAML

    HAS_RUAMEL = True
except ImportError:
    HAS_RUAMEL = False

try:
    import yaml as pyyaml

    HAS_PYYAML = True
except ImportError:
    HAS_PYYAML = False

MASK = "********"
# Keys whose values are credentials wherever they appear in service_conf.yaml (database and
# model store passwords, ZooKeeper digest password, object-store keys).
SECRET_KEYS = frozenset(["passwd", "password", "secretkey", "secretid", "secret_key", "http_secret_key"])

# Settings that only FATE Flow 1.x knows: their presence identifies a 1.x file.
V1_MARKERS = ("enable_model_store", "model_store_address", "fate_on_eggroll", "fate_on_spark", "fate_on_standalone")
# Settings that only FATE Flow 2.x knows.
V2_MARKERS = ("party_id", "model_store", "default_engines", "computing", "federation")


class ServiceConfError(Exception):
    """A problem with the configuration the caller can fix, said in one sentence."""


def flow_major(conf, version=None):
    """Return 1 or 2: from ``version`` when given, else from the shape of ``conf``."""
    if version not in (None, ""):
        head = str(version).strip().lstrip("vV").split(".")[0]
        if head not in ("1", "2"):
            raise ServiceConfError("FATE Flow version %r is not supported: give a 1.x or 2.x version." % (version,))
        return int(head)
    conf = conf or {}
    database = conf.get("database")
    if isinstance(database, Mapping) and ("engine" in database or "mysql" in database):
        return 2
    if isinstance(database, Mapping) and ("passwd" in database or "name" in database):
        return 1
    if any(key in conf for key in V1_MARKERS):
        return 1
    if any(key in conf for key in V2_MARKERS):
        return 2
    raise ServiceConfError(
        "Cannot tell whether this service_conf.yaml is FATE Flow 1.x or 2.x: give the version explicitly."
    )


def _drop_none(data):
    """Copy of ``data`` without the keys whose value is None (settings the caller left alone)."""
    if isinstance(data, Mapping):
        out = {}
        for key, value in data.items():
            if value is None:
                continue
            value = _drop_none(value)
            if isinstance(value, Mapping) and not value:
                continue
            out[key] = value
        return out
    return data


def _db_block(db, password_key):
    if not db:
        return None
    block = {
        "name": db.get("name"),
        "user": db.get("user"),
        password_key: db.get("password"),
        "host": db.get("host"),
        "port": db.get("port"),
        "max_connections": db.get("max_connections"),
        "stale_timeout": db.get("stale_timeout"),
    }
    return block


def ha_overlay(major, params):
    """The HA keys for a FATE Flow ``major`` version, as a nested dict.

    ``params`` keys: host, http_port, grpc_port, party_id, use_registry, nginx_host,
    nginx_http_port, nginx_grpc_port, zookeeper_hosts, zookeeper_use_acl, zookeeper_user,
    zookeeper_password, database and model_store (dicts: name, user, password, host, port,
    max_connections, stale_timeout), rollsite_host, rollsite_port. A None value leaves that key
    as the file has it.
    """
    p = dict(params)
    overlay = {
        "use_registry": p.get("use_registry"),
        "fateflow": {
            "host": p.get("host"),
            "http_port": p.get("http_port"),
            "grpc_port": p.get("grpc_port"),
            "nginx": {
                "host": p.get("nginx_host"),
                "http_port": p.get("nginx_http_port"),
                "grpc_port": p.get("nginx_grpc_port"),
            },
        },
        "zookeeper": {
            "hosts": p.get("zookeeper_hosts"),
            "use_acl": p.get("zookeeper_use_acl"),
            "user": p.get("zookeeper_user"),
            "password": p.get("zookeeper_password"),
        },
    }
    database = p.get("database") or None
    model_store = p.get("model_store") or database
    if major == 1:
        overlay["database"] = _db_block(database, "passwd")
        if model_store:
            store = _db_block(model_store, "password")
            store["database"] = store.pop("name")
            store["storage"] = "mysql"
            overlay["enable_model_store"] = True
            overlay["model_store_address"] = store
        overlay["fate_on_eggroll"] = {"rollsite": {"host": p.get("rollsite_host"), "port": p.get("rollsite_port")}}
    elif major == 2:
        overlay["party_id"] = None if p.get("party_id") is None else str(p.get("party_id"))
        if database:
            overlay["database"] = {"engine": "mysql", "mysql": _db_block(database, "passwd")}
        if model_store:
            overlay["model_store"] = {"engine": "mysql", "mysql": _db_block(model_store, "passwd")}
    else:
        raise ServiceConfError("FATE Flow major version %r is not supported." % (major,))
    return _drop_none(overlay)


def deep_merge(base, overlay):
    """Merge ``overlay`` into the mapping ``base`` in place; keys ``overlay`` lacks stay."""
    for key, value in overlay.items():
        current = base.get(key)
        if isinstance(value, Mapping) and isinstance(current, Mapping):
            deep_merge(current, value)
        else:
            base[key] = copy.deepcopy(value)
    return base


def plain(data):
    """Plain dicts, lists and scalars, whatever YAML library loaded ``data``."""
    if isinstance(data, Mapping):
        return dict((str(k), plain(v)) for k, v in data.items())
    if isinstance(data, (list, tuple)):
        return [plain(v) for v in data]
    if isinstance(data, bool) or data is None:
        return data
    if isinstance(data, int):
        return int(data)
    if isinstance(data, float):
        return float(data)
    if isinstance(data, str):
        return str(data)
    return data


def mask_secrets(data):
    """Copy of ``data`` with every credential value replaced by a mask."""
    if isinstance(data, Mapping):
        out = {}
        for key, value in data.items():
            if str(key).lower() in SECRET_KEYS and value not in (None, ""):
                out[key] = MASK
            else:
                out[key] = mask_secrets(value)
        return out
    if isinstance(data, list):
        return [mask_secrets(v) for v in data]
    return data


class ConfDocument:
    """A service_conf.yaml read with the best library available.

    ``comments_preserved`` says whether writing it back keeps the file's comments (ruamel.yaml
    round-trip) or drops them (PyYAML: the only way without ruamel.yaml).
    """

    def __init__(self, text, library="auto"):
        if library == "auto":
            library = "ruamel" if HAS_RUAMEL else "pyyaml"
        if library == "ruamel" and not HAS_RUAMEL:
            raise ServiceConfError("ruamel.yaml is not importable on this host.")
        if library == "pyyaml" and not HAS_PYYAML:
            raise ServiceConfError("PyYAML is not importable on this host.")
        self.library = library
        self.comments_preserved = library == "ruamel"
        try:
            if library == "ruamel":
                self._yaml = RuamelYAML(typ="rt")
                self._yaml.preserve_quotes = True
                self._yaml.width = 4096
                self._yaml.indent(mapping=2, sequence=4, offset=2)
                data = self._yaml.load(text) if text.strip() else None
            else:
                data = pyyaml.safe_load(text) if text.strip() else None
        except Exception as exc:  # both libraries raise their own error classes
            raise ServiceConfError("The file is not valid YAML: %s" % (" ".join(str(exc).split()),))
        if data is None:
            data = self._empty()
        if not isinstance(data, Mapping):
            raise ServiceConfError("The file's top level is not a mapping of settings.")
        self.data = data

    def _empty(self):
        if self.library == "ruamel":
            from ruamel.yaml.comments import CommentedMap

            return CommentedMap()
        return {}

    def dump(self):
        if self.library == "ruamel":
            stream = io.StringIO()
            self._yaml.dump(self.data, stream)
            return stream.getvalue()
        return pyyaml.safe_dump(plain(self.data), default_flow_style=False, sort_keys=False)


def render_plain(data):
    """YAML text of plain ``data`` (for diffs), with keys in their own order."""
    if HAS_PYYAML:
        return pyyaml.safe_dump(plain(data), default_flow_style=False, sort_keys=False)
    import json

    return json.dumps(plain(data), indent=2)


def merge_text(text, overlay, version=None, library="auto"):
    """Merge ``overlay`` (or a callable major -> overlay) into service_conf.yaml ``text``.

    Returns (new_text, before, after, major, comments_preserved); ``before``/``after`` are plain data.
    """
    doc = ConfDocument(text, library=library)
    before = plain(doc.data)
    major = flow_major(before, version) if (before or version) else None
    if major is None:
        raise ServiceConfError("The file is empty: give the FATE Flow version so the right layout is written.")
    wanted = overlay(major) if callable(overlay) else overlay
    deep_merge(doc.data, wanted)
    after = plain(doc.data)
    new_text = doc.dump() if after != before else text
    return new_text, before, after, major, doc.comments_preserved
