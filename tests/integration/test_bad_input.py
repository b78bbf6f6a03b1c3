"""Bad input, each refused with a message naming the cause, and nothing a user had lost.

One table of cases. Every case runs the real role by ansible-playbook on this machine (connection
local), with every path the role writes to in a temporary directory, against a real ZooKeeper
(FATE's registry node protected by a digest ACL) and a real MariaDB where the case needs them;
"unreachable" is a closed loopback port. For every case the test asserts a failed run, the words
naming the cause, every file that was there before byte-for-byte unchanged with its mode and
mtime, no new file where the role writes, and no process left running from the case's directory.
"""

import hashlib
import json
import os
import subprocess
import sys

import pytest
from kazoo.client import KazooClient
from kazoo.security import make_digest_acl

from ansible_collections.fateflow.ha.tests.support.mariadb_server import MariadbServer
from ansible_collections.fateflow.ha.tests.support.zookeeper_server import ZookeeperServer, free_port
from ansible_collections.fateflow.ha.tests.unit.plugins.module_utils.test_service_conf import V2_FILE

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(ROOT, "tests", "unit", "fixtures", "route_table")
BROKEN_NGINX_TEMPLATE = os.path.join(ROOT, "extensions", "molecule", "nginx", "files", "broken.conf.j2")
ZK_USER = "fate"
ZK_PASSWORD = "fate_zk_secret"
REGISTRY = "/FATE-COMPONENTS/fate-flow"
LOCAL = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the roles write root-owned files: run as root")


@pytest.fixture(scope="module")
def zookeeper():
    """A ZooKeeper whose FATE registry node only FATE's digest credential may read."""
    server = ZookeeperServer().start()
    client = KazooClient(hosts=server.hosts, auth_data=[("digest", "%s:%s" % (ZK_USER, ZK_PASSWORD))])
    try:
        client.start(timeout=10)
        client.ensure_path(REGISTRY, acl=[make_digest_acl(ZK_USER, ZK_PASSWORD, all=True)])
        client.set_acls("/FATE-COMPONENTS", [make_digest_acl(ZK_USER, ZK_PASSWORD, all=True)])
        client.stop()
        client.close()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def mariadb():
    with MariadbServer() as server:
        yield server


# ---- the roles, each set up with every path in the case's directory --------------------------

def eggroll_route(tmp, case, services):
    conf = tmp / "fate" / "eggroll" / "conf"
    conf.mkdir(parents=True)
    (conf / "route_table.json").write_text(case.get("route_table") or open(os.path.join(FIXTURES, "seed_before_ha.json")).read())
    (conf / "eggroll.properties").write_text("[eggroll]\neggroll.rollsite.host=127.0.0.1\neggroll.rollsite.port=9370\n")
    variables = {"eggroll_route_fate_home": str(tmp / "fate"), "party_id": "10000",
                 "party_nginx_host": "192.168.0.1", "eggroll_route_backup": True}
    return {"all": {"hosts": {"localhost": dict(LOCAL, **variables)}}}, "localhost", [tmp / "fate"]


def fateflow_ha(tmp, case, services):
    conf = tmp / "flow" / "conf"
    conf.mkdir(parents=True)
    (conf / "service_conf.yaml").write_text(case.get("service_conf") or V2_FILE)
    os.chmod(conf / "service_conf.yaml", 0o640)
    zookeeper, mariadb = services()
    variables = {
        "fateflow_ha_install": False, "fateflow_ha_home": str(tmp / "flow"), "party_id": "10000",
        "fateflow_ha_host": "10.9.0.5", "party_nginx_host": "",
        "party_zookeeper_hosts": [zookeeper.hosts], "party_zookeeper_user": ZK_USER,
        "party_zookeeper_password": ZK_PASSWORD,
        "party_mysql_host": "127.0.0.1", "party_mysql_port": mariadb.port,
        "fateflow_ha_db_user": mariadb.user, "fateflow_ha_db_password": mariadb.password,
        "fateflow_ha_db_manage": False,
        "party_supervisord_home": str(tmp / "supervisord"),
    }
    return {"all": {"hosts": {"localhost": dict(LOCAL, **variables)}}}, "localhost", [tmp / "flow"]


