"""scrape_config's reload option through real Ansible against real Prometheus 2.42 and 3.x.

One task places the jobs and the files they reference (project CA, password file), reloads,
proves the jobs are live and waits for their targets, or puts every file back. Asserted on
Prometheus's own API: its reload timestamp, the configuration in force, its scrape pools. The
target is an Aiven-like HTTPS node this test serves on 127.0.0.1 (basic auth, a certificate
for its DNS name only), so "up" means verified TLS with the placed CA and password.

One Prometheus per version serves every test of the file (module-scoped, in file order): the
second test starts from what the first left live, as a real host would.
"""
import grp
import json
import os
import pathlib
import re

import pytest
import yaml

from sandbox.nodes import AivenNode, ProjectCA
from sandbox.prometheus import PrometheusProcess, missing_reason, versions
from sandbox.util import wait_until

pytestmark = pytest.mark.xdist_group("scrape_config_reload")  # one worker: one Prometheus per version

MODULE = "aiven_tools.prometheus.scrape_config"
REPO = pathlib.Path(__file__).resolve().parents[2]
SERVICE = "pg-myproject.aiven.test"
USERNAME, PASSWORD = "prom", "pw-scrape-reload-5d2e"
BASE = "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: base\n    static_configs:\n" \
       "      - targets: ['127.0.0.1:9']\n"
RELOAD_TIMESTAMP = "prometheus_config_last_reload_success_timestamp_seconds"


@pytest.fixture(scope="module")
def node():
    ca = ProjectCA()
    with AivenNode(ca, [SERVICE], ip="127.0.0.1", username=USERNAME, password=PASSWORD) as started:
        yield started


class Host(object):
    """A Prometheus "host": a directory with prometheus.yml and the real process running it."""

    def __init__(self, directory, binaries):
        self.dir = directory
        self.binaries = binaries
        self.config = directory / "prometheus.yml"
        self.config.write_text(BASE)
        self.prom = PrometheusProcess(self.config, binaries)
        # What style auto picks: a drop-in file from 2.43 on (scrape_config_files), else a block.
        self.style = "file" if binaries.version[:2] >= (2, 43) else "block"

    def job(self, name, node, ca_file=None):
        """An Aiven-like job whose CA and password are the run's companion files."""
        return ("- job_name: %s\n  scheme: https\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                "  basic_auth: {username: %s, password_file: %s}\n"
                "  tls_config: {ca_file: %s, server_name: %s}\n"
                "  static_configs:\n    - targets: ['%s']\n"
                % (name, USERNAME, self.dir / "aiven-myproject.password", ca_file or self.dir / "aiven-myproject-ca.pem",
                   SERVICE, node.address))

    def files(self, node, password=PASSWORD):
        return [{"path": str(self.dir / "aiven-myproject-ca.pem"), "content": node.ca.pem},
                {"path": str(self.dir / "aiven-myproject.password"), "content": password, "mode": "0640"}]

    def timestamp(self):
        return self.prom.metric(RELOAD_TIMESTAMP)

    def pools(self):
        return sorted(self.prom._api("/api/v1/scrape_pools")["scrapePools"])

    def snapshot(self):
        """{name: (bytes, mode)} of every file but the lock (it stays once made)."""
        return dict((p.name, (p.read_bytes(), oct(p.stat().st_mode & 0o7777))) for p in sorted(self.dir.iterdir())
                    if p.is_file() and not p.name.endswith(".lock"))


@pytest.fixture(scope="module", params=["2.42", "3.5"], ids=lambda label: "prometheus-" + label)
def host(request, tmp_path_factory):
    present = versions()
    if request.param not in present:
        pytest.skip(missing_reason(request.param))
    started = Host(tmp_path_factory.mktemp("etc"), present[request.param])
    started.prom.start()
    # Prometheus answers before its scrape manager has made the pools of the first configuration;
    # a test that snapshots the pools first would otherwise see none.
    wait_until(lambda: started.pools() == ["base"], 30, "Prometheus's first scrape pool")
    yield started
    started.prom.cleanup()


def documented(name):
    text = (REPO / "plugins" / "modules" / "scrape_config.py").read_text()
    examples = yaml.safe_load(re.search(r'^EXAMPLES = r"""(.*?)^"""', text, re.M | re.S).group(1))
    [task] = [t for t in examples if t["name"].startswith(name)]
    return task


