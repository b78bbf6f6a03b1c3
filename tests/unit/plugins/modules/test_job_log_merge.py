"""fateflow.ha.job_log_merge: one job's files from several nodes, merged in time order with the node named."""

import json

from unittest import mock

import pytest
from ansible.module_utils import _internal
from ansible.module_utils.testing import patch_module_args

from ansible_collections.fateflow.ha.plugins.modules import job_log_merge

FLOW1 = ("[INFO] [2026-12-04 12:50:01,100] [job1] [1:2] - [job_scheduler.submit] [line:10]: submit\n"
         "[ERROR] [2026-12-04 12:50:03,000] [job1] [1:2] - [detector.detect] [line:20]: failed\n"
         "Traceback (most recent call last):\n  File \"x.py\", line 1\n")
FLOW2 = "[INFO] [2026-12-04 12:50:02,500] [job1] [3:4] - [job_scheduler.schedule] [line:30]: schedule\n"
# A shared file: the lines name their node themselves.
SHARED = ("[INFO] [2026-12-04 12:50:05,000] [job1] [flow2 3:4] - [a.b] [line:1]: two\n"
          "[INFO] [2026-12-04 12:50:04,000] [job1] [flow1 1:2] - [a.b] [line:1]: one\n")


def run_module(capsys, tmp_path, args, check_mode=False):
    args = dict(args, _ansible_check_mode=check_mode, _ansible_tmpdir=str(tmp_path),
                _ansible_remote_tmp=str(tmp_path), _ansible_keep_remote_files=False)
    with patch_module_args(args), mock.patch.object(_internal, "is_controller", False):
        with pytest.raises(SystemExit):
            job_log_merge.main()
    return json.loads(capsys.readouterr().out)


def test_nodes_merged_in_time_order(capsys, tmp_path):
    for node, text in (("flow1", FLOW1), ("flow2", FLOW2), ("shared", SHARED)):
        (tmp_path / node / "job1").mkdir(parents=True)
        (tmp_path / node / "job1" / "fate_flow_schedule.log").write_text(text)
    dest = tmp_path / "merged.log"
    args = dict(sources=[dict(node=node, path=str(tmp_path / node)) for node in ("flow1", "flow2", "shared")], dest=str(dest))
    assert run_module(capsys, tmp_path, args, check_mode=True)["changed"] and not dest.exists()
    result = run_module(capsys, tmp_path, args)
    assert result["changed"] and result["files"] == 3 and result["nodes"] == {"flow1": 5, "flow2": 2}
    lines = dest.read_text().splitlines()
    assert [line.split(" | ")[0] for line in lines] == ["flow1", "flow2", "flow1", "flow1", "flow1", "flow1", "flow2"]
    assert lines[2].endswith("failed") and lines[3].endswith("Traceback (most recent call last):")
    assert lines[5].endswith(": one") and lines[6].endswith(": two")
    assert all(line.split(" | ")[1] == "job1/fate_flow_schedule.log" for line in lines)
    assert not run_module(capsys, tmp_path, args)["changed"]


def test_a_missing_directory_is_named(capsys, tmp_path):
    result = run_module(capsys, tmp_path, dict(sources=[dict(node="flow1", path=str(tmp_path / "nope"))], dest=str(tmp_path / "m")))
    assert result["failed"] and "nope" in result["msg"]
