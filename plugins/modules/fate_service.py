#!/usr/bin/python
# Copyright: fateflow.ha contributors
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: fate_service
short_description: Start, stop, restart, reload or query a FATE service under supervisord or systemd
version_added: "0.1.0"
description:
  - One place that acts on the services of a FATE party, whichever service manager the site uses.
  - With C(supervisord) (FATE's own convention, e.g. C(sh /data/projects/common/supervisord/service.sh restart fate-fateflow)),
    the module starts the supervisord daemon of O(supervisord_conf) when it is not running, loads a new or changed program
    definition (C(supervisorctl reread) and C(update)), then brings the program to O(state).
  - With C(systemd), the module calls C(systemctl); a changed unit file is picked up with C(daemon-reload).
  - A program whose definition changed is restarted by supervisord when it is loaded; this counts as a change.
options:
  name:
    description:
      - Program name (supervisord) or unit name without C(.service) (systemd), for example C(fate-fateflow);
        with supervisord also C(group:program).
      - One service only. Refused are C(all), names with spaces (several programs to C(supervisorctl)),
        patterns such as C(group:*) and names starting with a dash.
    type: str
    required: true
  state:
    description:
      - V(started) and V(stopped) act only when needed. V(restarted) always restarts, V(reloaded) sends the
        reload signal (supervisord) or runs C(systemctl reload) when the service runs, and starts it otherwise.
      - Omitted, the module only reports the status.
    type: str
    choices: [started, stopped, restarted, reloaded]
  manager:
    description: The service manager of the host.
    type: str
    choices: [supervisord, systemd]
    default: supervisord
  supervisord_conf:
    description: The supervisord configuration file; its daemon is started from it when needed.
    type: path
    default: /data/projects/common/supervisord/supervisord.conf
  reload_signal:
    description: Signal that makes the program re-read its configuration (supervisord only).
    type: str
    default: HUP
  enabled:
    description: Whether the unit starts at boot (systemd only). Supervisord programs start with their daemon.
    type: bool
  daemon_reload:
    description: Run C(systemctl daemon-reload) first (systemd only), after a unit file changed.
    type: bool
    default: false
  wait:
    description: Seconds to wait for a program to reach RUNNING after a start (supervisord only), 0 to 3600.
    type: int
    default: 30
attributes:
  check_mode:
    description: Can run in check mode and report what it would change without changing it.
    support: full
  diff_mode:
    description: Returns the before and after of what it changes (or would change, in check mode) in diff mode.
    support: none
author:
  - fateflow.ha contributors (@fateflow)
"""

EXAMPLES = r"""
- name: Restart FATE Flow
  fateflow.ha.fate_service:
    name: fate-fateflow
    state: restarted

- name: Stop the local rollsite of an extra Flow node, under systemd
  fateflow.ha.fate_service:
    name: fate-rollsite
    state: stopped
    manager: systemd
    enabled: false

- name: Read the status of ZooKeeper
  fateflow.ha.fate_service:
    name: fate-zookeeper
  register: zk_status
"""

RETURN = r"""
status:
  description:
    - The service's state after the module ran, as the manager names it (RUNNING, STOPPED, FATAL... for supervisord;
      active, inactive, failed... for systemd).
  type: str
  returned: always
  sample: RUNNING
running:
  description: Whether the service runs after the module ran.
  type: bool
  returned: always
pid:
  description: Main process id, 0 when it does not run.
  type: int
  returned: always
definition_changed:
  description: Whether a new or changed supervisord program definition was loaded.
  type: bool
  returned: always
"""

import os

import re

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.fateflow.ha.plugins.module_utils import validation
from ansible_collections.fateflow.ha.plugins.module_utils.service import (
    Supervisord,
    Systemd,
    ServiceError,
)


SIGNAL = re.compile(r"^(SIG)?[A-Z][A-Z0-9]{0,9}$|^[0-9]{1,2}$")


def signal_name(option, value):
    """A signal as supervisorctl takes it: a name (HUP, SIGUSR1) or a number."""
    if not SIGNAL.match(value.strip().upper()):
        raise validation.InputError(option, "must be a signal name such as HUP or USR1, not %s" % validation.shown(value))
    return value.strip().upper()


def run_module():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            state=dict(type="str", choices=["started", "stopped", "restarted", "reloaded"]),
            manager=dict(type="str", choices=["supervisord", "systemd"], default="supervisord"),
            supervisord_conf=dict(type="path", default="/data/projects/common/supervisord/supervisord.conf"),
            reload_signal=dict(type="str", default="HUP"),
            enabled=dict(type="bool"),
            daemon_reload=dict(type="bool", default=False),
            wait=dict(type="int", default=30),
        ),
        supports_check_mode=True,
    )
    params = module.params
    validation.check_options(module, dict(
        name=lambda option, value: validation.service_name(option, value, params["manager"]),
        reload_signal=signal_name,
        wait=lambda option, value: validation.integer(option, value, minimum=0, maximum=3600),
        supervisord_conf=validation.text,
    ))
    if params["manager"] == "supervisord":
        if not os.path.exists(params["supervisord_conf"]):
            module.fail_json(msg="supervisord configuration %s does not exist; set up the service manager first "
                                 "(role fateflow.ha.service_manager)" % params["supervisord_conf"])
        manager = Supervisord(module, params["supervisord_conf"])
    else:
        manager = Systemd(module)

    try:
        result = manager.ensure(
            params["name"],
            params["state"],
            check_mode=module.check_mode,
            reload_signal=params["reload_signal"],
            enabled=params["enabled"],
            daemon_reload=params["daemon_reload"],
            wait=params["wait"],
        )
    except ServiceError as exc:
        module.fail_json(msg=str(exc), **exc.details)
    module.exit_json(**result)


def main():
    run_module()


if __name__ == "__main__":
    main()
