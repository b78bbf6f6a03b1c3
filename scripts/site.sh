#!/usr/bin/env bash
# The main job on this one machine: bring the lab party up and roll the HA site out on it.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
bash scripts/setup.sh
# shellcheck source=scripts/env.sh
. scripts/env.sh

inventory=$root/.lab/site/inventory.yml
lab/fflab --lab site up --topology lab/topologies/site.yml --inventory "$inventory"
ansible-playbook -i "$inventory" playbooks/site.yml
