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


@pytest.mark.parametrize("endpoint, host, port", [("10.0.0.1:2182", "10.0.0.1", 2182), ("zk1", "zk1", 2181)])
def test_split_endpoint(endpoint, host, port):
    assert fn.split_endpoint(endpoint, 2181) == (host, port)


class Answer(BaseHTTPRequestHandler):
    body = {}

    def _reply(self):
        data = json.dumps(type(self).body).encode()
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
    thread = threading.Thread(target=server.serve_forever, daemon=True)
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
