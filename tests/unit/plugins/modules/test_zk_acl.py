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
    ({"name": "/n", "acls": [{"scheme": "world", "perms": "rwx"}]}, "letters c, d, r, w, a"),
    ({"name": "/n", "acls": [{"scheme": "digest", "id": "u:h", "username": "u", "password": "p"}]}, "mutually exclusive"),
    ({"name": "/n", "acls": [{"scheme": "digest", "username": "u"}]}, "parameters are required together"),
    ({"name": "/n", "acls": [{"scheme": "ip", "perms": "r"}]}, "needs an id"),
    ({"name": "/n", "acls": []}, "acls is empty"),
    ({"name": "/n", "acls": [{"scheme": "auth"}]}, "auth_credential"),
    ({"name": "n"}, "absolute znode path"),
    ({"name": "/n/"}, "absolute znode path"),
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
