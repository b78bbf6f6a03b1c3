"""zookeeper_status against a real ZooKeeper (whitelist srvr,ruok in the fixture)."""

import pytest

from ansible_collections.fateflow.ha.plugins.modules import zookeeper_status
from ansible_collections.fateflow.ha.tests.support.module_runner import run_module
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
    assert result["msg"].endswith("(no answer).")
    assert run_module(zookeeper_status.main, {"port": port})["answer"] == ""


@pytest.mark.parametrize("command", ["sr", "srvr2", "sr;r"])
def test_not_a_four_letter_word(command):
    result = run_module(zookeeper_status.main, {"command": command})
    assert "not a four-letter word" in result["msg"]

