# Copyright: fateflow.ha maintainers
# Apache License 2.0 (see LICENSE)
"""Structural editing of eggroll rollsite / FATE OSX ``route_table.json`` documents.

rollsite and OSX load this file with a JSON parser that keeps the last of two equal keys,
and rollsite refuses to start on some such files: a merge must never produce one, and a
table that already has one must be refused, not silently "fixed" into a different routing.
Everything here is pure Python (json only) so that the module, the filters and the tests
share one implementation.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import gc
import json
import math
import re

from ansible.module_utils.six import integer_types, string_types

from ansible_collections.fateflow.ha.plugins.module_utils import fate_inputs, validation
from ansible_collections.fateflow.ha.plugins.module_utils.endpoints import tcp_port, unbracket

FORMATS = ("eggroll", "osx")
# Endpoint keys eggroll 2.x rollsite reads; OSX reads these and many more (protocol, url,
# useSSL, caFile, certChainFile, privateKeyFile, negotiationType, ...).
EGGROLL_ENDPOINT_KEYS = ("ip", "port", "is_secure", "is_polling")
BOOLEAN_ENDPOINT_KEYS = ("is_secure", "is_polling", "useSSL")
ROUTE_ADDRESS_KEYS = ("party", "service")
# OSX endpoint keys are Java bean properties (useSSL, caFile, negotiationType, ...).
_ENDPOINT_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")


class RouteTableError(Exception):
    """A route table or a route that cannot be used; the message says what to fix."""


class _Duplicate(object):
    """Stands in for an object that held a duplicated key, on its way up to the root.

    ``json`` calls the pairs hook bottom-up, so an inner object does not know where it sits.
    Each enclosing object prepends its own key until the parse returns to the caller.
    """

    __slots__ = ("key", "path")

    def __init__(self, key, path):
        self.key = key
        self.path = path


def _find_duplicate_marker(value):
    if isinstance(value, _Duplicate):
        return value
    if isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, _Duplicate):
                item.path.insert(0, str(index))
                return item
    return None


def _pairs_hook(pairs):
    result = {}
    for key, value in pairs:
        marker = _find_duplicate_marker(value)
        if marker is not None:
            marker.path.insert(0, key)
            return marker
        if key in result:
            return _Duplicate(key, [])
        result[key] = value
    return result


def json_pointer(path):
    """RFC 6901 pointer of a list of keys, e.g. ``/route_table/10000``."""
    if not path:
        return "/"
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in path)


def parse(text, source="route table"):
    """Parse JSON text into dicts (in file order), refusing invalid JSON and duplicated keys."""
    # Tens of thousands of small objects in one burst make the cyclic collector run over and over
    # (seconds on a 20,000-party table); none of them can form a cycle.
    collecting = gc.isenabled()
    gc.disable()
    try:
        data = json.loads(text, object_pairs_hook=_pairs_hook)
    except RecursionError:
        raise RouteTableError("%s is nested too deeply to be a route table." % source)
    except json.JSONDecodeError as exc:
        raise RouteTableError("%s is not valid JSON: %s at line %s, column %s." % (source, exc.msg, exc.lineno, exc.colno))
    except ValueError as exc:
        raise RouteTableError("%s is not valid JSON: %s." % (source, exc))
    finally:
        if collecting:
            gc.enable()
    marker = _find_duplicate_marker(data)
    if marker is not None:
        raise RouteTableError(
            '%s has the key "%s" twice in the object at %s; rollsite keeps only one of them, '
            "so remove the entry that is wrong by hand." % (source, marker.key, json_pointer(marker.path)))
    return data


def check_document(data, source="route table"):
    """Refuse a document whose shape rollsite/OSX cannot load; returns the route_table object."""
    if not isinstance(data, dict):
        raise RouteTableError("%s must be a JSON object at the top level." % source)
    table = data.get("route_table")
    if not isinstance(table, dict):
        raise RouteTableError('%s has no "route_table" object at the top level.' % source)
    for party, services in table.items():
        if not isinstance(services, dict):
            raise RouteTableError("%s: %s must be an object of services." % (source, json_pointer(["route_table", party])))
        for service, endpoints in services.items():
            if not isinstance(endpoints, list):
                raise RouteTableError("%s: %s must be a list of endpoints."
                                      % (source, json_pointer(["route_table", party, service])))
            for index, endpoint in enumerate(endpoints):
                if not isinstance(endpoint, dict):
                    raise RouteTableError("%s: %s must be an endpoint object."
                                          % (source, json_pointer(["route_table", party, service, index])))
    permission = data.get("permission")
    if permission is not None and not isinstance(permission, dict):
        raise RouteTableError('%s: "permission" must be an object.' % source)
    self_party = data.get("self_party")
    if self_party is not None and not isinstance(self_party, list):
        raise RouteTableError('%s: "self_party" must be a list of party ids.' % source)
    return table


def _remember(originals, key, value):
    """Keep the first value seen at ``key`` (what the file held before this run touched it)."""
    if originals is not None and key not in originals:
        originals[key] = copy.deepcopy(value)


def normalize_ports(table, source="route table", originals=None):
    """Turn the ports written as text of digits into JSON integers, in place; return their pointers.

    rollsite cannot use an endpoint whose port is a JSON string. Text of digits has one meaning and
    is rewritten; any other port (a word, a number outside 1-65535) is refused, naming where it is,
    because no rewrite could guess what was meant.
    """
    rewritten = []
    for party, services in table.items():
        for service, endpoints in services.items():
            for index, endpoint in enumerate(endpoints):
                if "port" not in endpoint or endpoint["port"] is None:
                    continue
                port = endpoint["port"]
                pointer = json_pointer(["route_table", party, service, index, "port"])
                value = _as_port(port, "%s: %s" % (source, pointer))
                if value != port or not isinstance(port, int):
                    _remember(originals, ("route", party, service), endpoints)
                    endpoint["port"] = value
                    rewritten.append(pointer)
    return rewritten


def _as_bool(value, where):
    if isinstance(value, bool):
        return value
    if not isinstance(value, string_types + integer_types):
        raise RouteTableError("%s must be true or false, not %s." % (where, validation.shown(value)))
    text = str(value).strip().lower()
    if text in ("true", "yes", "on", "1"):
        return True
    if text in ("false", "no", "off", "0"):
        return False
    raise RouteTableError("%s must be true or false, not %r." % (where, value))


def _as_port(value, where):
    # Inventory and Jinja hand ports over as text; the file must hold a JSON integer.
    try:
        return tcp_port(value)
    except ValueError:
        raise RouteTableError("%s must be an integer 1-65535, not %s." % (where, json.dumps(value)))


def _party_key(value, where):
    if isinstance(value, string_types) and not value.strip():
        raise RouteTableError("%s must be a party id or 'default', not empty." % where)
    return _checked(fate_inputs.party_id, where, value, allow_default=True)


def _checked(rule, where, value, **kwargs):
    """A validation rule's result, its refusal as a RouteTableError."""
    try:
        return rule(where, value, **kwargs)
    except validation.InputError as exc:
        raise RouteTableError("%s." % str(exc).rstrip("."))


