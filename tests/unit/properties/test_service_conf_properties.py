"""Properties of the service_conf.yaml merge (module_utils/service_conf.py) on arbitrary files and options.

For any YAML text and any option values the module accepts: only ServiceConfError is raised, and
its message never holds a credential of the file; the text written parses back to the merged data;
a second merge changes nothing; no key outside the HA overlay is altered, even when the file
shares mappings through aliases (only a 1.x MySQL model store loses the keys pymysql refuses).
"""

import copy

import yaml
from hypothesis import assume, given
from hypothesis import strategies as st

from ansible_collections.fateflow.ha.plugins.module_utils import service_conf as sc
from ansible_collections.fateflow.ha.tests.unit.properties.strategies import SECRET, json_values

LIBRARIES = [lib for lib, ok in (("ruamel", sc.HAS_RUAMEL), ("pyyaml", sc.HAS_PYYAML)) if ok]

# YAML scalars that survive a round trip as themselves (no dates, no timestamps, no tags).
yaml_scalars = (st.none() | st.booleans() | st.integers(-(2 ** 40), 2 ** 40)
                | st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=10))
yaml_values = st.recursive(yaml_scalars, lambda children: st.lists(children, max_size=3)
                           | st.dictionaries(st.text(alphabet="abcdefgh_", min_size=1, max_size=6), children, max_size=3),
                           max_leaves=10)
fate_keys = st.sampled_from(["use_registry", "party_id", "fateflow", "database", "model_store", "zookeeper",
                             "enable_model_store", "model_store_address", "fate_on_eggroll", "default_engines",
                             "log_level", "encrypt", "private_key"])
db_blocks = st.fixed_dictionaries({"name": st.just("fate_flow"), "user": st.just("fate"), "passwd": st.just(SECRET),
                                   "host": st.just("127.0.0.1"), "port": st.just(3306)})


@st.composite
def documents(draw):
    """A FATE-like service_conf as data; sometimes 1.x- or 2.x-shaped, sometimes sharing its database block."""
    doc = draw(st.dictionaries(fate_keys | st.text(alphabet="abcdefgh_", min_size=1, max_size=6), yaml_values,
                               max_size=6))
    shape = draw(st.sampled_from(["v1", "v2", "v2-alias", "v1-alias", "free"]))
    db = draw(db_blocks)
    if shape == "v1":
        doc["database"] = db
        doc["model_store_address"] = draw(st.fixed_dictionaries(
            {"storage": st.sampled_from(["tencent_cos", "mysql"])},
            optional={"Region": st.none(), "SecretKey": st.just(SECRET), "database": st.just("m")}))
    elif shape == "v1-alias":
        doc["database"] = db
        doc["fate_on_eggroll"] = {"rollsite": db}
    elif shape.startswith("v2"):
        doc["database"] = {"engine": "mysql", "mysql": db}
        doc["model_store"] = {"engine": "mysql", "mysql": db if shape == "v2-alias" else copy.deepcopy(db)}
    return doc


def dump(document):
    # PyYAML writes the shared mapping once with an anchor and then as an alias (&id001 / *id001).
    return yaml.safe_dump(document, default_flow_style=False, sort_keys=False, allow_unicode=True)


db_options = st.none() | st.fixed_dictionaries({
    "name": st.sampled_from(["fate_flow", "fate_model"]), "user": st.just("fate"),
    "password": st.sampled_from([SECRET, "other-" + SECRET]), "host": st.sampled_from(["10.0.0.1", "db"]),
    "port": st.integers(1, 65535), "max_connections": st.none() | st.integers(1, 100000),
    "stale_timeout": st.none() | st.integers(1, 86400)})
