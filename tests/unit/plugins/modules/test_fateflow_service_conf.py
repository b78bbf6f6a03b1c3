"""fateflow_service_conf run through main(): check mode, diff masking, modes, backup, errors."""

import json
import os
import stat

import pytest
import yaml
from ansible.module_utils.testing import patch_module_args

from ansible_collections.fateflow.ha.plugins.modules import fateflow_service_conf
from ansible_collections.fateflow.ha.tests.unit.plugins.module_utils.test_service_conf import V1_FILE, V2_FILE

DB = dict(name="fate_flow", user="fate", password="db-Secret1", host="10.0.0.1")
BASE_ARGS = dict(
    host="10.0.0.2", http_port=9380, grpc_port=9360, nginx_host="10.0.0.1", nginx_http_port=9998,
    zookeeper_hosts=["10.0.0.1:2181"], zookeeper_use_acl=True, zookeeper_user="fate",
    zookeeper_password="zk-Secret1", database=DB,
)


def run(capsys, args, check_mode=False, diff=False):
    args = dict(args, _ansible_check_mode=check_mode, _ansible_diff=diff, _ansible_tmpdir=None)
    with patch_module_args(args):
        with pytest.raises(SystemExit) as code:
            fateflow_service_conf.main()
    out = json.loads(capsys.readouterr().out)
    out["rc"] = code.value.code
    return out


@pytest.fixture
def conf(tmp_path):
    def write(text, mode=0o644):
        path = tmp_path / "service_conf.yaml"
        path.write_text(text)
        os.chmod(path, mode)
        return str(path)
    return write


@pytest.mark.parametrize("text, major", [(V1_FILE, 1), (V2_FILE, 2)])
def test_changes_then_idempotent(capsys, conf, text, major):
    path = conf(text)
    first = run(capsys, dict(BASE_ARGS, path=path, mode="0640"))
    assert first["changed"] is True and first["flow_major"] == major
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640
    second = run(capsys, dict(BASE_ARGS, path=path, mode="0640"))
    assert second["changed"] is False


def test_check_mode_reports_and_leaves_file(capsys, conf):
    path = conf(V2_FILE)
    out = run(capsys, dict(BASE_ARGS, path=path, mode="0600"), check_mode=True, diff=True)
    assert out["changed"] is True
    assert open(path).read() == V2_FILE
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o644


def test_diff_and_output_mask_passwords(capsys, conf):
    path = conf(V2_FILE)
    out = run(capsys, dict(BASE_ARGS, path=path), diff=True)
    text = json.dumps(out)
    assert "db-Secret1" not in text and "zk-Secret1" not in text
    assert "10.0.0.2" in out["diff"]["after"]
    # the file itself holds the real password
    assert yaml.safe_load(open(path).read())["database"]["mysql"]["passwd"] == "db-Secret1"


def test_backup(capsys, conf):
    path = conf(V1_FILE)
    out = run(capsys, dict(BASE_ARGS, path=path, backup=True))
    assert open(out["backup_file"]).read() == V1_FILE


def test_mode_only_change(capsys, conf):
    path = conf(V2_FILE)
    run(capsys, dict(BASE_ARGS, path=path))
    out = run(capsys, dict(BASE_ARGS, path=path, mode="0600"))
    assert out["changed"] is True
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_settings_merged_last(capsys, conf):
    path = conf(V2_FILE)
    run(capsys, dict(BASE_ARGS, path=path, settings={"default_engines": {"computing": "eggroll"}}))
    data = yaml.safe_load(open(path).read())
    assert data["default_engines"] == {"computing": "eggroll", "federation": "standalone", "storage": "standalone"}


def test_create_needs_version(capsys, tmp_path):
    path = str(tmp_path / "new.yaml")
    out = run(capsys, dict(BASE_ARGS, path=path, create=True))
    assert out["failed"] is True
    out = run(capsys, dict(BASE_ARGS, path=path, create=True, flow_version="2.2.0"))
    assert out["changed"] is True and yaml.safe_load(open(path).read())["use_registry"] is True


@pytest.mark.parametrize(
    "args, words",
    [
        (dict(host="127.0.0.1"), "own routable address"),
        (dict(path="/nonexistent/service_conf.yaml"), "does not exist"),
        (dict(flow_version="3.0"), "not supported"),
        (dict(zookeeper_password="DROP"), "zookeeper_user"),
    ],
)
def test_errors_are_clear(capsys, conf, args, words):
    full = dict(BASE_ARGS, path=conf(V2_FILE))
    full.update(args)
    full = dict((k, v) for k, v in full.items() if v != "DROP")
    out = run(capsys, full)
    assert out["failed"] is True
    assert words in out["msg"]
    assert "Traceback" not in out["msg"]


