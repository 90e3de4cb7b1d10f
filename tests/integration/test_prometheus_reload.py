"""aiven_tools.prometheus.prometheus_reload through real `ansible` against real Prometheus.

Each test runs scrape_config (backup: true) the way the role does, hands its `files` to
prometheus_reload as `restore`, and asserts on Prometheus's own API: which jobs it runs, the
configuration in force, the targets' health. The target is an Aiven-like HTTPS node with basic
auth and a certificate for its DNS name only, so "up" means verified TLS.

The reload/restore cycle runs on every Prometheus present (2.42, 2.53, 3.x), all at once; the
branches whose behaviour does not depend on the version run once each on one of them.
"""
import concurrent.futures
import json
import pathlib
import re
import socket
import traceback

import pytest
import yaml

from sandbox.nodes import AivenNode, ProjectCA
from sandbox.prometheus import EXPECTED, PrometheusProcess, missing_reason, versions
from sandbox.util import free_port

MODULE = "aiven_tools.prometheus.prometheus_reload"
REPO = pathlib.Path(__file__).resolve().parents[2]
SERVICE = "pg-reload.aiven.test"
USERNAME, PASSWORD = "prom", "pw-reload-7f3a"
BASE = "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: base\n    static_configs:\n" \
       "      - targets: ['127.0.0.1:9']\n"


def binaries(label):
    present = versions()
    if label not in present:
        pytest.skip(missing_reason(label))
    return present[label]


@pytest.fixture(scope="module")
def node():
    ca = ProjectCA()
    with AivenNode(ca, [SERVICE], ip="127.0.0.2", username=USERNAME, password=PASSWORD) as started:
        yield started


def job(name, node, ca_file="ca.pem"):
    """An Aiven-like job (HTTPS, basic auth from a file, project CA, server_name) for scrape_config."""
    return ("- job_name: %s\n  scheme: https\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
            "  basic_auth: {username: %s, password_file: %s}\n"
            "  tls_config: {ca_file: %s, server_name: %s}\n"
            "  static_configs:\n    - targets: ['%s']\n"
            % (name, USERNAME, "{dir}/password", "{dir}/" + ca_file if "/" not in ca_file else ca_file,
               SERVICE, node.address))


class Host(object):
    """A Prometheus "host" in a temp dir: its config, CA and password files, the real process."""

    def __init__(self, ansible, directory, label, node, lifecycle=True):
        self.ansible = ansible
        self.binaries = binaries(label)
        self.dir = directory
        self.dir.mkdir()
        self.config = self.dir / "prometheus.yml"
        self.config.write_text(BASE)
        node.ca.write(self.dir / "ca.pem")
        (self.dir / "password").write_text(PASSWORD + "\n")
        self.prom = PrometheusProcess(self.config, self.binaries, lifecycle=lifecycle)

    def place(self, content, validate=True):
        """scrape_config with backup: true, block style; returns its result (with `files`)."""
        args = {"path": str(self.config), "name": "aiven-reload", "style": "block", "backup": True,
                "content": content.replace("{dir}", str(self.dir)),
                "validate": self.binaries.promtool if validate else False}
        rc, result, proc = self.ansible.module("aiven_tools.prometheus.scrape_config", args)
        assert rc == 0 and result.get("changed") is True, proc.stdout + proc.stderr
        return result

    def reload(self, **args):
        args.setdefault("web_url", self.prom.url)
        rc, result, proc = self.ansible.module(MODULE, args)
        assert result, proc.stdout + proc.stderr
        return rc, result

    def pools(self):
        return sorted(self.prom._api("/api/v1/scrape_pools")["scrapePools"])

    def backups(self):
        return sorted(p.name for p in self.dir.iterdir() if p.name.endswith("~"))


@pytest.fixture
def host_factory(ansible, tmp_path, node):
    started = []

    def make(label, lifecycle=True):
        host = Host(ansible, tmp_path / ("etc-%d" % len(started) if started else "etc"), label, node, lifecycle)
        started.append(host)
        host.prom.start()
        return host
    yield make
    for host in started:
        host.prom.cleanup()


# ------------------------------------------------------------------------------ every version

