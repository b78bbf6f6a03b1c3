"""A real standalone ZooKeeper for tests and benchmarks: loopback, a free port, a temporary dataDir.

It runs the Debian package's jar in the foreground, as the role does on a host.
"""

import os
import shutil
import socket
import subprocess
import tempfile
import time

from ansible_collections.fateflow.ha.plugins.module_utils.zookeeper import four_letter_word
from ansible_collections.fateflow.ha.tests.support.server_process import ServerProcess

ZOOKEEPER_JAR = os.environ.get("ZOOKEEPER_JAR", "/usr/share/java/zookeeper.jar")
JAVA = os.environ.get("JAVA", shutil.which("java") or "/usr/bin/java")
LOGGING_JAR = "/usr/share/java/slf4j-nop.jar"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def four_letter(port, command, timeout=2.0):
    """Answer of a four-letter-word command, or '' when the server does not answer."""
    return four_letter_word("127.0.0.1", port, command, timeout)


class ZookeeperServer(ServerProcess):
    def __init__(self, extra_config=None):
        super().__init__(tempfile.mkdtemp(prefix="fateflow-ha-zk-"))
        self.port = free_port()
        self.extra_config = extra_config or {}

    @property
    def hosts(self):
        return "127.0.0.1:%d" % self.port

    def start(self, wait_seconds=30):
        if not os.path.exists(ZOOKEEPER_JAR):
            raise RuntimeError("%s is missing: install the Debian package zookeeper" % ZOOKEEPER_JAR)
        config = {
            "tickTime": 2000,
            "dataDir": os.path.join(self.dir, "data"),
            "clientPort": self.port,
            "clientPortAddress": "127.0.0.1",
            "maxClientCnxns": 0,
            "admin.enableServer": "false",
            "4lw.commands.whitelist": "srvr,ruok",
        }
        config.update(self.extra_config)
        os.makedirs(config["dataDir"])
        cfg = os.path.join(self.dir, "zoo.cfg")
        with open(cfg, "w", encoding="utf-8") as handle:
            handle.writelines("%s=%s\n" % item for item in config.items())
        classpath = ZOOKEEPER_JAR + (":" + LOGGING_JAR if os.path.exists(LOGGING_JAR) else "")
        self.log = open(os.path.join(self.dir, "server.log"), "wb")
        self.process = subprocess.Popen(
            [JAVA, "-Xmx256m", "-Djava.net.preferIPv4Stack=true", "-cp", classpath,
             "org.apache.zookeeper.server.quorum.QuorumPeerMain", cfg],
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + wait_seconds
        # ruok answers before the server serves; srvr shows Mode: only once it does.
        while "Mode:" not in four_letter(self.port, "srvr", timeout=0.5):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("ZooKeeper did not start on port %d" % self.port)
            time.sleep(0.2)
        return self
