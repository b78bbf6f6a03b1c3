"""What the test servers (ZooKeeper, MariaDB) share: one process in a temporary directory,
stopped and cleaned up the same way."""

import shutil
import subprocess


class ServerProcess:
    """A server the tests start; subclasses set `dir` and start `process` (logging to `log`)."""

    # Seconds a server may take to stop on SIGTERM before it is killed.
    stop_timeout = 10

    def __init__(self, directory):
        self.dir = directory
        self.process = None
        self.log = None

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=self.stop_timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        if self.log is not None:
            self.log.close()
            self.log = None
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
