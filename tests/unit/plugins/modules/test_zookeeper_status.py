"""Parsing of four-letter-word answers."""

import pytest

from ansible_collections.fateflow.ha.plugins.module_utils.zookeeper import parse_four_letter_answer as parse

SRVR = ("Zookeeper version: 3.8.0-abc, built on 2024-12-29 17:54 UTC\nLatency min/avg/max: 0/0.0/0\n"
        "Received: 1\nZxid: 0x100000002\nMode: follower\nNode count: 7\n")
MNTR = "zk_version\t3.8.0-abc, built on 2024-12-29 17:54 UTC\nzk_uptime\t1234\nzk_server_state\tleader\n"


@pytest.mark.parametrize("answer, expected", [
    (SRVR, {"Zookeeper version": "3.8.0-abc, built on 2024-12-29 17:54 UTC", "Latency min/avg/max": "0/0.0/0",
            "Received": "1", "Zxid": "0x100000002", "Mode": "follower", "Node count": "7"}),
    (MNTR, {"zk_version": "3.8.0-abc, built on 2024-12-29 17:54 UTC", "zk_uptime": "1234", "zk_server_state": "leader"}),
    ("imok", {}),
    ("", {}),
    ("conf is not executed because it is not in the whitelist.\n", {}),
    ("Clients:\n /127.0.0.1:5000[0](queued=0)\n\nMode: leader\n", {"Clients": "", "Mode": "leader"}),
])
def test_parse(answer, expected):
    assert parse(answer) == expected
