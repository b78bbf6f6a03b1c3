"""A real MariaDB for tests: loopback, a free port, its own socket and datadir in a temporary directory.

It runs the Debian package's mariadbd, as the mysql_server role does on a host. The server has
root on its socket (no password) and one TCP user, ``fate`` with a known password, as a party's
MySQL has for FATE Flow.
"""

import os
import shutil
import subprocess
import tempfile
import time

import pymysql

from ansible_collections.fateflow.ha.tests.support.server_process import ServerProcess
from ansible_collections.fateflow.ha.tests.support.zookeeper_server import free_port

MARIADBD = os.environ.get("MARIADBD", shutil.which("mariadbd") or "/usr/sbin/mariadbd")
INSTALL_DB = os.environ.get("MARIADB_INSTALL_DB", shutil.which("mariadb-install-db") or "/usr/bin/mariadb-install-db")


class MariadbServer(ServerProcess):
    user = "fate"
    password = "fate_db_secret"
    database = "fate_flow"

    # InnoDB flushes on shutdown.
    stop_timeout = 30

    def __init__(self):
        super().__init__(tempfile.mkdtemp(prefix="fateflow-ha-mariadb-"))
        self.port = free_port()
        self.datadir = os.path.join(self.dir, "data")
        self.socket = os.path.join(self.dir, "mysqld.sock")

    def _root(self):
        return pymysql.connect(unix_socket=self.socket, user="root", connect_timeout=2)

    def start(self, wait_seconds=60):
        if not os.path.exists(MARIADBD):
            raise RuntimeError("%s is missing: install the Debian package mariadb-server" % MARIADBD)
        # Running as root, the server must be told to stay root: there is no mysql-owned datadir here.
        user = ["--user=root"] if os.geteuid() == 0 else []
        # A temporary directory of its own: a starting server deletes every "#sql*" file in its
        # tmpdir, so with the shared /tmp it breaks other servers' work (a lab host's MariaDB
        # being initialised while the tests run, or another test's server).
        tmpdir = os.path.join(self.dir, "tmp")
        os.makedirs(tmpdir, exist_ok=True)
        options = user + ["--tmpdir=%s" % tmpdir]
        subprocess.run([INSTALL_DB, "--no-defaults", "--auth-root-authentication-method=socket", "--skip-test-db",
                        "--datadir=%s" % self.datadir] + options,
                       check=True, capture_output=True, timeout=120)
        self.log = open(os.path.join(self.dir, "server.log"), "wb")
        self.process = subprocess.Popen(
            [MARIADBD, "--no-defaults", "--datadir=%s" % self.datadir, "--socket=%s" % self.socket,
             "--port=%d" % self.port, "--bind-address=127.0.0.1", "--pid-file=%s" % os.path.join(self.dir, "pid"),
             "--skip-log-bin", "--innodb-buffer-pool-size=16M", "--skip-name-resolve"] + options,
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                connection = self._root()
                break
            except pymysql.MySQLError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("MariaDB did not start on port %d" % self.port)
                time.sleep(0.2)
        with connection:
            with connection.cursor() as cursor:
                cursor.execute("CREATE DATABASE %s" % self.database)
                cursor.execute("CREATE USER %s@'127.0.0.1' IDENTIFIED BY %s", (self.user, self.password))
                cursor.execute("GRANT ALL ON %s.* TO %%s@'127.0.0.1'" % self.database, (self.user,))
            connection.commit()
        return self
