#!/usr/bin/env bash
# The main job on this one machine: bring the lab party up, roll the HA site out on it, check
# its health, run the seed's toy verification (failover included) and say what runs where.
# Run again, site.yml changes nothing (its recap shows changed=0 on every host).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
bash scripts/setup.sh
# shellcheck source=scripts/env.sh
. scripts/env.sh

lab=site
inventory=inventories/lab    # hosts.yml written by fflab, group_vars/ kept in the repository
logs=$root/.lab/$lab/logs
mkdir -p "$logs"

step() {
  local name=$1; shift
  local start=$SECONDS
  echo "=== $name"
  if ! "$@" > "$logs/$name.log" 2>&1; then
    tail -n 40 "$logs/$name.log"
    echo "=== $name: FAILED after $((SECONDS - start)) s (whole log: $logs/$name.log)"
    exit 1
  fi
  echo "=== $name: ok ($((SECONDS - start)) s, log: $logs/$name.log)"
}

report() {
  # The lines of a debug message (a list of strings) that a run printed under the task named $2.
  sed -n "/$2/,/^}/p" "$logs/$1.log" | sed -n 's/^ *"\(.*\)",\{0,1\}$/\1/p'
}

recap() {
  # The PLAY RECAP lines of a run: one per host, with its changed count.
  sed -n '/^PLAY RECAP/,/^$/p' "$logs/$1.log" | grep -E 'ok=' || true
}

step lab lab/fflab --lab "$lab" up --topology lab/topologies/site.yml --inventory "$inventory/hosts.yml"
# The lab has no full FATE deployment: its full node gets the route table the site edits.
step prepare ansible-playbook -i "$inventory" extensions/molecule/ha/prepare.yml
step site ansible-playbook -i "$inventory" playbooks/site.yml
recap site
changed=$(recap site | awk '{for (i = 1; i <= NF; i++) if ($i ~ /^changed=/) {sub("changed=", "", $i); n += $i}} END {print n + 0}')
echo "site.yml: changed=$changed in total"
step check ansible-playbook -i "$inventory" playbooks/check.yml
report check 'Show the health report'
step verify_toy ansible-playbook -i "$inventory" playbooks/verify_toy.yml
report verify_toy 'Show every toy job'

# What runs where, read from the inventory the lab wrote.
python3 - "$inventory/hosts.yml" <<'EOF'
import sys
import yaml

inv = yaml.safe_load(open(sys.argv[1]))["all"]
address = {h: v["ansible_host"] for h, v in inv["hosts"].items()}
groups = {g: list((spec or {}).get("hosts") or {}) for g, spec in (inv.get("children") or {}).items()}
print("What runs where (lab %s):" % inv["vars"].get("fflab_name", "site"))
for host in address:
    services = []
    if host in groups.get("zookeeper", []):
        services.append("ZooKeeper %s:2181" % address[host])
    if host in groups.get("fateflow_mysql", []):
        services.append("MariaDB %s:3306" % address[host])
    if host in groups.get("nginx", []):
        services.append("Nginx http://%s:9998 (FATE Flow API), grpc %s:9999" % (address[host], address[host]))
    if host in groups.get("fateflow", []):
        services.append("FATE Flow http://%s:9380/v2/server/fateflow, grpc %s:9360" % (address[host], address[host]))
    if host in groups.get("fate_full", []):
        services.append("route table /data/projects/fate/osx/conf/broker/route_table.json")
    print("  %-6s %-12s %s" % (host, address[host], "; ".join(services)))
print("Enter a host: lab/fflab --lab site exec flow1 -- bash; services: "
      "sh /data/projects/common/supervisord/service.sh status")
EOF