def nginx(tmp, case, services):
    conf = tmp / "nginx"
    for directory in (conf, tmp / "nginx-log", tmp / "nginx-state"):
        directory.mkdir(mode=0o755)
    # What a running balancer had: the refused template must not replace it.
    (conf / "nginx.conf").write_text("# the live configuration\nevents {}\nhttp {}\n")
    http_port, grpc_port = free_port(), free_port()
    variables = {
        "nginx_fateflow_install": False, "nginx_fateflow_conf_dir": str(conf),
        "nginx_fateflow_log_dir": str(tmp / "nginx-log"), "nginx_fateflow_state_dir": str(tmp / "nginx-state"),
        "nginx_fateflow_pid_file": str(tmp / "nginx-state" / "nginx.pid"), "nginx_fateflow_worker_user": "root",
        "nginx_fateflow_listen_address": "127.0.0.1", "party_nginx_http_port": http_port,
        "party_nginx_grpc_port": grpc_port,
        "party_supervisord_home": str(tmp / "supervisord"),
    }
    flows = {"flow1": {"ansible_host": "127.0.0.1", "nginx_fateflow_node_http_port": 9380,
                       "nginx_fateflow_node_grpc_port": 9360}}
    inventory = {"all": {"hosts": {"lb": dict(LOCAL, **variables)},
                         "children": {"fateflow": {"hosts": flows}}}}
    return inventory, "lb", [conf, tmp / "nginx-log", tmp / "nginx-state"]


def zookeeper_role(tmp, case, services):
    members = case.get("members", {"z1": {}, "z2": {}, "z3": {}})
    hosts = {}
    for index, (name, variables) in enumerate(members.items(), start=1):
        data = tmp / "zk" / name
        data.mkdir(parents=True)
        # A member's present configuration, which a refused run must leave as it is.
        (tmp / "zk" / name / "conf").mkdir()
        (tmp / "zk" / name / "conf" / "zoo.cfg").write_text("clientPort=2181\nserver.%d=10.9.0.%d:2888:3888\n" % (index, index))
        hosts[name] = dict(LOCAL, ansible_host="10.9.0.%d" % index, zookeeper_data_dir=str(data),
                           zookeeper_home=str(tmp / "zk" / name / "home"),
                           zookeeper_conf_dir=str(tmp / "zk" / name / "conf"),
                           zookeeper_log_dir=str(tmp / "zk" / name / "log"), **variables)
    inventory = {"all": {"children": {"zookeeper": {
        "hosts": hosts, "vars": {"party_zookeeper_password": ZK_PASSWORD,
                                 "party_supervisord_home": str(tmp / "supervisord")}}}}}
    return inventory, "zookeeper", [tmp / "zk"]


def rabbitmq(tmp, case, services):
    directories = [tmp / "rabbitmq" / name for name in ("conf", "data", "log")]
    for directory in directories:
        directory.mkdir(parents=True)
    # What a running broker had: a refused run must leave it as it is.
    (directories[0] / "rabbitmq.conf").write_text("listeners.tcp.1 = 127.0.0.1:5672\n")
    (directories[0] / "enabled_plugins").write_text("[rabbitmq_management].\n")
    variables = {
        "rabbitmq_install": False, "rabbitmq_conf_dir": str(directories[0]), "rabbitmq_data_dir": str(directories[1]),
        "rabbitmq_log_dir": str(directories[2]), "rabbitmq_listen_address": "127.0.0.1",
        "party_rabbitmq_password": "Own-mq-83d1", "party_supervisord_home": str(tmp / "supervisord"),
    }
    return {"all": {"children": {"rabbitmq": {"hosts": {"mq1": dict(LOCAL, **variables)}}}}}, "rabbitmq", directories


ROLES = {
    "fateflow.ha.eggroll_route": eggroll_route,
    "fateflow.ha.fateflow_ha": fateflow_ha,
    "fateflow.ha.nginx": nginx,
    "fateflow.ha.zookeeper": zookeeper_role,
    "fateflow.ha.rabbitmq": rabbitmq,
}

# ---- the cases ----------------------------------------------------------------------------------
# id, role, what is wrong (variables over the role's good set-up, or file contents), and the words
# of the message that name the cause. Variables that are callables get the running services.

