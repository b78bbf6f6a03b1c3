"""The HA merge of service_conf.yaml, for FATE Flow 1.x and 2.x layouts."""

import pytest
import yaml

from ansible_collections.fateflow.ha.plugins.module_utils import service_conf as sc

V1_FILE = """\
use_registry: false
use_deserialize_safe_module: false
dependent_distribution: false
encrypt_password: false
fateflow:
  # the site installer's address
  host: 127.0.0.1
  http_port: 9380
  grpc_port: 9360
  proxy: rollsite
  protocol: default
database:
  name: fate_flow
  user: fate
  passwd: fate
  host: 127.0.0.1
  port: 3306
  max_connections: 100
  stale_timeout: 30
zookeeper:
  hosts:
    - 127.0.0.1:2181
  use_acl: false
default_engines:
  computing: eggroll
  federation: eggroll
  storage: eggroll
fate_on_eggroll:
  clustermanager:
    cores_per_node: 16
    nodes: 1
  rollsite:
    host: 127.0.0.1
    port: 9370
fateboard:
  host: 127.0.0.1
  port: 8080
enable_model_store: false
model_store_address:
  storage: tencent_cos
  Region: ap-guangzhou
  SecretId: AKIDEXAMPLE
  SecretKey: topsecret
"""

V2_FILE = """\
party_id: "9999"
use_registry: false
# DEBUG 10/INFO 20
log_level: 20
fateflow:
  host: 127.0.0.1
  http_port: 9380
  grpc_port: 9360
  proxy_name: osx
database:
  engine: sqlite
  decrypt_key:
  mysql:
    name: fate_flow
    user: fate
    passwd: fate
    host: 127.0.0.1
    port: 3306
  sqlite:
    path:
default_engines:
  computing: standalone
  federation: standalone
  storage: standalone
model_store:
  engine: file
  file:
    path:
  mysql:
    name: fate_flow
    user: fate
    passwd: fate
    host: 127.0.0.1
    port: 3306
zookeeper:
  hosts:
    - 127.0.0.1:2181
  use_acl: true
  user: fate
  password: fate
"""

PARAMS = dict(
    host="10.0.0.2", http_port=9380, grpc_port=9360, party_id=10000, use_registry=True,
    nginx_host="10.0.0.1", nginx_http_port=9998, nginx_grpc_port=9999,
    zookeeper_hosts=["10.0.0.1:2181", "10.0.0.3:2181"], zookeeper_use_acl=True,
    zookeeper_user="fate", zookeeper_password="zk-Secret1",
    database=dict(name="fate_flow", user="fate", password="db-Secret1", host="10.0.0.1", port=3306,
                  max_connections=100, stale_timeout=30),
    model_store=None, rollsite_host="10.0.0.1", rollsite_port=9370,
)

LIBRARIES = [lib for lib, ok in (("ruamel", sc.HAS_RUAMEL), ("pyyaml", sc.HAS_PYYAML)) if ok]


def merge(text, params=None, version=None, library="auto"):
    wanted = params or PARAMS
    return sc.merge_text(text, lambda major: sc.ha_overlay(major, wanted), version=version, library=library)


@pytest.mark.parametrize(
    "conf, version, expected",
    [
        ({}, "1.11.2", 1),
        ({}, "v2.2.0", 2),
        ({}, 2, 2),
        (yaml.safe_load(V1_FILE), None, 1),
        (yaml.safe_load(V2_FILE), None, 2),
        ({"database": {"engine": "mysql"}}, None, 2),
        ({"database": {"name": "x", "passwd": "y"}}, None, 1),
        ({"enable_model_store": True}, None, 1),
        ({"model_store": {"engine": "mysql"}}, None, 2),
    ],
)
def test_flow_major(conf, version, expected):
    assert sc.flow_major(conf, version) == expected


@pytest.mark.parametrize("conf, version", [({"fateflow": {}}, None), ({}, "3.0.0"), ({}, "latest"),
                                           ({"party_id": "9999"}, None),
                                           ({"enable_model_store": False, "model_store": {}}, None)])
