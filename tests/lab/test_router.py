"""lab/router.py, the lab's rollsite, between real gRPC servers on loopback.

The router runs as its own process, as on the lab; the upstreams are real gRPC servers that play FATE
Flow's side of `DataTransferService/unaryCall` (they record what they got and answer a packet). The
message classes are FATE Flow 2.2.0's own (`fate_flow.proto.rollsite`), taken from its wheel: the one
the lab's wheelhouse holds, else one `pip download` into ~/.cache/fateflow-ha/.
"""

import glob
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import zipfile
from concurrent import futures

import grpc
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ROUTER = os.path.join(ROOT, "lab", "router.py")
CACHE = os.path.expanduser("~/.cache/fateflow-ha")
FLOW_WHEEL = "fate_flow-2.2.0-py3-none-any.whl"
# eggroll's own sample table: FederatedAI/eggroll conf/route_table.json, kept byte for byte (origin in
# tests/unit/fixtures/route_table/README.md).
EGGROLL_SAMPLE = os.path.join(ROOT, "tests", "unit", "fixtures", "route_table", "eggroll-conf.json")


def flow_wheel():
    found = sorted(glob.glob(os.path.join(CACHE, "wheelhouse", "2.2.0", "flow-*", FLOW_WHEEL)))
    if found:
        return found[0]
    wheel = os.path.join(CACHE, FLOW_WHEEL)
    if not os.path.exists(wheel):
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", CACHE, "fate-flow==2.2.0"],
                       check=True)
    return wheel


@pytest.fixture(scope="session")
def flow_path(tmp_path_factory):
    """A directory holding FATE Flow's rollsite message classes (only those files of its wheel)."""
    target = tmp_path_factory.mktemp("fate_flow_rollsite")
    wanted = ("fate_flow/__init__.py", "fate_flow/_info.py", "fate_flow/proto/")
    with zipfile.ZipFile(flow_wheel()) as wheel:
        wheel.extractall(target, [name for name in wheel.namelist() if name.startswith(wanted)])
    if str(target) not in sys.path:
        sys.path.insert(0, str(target))
    return str(target)


@pytest.fixture(scope="session")
def pb(flow_path):
    # In FATE Flow's own order (grpc_utils): proxy_pb2 needs basic_meta_pb2, which proxy_pb2_grpc loads.
    from fate_flow.proto.rollsite import proxy_pb2_grpc, proxy_pb2  # noqa: I001

    return proxy_pb2, proxy_pb2_grpc


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def endpoint(port, ip="127.0.0.1"):
    return [{"ip": ip, "port": port, "is_secure": False}]


def packet(pb, dst_party, role="fateflow", src_party="9999", job="202612041200000000001", url="/v2/partner/job/create",
           body=None, timeout_ms=30000):
    """A packet as FATE Flow's grpc_utils.wrap_grpc_packet builds it."""
    proxy_pb2 = pb[0]
    headers = json.dumps({"initiator_party_id": src_party})
    return proxy_pb2.Packet(
        header=proxy_pb2.Metadata(
            src=proxy_pb2.Topic(name=job, partyId=src_party, role=role),
            dst=proxy_pb2.Topic(name=job, partyId=dst_party, role=role),
            task=proxy_pb2.Task(taskId=job, model=proxy_pb2.Model(name="headers", dataKey=headers)),
            command=proxy_pb2.Command(name=url), operator="POST", conf=proxy_pb2.Conf(overallTimeout=timeout_ms)),
        body=proxy_pb2.Data(key=url, value=json.dumps(body or {"job_id": job}).encode()))


