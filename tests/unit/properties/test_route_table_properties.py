"""Properties of the route table merge (module_utils/route_table.py) on arbitrary tables and routes.

For any JSON text and any routes: only RouteTableError is raised; a merged table dumps to JSON that
parses back to the same document; a second merge with the same routes changes nothing; no party,
service or top-level key the routes do not name is altered, and untouched parties keep their order.
"""

import copy
import json

from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.fateflow.ha.plugins.module_utils import route_table as rt
from ansible_collections.fateflow.ha.tests.unit.properties.strategies import (
    addresses, json_values, party_ids, ports, service_names)

endpoint_keys = st.sampled_from(["ip", "port", "is_secure", "is_polling", "protocol", "url", "useSSL", "caFile",
                                 "bad key", ""])
good_endpoints = st.fixed_dictionaries({"ip": st.sampled_from(["192.168.0.1", "fd00::1", "rollsite"]),
                                        "port": st.integers(1, 65535)},
                                       optional={"is_secure": st.booleans(), "useSSL": st.booleans()})
endpoints = good_endpoints | st.dictionaries(endpoint_keys, json_values | ports, max_size=4)
table_keys = st.sampled_from(["default", "10000", "9999", "fateflow"]) | st.text(max_size=6)
tables = st.dictionaries(table_keys, st.dictionaries(table_keys, st.lists(endpoints, max_size=2), max_size=3),
                         max_size=5)
good_tables = st.dictionaries(st.sampled_from(["default", "10000", "9999", "20000", "30000"]),
                              st.dictionaries(st.sampled_from(["default", "fateflow", "fateboard"]),
                                              st.lists(good_endpoints, min_size=1, max_size=2), min_size=1, max_size=3),
                              max_size=5)
# Mostly tables rollsite loads (so that most examples reach the merge), the rest anything.
documents = st.one_of(
    st.fixed_dictionaries({"route_table": good_tables, "permission": st.just({"default_allow": True})},
                          optional={"self_party": st.lists(st.sampled_from(["10000", "9999"]), min_size=1, max_size=2),
                                    "comment": json_values}),
    st.fixed_dictionaries({"route_table": tables},
                          optional={"permission": st.fixed_dictionaries({"default_allow": st.booleans()}) | json_values,
                                    "self_party": st.lists(st.sampled_from(["10000", "9999"]), max_size=2) | json_values,
                                    "comment": json_values}),
    json_values)

route_keys = st.sampled_from(["party", "service", "ip", "port", "is_secure", "is_polling", "protocol", "url",
                              "useSSL", "caFile", "bad key"])
good_routes = st.fixed_dictionaries({"party": st.sampled_from(["10000", "9999", "default", "20000"]),
                                     "service": st.sampled_from(["default", "fateflow"]),
                                     "ip": st.sampled_from(["192.168.0.9", "fd00::9", "[fd00::8]", "nginx"]),
                                     "port": st.integers(1, 65535) | st.integers(1, 65535).map(str)},
                                    optional={"is_secure": st.booleans() | st.sampled_from(["yes", "false"]),
                                              "useSSL": st.booleans()})
odd_routes = st.dictionaries(route_keys, st.one_of(json_values, addresses, ports, party_ids, service_names), max_size=6)
routes = st.lists(good_routes, max_size=4) | st.lists(good_routes | odd_routes | json_values, max_size=4)
formats = st.sampled_from(["eggroll", "osx"])
states = st.sampled_from(["present", "absent"])
self_parties = st.none() | st.lists(st.sampled_from(["10000", "9999"]), min_size=1, max_size=2)


def _apply(text, wanted, state, default_allow, self_party, fmt):
    """What the module does between reading and writing; None when the module would refuse."""
    try:
        normalized = rt.normalize_routes(wanted, fmt, state)
        data = rt.parse(text)
        table = rt.check_document(data)
        rt.normalize_ports(table)
        before = copy.deepcopy(data)
        originals = {}
        changes = rt.merge(data, normalized, state=state, default_allow=default_allow, self_party=self_party,
                           fmt=fmt, originals=originals)
    except rt.RouteTableError:
        return None
    return normalized, before, data, changes, originals


@given(documents, routes, states, st.none() | st.booleans(), self_parties, formats)
def test_merge_is_total_idempotent_and_local(document, wanted, state, default_allow, self_party, fmt):
    applied = _apply(json.dumps(document), wanted, state, default_allow, self_party, fmt)
    if applied is None:
        return
    normalized, before, after, changes, originals = applied

    # What is written parses back to what was merged, and a second run changes nothing.
    text = rt.dump(after)
    assert rt.parse(text) == after
    again = _apply(text, wanted, state, default_allow, self_party, fmt)
    assert again is not None and again[3] == [] and again[2] == after

    # Nothing the routes do not name is altered.
    named = set((party, service) for party, service, _ in normalized)
    for party, services in before["route_table"].items():
        for service, endpoint_list in services.items():
            if (party, service) not in named:
                assert after["route_table"][party][service] == endpoint_list
    for party, services in after["route_table"].items():
        for service in services:
            assert (party, service) in named or service in before["route_table"].get(party, {})
    for key in before:
        if key not in ("route_table", "permission", "self_party"):
            assert after[key] == before[key]
    # Untouched parties keep their order; new ones come after them.
    kept = [party for party in before["route_table"] if party in after["route_table"]]
    assert list(after["route_table"])[:len(kept)] == kept
    # The changed parts name exactly the changed routes.
    assert bool(changes) == bool(originals)
    changed_before, changed_after = rt.changed_parts(after, originals)
    assert (changed_before != changed_after) == bool(changes)


@given(st.text(max_size=200) | st.binary(max_size=100).map(lambda raw: raw.decode("latin-1")))
def test_any_text_is_parsed_or_refused(text):
    try:
        rt.check_document(rt.parse(text))
    except rt.RouteTableError:
        pass


@given(documents, st.integers(0, 400), st.sampled_from(["{", "}", "[", "]", ",", ":", '"', "\\", "\x00", "\ufeff"]))
def test_corrupted_tables_are_refused_cleanly(document, position, character):
    text = json.dumps(document)
    position = min(position, len(text))
    try:
        rt.normalize_ports(rt.check_document(rt.parse(text[:position] + character + text[position:])))
    except rt.RouteTableError:
        pass


def test_deep_nesting_is_refused_cleanly():
    for text in ("[" * 100000, '{"a":' * 100000):
        try:
            rt.parse(text)
        except rt.RouteTableError as error:
            assert "nested too deeply" in str(error) or "not valid JSON" in str(error)