# Regression tests of issue 13, on FATE's own files (tests/unit/fixtures/service_conf/README.md).
FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                        "fixtures", "service_conf")
FATE_111 = open(os.path.join(FIXTURES, "fate-1.11.4.yaml")).read()
FLOW_220 = open(os.path.join(FIXTURES, "fate-flow-2.2.0.yaml")).read()
V1_ARGS = dict(BASE_ARGS, rollsite_host="10.0.0.1", rollsite_port=9370)


@pytest.mark.parametrize("text", [
    "database:\n  passwd: Pw-In-Line-1\n  passwd: Pw-In-Line-2\n",    # duplicate key (ruamel quotes both)
    "database:\n\tpasswd: Pw-In-Line-1\n",                           # tab
    "database: {passwd: 'Pw-In-Line-1\n",                           # unterminated quote
    "database:\n  passwd: Pw-In-Line-1\n passwd: x: Pw-In-Line-2\n",  # bad indentation
])
def test_yaml_error_quotes_no_line(capsys, conf, text):
    out = run(capsys, dict(BASE_ARGS, path=conf(text), flow_version="2.2.0"))
    assert out["failed"] is True and "not valid YAML at line" in out["msg"]
    assert "Pw-In-Line" not in json.dumps(out)


def test_fate_111_stock_file_gets_a_model_store_pymysql_takes(capsys, conf):
    path = conf(FATE_111)
    out = run(capsys, dict(V1_ARGS, path=path))
    assert out["changed"] is True and out["flow_major"] == 1
    store = yaml.safe_load(open(path).read())["model_store_address"]
    assert store == {"storage": "mysql", "database": "fate_flow", "user": "fate", "password": "db-Secret1",
                     "host": "10.0.0.1", "port": 3306}
    assert sorted(out["removed_keys"]) == ["model_store_address.%s" % k for k in ("Bucket", "Region",
                                                                                  "SecretId", "SecretKey")]
    # FATE Flow 1.11's own call: drop storage, take database, hand the rest to pymysql.connect.
    import inspect
    import pymysql
    accepted = set(inspect.signature(pymysql.connections.Connection.__init__).parameters)
    assert set(store) - {"storage", "database", "max_connections", "stale_timeout"} <= accepted
    assert run(capsys, dict(V1_ARGS, path=path))["changed"] is False


def test_fate_111_foreign_model_store_key_from_settings_is_refused(capsys, conf):
    path = conf(FATE_111)
    out = run(capsys, dict(V1_ARGS, path=path, settings={"model_store_address": {"Bucket": "b"}}))
    assert out["failed"] is True and "Bucket" in out["msg"] and "pymysql" in out["msg"]
    assert open(path).read() == FATE_111


@pytest.mark.parametrize("text, version, words", [
    (FLOW_220, "1.11.2", "laid out for FATE Flow 2.x"),
    (FATE_111, "2.2.0", "laid out for FATE Flow 1.x"),
])
def test_version_that_contradicts_the_file_is_refused(capsys, conf, text, version, words):
    path = conf(text)
    out = run(capsys, dict(V1_ARGS, path=path, flow_version=version))
    assert out["failed"] is True and words in out["msg"] and "flow_version" in out["msg"]
    assert open(path).read() == text


ALIASED = """\
database:
  engine: mysql
  mysql: &mysql
    name: fate_flow
    user: fate
    passwd: db-Secret1
    host: 10.0.0.1
    port: 3306
model_store:
  engine: mysql
  # one MySQL for both, as operators write it
  mysql: *mysql
zookeeper:
  hosts: [10.0.0.1:2181]
"""


def test_model_store_alias_unchanged_stays_an_alias(capsys, conf):
    path = conf(ALIASED)
    args = dict(BASE_ARGS, path=path, settings={"party_id": "10000"}, use_registry=True)
    run(capsys, args)
    assert "*mysql" in open(path).read()


