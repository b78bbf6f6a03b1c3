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
import re

from ansible.module_utils.six.moves.collections_abc import Mapping

try:
    from ruamel.yaml import YAML as RuamelYAML
    from ruamel.yaml.comments import CommentedBase
    from ruamel.yaml.nodes import ScalarNode
    from ruamel.yaml.resolver import VersionedResolver
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString, ScalarString

    HAS_RUAMEL = True
    # FATE Flow reads service_conf.yaml with PyYAML, a YAML 1.1 reader: "no", "Off", "0777" are not
    # strings to it. ruamel.yaml writes YAML 1.2, where they are, and leaves them unquoted.
    _YAML11 = VersionedResolver(version=(1, 1))
except ImportError:
    HAS_RUAMEL = False

try:
    import yaml as pyyaml

    HAS_PYYAML = True
except ImportError:
    HAS_PYYAML = False

MASK = "********"
# Keys whose values are credentials wherever they appear in service_conf.yaml (database and
# model store passwords, ZooKeeper digest password, object-store keys, FATE 1.x's RSA
# ``private_key``, 2.x's ``decrypt_key``, Linkis' ``token_code``).
SECRET_KEYS = frozenset(["passwd", "password", "secretkey", "secretid", "secret_key", "http_secret_key",
                         "private_key", "decrypt_key", "token_code", "token", "app_secret", "access_key"])

# What FATE Flow 1.11 does with ``model_store_address`` when ``storage: mysql``
# (fate_flow/model/mysql_model_storage.py): it drops ``storage``, takes ``database`` as the name and
# hands every other key to peewee's PooledMySQLDatabase, which keeps its pool settings and passes
# the rest to ``pymysql.connect``. Any other key (the stock file's null COS keys ``Region``,
# ``SecretId``, ``SecretKey``, ``Bucket``) makes pymysql refuse the connection.
V1_MYSQL_STORE_KEYS = frozenset([
    "storage", "database", "max_connections", "stale_timeout", "timeout",
    # pymysql.connect's keyword arguments (1.x, 2.x and PyMySQL 0.9 as FATE 1.11 pins it); the
    # deprecated ``passwd`` and ``db`` aliases are left out: they would stand beside ``password``.
    "user", "password", "host", "port", "unix_socket", "charset", "collation", "sql_mode",
    "read_default_file", "use_unicode", "client_flag", "init_command", "connect_timeout",
    "read_default_group", "autocommit", "local_infile", "max_allowed_packet", "defer_connect",
    "read_timeout", "write_timeout", "bind_address", "binary_prefix", "program_name",
    "server_public_key", "ssl", "ssl_ca", "ssl_cert", "ssl_disabled", "ssl_key", "ssl_key_password",
    "ssl_verify_cert", "ssl_verify_identity", "compress", "named_pipe",
])

# Settings that only FATE Flow 1.x knows: their presence identifies a 1.x file.
V1_MARKERS = ("enable_model_store", "model_store_address", "fate_on_eggroll", "fate_on_spark", "fate_on_standalone")
# Settings that only FATE Flow 2.x knows (``party_id`` and ``default_engines`` are in 1.11's stock
# file as well, so they tell nothing).
V2_MARKERS = ("model_store", "computing", "federation", "default_provider")


class ServiceConfError(Exception):
    """A problem with the configuration the caller can fix, said in one sentence."""


def version_major(version):
    """1 or 2 from a FATE Flow version text (``1.11.2``, ``v2.2.0``, ``2``)."""
    head = str(version).strip().lstrip("vV").split(".", 1)[0]
    if head not in ("1", "2"):
        raise ServiceConfError("FATE Flow version %r is not supported: give a 1.x or 2.x version." % (version,))
    return int(head)


def detect_major(conf):
    """``(major, reason)`` told from the keys of ``conf``, or ``(None, None)`` when they do not say."""
    conf = conf if isinstance(conf, Mapping) else {}
    database = conf.get("database")
    if isinstance(database, Mapping) and ("engine" in database or "mysql" in database):
        return 2, "database.engine / database.mysql"
    if isinstance(database, Mapping) and ("passwd" in database or "name" in database):
        return 1, "database.name / database.passwd at the top of database"
    v1 = [key for key in V1_MARKERS if key in conf]
    v2 = [key for key in V2_MARKERS if key in conf]
    if v1 and v2:
        return None, "keys of 1.x (%s) and of 2.x (%s)" % (", ".join(v1), ", ".join(v2))
    if v1:
        return 1, v1[0]
    if v2:
        return 2, v2[0]
    return None, None


