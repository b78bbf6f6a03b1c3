"""fateflow_node against a real ZooKeeper (digest ACL, as FATE Flow creates its znodes), an HTTP
endpoint that answers like FATE Flow 2.x's /v2/server/fateflow, and a real MariaDB for the login."""

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from kazoo.client import KazooClient
from kazoo.security import OPEN_ACL_UNSAFE, make_digest_acl

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
    body = None  # raw bytes to answer instead of the usual object

    def do_GET(self):
        cls = type(self)
        body = cls.body if cls.body is not None else json.dumps(
            {"code": 0, "message": "success", "data": {s: {} for s in cls.servers}}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def flow_http():
    FlowAnswer.body = None
    server = HTTPServer(("127.0.0.1", 0), FlowAnswer)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def register(client, host, grpc_port, http_port, ephemeral=True):
    data = {"instance_id": fn.instance_id(host, http_port), "host": host, "grpc_port": grpc_port,
            "http_port": http_port, "version": "2.2.0", "timestamp": int(time.time() * 1000)}
    client.create(fn.znode_path(host, grpc_port), json.dumps(data).encode(), ephemeral=ephemeral, makepath=True)


def args(zookeeper, http_port, **extra):
    base = dict(host="127.0.0.1", http_port=http_port, grpc_port=19360, hosts=[zookeeper],
                auth_credential="%s:%s" % (USER, PASSWORD), timeout=5, wait_timeout=3)
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
    assert (result["healthy"], result["answers"], result["lists_itself"], result["registered"]) == (True,) * 4
    assert result["registration"]["host"] == "127.0.0.1" and result["reason"] == ""


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
    started = time.monotonic()
    result, failed = run_module(fateflow_node.main, args("127.0.0.1:%d" % free_port(), free_port(), timeout=2))
    assert failed
    assert result["msg"].startswith("FATE Flow on 127.0.0.1 cannot be checked: Could not connect to ZooKeeper "
                                    "at 127.0.0.1:")
    assert time.monotonic() - started < 10


def test_wrong_credential_fails_at_once(run_module, zookeeper, fate_client, flow_http):
    FlowAnswer.servers = [fn.instance_id("127.0.0.1", flow_http)]
    register(fate_client, "127.0.0.1", 19360, flow_http)
    started = time.monotonic()
    result, failed = run_module(fateflow_node.main, args(zookeeper, flow_http, auth_credential="fate:wrong",
                                                          wait_timeout=60))
    assert failed
    assert result["msg"] == ("FATE Flow on 127.0.0.1 cannot be checked: Not allowed to read "
                             "/FATE-COMPONENTS/fate-flow/127.0.0.1%3A19360: the credential given lacks permission "
                             "there; check the FATE ZooKeeper credential (auth_credential).")
    assert time.monotonic() - started < 30, "a refusal does not heal by waiting"


def test_waits_until_registered(run_module, zookeeper, fate_client, flow_http):
    FlowAnswer.servers = [fn.instance_id("127.0.0.1", flow_http)]
    timer = threading.Timer(2.5, register, (fate_client, "127.0.0.1", 19360, flow_http))
    timer.start()
    try:
        result, failed = run_module(fateflow_node.main, args(zookeeper, flow_http, wait_timeout=20))
    finally:
        timer.cancel()
    assert not failed, result
    assert result["healthy"] and result["registered"] and result["reason"] == ""
    assert 2 <= result["elapsed"] < 20


def test_wait_timeout_bounds_the_wait(run_module, zookeeper, fate_client):
    down = free_port()
    started = time.monotonic()
    result, failed = run_module(fateflow_node.main, args(zookeeper, down, wait_timeout=4))
    took = time.monotonic() - started
    assert failed and "is not healthy after 4s: no answer on http://127.0.0.1:%d" % down in result["msg"]
    assert result["healthy"] is False and result["answers"] is False
    assert 4 <= took < 4 + 8


def test_anonymous_with_an_empty_credential(run_module, zookeeper, fate_client):
    """'' means anonymous: a world-readable znode is read without a credential."""
    fate_client.create(fn.znode_path("127.0.0.1", 19360), json.dumps({"host": "127.0.0.1"}).encode(),
                       acl=OPEN_ACL_UNSAFE, ephemeral=True, makepath=True)
    result, failed = run_module(fateflow_node.main, args(zookeeper, free_port(), auth_credential="", wait=False))
    assert not failed, result
    assert result["registered"] is True and result["registration"] == {"host": "127.0.0.1"}


# (id, servers listed, raw body, registration: None, "own" or another host; expected report, words in reason)
REPORTS = [
    ("healthy", ["OWN", "flow-10.0.0.9-9380"], None, "own",
     dict(healthy=True, answers=True, lists_itself=True, registered=True), None),
    ("answers-not-listed", ["flow-10.0.0.9-9380"], None, "own",
     dict(healthy=False, answers=True, lists_itself=False, registered=True), "does not list itself"),
    ("not-registered", ["OWN"], None, None,
     dict(healthy=False, answers=True, lists_itself=True, registered=False),
     "its znode /FATE-COMPONENTS/fate-flow/127.0.0.1%3A19360 is missing"),
    ("registered-as-another-host", ["OWN"], None, "127.0.0.2",
     dict(healthy=False, answers=True, lists_itself=True, registered=False), "carries host '127.0.0.2'"),
    ("no-answer", None, None, "own",
     dict(healthy=False, answers=False, lists_itself=False, registered=True), "no answer on http://127.0.0.1:"),
    ("json-not-an-object", [], b'["flow-127.0.0.1-9380"]', "own",
     dict(healthy=False, answers=False, lists_itself=False, registered=True), "JSON that is not an object"),
]


@pytest.mark.parametrize("servers, raw, registered_as, expected, words",
                         [case[1:] for case in REPORTS], ids=[case[0] for case in REPORTS])
def test_report_without_waiting(run_module, zookeeper, fate_client, flow_http, servers, raw, registered_as,
                                expected, words):
    port = flow_http if servers is not None else free_port()
    own = fn.instance_id("127.0.0.1", port)
    FlowAnswer.servers = [own if s == "OWN" else s for s in servers or []]
    FlowAnswer.body = raw
    if registered_as is not None:
        host = "127.0.0.1" if registered_as == "own" else registered_as
        data = {"instance_id": fn.instance_id(host, port), "host": host, "grpc_port": 19360, "http_port": port}
        fate_client.create(fn.znode_path("127.0.0.1", 19360), json.dumps(data).encode(), ephemeral=True,
                           makepath=True)
    started = time.monotonic()
    result, failed = run_module(fateflow_node.main, args(zookeeper, port, wait=False, wait_timeout=60))
    assert time.monotonic() - started < 15, "wait=false checks once"
    assert not failed, result
    assert result["changed"] is False
    assert {key: result[key] for key in expected} == expected
    assert (result["registration"] is None) == (registered_as is None)
    if registered_as is not None:
        assert result["registration"]["grpc_port"] == 19360
    if expected["healthy"]:
        assert result["reason"] == "" and result["servers"] == sorted(FlowAnswer.servers)
    else:
        assert words in result["reason"]
    assert "database_login" not in result


def test_report_when_zookeeper_is_unreachable(run_module, flow_http):
    FlowAnswer.servers = [fn.instance_id("127.0.0.1", flow_http)]
    result, failed = run_module(fateflow_node.main, args("127.0.0.1:%d" % free_port(), flow_http, wait=False,
                                                          timeout=2))
    assert not failed, result
    assert result["answers"] is True and result["registered"] is False and result["healthy"] is False
    assert result["reason"].startswith("Could not connect to ZooKeeper at 127.0.0.1:")


@pytest.mark.parametrize("password, database, ok, words", [
    ("RIGHT", "fate_flow", True, "logged in to MySQL at 127.0.0.1:PORT as fate (database fate_flow)"),
    ("RIGHT", None, True, "logged in to MySQL at 127.0.0.1:PORT as fate"),
    ("wrong-Secret9", "fate_flow", False, "Access denied for user 'fate'"),
    ("RIGHT", "no_such_db", False, "no_such_db"),
])
def test_report_logs_in_to_mysql(run_module, zookeeper, fate_client, flow_http, mariadb, password, database, ok,
                                 words):
    FlowAnswer.servers = [fn.instance_id("127.0.0.1", flow_http)]
    register(fate_client, "127.0.0.1", 19360, flow_http)
    password = mariadb.password if password == "RIGHT" else password
    result, failed = run_module(fateflow_node.main, args(
        zookeeper, flow_http, wait=False, database_host="127.0.0.1", database_port=mariadb.port,
        database_user=mariadb.user, database_password=password, database_name=database))
    assert not failed, result
    assert result["healthy"] is True, "the login is reported, not part of the node's health"
    assert result["database_login"]["ok"] is ok
    assert words.replace("PORT", str(mariadb.port)) in result["database_login"]["message"]
    assert password not in result["database_login"]["message"]


def test_report_names_mysql_that_does_not_answer(run_module, zookeeper, fate_client, flow_http):
    FlowAnswer.servers = [fn.instance_id("127.0.0.1", flow_http)]
    register(fate_client, "127.0.0.1", 19360, flow_http)
    down = free_port()
    result, failed = run_module(fateflow_node.main, args(
        zookeeper, flow_http, wait=False, database_host="127.0.0.1", database_port=down,
        database_user="fate", database_password="x-Secret1", database_name="fate_flow"))
    assert not failed
    assert result["database_login"]["ok"] is False
    assert result["database_login"]["message"].startswith("cannot log in to MySQL at 127.0.0.1:%d as fate" % down)


def test_database_user_needs_the_host(run_module, zookeeper):
    result, failed = run_module(fateflow_node.main, args(zookeeper, free_port(), database_user="fate"))
    assert failed and "database_host" in result["msg"]


@pytest.mark.parametrize("host", ["0.0.0.0", "", "10.0.0.1:9380"])
def test_bad_host_refused(run_module, zookeeper, host):
    result, failed = run_module(fateflow_node.main, args(zookeeper, free_port(), host=host))
    assert failed and result["msg"].startswith("host "), result["msg"]


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


@pytest.mark.parametrize("extra, words", [
    ({"grpc_port": 0}, "grpc_port must be a TCP port"),
    ({"grpc_port": 65536}, "grpc_port must be a TCP port"),
    ({"database_host": "db", "database_port": 99999}, "database_port must be a TCP port"),
    ({"database_host": "db b"}, "database_host is refused"),
    ({"flow_version": "3.0"}, "flow_version must be a FATE Flow version"),
    ({"flow_version": "latest"}, "flow_version must be a FATE Flow version"),
    ({"wait_timeout": -1}, "wait_timeout must be at least 0"),
    ({"timeout": 0}, "timeout must be above 0"),
    ({"timeout": "nan"}, "timeout must be a finite number"),
    ({"hosts": []}, "hosts is empty"),
    ({"hosts": ["zk1:2181,zk2:0"]}, "hosts[0] is refused"),
    ({"log_files": ["/var/log/x\x00"]}, "log_files[0] holds a NUL"),
    ({"database_host": "db", "database_user": "fate\n"}, "database_user holds a line break"),
])
def test_options_refused_naming_the_option(run_module, zookeeper, extra, words):
    result, failed = run_module(fateflow_node.main, args(zookeeper, free_port(), **extra))
    assert failed and result["msg"].startswith(words), result["msg"]


@pytest.mark.parametrize("body, words", [
    (b"[" * 100000, "not JSON"),  # nested beyond the parser's recursion: a crash before
    (b'{"code": true}', "answered code True"),
    (b'{"code": 0, "data": [1, 2]}', "does not list itself"),
])
def test_odd_answers_are_reasons_not_crashes(run_module, zookeeper, flow_http, body, words):
    FlowAnswer.body = body
    result, failed = run_module(fateflow_node.main, args(zookeeper, flow_http, wait=False))
    assert not failed, result
    assert not result["healthy"] and words in result["reason"], result["reason"]


# The session opens at once here: the checks' share is the bound (timeout, or wait_timeout).
@pytest.mark.parametrize("wait, limit", [(False, 6), (True, 4)])
def test_a_trickling_node_cannot_stretch_the_timeout(run_module, zookeeper, wait, limit):
    # Regression: a node sending a byte every half second kept every read under the socket timeout,
    # so timeout 6 took a minute; now the whole call stays within timeout (or wait_timeout).
    from ansible_collections.fateflow.ha.tests.support.slow_socket import SlowSocketServer, timed
    with SlowSocketServer(interval=0.5) as node:
        extra = dict(wait=wait, timeout=6) if not wait else dict(wait=True, timeout=2, wait_timeout=4)
        (result, failed), seconds = timed(run_module, fateflow_node.main, args(zookeeper, node.port, **extra))
    assert not result["healthy"]
    assert "no complete answer from http://127.0.0.1:%d within" % node.port in result["reason"]
    # ZooKeeper probes of a failed wait take at most 3 s more (they answer at once here).
    assert seconds < limit + 1.0, seconds
