"""The role and scrape_config on a real Debian 12 host, the way users run them: over SSH as an
unprivileged user with play-level `become: true`, against Debian's prometheus package and its
systemd unit (no lifecycle API), with Debian's python3 (neither requests nor PyYAML).

The host (tests/sandbox/debian_host.py) boots once for this module and is reset before each
test (Debian's /etc/prometheus, no unit drop-ins, Prometheus restarted). Each test gets a
Sandbox without a Prometheus of its own (fake Aiven, Aiven-like nodes, DNS on port 53 of a
loopback address); the container's own /etc/resolv.conf names that DNS server, so the default
discovery, dns_sd, runs end to end with verified TLS.

Run this part alone with `pytest -m debian_host` (root; the first run builds the Debian tree,
about a minute). Its tests share one worker under `pytest -n 2 --dist loadgroup`.
"""
import json
import os
import pathlib
import pwd
import re
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile

import pytest

from conftest import ansible_env, parse_minimal_result
from role_runs import ok, reload_ts
from sandbox.debian_host import DebianHost, unavailable_reason
from sandbox.sandbox import Sandbox
from sandbox.util import wait_until

pytestmark = [pytest.mark.debian_host, pytest.mark.xdist_group("debian_host")]

HOST = "debian-host"
CONFIG = "/etc/prometheus/prometheus.yml"
SERVICES = [("pg-orders", "pg", 2), ("kafka-events", "kafka", 3, "vpc")]
# A user's site playbook, as the README shows it: play-level become, the role.
PLAYBOOK = """\
- name: Scrape Aiven services with Prometheus
  hosts: prometheus
  become: true
  gather_facts: false
  roles:
    - role: aiven_tools.prometheus.prometheus_aiven
      vars:
        prometheus_aiven_state: %s
"""
# What the role's runs on the Debian host use besides ansible_env's defaults: the remote temp
# dir of a normal setup (not a controller path), fewer SSH round trips.
SSH_ENV = {"ANSIBLE_REMOTE_TEMP": "~/.ansible/tmp", "ANSIBLE_PIPELINING": "1"}


@pytest.fixture(scope="module")
def debian_host(tmp_path_factory):
    reason = unavailable_reason()
    if reason:
        pytest.skip(reason)
    with DebianHost(tmp_path_factory.mktemp("debian-host")) as booted:
        yield booted


@pytest.fixture
def host(debian_host):
    debian_host.reset()  # before, not after: a failed test leaves the evidence in place
    return debian_host


@pytest.fixture
def box(tmp_path, host):
    sandbox = Sandbox(tmp_path / "sandbox", services=SERVICES, prometheus_count=0, prometheus_dns=True)
    sandbox.start()
    try:
        host.set_nameserver(sandbox.dns.host)
        yield sandbox
    finally:
        sandbox.stop()


