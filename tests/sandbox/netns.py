"""A throw-away network namespace for tests that need port 53 and /etc/resolv.conf of their own.

Prometheus's dns_sd_configs (and glibc, and dnspython's system configuration) only read
/etc/resolv.conf and only ask port 53. Inside a namespace created here, 127.0.0.1:53 is ours and
/etc/resolv.conf is /etc/netns/NAME/resolv.conf (`ip netns exec` bind-mounts it, for that process
only). The machine's own /etc/resolv.conf is never touched.

    with NetNS(resolv_nameserver="127.0.0.1") as ns:
        dns = ns.popen([sys.executable, "tests/sandbox/dns_server.py", "--port", "53", ...])
        ns.run(["getent", "ahostsv4", "svc.aiven.test"])   # subprocess.run, text, captured
        ns.exec_argv(["ansible-playbook", ...])             # argv for your own runner

A process can also hold sockets inside a namespace without running there: `call_in(name, fn)`
calls fn in a thread that joined the namespace, and every socket fn creates stays in that
namespace for its whole life, whichever thread uses it later. The sandbox serves its nodes and
DNS inside a namespace that way, and `Forwarder` makes a port inside reachable from outside:

    sock = call_in(ns.name, socket.create_server, ("127.0.0.1", 53))
    with Forwarder(ns.name, ("127.0.0.1", 9090)) as fwd:   # fwd.address: ("127.0.0.1", port) here
    Forwarder(ns.name, ("127.0.0.1", 0))                    # inside: the same port as outside
        ...

Each instance has a unique name (pid + random: parallel test workers never collide). Leaving
the block kills every process in the namespace (`ip netns pids`, which also finds Ansible's
workers that started sessions of their own), deletes the namespace and /etc/netns/NAME.
Namespaces left behind by a killed test run (their creating pid is gone) are removed by the
next NetNS. Needs root and `ip netns`; otherwise the test is skipped with the reason.
"""
import ctypes
import ipaddress
import os
import re
import shutil
import signal
import socket
import socketserver
import subprocess
import threading
import time
import uuid

from .util import ServedInThread

PREFIX = "aivt"
NETNS_ETC = "/etc/netns"
# glibc's AI_ADDRCONFIG ignores loopback addresses: with only 127.0.0.1 on lo, getaddrinfo
# (getent ahostsv4, many clients) returns nothing. A documentation address on lo fixes that.
ADDRCONFIG_ADDRESS = "192.0.2.1/32"
NETNS_RUN = "/var/run/netns"  # where `ip netns add` mounts each namespace
CLONE_NEWNET = 0x40000000


class NetNSUnavailable(RuntimeError):
    """Why no namespace can be created here (not root, no `ip netns`, not permitted)."""


def unavailable_reason():
    """None when namespaces can be created here, else a human-readable reason."""
    if os.geteuid() != 0:
        return "network namespace tests need root (ip netns add)"
    if shutil.which("ip") is None:
        return "network namespace tests need iproute2's `ip` (apt-get install iproute2)"
    probe = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=False)
    if probe.returncode != 0:
        return "`ip netns` is unavailable: %s" % (probe.stderr.strip() or probe.returncode)
    return None


def _ip(*args, check=True):
    proc = subprocess.run(["ip"] + list(args), capture_output=True, text=True, check=False)
    if check and proc.returncode != 0:
        raise NetNSUnavailable("ip %s failed: %s" % (" ".join(args), proc.stderr.strip()))
    return proc


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale():
    """Delete namespaces of ours whose creating process no longer exists."""
    names = [line.split()[0] for line in _ip("netns", "list", check=False).stdout.splitlines() if line.split()]
    if os.path.isdir(NETNS_ETC):
        names += os.listdir(NETNS_ETC)  # a directory whose namespace is already gone
    for name in sorted(set(names)):
        match = re.match(r"^%s(\d+)-[0-9a-f]+$" % PREFIX, name)
        if match and not _pid_alive(int(match.group(1))):
            NetNS(name=name, _stale=True).close()


def _setns(name):
    fd = os.open(os.path.join(NETNS_RUN, name), os.O_RDONLY)
    try:
        if hasattr(os, "setns"):  # Python 3.12+
            os.setns(fd, CLONE_NEWNET)
            return
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.setns(fd, CLONE_NEWNET) != 0:
            code = ctypes.get_errno()
            raise OSError(code, "setns(%s): %s" % (name, os.strerror(code)))
    finally:
        os.close(fd)


def call_in(name, function, *args, **kwargs):
    """function(*args, **kwargs) inside network namespace `name` (None: right here).

    setns() moves only the calling thread, so a short-lived thread joins the namespace, calls
    `function` and ends; its return value (sockets created there stay in the namespace) or its
    exception comes back to the caller."""
    if name is None:
        return function(*args, **kwargs)
    outcome = {}

    def joined():
        try:
            _setns(name)
            outcome["value"] = function(*args, **kwargs)
        except BaseException as exc:  # handed to the caller's thread
            outcome["error"] = exc

    thread = threading.Thread(target=joined, name="netns-%s" % name, daemon=True)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


class _ForwardServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True


class _ForwardHandler(socketserver.BaseRequestHandler):
    def handle(self):
        forwarder = self.server.forwarder
        try:
            upstream = call_in(forwarder.netns, socket.create_connection, forwarder.target, timeout=10)
        except OSError:
            return  # nothing listens inside yet: the client sees the connection close
        upstream.settimeout(None)
        back = threading.Thread(target=_pump, args=(upstream, self.request), daemon=True)
        back.start()
        _pump(self.request, upstream)
        back.join()
        upstream.close()