SEED = open(os.path.join(FIXTURES, "seed_before_ha.json")).read()
CASES = [
    dict(id="route-table-malformed", role="fateflow.ha.eggroll_route",
         route_table=SEED.replace('"ip": "192.168.0.3",', '"ip": "192.168.0.3"', 1),
         words=["route_table.json is not valid JSON", "line 9, column"]),
    dict(id="route-table-duplicate-key", role="fateflow.ha.eggroll_route",
         route_table=open(os.path.join(FIXTURES, "duplicate_fateflow.json")).read(),
         words=['"fateflow" twice', "/route_table/10000"]),
    dict(id="route-table-word-port", role="fateflow.ha.eggroll_route",
         route_table=SEED.replace('"port": 9370', '"port": "http"', 1),
         words=["/route_table/default/default/0/port must be an integer 1-65535, not \"http\""]),
    dict(id="route-table-mixed-port", role="fateflow.ha.eggroll_route",
         route_table=SEED.replace('"port": 9370', '"port": "93a0"', 1),
         words=["/route_table/default/default/0/port must be an integer 1-65535, not \"93a0\""]),
    dict(id="route-table-port-out-of-range", role="fateflow.ha.eggroll_route",
         route_table=SEED.replace('"port": 9370', '"port": 70000', 1),
         words=["/route_table/default/default/0/port must be an integer 1-65535, not 70000"]),
    dict(id="route-nginx-port-out-of-range", role="fateflow.ha.eggroll_route",
         variables={"party_nginx_grpc_port": 70000},
         words=["Ports are whole numbers 1-65535: fix party_nginx_grpc_port=70000"]),
    dict(id="service-conf-invalid-yaml", role="fateflow.ha.fateflow_ha",
         service_conf=V2_FILE + "zookeeper: [unclosed\n  hosts: {\n",
         words=["service_conf.yaml", "YAML"]),
    dict(id="zookeeper-unreachable", role="fateflow.ha.fateflow_ha",
         variables={"party_zookeeper_hosts": lambda zk, db: ["127.0.0.1:%d" % free_port()]},
         words=["ZooKeeper is unreachable from localhost", "fix party_zookeeper_hosts"]),
    dict(id="zookeeper-wrong-password", role="fateflow.ha.fateflow_ha",
         variables={"party_zookeeper_password": "not_the_password"},
         words=["ZooKeeper refused the credential of user fate on /FATE-COMPONENTS/fate-flow",
                "check party_zookeeper_password"]),
    dict(id="mysql-unreachable", role="fateflow.ha.fateflow_ha",
         variables={"party_mysql_port": lambda zk, db: free_port()},
         words=["MySQL is unreachable from localhost at 127.0.0.1:", "fix party_mysql_host"]),
    dict(id="mysql-wrong-password", role="fateflow.ha.fateflow_ha",
         variables={"fateflow_ha_db_password": "not_the_password"},
         words=["refused the password of user fate: check fateflow_ha_db_password"]),
    dict(id="mysql-wrong-admin-password", role="fateflow.ha.fateflow_ha",
         variables={"fateflow_ha_db_manage": True, "fateflow_ha_db_admin_host": "localhost",
                    "fateflow_ha_db_login_user": "fate", "fateflow_ha_db_login_password": "not_the_password"},
         words=["refused the password of user fate: check fateflow_ha_db_login_password"]),
    dict(id="flow-host-loopback", role="fateflow.ha.fateflow_ha",
         variables={"fateflow_ha_host": "127.0.0.1"},
         words=["fateflow_ha_host (127.0.0.1) must be this node's own routable address"]),
    dict(id="flow-port-out-of-range", role="fateflow.ha.fateflow_ha",
         variables={"party_flow_http_port": 70000},
         words=["Ports are whole numbers 1-65535: fix party_flow_http_port=70000"]),
    dict(id="drain-timeout-zero", role="fateflow.ha.fateflow_ha",
         variables={"fateflow_ha_drain_timeout": 0},
         words=["fateflow_ha_drain_timeout: a whole number 1-86400, got 0"]),
    dict(id="drain-timeout-not-a-number", role="fateflow.ha.fateflow_ha",
         variables={"fateflow_ha_drain_timeout": "ten minutes"},
         words=["fateflow_ha_drain_timeout", "unable to convert to int"]),
    dict(id="recovery-reruns-out-of-range", role="fateflow.ha.fateflow_ha",
         variables={"fateflow_ha_recovery_reruns": 11, "fateflow_ha_recovery_window": -1},
         words=["fateflow_ha_recovery_reruns: a whole number 0-10, got 11",
                "fateflow_ha_recovery_window: a whole number 60-604800, got -1"]),
    dict(id="nginx-template-syntax-error", role="fateflow.ha.nginx",
         variables={"nginx_fateflow_conf_template": BROKEN_NGINX_TEMPLATE},
         words=["failed to validate", 'unexpected \\"}\\"', "test failed"]),
    dict(id="nginx-port-out-of-range", role="fateflow.ha.nginx",
         variables={"party_nginx_grpc_port": 0},
         words=["Ports are whole numbers 1-65535: fix party_nginx_grpc_port=0"]),
    dict(id="zookeeper-even-ensemble", role="fateflow.ha.zookeeper", members={"z1": {}, "z2": {}},
         words=["The ensemble has 2 members: an even ensemble tolerates no more failures than one member fewer",
                "zookeeper_allow_even_ensemble"]),
    dict(id="zookeeper-duplicate-myid", role="fateflow.ha.zookeeper",
         members={"z1": {"zookeeper_myid": 1}, "z2": {"zookeeper_myid": 1}, "z3": {}},
         words=["Each member needs its own myid", "z1=1, z2=1"]),
    dict(id="zookeeper-port-out-of-range", role="fateflow.ha.zookeeper",
         variables={"party_zookeeper_client_port": 65536},
         words=["party_zookeeper_client_port 65536", "is not a TCP port (1-65535)"]),
    dict(id="peer-with-this-partys-id", role="fateflow.ha.eggroll_route",
         variables={"party_peers": [{"party_id": "10000", "rollsite_host": "192.168.0.3"}]},
         words=["party_peers[0].party_id is 10000, this party's own id"]),
    dict(id="peer-without-route", role="fateflow.ha.eggroll_route",
         route_table='{"route_table": {"10000": {"default": [{"ip": "192.168.0.1", "port": 9370}]}}, '
                     '"permission": {"default_allow": true}}',
         variables={"party_peers": [{"party_id": "9999"}]},
         words=["would have no route for party 9999"]),
    dict(id="flow-peer-with-this-partys-id", role="fateflow.ha.fateflow_ha",
         variables={"party_peers": [{"party_id": 10000, "rollsite_host": "192.168.0.3"}]},
         words=["party_peers[0].party_id is 10000, this party's own id"]),
    dict(id="flow-rabbitmq-published-password", role="fateflow.ha.fateflow_ha",
         variables={"fateflow_ha_federation_engine": "rabbitmq", "party_rollsite_host": "192.168.0.1",
                    "party_rabbitmq_host": "192.168.0.1", "party_rabbitmq_password": "fate",
                    "party_peers": [{"party_id": "9999", "rollsite_host": "192.168.0.3", "rabbitmq_host": "192.168.0.3"}]},
         words=["party_rabbitmq_password is a password that FATE's or RabbitMQ's own samples publish"]),
    dict(id="flow-peer-without-rabbitmq", role="fateflow.ha.fateflow_ha",
         variables={"fateflow_ha_federation_engine": "rabbitmq", "party_rollsite_host": "192.168.0.1",
                    "party_rabbitmq_host": "192.168.0.1", "party_rabbitmq_password": "Own-mq-9c1e",
                    "party_peers": [{"party_id": "9999", "rollsite_host": "192.168.0.3"}]},
         words=["party_peers[0].rabbitmq_host is missing: party 9999 needs an entry"]),
    dict(id="rabbitmq-published-password", role="fateflow.ha.rabbitmq",
         variables={"party_rabbitmq_password": "guest"},
         words=["party_rabbitmq_password is a password that FATE's or RabbitMQ's own samples publish",
                "rabbitmq_allow_default_passwords"]),
    dict(id="rabbitmq-empty-password", role="fateflow.ha.rabbitmq",
         variables={"party_rabbitmq_password": ""},
         words=["party_rabbitmq_password is empty"]),
    dict(id="rabbitmq-port-a-word", role="fateflow.ha.rabbitmq",
         variables={"party_rabbitmq_port": "amqp"},
         words=["party_rabbitmq_port", "unable to convert to int"]),
    dict(id="rabbitmq-ports-out-of-range", role="fateflow.ha.rabbitmq",
         variables={"party_rabbitmq_port": 0, "party_rabbitmq_mng_port": 70000},
         words=["Ports are whole numbers 1-65535: fix party_rabbitmq_port=0, party_rabbitmq_mng_port=70000"]),
    dict(id="rabbitmq-ports-equal", role="fateflow.ha.rabbitmq",
         variables={"party_rabbitmq_mng_port": 5672},
         words=["party_rabbitmq_port and party_rabbitmq_mng_port are both 5672"]),
    dict(id="rabbitmq-user-odd-characters", role="fateflow.ha.rabbitmq",
         variables={"party_rabbitmq_user": "fate:admin@x/"},
         words=["party_rabbitmq_user must be 1-64 letters, digits and '_.-'", "got 'fate:admin@x/'"]),
    dict(id="rabbitmq-user-guest", role="fateflow.ha.rabbitmq",
         variables={"party_rabbitmq_user": "guest"},
         words=["not guest (the published user this role deletes)"]),
]