def test_the_documented_task_places_reloads_and_waits_then_changes_nothing(ansible, host, node, tmp_path):
    """The EXAMPLES task with reload, as written but for this machine's values, in a playbook
    run twice: the first run reloads and every target comes up; the second changes nothing,
    sends no reload and proves the same."""
    task = documented("Place the jobs and their files, reload Prometheus")
    options = task[MODULE]
    assert options["reload"]["targets_up"] is True and "backup" not in options
    options.update(path=str(host.config), content="{{ jobs }}", validate=host.binaries.promtool)
    options["files"][0]["path"] = str(host.dir / "aiven-myproject-ca.pem")
    options["files"][1].update(path=str(host.dir / "aiven-myproject.password"),
                               group=grp.getgrgid(os.getgid()).gr_name)  # no group prometheus needed here
    options["reload"].update(web_url=host.prom.url, resolve=["localhost"], targets_timeout=60)
    keep = {"name": "Keep the result", "ansible.builtin.copy": {
        "content": "{{ live | to_json }}", "dest": str(tmp_path / "result.json"), "mode": "0600"}}
    playbook = tmp_path / "site.yml"
    playbook.write_text(yaml.safe_dump([{"hosts": "localhost", "gather_facts": False, "tasks": [task, keep]}]))
    extra = {"jobs": host.job("aiven-myproject-pg", node), "project_ca_pem": node.ca.pem, "scrape_password": PASSWORD}

    before = host.timestamp()
    proc = ansible.playbook(playbook, "-i", "localhost,", "-c", "local", "-e", json.dumps(extra))
    assert proc.returncode == 0, proc.stdout[-5000:]
    result = json.loads((tmp_path / "result.json").read_text())
    reload = result["reload"]
    assert result["changed"] is True and result["style"] == host.style
    assert [(os.path.basename(f["path"]), f["action"]) for f in result["files"]] == [
        ("aiven-myproject-ca.pem", "created"), ("aiven-myproject.password", "created")] + (
        [("aiven-myproject.yml", "created")] if host.style == "file" else []) + [("prometheus.yml", "updated")]
    assert (reload["changed"], reload["method"], reload["reload_successful"]) == (True, "http", True)
    assert reload["version"].startswith("%d.%d." % host.binaries.version[:2])
    assert reload["reload_timestamp_after"] > before and host.timestamp() > before
    assert "aiven-myproject-pg" in reload["live_jobs"] and reload["resolved"] == {"localhost": ["127.0.0.1"]}
    [target] = reload["targets"]["aiven-myproject-pg"]
    assert (target["health"], target["scrape_url"]) == ("up", "https://%s/metrics" % node.address)
    assert reload["backups_removed"] and not [p for p in os.listdir(str(host.dir)) if p.endswith("~")]
    assert "aiven-myproject-pg" in host.pools()

    files, reloaded_at = host.snapshot(), host.timestamp()
    proc = ansible.playbook(playbook, "-i", "localhost,", "-c", "local", "-e", json.dumps(extra))
    assert proc.returncode == 0, proc.stdout[-5000:]
    result = json.loads((tmp_path / "result.json").read_text())
    reload = result["reload"]
    assert result["changed"] is False and result["files"] == []
    assert (reload["changed"], reload["method"]) == (False, "none") and "reload_successful" not in reload
    assert reload["targets"]["aiven-myproject-pg"][0]["health"] == "up"
    assert host.timestamp() == reloaded_at, "no reload when nothing changed"
    assert host.snapshot() == files
    ansible.assert_no_secret(PASSWORD)


def test_a_job_prometheus_drops_puts_everything_back(ansible, host, node):
    """A job whose ca_file does not exist: promtool passes it, Prometheus reports a successful
    reload and silently drops the job. Every file goes back byte for byte (the new password file
    too), Prometheus is reloaded onto them, and the previous configuration is live again. Then a
    configuration Prometheus itself rejects (validation off) ends the same way."""
    files, config_in_force, pools = host.snapshot(), host.prom.config(), host.pools()
    lost = (host.job("aiven-myproject-pg", node)
            + host.job("aiven-myproject-lost", node, ca_file=host.dir / "missing-ca.pem"))
    args = {"path": str(host.config), "name": "aiven-myproject", "content": lost, "validate": host.binaries.promtool,
            "style": host.style, "files": host.files(node, password="pw-rotated-but-rolled-back"),
            "reload": {"web_url": host.prom.url, "jobs_timeout": 6}}
    before = host.timestamp()
    rc, result, proc = ansible.module(MODULE, args)
    assert rc != 0 and result, proc.stdout + proc.stderr
    assert result["msg"].startswith("Prometheus reloaded, but these jobs are not active after 6s: aiven-myproject-lost. "
                                    "prometheus_target_scrape_pools_failed_total went from ")
    changed = [f["path"] for f in result["files"]]
    assert str(host.dir / "aiven-myproject.password") in changed and len(changed) >= 2  # and a configuration file
    assert result["msg"].endswith("-- the previous configuration was restored and reloaded (%s)."
                                  % ", ".join(reversed(changed)))
    reload = result["reload"]
    assert reload["reload_successful"] is True and reload["restore_reload_successful"] is True
    assert reload["missing_jobs"] == ["aiven-myproject-lost"] and "option" not in result
    assert host.snapshot() == files, "every file back, byte for byte, and no backup left"
    assert host.timestamp() > before and host.prom.config() == config_in_force and host.pools() == pools

    rejected = host.job("aiven-myproject-pg", node).replace("scrape_timeout: 1s", "scrape_timeout: 5s")
    rc, result, proc = ansible.module(MODULE, dict(args, content=rejected, validate=False))
    assert rc != 0 and result, proc.stdout + proc.stderr
    # Prometheus's own reason (2.x names the job; 3.x says less for a job in a drop-in file).
    assert re.match(r"^Prometheus rejected the new configuration: failed to reload config: .+ -- the previous "
                    r"configuration was restored and reloaded \(%s\)\.$"
                    % re.escape(", ".join(f["path"] for f in reversed(result["files"]))), result["msg"]), result["msg"]
    assert host.snapshot() == files and host.prom.config() == config_in_force
    assert host.prom.metric("prometheus_config_last_reload_successful") == 1