params = st.fixed_dictionaries({
    "host": st.none() | st.sampled_from(["10.0.0.2", "flow-2", "fd00::2"]),
    "http_port": st.none() | st.integers(1, 65535), "grpc_port": st.none() | st.integers(1, 65535),
    "party_id": st.none() | st.sampled_from(["10000", "9999"]), "use_registry": st.none() | st.booleans(),
    "nginx_host": st.none() | st.just("10.0.0.1"), "nginx_http_port": st.none() | st.integers(1, 65535),
    "nginx_grpc_port": st.none() | st.integers(1, 65535),
    "zookeeper_hosts": st.none() | st.lists(st.sampled_from(["10.0.0.1:2181", "[fd00::1]:2181"]), min_size=1),
    "zookeeper_use_acl": st.none() | st.booleans(), "zookeeper_user": st.none() | st.just("fate"),
    "zookeeper_password": st.none() | st.just(SECRET), "database": db_options, "model_store": db_options,
    "rollsite_host": st.none() | st.just("10.0.0.1"), "rollsite_port": st.none() | st.integers(1, 65535)})
settings_values = st.dictionaries(fate_keys | st.text(alphabet="abc", min_size=1, max_size=3), yaml_values, max_size=2)
versions = st.none() | st.sampled_from(["1.11.4", "2.2.0", "1", "v2"])


def _leaves(data, path=()):
    if isinstance(data, dict) and data:
        for key, value in data.items():
            for leaf in _leaves(value, path + (key,)):
                yield leaf
    else:
        yield path, data


def _overlay_for(wanted, extra):
    return lambda major: sc.deep_merge(sc.ha_overlay(major, wanted), copy.deepcopy(extra))


@given(documents(), params, settings_values, versions, st.sampled_from(LIBRARIES))
def test_merge_is_total_idempotent_and_local(document, wanted, extra, version, library):
    text = dump(document)
    overlay = _overlay_for(wanted, extra)
    try:
        merged = sc.merge_text(text, overlay, version=version, library=library)
    except sc.ServiceConfError as error:
        assert SECRET not in str(error)
        return
    # The text written holds the merged data, and merging it again changes nothing.
    assert sc.plain(sc.ConfDocument(merged.text, library=library).data) == merged.after
    again = sc.merge_text(merged.text, overlay, version=version, library=library)
    assert not again.changed and again.text == merged.text

    # As FATE Flow reads the file (PyYAML, YAML 1.1): every value written is what was asked for, and
    # nothing outside the overlay is altered (aliases included).
    wanted_leaves = list(_leaves(overlay(merged.major)))
    written = [path for path, _ in wanted_leaves]
    fate_after = dict(_leaves(yaml.safe_load(merged.text) or {}))
    for path, value in wanted_leaves:
        # An empty mapping merged into a mapping leaves it as it was.
        if value != {} and not (merged.major == 1 and path[:1] == ("model_store_address",)):
            assert fate_after.get(path, "<gone>") == sc.plain(value), path
    for path, value in _leaves(yaml.safe_load(text) or {}):
        if any(path[:len(w)] == w or w[:len(path)] == path for w in written):
            continue
        if merged.major == 1 and path[:1] == ("model_store_address",):
            continue    # a MySQL model store keeps only what pymysql.connect takes
        assert fate_after.get(path, "<gone>") == value, path


@given(documents(), st.integers(0, 2000), st.sampled_from(["\t", ":", "- ", "{", "}", "'", '"', "&", "*", "!",
                                                            "\n  ", "\n", "%", "@", "`", "\x00", "\ufeff"]),
       st.sampled_from(LIBRARIES))
def test_broken_yaml_is_refused_without_quoting_it(document, position, insert, library):
    text = dump(document)
    assume(SECRET in text)
    position = min(position, len(text))
    broken = text[:position] + insert + text[position:]
    try:
        sc.ConfDocument(broken, library=library)
    except sc.ServiceConfError as error:
        assert SECRET not in str(error)


@given(st.text(max_size=300), st.sampled_from(LIBRARIES))
def test_any_text_is_read_or_refused(text, library):
    try:
        sc.merge_text(text, lambda major: {}, version="2.2.0", library=library)
    except sc.ServiceConfError:
        pass


@given(json_values)
def test_mask_hides_every_secret_value(data):
    wrapped = {"database": {"passwd": data, "other": data}, "private_key": data}
    masked = sc.mask_secrets(wrapped)
    expected = data if data in (None, "") else sc.MASK
    assert masked["database"]["passwd"] == expected and masked["private_key"] == expected
    assert masked["database"]["other"] == sc.mask_secrets(data)
    assert all(value in sc.all_values(data) for value in sc.secret_values(wrapped))
