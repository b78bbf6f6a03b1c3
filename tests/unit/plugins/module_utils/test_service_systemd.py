"""The systemd side of module_utils.service.

systemd cannot run on the machines these tests run on, so a recording stand-in of `systemctl`
answers here; the supervisord side is tested against a real supervisord in tests/integration.
"""

import pytest

from ansible_collections.fateflow.ha.plugins.module_utils.service import ServiceError, Systemd


class FakeModule:
    def __init__(self, units):
        self.units = units
        self.calls = []

    def get_bin_path(self, name, required=False):
        return "/bin/" + name

    def run_command(self, argv):
        self.calls.append(argv[1:])
        verb, name = argv[1], argv[2] if len(argv) > 2 else None
        unit = self.units.get(name)
        if verb == "show":
            if unit is None:
                return 0, "LoadState=not-found\nActiveState=inactive\nMainPID=0\n", ""
            return 0, "LoadState=loaded\nActiveState=%(active)s\nMainPID=%(pid)d\nUnitFileState=%(file)s\n" % unit, ""
        if verb in ("start", "restart"):
            unit.update(active="active", pid=unit["pid"] + 100)
        elif verb == "stop":
            unit.update(active="inactive", pid=0)
        elif verb == "enable":
            unit["file"] = "enabled"
        elif verb == "disable":
            unit["file"] = "disabled"
        elif verb == "fail":
            return 1, "", "boom"
        return 0, "", ""


def unit(active="inactive", pid=0, file="disabled"):
    return dict(active=active, pid=pid, file=file)


@pytest.mark.parametrize("start, state, enabled, actions, changed", [
    (unit(), "started", None, [["start", "fate-x"]], True),
    (unit("active", 10), "started", None, [], False),
    (unit("active", 10), "stopped", None, [["stop", "fate-x"]], True),
    (unit(), "stopped", None, [], False),
    (unit("active", 10), "restarted", None, [["restart", "fate-x"]], True),
    (unit("active", 10), "reloaded", None, [["reload", "fate-x"]], True),
    (unit(), "reloaded", None, [["start", "fate-x"]], True),
    (unit("active", 10, "enabled"), "started", True, [], False),
    (unit("active", 10), "started", True, [["enable", "fate-x"]], True),
    (unit("active", 10, "enabled"), None, False, [["disable", "fate-x"]], True),
])
def test_systemd_actions(start, state, enabled, actions, changed):
    module = FakeModule({"fate-x": start})
    result = Systemd(module).ensure("fate-x", state, enabled=enabled)
    assert result["changed"] is changed
    assert [c for c in module.calls if c[0] != "show"] == actions


def test_systemd_check_mode_acts_on_nothing():
    module = FakeModule({"fate-x": unit()})
    result = Systemd(module).ensure("fate-x", "started", check_mode=True, daemon_reload=True)
    assert result["changed"] and not result["running"]
    assert [c for c in module.calls if c[0] != "show"] == []


def test_systemd_daemon_reload_first():
    module = FakeModule({"fate-x": unit("active", 10)})
    Systemd(module).ensure("fate-x", "started", daemon_reload=True)
    assert module.calls[0] == ["daemon-reload"]


def test_systemd_unknown_unit():
    with pytest.raises(ServiceError, match="unit fate-y.service is not installed"):
        Systemd(FakeModule({})).ensure("fate-y", "started")
