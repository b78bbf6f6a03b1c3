# Copyright: fateflow.ha contributors
# Apache License 2.0 (see LICENSE)
"""FATE Flow 2.x server, started the way fate_flow_server.py starts it, with what an HA party needs
and FATE Flow 2.2 lacks. Installed and run by the fateflow.ha.fateflow_ha role on every Flow node.

* Registration that heals itself. FATE Flow registers its ephemeral znode once, at start-up; a node
  cut off from ZooKeeper for longer than its session (10 s) serves on unregistered, and the other
  nodes' detectors fail every job that has a task on it. A keeper thread checks every few seconds
  that the node's own znode exists and belongs to the server's own session, and creates it again
  (FATE's own data, under the server's own session) as soon as ZooKeeper answers.
* A gate in front of the scheduler. Every node's scheduler takes waiting jobs and starts tasks.
  The gate keeps this node's scheduler idle while the node is not registered (its tasks would be
  failed by the other nodes' detectors) and while the drain flag file exists (a planned stop:
  rolling restart, removal, upgrade); the other nodes schedule everything meanwhile.
* A detector that does not judge blind: FATE's detector stops every job with a task on a node
  missing from the registry, also when it is this node that cannot read the registry (it then
  sees no node at all). That check is skipped while this node's ZooKeeper session is down.
* Registry reads that survive a node leaving: FATE lists the registry, then reads each node; one
  that leaves in between failed the whole read (an API error, a detector round lost). Read again.
* Recovery of jobs cut by a lost node. A job that failed with no task reporting an error of its
  own (FATE records a component's error in the task's error report; a task killed with its node,
  or failed by the detector, has none) is rerun through FATE Flow's own rerun, at most
  FATEFLOW_HA_RECOVERY_RERUNS times (counted by FATE's task versions), within
  FATEFLOW_HA_RECOVERY_WINDOW seconds of its end. Canceled and timed-out jobs are never rerun.
  FATE's schedule lock on the job keeps two nodes from rerunning it at once.

The state of all this is written to FATEFLOW_HA_STATE_FILE (JSON) for check.yml and the drain.
Everything here is guarded: on a FATE Flow whose internals differ, the server starts unchanged and
the state file says that self-healing is off, and why.
"""

import json
import logging
import os
import sys
import threading
import time
import traceback

LOG = logging.getLogger("fateflow_ha")

# Job states, as FATE Flow 2.x writes them.
FAILED = "failed"
# Reads of the registry that meet a node leaving half-way.
READ_ATTEMPTS = 3
# Reasons not to rerun that do not change with time (recovery_decision's wording).
SETTLED = ("canceled", "a component", "rerun ")


def env_number(name, default, minimum, maximum):
    """A number from the environment the role writes; out of range or malformed: the default."""
    try:
        value = float(os.environ.get(name, default))
    except ValueError:
        return default
    return value if minimum <= value <= maximum else default


SETTINGS = {
    "drain_flag": os.environ.get("FATEFLOW_HA_DRAIN_FLAG", ""),
    "state_file": os.environ.get("FATEFLOW_HA_STATE_FILE", ""),
    "keeper_interval": env_number("FATEFLOW_HA_KEEPER_INTERVAL", 2.0, 0.5, 60),
    "recovery_reruns": int(env_number("FATEFLOW_HA_RECOVERY_RERUNS", 2, 0, 10)),
    "recovery_window": env_number("FATEFLOW_HA_RECOVERY_WINDOW", 3600, 60, 7 * 86400),
    "recovery_interval": env_number("FATEFLOW_HA_RECOVERY_INTERVAL", 10, 1, 600),
}


def recovery_decision(job, tasks, now_ms, reruns, window_s):
    """Whether a job ended by FATE Flow is rerun, and why (or why not).

    ``job``: the scheduler's view (``status``, ``cancel_signal``, ``rerun_signal``, ``end_time`` in ms);
    ``tasks``: every party's task records of the job (``status``, ``party_status``, ``task_version``,
    ``error_report``). Pure, so that the rule is tested on its own.
    """
    if job.get("status") != FAILED:
        return False, "status %s" % job.get("status")
    if job.get("cancel_signal"):
        return False, "canceled by a user"
    if job.get("rerun_signal"):
        return False, "a rerun is already under way"
    end_time = job.get("end_time") or 0
    if end_time and now_ms - end_time > window_s * 1000:
        return False, "ended more than %d s ago" % window_s
    failed = [t for t in tasks if FAILED in (t.get("status"), t.get("party_status"))]
    if not failed:
        return False, "no failed task"
    reported = [t for t in failed if (t.get("error_report") or "").strip()]
    if reported:
        return False, "a component reported an error (task %s)" % reported[0].get("task_name", "?")
    done = max([int(t.get("task_version") or 0) for t in tasks] or [0])
    if done >= reruns:
        return False, "rerun %d time(s) already (limit %d)" % (done, reruns)
    return True, "rerun %d of %d: its tasks failed without an error of their own" % (done + 1, reruns)


