#!/usr/bin/env python3
"""A stream of FATE toy jobs through the party's Nginx, each followed to its outcome, for the lab only.

Submits the seed's toy job (`flow test toy -gid GUEST -hid HOST`, as FATE Flow 2.x's API takes it)
every --every seconds until --seconds have passed or the process gets SIGTERM/SIGINT, then follows
every job until it has settled: `success` or `canceled`, or `failed` / `timeout` unchanged for
--settle seconds (a job cut by a lost node fails first and may then be rerun), or still not ended
--job-timeout seconds after its submission (`stuck`). Writes a JSON report:

    submitted, success, failed, stuck, submit_failed, reruns (jobs seen failing, then running again),
    and one record per job: job id, submission offset (s), every status change [offset, status],
    outcome, seconds from submission to outcome

A submit is retried for 30 s on no answer or an HTTP 5xx (Nginx never resends a POST that a
dying server dropped: a client of an HA party retries), then counts as submit_failed. Only lab
addresses (10.200.0.0/16) and loopback are accepted, one job every 5 s at most, 30 min at most.

    lab/job_stream.py --url http://10.200.3.5:9998 --every 15 --seconds 120 --json /tmp/jobs.json
"""

import argparse
import json
import os
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from flow_load import Target  # noqa: E402  (the same lab-only target rules)

import http.client  # noqa: E402

MIN_EVERY = 5.0
MAX_SECONDS = 1800.0
POLL = 3.0
END_STATES = ("success", "canceled")
FAILED_STATES = ("failed", "timeout")


def toy_dag(guest, host, data_num):
    return {"dag_schema": {"schema_version": "2.0.0.alpha", "dag": {
        "stage": "default",
        "parties": [{"role": "guest", "party_id": [str(guest)]}, {"role": "host", "party_id": [str(host)]}],
        "tasks": {"toy_example_0": {"component_ref": "toy_example",
                                    "parameters": {"data_num": data_num, "partition": 4}}}}}}


def request(base, method, path, body=None, timeout=30):
    """(HTTP status, parsed body or None, error text)."""
    conn = http.client.HTTPConnection(base.host, base.port, timeout=timeout)
    try:
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Connection": "close"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        conn.request(method, path, body=data, headers=headers)
        resp = conn.getresponse()
        raw = resp.read()
        try:
            return resp.status, json.loads(raw), ""
        except ValueError:
            return resp.status, None, "body is not JSON"
    except (OSError, http.client.HTTPException) as exc:
        return 0, None, "%s: %s" % (type(exc).__name__, exc)
    finally:
        conn.close()