def flow_major(conf, version=None):
    """Return 1 or 2: from ``version`` when given, else from the shape of ``conf``.

    A version that contradicts the file's own layout is refused: writing 1.x keys into a 2.x
    file (or the reverse) leaves FATE Flow with settings it never reads.
    """
    shape, reason = detect_major(conf)
    if version not in (None, ""):
        major = version_major(version)
        if shape is not None and shape != major:
            raise ServiceConfError(
                "the file is laid out for FATE Flow %d.x (it has %s) but flow_version %s is %d.x: check that "
                "path and flow_version name the same installation." % (shape, reason, version, major))
        return major
    if shape is None:
        raise ServiceConfError(
            "Cannot tell whether this service_conf.yaml is FATE Flow 1.x or 2.x%s: give the version explicitly."
            % (" (it has %s)" % reason if reason else ""))
    return shape


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
    max_connections, stale_timeout), rollsite_host, rollsite_port; for 2.x also federation_engine,
    proxy_name and rabbitmq (dict: host, port, mng_port, user, password, mode, max_message_size).
    A None value leaves that key as the file has it.
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
        given = [name for name in ("federation_engine", "proxy_name", "rabbitmq") if p.get(name) is not None]
        if given:
            raise ServiceConfError("%s: FATE Flow 2.x settings; a 1.x file keeps its federation in "
                                   "default_engines and fate_on_eggroll (use settings)." % ", ".join(given))
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
        # MULTIPLE mode: the engine the jobs' data crosses parties with, and the proxy the federated
        # scheduling commands take (fate_flow/utils/api_utils.py get_federated_proxy_address).
        overlay["default_engines"] = {"federation": p.get("federation_engine")}
        overlay["fateflow"]["proxy_name"] = p.get("proxy_name")
        overlay["federation"] = {
            "rollsite": {"host": p.get("rollsite_host"), "port": p.get("rollsite_port")},
            "rabbitmq": dict(p.get("rabbitmq") or {}) or None,
        }
    else:
        raise ServiceConfError("FATE Flow major version %r is not supported." % (major,))
    return _drop_none(overlay)


def shared_nodes(root):
    """Ids of the mappings and lists reachable more than once from ``root`` (YAML aliases, ``<<`` merges)."""
    seen = set()
    shared = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if not isinstance(node, (Mapping, list)):
            continue
        if id(node) in seen:
            shared.add(id(node))
            continue
        seen.add(id(node))
        stack.extend(node.values() if isinstance(node, Mapping) else node)
    return shared


def _unshared_copy(node):
    """A deep copy of ``node`` that is no YAML anchor: writing into it leaves the original alone."""
    duplicate = copy.deepcopy(node)
    stack = [duplicate]
    while stack:
        item = stack.pop()
        anchor = getattr(item, "anchor", None)
        if anchor is not None and getattr(anchor, "value", None) is not None:
            anchor.value = None
            anchor.always_dump = False
        if isinstance(item, Mapping):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return duplicate


def _would_change(current, overlay):
    trial = copy.deepcopy(plain(current))
    return deep_merge(trial, plain(overlay)) != plain(current)


def _quoted_for_yaml11(value):
    """``value`` (a copy) with each string a YAML 1.1 reader would take for a boolean, number, date or null quoted."""
    if isinstance(value, Mapping):
        return dict((_quoted_for_yaml11(key), _quoted_for_yaml11(item)) for key, item in value.items())
    if isinstance(value, list):
        return [_quoted_for_yaml11(item) for item in value]
    if (isinstance(value, str) and not isinstance(value, ScalarString)
            and _YAML11.resolve(ScalarNode, value, (True, False)) != "tag:yaml.org,2002:str"):
        return DoubleQuotedScalarString(value)
    return value


def _new_value(base, value):
    # Only for ruamel.yaml's documents: PyYAML's own dumper quotes such strings, and cannot write
    # ruamel's quoted-string type.
    if HAS_RUAMEL and isinstance(base, CommentedBase):
        return _quoted_for_yaml11(value)
    return copy.deepcopy(value)


def deep_merge(base, overlay, shared=frozenset()):
    """Merge ``overlay`` into the mapping ``base`` in place; keys ``overlay`` lacks stay.

    A mapping whose id is in ``shared`` is also reachable from elsewhere in the document (operators
    write ``model_store: {mysql: *mysql}``): it is replaced by a copy before anything is written
    into it, so that the other place keeps its settings. It stays shared when nothing in it changes.
    """
    for key, value in overlay.items():
        current = base.get(key)
        if isinstance(value, Mapping) and isinstance(current, Mapping):
            if id(current) in shared and _would_change(current, value):
                current = _unshared_copy(current)
                base[key] = current
            deep_merge(current, value, shared)
        elif not (key in base and _same_value(current, value)):
            base[_new_value(base, key) if key not in base else key] = _new_value(base, value)
    return base


def _same_value(left, right):
    # Type-strict: ``port: "3306"`` and ``port: 3306`` differ for FATE Flow.
    return type(plain(left)) is type(plain(right)) and plain(left) == plain(right)


def fit_v1_model_store(data):
    """Drop from a 1.x ``model_store_address`` with ``storage: mysql`` what pymysql would refuse.

    Returns the dotted names of the keys removed (null or foreign keys: the stock file's COS keys).
    """
    store = data.get("model_store_address")
    if not isinstance(store, Mapping) or store.get("storage") != "mysql":
        return []
    removed = [key for key, value in store.items() if key not in V1_MYSQL_STORE_KEYS or value is None]
    if removed and id(store) in shared_nodes(data):
        store = data["model_store_address"] = _unshared_copy(store)
    for key in removed:
        del store[key]
    return ["model_store_address.%s" % key for key in removed]


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


