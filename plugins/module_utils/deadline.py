# -*- coding: utf-8 -*-
# Copyright: fateflow.ha contributors
# Apache License 2.0 (see LICENSE)
"""A bound on the whole of a network step, not on each socket read.

A socket timeout bounds one read: a peer that sends a byte every few seconds keeps a request with
``timeout=6`` alive for as long as it likes, and name resolution ignores it altogether. call_within
runs the step on a daemon thread and stops waiting for it at the deadline; the abandoned step ends
with the module's process.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import sys
import threading
import time


class DeadlineExceeded(Exception):
    """The step did not finish in time."""


def call_within(seconds, func, *args, **kwargs):
    """``func(*args, **kwargs)``, or DeadlineExceeded when it has not returned within ``seconds``.

    An exception ``func`` raises is raised here, with its traceback.
    """
    outcome = {}

    def run():
        try:
            outcome["value"] = func(*args, **kwargs)
        except BaseException:  # handed over to the caller's thread as it was raised
            outcome["error"] = sys.exc_info()

    worker = threading.Thread(target=run, name="fateflow-ha-step")
    worker.daemon = True
    worker.start()
    worker.join(max(0.0, seconds))
    if worker.is_alive():
        raise DeadlineExceeded("not done within %.1f s" % seconds)
    if "error" in outcome:
        error = outcome["error"]
        raise error[1].with_traceback(error[2])
    return outcome.get("value")


class Deadline(object):
    """The time left until a moment ``seconds`` from now."""

    def __init__(self, seconds):
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def left(self):
        return max(0.0, self.end - time.monotonic())

    def passed(self):
        return time.monotonic() >= self.end
