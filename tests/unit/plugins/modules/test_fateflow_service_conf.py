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
