"""What the Flow node checks read: znode paths, instance ids, the health answer, log tails."""

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from ansible_collections.fateflow.ha.plugins.module_utils import fateflow_node as fn


@pytest.mark.parametrize(
    "host, port, expected",
    [
        ("10.0.0.2", 9360, "/FATE-COMPONENTS/fate-flow/10.0.0.2%3A9360"),
        ("flow-a.example", 19360, "/FATE-COMPONENTS/fate-flow/flow-a.example%3A19360"),
        ("fe80::1", 9360, "/FATE-COMPONENTS/fate-flow/fe80%3A%3A1%3A9360"),
    ],
)
def test_znode_path_quotes_like_fate(host, port, expected):
    assert fn.znode_path(host, port) == expected


def test_instance_id():
    assert fn.instance_id("10.0.0.2", 9380) == "flow-10.0.0.2-9380"


@pytest.mark.parametrize("version, major", [("2", 2), ("2.2.0", 2), ("v1.11.2", 1), ("1", 1), (" 1.10 ", 1)])
def test_major_version(version, major):
    assert fn.major_version(version) == major


@pytest.mark.parametrize("data, expected", [
    (b'{"host": "10.0.0.2", "grpc_port": 9360}', {"host": "10.0.0.2", "grpc_port": 9360}),
    (b"", {}),
    (None, {}),
    (b"garbage", {}),
    (b"[1, 2]", {}),
])
def test_decode_registration(data, expected):
    assert fn.decode_registration(data) == expected


class Answer(BaseHTTPRequestHandler):
    body = {}

    def _reply(self):
        body = type(self).body
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = _reply
    do_POST = _reply

    def log_message(self, *args):
        pass


@pytest.fixture
def flow_http():
    server = HTTPServer(("127.0.0.1", 0), Answer)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(
    "major, body, ok, servers",
    [
        (2, {"code": 0, "data": {"flow-127.0.0.1-1": {}, "flow-10.0.0.3-9380": {}}}, True,
         ["flow-10.0.0.3-9380", "flow-127.0.0.1-1"]),
        (2, {"code": 0, "data": {}}, True, []),
        # FATE answers errors with HTTP 200 and a non-zero code: that is not healthy.
        (2, {"code": 100, "message": "db error"}, False, []),
        (1, {"retcode": 0, "data": {"FATE": "1.11.2"}}, True, []),
        (1, {"retcode": 500, "retmsg": "x"}, False, []),
        (2, [0], False, []),
        (2, b"<html>bad gateway</html>", False, []),
        (2, {"code": 0, "data": ["flow-127.0.0.1-1"]}, True, []),
    ],
)
def test_health_reads_the_body(flow_http, major, body, ok, servers):
    Answer.body = body
    got_ok, got_servers, reason = fn.health("127.0.0.1", flow_http.server_address[1], major)
    assert (got_ok, got_servers) == (ok, servers)
    assert ok or reason


def test_health_without_server():
    with HTTPServer(("127.0.0.1", 0), Answer) as server:
        port = server.server_address[1]
    ok, _, reason = fn.health("127.0.0.1", port, 2, timeout=1)
    assert not ok and "no answer" in reason


def test_log_tail_takes_first_non_empty(tmp_path):
    empty = tmp_path / "ERROR.log"
    empty.write_text("")
    log = tmp_path / "stdout.log"
    log.write_text("".join("line %d\n" % i for i in range(100)))
    path, tail = fn.log_tail([str(tmp_path / "missing.log"), str(empty), str(log)], lines=3)
    assert path == str(log)
    assert tail.splitlines() == ["line 97", "line 98", "line 99"]
    assert fn.log_tail([str(tmp_path / "missing.log")]) == (None, "")


OWN = "127.0.0.1"


def reader(data=None, error=None):
    def read(path, timeout):
        assert path == fn.znode_path(OWN, 9360) and timeout > 0
        if error:
            raise fn.RegistryError(error)
        return data
    return read


OWN_DATA = {"host": OWN, "grpc_port": 9360, "http_port": 0}

