"""A real Debian 12 host on this machine: systemd as PID 1, Debian's prometheus package and unit,
sshd, an unprivileged user with passwordless sudo; managed over SSH like any host.

    from sandbox.debian_host import DebianHost
    with DebianHost(tmp_dir) as host:        # builds the tree once (cached), boots a fresh copy
        host.ssh_port, host.user, host.key_path      # ssh -p PORT -i KEY USER@127.0.0.1
        host.prometheus                              # DebianPrometheus: .url, .metric(), .wait_targets_up()
        host.prometheus_url                          # http://127.0.0.1:PORT (no lifecycle API)
        host.host_vars()                             # inventory variables for Ansible over SSH
        host.run("systemctl is-active prometheus")   # root inside the container (nsenter)
        host.ssh("sudo -n id -u")                    # as host.user, through sshd
        host.read_bytes("/etc/prometheus/prometheus.yml"), host.write_file(path, data)
        host.set_nameserver("127.1.2.1")             # the container's own /etc/resolv.conf
        host.reset()    # Debian's /etc/prometheus back, unit drop-ins gone, prometheus restarted

The tree: `debootstrap --variant=minbase` of bookworm with RECIPE's packages, then RECIPE's
setup script in a chroot; built once under .cache/debian-host/<suite>-<hash of RECIPE>/ (73-96 s
and 531 MB measured, from the first Debian mirror of this machine's apt sources) on first use,
under a lock so parallel test workers build it once. A changed RECIPE builds a new tree and
removes the old one.

A session: a copy of the tree (`cp -a --reflink=auto`), its own sshd port, Prometheus port
(/etc/default/prometheus ARGS, without --web.enable-lifecycle as Debian ships it) and SSH key,
booted with `systemd-nspawn --boot --register=no --keep-unit` (no system bus on this machine:
../shared/testing.md). The container shares this machine's network namespace, so everything
listens on 127.0.0.1. Commands run inside through nsenter into the container's PID 1
(`systemd-run -M` needs a registered machine). Closing powers the container off (SIGTERM to
nspawn) and removes the copy, also when booting failed.

Command line: `python tests/sandbox/debian_host.py build` builds the tree and prints its path;
`... boot` boots a session, prints one JSON line (ports, user, key) and serves until SIGTERM.
"""
import argparse
import ctypes
import fcntl
import glob
import hashlib
import json
import os
import pathlib
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

if __package__ in (None, ""):  # run as a script: make `sandbox` importable
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
    __package__ = "sandbox"

from sandbox.prometheus import PrometheusProcess  # noqa: E402
from sandbox.util import free_port, wait_until  # noqa: E402

REPO = pathlib.Path(__file__).resolve().parents[2]
CACHE = REPO / ".cache" / "debian-host"
USER = "deploy"

# Everything the tree is made of: a change here builds a new tree (its hash names the cache dir).
RECIPE = {
    "suite": "bookworm",
    "variant": "minbase",
    "include": ["systemd", "systemd-sysv", "dbus", "sudo", "openssh-server", "python3", "prometheus"],
    # Runs in a chroot of the fresh tree. Per-session settings (ports, key) are written into
    # each copy by DebianHost instead, so one tree serves every session.
    "setup": """set -e
useradd --create-home --shell /bin/bash %(user)s
echo '%(user)s ALL=(ALL) NOPASSWD:ALL' > /etc/sudoers.d/%(user)s
chmod 0440 /etc/sudoers.d/%(user)s
install -d -m 0700 -o %(user)s -g %(user)s /home/%(user)s/.ssh
printf 'PasswordAuthentication no\\nKbdInteractiveAuthentication no\\nUseDNS no\\n' > /etc/ssh/sshd_config.d/10-keys-only.conf
echo debian-host > /etc/hostname
# sudo resolves its own host name; without this line every sudo warns on stderr.
printf '127.0.0.1\tlocalhost\n127.0.1.1\tdebian-host\n::1\tlocalhost ip6-localhost ip6-loopback\n' > /etc/hosts
# Nothing in the container uses apt: a smaller tree copies faster.
apt-get clean
rm -rf /var/lib/apt/lists/*
""" % {"user": USER},
}


