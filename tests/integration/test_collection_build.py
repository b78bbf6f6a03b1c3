"""The collection as users get it: built with ansible-galaxy, installed from the tarball, used by FQCN.

Also what the tarball claims: every collection a shipped file names is a dependency in galaxy.yml,
nothing shipped needs the lab, the scripts or the tests (which do not ship), and the ansible-core
the tests run is the one meta/runtime.yml claims.
"""

import glob
import json
import os
import re
import subprocess
import sys
import tarfile

import pytest
import yaml
from ansible.galaxy.dependency_resolution.versioning import meets_requirements
from ansible.release import __version__ as ANSIBLE_CORE_VERSION
from packaging.specifiers import SpecifierSet

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)

# The repository's configuration that names plugins without shipping: checked like shipped files.
CONFIG_FILES = ("ansible.cfg", ".config/molecule/config.yml")

# What the tarball holds at its top level (the galaxy.yml build_ignore list leaves out the rest).
SHIPPED_TOP_LEVEL = {"CHANGELOG.md", "FILES.json", "LICENSE", "MANIFEST.json", "README.md",
                     "changelogs", "docs", "inventories", "meta", "playbooks", "plugins", "roles"}
SHIPPED_UNDER = {"changelogs": {"changelog.yaml"}, "inventories": {"example"}}

# Collections the checks accept without a dependency: the collection itself and ansible-core's own.
OWN_COLLECTIONS = {"fateflow.ha", "ansible.builtin", "ansible.legacy"}

# A path into the parts of the repository that never ship.
UNSHIPPED_PATH = re.compile(r"(?<![\w.-])(?:\.\./)*(?:lab|scripts|tests)/")

# Documentation describes the repository (its tests, its lab): the check above is for what runs.
DOCUMENTATION = re.compile(r"(\.md|^changelogs/changelog\.yaml)$")

FQCN = re.compile(r"(?<![\w.])([a-z_][a-z0-9_]*)\.([a-z_][a-z0-9_]*)\.([a-z_][a-z0-9_]*)")
# Where a dotted name is certainly a plugin's FQCN, installed or not: a task's module, a Python
# import from a collection, a callback in the configuration.
TASK_KEY = re.compile(r"^\s*(?:-\s+)?([a-z_][a-z0-9_]*)\.([a-z_][a-z0-9_]*)\.[a-z_][a-z0-9_]*:(?:\s|$)", re.M)
IMPORT = re.compile(r"ansible_collections\.([a-z_][a-z0-9_]*)\.([a-z_][a-z0-9_]*)")
CALLBACKS = re.compile(r"^\s*(?:callbacks_enabled|callback_whitelist|stdout_callback)\s*[=:]\s*(.+)$", re.M)


def _env(tmp_path):
    (tmp_path / "ansible.cfg").write_text("[defaults]\n")
    return dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(tmp_path / "collections"),
                ANSIBLE_CONFIG=str(tmp_path / "ansible.cfg"),
                PATH=BIN + os.pathsep + os.environ["PATH"])


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The collection tarball, built once, and the directory it is extracted to."""
    tmp_path = tmp_path_factory.mktemp("build")
    subprocess.run([os.path.join(BIN, "ansible-galaxy"), "collection", "build", ROOT, "--output-path", str(tmp_path)],
                   check=True, capture_output=True, env=_env(tmp_path))
    tarballs = glob.glob(str(tmp_path / "fateflow-ha-*.tar.gz"))
    assert len(tarballs) == 1
    extracted = tmp_path / "extracted"
    with tarfile.open(tarballs[0]) as tar:
        tar.extractall(extracted, filter="data")
    return tarballs[0], extracted


def _shipped_files(extracted):
    for dirpath, _, filenames in os.walk(extracted):
        for filename in filenames:
            path = os.path.join(dirpath, filename)
            yield os.path.relpath(path, extracted), path


def _text(path):
    with open(path, "rb") as handle:
        data = handle.read()
    return None if b"\0" in data else data.decode("utf-8", errors="replace")


def _galaxy():
    with open(os.path.join(ROOT, "galaxy.yml")) as handle:
        return yaml.safe_load(handle)


def _installed_collections():
    """Every collection the controller has ({"ns.name": version}), from ansible-galaxy."""
    run = subprocess.run([os.path.join(BIN, "ansible-galaxy"), "collection", "list", "--format", "json"],
                         check=True, capture_output=True, text=True, env=dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg")))
    installed = {}
    for collections in json.loads(run.stdout).values():
        for name, details in collections.items():
            installed.setdefault(name, details["version"])
    return installed


def _named_collections(text, installed):
    """The collections a file names: FQCNs in certain places, and any ns.coll.name of an installed collection."""
    named = {"%s.%s" % match.groups()[:2] for match in TASK_KEY.finditer(text)}
    named.update("%s.%s" % match.groups() for match in IMPORT.finditer(text))
    for match in CALLBACKS.finditer(text):
        for callback in re.split(r"[\s,]+", match.group(1).strip()):
            if callback.count(".") >= 2:
                named.add(".".join(callback.split(".")[:2]))
    named.update("%s.%s" % match.groups()[:2] for match in FQCN.finditer(text)
                 if "%s.%s" % match.groups()[:2] in installed)
    return named

PLAYBOOK = """
- name: Use the installed collection by FQCN
  hosts: localhost
  connection: local
  gather_facts: true
  vars:
    party_supervisord_home: {home}
  tasks:
    - name: Run a program through the collection's role
      ansible.builtin.include_role:
        name: fateflow.ha.service_manager
        tasks_from: program
      vars:
        service_manager_program:
          name: fate-buildcheck
          command: sleep 600

    - name: Read its status through the collection's module
      fateflow.ha.fate_service:
        name: fate-buildcheck
        supervisord_conf: {home}/supervisord.conf
      register: status

    - name: Check it runs
      ansible.builtin.assert:
        that: status.running
