"""The keepalived role's refusals: each bad virtual IP set-up refused, naming the variable, before any change.

The real role runs by ansible-playbook on this machine (connection local) on the Nginx host `lb`; its
group also holds `lb2`, which the play never contacts (its address only counts as a host address).
This machine's loopback (127.0.0.1/8 on lo) is the hosts' network. As in test_bad_input.py, every
case asserts a failed run, the words naming the cause, and the role's files unchanged.
"""

import os
import sys

import pytest

from ansible_collections.fateflow.ha.tests.integration.test_bad_input import run_playbook, snapshot

LOCAL = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the role writes root-owned files: run as root")


def inventory(tmp, group_size=2, other_party=None, **variables):
    """Nginx group `nginx` (lb, lb2) with a virtual IP; other_party: a second party's group `nginx_b` (lbb)."""
    common = dict(LOCAL, keepalived_install=False, keepalived_home=str(tmp / "keepalived"),
                  party_supervisord_home=str(tmp / "supervisord"), party_id="9999",
                  party_nginx_vip="127.0.0.250", party_nginx_http_port=19998)
    hosts = {"lb": dict(common, ansible_host="127.0.0.1", **variables)}
    if group_size > 1:
        hosts["lb2"] = dict(common, ansible_host="127.0.0.2")
    children = {"nginx": {"hosts": {name: {} for name in hosts}}}
    if other_party is not None:
        hosts["lbb"] = dict(common, ansible_host="127.0.0.1", party_id="10000", party_nginx_group="nginx_b",
                            party_nginx_vip="127.0.0.251", keepalived_home=str(tmp / "keepalived_b"), **other_party)
        hosts["lbb2"] = dict(common, ansible_host="127.0.0.3", party_nginx_group="nginx_b")
        children["nginx_b"] = {"hosts": {"lbb": {}, "lbb2": {}}}
    return {"all": {"hosts": hosts, "children": children}}


# id, inventory settings, the words of the message that name the cause.
CASES = [
    dict(id="vip-outside-subnet", variables={"party_nginx_vip": "10.9.9.9"},
         words=["party_nginx_vip 10.9.9.9 is outside the subnet 127.0.0.0/8 of lo on this host"]),
    dict(id="vip-is-a-host-address", variables={"party_nginx_vip": "127.0.0.2"},
         words=["party_nginx_vip 127.0.0.2 is the address of lb2: choose a free address of 127.0.0.0/8"]),
    dict(id="router-id-zero", variables={"keepalived_virtual_router_id": 0},
         words=["keepalived_virtual_router_id (0) must be a whole number 1-255"]),
    dict(id="router-id-too-big", variables={"keepalived_virtual_router_id": 256},
         words=["keepalived_virtual_router_id (256) must be a whole number 1-255"]),
    dict(id="router-id-of-two-parties", variables={"keepalived_virtual_router_id": 7},
         other_party={"keepalived_virtual_router_id": 7}, hosts="lb:lbb",
         words=["keepalived_virtual_router_id 7 is given to the Nginx groups nginx and nginx_b",
                "set keepalived_virtual_router_id for one of them"]),
    dict(id="interface-missing", variables={"keepalived_interface": "nosuch0"},
         words=["keepalived_interface nosuch0 does not exist on this host"]),
    dict(id="grace-not-a-number", variables={"keepalived_release_grace": "soon"},
         words=["argument 'keepalived_release_grace' is of type str and we were unable to convert to int"]),
    dict(id="grace-negative", variables={"keepalived_release_grace": -5},
         words=["keepalived_release_grace is '-5': give the whole number of seconds (0 or more)"]),
    dict(id="one-host-with-vip", group_size=1,
         words=["party_nginx_vip is 127.0.0.250, but the group 'nginx' (party_nginx_group) has 1 host(s)",
                "Add a second Nginx host, or leave party_nginx_vip empty for one"]),
]


@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_bad_vip_setup_is_refused_before_any_change(tmp_path, case):
    home = tmp_path / "keepalived"
    home.mkdir()
    # What a running keepalived had: the refused run must not replace it.
    (home / "keepalived.conf").write_text("# the live configuration\n")
    inv = inventory(tmp_path, group_size=case.get("group_size", 2), other_party=case.get("other_party"),
                    **case.get("variables", {}))
    before = snapshot([home])
    rc, output = run_playbook(tmp_path, "fateflow.ha.keepalived", inv, case.get("hosts", "lb"), {})
    assert rc != 0, output
    for words in case["words"]:
        assert words in output, output
    assert "Traceback" not in output, output
    assert snapshot([home]) == before, output
    assert not (tmp_path / "supervisord").exists(), output
    assert not (tmp_path / "keepalived_b").exists(), output

