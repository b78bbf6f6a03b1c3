#!/usr/bin/env bash
# The main job on this one machine: bring the lab's two parties up (party 10000, the HA party, and
# party 9999, the other party of the seed's toy), roll each party's site out from its own
# inventory, check the HA party's health, run the seed's toy verification across the parties
# (failover included) and say what runs where. Run again, site.yml changes nothing (its recap
# shows changed=0 on every host).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
bash scripts/setup.sh
# shellcheck source=scripts/env.sh
. scripts/env.sh

lab=site
# Each party's inventory: hosts.yml written by fflab, group_vars/ kept in the repository. Party
# 10000 is the lab party (inventories/lab), party 9999 the other party of the toy.
ha=(-i inventories/lab)
guest=(-i inventories/lab_guest)
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

step lab lab/fflab --lab "$lab" up --topology lab/topologies/site.yml \
  --inventory inventories/lab/hosts.yml --inventory guest=inventories/lab_guest/hosts.yml
# The lab has no full FATE deployment: each party's full node gets the route table the site edits.
step prepare ansible-playbook "${ha[@]}" extensions/molecule/ha/prepare.yml
step prepare_guest ansible-playbook "${guest[@]}" extensions/molecule/ha/prepare.yml
step site ansible-playbook "${ha[@]}" playbooks/site.yml
recap site
changed=$(recap site | awk '{for (i = 1; i <= NF; i++) if ($i ~ /^changed=/) {sub("changed=", "", $i); n += $i}} END {print n + 0}')
echo "site.yml (party 10000): changed=$changed in total"
step site_guest ansible-playbook "${guest[@]}" playbooks/site.yml
recap site_guest
# Each party's rollsite: the lab's stand-in for eggroll's, on its full node.
step rollsite ansible-playbook "${ha[@]}" lab/router.yml
step rollsite_guest ansible-playbook "${guest[@]}" lab/router.yml
step check ansible-playbook "${ha[@]}" playbooks/check.yml
report check 'Show the health report'
step verify_toy ansible-playbook "${ha[@]}" playbooks/verify_toy.yml
report verify_toy 'Show every toy job'

# What runs where, read from the inventory the lab wrote.
python3 - inventories/lab/hosts.yml inventories/lab_guest/hosts.yml <<'EOF'
import sys
import yaml

address, groups = {}, {}
for path in sys.argv[1:]:
    inv = yaml.safe_load(open(path))["all"]
    address.update({h: v["ansible_host"] for h, v in inv["hosts"].items()})
    for group, spec in (inv.get("children") or {}).items():
        groups.setdefault(group, []).extend((spec or {}).get("hosts") or {})
print("What runs where (lab %s; party 10000 but gflow, party 9999):" % inv["vars"].get("fflab_name", "site"))
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
    if host in groups.get("rabbitmq", []):
        services.append("RabbitMQ %s:5672, management :15672" % address[host])
    if host in groups.get("fate_full", []):
        services.append("rollsite (lab/router.py) %s:9370, route table /data/projects/fate/eggroll/conf/route_table.json"
                        % address[host])
    print("  %-6s %-12s %s" % (host, address[host], "; ".join(services)))
print("Enter a host: lab/fflab --lab site exec flow1 -- bash; services: "
      "sh /data/projects/common/supervisord/service.sh status")
print("The VIP of party 10000's Nginx hosts: %s (inventories/lab/group_vars)" % ".".join(address["lb"].split(".")[:3] + ["250"]))
EOF