def _endpoint_value(where, value):
    """An extra OSX endpoint value: a JSON scalar (never a list or mapping written as Python text)."""
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        raise RouteTableError("%s must be a finite number, not %s." % (where, value))
    if isinstance(value, string_types):
        return _checked(validation.text, where, value, allow_empty=True)
    if isinstance(value, (bool, float) + integer_types):
        return value
    raise RouteTableError("%s must be a string, a number or true/false, not %s." % (where, type(value).__name__))


def normalize_route(route, index, fmt, state="present"):
    """Check one route option item and return ``(party, service, endpoint)``.

    The endpoint is a dict in the order rollsite's own samples use: ip, port, then the rest.
    """
    where = "routes[%d]" % index
    if not isinstance(route, dict):
        raise RouteTableError("%s must be a dictionary with party, service, ip and port." % where)
    party = _party_key(route.get("party"), where + ".party")
    service = route.get("service", "default")
    if service is None or (isinstance(service, string_types) and not service.strip()):
        raise RouteTableError("%s.service must be 'default', 'fateflow' or another role name, not empty." % where)
    service = _checked(fate_inputs.route_service, where + ".service", service)
    if state == "absent":
        return party, service, None
    extra = [key for key in route if key not in ROUTE_ADDRESS_KEYS and key not in EGGROLL_ENDPOINT_KEYS]
    if fmt == "eggroll" and extra:
        raise RouteTableError("%s has keys rollsite does not read (%s); only OSX tables (format=osx) take further "
                              "endpoint keys." % (where, ", ".join(sorted(extra))))
    endpoint = {}
    url_only = fmt == "osx" and str(route.get("protocol", "")).lower() == "http" and route.get("url")
    ip = route.get("ip")
    if ip is None and url_only:
        pass
    elif ip is None or (isinstance(ip, string_types) and not ip.strip()):
        raise RouteTableError("%s.ip must be a host address, not empty." % where)
    else:
        try:
            endpoint["ip"] = unbracket(validation.address(where + ".ip", ip))
        except validation.InputError as exc:
            problem = exc.problem[len("is refused: "):] if exc.problem.startswith("is refused: ") else exc.problem
            raise RouteTableError("%s.ip must be an address rollsite can connect to: %s." % (where, problem.rstrip(".")))
    if route.get("port") is None and url_only:
        pass
    else:
        endpoint["port"] = _as_port(route.get("port"), where + ".port")
    for key, value in route.items():
        if key in ROUTE_ADDRESS_KEYS or key in ("ip", "port") or value is None:
            continue
        if not isinstance(key, string_types) or not _ENDPOINT_KEY.match(key):
            raise RouteTableError("%s has the key %s, which is not an endpoint key (letters, digits, '_')."
                                  % (where, validation.shown(key)))
        if key in BOOLEAN_ENDPOINT_KEYS:
            value = _as_bool(value, "%s.%s" % (where, key))
        else:
            value = _endpoint_value("%s.%s" % (where, key), value)
        endpoint[key] = value
    return party, service, endpoint


