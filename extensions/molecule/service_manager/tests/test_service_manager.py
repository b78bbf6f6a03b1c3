"""Verify the lab and the shared service management on the scenario's lab hosts."""


import pytest
import testinfra.utils.ansible_runner

RUNNER = testinfra.utils.ansible_runner.AnsibleRunner(__import__("os").environ["MOLECULE_INVENTORY_FILE"])
HOSTS = RUNNER.get_hosts("services")
testinfra_hosts = HOSTS
CTL = "supervisorctl -c /data/projects/common/supervisord/supervisord.conf"


def address(name):
    return RUNNER.get_variables(name)["ansible_host"]


def fate_service(host, **args):
    """Run the collection's fate_service module on the host for real (not in check mode)."""
    out = host.ansible("fateflow.ha.fate_service", " ".join("%s=%s" % kv for kv in args.items()),
                       check=False, become=False)
    assert not out.get("failed"), out
    return out


def test_program_runs_under_supervisord(host):
    status = host.check_output(CTL + " status fate-demo")
    assert "RUNNING" in status


def test_program_listens_on_its_own_address(host):
    own = address(host.backend.host)
    assert host.socket("tcp://%s:8000" % own).is_listening


def test_hosts_have_private_project_trees(host):
    name = host.backend.host
    assert host.file("/data/projects/demo/whoami").content_string.strip() == name


@pytest.mark.parametrize("peer", HOSTS)
def test_hosts_reach_each_other_by_name(host, peer):
    # Each host answers with its own name, fetched across the lab network.
    body = host.check_output("python3 -c \"import urllib.request;print(urllib.request.urlopen("
                             "'http://%s:8000/whoami', timeout=5).read().decode())\"" % peer)
    assert body.strip() == peer


def test_fate_service_restart_stop_start(host):
    before = fate_service(host, name="fate-demo")
    assert before["running"] and not before["changed"]
    restarted = fate_service(host, name="fate-demo", state="restarted")
    assert restarted["changed"] and restarted["running"]
    assert restarted["pid"] != before["pid"]
    stopped = fate_service(host, name="fate-demo", state="stopped")
    assert stopped["changed"] and not stopped["running"]
    assert not host.socket("tcp://%s:8000" % address(host.backend.host)).is_listening
    again = fate_service(host, name="fate-demo", state="stopped")
    assert not again["changed"]
    started = fate_service(host, name="fate-demo", state="started")
    assert started["changed"] and started["running"]


def test_service_sh_wrapper(host):
    out = host.check_output("sh /data/projects/common/supervisord/service.sh status fate-demo")
    assert "RUNNING" in out


def test_unknown_program_is_a_clear_error(host):
    # testinfra drops the "failed" key of a failed module; its message is what the user reads.
    out = host.ansible("fateflow.ha.fate_service", "name=fate-nothing state=started", check=False)
    assert not out.get("changed")
    assert "program fate-nothing is not defined" in out["msg"]


def test_supervisord_per_host(host):
    # Each host's supervisord is its own process, in its own network namespace.
    pid = host.check_output(CTL + " pid")
    assert pid.isdigit()
    environ = host.file("/proc/%s/environ" % host.check_output(CTL + " pid fate-demo")).content
    assert b"DEMO_HOST=%s" % host.backend.host.encode() in environ