"""


def test_build_install_and_use_by_fqcn(tmp_path, built):
    tarball, _ = built
    env = _env(tmp_path)
    listing = subprocess.run(["tar", "tzf", tarball], check=True, capture_output=True, text=True).stdout
    # Only content ships: no lab, tests' caches, virtualenv or CI files.
    assert "roles/service_manager/tasks/program.yml" in listing
    for unwanted in (".venv/", "lab/fflab.py", ".ci/", ".cache/", "scripts/"):
        assert unwanted not in listing
    subprocess.run([os.path.join(BIN, "ansible-galaxy"), "collection", "install", "--offline", "--no-deps",
                    tarball, "-p", str(tmp_path / "collections")], check=True, capture_output=True, env=env)
    assert os.path.isdir(tmp_path / "collections" / "ansible_collections" / "fateflow" / "ha" / "roles")

    home = tmp_path / "supervisord"
    playbook = tmp_path / "use.yml"
    playbook.write_text(PLAYBOOK.format(home=home))
    try:
        run = subprocess.run([os.path.join(BIN, "ansible-playbook"), "-i", "localhost,", "-e", "ansible_python_interpreter=%s" % sys.executable, str(playbook)],
                             capture_output=True, text=True, env=env, cwd=str(tmp_path))
        assert run.returncode == 0, run.stdout + run.stderr
        assert "failed=0" in run.stdout
    finally:
        subprocess.run(["supervisorctl", "-c", str(home / "supervisord.conf"), "shutdown"], capture_output=True)


def test_tarball_holds_what_runs_from_it(built):
    _, extracted = built
    top_level = set(os.listdir(extracted))
    assert top_level == SHIPPED_TOP_LEVEL, "ships %s, lacks %s: decide in galaxy.yml's build_ignore" % (
        sorted(top_level - SHIPPED_TOP_LEVEL), sorted(SHIPPED_TOP_LEVEL - top_level))
    for directory, entries in SHIPPED_UNDER.items():
        assert set(os.listdir(extracted / directory)) == entries, directory
    for path in ("meta/runtime.yml", "playbooks/site.yml", "plugins/modules/zk_acl.py",
                 "roles/fateflow_ha/tasks/main.yml", "inventories/example/hosts.yml", "changelogs/changelog.yaml"):
        assert (extracted / path).is_file(), path


def test_no_shipped_file_needs_what_does_not_ship(built):
    _, extracted = built
    found = []
    for relpath, path in _shipped_files(extracted):
        text = _text(path)
        if text is None or DOCUMENTATION.search(relpath):
            continue
        for number, line in enumerate(text.splitlines(), 1):
            if UNSHIPPED_PATH.search(line):
                found.append("%s:%d: %s" % (relpath, number, line.strip()))
    assert not found, "shipped files refer to lab/, scripts/ or tests/, which do not ship:\n" + "\n".join(found)


def test_every_named_collection_is_a_dependency(built):
    _, extracted = built
    installed = _installed_collections()
    dependencies = _galaxy().get("dependencies") or {}
    files = list(_shipped_files(extracted)) + [(name, os.path.join(ROOT, name)) for name in CONFIG_FILES]
    missing = {}
    for relpath, path in files:
        text = _text(path)
        if text is None:
            continue
        for collection in _named_collections(text, installed) - OWN_COLLECTIONS - set(dependencies):
            missing.setdefault(collection, []).append(relpath)
    assert not missing, "collections used but not in galaxy.yml dependencies: %s" % missing
    # The check sees the callback the configuration enables.
    assert "ansible.posix" in _named_collections(open(os.path.join(ROOT, "ansible.cfg")).read(), installed)


def test_dependencies_are_met_by_the_controller():
    installed = _installed_collections()
    for collection, requirement in (_galaxy().get("dependencies") or {}).items():
        assert collection in installed, collection
        assert meets_requirements(installed[collection], requirement), (collection, installed[collection], requirement)


def test_requires_ansible_is_the_ansible_core_the_tests_run():
    with open(os.path.join(ROOT, "meta", "runtime.yml")) as handle:
        requires_ansible = yaml.safe_load(handle)["requires_ansible"]
    assert SpecifierSet(requires_ansible).contains(ANSIBLE_CORE_VERSION, prereleases=True), \
        "ansible-core %s is outside requires_ansible %r: the claim and the pin must move together" % (
            ANSIBLE_CORE_VERSION, requires_ansible)
