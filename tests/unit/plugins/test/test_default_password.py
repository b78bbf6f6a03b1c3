"""The default_password test plugin."""

import re

import pytest

from ansible_collections.fateflow.ha.plugins.test.default_password import DEFAULT_PASSWORDS, default_password


@pytest.mark.parametrize("password, expected", [
    ("fate", True),
    ("fate_dev", True),
    ("fate_deV2999", True),
    ("fate_deV2023", True),
    ("guest", True),
    ("Guest ", True),
    ("guests", False),
    ("FATE", True),
    ("fate_dev2999", True),
    (" fate_deV2999\n", True),
    ("fate_deV2999x", False),
    ("fate2", False),
    ("Flow-db-7f3c9e", False),
    ("", False),
    (None, False),
    (2999, False),
])
def test_default_password(password, expected):
    assert default_password(password) is expected


def test_the_plugin_is_registered_under_its_name():
    from ansible_collections.fateflow.ha.plugins.test.default_password import TestModule
    assert TestModule().tests() == {"default_password": default_password}


def test_list_holds_the_seed_passwords():
    assert {"fate", "fate_dev", "fate_dev2999", "fate_dev2023"} <= DEFAULT_PASSWORDS



def test_documentation_parses_and_lists_every_password():
    import yaml
    from ansible_collections.fateflow.ha.plugins.test import default_password as plugin
    doc = yaml.safe_load(plugin.DOCUMENTATION)
    listed = next(line for line in doc["description"] if line.startswith("The list"))
    assert sorted(p.casefold() for p in re.findall(r"V\(([^)]+)\)", listed)) == sorted(DEFAULT_PASSWORDS)
    yaml.safe_load(plugin.EXAMPLES)
    yaml.safe_load(plugin.RETURN)