def test_http_reload_proves_jobs_and_restores_what_prometheus_rejects(host_factory, node):
    """The reload/restore cycle (http_reload_cycle) on every present version at once, each on its
    own Prometheus in a thread of its own: the steps and assertions are each version's, and their
    waits (a new job's first service-discovery tick, the lost CA's jobs_timeout) overlap instead
    of adding up. A failure names its version, with its traceback."""
    present = versions()
    labels = [label for label in EXPECTED if label in present]
    missing = [label for label in EXPECTED if label not in present]
    if not labels:
        pytest.skip("; ".join(missing_reason(label) for label in missing))
    hosts = dict((label, host_factory(label)) for label in labels)
    with concurrent.futures.ThreadPoolExecutor(len(labels)) as pool:
        runs = dict((label, pool.submit(http_reload_cycle, hosts[label], node, label)) for label in labels)
    failures = dict((label, run.exception()) for label, run in runs.items() if run.exception() is not None)
    assert not failures, "\n\n".join("Prometheus %s:\n%s" % (label, "".join(traceback.format_exception(
        type(exc), exc, exc.__traceback__))) for label, exc in sorted(failures.items()))
    if missing:  # the present ones passed; say which were not tried
        pytest.skip("; ".join(missing_reason(label) for label in missing))


def http_reload_cycle(host, node, label):

    # A good job: reloaded over HTTP, live, its HTTPS target up with verified TLS.
    placed = host.place(job("aiven-good", node))
    rc, result = host.reload(jobs=placed["jobs"], targets_up=True, targets_timeout=60, restore=placed["files"])
    assert rc == 0, result
    assert result["changed"] is True and result["method"] == "http" and result["lifecycle"] is True
    assert result["version"].startswith(label + ".")
    assert result["reload_successful"] is True
    assert result["reload_timestamp_after"] > result["reload_timestamp_before"]
    assert "aiven-good" in result["live_jobs"] and result["missing_jobs"] == []
    [target] = result["targets"]["aiven-good"]
    assert (target["health"], target["scrape_url"]) == ("up", "https://%s/metrics" % node.address)
    assert result["backups_removed"] == [f["backup"] for f in placed["files"]] and host.backups() == []
    good_config = host.config.read_text()

    # A configuration promtool would have caught (validation off) that Prometheus rejects:
    # Prometheus's own message, the files back, reloaded, the old jobs live again.
    placed = host.place(job("aiven-bad", node).replace("scrape_timeout: 1s", "scrape_timeout: 5s"), validate=False)
    rc, result = host.reload(jobs=placed["jobs"], restore=placed["files"])
    assert rc != 0
    assert re.match(r"^Prometheus rejected the new configuration: failed to reload config: .*scrape timeout greater "
                    r"than scrape interval for scrape config with job name \"aiven-bad\" -- the previous "
                    r"configuration was restored and reloaded \(%s\)\.$" % re.escape(str(host.config)), result["msg"])
    assert result["restored"] == [{"path": str(host.config), "action": "restored", "backup": placed["backup_file"]}]
    assert result["restore_reload_successful"] is True
    assert host.config.read_text() == good_config and host.backups() == []
    assert "aiven-good" in host.prom.config() and "aiven-bad" not in host.prom.config()
    assert "aiven-good" in host.pools()

    # A job whose ca_file Prometheus cannot read: "successful" reload, job missing, files back.
    failed_before = host.prom.metric("prometheus_target_scrape_pools_failed_total") or 0
    placed = host.place(job("aiven-good", node) + job("aiven-lost-ca", node, ca_file="/nonexistent/ca.pem"))
    rc, result = host.reload(jobs=placed["jobs"], jobs_timeout=10, restore=placed["files"])
    assert rc != 0
    assert result["msg"].startswith(
        "Prometheus reloaded, but these jobs are not active after 10s: aiven-lost-ca. "
        "prometheus_target_scrape_pools_failed_total went from %d to " % failed_before)
    assert ("Prometheus could not create their scrape pools (typically a tls_config.ca_file it cannot read; its log "
            "names the file). -- the previous configuration was restored and reloaded (%s)." % host.config) \
        in result["msg"]
    assert result["reload_successful"] is True and result["missing_jobs"] == ["aiven-lost-ca"]
    assert host.config.read_text() == good_config
    assert "aiven-lost-ca" not in host.prom.config() and "aiven-good" in host.pools()


# ------------------------------------------------------------------------------ one version each

