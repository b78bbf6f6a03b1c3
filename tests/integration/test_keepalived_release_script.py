"""The keepalived role's release script (templates/release.sh.j2), rendered by Ansible as the role renders it.

For each service manager: the script is valid sh, calls that manager to reload Nginx and stop keepalived, and
the nftables table it loads to hold new connections off is accepted by nft (checked, not applied, in a network
namespace of its own: this machine's rules are not touched). The planned move itself is measured on the lab
(bench/failover.py, case nginx-rolling).
"""

import os
import re
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TEMPLATE = os.path.join(ROOT, "roles", "keepalived", "templates", "release.sh.j2")
NFT = shutil.which("nft") or "/usr/sbin/nft"

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="nft and unshare need root")


def render(tmp, manager):
    play = tmp / "play.yml"
    play.write_text(
        "- name: Render the release script\n  hosts: localhost\n  gather_facts: false\n  tasks:\n"
        "    - name: Render it\n      ansible.builtin.template:\n        src: %s\n        dest: %s\n        mode: '0755'\n"
        % (TEMPLATE, tmp / "release.sh"))
    variables = {
        "party_nginx_vip": "10.9.0.250", "keepalived_drain_table": "fateflow_vip_drain",
        "keepalived_release_grace": 10, "keepalived_nft_binary": NFT, "party_service_manager": manager,
        "party_supervisord_home": "/data/projects/common/supervisord", "keepalived_program_name": "fate-keepalived",
        "keepalived_nginx_program_name": "fate-nginx", "ansible_python_interpreter": sys.executable,
    }
    (tmp / "vars.yml").write_text("".join("%s: %r\n" % item for item in variables.items()))
    (tmp / "ansible.cfg").write_text("[defaults]\n")
    env = dict(os.environ, ANSIBLE_CONFIG=str(tmp / "ansible.cfg"), ANSIBLE_NOCOLOR="1", ANSIBLE_LOCALHOST_WARNING="0",
               ANSIBLE_STDOUT_CALLBACK="ansible.builtin.default")
    proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "localhost,",
                           "-c", "local", "-e", "@%s" % (tmp / "vars.yml"), str(play)],
                          capture_output=True, text=True, env=env, cwd=str(tmp), timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return (tmp / "release.sh").read_text()


@pytest.mark.parametrize("manager, reload_nginx, stop_keepalived", [
    pytest.param("supervisord", "supervisorctl -c /data/projects/common/supervisord/supervisord.conf signal HUP fate-nginx",
     "supervisorctl -c /data/projects/common/supervisord/supervisord.conf stop fate-keepalived", id="supervisord"),
    pytest.param("systemd", "systemctl kill --kill-whom=main --signal=HUP fate-nginx", "systemctl stop fate-keepalived",
                 id="systemd"),
])
def test_release_script_is_valid_and_its_drain_rule_is_accepted_by_nft(tmp_path, manager, reload_nginx,
                                                                        stop_keepalived):
    script = render(tmp_path, manager)
    syntax = subprocess.run(["sh", "-n", str(tmp_path / "release.sh")], capture_output=True, text=True)
    assert syntax.returncode == 0, syntax.stderr
    assert reload_nginx in script and stop_keepalived in script
    # The rule must wait for the drain (after it the move) and the table must go at the end, whatever happens.
    assert script.index("trap ") < script.index("reload_nginx >&2") < script.index("stop_keepalived >&2 || exit 1\ntries")
    ruleset = re.search(r'"\$nft" -f - <<EOF \|\| exit 1\n(.*?)\nEOF\n', script, re.S).group(1)
    ruleset = ruleset.replace("$table", "fateflow_vip_drain").replace("$vip", "10.9.0.250")
    if not os.path.exists(NFT):
        pytest.skip("nft is not installed (the keepalived role installs nftables)")
    check = subprocess.run(["unshare", "--net", NFT, "--check", "-f", "-"], input=ruleset, capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    # The same table with a rule that matches nothing would pass too: the rule must name the address and a SYN.
    assert "ip daddr 10.9.0.250 tcp flags & (syn | ack) == syn drop" in ruleset