class State:
    """What the additions see and do, written to the state file for check.yml and the drain."""

    def __init__(self, path):
        self.path = path
        self.lock = threading.Lock()
        self.data = {
            "pid": os.getpid(),
            "started": time.time(),
            "self_healing": True,
            "self_healing_off_reason": "",
            "registered": False,
            "zookeeper_connected": False,
            "gate": "starting",
            "scheduler_busy": False,
            "reregistrations": 0,
            "last_reregistration": None,
            "recovered": [],
        }

    def update(self, **values):
        with self.lock:
            self.data.update(values)

    def note_recovery(self, entry):
        with self.lock:
            self.data["recovered"] = (self.data["recovered"] + [entry])[-50:]

    def write(self):
        if not self.path:
            return
        with self.lock:
            self.data["updated"] = time.time()
            text = json.dumps(self.data, sort_keys=True)
        tmp = "%s.%d.tmp" % (self.path, os.getpid())
        try:
            with open(tmp, "w") as handle:
                handle.write(text)
            os.replace(tmp, self.path)
        except OSError as error:
            LOG.warning("cannot write the state file %s: %s", self.path, error)


class Additions:
    def __init__(self, state):
        self.state = state
        self.drain_flag = SETTINGS["drain_flag"]
        self.registered = False
        self.connected = False
        self.uses_zookeeper = False
        self.last_gate = None
        # Jobs whose recovery is settled for good (canceled, a component's error, reruns used up).
        self.settled = {}

    # The gate -------------------------------------------------------------------------------
    def gate_reason(self):
        if self.drain_flag and os.path.exists(self.drain_flag):
            return "drain"
        if self.uses_zookeeper and not self.connected:
            return "zookeeper unreachable"
        if self.uses_zookeeper and not self.registered:
            return "unregistered"
        return ""

    def wrap_scheduler(self, scheduler_class):
        original = scheduler_class.run_do
        additions = self

        def run_do(scheduler):
            reason = additions.gate_reason()
            if reason != additions.last_gate:
                LOG.warning("scheduler on this node: %s", ("paused: " + reason) if reason else "open")
                additions.last_gate = reason
            if reason:
                additions.state.update(gate=reason)
                return None
            additions.state.update(gate="open", scheduler_busy=True)
            try:
                return original(scheduler)
            finally:
                additions.state.update(scheduler_busy=False)

        scheduler_class.run_do = run_do

    @staticmethod
    def wrap_registry_reads(zookeeper_class):
        """FATE lists the registry's children, then reads each: a node that leaves in between (its
        session ended, or its stale znode was cleared) is read as '' and json.loads('') fails the
        whole request (code 6000 on GET /v2/server/fateflow) or the detector's round. Read again:
        the node that left is no longer listed."""
        original = zookeeper_class.get_servers

        def get_servers(service_db, to_dict=False):
            for _attempt in range(READ_ATTEMPTS - 1):
                try:
                    return original(service_db, to_dict=to_dict)
                except ValueError:
                    continue
            return original(service_db, to_dict=to_dict)

        zookeeper_class.get_servers = get_servers

    def wrap_detector(self, detector_class):
        original = detector_class.detect_cluster_instance_status.__func__
        additions = self

        def detect_cluster_instance_status(cls, task, stop_job_ids):
            if additions.uses_zookeeper and not additions.connected:
                return None
            return original(cls, task, stop_job_ids)

        detector_class.detect_cluster_instance_status = classmethod(detect_cluster_instance_status)

    # The registration keeper -----------------------------------------------------------------
    def keep_registration(self, runtime_config, zookeeper_class, server_instance):
        from kazoo.exceptions import NodeExistsError

        while runtime_config.SERVICE_DB is None:
            time.sleep(0.2)
        service_db = runtime_config.SERVICE_DB
        self.uses_zookeeper = isinstance(service_db, zookeeper_class)
        if not self.uses_zookeeper:
            self.state.update(registered=None, zookeeper_connected=None)
            return
        client = service_db.client
        url, value = server_instance
        znode = service_db._get_znode_path("flow-server", url)
        data = value.encode("utf-8")
        while True:
            try:
                self.connected = bool(client.connected)
                stat = client.exists(znode) if self.connected else None
                ours = stat is not None and stat.owner_session_id == client.client_id[0]
                if self.connected and stat is None:
                    try:
                        client.create(znode, data, ephemeral=True, makepath=True)
                        ours = True
                        count = self.state.data["reregistrations"] + 1
                        self.state.update(reregistrations=count, last_reregistration=time.time())
                        LOG.warning("registered %s again in ZooKeeper (its registration was gone)", znode)
                    except NodeExistsError:
                        pass
                self.registered = ours
            except Exception as error:  # a lost connection between two calls: next round
                self.connected = False
                self.registered = False
                LOG.debug("registration check failed: %r", error)
            self.state.update(registered=self.registered, zookeeper_connected=self.connected,
                              gate=self.gate_reason() or "open")
            self.state.write()
            time.sleep(SETTINGS["keeper_interval"])

    # Recovery ---------------------------------------------------------------------------------
    def recover(self):
        from fate_flow.controller.job import JobController
        from fate_flow.manager.operation.job_saver import JobSaver, ScheduleJobSaver
        from fate_flow.utils.log_utils import schedule_logger
        from fate_flow.utils.schedule_utils import schedule_signal

        reruns = SETTINGS["recovery_reruns"]
        while True:
            time.sleep(SETTINGS["recovery_interval"])
            if reruns < 1 or self.gate_reason():
                continue
            try:
                oldest = (time.time() - SETTINGS["recovery_window"]) * 1000
                for schedule_job in ScheduleJobSaver.query_job(status=FAILED):
                    job_id = schedule_job.f_job_id
                    if (schedule_job.f_end_time or oldest) < oldest or job_id in self.settled:
                        continue
                    if not schedule_signal(job_id=job_id, set_or_reset=True):
                        continue
                    try:
                        self.recover_job(job_id, reruns, JobSaver, ScheduleJobSaver, JobController, schedule_logger)
                    finally:
                        schedule_signal(job_id=job_id, set_or_reset=False)
            except Exception:
                LOG.warning("recovery round failed: %s", traceback.format_exc(limit=3))

    def recover_job(self, job_id, reruns, job_saver, schedule_job_saver, job_controller, schedule_logger):
        # Read again under the job's schedule lock: another node may have rerun it meanwhile.
        schedule_jobs = schedule_job_saver.query_job(job_id=job_id)
        if not schedule_jobs:
            return
        schedule_job = schedule_jobs[0]
        job = {
            "status": schedule_job.f_status,
            "cancel_signal": schedule_job.f_cancel_signal,
            "rerun_signal": schedule_job.f_rerun_signal,
            "end_time": schedule_job.f_end_time,
        }
        tasks = [{
            "task_name": t.f_task_name,
            "status": t.f_status,
            "party_status": t.f_party_status,
            "task_version": t.f_task_version,
            "error_report": t.f_error_report,
        } for t in job_saver.query_task(job_id=job_id)]
        rerun, why = recovery_decision(job, tasks, int(time.time() * 1000), reruns, SETTINGS["recovery_window"])
        if not rerun:
            if why.startswith(SETTLED):
                self.settled[job_id] = why
                LOG.info("recovery: job %s is not rerun: %s", job_id, why)
            return
        jobs = job_saver.query_job(job_id=job_id)
        if not jobs:
            return
        schedule_logger(job_id).warning("fateflow.ha recovery: %s", why)
        LOG.warning("recovery: job %s %s", job_id, why)
        response = job_controller.request_rerun_job(job=jobs[0])
        self.state.note_recovery({"job_id": job_id, "time": time.time(), "why": why,
                                  "response": str(response)[:200]})
        self.state.write()


