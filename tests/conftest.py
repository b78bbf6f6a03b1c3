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


import json  # noqa: E402

import pytest  # noqa: E402


@pytest.fixture
def run_module(capsys):
    """Run a module's main() with the given arguments; return (result, failed) as Ansible would see them."""
    from ansible.module_utils.testing import patch_module_args

    def runner(main, args):
        with patch_module_args(args):
            with pytest.raises(SystemExit) as exc:
                main()
        out = capsys.readouterr().out
        result = json.loads(out[out.index("{"):])
        return result, exc.value.code != 0 or bool(result.get("failed"))

    return runner