def test_without_lifecycle_http_is_refused_and_signal_finds_prometheus(host_factory, node):
    host = host_factory("2.53", lifecycle=False)

    rc, result = host.reload(preflight=True)
    assert rc != 0 and result["method"] == "systemd" and result["lifecycle"] is False
    assert result["method_reason"].startswith("auto: the lifecycle API is disabled")
    # No systemd as PID 1 on these machines: systemctl's own words; on a booted host without
    # the unit, LoadState says it.
    assert re.match(r"^(method systemd \(auto: the lifecycle API is disabled .*\) cannot be used here: systemctl show "
                    r"prometheus failed|systemd has no unit prometheus )", result["msg"]), result["msg"]

    placed = host.place(job("aiven-good", node))
    rc, result = host.reload(method="http", jobs=placed["jobs"], restore=placed["files"])
    assert rc != 0
    assert result["msg"] == (
        "Prometheus refused the reload: the lifecycle API is disabled (start Prometheus with --web.enable-lifecycle, "
        "or use method signal or systemd): Lifecycle API is not enabled. -- the previous files were restored (%s), "
        "but reloading them failed too (Prometheus refused the reload: the lifecycle API is disabled (start "
        "Prometheus with --web.enable-lifecycle, or use method signal or systemd): Lifecycle API is not enabled.). "
        "Reload Prometheus once that is fixed." % host.config)
    assert "aiven-good" not in host.config.read_text()

    # SIGHUP to the one process running this --config.file (found in /proc).
    placed = host.place(job("aiven-good", node))
    rc, result = host.reload(method="signal", config_file=str(host.config), jobs=placed["jobs"],
                             restore=placed["files"])
    assert rc == 0, result
    assert result["pid"] == host.prom.proc.pid and result["reload_successful"] is True
    assert "aiven-good" in result["live_jobs"] and "aiven-good" in host.pools()

    # A SIGHUP reload Prometheus rejects shows only in its metrics: restored, SIGHUP again.
    good_config = host.config.read_text()
    placed = host.place(job("aiven-bad", node).replace("scrape_timeout: 1s", "scrape_timeout: 5s"), validate=False)
    rc, result = host.reload(method="signal", jobs=placed["jobs"], restore=placed["files"])
    assert rc != 0
    assert result["msg"] == (
        "Prometheus rejected the new configuration (prometheus_config_last_reload_successful is 0; a signal reload "
        "reports no reason: see the Prometheus log) -- the previous configuration was restored and reloaded (%s)."
        % host.config)
    assert result["pid"] == host.prom.proc.pid  # found from the config.file Prometheus reports
    assert host.config.read_text() == good_config
    assert host.prom.metric("prometheus_config_last_reload_successful") == 1
    assert "scrape timeout greater than scrape interval" in host.prom.log()  # where the message sends you


def test_targets_down_and_names_that_do_not_resolve(host_factory, node):
    host = host_factory("3.5")
    closed = "127.0.0.1:%d" % free_port()

    # Targets that stay down: one line per target with Prometheus's lastError; restored on request.
    placed = host.place(job("aiven-down", node).replace(node.address, closed))
    rc, result = host.reload(jobs=placed["jobs"], targets_up=True, targets_timeout=8, restore_on_down=True,
                             restore=placed["files"])
    assert rc != 0
    lines = result["msg"].splitlines()
    assert lines[0] == "Not every target is up after 8s (Aiven needs about a minute after an integration is enabled):"
    assert re.match(r"^  aiven-down https://%s/metrics (down|unknown)" % re.escape(closed), lines[1]), lines
    assert "connection refused" in result["msg"]
    assert lines[-1].endswith("-- the previous configuration was restored and reloaded (%s)." % host.config)
    assert "aiven-down" not in host.config.read_text() and "aiven-down" not in host.pools()

    # dns_sd names this host cannot resolve: fail before anything goes live, name them and the host.
    timestamp = host.prom.metric("prometheus_config_last_reload_success_timestamp_seconds")
    content = ("- job_name: aiven-dns\n  scheme: https\n  dns_sd_configs:\n"
               "    - names: [localhost, pg-missing.reload.invalid]\n      type: A\n      port: 9273\n")
    placed = host.place(content)
    rc, result = host.reload(jobs=placed["jobs"], resolve=["localhost", "pg-missing.reload.invalid"],
                             restore=placed["files"])
    assert rc != 0
    assert result["msg"].startswith(
        "these names do not resolve on this host (%s), so Prometheus could not discover their targets: "
        "pg-missing.reload.invalid (" % socket.gethostname())
    assert result["msg"].endswith("-- nothing was reloaded; the previous files were restored (%s)." % host.config)
    assert result["resolved"] == {"localhost": ["127.0.0.1"]} and result["changed"] is False
    assert "aiven-dns" not in host.config.read_text()
    assert host.prom.metric("prometheus_config_last_reload_success_timestamp_seconds") == timestamp