def _pump(source, sink):
    try:
        while True:
            data = source.recv(65536)
            if not data:
                break
            sink.sendall(data)
    except OSError:
        pass
    try:
        sink.shutdown(socket.SHUT_WR)  # the other side sees EOF, as without the forwarder
    except OSError:
        pass


class Forwarder(ServedInThread):
    """TCP from `listen` (host, port) of this process's namespace to `target` inside `netns`.

    listen port 0 -> a free one; read `.address` after start(). target port 0 -> the listening
    port (a fresh namespace has every port free, so the same number works on both sides)."""

    def __init__(self, netns, target, listen=("127.0.0.1", 0)):
        self.netns = netns
        self.target = tuple(target)
        self.listen = tuple(listen)
        self.address = None

    def start(self):
        server = _ForwardServer(self.listen, _ForwardHandler)
        server.forwarder = self
        self.address = server.server_address[:2]
        if not self.target[1]:
            self.target = (self.target[0], self.address[1])
        self._serve(server, "forward-%s-%d" % self.address)
        return self


class NetNS:
    """`resolv_lines` go into the namespace's resolv.conf after the nameserver (search, options);
    `extra_addresses` ("addr/len", IPv4 or IPv6) go on its lo."""

    def __init__(self, resolv_nameserver="127.0.0.1", name=None, skip=True,
                 extra_addresses=(ADDRCONFIG_ADDRESS,), resolv_lines=(), _stale=False):
        self.name = name or "%s%d-%s" % (PREFIX, os.getpid(), uuid.uuid4().hex[:8])
        self.resolv_nameserver = resolv_nameserver
        self.resolv_lines = list(resolv_lines)
        self.skip = skip
        self.extra_addresses = tuple(extra_addresses)
        self.etc_dir = os.path.join(NETNS_ETC, self.name)
        self.processes = []
        self.created = _stale  # a stale namespace is ours to delete

    # -- lifecycle ---------------------------------------------------------------------------
    def create(self):
        reason = unavailable_reason()
        if reason:
            raise NetNSUnavailable(reason)
        remove_stale()
        _ip("netns", "add", self.name)
        self.created = True
        try:
            _ip("-n", self.name, "link", "set", "lo", "up")
            for address in self.extra_addresses:
                self.add_address(address)
            os.makedirs(self.etc_dir, exist_ok=True)
            with open(os.path.join(self.etc_dir, "resolv.conf"), "w") as handle:
                handle.write("# written by tests/sandbox/netns.py for namespace %s\n" % self.name)
                if self.resolv_nameserver:
                    handle.write("nameserver %s\n" % self.resolv_nameserver)
                for line in self.resolv_lines:
                    handle.write(line.rstrip("\n") + "\n")
        except Exception:
            self.close()
            raise
        return self

    def __enter__(self):
        try:
            return self.create()
        except NetNSUnavailable as exc:
            if self.skip:
                import pytest  # only when used from a test
                pytest.skip(str(exc))
            raise

    def __exit__(self, *exc):
        self.close()

    @property
    def resolv_conf(self):
        """The file `ip netns exec` shows its processes as /etc/resolv.conf."""
        return os.path.join(self.etc_dir, "resolv.conf")

    def add_address(self, address):
        """Put "addr[/len]" on the namespace's lo (IPv6: no duplicate address detection, so it
        is usable at once instead of "tentative" for a second)."""
        interface = ipaddress.ip_interface(address)
        extra = ["nodad"] if interface.version == 6 else []
        _ip("-n", self.name, "addr", "add", str(interface), "dev", "lo", *extra)

    def call(self, function, *args, **kwargs):
        """call_in(this namespace, ...)."""
        return call_in(self.name, function, *args, **kwargs)

    def pids(self):
        """Processes inside; never this one (it may hold sockets there through call_in)."""
        proc = _ip("netns", "pids", self.name, check=False)
        return [int(p) for p in proc.stdout.split() if p.isdigit() and int(p) != os.getpid()]

    def _signal_all(self, sig):
        for pid in self.pids():
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass

    def _reap(self, deadline):
        for proc in self.processes:
            try:
                proc.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass

    def close(self):
        """Kill everything inside, then delete the namespace and its /etc/netns directory."""
        if self.created:
            for sig, grace in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
                self._signal_all(sig)
                deadline = time.monotonic() + grace
                self._reap(deadline)
                while self.pids() and time.monotonic() < deadline:
                    time.sleep(0.05)  # a poll with a deadline: processes exit asynchronously
                if not self.pids():
                    break
            _ip("netns", "delete", self.name, check=False)
            self.created = False
        for proc in self.processes:
            if proc.poll() is None:  # started in the namespace but somehow outside it now
                proc.kill()
                proc.wait(5)
        self.processes = []
        shutil.rmtree(self.etc_dir, ignore_errors=True)

    # -- running things inside ---------------------------------------------------------------
    def exec_argv(self, argv):
        """argv that runs `argv` inside the namespace (with its resolv.conf)."""
        return ["ip", "netns", "exec", self.name] + [str(a) for a in argv]

    def popen(self, argv, **kwargs):
        """A long-running process inside the namespace; killed on close()."""
        proc = subprocess.Popen(self.exec_argv(argv), **kwargs)
        self.processes.append(proc)
        return proc

    def run(self, argv, timeout=60, **kwargs):
        """subprocess.run inside the namespace; text output captured unless told otherwise."""
        kwargs.setdefault("capture_output", not ("stdout" in kwargs or "stderr" in kwargs))
        kwargs.setdefault("text", True)
        check = kwargs.pop("check", False)
        return subprocess.run(self.exec_argv(argv), timeout=timeout, check=check, **kwargs)

    def exists(self):
        return self.name in _ip("netns", "list", check=False).stdout.split()
