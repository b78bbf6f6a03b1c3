"""No block of six or more lines is written twice in the collection's YAML and templates.

Roles, playbooks and plugin YAML share tasks through entry points, module_defaults and
variables; a block copied from one file into another would have to be changed twice. Lines
are compared stripped of indentation, with blank lines, comments and `gather_facts: false` (which
every play of the collection says) left out. Galaxy's role metadata (meta/main.yml) is left out:
Galaxy wants each role's own copy.
"""

import collections
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FOLDERS = ("plugins", "roles", "playbooks")
SUFFIXES = (".yml", ".yaml", ".j2")
WINDOW = 6


def meaningful_lines(path):
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            text = line.strip()
            if text and not text.startswith("#") and text not in ("---", "gather_facts: false"):
                yield number, text


def yaml_files():
    for folder in FOLDERS:
        for base, _dirs, names in os.walk(os.path.join(ROOT, folder)):
            for name in sorted(names):
                path = os.path.join(base, name)
                if name.endswith(SUFFIXES) and not path.endswith(os.path.join("meta", "main.yml")):
                    yield path


def repeated_blocks(paths, window=WINDOW):
    """Each run of `window` lines found in more than one place: {lines: [(file, first line)]}."""
    places = collections.defaultdict(list)
    for path in paths:
        lines = list(meaningful_lines(path))
        for start in range(len(lines) - window + 1):
            block = tuple(text for _number, text in lines[start:start + window])
            places[block].append((os.path.relpath(path, ROOT), lines[start][0]))
    return {block: where for block, where in places.items() if len(where) > 1}


def test_the_check_finds_a_copied_block(tmp_path):
    block = "".join("- name: Step %d\n  ansible.builtin.debug:\n    msg: %d\n" % (i, i) for i in range(3))
    (tmp_path / "a.yml").write_text("---\n" + block)
    (tmp_path / "b.yml").write_text("---\n# the same steps\n" + block.replace("\n", "\n\n"))
    found = repeated_blocks([str(tmp_path / "a.yml"), str(tmp_path / "b.yml")])
    assert found, "a block copied between two files must be found"


@pytest.mark.parametrize("folder", FOLDERS)
def test_no_block_is_written_twice(folder):
    found = repeated_blocks(path for path in yaml_files() if os.path.relpath(path, ROOT).startswith(folder + os.sep))
    assert not found, "\n".join(
        "%s\n    %s" % (", ".join("%s:%d" % place for place in where), "\n    ".join(block))
        for block, where in sorted(found.items(), key=lambda item: item[1]))


def test_no_block_is_written_twice_across_folders():
    found = repeated_blocks(yaml_files())
    assert not found, "\n".join(
        "%s\n    %s" % (", ".join("%s:%d" % place for place in where), "\n    ".join(block))
        for block, where in sorted(found.items(), key=lambda item: item[1]))