class DebianHostUnavailable(RuntimeError):
    """Why no Debian host can be built or booted here (for pytest.skip)."""


def unavailable_reason():
    """None when this machine can build and boot the host, else what is missing."""
    if os.geteuid() != 0:
        return "the Debian host needs root (debootstrap, systemd-nspawn)"
    missing = [tool for tool in ("debootstrap", "systemd-nspawn", "nsenter", "ssh", "ssh-keygen")
               if shutil.which(tool) is None]
    if missing:
        return "the Debian host needs %s: `make system` installs them" % ", ".join(missing)
    return None


def recipe_hash():
    return hashlib.sha256(json.dumps(RECIPE, sort_keys=True).encode()).hexdigest()[:16]


def debian_mirror():
    """The Debian archive this machine's apt uses (deb822 .sources first, then one-line lists)."""
    for path in sorted(glob.glob("/etc/apt/sources.list.d/*.sources")):
        with open(path) as handle:
            for uri in re.findall(r"^URIs:\s*(.+)$", handle.read(), re.M):
                for candidate in uri.split():
                    if re.search(r"/debian/?$", candidate):
                        return candidate.rstrip("/")
    for path in ["/etc/apt/sources.list"] + sorted(glob.glob("/etc/apt/sources.list.d/*.list")):
        try:
            with open(path) as handle:
                text = handle.read()
        except OSError:
            continue
        match = re.search(r"^deb\s+(?:\[[^]]*\]\s+)?(\S+/debian)/?\s", text, re.M)
        if match:
            return match.group(1)
    raise DebianHostUnavailable("no Debian mirror in /etc/apt/sources.list*; set one up for apt first")


def build_tree(cache=CACHE, log=sys.stderr):
    """The built tree for RECIPE (building it first if needed): pathlib.Path of its root."""
    cache = pathlib.Path(cache)
    cache.mkdir(parents=True, exist_ok=True)
    tree = cache / ("%s-%s" % (RECIPE["suite"], recipe_hash()))
    done = tree / ".built"
    if done.exists():
        return tree
    with open(cache / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # a parallel worker may be building it right now
        if done.exists():
            return tree
        for stale in cache.glob("%s-*" % RECIPE["suite"]):  # older recipes, interrupted builds: ~650 MB each
            if stale != tree:
                shutil.rmtree(str(stale))
        shutil.rmtree(str(tree), ignore_errors=True)
        partial = cache / (tree.name + ".partial")
        shutil.rmtree(str(partial), ignore_errors=True)
        argv = ["debootstrap", "--variant=" + RECIPE["variant"], "--include=" + ",".join(RECIPE["include"]),
                RECIPE["suite"], str(partial), debian_mirror()]
        started = time.monotonic()
        _logged_run(argv, log, "debootstrap")
        _logged_run(["chroot", str(partial), "/bin/sh", "-c", RECIPE["setup"]], log, "the recipe's setup")
        (partial / ".built").write_text("%s built in %.0fs\n" % (" ".join(argv), time.monotonic() - started))
        partial.rename(tree)
    return tree


def _logged_run(argv, log, what):
    proc = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, check=False, env=_clean_env())
    if log is not None:
        log.write(proc.stdout[-4000:])
    if proc.returncode != 0:
        raise DebianHostUnavailable("%s failed (%d): %s" % (what, proc.returncode, proc.stdout[-4000:]))


def _clean_env():
    # Nothing of the test run's environment (venv PATH, ANSIBLE_*, AIVEN_*) goes into the host.
    return {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8",
            "HOME": "/root", "DEBIAN_FRONTEND": "noninteractive"}


