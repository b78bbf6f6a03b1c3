"""zk_acl's argument checks: each refused before any connection is tried."""

import socket

import pytest

from ansible_collections.fateflow.ha.plugins.modules import zk_acl
from ansible_collections.fateflow.ha.tests.support.module_runner import run_module


def closed_port():
    """A loopback port nothing listens on: a connection attempt would fail, not hang."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def base_args():
    return {"hosts": ["127.0.0.1:%d" % closed_port()], "timeout": 1}


@pytest.mark.parametrize("extra, words", [
    ({"name": "/n", "acls": [{"scheme": "kerberos", "id": "x"}]}, "value of scheme must be one of"),
    ({"name": "/n", "acls": [{"scheme": "world", "perms": "rwx"}]}, "acls[0].perms must be 'all' or letters"),
    ({"name": "/n", "acls": [{"scheme": "world", "perms": "0"}]}, "acls[0].perms must be a number 1-31"),
    ({"name": "/n", "acls": [{"scheme": "world"}, {"scheme": "world", "perms": "\u00b2"}]}, "acls[1].perms"),
    ({"name": "/n", "acls": [{"scheme": "digest", "username": "a:b", "password": "p"}]}, "must not hold ':'"),
    ({"name": "/n", "acls": [{"scheme": "ip", "id": "10.0.0.1\n"}]}, "acls[0].id holds a line break"),
    ({"name": "/a//b"}, "name has an empty"),
    ({"name": "/a/../b"}, "name has an empty, '.' or '..' part"),
    ({"name": "/a\u0000b"}, "name holds a character ZooKeeper refuses"),
    ({"name": "/n", "value": "x" * (1024 * 1024)}, "value is"),
    ({"name": "/n", "hosts": []}, "hosts is empty"),
    ({"name": "/n", "hosts": ["zk1:99999"]}, "hosts[0] is refused"),
    ({"name": "/n", "hosts": ["zk 1:2181"]}, "hosts[0]"),
    ({"name": "/n", "timeout": 0}, "timeout must be above 0"),
    ({"name": "/n", "timeout": "nan"}, "timeout must be a finite number"),
    ({"name": "/n", "timeout": 1e9}, "timeout must be at most 3600"),
    ({"name": "/n", "acls": [{"scheme": "digest", "id": "u:h", "username": "u", "password": "p"}]}, "mutually exclusive"),
    ({"name": "/n", "acls": [{"scheme": "digest", "username": "u"}]}, "parameters are required together"),
    ({"name": "/n", "acls": [{"scheme": "ip", "perms": "r"}]}, "needs an id"),
    ({"name": "/n", "acls": []}, "acls is empty"),
    ({"name": "/n", "acls": [{"scheme": "auth"}]}, "auth_credential"),
    ({"name": "n"}, "name must be an absolute znode path"),
    ({"name": "/n/"}, "name must not end with a slash"),
    ({"name": "/n", "state": "absent", "value": "x"}, "state=present"),
    ({"name": "/n", "state": "wiped"}, "value of state must be one of"),
    ({"name": "/n", "client_cert": "/c.pem"}, "parameters are required together"),
    ({}, "missing required arguments: name"),
])
def test_refused_before_connecting(base_args, extra, words):
    result = run_module(zk_acl.main, dict(base_args, **extra))
    assert result["failed"]
    assert words in result["msg"]
    assert "Could not connect" not in result["msg"]


def test_unreachable_names_the_hosts(base_args):
    result = run_module(zk_acl.main, dict(base_args, name="/n"))
    assert result["failed"]
    assert result["msg"] == "Could not connect to ZooKeeper at %s within 1.0 s." % base_args["hosts"][0]


def test_digest_credential_shape(base_args):
    result = run_module(zk_acl.main, dict(base_args, name="/n", auth_credential="nocolon"))
    assert result["failed"]
    assert "user:password" in result["msg"]
    assert "nocolon" not in result["msg"]


def test_missing_kazoo(base_args, monkeypatch):
    from ansible_collections.fateflow.ha.plugins.module_utils import zookeeper
    monkeypatch.setattr(zookeeper, "HAS_KAZOO", False)
    result = run_module(zk_acl.main, dict(base_args, name="/n"))
    assert result["failed"]
    assert "kazoo" in result["msg"]
