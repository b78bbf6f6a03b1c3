"""A real ZooKeeper for the fateflow_node tests, started once for the module of tests and stopped after."""

import pytest

from ansible_collections.fateflow.ha.tests.support.zookeeper_server import ZookeeperServer


@pytest.fixture(scope="module")
def zookeeper():
    server = ZookeeperServer().start()
    try:
        yield server.hosts
    finally:
        server.stop()


@pytest.fixture(scope="module")
def mariadb():
    """A real MariaDB with FATE Flow's user, for the database login of the health report."""
    from ansible_collections.fateflow.ha.tests.support.mariadb_server import MariadbServer

    server = MariadbServer().start()
    try:
        yield server
    finally:
        server.stop()
