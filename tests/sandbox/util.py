"""Small helpers every sandbox piece shares."""
import socket
import threading
import time


def _bindable(host, port, kind):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, kind) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return None
        return sock.getsockname()[1]


def free_port(host="127.0.0.1", kind=socket.SOCK_STREAM, also=()):
    """A port nothing listens on right now (the kernel picks it), on `host` and every `also` host."""
    for _attempt in range(50):
        port = _bindable(host, 0, kind)
        if port is None:
            raise OSError("cannot bind a port on %s" % host)
        if all(_bindable(other, port, kind) for other in also):
            return port
    raise OSError("no port free on all of %s" % ", ".join([host] + list(also)))


class ServedInThread(object):
    """Base of the sandbox's servers: one socketserver whose serve_forever runs in a daemon
    thread. A subclass's start() builds the server, calls self._serve(server, name) and returns
    self; stop() and `with` come from here."""

    _server = None
    _thread = None

    def _serve(self, server, name):
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name=name, daemon=True)
        self._thread.start()

    def stop(self):
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(5)
            self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def wait_until(predicate, timeout, what, interval=0.05):
    """Poll `predicate` until it returns a truthy value or `timeout` seconds pass.

    Returns that value; raises TimeoutError naming `what` (and the last exception, if the
    predicate kept raising) when the deadline passes. Use this instead of sleeps.
    """
    deadline = time.monotonic() + timeout
    last_error = None
    while True:
        try:
            value = predicate()
            if value:
                return value
        except Exception as exc:  # the thing we wait for may not exist yet
            last_error = exc
        if time.monotonic() >= deadline:
            detail = " (last error: %r)" % (last_error,) if last_error else ""
            raise TimeoutError("timed out after %.1fs waiting for %s%s" % (timeout, what, detail))
        time.sleep(interval)
