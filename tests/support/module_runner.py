"""Run a module's main() in-process with given arguments and return its result JSON."""

import json

import pytest
from ansible.module_utils import basic
from ansible.module_utils.common.text.converters import to_bytes


class ModuleExit(Exception):
    def __init__(self, result):
        super().__init__(result)
        self.result = result


def _exit_json(self, **kwargs):
    kwargs.setdefault("changed", False)
    raise ModuleExit(kwargs)


def _fail_json(self, msg, **kwargs):
    kwargs.update(failed=True, msg=msg)
    raise ModuleExit(kwargs)


def run_module(module_main, args, check_mode=False, diff=False):
    """Call ``module_main()`` with ``args`` as its task arguments; the exit or fail JSON comes back."""
    payload = dict(args)
    payload["_ansible_check_mode"] = check_mode
    payload["_ansible_diff"] = diff
    payload["_ansible_remote_tmp"] = "/tmp"
    payload["_ansible_keep_remote_files"] = False
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setattr(basic, "_ANSIBLE_ARGS", to_bytes(json.dumps({"ANSIBLE_MODULE_ARGS": payload})))
    # ansible-core 2.19 also wants to know how the arguments were serialised.
    monkeypatch.setattr(basic, "_ANSIBLE_PROFILE", "legacy", raising=False)
    monkeypatch.setattr(basic.AnsibleModule, "exit_json", _exit_json)
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", _fail_json)
    try:
        module_main()
    except ModuleExit as done:
        return done.result
    finally:
        monkeypatch.undo()
    raise AssertionError("the module returned without exit_json or fail_json")
