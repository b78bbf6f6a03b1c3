"""A real TCP server on loopback that answers one byte every few seconds, for timeout tests.

It reads what the client sends, then trickles ``payload`` byte by byte, ``interval`` seconds
apart, so that no single read of the client ever waits long enough for a socket timeout.
"""

import socket
import threading
import time


class SlowSocketServer:
    def __init__(self, payload=b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n" + b"x" * 64,
                 interval=2.0):
        self.payload = payload
        self.interval = interval
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.stopped = threading.Event()
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while not self.stopped.is_set():
            try:
                conn, _addr = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.trickle, args=(conn,), daemon=True).start()

    def trickle(self, conn):
        with conn:
            conn.settimeout(1.0)
            try:
                conn.recv(65536)
            except OSError:
                pass
            for byte in self.payload:
                if self.stopped.wait(self.interval):
                    return
                try:
                    conn.sendall(bytes([byte]))
                except OSError:
                    return

    def close(self):
        self.stopped.set()
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def timed(func, *args, **kwargs):
    """``(result, seconds)`` of one call."""
    start = time.monotonic()
    result = func(*args, **kwargs)
    return result, time.monotonic() - start