def test_preflight_answers_and_names_the_setting_to_fix(host_factory, tmp_path):
    host = host_factory("2.42")
    rc, result = host.reload(preflight=True, config_file=str(host.config), paths=[str(host.dir)],
                             promtool=host.binaries.promtool, resolve=["localhost"])
    assert rc == 0, result
    assert result["changed"] is False
    assert result["version"].startswith("2.42.") and result["promtool_version"].startswith("2.42.")
    assert (result["lifecycle"], result["method"]) == (True, "http")
    assert result["method_reason"] == "auto: the lifecycle API is enabled (--web.enable-lifecycle), so POST /-/reload"

    url = "http://127.0.0.1:%d" % free_port()
    rc, result = host.reload(preflight=True, web_url=url)
    assert rc != 0 and result["msg"] == (
        "Prometheus does not answer at %s (Connection refused). Start it or fix web_url (nothing was changed)" % url)
    missing = tmp_path / "typo" / "prometheus.yml"
    rc, result = host.reload(preflight=True, config_file=str(missing))
    assert rc != 0 and result["msg"] == (
        "config_file %s does not exist (or is not a file); set config_file to Prometheus's configuration file"
        % missing)


def documented(name):
    text = (REPO / "plugins" / "modules" / "prometheus_reload.py").read_text()
    examples = yaml.safe_load(re.search(r'^EXAMPLES = r"""(.*?)^"""', text, re.M | re.S).group(1))
    [task] = [t for t in examples if t["name"].startswith(name)]
    return task


def test_the_documented_tasks_run_as_written(host_factory, node, tmp_path):
    """The preflight, place and reload tasks of the module's EXAMPLES in one playbook, with only
    the machine-specific values replaced (addresses, paths, promtool, the template)."""
    host = host_factory("3.5")
    preflight = documented("Check the Prometheus host")
    preflight[MODULE].update(web_url=host.prom.url, config_file=str(host.config),
                             promtool=host.binaries.promtool, paths=[str(host.dir)])
    place = documented("Place the jobs")
    place["aiven_tools.prometheus.scrape_config"].update(
        path=str(host.config), content="{{ jobs }}", validate=host.binaries.promtool)
    reload_task = documented("Reload, prove the jobs are live")
    assert reload_task[MODULE]["method"] == "{{ 'auto' if placed is changed else 'none' }}"
    reload_task[MODULE].update(web_url=host.prom.url, resolve=["localhost"], targets_timeout=60)
    reload_task["register"] = "proven"
    keep = {"name": "Keep the results", "ansible.builtin.copy": {
        "content": "{{ {'host': prometheus_host, 'placed': placed, 'proven': proven} | to_json }}",
        "dest": str(tmp_path / "results.json"), "mode": "0600"}}
    playbook = tmp_path / "site.yml"
    playbook.write_text(yaml.safe_dump([{"hosts": "localhost", "gather_facts": False,
                                         "tasks": [preflight, place, reload_task, keep]}]))
    extra = {"jobs": job("aiven-acme-prod-pg", node).replace("{dir}", str(host.dir))}
    for run in ("first", "again"):
        proc = host.ansible.playbook(playbook, "-i", "localhost,", "-c", "local", "-e", json.dumps(extra))
        assert proc.returncode == 0, proc.stdout[-5000:]
        assert "FAILED - RETRYING" not in proc.stdout  # the waits are quiet
        results = json.loads((tmp_path / "results.json").read_text())
        proven = results["proven"]
        assert results["host"]["method"] == "http"
        assert proven["targets"]["aiven-acme-prod-pg"][0]["health"] == "up"
        if run == "first":
            assert proven["changed"] is True and proven["method"] == "http"
        else:  # nothing changed: method none, no reload, the same proof
            assert results["placed"]["changed"] is False
            assert proven["changed"] is False and proven["method"] == "none" and "reload_successful" not in proven
    assert host.backups() == []


@pytest.mark.parametrize("module, args", [
    (MODULE, lambda url, config: {"web_url": url, "preflight": True}),
    ("aiven_tools.prometheus.prometheus_info", lambda url, config: {"web_url": url, "path": config}),
    ("aiven_tools.prometheus.scrape_config", lambda url, config: {
        "path": config, "name": "acme", "validate": False, "reload": {"web_url": url},
        "content": "- job_name: a\n  static_configs:\n    - targets: ['127.0.0.1:9']\n"}),
], ids=["prometheus_reload", "prometheus_info", "scrape_config"])
def test_a_password_in_web_url_is_in_no_output_not_even_at_vvv(ansible, tmp_path, module, args):
    """Found by a new user: the message masked it, the invocation -vvv echoes did not."""
    secret = "Pw-In-Url-5c9e"
    config = tmp_path / "prometheus.yml"
    config.write_text(BASE)
    url = "http://prom:%s@127.0.0.1:%d" % (secret, free_port())
    rc, result, proc = ansible.module(module, args(url, str(config)), verbosity=3)
    assert rc != 0 and "prom:********@127.0.0.1" in proc.stdout, proc.stdout[-3000:]
    assert "module_args" in proc.stdout, "-vvv shows the invocation, which must hold no password"
    ansible.assert_no_secret(secret)
    assert config.read_text() == BASE
