"""zookeeper_status against a real ZooKeeper (whitelist srvr,ruok in the fixture)."""

import pytest

from ansible_collections.fateflow.ha.plugins.modules import zookeeper_status
from ansible_collections.fateflow.ha.tests.support.module_runner import run_module
from ansible_collections.fateflow.ha.tests.support.slow_socket import SlowSocketServer, timed
from ansible_collections.fateflow.ha.tests.support.zookeeper_server import free_port


def test_srvr_shows_the_mode(zookeeper):
    result = run_module(zookeeper_status.main, {"port": zookeeper.port, "wait": True, "timeout": 10})
    assert result["mode"] == "standalone"
    assert result["whitelisted"]
    assert result["fields"]["Mode"] == "standalone"
    assert "Zxid" in result["fields"]


def test_command_outside_the_whitelist(zookeeper):
    result = run_module(zookeeper_status.main, {"port": zookeeper.port, "command": "conf"})
    assert not result["whitelisted"]
    assert "conf is not executed because it is not in the whitelist" in result["answer"]


def test_wait_for_a_mode_it_never_reaches(zookeeper):
    result = run_module(zookeeper_status.main, {"port": zookeeper.port, "wait": True, "modes": ["leader"], "timeout": 1})
    assert result["failed"]
    assert result["msg"] == "ZooKeeper at 127.0.0.1:%d did not reach mode leader within 1.0 s (mode standalone)." % zookeeper.port


def test_nothing_listening():
    port = free_port()
    result = run_module(zookeeper_status.main, {"port": port, "wait": True, "timeout": 1})
    assert result["failed"]
    assert result["msg"].endswith("(Connection refused).")


def test_without_wait_a_closed_port_fails():
    # Regression: without wait, nothing listening was reported as success with an empty answer.
    port = free_port()
    result = run_module(zookeeper_status.main, {"port": port})
    assert result["failed"], result
    assert result["msg"] == "ZooKeeper at 127.0.0.1:%d did not answer srvr: Connection refused." % port


def test_without_wait_an_unknown_host_fails():
    result = run_module(zookeeper_status.main, {"host": "no-such-host.invalid", "timeout": 5})
    assert result["failed"], result
    assert result["msg"].startswith("ZooKeeper at no-such-host.invalid:2181 did not answer srvr: cannot resolve")


@pytest.mark.parametrize("wait", [False, True])
def test_a_trickling_server_cannot_stretch_the_timeout(wait):
    # Regression: one byte every 2 s kept each read under the socket timeout: timeout 3 took 12 s and more.
    with SlowSocketServer(payload=b"Mode: follower\n" * 4, interval=2.0) as server:
        result, seconds = timed(run_module, zookeeper_status.main,
                                {"port": server.port, "timeout": 3, "wait": wait})
    assert result["failed"]
    assert "no complete answer within" in result["msg"]
    assert seconds < 4.5, seconds


@pytest.mark.parametrize("args, words", [
    ({"command": "sr"}, "command must be a four-letter word"),
    ({"command": "srvr2"}, "command must be a four-letter word"),
    ({"command": "sr;r"}, "command must be a four-letter word"),
    # Letters to str.isalpha, not ASCII: the command was sent and the module crashed encoding it.
    ({"command": "\uff53\uff52\uff56\uff52"}, "command must be a four-letter word"),
    ({"port": 0}, "port must be a TCP port"),
    ({"port": 70000}, "port must be a TCP port"),
    ({"host": "0.0.0.0"}, "host is refused"),
    ({"host": "zk1;rm"}, "host is refused"),
    ({"host": ""}, "host is empty"),
    ({"timeout": 0}, "timeout must be above 0"),
    ({"timeout": -1}, "timeout must be above 0"),
    ({"timeout": "inf"}, "timeout must be a finite number"),
    ({"modes": []}, "modes is empty"),
])
def test_options_refused(args, words):
    result = run_module(zookeeper_status.main, args)
    assert result["failed"]
    assert result["msg"].startswith(words), result["msg"]

