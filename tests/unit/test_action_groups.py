"""meta/runtime.yml's action groups match the modules: module_defaults for a group must fit all its members."""

import ast
import os

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODULES = os.path.join(ROOT, "plugins", "modules")


def groups():
    with open(os.path.join(ROOT, "meta", "runtime.yml"), encoding="utf-8") as handle:
        return yaml.safe_load(handle)["action_groups"]


def module_names():
    return sorted(name[:-3] for name in os.listdir(MODULES) if name.endswith(".py") and name != "__init__.py")


def takes_connection_options(name):
    with open(os.path.join(MODULES, name + ".py"), encoding="utf-8") as handle:
        source = handle.read()
    calls = {node.func.id for node in ast.walk(ast.parse(source))
             if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}
    documentation = yaml.safe_load(source.split('DOCUMENTATION = r"""', 1)[1].split('"""', 1)[0])
    fragments = documentation.get("extends_documentation_fragment") or []
    uses_spec = "connection_argument_spec" in calls
    assert uses_spec == ("fateflow.ha.zookeeper" in fragments), "%s: argument spec and doc fragment disagree" % name
    return uses_spec


def test_fateflow_group_holds_every_module():
    assert sorted(groups()["fateflow"]) == module_names()


def test_zookeeper_group_is_the_modules_with_the_connection_options():
    expected = [name for name in module_names() if takes_connection_options(name)]
    assert sorted(groups()["zookeeper"]) == expected == ["fateflow_node", "fateflow_registry_info", "zk_acl"]