def test_model_store_alias_is_broken_not_followed(capsys, conf):
    path = conf(ALIASED)
    store = dict(DB, name="fate_model", host="10.0.0.9")
    out = run(capsys, dict(BASE_ARGS, path=path, model_store=store))
    assert out["changed"] is True
    data = yaml.safe_load(open(path).read())
    assert data["database"]["mysql"] == {"name": "fate_flow", "user": "fate", "passwd": "db-Secret1",
                                         "host": "10.0.0.1", "port": 3306}
    assert data["model_store"]["mysql"]["name"] == "fate_model"
    assert data["model_store"]["mysql"]["host"] == "10.0.0.9"
    assert "# one MySQL for both" in open(path).read()
    assert run(capsys, dict(BASE_ARGS, path=path, model_store=store))["changed"] is False


SECRETS = dict(settings={"database": {"decrypt_key": "Settings-Key-1"},
                         "model_store": {"tencent_cos": {"SecretKey": "Settings-Cos-1"}}})


def test_secrets_in_settings_and_file_are_hidden(capsys, conf):
    text = FATE_111.replace("private_key:\n", "private_key: File-Private-Key-1\n")
    path = conf(text)
    out = run(capsys, dict(V1_ARGS, path=path, settings={"zookeeper": {"password": "Settings-Zk-1"},
                                                          "fate_on_spark": {"hive": {"password": "Hive-1"}},
                                                          "default_engines": {"computing": "eggroll"}}),
              diff=True)
    shown = json.dumps(out)
    for secret in ("File-Private-Key-1", "Settings-Zk-1", "Hive-1", "db-Secret1", "zk-Secret1"):
        assert secret not in shown, secret
    # what is not a credential stays readable
    assert "computing: eggroll" in out["diff"]["after"]
    assert out["invocation"]["module_args"]["settings"]["default_engines"] == {"computing": "eggroll"}


def test_refused_argument_prints_no_setting(capsys, conf):
    out = run(capsys, dict(V1_ARGS, path=conf(FATE_111), http_port="not-a-port",
                           settings={"zookeeper": {"password": "Settings-Zk-2"}}))
    assert out["failed"] is True and "Settings-Zk-2" not in json.dumps(out)


@pytest.mark.parametrize("args, words", [
    (dict(http_port=0), "http_port must be a TCP port"),
    (dict(grpc_port=70000), "grpc_port must be a TCP port"),
    (dict(nginx_http_port=True), "nginx_http_port must be a TCP port"),
    (dict(host=["10.0.0.2"]), "host"),
    (dict(host="0.0.0.0"), "host is refused"),
    (dict(host="localhost"), "host is refused"),
    (dict(nginx_host="a b"), "nginx_host"),
    (dict(party_id="9 9"), "party_id must be a party id"),
    (dict(flow_version="two"), "flow_version must be a version"),
    (dict(zookeeper_hosts=["10.0.0.1:99999"]), "zookeeper_hosts[0]"),
    (dict(zookeeper_user="fa:te"), "zookeeper_user must be a user name"),
    (dict(zookeeper_password=["Pw-List-1"]), "zookeeper_password must be a string"),
    (dict(database=dict(DB, name="fate flow")), "database.name must be a MySQL database name"),
    (dict(database=dict(DB, password={"a": "Pw-Dict-1"})), "database.password must be a string"),
    (dict(database=dict(DB, port=0)), "database.port must be a TCP port"),
    (dict(database=dict(DB, max_connections=0)), "database.max_connections must be at least 1"),
    (dict(model_store=dict(DB, host="")), "model_store.host"),
    (dict(rollsite_host="10.0.0.1", rollsite_port=-1), "rollsite_port must be a TCP port"),
    (dict(settings={"a": {" ": "x"}}), "settings.a has a key that is not a non-empty string"),
    (dict(settings={"a": float("nan")}), "settings.a must be a finite number"),
    (dict(http_port=9380, grpc_port=9380), "http_port and grpc_port must differ"),
    # Found by tests/unit/properties: ansible-core's own sub-option check raised TypeError on these.
    (dict(database=False), "database must be a mapping"),
    (dict(model_store=[dict(DB, password="Pw-In-List-1")]), "model_store"),
    (dict(database=3306), "database must be a mapping"),
    (dict(database=3306, http_port=float("inf")), "database must be a mapping"),
    (dict(http_port=float("inf")), "http_port must be a TCP port"),
    (dict(database=dict(DB, max_connections=float("inf"))), "database.max_connections must be a whole number"),
    (dict(database=False, nginx_grpc_port=float("inf")), "database must be a mapping"),
    (dict(mode="0.0.0.0"), "mode must be octal"),
    (dict(owner="no-such-user-here"), "owner 'no-such-user-here' does not exist"),
])
def test_every_option_is_checked_before_reading(capsys, tmp_path, args, words):
    # The path does not exist: a refusal about it would mean the option was not checked first.
    out = run(capsys, dict(BASE_ARGS, path=str(tmp_path / "missing.yaml"), **args))
    assert out["failed"] is True
    assert words in out["msg"], out["msg"]
    assert "Pw-" not in json.dumps(out)