def install(additions):
    """Patches FATE Flow 2.x; returns the reason when it cannot (the server then runs unchanged)."""
    try:
        from fate_flow.manager.service.service_manager import ZooKeeperDB, server_instance
        from fate_flow.runtime.runtime_config import RuntimeConfig
        from fate_flow.scheduler.detector import Detector
        from fate_flow.scheduler.scheduler import DAGScheduler
        import fate_flow.controller.job  # noqa: F401  (recovery needs it; fail here, not later)
        import fate_flow.utils.schedule_utils  # noqa: F401
    except ImportError as error:
        return "FATE Flow's internals are not those of 2.x: %s" % error
    for owner, name in ((DAGScheduler, "run_do"), (Detector, "detect_cluster_instance_status"),
                        (RuntimeConfig, "SERVICE_DB"), (ZooKeeperDB, "_get_znode_path"), (ZooKeeperDB, "get_servers")):
        if not hasattr(owner, name):
            return "FATE Flow has no %s.%s" % (owner.__name__, name)
    additions.wrap_scheduler(DAGScheduler)
    additions.wrap_detector(Detector)
    additions.wrap_registry_reads(ZooKeeperDB)
    for target, args in ((additions.keep_registration, (RuntimeConfig, ZooKeeperDB, server_instance)),
                         (additions.recover, ())):
        threading.Thread(target=target, args=args, name="fateflow-ha-" + target.__name__, daemon=True).start()
    return ""


def main():
    # Its own handler: FATE Flow's loggers and werkzeug's keep theirs.
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s fateflow_ha %(levelname)s %(message)s"))
    LOG.addHandler(handler)
    LOG.setLevel(logging.INFO)
    LOG.propagate = False
    state = State(SETTINGS["state_file"])
    # A drain belongs to the process that was drained: a server that starts takes work again.
    if SETTINGS["drain_flag"] and os.path.exists(SETTINGS["drain_flag"]):
        os.remove(SETTINGS["drain_flag"])
    # What fate_flow_server.py does under __main__ before its own imports.
    from fate_flow.db.casbin_models import init_casbin
    init_casbin()
    import fate_flow.fate_flow_server as server

    reason = install(Additions(state))
    if reason:
        LOG.error("self-healing off: %s", reason)
        state.update(self_healing=False, self_healing_off_reason=reason, gate="off")
    state.write()
    server.server_init()
    try:
        server.start_server()
    except Exception as error:  # as fate_flow_server.py: a server that cannot serve must not linger
        traceback.print_exc()
        print(error)
        os.kill(os.getpid(), 9)


if __name__ == "__main__":
    main()
