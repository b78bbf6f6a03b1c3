"""fate_service against a real supervisord, started from a configuration in a temporary directory."""

import os
import subprocess
import sys
import time

import pytest

from ansible_collections.fateflow.ha.plugins.modules import fate_service

SUPERVISORD_CONF = """
[unix_http_server]
file={home}/supervisor.sock
[supervisord]
logfile={home}/supervisord.log
pidfile={home}/supervisord.pid
childlogdir={home}
minfds=1024
[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface
[supervisorctl]
serverurl=unix://{home}/supervisor.sock
[include]
files = {home}/programs/*.conf
"""

PROGRAM = """
[program:{name}]
command={command}
startsecs=1
autorestart=true
stopasgroup=true
stdout_logfile={home}/{name}.log
redirect_stderr=true
"""


@pytest.fixture
def supervisord_home(tmp_path):
    home = tmp_path
    (home / "programs").mkdir()
    conf = home / "supervisord.conf"
    conf.write_text(SUPERVISORD_CONF.format(home=home))
    yield home
    subprocess.run(["supervisorctl", "-c", str(conf), "shutdown"], capture_output=True)
    deadline = time.time() + 10
    while os.path.exists(home / "supervisord.pid") and time.time() < deadline:
        time.sleep(0.1)


def define(home, name="fate-sleeper", command="sleep 600"):
    (home / "programs" / ("%s.conf" % name)).write_text(PROGRAM.format(name=name, command=command, home=home))


def call(run_module, home, **args):
    args.setdefault("supervisord_conf", str(home / "supervisord.conf"))
    return run_module(fate_service.main, args)


def test_start_boots_supervisord_then_is_idempotent(run_module, supervisord_home):
    define(supervisord_home)
    result, failed = call(run_module, supervisord_home, name="fate-sleeper", state="started")
    assert not failed, result
    assert result["changed"] and result["running"] and result["pid"] > 0
    again, failed = call(run_module, supervisord_home, name="fate-sleeper", state="started")
    assert not failed and not again["changed"] and again["pid"] == result["pid"]


def test_check_mode_changes_nothing(run_module, supervisord_home):
    define(supervisord_home)
    result, failed = call(run_module, supervisord_home, name="fate-sleeper", state="started", _ansible_check_mode=True)
    assert not failed and result["changed"]
    # supervisord was not even started.
    assert not os.path.exists(supervisord_home / "supervisord.pid")
    call(run_module, supervisord_home, name="fate-sleeper", state="started")
    result, _ = call(run_module, supervisord_home, name="fate-sleeper", state="stopped", _ansible_check_mode=True)
    assert result["changed"]
    status, _ = call(run_module, supervisord_home, name="fate-sleeper")
    assert status["running"] and not status["changed"]


def test_restart_stop_reload(run_module, supervisord_home):
    define(supervisord_home)
    first, _ = call(run_module, supervisord_home, name="fate-sleeper", state="started")
    restarted, _ = call(run_module, supervisord_home, name="fate-sleeper", state="restarted")
    assert restarted["changed"] and restarted["pid"] not in (0, first["pid"])
    reloaded, _ = call(run_module, supervisord_home, name="fate-sleeper", state="reloaded", reload_signal="CONT")
    assert reloaded["changed"] and reloaded["pid"] == restarted["pid"]
    stopped, _ = call(run_module, supervisord_home, name="fate-sleeper", state="stopped")
    assert stopped["changed"] and not stopped["running"] and stopped["status"] == "STOPPED"
    again, _ = call(run_module, supervisord_home, name="fate-sleeper", state="stopped")
    assert not again["changed"]


def test_changed_definition_is_loaded_and_restarts(run_module, supervisord_home):
    define(supervisord_home, command="sleep 600")
    first, _ = call(run_module, supervisord_home, name="fate-sleeper", state="started")
    define(supervisord_home, command="sleep 700")
    second, failed = call(run_module, supervisord_home, name="fate-sleeper", state="started")
    assert not failed and second["changed"] and second["definition_changed"]
    assert second["running"] and second["pid"] != first["pid"]
    with open("/proc/%d/cmdline" % second["pid"], "rb") as handle:
        assert b"700" in handle.read()
    # restarted right after a definition change restarts once, not twice.
    define(supervisord_home, command="sleep 800")
    third, _ = call(run_module, supervisord_home, name="fate-sleeper", state="restarted")
    assert third["changed"] and third["running"]


def test_program_that_dies_is_reported(run_module, supervisord_home):
    define(supervisord_home, name="fate-broken", command="%s -c 'import sys; sys.exit(3)'" % sys.executable)
    result, failed = call(run_module, supervisord_home, name="fate-broken", state="started", wait=10)
    assert failed
    assert "fate-broken did not stay running" in result["msg"] or "spawn error" in result["msg"].lower()


def test_unknown_program_and_missing_configuration(run_module, supervisord_home, tmp_path):
    define(supervisord_home)
    result, failed = call(run_module, supervisord_home, name="fate-unknown", state="started")
    assert failed and "program fate-unknown is not defined" in result["msg"]
    result, failed = run_module(fate_service.main, dict(name="x", supervisord_conf=str(tmp_path / "nope.conf")))
    assert failed and "nope.conf does not exist" in result["msg"]


def test_status_of_stopped_daemon_does_not_start_it(run_module, supervisord_home):
    define(supervisord_home)
    result, failed = call(run_module, supervisord_home, name="fate-sleeper", state="stopped")
    assert not failed and not result["changed"] and not result["running"]
    assert not os.path.exists(supervisord_home / "supervisord.pid")


def test_names_meaning_several_programs_are_refused(run_module, supervisord_home):
    # Regression: "all" (or two names with a space) stopped every program of the host.
    define(supervisord_home, "fate-a")
    define(supervisord_home, "fate-b")
    for program in ("fate-a", "fate-b"):
        _started, failed = call(run_module, supervisord_home, name=program, state="started")
        assert not failed
    for name in ["all", "ALL", "fate-a fate-b", "fate-a\tfate-b", "fate:*", "-h", "fate-a;fate-b", "fate-a\nfate-b", ""]:
        result, failed = call(run_module, supervisord_home, name=name, state="stopped")
        assert failed and result["msg"].startswith("name "), (name, result)
    for program in ("fate-a", "fate-b"):
        status, _failed = call(run_module, supervisord_home, name=program)
        assert status["running"], program


@pytest.mark.parametrize("args, words", [
    ({"reload_signal": "HUP; reboot"}, "reload_signal must be a signal name"),
    ({"wait": -1}, "wait must be at least 0"),
    ({"wait": 10 ** 6}, "wait must be at most 3600"),
])
def test_options_refused(run_module, supervisord_home, args, words):
    result, failed = call(run_module, supervisord_home, name="fate-sleeper", **args)
    assert failed and result["msg"].startswith(words), result