class Upstream:
    """A real gRPC server playing FATE Flow's UnaryService: records each packet, answers one."""

    def __init__(self, pb, name, delay=0.0, port=0):
        proxy_pb2, proxy_pb2_grpc = pb
        self.name = name
        self.delay = delay
        self.received = []
        self._lock = threading.Lock()
        upstream = self

        class Service(proxy_pb2_grpc.DataTransferServiceServicer):
            def unaryCall(self, request, context):
                with upstream._lock:
                    upstream.received.append((request, tuple(context.invocation_metadata())))
                time.sleep(upstream.delay)
                context.set_trailing_metadata((("service", "fateflow"),))
                answer = {"code": 0, "upstream": upstream.name, "url": request.body.key,
                          "echo": json.loads(request.body.value)}
                header = proxy_pb2.Metadata(src=request.header.dst, dst=request.header.src, task=request.header.task,
                                            operator=request.header.operator)
                return proxy_pb2.Packet(header=header, body=proxy_pb2.Data(key=request.body.key,
                                                                           value=json.dumps(answer).encode()))

        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=32))
        proxy_pb2_grpc.add_DataTransferServiceServicer_to_server(Service(), self.server)
        self.port = self.server.add_insecure_port("127.0.0.1:%d" % port)
        assert self.port, "port %d is taken" % port
        self.server.start()

    def stop(self):
        self.server.stop(0).wait()


