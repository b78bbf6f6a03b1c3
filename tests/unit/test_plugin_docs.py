"""Every plugin's DOCUMENTATION, EXAMPLES and RETURN is YAML that ansible-doc can read."""

import glob
import os

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SOURCES = sorted(glob.glob(os.path.join(ROOT, "plugins", "*", "*.py")))


@pytest.mark.parametrize("path", SOURCES, ids=[os.path.relpath(p, ROOT) for p in SOURCES])
def test_documentation_is_yaml(path):
    with open(path, encoding="utf-8") as handle:
        source = handle.read()
    for key in ("DOCUMENTATION", "EXAMPLES", "RETURN"):
        marker = '%s = r"""' % key
        if marker in source:
            text = source.split(marker, 1)[1].split('"""', 1)[0]
            assert yaml.safe_load(text) is not None, "%s of %s is empty" % (key, path)
