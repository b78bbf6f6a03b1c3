"""fateflow_service_conf through ansible-playbook -vvv --diff: no credential in anything printed.

Every credential is a marker (SECRET-...) that must not appear in stdout or stderr: from the
options, from settings, from the file itself (FATE 1.x's private_key, the stock passwords), in a
change, in a refused argument, and in a YAML error on a line that holds a password.
"""

import os
import subprocess
import sys

from ansible_collections.fateflow.ha.tests.unit.plugins.modules.test_fateflow_service_conf import FATE_111

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))

PLAY = """\
- name: Credentials stay hidden
  hosts: localhost
  gather_facts: false
  vars:
    conf_args: &conf
      host: 10.0.0.2
      nginx_host: 10.0.0.1
      nginx_http_port: 9998
      nginx_grpc_port: 9999
      zookeeper_hosts: [10.0.0.1:2181]
      zookeeper_use_acl: true
      zookeeper_user: fate
      zookeeper_password: SECRET-zk-option
      rollsite_host: 10.0.0.1
      rollsite_port: 9370
      database: {name: fate_flow, user: fate, password: SECRET-db-option, host: 10.0.0.1}
      settings:
        default_engines: {computing: eggroll}
        fate_on_spark: {hive: {password: SECRET-hive-setting}}
        authentication: {client: {http_secret_key: SECRET-app-setting}}
  tasks:
    - name: A change, shown as a diff
      fateflow.ha.fateflow_service_conf:
        <<: *conf
        path: {dir}/service_conf.yaml
    - name: A refused argument
      fateflow.ha.fateflow_service_conf:
        <<: *conf
        path: {dir}/service_conf.yaml
        http_port: not-a-port
      ignore_errors: true
    - name: A YAML error on a line with a password
      fateflow.ha.fateflow_service_conf:
        <<: *conf
        path: {dir}/broken.yaml
        flow_version: 1.11.4
      ignore_errors: true
"""


def test_no_credential_in_playbook_output(tmp_path):
    (tmp_path / "service_conf.yaml").write_text(
        FATE_111.replace("private_key:\n", "private_key: SECRET-private-key-file\n")
        .replace("passwd: fate", "passwd: SECRET-db-file"))
    (tmp_path / "broken.yaml").write_text("database:\n  passwd: SECRET-yaml-line\n  passwd: SECRET-yaml-line-2\n")
    playbook = tmp_path / "play.yml"
    playbook.write_text(PLAY.replace("{dir}", str(tmp_path)))
    config = tmp_path / "ansible.cfg"
    config.write_text("[defaults]\n")
    env = dict(os.environ, ANSIBLE_CONFIG=str(config), ANSIBLE_LOCALHOST_WARNING="false",
               ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".cache", "collections"))
    proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-vvv", "--diff",
                           "-i", "localhost,", "-c", "local", "-e", "ansible_python_interpreter=" + sys.executable,
                           str(playbook)], env=env, capture_output=True, text=True, cwd=str(tmp_path))
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert "ok=1 " in output or "changed=1 " in output, output
    assert "computing: eggroll" in output                       # the diff is there, readable
    assert "http_port" in output and "not valid YAML at line 3" in output
    assert "SECRET" not in output, [line for line in output.splitlines() if "SECRET" in line][:5]
    assert "SECRET-db-option" in (tmp_path / "service_conf.yaml").read_text()