class Router:
    """lab/router.py in its own process; its stdout lines collected."""

    def __init__(self, flow_path, table, party):
        self.port = free_port()
        self.lines = []
        self._seen = threading.Condition()
        env = dict(os.environ, PYTHONPATH=flow_path)
        self.process = subprocess.Popen(
            [sys.executable, ROUTER, "--table", str(table), "--host", "127.0.0.1", "--port", str(self.port),
             "--party-id", party], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        threading.Thread(target=self._read, daemon=True).start()
        self.wait_for("listening on")

    def _read(self):
        for line in self.process.stdout:
            with self._seen:
                self.lines.append(line.rstrip("\n"))
                self._seen.notify_all()

    def wait_for(self, *texts, timeout=15.0):
        """Return the first line holding every text; fail after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with self._seen:
            while True:
                for line in self.lines:
                    if all(text in line for text in texts):
                        return line
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise AssertionError("no line with %s; the router said:\n%s" % (texts, "\n".join(self.lines)))
                self._seen.wait(0.2)

    def stub(self, pb):
        channel = grpc.insecure_channel("127.0.0.1:%d" % self.port)
        return channel, pb[1].DataTransferServiceStub(channel)

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def lab(pb, flow_path, tmp_path):
    """Start upstreams and routers; everything is stopped at the end."""
    made = []

    class Lab:
        @staticmethod
        def upstream(name, **kwargs):
            made.append(Upstream(pb, name, **kwargs))
            return made[-1]

        @staticmethod
        def table(name, routes, permission=None):
            path = tmp_path / name
            doc = {"route_table": routes, "permission": permission or {"default_allow": True}}
            path.write_text(json.dumps(doc, indent=2))
            return path

        @staticmethod
        def router(table, party="9999"):
            made.append(Router(flow_path, table, party))
            return made[-1]

    yield Lab
    for thing in reversed(made):
        thing.stop()


def call(pb, router, dst_party, role="fateflow", metadata=(), timeout=15, **kwargs):
    channel, stub = router.stub(pb)
    try:
        answer, _ = stub.unaryCall.with_call(packet(pb, dst_party, role, **kwargs), metadata=metadata, timeout=timeout)
        return json.loads(answer.body.value)
    finally:
        channel.close()


def call_error(pb, router, dst_party, role="fateflow", **kwargs):
    with pytest.raises(grpc.RpcError) as caught:
        call(pb, router, dst_party, role, **kwargs)
    return caught.value


def test_routes_by_role_then_party_default(pb, lab):
    flow, other = lab.upstream("flow"), lab.upstream("other")
    router = lab.router(lab.table("rt.json", {"10000": {"fateflow": endpoint(flow.port), "default": endpoint(other.port)}}))
    assert call(pb, router, "10000", "fateflow")["upstream"] == "flow"
    assert call(pb, router, "10000", "eggroll")["upstream"] == "other"
    line = router.wait_for("outcome=OK", "dst=10000/eggroll")
    assert "route=10000/default" in line and "endpoint=127.0.0.1:%d" % other.port in line


def test_table_default_only_for_a_party_not_in_the_table(pb, lab):
    party, fallback, fallback_flow = lab.upstream("party"), lab.upstream("fallback"), lab.upstream("fallback-flow")
    router = lab.router(lab.table("rt.json", {
        "10000": {"eggroll": endpoint(party.port)},
        "default": {"fateflow": endpoint(fallback_flow.port), "default": endpoint(fallback.port)}}))
    assert call(pb, router, "10001", "fateflow")["upstream"] == "fallback-flow"
    assert call(pb, router, "10001", "eggroll")["upstream"] == "fallback"
    # As eggroll's Router.query: a party in the table without the role nor "default" has no route.
    error = call_error(pb, router, "10000", "fateflow")
    assert error.code() == grpc.StatusCode.NOT_FOUND
    assert "party 10000 role fateflow" in error.details() and "route_table.10000" in error.details()
    assert party.received == []


def test_no_route_names_party_and_role(pb, lab):
    flow = lab.upstream("flow")
    router = lab.router(lab.table("rt.json", {"10000": {"fateflow": endpoint(flow.port)}}))
    error = call_error(pb, router, "10002", "fateflow")
    assert error.code() == grpc.StatusCode.NOT_FOUND
    assert "party 10002 role fateflow" in error.details()
    assert "outcome=NOT_FOUND" in router.wait_for("dst=10002/fateflow")
    assert flow.received == []


def test_default_allow_false_turns_the_defaults_off(pb, lab):
    flow = lab.upstream("flow")
    router = lab.router(lab.table("rt.json", {"10000": {"default": endpoint(flow.port)},
                                              "default": {"default": endpoint(flow.port)}},
                                  permission={"default_allow": False}))
    for party, role in (("10000", "fateflow"), ("10001", "default-party")):
        error = call_error(pb, router, party, role)
        assert error.code() == grpc.StatusCode.NOT_FOUND
        assert "party %s role %s" % (party, role) in error.details() and "default_allow is false" in error.details()
    assert flow.received == []


def test_only_the_first_endpoint_of_a_list_is_used(pb, lab):
    first, second = lab.upstream("first"), lab.upstream("second")
    router = lab.router(lab.table("rt.json", {"10000": {"fateflow": endpoint(first.port) + endpoint(second.port)}}))
    for job in range(10):
        assert call(pb, router, "10000", job=str(job))["upstream"] == "first"
    assert second.received == []


def test_unreachable_endpoint_names_it(pb, lab):
    closed = free_port()
    router = lab.router(lab.table("rt.json", {"10000": {"fateflow": endpoint(closed)}}))
    error = call_error(pb, router, "10000")
    assert error.code() == grpc.StatusCode.UNAVAILABLE
    assert "party 10000 role fateflow" in error.details() and "127.0.0.1:%d" % closed in error.details()


def test_route_to_itself_is_refused(pb, lab):
    flow = lab.upstream("flow")
    table = lab.table("rt.json", {"10000": {"fateflow": endpoint(flow.port)}})
    router = lab.router(table)
    lab.table("rt.json", {"10000": {"fateflow": endpoint(router.port)}})
    router.wait_for("loaded", timeout=5)
    error = call_error(pb, router, "10000")
    assert error.code() == grpc.StatusCode.UNIMPLEMENTED
    assert "points at this rollsite itself (127.0.0.1:%d)" % router.port in error.details()
    assert flow.received == []


def test_upstream_back_is_reached_within_a_second(pb, lab):
    port = free_port()
    router = lab.router(lab.table("rt.json", {"10000": {"fateflow": endpoint(port)}}))
    for _ in range(6):
        assert call_error(pb, router, "10000").code() == grpc.StatusCode.UNAVAILABLE
        time.sleep(0.5)
    lab.upstream("back", port=port)
    back = time.monotonic()
    while True:
        try:
            assert call(pb, router, "10000")["upstream"] == "back"
            break
        except grpc.RpcError:
            assert time.monotonic() - back < 1.5, "the upstream was back, the router still refused after 1.5 s"
            time.sleep(0.1)


def test_two_routers_chained_keep_body_and_metadata(pb, lab):
    flow = lab.upstream("flow-10000")
    party_b = lab.router(lab.table("b.json", {"10000": {"fateflow": endpoint(flow.port)}}), party="10000")
    party_a = lab.router(lab.table("a.json", {"9999": {"fateflow": endpoint(free_port())},
                                              "10000": {"default": endpoint(party_b.port)}}), party="9999")
    sent = packet(pb, "10000", body={"job_id": "j1", "roles": {"guest": ["9999"], "host": ["10000"]}}, job="j1")
    # What FATE Flow's client sends along (ofx gen_routing_metadata), and a binary header.
    metadata = (("service", "fateflow"), ("src-party-id", "9999"), ("dest-party-id", "10000"), ("trace-bin", b"\x00\x01"))
    channel, stub = party_a.stub(pb)
    try:
        answer, call_ = stub.unaryCall.with_call(sent, metadata=metadata, timeout=15)
    finally:
        channel.close()
    assert json.loads(answer.body.value)["echo"] == {"job_id": "j1", "roles": {"guest": ["9999"], "host": ["10000"]}}
    assert answer.header.dst.partyId == "9999"
    assert ("service", "fateflow") in tuple(call_.trailing_metadata())
    (got, got_metadata), = flow.received
    assert got.SerializeToString() == sent.SerializeToString()
    for pair in metadata:
        assert pair in got_metadata
    for router, route in ((party_a, "10000/default"), (party_b, "10000/fateflow")):
        line = router.wait_for("job=j1", "outcome=OK")
        assert "src=9999" in line and "dst=10000/fateflow" in line and "route=%s" % route in line
        assert "url=/v2/partner/job/create" in line and " ms=" in line


def test_table_change_picked_up_within_2s(pb, lab):
    old, new = lab.upstream("old"), lab.upstream("new")
    table = lab.table("rt.json", {"10000": {"fateflow": endpoint(old.port)}})
    router = lab.router(table)
    assert call(pb, router, "10000")["upstream"] == "old"
    lab.table("rt.json", {"10000": {"fateflow": endpoint(new.port)}})
    changed = time.monotonic()
    while call(pb, router, "10000")["upstream"] != "new":
        assert time.monotonic() - changed < 2.0, "the new table was not used within 2 s"
        time.sleep(0.05)
    router.wait_for("loaded", "parties 10000")


BROKEN_TABLES = {
    "invalid JSON": ('{"route_table": {"10000": {"fateflow": [{"ip": "127.0.0.1", "port": 1}]}}', "invalid JSON"),
    "duplicate key": ('{"route_table": {"10000": {"fateflow": [{"ip": "127.0.0.1", "port": 1}], '
                      '"fateflow": [{"ip": "127.0.0.1", "port": 2}]}}}', 'duplicate key "fateflow"'),
    "no route_table": ('{"permission": {"default_allow": true}}', "no route_table"),
    "string port": ('{"route_table": {"10000": {"fateflow": [{"ip": "127.0.0.1", "port": "9370"}]}}}',
                    'route_table.10000.fateflow[0] has a bad port "9370"'),
    "port out of range": ('{"route_table": {"10000": {"fateflow": [{"ip": "127.0.0.1", "port": 70000}]}}}',
                          "route_table.10000.fateflow[0] has a bad port 70000"),
    "no ip": ('{"route_table": {"10000": {"fateflow": [{"port": 9370}]}}}', "route_table.10000.fateflow[0] has no ip"),
}


@pytest.mark.parametrize("case", sorted(BROKEN_TABLES))
def test_broken_table_refused_last_good_kept(pb, lab, case):
    text, problem = BROKEN_TABLES[case]
    flow = lab.upstream("flow")
    table = lab.table("rt.json", {"10000": {"fateflow": endpoint(flow.port)}})
    router = lab.router(table)
    table.write_text(text)
    line = router.wait_for("refused, keeping the last good one", timeout=5)
    assert problem in line and str(table) in line
    assert call(pb, router, "10000")["upstream"] == "flow"
    time.sleep(1.5)
    assert sum("refused, keeping" in line for line in router.lines) == 1, "a refusal is logged once"


@pytest.mark.parametrize("case", sorted(BROKEN_TABLES) + ["missing file"])
def test_start_with_a_broken_table_exits_non_zero(flow_path, tmp_path, case):
    table = tmp_path / "route_table.json"
    if case == "missing file":
        problem = "No such file or directory"
    else:
        text, problem = BROKEN_TABLES[case]
        table.write_text(text)
    proc = subprocess.run([sys.executable, ROUTER, "--table", str(table), "--port", str(free_port())],
                          capture_output=True, text=True, timeout=30, env=dict(os.environ, PYTHONPATH=flow_path))
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and str(table) in lines[0] and problem in lines[0], proc.stderr


def test_eggroll_sample_table_loads_and_routes(pb, lab):
    try:
        first, second = lab.upstream("10001", port=9395), lab.upstream("10002", port=9396)
    except (AssertionError, RuntimeError) as err:
        pytest.fail("the sample routes to 127.0.0.1:9395 and :9396, which must be free here: %s" % err)
    router = lab.router(EGGROLL_SAMPLE)
    assert call(pb, router, "10001", "fateflow")["upstream"] == "10001"
    assert call(pb, router, "10002", "fateflow")["upstream"] == "10002"
    assert call_error(pb, router, "10003").code() == grpc.StatusCode.NOT_FOUND
    assert first.port == 9395 and second.port == 9396


def test_slow_upstream_bounded_by_the_callers_deadline(pb, lab):
    slow = lab.upstream("slow", delay=5.0)
    router = lab.router(lab.table("rt.json", {"10000": {"fateflow": endpoint(slow.port)}}))
    started = time.monotonic()
    error = call_error(pb, router, "10000", timeout=0.8)
    took = time.monotonic() - started
    assert error.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert "127.0.0.1:%d" % slow.port in error.details() and "party 10000 role fateflow" in error.details()
    assert 0.5 < took < 2.5, took
    assert "outcome=DEADLINE_EXCEEDED" in router.wait_for("dst=10000/fateflow")


def test_overall_timeout_in_seconds_does_not_cut_the_call(pb, lab):
    """FATE Flow 2.x's scheduler writes overallTimeout=10 meaning 10 s; eggroll's field is ms."""
    flow = lab.upstream("flow", delay=0.3)
    router = lab.router(lab.table("rt.json", {"10000": {"fateflow": endpoint(flow.port)}}))
    assert call(pb, router, "10000", timeout_ms=10, timeout=10)["upstream"] == "flow"


def test_concurrent_burst_all_answered(pb, lab):
    flow = lab.upstream("flow", delay=0.01)
    party_b = lab.router(lab.table("b.json", {"10000": {"fateflow": endpoint(flow.port)}}), party="10000")
    party_a = lab.router(lab.table("a.json", {"10000": {"default": endpoint(party_b.port)}}))
    channel, stub = party_a.stub(pb)

    def one(number):
        answer = stub.unaryCall(packet(pb, "10000", job="job%03d" % number, body={"n": number}), timeout=30)
        return json.loads(answer.body.value)["echo"]["n"]

    started = time.monotonic()
    try:
        with futures.ThreadPoolExecutor(max_workers=20) as pool:
            answers = list(pool.map(one, range(200)))
    finally:
        channel.close()
    print("200 calls through two routers from 20 threads: %.2f s" % (time.monotonic() - started))
    assert answers == list(range(200))
    assert len(flow.received) == 200


def test_sigterm_finishes_the_call_in_flight(pb, lab):
    slow = lab.upstream("slow", delay=1.5)
    router = lab.router(lab.table("rt.json", {"10000": {"fateflow": endpoint(slow.port)}}))
    result = {}
    thread = threading.Thread(target=lambda: result.update(answer=call(pb, router, "10000")))
    thread.start()
    deadline = time.monotonic() + 5
    while not slow.received:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    router.process.send_signal(signal.SIGTERM)
    thread.join(10)
    assert result["answer"]["upstream"] == "slow"
    assert router.process.wait(timeout=10) == 0
    router.wait_for("stopped")