class DebianPrometheus(PrometheusProcess):
    """The HTTP side of PrometheusProcess for the container's own Prometheus (systemd runs it)."""

    def __init__(self, port, config_file="/etc/prometheus/prometheus.yml"):  # pylint: disable=super-init-not-called
        self.host, self.port, self.config_file = "127.0.0.1", port, config_file
        self.lifecycle = False  # as Debian ships it

    def start(self, timeout=20):
        raise NotImplementedError("systemd runs this Prometheus: DebianHost.run('systemctl start prometheus')")

    stop = cleanup = start


class DebianHost(object):
    """One booted copy of the tree; see the module docstring."""

    def __init__(self, tmp_dir, boot_timeout=90, log=None):
        self.tmp_dir = pathlib.Path(str(tmp_dir))
        self.boot_timeout = boot_timeout
        self.log = log
        self.tree = None  # the cached, pristine tree
        self.root = None  # this session's copy
        self.user = USER
        self.ssh_port = None
        self.key_path = None
        self.prometheus = None
        self.nspawn = None
        self.leader = None  # PID of the container's systemd, as seen from this machine
        self._console = None

    # ----- lifecycle -----

    def start(self):
        reason = unavailable_reason()
        if reason:
            raise DebianHostUnavailable(reason)
        self.tree = build_tree(log=self.log)
        try:
            self._boot()
        except BaseException:
            self.stop()
            raise
        return self

    def _boot(self):
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        # Beside the tree on the same file system, so a reflink (or at least a local copy) serves.
        # The name holds our PID: copies left by a killed run are removed by the next session.
        sessions = CACHE / "sessions"
        sessions.mkdir(parents=True, exist_ok=True)
        _remove_stale_sessions(sessions)
        self.root = pathlib.Path(tempfile.mkdtemp(prefix="session-%d-" % os.getpid(), dir=str(sessions)))
        self.root.rmdir()
        subprocess.run(["cp", "-a", "--reflink=auto", str(self.tree), str(self.root)], check=True)
        self.key_path = self.tmp_dir / "id_ed25519"
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "debian-host-session",
                        "-f", str(self.key_path)], check=True, stdin=subprocess.DEVNULL)
        self.ssh_port = free_port()
        self.prometheus = DebianPrometheus(free_port())
        self._configure_copy()
        self._console = open(str(self.tmp_dir / "console.log"), "ab")
        self.nspawn = subprocess.Popen(
            ["systemd-nspawn", "-D", str(self.root), "--boot", "--register=no", "--keep-unit", "-q",
             "--machine=aivt-debian-%d" % self.ssh_port, "--console=read-only",
             # The copy keeps its own resolv.conf (tests point it at their DNS); the machine's own
             # journal directory stays untouched.
             "--resolv-conf=off", "--link-journal=no"],
            stdin=subprocess.DEVNULL, stdout=self._console, stderr=subprocess.STDOUT,
            start_new_session=True, env=_clean_env(), preexec_fn=_powered_off_with_parent)
        self.leader = wait_until(self._find_leader, self.boot_timeout, "the container's PID 1")
        self._wait_ready()

    def _configure_copy(self):
        passwd = dict((line.split(":")[0], line.split(":")) for line in self.path("/etc/passwd").read_text().splitlines())
        uid, gid = int(passwd[self.user][2]), int(passwd[self.user][3])
        keys = self.path("/home/%s/.ssh/authorized_keys" % self.user)
        keys.write_bytes(pathlib.Path(str(self.key_path) + ".pub").read_bytes())
        os.chown(str(keys), uid, gid)
        os.chmod(str(keys), 0o600)
        self.path("/etc/ssh/sshd_config.d/20-session.conf").write_text(
            "Port %d\nListenAddress 127.0.0.1\n" % self.ssh_port)
        defaults = self.path("/etc/default/prometheus")
        args = 'ARGS="--web.listen-address=127.0.0.1:%d"' % self.prometheus.port
        text, count = re.subn(r"^ARGS=.*$", args, defaults.read_text(), flags=re.M)
        defaults.write_text(text if count else text + args + "\n")

    def _find_leader(self):
        if self.nspawn.poll() is not None:
            raise DebianHostUnavailable("systemd-nspawn exited with %s:\n%s" % (self.nspawn.returncode, self.console()))
        own = os.readlink("/proc/self/ns/pid")
        for status in glob.glob("/proc/[0-9]*/status"):
            try:
                with open(status) as handle:
                    text = handle.read()
                pid = int(status.split("/")[2])
                if re.search(r"^PPid:\s*%d$" % self.nspawn.pid, text, re.M) and os.readlink("/proc/%d/ns/pid" % pid) != own:
                    return pid
            except (OSError, ValueError):
                continue  # gone meanwhile
        return None

    def _wait_ready(self):
        def booted():
            if self.nspawn.poll() is not None:
                raise DebianHostUnavailable("the container stopped while booting:\n%s" % self.console())
            state = self.run(["systemctl", "is-active", "prometheus.service", "ssh.service"], check=False).stdout.split()
            return state == ["active", "active"]
        wait_until(booted, self.boot_timeout, "prometheus.service and ssh.service active", interval=0.2)
        wait_until(lambda: self.prometheus._request("/-/ready", timeout=2)[0] == 200, self.boot_timeout,
                   "Prometheus ready on %s" % self.prometheus.url, interval=0.2)
        wait_until(lambda: self.ssh(["true"], check=False, timeout=10).returncode == 0, self.boot_timeout,
                   "ssh %s@127.0.0.1:%d" % (self.user, self.ssh_port), interval=0.2)

    def stop(self, timeout=60):
        try:
            if self.nspawn is not None and self.nspawn.poll() is None:
                self.nspawn.terminate()  # nspawn asks the container's systemd to power off
                try:
                    self.nspawn.wait(timeout=timeout)
                except subprocess.TimeoutExpired:
                    # PID 1 of the container gone takes every process of its PID namespace along.
                    for pid in (self.leader, self.nspawn.pid):
                        if pid:
                            try:
                                os.kill(pid, signal.SIGKILL)
                            except ProcessLookupError:
                                pass
                    self.nspawn.wait(timeout=timeout)
        finally:
            if self._console is not None:
                self._console.close()
                self._console = None
            if self.root is not None and self.root.exists():
                shutil.rmtree(str(self.root), ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def prometheus_url(self):
        return self.prometheus.url

    def console(self):
        """What the container printed on its console (systemd's boot messages)."""
        try:
            return (self.tmp_dir / "console.log").read_text(errors="replace")[-6000:]
        except OSError:
            return ""

    # ----- inside the host -----

    def path(self, inside):
        """This machine's path of a file inside the container (its tree is a plain directory)."""
        return self.root / str(inside).lstrip("/")

    def read_bytes(self, inside):
        return self.path(inside).read_bytes()

    def read_text(self, inside):
        return self.path(inside).read_text()

    def write_file(self, inside, data, mode=0o644):
        """Write a file inside the container as root:root (text or bytes)."""
        path = self.path(inside)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode() if isinstance(data, str) else data)
        os.chown(str(path), 0, 0)
        os.chmod(str(path), mode)
        return path

    def run(self, command, check=True, timeout=60, input=None):
        """Run a command as root inside the container: argv list, or a string for /bin/sh -c."""
        argv = ["/bin/sh", "-c", command] if isinstance(command, str) else list(command)
        proc = subprocess.run(["nsenter", "--target", str(self.leader), "--all", "--root", "--wd"] + argv,
                              capture_output=True, text=True, timeout=timeout, input=input, check=False,
                              env=_clean_env())
        if check and proc.returncode != 0:
            raise AssertionError("%s in the container failed (%d):\n%s%s" % (argv, proc.returncode, proc.stdout, proc.stderr))
        return proc

    def ssh_argv(self):
        return ["ssh", "-p", str(self.ssh_port), "-i", str(self.key_path)] + [
            "-o%s" % option for option in self.ssh_options()] + ["%s@127.0.0.1" % self.user]

    def ssh_options(self):
        # Each session's copy is a new host on a new port: nothing to pin, nothing to remember.
        return ["StrictHostKeyChecking=no", "UserKnownHostsFile=/dev/null", "BatchMode=yes",
                "LogLevel=ERROR", "ConnectTimeout=10"]

    def ssh(self, command, check=True, timeout=60):
        """Run a command as self.user over SSH (a string is run by the login shell)."""
        remote = command if isinstance(command, str) else " ".join(_shell_quote(arg) for arg in command)
        proc = subprocess.run(self.ssh_argv() + [remote], capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL, check=False, env=_clean_env())
        if check and proc.returncode != 0:
            raise AssertionError("ssh %s failed (%d):\n%s%s" % (remote, proc.returncode, proc.stdout, proc.stderr))
        return proc

    def host_vars(self):
        """Inventory variables for Ansible over SSH to this host, as a user's inventory has them."""
        return {
            "ansible_host": "127.0.0.1",
            "ansible_port": self.ssh_port,
            "ansible_user": self.user,
            "ansible_ssh_private_key_file": str(self.key_path),
            "ansible_ssh_common_args": " ".join("-o " + option for option in self.ssh_options()),
            "ansible_python_interpreter": "/usr/bin/python3",
            "prometheus_aiven_web_url": self.prometheus.url,
        }

    def set_nameserver(self, address):
        """Point the container's own /etc/resolv.conf (not this machine's) at a DNS server on port 53."""
        self.write_file("/etc/resolv.conf", "nameserver %s\noptions timeout:1 attempts:2\n" % address)

    def reset(self):
        """Back to the state after boot: Debian's /etc/prometheus as the package installed it,
        no drop-ins for prometheus.service, Prometheus restarted and ready."""
        config = self.path("/etc/prometheus")
        shutil.rmtree(str(config))
        subprocess.run(["cp", "-a", str(self.tree / "etc" / "prometheus"), str(config)], check=True)
        shutil.rmtree(str(self.path("/etc/systemd/system/prometheus.service.d")), ignore_errors=True)
        self.run("systemctl daemon-reload && systemctl restart prometheus.service")
        wait_until(lambda: self.prometheus._request("/-/ready", timeout=2)[0] == 200, 60,
                   "Prometheus ready after the restart", interval=0.2)


