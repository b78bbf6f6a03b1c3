"""The collection as users get it: built with ansible-galaxy, installed from the tarball, used by FQCN."""

import glob
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)

PLAYBOOK = """
- name: Use the installed collection by FQCN
  hosts: localhost
  connection: local
  gather_facts: true
  vars:
    party_supervisord_home: {home}
  tasks:
    - name: Run a program through the collection's role
      ansible.builtin.include_role:
        name: fateflow.ha.service_manager
        tasks_from: program
      vars:
        service_manager_program:
          name: fate-buildcheck
          command: sleep 600

    - name: Read its status through the collection's module
      fateflow.ha.fate_service:
        name: fate-buildcheck
        supervisord_conf: {home}/supervisord.conf
      register: status

    - name: Check it runs
      ansible.builtin.assert:
        that: status.running
"""


def test_build_install_and_use_by_fqcn(tmp_path):
    (tmp_path / "ansible.cfg").write_text("[defaults]\n")
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(tmp_path / "collections"),
               ANSIBLE_CONFIG=str(tmp_path / "ansible.cfg"),
               PATH=BIN + os.pathsep + os.environ["PATH"])
    subprocess.run([os.path.join(BIN, "ansible-galaxy"), "collection", "build", ROOT, "--output-path", str(tmp_path)],
                   check=True, capture_output=True, env=env)
    tarballs = glob.glob(str(tmp_path / "fateflow-ha-*.tar.gz"))
    assert len(tarballs) == 1
    listing = subprocess.run(["tar", "tzf", tarballs[0]], check=True, capture_output=True, text=True).stdout
    # Only content ships: no lab, tests' caches, virtualenv or CI files.
    assert "roles/service_manager/tasks/program.yml" in listing
    for unwanted in (".venv/", "lab/fflab.py", ".ci/", ".cache/", "scripts/"):
        assert unwanted not in listing
    subprocess.run([os.path.join(BIN, "ansible-galaxy"), "collection", "install", "--offline", "--no-deps",
                    tarballs[0], "-p", str(tmp_path / "collections")], check=True, capture_output=True, env=env)
    assert os.path.isdir(tmp_path / "collections" / "ansible_collections" / "fateflow" / "ha" / "roles")

    home = tmp_path / "supervisord"
    playbook = tmp_path / "use.yml"
    playbook.write_text(PLAYBOOK.format(home=home))
    try:
        run = subprocess.run([os.path.join(BIN, "ansible-playbook"), "-i", "localhost,", "-e", "ansible_python_interpreter=%s" % sys.executable, str(playbook)],
                             capture_output=True, text=True, env=env, cwd=str(tmp_path))
        assert run.returncode == 0, run.stdout + run.stderr
        assert "failed=0" in run.stdout
    finally:
        subprocess.run(["supervisorctl", "-c", str(home / "supervisord.conf"), "shutdown"], capture_output=True)
