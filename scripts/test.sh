#!/usr/bin/env bash
# Runs every test of the collection: lint, ansible-test sanity, unit and integration tests (real ZooKeeper,
# MariaDB, nginx and supervisord started by the tests), the lab's own tests, and every
# molecule scenario on lab hosts. Exits non-zero when anything fails.
#
# Two tracks run at once: the longest molecule scenario (ha) on its lab hosts, and the linters,
# pytest (loopback services in temporary directories) and the other scenarios, each on a lab of
# its own. Each step's output goes to .lab/test-logs/<step>.log; a failed step's tail is printed.
set -uo pipefail
run_start=$SECONDS
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
bash scripts/setup.sh || exit 1
# shellcheck source=scripts/env.sh
. scripts/env.sh

logs=.lab/test-logs
rm -rf "$logs"
mkdir -p "$logs"

# step NAME COMMAND...: runs the command with its output in the step's log, prints one line when
# it starts and one when it ends, and records the result in <log>.status (read at the end).
step() {
  local name=$1; shift
  local log="$logs/${name// /_}.log"
  echo "=== $name (log: $log)"
  local start=$SECONDS
  if "$@" >"$log" 2>&1; then
    echo "=== $name: ok ($((SECONDS - start)) s)"
    echo ok >"$log.status"
  else
    # The first errors (molecule's tail is mostly its clean-up), then the end of the log.
    echo "=== $name: FAILED ($((SECONDS - start)) s); the first errors and the end of $log:"
    sed -e 's/\x1b\[[0-9;]*m//g' "$log" | grep -m 2 -E -A 15 'fatal:|^(FAILED|ERROR) ' \
      | sed "s/^/  [$name] /"
    echo "  [$name] ..."
    tail -n 30 "$log" | sed -e 's/\x1b\[[0-9;]*m//g' -e "s/^/  [$name] /"
    echo failed >"$log.status"
  fi
}

scenarios=()
for dir in extensions/molecule/*/; do
  [ -f "$dir/molecule.yml" ] && scenarios+=("$(basename "$dir")")
done
# The longest scenario runs beside everything else; the others follow pytest, one at a time.
long=ha
others=()
for scenario in "${scenarios[@]}"; do
  [ "$scenario" = "$long" ] || others+=("$scenario")
done

if [ -d "extensions/molecule/$long" ]; then
  step "molecule $long" molecule test -s "$long" &
  long_pid=$!
fi
step yamllint yamllint -s .
step ansible-lint ansible-lint -q
step sanity bash scripts/sanity.sh
step pytest python -m pytest -q -p no:cacheprovider tests
for scenario in "${others[@]}"; do
  step "molecule $scenario" molecule test -s "$scenario"
done
[ -n "${long_pid:-}" ] && wait "$long_pid"

# Every step counts: one without a result (its track died) is a failed one.
steps=("yamllint" "ansible-lint" "sanity" "pytest")
for scenario in "${scenarios[@]}"; do steps+=("molecule $scenario"); done
passed=0
failed=()
for name in "${steps[@]}"; do
  if [ "$(cat "$logs/${name// /_}.log.status" 2>/dev/null)" = ok ]; then
    passed=$((passed + 1))
  else
    failed+=("$name")
  fi
done
echo "=== all steps, set-up included: $((SECONDS - run_start)) s"
[ ${#failed[@]} -eq 0 ] || echo "failed: ${failed[*]}"
echo "tests: $passed passed, ${#failed[@]} failed"
[ ${#failed[@]} -eq 0 ]