def _powered_off_with_parent():
    """In nspawn before exec: SIGTERM (a clean power-off) when the test process dies, even
    by SIGKILL, so no container outlives its session."""
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def _remove_stale_sessions(sessions):
    """Remove copies whose test process is gone and that no container runs on any more."""
    running = set()
    for cmdline in glob.glob("/proc/[0-9]*/cmdline"):
        try:
            with open(cmdline, "rb") as handle:
                argv = handle.read().split(b"\0")
        except OSError:
            continue
        if argv and argv[0].endswith(b"systemd-nspawn") and b"-D" in argv[:-1]:
            running.add(argv[argv.index(b"-D") + 1].decode(errors="replace"))
    for copy in sessions.glob("session-*"):
        match = re.match(r"^session-(\d+)-", copy.name)
        if match and not os.path.exists("/proc/%s" % match.group(1)) and str(copy) not in running:
            shutil.rmtree(str(copy), ignore_errors=True)


def _shell_quote(arg):
    return "'" + arg.replace("'", "'\\''") + "'" if re.search(r"[^\w@%+=:,./-]", arg) or not arg else arg


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("command", choices=["build", "boot"])
    args = parser.parse_args(argv)
    reason = unavailable_reason()
    if reason:
        parser.error(reason)
    if args.command == "build":
        started = time.monotonic()
        tree = build_tree()
        print("%s (%.0fs)" % (tree, time.monotonic() - started))
        return 0
    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())
    with DebianHost(tempfile.mkdtemp(prefix="debian-host-")) as host:
        print(json.dumps({"ssh": " ".join(host.ssh_argv()), "prometheus": host.prometheus.url,
                          "root": str(host.root), "leader_pid": host.leader}), flush=True)
        stopping.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