def is_secret_key(key):
    return str(key).lower() in SECRET_KEYS


def mask_secrets(data):
    """Copy of ``data`` with every credential value replaced by a mask."""
    if isinstance(data, Mapping):
        out = {}
        for key, value in data.items():
            if is_secret_key(key) and value not in (None, ""):
                out[key] = MASK
            else:
                out[key] = mask_secrets(value)
        return out
    if isinstance(data, list):
        return [mask_secrets(v) for v in data]
    return data


def _leaves(data):
    if isinstance(data, Mapping):
        for value in data.values():
            yield from _leaves(value)
    elif isinstance(data, (list, tuple)):
        for value in data:
            yield from _leaves(value)
    elif data is not None and not isinstance(data, bool) and str(data) != "":
        yield str(data)


def secret_values(data):
    """The texts of every value held under a credential key of ``data`` (to hide from all output)."""
    found = set()
    if isinstance(data, Mapping):
        for key, value in data.items():
            if is_secret_key(key):
                found.update(_leaves(value))
            else:
                found.update(secret_values(value))
    elif isinstance(data, (list, tuple)):
        for value in data:
            found.update(secret_values(value))
    return found


def all_values(data):
    """The texts of every scalar in ``data``."""
    return set(_leaves(data))


# A YAML library's error names the problem, then quotes the line it was reading (and, for a repeated
# key, both values): that line can hold a password. Only the problem and its position are kept, and
# a quoted text longer than a character or two is left out of the problem.
_QUOTED = re.compile(r"""(["'])(?:(?!\1).){3,}?\1""")
_DUPLICATE_KEY = re.compile(r'found duplicate key "(.*?)" with value')


def yaml_error_message(exc):
    """One line saying what is wrong in the YAML text and where, quoting no value of the file."""
    if isinstance(exc, RecursionError):
        return "The file is nested too deeply to be a service_conf.yaml."
    problem = getattr(exc, "problem", None) or getattr(exc, "context", None) or ""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    duplicate = _DUPLICATE_KEY.search(problem)
    if duplicate:
        key = duplicate.group(1)
        problem = "a key is repeated in one mapping (%s)" % (
            '"%s"' % key if len(key) <= 40 and "\n" not in key else "its name not shown")
    else:
        problem = " ".join(_QUOTED.sub("(text not shown)", problem).split()) or type(exc).__name__
    where = ""
    if mark is not None and getattr(mark, "line", None) is not None:
        where = " at line %d, column %d" % (mark.line + 1, mark.column + 1)
    return "The file is not valid YAML%s: %s." % (where, problem.rstrip("."))


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
            raise ServiceConfError(yaml_error_message(exc))
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


class Merged(object):
    """What merge_text did: the new text, the data before and after (plain), and how it was written."""

    def __init__(self, text, before, after, major, comments_preserved, removed):
        self.text = text
        self.before = before
        self.after = after
        self.major = major
        self.comments_preserved = comments_preserved
        self.removed = removed

    @property
    def changed(self):
        return self.before != self.after

    def __iter__(self):
        # Unpacks as merge_text's earlier tuple: (text, before, after, major, comments_preserved).
        return iter((self.text, self.before, self.after, self.major, self.comments_preserved))


def merge_text(text, overlay, version=None, library="auto"):
    """Merge ``overlay`` (or a callable major -> overlay) into service_conf.yaml ``text``.

    Returns a Merged. The new text keeps the file's line endings (CRLF stays CRLF).
    """
    doc = ConfDocument(text, library=library)
    before = plain(doc.data)
    major = flow_major(before, version) if (before or version) else None
    if major is None:
        raise ServiceConfError("The file is empty: give the FATE Flow version so the right layout is written.")
    wanted = overlay(major) if callable(overlay) else overlay
    deep_merge(doc.data, wanted, shared_nodes(doc.data))
    removed = fit_v1_model_store(doc.data) if major == 1 else []
    after = plain(doc.data)
    # The next run must read the file as this one did: settings that make it look like the other
    # major version (or take away what showed its version) are refused.
    shape, reason = detect_major(after)
    if shape != major and (shape is not None or version in (None, "")):
        raise ServiceConfError(
            "the settings would leave a FATE Flow %d.x file that %s: check the settings option."
            % (major, "looks like %d.x (it has %s)" % (shape, reason) if shape else
               "no longer shows its version" + (" (it has %s)" % reason if reason else "")))
    new_text = text
    if after != before:
        new_text = doc.dump()
        if "\r\n" in text:
            new_text = new_text.replace("\r\n", "\n").replace("\n", "\r\n")
    return Merged(new_text, before, after, major, doc.comments_preserved, removed)