def test_flow_major_refuses(conf, version):
    with pytest.raises(sc.ServiceConfError):
        sc.flow_major(conf, version)


@pytest.mark.parametrize("library", LIBRARIES)
def test_v1_layout(library):
    _, _, after, major, _ = merge(V1_FILE, library=library)
    assert major == 1
    assert after["use_registry"] is True
    assert after["fateflow"]["host"] == "10.0.0.2"
    assert after["fateflow"]["nginx"] == {"host": "10.0.0.1", "http_port": 9998, "grpc_port": 9999}
    # database at the top level (the seed's 3.3 indents it under fateflow), with passwd
    assert "database" not in after["fateflow"]
    assert after["database"]["passwd"] == "db-Secret1"
    assert "password" not in after["database"]
    assert after["database"]["host"] == "10.0.0.1"
    # model store: its own key with a colon (the seed loses it), password not passwd
    assert after["enable_model_store"] is True
    store = after["model_store_address"]
    assert store["storage"] == "mysql"
    assert store["database"] == "fate_flow"
    assert store["password"] == "db-Secret1"
    assert "passwd" not in store and "name" not in store
    assert after["fate_on_eggroll"]["rollsite"] == {"host": "10.0.0.1", "port": 9370}
    assert after["zookeeper"] == {"hosts": ["10.0.0.1:2181", "10.0.0.3:2181"], "use_acl": True,
                                  "user": "fate", "password": "zk-Secret1"}
    # 2.x-only keys are not written into a 1.x file
    assert "party_id" not in after and "model_store" not in after


@pytest.mark.parametrize("library", LIBRARIES)
def test_v2_layout(library):
    _, _, after, major, _ = merge(V2_FILE, library=library)
    assert major == 2
    assert after["party_id"] == "10000"
    assert after["use_registry"] is True
    assert after["database"]["engine"] == "mysql"
    assert after["database"]["mysql"]["passwd"] == "db-Secret1"
    assert after["database"]["mysql"]["host"] == "10.0.0.1"
    assert after["model_store"]["engine"] == "mysql"
    assert after["model_store"]["mysql"]["name"] == "fate_flow"
    assert after["fateflow"]["host"] == "10.0.0.2"
    for key in ("enable_model_store", "model_store_address", "fate_on_eggroll"):
        assert key not in after


@pytest.mark.parametrize("library", LIBRARIES)
@pytest.mark.parametrize(
    "text, kept",
    [
        (V1_FILE, [("use_deserialize_safe_module",), ("fateflow", "proxy"), ("fateflow", "protocol"),
                   ("fate_on_eggroll", "clustermanager", "cores_per_node"), ("fateboard", "port"),
                   ("default_engines", "computing"), ("database", "max_connections")]),
        (V2_FILE, [("log_level",), ("fateflow", "proxy_name"), ("database", "sqlite"), ("database", "decrypt_key"),
                   ("model_store", "file"), ("default_engines", "storage")]),
    ],
)
def test_unknown_keys_kept(library, text, kept):
    _, before, after, _, _ = merge(text, library=library)
    for path in kept:
        old, new = before, after
        for key in path:
            old, new = old[key], new[key]
        assert new == old, path


def test_none_leaves_key_alone():
    params = dict(PARAMS, nginx_grpc_port=None, zookeeper_user=None, zookeeper_password=None, database=None)
    _, before, after, _, _ = merge(V2_FILE, params=params)
    assert "grpc_port" not in after["fateflow"]["nginx"]
    assert after["zookeeper"]["password"] == before["zookeeper"]["password"]
    assert after["database"] == before["database"]
    assert after["model_store"] == before["model_store"]


def test_separate_model_store():
    store = dict(PARAMS["database"], name="fate_model", user="model")
    _, _, after, _, _ = merge(V1_FILE, params=dict(PARAMS, model_store=store))
    assert after["model_store_address"]["database"] == "fate_model"
    assert after["model_store_address"]["user"] == "model"
    assert after["database"]["name"] == "fate_flow"


