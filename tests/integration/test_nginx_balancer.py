"""The nginx role's configuration, rendered by Ansible and served by a real nginx on loopback.

Two stand-in FATE Flow nodes (HTTP + gRPC) on free loopback ports; nginx runs in the foreground
from the role's template. Covers what needs no second host: balancing, the refused endpoints and
their encoded variants, server_tokens, failover on a refused connection, the access log, drain
by reload. Failover on a dark link is in the molecule scenario `nginx` (it needs a lab host).
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
import http.client

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ROLE = os.path.join(ROOT, "roles", "nginx")
FAKE_FLOW = os.path.join(ROOT, "extensions", "molecule", "nginx", "files", "fake_flow.py")
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
SYSTEM_PYTHON = "/usr/bin/python3"
BIN = os.path.dirname(sys.executable)

pytestmark = [
    pytest.mark.skipif(not os.path.exists(NGINX), reason="nginx is not installed"),
    pytest.mark.skipif(os.geteuid() != 0, reason="nginx workers switch user: run as root"),
]


def free_ports(count):
    """COUNT distinct free loopback ports (all held open until every one is chosen)."""
    socks = [socket.socket() for _ in range(count)]
    try:
        for sock in socks:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in socks]
    finally:
        for sock in socks:
            sock.close()


def wait_port(port, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError("nothing listens on 127.0.0.1:%d" % port)


class Balancer:
    def __init__(self, tmp):
        self.tmp = tmp
        ports = free_ports(6)
        self.http_port, self.grpc_port = ports[:2]
        self.nodes = {"flow1": {"http": ports[2], "grpc": ports[3]}, "flow2": {"http": ports[4], "grpc": ports[5]}}
        self.procs = {}
        self.nginx = None

    # ---- the rendered configuration -----------------------------------
    def render(self, **extra_vars):
        inventory = {"all": {"children": {"fateflow": {"hosts": {
            name: {"ansible_host": "127.0.0.1", "nginx_fateflow_node_http_port": ports["http"],
                   "nginx_fateflow_node_grpc_port": ports["grpc"]}
            for name, ports in self.nodes.items()}}},
            "hosts": {"lb": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}}}}
        variables = {
            "nginx_fateflow_conf_dir": str(self.tmp),
            "nginx_fateflow_log_dir": str(self.tmp),
            "nginx_fateflow_state_dir": str(self.tmp / "state"),
            "nginx_fateflow_pid_file": str(self.tmp / "nginx.pid"),
            "nginx_fateflow_worker_user": "root",
            "nginx_fateflow_worker_processes": "2",
            "nginx_fateflow_listen_address": "127.0.0.1",
            "party_nginx_http_port": self.http_port,
            "party_nginx_grpc_port": self.grpc_port,
        }
        variables.update(extra_vars)
        (self.tmp / "inventory.json").write_text(json.dumps(inventory))
        (self.tmp / "vars.json").write_text(json.dumps(variables))
        (self.tmp / "render.yml").write_text(textwrap.dedent("""\
            - name: Render the nginx role's configuration
              hosts: lb
              gather_facts: false
              vars_files:
                - %s/roles/party/defaults/main.yml
                - %s/defaults/main.yml
                - %s/vars/main.yml
              tasks:
                - name: Write the configuration, tested by nginx first
                  ansible.builtin.template:
                    src: %s/templates/nginx.conf.j2
                    dest: "{{ nginx_fateflow_conf_dir }}/nginx.conf"
                    mode: "0644"
                    validate: nginx -t -q -c %%s
            """ % (ROOT, ROLE, ROLE, ROLE)))
        os.makedirs(self.tmp / "state", exist_ok=True)
        # A configuration of its own, whatever the checkout's ansible.cfg adds.
        (self.tmp / "ansible.cfg").write_text("[defaults]\n")
        env = dict(os.environ, ANSIBLE_CONFIG=str(self.tmp / "ansible.cfg"), ANSIBLE_NOCOLOR="1",
                   ANSIBLE_RETRY_FILES_ENABLED="0",
                   ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".cache", "collections"))
        proc = subprocess.run(
            [os.path.join(BIN, "ansible-playbook"), "-i", str(self.tmp / "inventory.json"),
             "-e", "@" + str(self.tmp / "vars.json"), str(self.tmp / "render.yml")],
            capture_output=True, text=True, env=env, check=False)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        return (self.tmp / "nginx.conf").read_text()

    # ---- processes ------------------------------------------------------
    def start_node(self, name):
        ports = self.nodes[name]
        proc = subprocess.Popen([SYSTEM_PYTHON, FAKE_FLOW, "serve", "--name", name, "--host", "127.0.0.1",
                                 "--http-port", str(ports["http"]), "--grpc-port", str(ports["grpc"])],
                                stdout=subprocess.DEVNULL)
        self.procs[name] = proc
        wait_port(ports["http"])
        wait_port(ports["grpc"])

    def kill_node(self, name):
        proc = self.procs.pop(name)
        proc.kill()
        proc.wait()

    def start_nginx(self):
        self.nginx = subprocess.Popen([NGINX, "-c", str(self.tmp / "nginx.conf"), "-g", "daemon off;"])
        wait_port(self.http_port)
        wait_port(self.grpc_port)
        time.sleep(0.2)
        assert self.nginx.poll() is None, "nginx exited at start (%s)" % self.nginx.returncode

    def reload_nginx(self):
        self.nginx.send_signal(signal.SIGHUP)

    def stop(self):
        if self.nginx and self.nginx.poll() is None:
            self.nginx.send_signal(signal.SIGTERM)
            self.nginx.wait(10)
        for name in list(self.procs):
            self.kill_node(name)

    # ---- clients --------------------------------------------------------
    def request(self, path, method="GET"):
        conn = http.client.HTTPConnection("127.0.0.1", self.http_port, timeout=10)
        try:
            conn.putrequest(method, path, skip_accept_encoding=True)
            conn.putheader("Content-Length", "0")
            conn.endheaders()
            resp = conn.getresponse()
            return resp.status, dict(resp.getheaders()), resp.read()
        finally:
            conn.close()

    def nodes_answering(self, count, path="/v2/server/fateflow"):
        seen = {}
        for _ in range(count):
            status, _, body = self.request(path)
            assert status == 200, body
            node = json.loads(body)["node"]
            seen[node] = seen.get(node, 0) + 1
        return seen

    def grpc_calls(self, count):
        proc = subprocess.run([SYSTEM_PYTHON, FAKE_FLOW, "grpc-call", "--target", "127.0.0.1:%d" % self.grpc_port,
                               "--count", str(count), "--timeout", "5"], capture_output=True, text=True, check=False)
        return json.loads(proc.stdout)


@pytest.fixture(scope="module")
def balancer(tmp_path_factory):
    # One nginx for the module (rendering runs ansible-playbook, which takes seconds); tests that
    # change the set-up put it back as they found it.
    bal = Balancer(tmp_path_factory.mktemp("nginx"))
    bal.start_node("flow1")
    bal.start_node("flow2")
    bal.render()
    bal.start_nginx()
    yield bal
    bal.stop()


def test_http_requests_reach_both_nodes(balancer):
    assert set(balancer.nodes_answering(10)) == {"flow1", "flow2"}


@pytest.mark.skipif(subprocess.run([SYSTEM_PYTHON, "-c", "import grpc"], check=False).returncode != 0,
                    reason="python3-grpcio is not installed")
def test_grpc_calls_reach_both_nodes(balancer):
    result = balancer.grpc_calls(10)
    assert result["failed"] == []
    assert set(result["ok"]) == {"flow1", "flow2"}


@pytest.mark.parametrize("path", [
    "/v2/server/query/all",
    "/v2/server/query/all/",
    "/v2/server/query/all?x=1",
    "//v2//server/query/all",
    "/v2/server/./query/all",
    "/v2/server/x/../query/all",
    "/v2/server/query%2Fall",
    "/v2/server/query%2fall",
    "/%76%32/server/query/%61ll",
    "/V2/Server/Query/All",
    "/v2/server/query?server_name=fateboard",
    "/v2/server/registry",
    "/v2/server/delete",
    "/v2/server/service/query",
    "/v1/server/get",
    "/v1/server/service/get",
    "/v1/server/reload",
    "/v1/server/model_store_address/get",
    "/v1/server/service/fateboard/get",
    "/v1/server/fateboard/register",
    "/v1/service/registry",
    "/v1/service/query",
    "http://example.org/v2/server/query/all",
])
def test_configuration_dumps_are_refused(balancer, path):
    status, _, _ = balancer.request(path, method="POST" if path.startswith("/v1") else "GET")
    assert status == 403


@pytest.mark.parametrize("path", [
    "/v2/server/fateflow",
    "/v1/version/get",
    "/v1/server/version/get",
    "/v1/server/fateflow/info",
    "/v2/job/submit",
    "/v2/server/fateflowx",
])
def test_ordinary_endpoints_pass(balancer, path):
    status, _, body = balancer.request(path, method="POST")
    assert status == 200, body


def test_server_tokens_off(balancer):
    _, headers, _ = balancer.request("/v2/server/query/all")
    assert headers.get("Server") == "nginx"


def test_killed_node_every_request_still_succeeds(balancer):
    balancer.nodes_answering(4)
    balancer.kill_node("flow2")
    started = time.monotonic()
    # POSTs too: a refused connection is retried on the other node, whatever the method.
    for _ in range(20):
        status, _, body = balancer.request("/v2/job/query", method="POST")
        assert status == 200
        assert json.loads(body)["node"] == "flow1"
    assert time.monotonic() - started < 5
    balancer.start_node("flow2")
    # flow2 was marked failed: nginx tries it again after fail_timeout (10 s).
    deadline = time.monotonic() + 15
    while set(balancer.nodes_answering(4)) != {"flow1", "flow2"}:
        assert time.monotonic() < deadline, "flow2 did not come back"
        time.sleep(0.5)


def test_access_log_names_the_node_and_timings(balancer):
    balancer.nodes_answering(2)
    time.sleep(0.2)
    lines = (balancer.tmp / "access.log").read_text().splitlines()
    assert lines
    ports = {str(p["http"]) for p in balancer.nodes.values()}
    for line in lines[-2:]:
        fields = dict(part.split("=", 1) for part in line.split() if "=" in part and not part.startswith('"'))
        assert fields["up"].rsplit(":", 1)[1] in ports
        assert fields["ust"] == "200"
        float(fields["urt"])
        float(fields["rt"])


def test_drained_node_gets_no_new_requests_and_in_flight_finish(balancer):
    slow = []
    import threading

    def slow_request():
        slow.append(balancer.request("/v2/test/slow?seconds=2"))

    threads = [threading.Thread(target=slow_request) for _ in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(0.5)
    conf = balancer.render(nginx_fateflow_drained=["flow2"])
    assert "down;  # flow2" in conf
    balancer.reload_nginx()
    for thread in threads:
        thread.join(10)
    assert [status for status, _, _ in slow] == [200] * 4
    assert {json.loads(body)["node"] for _, _, body in slow} == {"flow1", "flow2"}
    time.sleep(0.5)
    assert balancer.nodes_answering(10) == {"flow1": 10}
    balancer.render()
    balancer.reload_nginx()
    time.sleep(0.5)
    assert set(balancer.nodes_answering(6)) == {"flow1", "flow2"}


def test_broken_template_fails_validation_and_keeps_the_live_file(balancer):
    before = (balancer.tmp / "nginx.conf").read_text()
    with pytest.raises(AssertionError, match="failed to validate|emerg"):
        balancer.render(nginx_fateflow_http_server_extra="this_is_not_a_directive on;")
    assert (balancer.tmp / "nginx.conf").read_text() == before
    assert set(balancer.nodes_answering(6)) == {"flow1", "flow2"}


def test_upstream_keepalive_renders_and_serves(balancer):
    conf = balancer.render(nginx_fateflow_http_keepalive=2, nginx_fateflow_grpc_keepalive=2)
    assert "keepalive 2;" in conf
    balancer.reload_nginx()
    time.sleep(0.5)
    try:
        assert set(balancer.nodes_answering(8)) == {"flow1", "flow2"}
    finally:
        balancer.render()
        balancer.reload_nginx()
        time.sleep(0.5)
