"""The recovery rule of the role's FATE Flow server (roles/fateflow_ha/files/fateflow_ha_server.py).

Its threads and patches run against a real FATE Flow in the ha scenario and bench/jobs.py; the rule
that decides which jobs are rerun is pure, and tested here case by case.
"""

import importlib.util
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SPEC = importlib.util.spec_from_file_location(
    "fateflow_ha_server", os.path.join(ROOT, "roles", "fateflow_ha", "files", "fateflow_ha_server.py"))
server = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(server)

NOW = 1_800_000_000_000
JOB = {"status": "failed", "cancel_signal": False, "rerun_signal": False, "end_time": NOW - 60_000}


def task(version=0, status="failed", error=""):
    return {"task_name": "toy_example_0", "status": status, "party_status": status,
            "task_version": version, "error_report": error}


def decide(job=None, tasks=None, reruns=2, window=3600):
    return server.recovery_decision(dict(JOB, **(job or {})), tasks if tasks is not None else [task()],
                                    NOW, reruns, window)


def test_a_job_cut_with_its_node_is_rerun():
    rerun, why = decide()
    assert rerun and why.startswith("rerun 1 of 2")


@pytest.mark.parametrize("job, tasks, reason", [
    ({"status": "canceled"}, None, "status canceled"),
    ({"status": "timeout"}, None, "status timeout"),
    ({"status": "success"}, None, "status success"),
    ({"cancel_signal": True}, None, "canceled by a user"),
    ({"rerun_signal": True}, None, "already under way"),
    ({"end_time": NOW - 3601 * 1000}, None, "ended more than 3600 s ago"),
    (None, [task(status="success")], "no failed task"),
    (None, [task(error="ValueError: bad parameter")], "a component reported an error"),
    (None, [task(version=0), task(version=1, error="Traceback ...")], "a component reported an error"),
    (None, [task(version=0), task(version=1), task(version=2)], "rerun 2 time(s) already"),
])
def test_jobs_that_are_not_rerun(job, tasks, reason):
    rerun, why = decide(job, tasks)
    assert not rerun
    assert reason in why


def test_reruns_are_bounded_by_the_setting():
    assert decide(tasks=[task(version=0), task(version=1)], reruns=2)[0]
    assert not decide(tasks=[task(version=0), task(version=1)], reruns=1)[0]
    assert not decide(reruns=0)[0]


def test_settled_reasons_match_the_rules_wording():
    # The server stops looking at a job whose reason starts with one of these.
    for job, tasks in (({"cancel_signal": True}, None), (None, [task(error="x")]), (None, [task(version=2)])):
        assert decide(job, tasks)[1].startswith(server.SETTLED)
    # A rerun under way or a job outside the window may change: not settled.
    assert not decide({"rerun_signal": True})[1].startswith(server.SETTLED)


def test_environment_numbers_fall_back_to_defaults(monkeypatch):
    monkeypatch.setenv("FATEFLOW_HA_TEST_NUMBER", "abc")
    assert server.env_number("FATEFLOW_HA_TEST_NUMBER", 2, 0, 10) == 2
    monkeypatch.setenv("FATEFLOW_HA_TEST_NUMBER", "11")
    assert server.env_number("FATEFLOW_HA_TEST_NUMBER", 2, 0, 10) == 2
    monkeypatch.setenv("FATEFLOW_HA_TEST_NUMBER", "3")
    assert server.env_number("FATEFLOW_HA_TEST_NUMBER", 2, 0, 10) == 3