def test_numeric_password_is_taken_as_text(capsys, conf):
    path = conf(V2_FILE)
    run(capsys, dict(BASE_ARGS, path=path, database=dict(DB, password=123456)))
    assert yaml.safe_load(open(path).read())["database"]["mysql"]["passwd"] == "123456"


def test_symlink_and_crlf_are_kept(capsys, tmp_path):
    target = tmp_path / "real.yaml"
    target.write_bytes(FLOW_220.replace("\n", "\r\n").encode())
    os.chmod(target, 0o600)
    link = tmp_path / "service_conf.yaml"
    link.symlink_to(target)
    out = run(capsys, dict(BASE_ARGS, path=str(link)))
    assert out["changed"] is True
    assert os.path.islink(link) and stat.S_IMODE(os.stat(target).st_mode) == 0o600
    raw = target.read_bytes()
    assert raw.count(b"\r\n") == raw.count(b"\n") and b"10.0.0.2" in raw
    assert run(capsys, dict(BASE_ARGS, path=str(link)))["changed"] is False


MULTIPLE = dict(
    federation_engine="rabbitmq", proxy_name="rollsite", rollsite_host="10.0.0.1", rollsite_port=9370,
    rabbitmq=dict(host="10.0.0.1", user="fate", password="mq-Secret1"),
)


def test_multiple_mode_written_where_fate_flow_2_reads_it(capsys, conf):
    path = conf(V2_FILE)
    out = run(capsys, dict(BASE_ARGS, path=path, **MULTIPLE), diff=True)
    assert out["changed"] is True
    assert "mq-Secret1" not in json.dumps(out)
    written = yaml.safe_load(open(path).read())
    # fate_flow/runtime/system_settings.py: PROXY_NAME, PROXY = federation; engine_utils: default_engines
    assert written["default_engines"]["federation"] == "rabbitmq"
    assert written["default_engines"]["computing"] == "standalone"
    assert written["fateflow"]["proxy_name"] == "rollsite"
    assert written["federation"]["rollsite"] == {"host": "10.0.0.1", "port": 9370}
    assert written["federation"]["rabbitmq"] == {
        "host": "10.0.0.1", "port": 5672, "mng_port": 15672, "user": "fate", "password": "mq-Secret1",
        "mode": "replication"}
    assert run(capsys, dict(BASE_ARGS, path=path, **MULTIPLE))["changed"] is False


@pytest.mark.parametrize("args, words", [
    (dict(federation_engine="rabbitmq"), "rabbitmq"),
    (dict(MULTIPLE, rabbitmq=dict(host="10.0.0.1", user="fa:te", password="x-Secret1")), "rabbitmq.user"),
    (dict(MULTIPLE, rabbitmq=dict(host="10.0.0.1", user="fate", password="x-Secret1", port=15672)), "mng_port must differ"),
    (dict(MULTIPLE, rabbitmq=dict(host="10.0.0.1", user="fate", password="x-Secret1", port=70000)), "rabbitmq.port"),
    (dict(MULTIPLE, rabbitmq=dict(host="not a host", user="fate", password="x-Secret1")), "rabbitmq.host"),
    (dict(proxy_name="grpc"), "proxy_name"),
])
def test_multiple_mode_bad_input_named(capsys, conf, args, words):
    path = conf(V2_FILE)
    out = run(capsys, dict(BASE_ARGS, path=path, **args))
    assert out["rc"] == 1 and words in out["msg"], out["msg"]
    assert open(path).read() == V2_FILE
    assert "x-Secret1" not in json.dumps(out)


def test_multiple_mode_refused_for_a_1x_file(capsys, conf):
    path = conf(V1_FILE)
    out = run(capsys, dict(BASE_ARGS, path=path, **MULTIPLE))
    assert out["rc"] == 1 and "federation_engine, proxy_name, rabbitmq" in out["msg"]
    assert open(path).read() == V1_FILE
