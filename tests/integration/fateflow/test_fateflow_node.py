"""fateflow_node against a real ZooKeeper (digest ACL, as FATE Flow creates its znodes) and an HTTP
endpoint that answers like FATE Flow 2.x's /v2/server/fateflow."""

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from kazoo.client import KazooClient
from kazoo.security import make_digest_acl

from ansible_collections.fateflow.ha.plugins.module_utils import fateflow_node as fn
from ansible_collections.fateflow.ha.plugins.modules import fateflow_node

USER, PASSWORD = "fate", "zk-Secret1"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def fate_client(zookeeper):
    """A client that creates znodes the way FATE Flow does (its digest ACL on every node)."""
    client = KazooClient(hosts=zookeeper, default_acl=[make_digest_acl(USER, PASSWORD, all=True)],
                         auth_data=[("digest", "%s:%s" % (USER, PASSWORD))])
    client.start(timeout=10)
    yield client
    if client.exists(fn.REGISTRY_ROOT):
        client.delete(fn.REGISTRY_ROOT, recursive=True)
    client.stop()
    client.close()


class FlowAnswer(BaseHTTPRequestHandler):
    servers = []

    def do_GET(self):
        body = json.dumps({"code": 0, "message": "success", "data": {s: {} for s in type(self).servers}}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def flow_http():
    server = HTTPServer(("127.0.0.1", 0), FlowAnswer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def register(client, host, grpc_port, http_port, ephemeral=True):
    data = {"instance_id": fn.instance_id(host, http_port), "host": host, "grpc_port": grpc_port,
            "http_port": http_port, "version": "2.2.0", "timestamp": int(time.time() * 1000)}
    client.create(fn.znode_path(host, grpc_port), json.dumps(data).encode(), ephemeral=ephemeral, makepath=True)


def args(zookeeper, http_port, **extra):
    base = dict(host="127.0.0.1", http_port=http_port, grpc_port=19360, zookeeper_hosts=[zookeeper],
                zookeeper_user=USER, zookeeper_password=PASSWORD, timeout=3)
    base.update(extra)
    return base


def test_healthy_and_registered(run_module, zookeeper, fate_client, flow_http):
    FlowAnswer.servers = [fn.instance_id("127.0.0.1", flow_http), "flow-10.0.0.9-9380"]
    register(fate_client, "127.0.0.1", 19360, flow_http)
    result, failed = run_module(fateflow_node.main, args(zookeeper, flow_http))
    assert not failed, result
    assert result["changed"] is False
    assert result["servers"] == sorted(FlowAnswer.servers)
    assert result["znode"] == "/FATE-COMPONENTS/fate-flow/127.0.0.1%3A19360"


def test_not_listed_is_not_healthy(run_module, zookeeper, fate_client, flow_http, tmp_path):
    FlowAnswer.servers = ["flow-10.0.0.9-9380"]
    register(fate_client, "127.0.0.1", 19360, flow_http)
    log = tmp_path / "fate-fateflow.log"
    log.write_text("starting\nNoAuthError: not authorised\n")
    result, failed = run_module(fateflow_node.main, args(zookeeper, flow_http, log_files=[str(log)]))
    assert failed
    assert "does not list itself" in result["msg"]
    assert "NoAuthError: not authorised" in result["msg"]
    assert result["log_tail"][-1] == "NoAuthError: not authorised"


def test_missing_znode_is_not_healthy(run_module, zookeeper, fate_client, flow_http):
    FlowAnswer.servers = [fn.instance_id("127.0.0.1", flow_http)]
    result, failed = run_module(fateflow_node.main, args(zookeeper, flow_http))
    assert failed
    assert "znode /FATE-COMPONENTS/fate-flow/127.0.0.1%3A19360 is missing" in result["msg"]


def test_znode_of_another_host_is_not_ours(run_module, zookeeper, fate_client, flow_http):
    FlowAnswer.servers = [fn.instance_id("127.0.0.1", flow_http)]
    data = {"instance_id": "x", "host": "127.0.0.2", "grpc_port": 19360}
    fate_client.create(fn.znode_path("127.0.0.1", 19360), json.dumps(data).encode(), ephemeral=True, makepath=True)
    result, failed = run_module(fateflow_node.main, args(zookeeper, flow_http))
    assert failed and "carries host '127.0.0.2'" in result["msg"]


def test_mysql_unreachable_is_named(run_module, zookeeper, fate_client):
    down = free_port()
    result, failed = run_module(fateflow_node.main, args(zookeeper, down, database_host="127.0.0.1",
                                                          database_port=free_port()))
    assert failed
    assert "MySQL is unreachable from this node at 127.0.0.1:" in result["msg"]


def test_zookeeper_unreachable_is_named(run_module):
    result, failed = run_module(fateflow_node.main, args("127.0.0.1:%d" % free_port(), free_port()))
    assert failed
    assert result["msg"].startswith("ZooKeeper is unreachable at 127.0.0.1:")


def test_wrong_credential_is_named(run_module, zookeeper, fate_client, flow_http):
    FlowAnswer.servers = [fn.instance_id("127.0.0.1", flow_http)]
    register(fate_client, "127.0.0.1", 19360, flow_http)
    result, failed = run_module(fateflow_node.main, args(zookeeper, flow_http, zookeeper_password="wrong"))
    assert failed
    assert "check the FATE ZooKeeper credential" in result["msg"]


def test_unregistered_deletes_only_the_own_stale_znode(run_module, zookeeper, fate_client):
    register(fate_client, "127.0.0.1", 19360, 19380)
    register(fate_client, "10.0.0.9", 9360, 9380)
    own = fn.znode_path("127.0.0.1", 19360)

    check = dict(args(zookeeper, 19380, state="unregistered"), _ansible_check_mode=True)
    result, failed = run_module(fateflow_node.main, check)
    assert not failed and result["changed"] is True
    assert fate_client.exists(own)

    result, failed = run_module(fateflow_node.main, args(zookeeper, 19380, state="unregistered"))
    assert not failed and result["changed"] is True
    assert fate_client.exists(own) is None
    assert fate_client.exists(fn.znode_path("10.0.0.9", 9360))

    result, failed = run_module(fateflow_node.main, args(zookeeper, 19380, state="unregistered"))
    assert not failed and result["changed"] is False