def normalize_routes(routes, fmt, state="present"):
    """Normalise every route and refuse two routes for the same party and service."""
    seen = {}
    result = []
    for index, route in enumerate(routes or []):
        party, service, endpoint = normalize_route(route, index, fmt, state)
        if (party, service) in seen:
            raise RouteTableError("routes[%d] repeats party %s service %s of routes[%d]; each party and service has "
                                  "one route." % (index, party, service, seen[(party, service)]))
        seen[(party, service)] = index
        result.append((party, service, endpoint))
    return result


def _same(left, right):
    # Type-strict: 9370 and "9370", true and 1 differ for rollsite.
    return json.dumps(left, sort_keys=True) == json.dumps(right, sort_keys=True)


def new_document(fmt, default_allow=None, self_party=None):
    data = {}
    if fmt == "osx" and self_party is not None:
        data["self_party"] = list(self_party)
    data["route_table"] = {}
    data["permission"] = {"default_allow": True if default_allow is None else default_allow}
    return data


def merge(data, routes, state="present", default_allow=None, self_party=None, fmt="eggroll", originals=None):
    """Apply normalised routes to a parsed document in place; returns the list of changes made.

    Untouched parties, services and top-level keys keep their content and their order; new
    parties and services are appended after the existing ones. ``originals``, when given, receives
    what each changed place held before: ``("route", party, service)`` and ``("top", key)`` keys,
    None for what was not there.
    """
    table = data["route_table"]
    changes = []
    for party, service, endpoint in routes:
        services = table.get(party)
        if state == "absent":
            if services is not None and service in services:
                _remember(originals, ("route", party, service), services[service])
                del services[service]
                changes.append("removed %s/%s" % (party, service))
                if not services:
                    del table[party]
            continue
        if services is None:
            services = table[party] = {}
        current = services.get(service)
        if current is not None and len(current) == 1 and _same(current[0], endpoint):
            continue
        _remember(originals, ("route", party, service), current)
        services[service] = [endpoint]
        changes.append("%s %s/%s" % ("set" if current is not None else "added", party, service))
    if default_allow is not None:
        permission = data.get("permission")
        if permission is None:
            _remember(originals, ("top", "permission"), None)
            data["permission"] = {"default_allow": default_allow}
            changes.append("set permission.default_allow")
        elif permission.get("default_allow") is not default_allow:
            _remember(originals, ("top", "permission"), permission)
            permission["default_allow"] = default_allow
            changes.append("set permission.default_allow")
    if fmt == "osx":
        if self_party is not None:
            wanted = [str(party) for party in self_party]
            if data.get("self_party") != wanted:
                _remember(originals, ("top", "self_party"), data.get("self_party"))
                data["self_party"] = wanted
                changes.append("set self_party")
        if not data.get("self_party"):
            raise RouteTableError("an OSX route table needs a non-empty self_party list (OSX refuses to load "
                                  "one without it): give the self_party option.")
    return changes


