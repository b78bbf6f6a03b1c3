# Copyright: fateflow.ha contributors
# Apache License 2.0 (see LICENSE)
"""Service managers behind fateflow.ha.fate_service: supervisord (FATE's convention) and systemd."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
import time

SUPERVISOR_RUNNING = ("RUNNING",)
SUPERVISOR_STARTING = ("STARTING", "BACKOFF")
STATUS_RE = re.compile(r"^(?P<name>\S+)\s+(?P<status>[A-Z]+)(?:\s+pid (?P<pid>\d+))?")


class ServiceError(Exception):
    """A failure with one clear sentence; details go to the task result."""

    def __init__(self, msg, **details):
        super(ServiceError, self).__init__(msg)
        self.details = details


class Supervisord(object):
    def __init__(self, module, conf, poll_interval=0.5):
        self.module = module
        self.conf = conf
        self.poll_interval = poll_interval
        self.ctl_bin = module.get_bin_path("supervisorctl", required=True)
        self.daemon_bin = module.get_bin_path("supervisord", required=True)

    def ctl(self, *args):
        rc, out, err = self.module.run_command([self.ctl_bin, "-c", self.conf] + list(args))
        return rc, (out or "") + (err or "")

    def daemon_running(self):
        rc, out = self.ctl("pid")
        return rc == 0 and out.strip().isdigit()

    def start_daemon(self):
        rc, out, err = self.module.run_command([self.daemon_bin, "-c", self.conf])
        if rc != 0:
            raise ServiceError("supervisord did not start from %s: %s" % (self.conf, (err or out).strip()))
        deadline = time.time() + 15
        while time.time() < deadline:
            if self.daemon_running():
                return
            time.sleep(self.poll_interval)
        raise ServiceError("supervisord started from %s but does not answer on its socket" % self.conf)

    def status(self, name):
        rc, out = self.ctl("status", name)
        if "no such process" in out.lower():
            return None, 0
        match = STATUS_RE.match(out.strip())
        if not match:
            raise ServiceError("cannot read the status of %s from supervisorctl: %s" % (name, out.strip()))
        return match.group("status"), int(match.group("pid") or 0)

    def pending_definition(self, name):
        """Whether reread finds the program new or changed (it only compares, it applies nothing)."""
        rc, out = self.ctl("reread")
        if rc != 0 and "no config updates" not in out.lower():
            raise ServiceError("supervisorctl reread failed for %s: %s" % (self.conf, out.strip()))
        for line in out.splitlines():
            program, _sep, what = line.partition(":")
            if program.strip() == name and what.strip() in ("available", "changed"):
                return True
        return False

    def wait_running(self, name, wait):
        deadline = time.time() + wait
        status, pid = self.status(name)
        while status in SUPERVISOR_STARTING and time.time() < deadline:
            time.sleep(self.poll_interval)
            status, pid = self.status(name)
        if status not in SUPERVISOR_RUNNING:
            raise ServiceError("%s did not stay running under supervisord (status %s); see its log in the "
                               "supervisord log directory" % (name, status), status=status)
        return status, pid

    def ensure(self, name, state, check_mode=False, reload_signal="HUP", wait=30, **_):
        changed = False
        if not self.daemon_running():
            if state in (None, "stopped"):
                return self.result(False, "STOPPED", 0, False)
            if check_mode:
                return self.result(True, "STOPPED", 0, False)
            self.start_daemon()
            changed = True
        definition_changed = self.pending_definition(name)
        if definition_changed:
            changed = True
            if check_mode:
                status, pid = self.status(name)
                return self.result(True, status or "STOPPED", pid, True)
            rc, out = self.ctl("update", name)
            if rc != 0 or "error" in out.lower():
                raise ServiceError("supervisord could not load the definition of %s: %s" % (name, out.strip()))
        status, pid = self.status(name)
        if status is None:
            raise ServiceError("program %s is not defined in the configuration included by %s" % (name, self.conf))
        if state is None:
            return self.result(changed, status, pid, definition_changed)

        running = status in SUPERVISOR_RUNNING + SUPERVISOR_STARTING
        action = None
        if state == "started" and not running:
            action = ("start", name)
        elif state == "stopped" and (running or status == "BACKOFF"):
            action = ("stop", name)
        elif state == "restarted" and not (definition_changed and running):
            # A definition loaded just now already restarted the program.
            action = ("restart", name)
        elif state == "reloaded":
            action = ("signal", reload_signal, name) if running else ("start", name)
        if action is None:
            if state != "stopped" and not check_mode and status not in SUPERVISOR_RUNNING:
                # Starting (just booted, or just reloaded with a new definition): wait for the verdict.
                status, pid = self.wait_running(name, wait)
            return self.result(changed, status, pid, definition_changed)
        if check_mode:
            return self.result(True, status, pid, definition_changed)
        rc, out = self.ctl(*action)
        if rc != 0 and not (action[0] == "stop" and "not running" in out.lower()):
            raise ServiceError("supervisorctl %s failed: %s" % (" ".join(action), out.strip()), rc=rc)
        if state == "stopped":
            status, pid = self.status(name)
        else:
            status, pid = self.wait_running(name, wait)
        return self.result(True, status, pid, definition_changed)

    @staticmethod
    def result(changed, status, pid, definition_changed):
        return dict(changed=changed, status=status, pid=pid,
                    running=status in SUPERVISOR_RUNNING, definition_changed=definition_changed)


class Systemd(object):
    def __init__(self, module):
        self.module = module
        self.bin = module.get_bin_path("systemctl", required=True)

    def systemctl(self, *args):
        rc, out, err = self.module.run_command([self.bin] + list(args))
        return rc, (out or "").strip(), (err or "").strip()

    def show(self, name):
        rc, out, err = self.systemctl("show", name, "-p", "ActiveState,MainPID,UnitFileState,LoadState")
        if rc != 0:
            raise ServiceError("systemctl show %s failed: %s" % (name, err or out))
        props = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
        if props.get("LoadState") == "not-found":
            raise ServiceError("unit %s.service is not installed" % name)
        return props

    def ensure(self, name, state, check_mode=False, enabled=None, daemon_reload=False, **_):
        changed = False
        if daemon_reload and not check_mode:
            self.systemctl("daemon-reload")
        props = self.show(name)
        active = props.get("ActiveState") in ("active", "activating", "reloading")
        actions = []
        if state == "started" and not active:
            actions.append("start")
        elif state == "stopped" and active:
            actions.append("stop")
        elif state == "restarted":
            actions.append("restart")
        elif state == "reloaded":
            actions.append("reload" if active else "start")
        if enabled is not None and (props.get("UnitFileState") == "enabled") != enabled:
            actions.append("enable" if enabled else "disable")
        for action in actions:
            changed = True
            if check_mode:
                continue
            rc, out, err = self.systemctl(action, name)
            if rc != 0:
                raise ServiceError("systemctl %s %s failed: %s" % (action, name, err or out), rc=rc)
        if changed and not check_mode:
            props = self.show(name)
        status = props.get("ActiveState", "unknown")
        return dict(changed=changed, status=status, pid=int(props.get("MainPID") or 0),
                    running=status == "active", definition_changed=False)
