#!/usr/bin/env bash
# Runs every test of the collection: lint, unit and integration tests (real ZooKeeper,
# MariaDB, nginx and supervisord started by the tests), the lab's own tests, and every
# molecule scenario on lab hosts. Exits non-zero when anything fails.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
bash scripts/setup.sh || exit 1
# shellcheck source=scripts/env.sh
. scripts/env.sh

failed=()
step() {
  local name=$1; shift
  echo "=== $name"
  local start=$SECONDS
  if "$@"; then
    echo "=== $name: ok ($((SECONDS - start)) s)"
  else
    echo "=== $name: FAILED ($((SECONDS - start)) s)"
    failed+=("$name")
  fi
}

step yamllint yamllint -s .
step ansible-lint ansible-lint -q
step pytest python -m pytest -q -p no:cacheprovider tests
scenarios=()
for dir in extensions/molecule/*/; do
  [ -f "$dir/molecule.yml" ] && scenarios+=("$(basename "$dir")")
done
for scenario in "${scenarios[@]}"; do
  step "molecule $scenario" molecule test -s "$scenario"
done

total=$((3 + ${#scenarios[@]}))
echo "tests: $((total - ${#failed[@]})) passed, ${#failed[@]} failed"
[ ${#failed[@]} -eq 0 ] || { echo "failed: ${failed[*]}"; exit 1; }