def snapshot(trees):
    """sha256, mode and mtime of every file under the trees; the set of directories."""
    files, directories = {}, set()
    for tree in trees:
        for parent, dirs, names in os.walk(tree):
            directories.update(os.path.join(parent, name) for name in dirs)
            for name in names:
                path = os.path.join(parent, name)
                stat = os.lstat(path)
                with open(path, "rb") as handle:
                    digest = hashlib.sha256(handle.read()).hexdigest()
                files[path] = (digest, stat.st_mode, stat.st_mtime_ns)
    return files, directories


def processes_under(directory):
    """Command lines of running processes that name the case's directory."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as handle:
                cmdline = handle.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if str(directory) in cmdline and int(pid) != os.getpid():
            found.append(cmdline)
    return found


def run_playbook(tmp, role, inventory, hosts, variables):
    (tmp / "inventory.json").write_text(json.dumps(inventory))
    (tmp / "vars.json").write_text(json.dumps(variables))
    (tmp / "play.yml").write_text(
        "- name: Apply %s\n  hosts: %s\n  gather_facts: false\n  roles:\n    - role: %s\n" % (role, hosts, role))
    # A configuration of its own: the checkout's ansible.cfg adds a callback that writes to stdout too.
    (tmp / "ansible.cfg").write_text("[defaults]\n")
    env = dict(os.environ, ANSIBLE_CONFIG=str(tmp / "ansible.cfg"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_RETRY_FILES_ENABLED="0", ANSIBLE_LOCALHOST_WARNING="0",
               ANSIBLE_STDOUT_CALLBACK="ansible.builtin.default",
               ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".cache", "collections"))
    command = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", str(tmp / "inventory.json")]
    if variables:
        command += ["-e", "@%s" % (tmp / "vars.json")]
    proc = subprocess.run(command + [str(tmp / "play.yml")], capture_output=True, text=True, env=env,
                          cwd=str(tmp), timeout=300)
    return proc.returncode, proc.stdout + proc.stderr


@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_bad_input_is_refused_and_nothing_is_lost(tmp_path, request, case):
    def services():
        return request.getfixturevalue("zookeeper"), request.getfixturevalue("mariadb")

    inventory, hosts, trees = ROLES[case["role"]](tmp_path, case, services)
    variables = {name: value(*services()) if callable(value) else value
                 for name, value in case.get("variables", {}).items()}
    before = snapshot(trees)
    assert before[0], "the case must start from files the role could touch"
    rc, output = run_playbook(tmp_path, case["role"], inventory, hosts, variables)
    assert rc != 0, output
    for words in case["words"]:
        assert words in output, output
    assert "Traceback" not in output, output
    after = snapshot(trees)
    assert after[0] == before[0], "files changed, appeared or vanished:\n%s" % output
    assert after[1] == before[1], "directories appeared or vanished"
    assert processes_under(tmp_path) == []


def test_digit_string_ports_are_rewritten_as_integers_with_a_backup(tmp_path):
    """The one route table fault that has a single meaning, fixed rather than refused; the original is kept."""
    original = SEED.replace('"port": 9370', '"port": "9370"', 1)
    case = {"route_table": original}
    inventory, hosts, trees = eggroll_route(tmp_path, case, None)
    rc, output = run_playbook(tmp_path, "fateflow.ha.eggroll_route", inventory, hosts, {})
    assert rc == 0, output
    conf = tmp_path / "fate" / "eggroll" / "conf"
    table = json.loads((conf / "route_table.json").read_text())
    assert table["route_table"]["default"]["default"] == [{"ip": "192.168.0.3", "port": 9370}]
    backups = [path for path in conf.iterdir() if path.name.startswith("route_table.json.")]
    assert len(backups) == 1 and backups[0].read_text() == original
