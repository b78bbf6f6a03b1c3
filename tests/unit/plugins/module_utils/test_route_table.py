"""Unit tests of the route table parser and merge shared by the module and the filters."""

import pytest

from ansible_collections.fateflow.ha.plugins.module_utils import route_table as rt

# (id, JSON text, pointer of the object holding the duplicated key, the key)
DUPLICATES = [
    ("top-level", '{"route_table": {}, "route_table": {}}', "/", "route_table"),
    ("service", '{"route_table": {"1": {"fateflow": [], "fateflow": []}}}', "/route_table/1", "fateflow"),
    ("party", '{"route_table": {"1": {}, "2": {}, "1": {}}}', "/route_table", "1"),
    ("inside-endpoint-list", '{"route_table": {"1": {"default": [{"ip": "a"}, {"ip": "a", "ip": "b"}]}}}',
     "/route_table/1/default/1", "ip"),
    ("key-with-slash", '{"route_table": {"a/b": {"x": [], "x": []}}}', "/route_table/a~1b", "x"),
]


@pytest.mark.parametrize("text, pointer, key", [c[1:] for c in DUPLICATES], ids=[c[0] for c in DUPLICATES])
def test_duplicate_keys_name_key_and_path(text, pointer, key):
    with pytest.raises(rt.RouteTableError) as error:
        rt.parse(text, source="t.json")
    assert '"%s" twice' % key in str(error.value)
    assert "at %s;" % pointer in str(error.value)


@pytest.mark.parametrize("text, line, column", [
    ('{\n  "route_table": {\n    "1": {,}\n  }\n}', 3, 11),
    ('{"route_table": {}', 1, 19),
    ("", 1, 1),
])
def test_invalid_json_reports_line_and_column(text, line, column):
    with pytest.raises(rt.RouteTableError) as error:
        rt.parse(text)
    assert "at line %d, column %d." % (line, column) in str(error.value)


@pytest.mark.parametrize("document, words", [
    ("[]", "top level"),
    ('{"permission": {}}', '"route_table"'),
    ('{"route_table": {"1": []}}', "/route_table/1 must be an object"),
    ('{"route_table": {"1": {"default": {}}}}', "/route_table/1/default must be a list"),
    ('{"route_table": {"1": {"default": ["x"]}}}', "/route_table/1/default/0 must be an endpoint"),
    ('{"route_table": {}, "self_party": "10000"}', "self_party"),
])
def test_shapes_rollsite_cannot_load_are_refused(document, words):
    with pytest.raises(rt.RouteTableError) as error:
        rt.check_document(rt.parse(document))
    assert words in str(error.value)


@pytest.mark.parametrize("value, expected", [(9370, 9370), ("9370", 9370), (" 1 ", 1), ("65535", 65535)])
def test_ports_become_integers(value, expected):
    assert rt.normalize_route({"party": 1, "ip": "h", "port": value}, 0, "eggroll")[2]["port"] == expected


@pytest.mark.parametrize("value", [0, 65536, -1, "x", "9370.0", 9370.5, True, None, ""])
def test_bad_ports_are_refused(value):
    with pytest.raises(rt.RouteTableError):
        rt.normalize_route({"party": 1, "ip": "h", "port": value}, 0, "eggroll")


def test_merge_keeps_order_and_appends():
    data = rt.parse('{"permission": {"default_allow": true}, "route_table": {"b": {"default": []}, "a": {}}}')
    routes = rt.normalize_routes([{"party": "c", "ip": "h", "port": 1}, {"party": "a", "ip": "h", "port": 2}],
                                 "eggroll")
    assert rt.merge(data, routes) == ["added c/default", "added a/default"]
    assert list(data) == ["permission", "route_table"]
    assert list(data["route_table"]) == ["b", "a", "c"]


def test_merge_replaces_several_endpoints_with_one():
    data = rt.parse('{"route_table": {"1": {"fateflow": [{"ip": "a", "port": 1}, {"ip": "b", "port": 1}]}}}')
    routes = rt.normalize_routes([{"party": "1", "service": "fateflow", "ip": "a", "port": 1}], "eggroll")
    assert rt.merge(data, routes) == ["set 1/fateflow"]
    assert data["route_table"]["1"]["fateflow"] == [{"ip": "a", "port": 1}]


def test_equal_endpoint_in_another_key_order_is_not_a_change():
    data = rt.parse('{"route_table": {"1": {"fateflow": [{"port": 1, "ip": "a"}]}}}')
    routes = rt.normalize_routes([{"party": "1", "service": "fateflow", "ip": "a", "port": 1}], "eggroll")
    assert rt.merge(data, routes) == []
