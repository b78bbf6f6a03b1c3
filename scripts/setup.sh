#!/usr/bin/env bash
# Prepares this machine to run the collection and its lab: Debian packages and the
# controller's virtualenv (.venv, from requirements/controller.txt). Safe to run again.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

# Services the lab runs for real, and what lab hosts need to be managed by Ansible.
debian_packages=(
  zookeeper default-jre-headless nginx mariadb-server supervisor
  openssh-server openssh-client iproute2 procps psmisc lsof curl
  python3 python3-venv python3-kazoo python3-pymysql python3-grpcio python3-ruamel.yaml
)

# Packages the roles install on lab hosts themselves (their install path is under test), which
# have no resolver: apt finds them in this machine's archive cache.
debian_downloads=(rabbitmq-server python3-pika keepalived nftables)

if [ "$(id -u)" -ne 0 ]; then
  echo "setup: run as root (it installs Debian packages and the lab needs root)" >&2
  exit 2
fi

missing=()
for pkg in "${debian_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  apt-get update -qq
  # Services are started by the lab and the roles, never by the package scripts.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --download-only "${debian_downloads[@]}" >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --download-only "${debian_downloads[@]}" >/dev/null
fi

stamp=.venv/.requirements.sha256
want=$(sha256sum requirements/controller.txt | cut -d' ' -f1)
if [ ! -x .venv/bin/python ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "setup: installing the controller tooling into .venv"
  python3 -m venv .venv
  .venv/bin/pip install -q --disable-pip-version-check -r requirements/controller.txt
  echo "$want" > "$stamp"
fi

# Ansible finds the collection's plugins only under ansible_collections/<namespace>/<name>.
mkdir -p .cache/collections/ansible_collections/fateflow
ln -sfn "$root" .cache/collections/ansible_collections/fateflow/ha
