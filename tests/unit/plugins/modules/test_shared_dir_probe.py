"""fateflow.ha.shared_dir_probe on real directories: the write, read/append, verify steps a play runs."""

import json
import os
import threading

from unittest import mock

import pytest
from ansible.module_utils import _internal
from ansible.module_utils.testing import patch_module_args

from ansible_collections.fateflow.ha.plugins.modules import shared_dir_probe


def run_module(capsys, tmp_path, args, check_mode=False):
    args = dict(args, _ansible_check_mode=check_mode, _ansible_tmpdir=str(tmp_path),
                _ansible_remote_tmp=str(tmp_path), _ansible_keep_remote_files=False)
    with patch_module_args(args), mock.patch.object(_internal, "is_controller", False):
        with pytest.raises(SystemExit):
            shared_dir_probe.main()
    return json.loads(capsys.readouterr().out)


def test_a_shared_directory_passes_every_step(capsys, tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    # The log directory does not exist yet: the probe goes into its nearest existing parent.
    logs = shared / "fate_flow" / "logs"
    written = run_module(capsys, tmp_path, dict(action="write", paths=[str(logs), str(shared)], probe="run1"), check_mode=True)
    files = [entry["file"] for entry in written["files"]]
    assert [os.path.dirname(name) for name in files] == [str(shared)] * 2 and not written["changed"]
    # Two nodes append at once, as the play's hosts do.
    results = {}

    def node(name):
        results[name] = shared_dir_probe.read(files, "run1", name, 0.3)

    threads = [threading.Thread(target=node, args=(name,)) for name in ("flow1", "flow2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(entry["found"] and entry["written"] > 100 for result in results.values() for entry in result)
    counted = run_module(capsys, tmp_path, dict(action="verify", files=files))
    expected = {name: result[0]["written"] for name, result in results.items()}
    assert [entry["lines"] for entry in counted["files"]] == [expected, expected]
    assert [entry["broken"] for entry in counted["files"]] == [0, 0]
    assert not any(os.path.exists(name) for name in files)


def test_another_directory_is_not_found(capsys, tmp_path):
    here, there = tmp_path / "here", tmp_path / "there"
    here.mkdir()
    there.mkdir()
    written = run_module(capsys, tmp_path, dict(action="write", paths=[str(here)], probe="run2"))
    elsewhere = str(there / os.path.basename(written["files"][0]["file"]))
    read = run_module(capsys, tmp_path, dict(action="read", files=[elsewhere], probe="run2", node="flow2", seconds=0.2))
    assert read["files"] == [dict(file=elsewhere, found=False, written=0)]
    # A stale file of an earlier run holds another probe.
    stale = run_module(capsys, tmp_path, dict(action="read", files=[written["files"][0]["file"]], probe="run3"))
    assert not stale["files"][0]["found"]
    run_module(capsys, tmp_path, dict(action="remove", files=[written["files"][0]["file"]]))
    assert os.listdir(here) == []


def test_broken_lines_are_counted(capsys, tmp_path):
    written = run_module(capsys, tmp_path, dict(action="write", paths=[str(tmp_path)], probe="run4"))
    probe_file = written["files"][0]["file"]
    shared_dir_probe.read([probe_file], "run4", "flow1", 0.05)
    with open(probe_file, "a") as handle:
        handle.write("flow2 0 xxx\nflow2 1 " + shared_dir_probe.PADDING + "flow1 7\n")
    counted = run_module(capsys, tmp_path, dict(action="verify", files=[probe_file]))
    assert counted["files"][0]["broken"] == 2 and list(counted["files"][0]["lines"]) == ["flow1"]


@pytest.mark.parametrize("path", ["/proc/1/fateflow/logs", "/sys/kernel/fateflow"])
def test_an_unwritable_directory_is_named(capsys, tmp_path, path):
    result = run_module(capsys, tmp_path, dict(action="writable", paths=[str(tmp_path), path], probe="run5"))
    assert result["failed"] and path in result["msg"] and "Cannot create a file" in result["msg"]
    assert os.listdir(tmp_path) == []


def test_only_probe_files_are_removed(capsys, tmp_path):
    victim = tmp_path / "keep.log"
    victim.write_text("x")
    result = run_module(capsys, tmp_path, dict(action="remove", files=[str(victim)]))
    assert result["failed"] and victim.exists()