def write_run_files(directory, box, host, controller_python=sys.executable, key_path=None, **overrides):
    """inventory.yml, vars.json (0600: it holds the token), present.yml and absent.yml in
    `directory`. The role's own defaults for owner and group (root, prometheus) apply."""
    directory = pathlib.Path(str(directory))
    directory.mkdir(parents=True, exist_ok=True)
    host_vars = host.host_vars()
    if key_path:
        host_vars["ansible_ssh_private_key_file"] = str(key_path)
    inventory = {"all": {
        "hosts": {"localhost": {"ansible_connection": "local", "ansible_python_interpreter": controller_python}},
        "children": {"prometheus": {"hosts": {HOST: host_vars}}},
    }}
    (directory / "inventory.yml").write_text(json.dumps(inventory, indent=2) + "\n")
    values = box.extra_vars(prometheus_aiven_discovery="dns_sd", prometheus_aiven_dns_sd_refresh_interval="5s",
                            **overrides)
    for sandbox_only in ("prometheus_aiven_owner", "prometheus_aiven_group"):
        if sandbox_only not in overrides:
            del values[sandbox_only]
    fd = os.open(str(directory / "vars.json"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(values, handle, indent=2)
    for state in ("present", "absent"):
        (directory / ("%s.yml" % state)).write_text(PLAYBOOK % state)
    return directory


def play(ansible, tmp_path, box, host, state="present", **overrides):
    directory = write_run_files(tmp_path / "run", box, host, **overrides)
    return ansible.playbook(directory / ("%s.yml" % state), "-i", str(directory / "inventory.yml"),
                            "-e", "@%s" % (directory / "vars.json"), env=SSH_ENV)


def systemd_reloads(host):
    """How often systemd has reloaded prometheus.service (its own journal lines)."""
    journal = host.run(["journalctl", "--unit=prometheus.service", "--output=cat", "--no-pager"]).stdout
    return len(re.findall(r"^Reloaded prometheus\.service", journal, re.M))


def listing(host, directory="/etc/prometheus"):
    """{name: "mode owner group"} of every entry under directory inside the container, but
    scrape_config's lock file (documented to stay once created)."""
    out = host.run(["find", directory, "-mindepth", "1", "-printf", r"%P %m %u %g\n"]).stdout
    return dict(line.split(" ", 1) for line in out.splitlines() if line.split(" ", 1)[0] != ".prometheus.yml.lock")


def assert_targets_up_verified(box, host, timeout=60):
    """Every node of every service becomes an up https target carrying its service's labels,
    whichever jobs the role puts them in; the jobs verify TLS against the services' names."""
    expected = {service: sorted(node.address for node in nodes) for service, nodes in box.nodes.items()}
    seen = {}

    def all_up():
        seen["targets"] = [t for t in host.prometheus.targets()
                           if t["labels"].get("aiven_project") == box.project and t["labels"].get("aiven_service") in expected]
        up = {}
        for target in seen["targets"]:
            if target["health"] == "up" and target["scrapeUrl"].startswith("https://"):
                up.setdefault(target["labels"]["aiven_service"], []).append(target["labels"]["instance"])
        return {service: sorted(instances) for service, instances in up.items()} == expected

    try:
        wait_until(all_up, timeout, "every node an up target", interval=0.5)
    except TimeoutError as exc:
        raise AssertionError("%s; expected %s; Prometheus has %s" % (exc, expected, [
            (t["labels"].get("instance"), t["scrapePool"], t["health"], t.get("lastError")) for t in seen.get("targets", [])]))
    live = host.read_text(CONFIG)
    assert "insecure_skip_verify" not in live
    for name in box.nodes:
        assert "server_name: %s" % box.service_host(name) in live


# ------------------------------------------------------------------------------- the role

def test_converge_reload_auto_is_systemd_then_idempotent_then_absent(ansible, tmp_path, box, host):
    debian_config = (host.tree / CONFIG.lstrip("/")).read_bytes()
    assert host.read_bytes(CONFIG) == debian_config
    assert host.prometheus._api("/api/v1/status/flags")["web.enable-lifecycle"] == "false"  # as Debian ships it
    debian_files = listing(host)
    reloads = systemd_reloads(host)

    proc = play(ansible, tmp_path, box, host)
    assert ok(proc)[HOST]["changed"] > 0
    # auto found no lifecycle API and reloaded through systemd (an http reload would have
    # failed with 403; a signal would not show in systemd's journal).
    assert systemd_reloads(host) == reloads + 1
    assert_targets_up_verified(box, host)

    files = listing(host)
    password_file = "aiven-%s.password" % box.project
    assert files[password_file] == "640 root prometheus"
    assert files["aiven-%s-ca.pem" % box.project] == "644 root prometheus"
    password = box.endpoint_password()
    assert host.run(["runuser", "-u", "prometheus", "--", "cat", "/etc/prometheus/" + password_file]).stdout == password
    denied = host.ssh(["cat", "/etc/prometheus/" + password_file], check=False)  # the SSH user is not in the group
    assert denied.returncode != 0 and "Permission denied" in denied.stderr
    assert password not in host.read_text(CONFIG)
    assert not [name for name in files if name.endswith("~")]  # backups removed once live

    # Nothing to do: changed=0, no reload (neither Prometheus's timestamp nor systemd's journal moves).
    before, reloads = reload_ts(host.prometheus), systemd_reloads(host)
    proc = play(ansible, tmp_path, box, host)
    assert ok(proc)[HOST]["changed"] == 0
    assert reload_ts(host.prometheus) == before and systemd_reloads(host) == reloads
    assert listing(host) == files

    proc = play(ansible, tmp_path, box, host, state="absent")
    ok(proc)
    assert host.read_bytes(CONFIG) == debian_config  # Debian's own file, byte for byte
    assert listing(host) == debian_files
    assert systemd_reloads(host) == reloads + 1
    assert not [pool for pool in host.prometheus._api("/api/v1/scrape_pools")["scrapePools"] if pool.startswith("aiven-")]
    ansible.assert_no_secret(box.token, password)


RELOAD_FAILURES = {
    # systemd runs the unit's ExecReload and reports the job as failed: the role has changed the
    # files by then, puts them back and says that its own reload of them failed too.
    "exec-reload-fails": (
        {"/etc/systemd/system/prometheus.service.d/50-reload-fails.conf": "[Service]\nExecReload=\nExecReload=/bin/false\n"},
        {}, ["Job for prometheus.service failed", "the previous files were restored", "reloading them failed too"]),
    # A unit that is not there (a typo in prometheus_aiven_systemd_unit): an error naming it.
    "no-such-unit": ({}, {"prometheus_aiven_systemd_unit": "no-such-unit"}, ["no-such-unit"]),
}


@pytest.mark.parametrize("failure", sorted(RELOAD_FAILURES))
def test_reload_systemd_cannot_do_leaves_debians_config(ansible, tmp_path, box, host, failure):
    drop_ins, role_vars, messages = RELOAD_FAILURES[failure]
    for path, text in drop_ins.items():
        host.write_file(path, text)
    host.run("systemctl daemon-reload")
    debian_config, debian_files = host.read_bytes(CONFIG), listing(host)
    before = reload_ts(host.prometheus)

    proc = play(ansible, tmp_path, box, host, **role_vars)
    assert proc.returncode != 0
    for message in messages:
        assert message in proc.stdout, (message, proc.stdout[-6000:])
    # Every file as it was (the CA and password files this run wrote are gone again, no backups).
    assert host.read_bytes(CONFIG) == debian_config
    assert listing(host) == debian_files
    # Prometheus never loaded the new jobs and still runs Debian's configuration.
    assert reload_ts(host.prometheus) == before
    assert "aiven-" not in host.prometheus.config()
    assert host.run(["systemctl", "is-active", "prometheus.service"]).stdout.strip() == "active"


# ------------------------------------------------------------------------------- scrape_config

def adhoc(ansible, directory, module, args):
    """`ansible debian-host -b -m MODULE -a JSON` over SSH: (returncode, result dict, proc)."""
    proc = ansible.run(["ansible", HOST, "-i", str(directory / "inventory.yml"), "-b", "-m", module,
                        "-a", json.dumps(args)],
                       env=dict(SSH_ENV, ANSIBLE_LOAD_CALLBACK_PLUGINS="1", ANSIBLE_STDOUT_CALLBACK="minimal"))
    return proc.returncode, parse_minimal_result(proc.stdout), proc


def test_scrape_config_runs_on_debians_python3_without_requests_or_yaml(ansible, tmp_path, box, host):
    for missing in ("requests", "yaml"):
        proc = host.ssh(["/usr/bin/python3", "-c", "import " + missing], check=False)
        assert proc.returncode != 0 and "ModuleNotFoundError" in proc.stderr, (missing, proc.stderr)
    directory = write_run_files(tmp_path / "run", box, host)
    debian_config = host.read_bytes(CONFIG)
    module = "aiven_tools.prometheus.scrape_config"
    job = {"job_name": "debian-adhoc", "scrape_interval": "5s",
           "static_configs": [{"targets": ["127.0.0.1:%d" % host.prometheus.port], "labels": {"via": "adhoc"}}]}
    # A list of dicts: the module renders the YAML itself, with the standard library only.
    rc, result, proc = adhoc(ansible, directory, module,
                             {"path": CONFIG, "name": "debian-adhoc", "content": [job], "validate": "promtool"})
    assert rc == 0 and result["changed"] is True, proc.stdout + proc.stderr
    live = host.read_text(CONFIG)
    assert re.search(r"^  - job_name: ['\"]?debian-adhoc", live, re.M), live
    assert live.startswith(debian_config.decode().split("scrape_configs:")[0])
    assert listing(host)["prometheus.yml"] == "644 root root"
    # Prometheus loads what the module wrote.
    host.run("systemctl reload prometheus.service")
    wait_until(lambda: "debian-adhoc" in host.prometheus._api("/api/v1/scrape_pools")["scrapePools"], 30,
               "the debian-adhoc scrape pool")

    rc, result, proc = adhoc(ansible, directory, module,
                             {"path": CONFIG, "name": "debian-adhoc", "content": [job], "validate": "promtool"})
    assert rc == 0 and result["changed"] is False

    # promtool (Debian's, on the host) rejects a broken job: its message, the file untouched.
    rc, result, proc = adhoc(ansible, directory, module, {
        "path": CONFIG, "name": "debian-adhoc", "validate": "promtool",
        "content": "- job_name: debian-adhoc\n  bogus_option: 1\n  static_configs: []\n"})
    assert rc != 0 and "bogus_option" in result.get("msg", ""), proc.stdout
    assert host.read_text(CONFIG) == live

    rc, result, proc = adhoc(ansible, directory, module,
                             {"path": CONFIG, "name": "debian-adhoc", "state": "absent", "validate": "promtool"})
    assert rc == 0 and result["changed"] is True
    assert host.read_bytes(CONFIG) == debian_config


# ------------------------------------------------------------------------------- controller without sudo

def _python_for(user):
    """An interpreter of this Python version that `user` may run, and the venv's site-packages
    for PYTHONPATH. The venv's own interpreter may live under /root (pyenv) where others cannot
    go; Debian's python3.X of the same version then runs the same packages."""
    site = sysconfig.get_paths()["purelib"]
    version = "python%d.%d" % sys.version_info[:2]
    for candidate in (os.path.realpath(sys.executable), shutil.which(version, path="/usr/bin:/bin")):
        if candidate and _as_user(user, [candidate, "-c", "import ansible"], {"PYTHONPATH": site},
                                  "/").returncode == 0:
            return candidate, site
    pytest.skip("no %s that an unprivileged user may run with %s" % (version, site))


def _as_user(user, argv, env, cwd, timeout=600):
    try:
        return subprocess.run(argv, user=user.pw_uid, group=user.pw_gid, extra_groups=[], env=env, cwd=cwd,
                              capture_output=True, text=True, timeout=timeout, check=False)
    except OSError as exc:  # the interpreter or a directory on its way is not theirs to run
        return subprocess.CompletedProcess(argv, 127, "", str(exc))


def _end_processes_of(uid):
    """SIGKILL, by PID, what this test started as `uid` (an SSH master outliving its run)."""
    def remaining():
        pids = []
        for status in pathlib.Path("/proc").glob("[0-9]*/status"):
            try:
                if re.search(r"^Uid:\s+%d\s" % uid, status.read_text(), re.M):
                    pids.append(int(status.parent.name))
            except (OSError, ValueError):
                continue
        return pids
    for pid in remaining():
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    wait_until(lambda: not remaining(), 30, "no process of uid %d" % uid)


USER_PATH = "/usr/local/bin:/usr/bin:/bin"


@pytest.fixture
def controller_user():
    """A local user without sudo rights, removed afterwards (also its leftovers of a killed run)."""
    prefix = "aivtctl"
    for entry in pwd.getpwall():
        match = re.match(r"^%s(\d+)$" % prefix, entry.pw_name)
        if match and not os.path.exists("/proc/%s" % match.group(1)):
            subprocess.run(["userdel", "--remove", entry.pw_name], capture_output=True, check=False)
    name = "%s%d" % (prefix, os.getpid())
    subprocess.run(["useradd", "--create-home", "--user-group", "--shell", "/bin/sh", name],
                   check=True, capture_output=True)
    user = pwd.getpwnam(name)
    try:
        yield user
    finally:
        _end_processes_of(user.pw_uid)
        subprocess.run(["userdel", "--remove", name], capture_output=True, check=False)
        assert name not in [entry.pw_name for entry in pwd.getpwall()]


def test_controller_user_without_sudo_runs_the_play_with_become(tmp_path, box, host, controller_user):
    """Play-level become escalates on the Prometheus host only: the role's controller tasks
    (Aiven API, lookups) must run as the invoking user, who here cannot sudo at all."""
    user = controller_user
    python, site = _python_for(user)
    assert _as_user(user, ["sudo", "-n", "true"], {"PATH": USER_PATH}, "/").returncode != 0
    workdir = pathlib.Path(tempfile.mkdtemp(prefix="aivt-controller-"))
    try:
        key = workdir / "id_ed25519"
        shutil.copyfile(str(host.key_path), str(key))
        directory = write_run_files(workdir / "run", box, host, controller_python=python, key_path=key)
        for path in [workdir] + sorted(workdir.rglob("*")):
            os.chown(str(path), user.pw_uid, user.pw_gid)
        key.chmod(0o600)
        # The user's own environment (no venv or /root paths), plus the packages and the run's settings.
        env = ansible_env(workdir, HOME=user.pw_dir, USER=user.pw_name, LOGNAME=user.pw_name, PATH=USER_PATH,
                          PYTHONPATH=site, ANSIBLE_PYTHON_INTERPRETER=python, **SSH_ENV)
        env.pop("VIRTUAL_ENV", None)
        proc = _as_user(user, [python, "-c", "import sys; from ansible.cli.playbook import main; "
                                             "sys.argv[0] = 'ansible-playbook'; sys.exit(main())",
                               str(directory / "present.yml"), "-i", str(directory / "inventory.yml"),
                               "-e", "@%s" % (directory / "vars.json")], env, str(workdir))
        assert ok(proc)[HOST]["changed"] > 0
        assert_targets_up_verified(box, host)
        assert listing(host)["aiven-%s.password" % box.project] == "640 root prometheus"  # become on the host worked
    finally:
        shutil.rmtree(str(workdir), ignore_errors=True)
