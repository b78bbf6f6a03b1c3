"""A real ZooKeeper for the module tests, started once for the module of tests and stopped after."""

import pytest
from kazoo.client import KazooClient

from ansible_collections.fateflow.ha.tests.support.zookeeper_server import ZookeeperServer


@pytest.fixture(scope="module")
def zookeeper():
    server = ZookeeperServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def kazoo_client(zookeeper):
    """A client of the test itself, to set up and inspect what the module did; anonymous."""
    clients = []

    def make(auth=None):
        client = KazooClient(hosts=zookeeper.hosts, auth_data=auth)
        client.start(timeout=10)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.stop()
        client.close()
