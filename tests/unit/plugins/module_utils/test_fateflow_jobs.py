"""What fateflow_jobs makes of FATE Flow's running-task answer."""

import json

import pytest

from ansible_collections.fateflow.ha.plugins.module_utils import fateflow_jobs as fj

HERE = ("10.0.0.2", 9380)


def running(job_id, run_ip, pid=100, reports_to=None, status="running"):
    mlmd = {"type": "flow", "metadata": {"host": reports_to[0], "port": reports_to[1]}} if reports_to else None
    return {"job_id": job_id, "task_name": "toy_example_0", "role": "guest", "party_id": "9999",
            "task_version": 0, "run_ip": run_ip, "run_port": 9380, "run_pid": pid, "status": status,
            "party_status": status, "task_parameters": {},
            "component_parameters": {"conf": {"mlmd": mlmd}} if mlmd else {}}


def test_tasks_on_the_node_reporting_to_it_and_stuck():
    tasks = [
        running("j1", "10.0.0.2", pid=1, reports_to=HERE),            # here, alive
        running("j2", "10.0.0.2", pid=2, reports_to=HERE),            # here, process gone
        running("j3", "10.0.0.3", pid=3, reports_to=HERE),            # elsewhere, reports here
        running("j4", "10.0.0.3", pid=4, reports_to=("10.0.0.3", 9380)),  # not ours
        running("j5", "10.0.0.2", pid=5, status="success"),           # ended
    ]
    report = fj.summarize(tasks, *HERE, alive=lambda pid: pid != 2)
    assert [t["job_id"] for t in report["running_tasks"]] == ["j1", "j2"]
    assert [t["job_id"] for t in report["reporting_tasks"]] == ["j3"]
    assert report["jobs"] == ["j1", "j2", "j3"]
    assert report["stuck_jobs"] == ["j2"]
    assert report["running_tasks"][0]["reports_to"] == "10.0.0.2:9380"
    assert not report["idle"]


def test_a_node_with_no_work_is_idle():
    report = fj.summarize([running("j4", "10.0.0.3")], *HERE, alive=lambda pid: True)
    assert report["idle"] and report["jobs"] == [] and report["stuck_jobs"] == []


@pytest.mark.parametrize("tasks", [None, {}, "text", [None, 1, "x", []]])
def test_odd_task_lists_are_no_work(tasks):
    assert fj.summarize(tasks, *HERE)["idle"]


def test_answers():
    assert fj.parse_task_answer(json.dumps({"code": 0, "data": [{"job_id": "1"}]})) == [{"job_id": "1"}]
    # FATE Flow 2.2 answers "no found task" with a non-zero code when nothing runs.
    assert fj.parse_task_answer(json.dumps({"code": 2000, "message": "No found task"})) == []
    for bad in ("[]", json.dumps({"code": 0, "data": {}}), json.dumps({"code": 500, "message": "db error"}), "{x"):
        with pytest.raises(ValueError):
            fj.parse_task_answer(bad)


def test_mlmd_found_anywhere_and_bounded():
    assert fj.find_mlmd({"a": [{"b": {"mlmd": {"metadata": {"host": "h", "port": 1}}}}]}) == ("h", "1")
    deep = {}
    node = deep
    for _ in range(20):
        node["x"] = {}
        node = node["x"]
    node["mlmd"] = {"metadata": {"host": "h", "port": 1}}
    assert fj.find_mlmd(deep) is None


def test_state_file(tmp_path):
    path = tmp_path / "state.json"
    assert fj.read_state(str(path)) is None
    path.write_text("not json")
    assert fj.read_state(str(path)) is None
    path.write_text(json.dumps({"gate": "open"}))
    assert fj.read_state(str(path)) == {"gate": "open"}
