#!/usr/bin/env bash
# ansible-test sanity on the collection, for the Python version(s) of this machine.
#
# ansible-test wants the working directory inside .../ansible_collections/fateflow/ha and reads it
# with its real path, so the collection is copied into a temporary tree of that shape: the files the
# collection ships (tracked or new, less galaxy.yml's build_ignore: the lab, benches, molecule
# scenarios, scripts and pytest suites, which are not plugins and have their own linters) and
# tests/sanity (the ignore file). It cannot download its pip bootstrap script here: the stand-in
# scripts/get_pip_standin.py goes to the cache path it reads first. Its test environments are kept
# in ~/.ansible/test/venv, so only the first run installs its requirements (from PyPI).
# Usage: scripts/sanity.sh [ansible-test sanity options...], e.g. --test validate-modules.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
# shellcheck source=scripts/env.sh
. scripts/env.sh
python_version=${SANITY_PYTHON:-$(python -c 'import sys; print("%d.%d" % sys.version_info[:2])')}

pip_version=$(python -c 'from types import SimpleNamespace as S
from ansible_test._internal.python_requirements import get_venv_packages
print(get_venv_packages(S(version="'"$python_version"'"))["pip"])')
cache="$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py"
mkdir -p "$(dirname "$cache")"
cmp -s scripts/get_pip_standin.py "$cache" || cp scripts/get_pip_standin.py "$cache"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tree="$work/ansible_collections/fateflow/ha"
mkdir -p "$tree"
git ls-files -z --cached --others --exclude-standard | python -c '
import fnmatch, sys, yaml
ignored = yaml.safe_load(open("galaxy.yml"))["build_ignore"]
for path in sys.stdin.read().split("\0"):
    parts = path.split("/")
    prefixes = ["/".join(parts[:depth]) for depth in range(1, len(parts) + 1)]
    shipped = not any(fnmatch.fnmatch(prefix, pattern) for prefix in prefixes for pattern in ignored)
    if path and (shipped or path.startswith("tests/sanity/")):
        sys.stdout.write(path + "\0")
' | rsync -a --from0 --ignore-missing-args --files-from=- ./ "$tree/"
cd "$tree"
ansible-test sanity --python "$python_version" --color no "$@"