def unrouted_parties(data, parties):
    """The parties of ``parties`` a packet could not be routed to: no entry of their own and no
    usable ``default`` party (eggroll 2.x's Router.scala: the default party serves a party absent
    from the table, unless ``permission.default_allow`` is false)."""
    table = data.get("route_table") or {}
    default_allow = (data.get("permission") or {}).get("default_allow", True) is not False
    return [party for party in parties
            if not table.get(party) and not (default_allow and table.get("default"))]


def changed_parts(data, originals):
    """``(before, after)``: documents holding only the places ``originals`` names, as they were and are.

    A one-route change on a table of 20,000 parties gives a diff and a result of one route, not
    two copies of the table.
    """
    before = {"route_table": {}}
    after = {"route_table": {}}
    table = data.get("route_table", {})
    for key, old in originals.items():
        if key[0] == "route":
            party, service = key[1], key[2]
            new = table.get(party, {}).get(service)
            if old is not None:
                before["route_table"].setdefault(party, {})[service] = old
            if new is not None:
                after["route_table"].setdefault(party, {})[service] = copy.deepcopy(new)
        else:
            if old is not None:
                before[key[1]] = old
            if data.get(key[1]) is not None:
                after[key[1]] = copy.deepcopy(data[key[1]])
    return before, after


def changed_routes(data, originals):
    """``{party: {service: endpoints or None}}`` for every route ``originals`` names (None: removed)."""
    table = data.get("route_table", {})
    result = {}
    for key in originals:
        if key[0] == "route":
            result.setdefault(key[1], {})[key[2]] = copy.deepcopy(table.get(key[1], {}).get(key[2]))
    return result


_ENCODER = json.JSONEncoder(ensure_ascii=False)
_compact = _ENCODER.encode


def dump(data, newline="\n"):
    """The text written to disk: one line per service route, so that a diff shows one line per change.

    ``newline`` is the file's own line ending (a table edited on Windows keeps its CRLF).

    json's C encoder only runs without ``indent``; rendering the outer levels by hand and each
    endpoint list with the C encoder is what keeps a 10,000-party table to tens of milliseconds.
    """
    lines = ["{"]
    top = list(data.items())
    for top_index, (key, value) in enumerate(top):
        top_comma = "," if top_index < len(top) - 1 else ""
        if key == "route_table" and isinstance(value, dict) and value:
            lines.append('  %s: {' % _compact(key))
            parties = list(value.items())
            for party_index, (party, services) in enumerate(parties):
                party_comma = "," if party_index < len(parties) - 1 else ""
                if not services:
                    lines.append("    %s: {}%s" % (_compact(party), party_comma))
                    continue
                lines.append("    %s: {" % _compact(party))
                entries = list(services.items())
                for entry_index, (service, endpoints) in enumerate(entries):
                    lines.append("      %s: %s%s" % (_compact(service), _compact(endpoints),
                                                     "," if entry_index < len(entries) - 1 else ""))
                lines.append("    }%s" % party_comma)
            lines.append("  }%s" % top_comma)
        else:
            lines.append("  %s: %s%s" % (_compact(key), _compact(value), top_comma))
    lines.append("}")
    return newline.join(lines) + newline
