"""CHANGELOG.md is antsibull-changelog's output, never edited by hand (docs/changelog.md).

The fragments and changelogs/changelog.yaml must lint, and CHANGELOG.md must be exactly what
`antsibull-changelog generate` writes from them. The tool is pinned in requirements/controller.txt;
a missing tool fails the test rather than skipping it.
"""

import os
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)


def _tool():
    path = shutil.which("antsibull-changelog", path=BIN + os.pathsep + os.environ.get("PATH", ""))
    assert path, "antsibull-changelog is not installed: pip install -r requirements/controller.txt"
    return path


def _run(args, cwd):
    run = subprocess.run([_tool()] + args, cwd=cwd, capture_output=True, text=True)
    assert run.returncode == 0, "antsibull-changelog %s: %s%s" % (" ".join(args), run.stdout, run.stderr)
    return run


def test_fragments_lint():
    run = _run(["lint"], ROOT)
    assert run.stdout.strip() == "", run.stdout


def test_changelog_yaml_lints():
    run = _run(["lint-changelog-yaml", os.path.join("changelogs", "changelog.yaml")], ROOT)
    assert run.stdout.strip() == "", run.stdout


def test_changelog_md_is_what_generate_writes(tmp_path):
    # A copy of what generate reads, so that the checkout is never written to.
    shutil.copy(os.path.join(ROOT, "galaxy.yml"), tmp_path / "galaxy.yml")
    shutil.copytree(os.path.join(ROOT, "changelogs"), tmp_path / "changelogs",
                    ignore=shutil.ignore_patterns(".plugin-cache.yaml"))
    _run(["generate"], str(tmp_path))
    with open(os.path.join(ROOT, "CHANGELOG.md"), encoding="utf-8") as committed, \
            open(tmp_path / "CHANGELOG.md", encoding="utf-8") as generated:
        assert committed.read() == generated.read(), (
            "CHANGELOG.md differs from what antsibull-changelog generate writes: describe changes in a "
            "fragment under changelogs/fragments/ and regenerate (docs/changelog.md)")
