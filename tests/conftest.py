"""Test-wide set-up: make the collection importable as ansible_collections.fateflow.ha.

Ansible loads a collection's plugins only from an ``ansible_collections/<namespace>/<name>``
path. The runner provides one by linking the checkout into ``.cache/collections``.
"""

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLLECTIONS = os.path.join(ROOT, ".cache", "collections")
LINK = os.path.join(COLLECTIONS, "ansible_collections", "fateflow", "ha")

if not os.path.islink(LINK):
    os.makedirs(os.path.dirname(LINK), exist_ok=True)
    os.symlink(ROOT, LINK)
if COLLECTIONS not in sys.path:
    sys.path.insert(0, COLLECTIONS)
os.environ.setdefault("ANSIBLE_COLLECTIONS_PATH", COLLECTIONS)


import pytest  # noqa: E402


@pytest.fixture
def run_module():
    """Run a module's main() with the given arguments; return (result, failed) as Ansible would see them."""
    from ansible_collections.fateflow.ha.tests.support.module_runner import run_module as run

    def runner(main, args):
        args = dict(args)
        check_mode = args.pop("_ansible_check_mode", False)
        diff = args.pop("_ansible_diff", False)
        result = run(main, args, check_mode=check_mode, diff=diff)
        return result, bool(result.get("failed"))

    return runner
