"""A throw-away network namespace for tests that need port 53 and /etc/resolv.conf of their own.

Prometheus's dns_sd_configs (and glibc, and dnspython's system configuration) only read
/etc/resolv.conf and only ask port 53. Inside a namespace created here, 127.0.0.1:53 is ours and
/etc/resolv.conf is /etc/netns/NAME/resolv.conf (`ip netns exec` bind-mounts it, for that process
only). The machine's own /etc/resolv.conf is never touched.

    with NetNS(resolv_nameserver="127.0.0.1") as ns:
        dns = ns.popen([sys.executable, "tests/sandbox/dns_server.py", "--port", "53", ...])
        ns.run(["getent", "ahostsv4", "svc.aiven.test"])   # subprocess.run, text, captured
        ns.exec_argv(["ansible-playbook", ...])             # argv for your own runner

Each instance has a unique name (pid + random: parallel test workers never collide). Leaving
the block kills every process in the namespace (`ip netns pids`, which also finds Ansible's
workers that started sessions of their own), deletes the namespace and /etc/netns/NAME.
Namespaces left behind by a killed test run (their creating pid is gone) are removed by the
next NetNS. Needs root and `ip netns`; otherwise the test is skipped with the reason.
"""
import os
import re
import shutil
import signal
import subprocess
import time
import uuid

PREFIX = "aivt"
NETNS_ETC = "/etc/netns"
# glibc's AI_ADDRCONFIG ignores loopback addresses: with only 127.0.0.1 on lo, getaddrinfo
# (getent ahostsv4, many clients) returns nothing. A documentation address on lo fixes that.
ADDRCONFIG_ADDRESS = "192.0.2.1/32"


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


class NetNS:
    def __init__(self, resolv_nameserver="127.0.0.1", name=None, skip=True,
                 extra_addresses=(ADDRCONFIG_ADDRESS,), _stale=False):
        self.name = name or "%s%d-%s" % (PREFIX, os.getpid(), uuid.uuid4().hex[:8])
        self.resolv_nameserver = resolv_nameserver
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
                _ip("-n", self.name, "addr", "add", address, "dev", "lo")
            os.makedirs(self.etc_dir, exist_ok=True)
            with open(os.path.join(self.etc_dir, "resolv.conf"), "w") as handle:
                handle.write("# written by tests/sandbox/netns.py for namespace %s\n" % self.name)
                if self.resolv_nameserver:
                    handle.write("nameserver %s\n" % self.resolv_nameserver)
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

    def pids(self):
        proc = _ip("netns", "pids", self.name, check=False)
        return [int(p) for p in proc.stdout.split() if p.isdigit()]

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