@pytest.mark.parametrize("library", LIBRARIES)
@pytest.mark.parametrize("text", [V1_FILE, V2_FILE])
def test_second_merge_changes_nothing(library, text):
    first, _, _, _, _ = merge(text, library=library)
    second, before, after, _, _ = merge(first, library=library)
    assert before == after
    assert second == first


@pytest.mark.parametrize("text", [V1_FILE, V2_FILE])
def test_result_is_valid_yaml_with_the_data(text):
    new_text, _, after, _, _ = merge(text)
    assert yaml.safe_load(new_text) == after


@pytest.mark.skipif(not sc.HAS_RUAMEL, reason="ruamel.yaml keeps comments")
def test_comments_kept_with_ruamel():
    new_text, _, _, _, kept = merge(V2_FILE, library="ruamel")
    assert kept is True
    assert "# DEBUG 10/INFO 20" in new_text
    new_text, _, _, _, _ = merge(V1_FILE, library="ruamel")
    assert "# the site installer's address" in new_text


def test_comments_lost_with_pyyaml_is_reported():
    new_text, _, _, _, kept = merge(V2_FILE, library="pyyaml")
    assert kept is False
    assert "#" not in new_text


def test_empty_file_needs_version():
    with pytest.raises(sc.ServiceConfError):
        merge("")
    _, _, after, major, _ = merge("", version="2.2.0")
    assert major == 2 and after["database"]["engine"] == "mysql"


@pytest.mark.parametrize("text", ["a: [1\n", "- just\n- a list\n"])
def test_bad_file_is_one_sentence(text):
    with pytest.raises(sc.ServiceConfError) as err:
        merge(text, version="2")
    assert "\n" not in str(err.value)


def test_mask_secrets_covers_every_credential():
    _, _, after, _, _ = merge(V1_FILE)
    rendered = sc.render_plain(sc.mask_secrets(after))
    for secret in ("db-Secret1", "zk-Secret1", "topsecret", "AKIDEXAMPLE"):
        assert secret not in rendered
    assert sc.MASK in rendered
    assert "10.0.0.2" in rendered


# Found by tests/unit/properties: a merge whose result the next run would read as the other version.
@pytest.mark.parametrize("text, version, extra, words", [
    ("", "2.2.0", {"enable_model_store": None}, "looks like 1.x (it has enable_model_store)"),
    ("model_store:\n  engine: file\n", None, {"fate_on_eggroll": {"rollsite": {"port": 9370}}},
     "no longer shows its version (it has keys of 1.x (fate_on_eggroll) and of 2.x (model_store))"),
    ("database:\n  name: fate_flow\n  passwd: x\n", None, {"database": None}, "no longer shows its version"),
])
def test_settings_that_change_the_layout_are_refused(text, version, extra, words):
    params = dict(PARAMS, database=None, model_store=None, rollsite_host=None, rollsite_port=None)
    with pytest.raises(sc.ServiceConfError) as error:
        sc.merge_text(text, lambda major: sc.deep_merge(sc.ha_overlay(major, params), extra), version=version)
    assert words in str(error.value)


# Found by tests/unit/properties: ruamel.yaml writes YAML 1.2, FATE Flow reads the file with PyYAML
# (YAML 1.1), which takes an unquoted no, Off or 0777 for a boolean or a number.
@pytest.mark.parametrize("library", LIBRARIES)
def test_strings_stay_strings_for_a_yaml_11_reader(library):
    params = dict(PARAMS, database=dict(PARAMS["database"], password="no"))
    merged = sc.merge_text(V2_FILE, lambda major: sc.deep_merge(sc.ha_overlay(major, params),
                                                                {"log_level": "Off", "on": {"mode": "0777"}}),
                           library=library)
    read = yaml.safe_load(merged.text)
    assert read["database"]["mysql"]["passwd"] == "no"
    assert read["log_level"] == "Off" and read["on"] == {"mode": "0777"}
    assert not sc.merge_text(merged.text, lambda major: sc.deep_merge(
        sc.ha_overlay(major, params), {"log_level": "Off", "on": {"mode": "0777"}}), library=library).changed