class Stream:
    def __init__(self, base, args, stop):
        self.base = base
        self.args = args
        self.stop = stop
        self.start = time.time()
        self.jobs = []          # records, in submission order
        self.submit_failures = []
        self.lock = threading.Lock()

    def offset(self):
        return round(time.time() - self.start, 1)

    def submit(self):
        due = self.offset()
        deadline = time.time() + 30
        error = ""
        while time.time() < deadline:
            status, body, error = request(self.base, "POST", "/v2/job/submit",
                                          toy_dag(self.args.guest, self.args.host, self.args.data_num))
            if status == 200 and isinstance(body, dict) and body.get("code") == 0 and body.get("job_id"):
                with self.lock:
                    self.jobs.append({"job_id": body["job_id"], "submitted": due, "changes": [],
                                      "outcome": None, "seconds": None, "via": self.args.url})
                return
            if status == 200:   # FATE refused the job itself: retrying does not help
                error = "code %s: %s" % ((body or {}).get("code"), (body or {}).get("message"))
                break
            error = error or "HTTP %d" % status
            time.sleep(2)
        self.submit_failures.append({"at": due, "error": error})

    def status_of(self, job_id):
        path = "/v2/job/query?job_id=%s&party_id=%s" % (job_id, self.args.party or self.args.host)
        status, body, _ = request(self.base, "GET", path, timeout=15)
        if status != 200 or not isinstance(body, dict) or body.get("code") != 0:
            return None
        states = sorted({row.get("status") for row in body.get("data") or [] if isinstance(row, dict)})
        return ",".join(s for s in states if s) or None

    def follow_once(self):
        with self.lock:
            open_jobs = [j for j in self.jobs if j["outcome"] is None]
        for job in open_jobs:
            state = self.status_of(job["job_id"])
            offset = self.offset()
            if state and (not job["changes"] or job["changes"][-1][1] != state):
                job["changes"].append([offset, state])
            last_at, last = job["changes"][-1] if job["changes"] else (job["submitted"], None)
            age = offset - job["submitted"]
            if last in END_STATES:
                job["outcome"], job["seconds"] = last, round(last_at - job["submitted"], 1)
            elif last in FAILED_STATES and offset - last_at >= self.args.settle:
                job["outcome"], job["seconds"] = last, round(last_at - job["submitted"], 1)
            elif age > self.args.job_timeout:
                job["outcome"], job["seconds"] = "stuck", round(age, 1)

    def run(self):
        follower = threading.Thread(target=self.follow_loop, daemon=True)
        follower.start()
        n = 0
        while not self.stop.is_set():
            due = n * self.args.every
            if due >= self.args.seconds:
                break
            wait = self.start + due - time.time()
            if wait > 0 and self.stop.wait(wait):
                break
            threading.Thread(target=self.submit, daemon=True).start()
            n += 1
        self.submitting_ended = self.offset()
        # Submissions in flight (each retries at most 30 s), then every job to its outcome.
        time.sleep(min(32, self.args.every))
        self.following = False
        follower.join()
        return self.report()

    following = True

    def follow_loop(self):
        while True:
            self.follow_once()
            with self.lock:
                done = all(j["outcome"] for j in self.jobs)
            if not self.following and done:
                return
            time.sleep(POLL)

    def report(self):
        jobs = self.jobs
        count = {k: sum(1 for j in jobs if j["outcome"] == k) for k in ("success", "failed", "timeout", "canceled", "stuck")}
        reruns = sum(1 for j in jobs if any(c[1] in FAILED_STATES for c in j["changes"][:-1]))
        return {
            "url": self.args.url,
            "every": self.args.every,
            "started_at": self.start,
            "submitting_seconds": self.submitting_ended,
            "duration": self.offset(),
            "submitted": len(jobs),
            "submit_failed": len(self.submit_failures),
            "success": count["success"],
            "failed": count["failed"] + count["timeout"],
            "canceled": count["canceled"],
            "stuck": count["stuck"],
            "reruns": reruns,
            "submit_failures": self.submit_failures,
            "jobs": jobs,
        }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="http://<Nginx lab address>:<port>")
    parser.add_argument("--every", type=float, default=15.0, help="seconds between submissions (min %d)" % MIN_EVERY)
    parser.add_argument("--seconds", type=float, default=120.0, help="how long jobs are submitted (max %d)" % MAX_SECONDS)
    parser.add_argument("--guest", default="9999")
    parser.add_argument("--host", default="10000")
    parser.add_argument("--party", help="the party whose FATE Flow --url reaches: its record of each job is "
                                        "followed (default: --host; a party in MULTIPLE mode has its own only)")
    parser.add_argument("--data-num", type=int, default=1024, help="the toy's data_num")
    parser.add_argument("--settle", type=float, default=180.0,
                        help="seconds a failed job must stay failed to count as failed (recovery reruns it before)")
    parser.add_argument("--job-timeout", type=float, default=600.0, help="a job not ended by then is stuck")
    parser.add_argument("--json", help="write the report here (default: standard output)")
    args = parser.parse_args(argv)
    if args.every < MIN_EVERY:
        parser.error("--every must be at least %d seconds" % MIN_EVERY)
    if not 0 < args.seconds <= MAX_SECONDS:
        parser.error("--seconds must be more than 0 and at most %d" % MAX_SECONDS)
    if not 1 <= args.data_num <= 1000000:
        parser.error("--data-num must be 1-1000000")
    try:
        base = Target(args.url.rstrip("/") + "/", "GET", None)
    except ValueError as exc:
        parser.error(str(exc))
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    report = Stream(base, args, stop).run()
    text = json.dumps(report)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            out.write(text)
    else:
        print(text)
    print("jobs submitted %d: success %d, failed %d, stuck %d, canceled %d, submit failed %d, rerun %d" % (
        report["submitted"], report["success"], report["failed"], report["stuck"], report["canceled"],
        report["submit_failed"], report["reruns"]), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