# (id, major, health answer, registration reader, healthy, answers, lists_itself, registered, words in reason)
REPORTS = [
    ("healthy-2", 2, {"code": 0, "data": {"OWN": {}}}, reader(OWN_DATA), True, True, True, True, None),
    ("healthy-1", 1, {"retcode": 0}, reader(OWN_DATA), True, True, None, True, None),
    ("not-listed", 2, {"code": 0, "data": {"flow-10.0.0.9-9380": {}}}, reader(OWN_DATA),
     False, True, False, True, "does not list itself"),
    ("code-not-0", 2, {"code": 100, "message": "db error"}, reader(OWN_DATA),
     False, False, False, True, "answered code 100: db error"),
    ("not-an-object", 2, [1], reader(OWN_DATA), False, False, False, True, "JSON that is not an object"),
    ("not-registered", 2, {"code": 0, "data": {"OWN": {}}}, reader(None),
     False, True, True, False, "is missing"),
    ("other-host", 2, {"code": 0, "data": {"OWN": {}}}, reader(dict(OWN_DATA, host="10.0.0.9")),
     False, True, True, False, "carries host '10.0.0.9'"),
    ("other-grpc-port", 2, {"code": 0, "data": {"OWN": {}}}, reader(dict(OWN_DATA, grpc_port=9361)),
     False, True, True, False, "carries grpc_port 9361"),
    ("registry-unreadable", 2, {"code": 0, "data": {"OWN": {}}}, reader(error="Not allowed to read it"),
     False, True, True, False, "Not allowed to read it"),
    ("everything-wrong", 2, {"code": 0, "data": {}}, reader(None),
     False, True, False, False, "does not list itself (flow-127.0.0.1-PORT) among no servers; its znode"),
]


@pytest.mark.parametrize("major, body, read, healthy, answers, lists_itself, registered, words",
                         [case[1:] for case in REPORTS], ids=[case[0] for case in REPORTS])
def test_node_report(flow_http, major, body, read, healthy, answers, lists_itself, registered, words):
    port = flow_http.server_address[1]
    own = fn.instance_id(OWN, port)
    if isinstance(body, dict) and "OWN" in (body.get("data") or {}):
        body = dict(body, data={own: {}})
    Answer.body = body
    report = fn.node_report(OWN, port, 9360, major, read, timeout=2)
    assert set(report) == {"healthy", "answers", "lists_itself", "registered", "registration", "servers", "reason"}
    assert (report["healthy"], report["answers"], report["lists_itself"], report["registered"]) == (
        healthy, answers, lists_itself, registered)
    if healthy:
        assert report["reason"] == ""
    else:
        assert words.replace("PORT", str(port)) in report["reason"]
    assert report["reason"].count(". ") == 0, "one sentence"


def test_node_report_without_server():
    with HTTPServer(("127.0.0.1", 0), Answer) as server:
        port = server.server_address[1]
    report = fn.node_report(OWN, port, 9360, 2, reader(None), timeout=1)
    assert not report["answers"] and report["lists_itself"] is False and report["servers"] == []
    assert report["reason"].startswith("no answer on http://127.0.0.1:%d" % port)


def test_health_brackets_ipv6(monkeypatch):
    urls = []

    def fake_open_url(url, **kwargs):
        urls.append(url)
        raise OSError("refused")

    monkeypatch.setattr(fn, "open_url", fake_open_url)
    fn.health("fd00::1", 9380, 2)
    assert urls == ["http://[fd00::1]:9380/v2/server/fateflow"]


def test_database_login_without_pymysql(monkeypatch):
    monkeypatch.setattr(fn, "HAS_PYMYSQL", False)
    login = fn.database_login("10.0.0.1", 3306, "fate", "s3cret", "fate_flow")
    assert login["ok"] is False
    assert "PyMySQL is not installed" in login["message"] and "s3cret" not in login["message"]


def test_database_login_message_hides_the_password(monkeypatch):
    class Refusing:
        @staticmethod
        def connect(**kwargs):
            raise RuntimeError(1045, "Access denied for user 'fate' (password %s)" % kwargs["password"])

    monkeypatch.setattr(fn, "pymysql", Refusing, raising=False)
    monkeypatch.setattr(fn, "HAS_PYMYSQL", True)
    login = fn.database_login("10.0.0.1", 3306, "fate", "s3cret")
    assert login == {"ok": False, "message": "cannot log in to MySQL at 10.0.0.1:3306 as fate: "
                                             "Access denied for user 'fate' (password ********) (error 1045)"}
