"""fateflow_registry_info against a real ZooKeeper, with registrations made the way FATE Flow makes them."""

import json
from urllib.parse import quote

import pytest
from kazoo.client import KazooClient
from kazoo.security import make_digest_acl

from ansible_collections.fateflow.ha.plugins.modules import fateflow_registry_info as registry
from ansible_collections.fateflow.ha.tests.support.module_runner import run_module

USER, PASSWORD = "fate", "fate_zk_pass"


@pytest.fixture(scope="module")
def flow_servers(zookeeper):
    """Two 'FATE Flow servers': sessions holding ephemeral registrations under FATE's digest ACL."""
    sessions = []
    for host in ("10.0.0.2", "10.0.0.3"):
        # What FATE Flow's registry does with use_acl: default_acl plus auth_data.
        client = KazooClient(hosts=zookeeper.hosts, default_acl=[make_digest_acl(USER, PASSWORD, all=True)],
                             auth_data=[("digest", "%s:%s" % (USER, PASSWORD))])
        client.start(timeout=10)
        data = {"instance_id": "flow-%s-9380" % host, "timestamp": 1764400000000, "version": "2.2.0",
                "host": host, "grpc_port": 9360, "http_port": 9380}
        client.create("/FATE-COMPONENTS/fate-flow/" + quote("%s:9360" % host), json.dumps(data).encode(),
                      ephemeral=True, makepath=True)
        sessions.append(client)
    yield sessions
    for client in sessions:
        client.stop()
        client.close()


def run(zookeeper, **args):
    args.setdefault("hosts", zookeeper.hosts)
    args.setdefault("timeout", 5)
    return run_module(registry.main, args)


def test_lists_registrations(zookeeper, flow_servers):
    result = run(zookeeper, auth_credential="%s:%s" % (USER, PASSWORD))
    assert not result["changed"]
    assert result["exists"]
    assert [(r["host"], r["grpc_port"], r["http_port"], r["version"], r["ephemeral"])
            for r in result["registrations"]] == [("10.0.0.2", 9360, 9380, "2.2.0", True),
                                                  ("10.0.0.3", 9360, 9380, "2.2.0", True)]
    assert result["registrations"][0]["znode"] == "10.0.0.2%3A9360"
    assert result["instances"] == ["10.0.0.2:9380", "10.0.0.3:9380"]


def test_a_stopped_server_leaves_the_list(zookeeper, flow_servers):
    flow_servers[1].stop()  # closing the session removes its ephemeral node at once
    result = run(zookeeper, auth_credential="%s:%s" % (USER, PASSWORD))
    assert [r["host"] for r in result["registrations"]] == ["10.0.0.2"]


@pytest.mark.parametrize("credential", [None, "fate:wrong"])
def test_refused_without_the_fate_credential(zookeeper, flow_servers, credential):
    result = run(zookeeper, auth_credential=credential)
    assert result["failed"]
    assert result["msg"] == ("Not allowed to list the children of /FATE-COMPONENTS/fate-flow: "
                             "the credential given lacks permission there.")


def test_missing_registry(zookeeper):
    result = run(zookeeper, path="/FATE-COMPONENTS/nothing-here")
    assert result["exists"] is False
    assert result["registrations"] == []
