"""prometheus_reload's main() in process, against a stub of Prometheus's HTTP API on 127.0.0.1.

systemctl and kill are stubbed at the module's boundary (run_command, os.kill); the waits run on
an injected clock, so no test sleeps. Every failure message the role gave before this module
existed is asserted here word for word where it is fixed text.
"""
import os
import signal
import socket

import pytest

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.aiven_tools.prometheus.plugins.modules import prometheus_reload
from ansible_collections.aiven_tools.prometheus.tests.unit.plugins.module_utils.prometheus_stub import (
    Clock, PrometheusStub,
)
from ansible_collections.aiven_tools.prometheus.tests.unit.plugins.modules.utils import fail_module, run_module

NEW_JOB = "aiven-acme-pg"
RELOAD_500 = ("failed to reload config: couldn't load configuration (--config.file=\"/etc/prometheus/prometheus.yml\"): "
              "parsing YAML file /etc/prometheus/prometheus.yml: scrape timeout greater than scrape interval for "
              "scrape config with job name \"aiven-acme-pg\"")


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    fake = Clock()
    monkeypatch.setattr(prometheus_reload.Reloader, "clock", staticmethod(fake))
    monkeypatch.setattr(prometheus_reload.Reloader, "sleep", staticmethod(fake.sleep))
    return fake


@pytest.fixture
def prom():
    with PrometheusStub(pools=["prometheus"]) as stub:
        yield stub


def run(prom, check_mode=False, **args):
    args.setdefault("web_url", prom.url)
    return run_module(prometheus_reload.main, args, check_mode=check_mode)


def fail(prom, check_mode=False, **args):
    args.setdefault("web_url", prom.url)
    return fail_module(prometheus_reload.main, args, check_mode=check_mode)


def loads(pools=None, failed_pools=0):
    """An on_reload for the stub: the configuration loads, with these pools afterwards."""
    def on_reload(stub):
        stub.loaded(pools)
        stub.pools_failed += failed_pools
    return on_reload


@pytest.fixture
def files(tmp_path):
    """What scrape_config returns after placing jobs with backup: true: an updated main file with
    its backup, and a created drop-in. `.before` holds the contents a restore must bring back."""
    config = tmp_path / "prometheus.yml"
    backup = tmp_path / "prometheus.yml.1.2026-12-01@00:00:00~"
    dropin = tmp_path / "aiven.yml"
    backup.write_text("scrape_configs: []\n")
    os.chmod(str(backup), 0o600)
    config.write_text("scrape_config_files: [aiven.yml]\n")
    os.chmod(str(config), 0o644)
    dropin.write_text("scrape_configs: [{job_name: aiven-acme-pg}]\n")

    class Files(list):
        pass
    placed = Files([{"path": str(dropin), "action": "created"},
                    {"path": str(config), "action": "updated", "backup": str(backup), "mode": "0640"}])
    placed.config, placed.backup, placed.dropin = config, backup, dropin
    return placed


def assert_restored(files):
    assert files.config.read_text() == "scrape_configs: []\n"
    assert oct(os.stat(str(files.config)).st_mode & 0o777) == "0o640"  # the mode scrape_config reported
    assert not files.dropin.exists()
    assert not files.backup.exists()  # the restored file is the backup: no copy is kept
    assert not [p for p in os.listdir(str(files.config.parent)) if p.endswith(".restore")]


# ---------------------------------------------------------------------------------- http

def test_http_reload_proves_the_jobs_and_removes_the_backups(prom, files, clock):
    prom.on_reload = loads()
    reads = {"pools": 0}

    def pool_after_two_reads(stub, path):  # Prometheus 2.x creates new pools on a 5 s tick
        if path == "/api/v1/scrape_pools":
            reads["pools"] += 1
            if reads["pools"] == 3:
                stub.pools = ["prometheus", NEW_JOB]
    prom.on_read = pool_after_two_reads
    result = run(prom, jobs=[NEW_JOB], restore=list(files))
    assert result["changed"] is True
    assert result["method"] == "http" and result["lifecycle"] is True and result["version"] == "2.53.3"
    assert result["method_reason"].startswith("auto: the lifecycle API is enabled")
    assert result["reload_timestamp_after"] == result["reload_timestamp_before"] + 10 == prom.reload_timestamp
    assert result["reload_successful"] is True
    assert result["live_jobs"] == [NEW_JOB, "prometheus"]
    assert result["missing_jobs"] == [] and result["stale_jobs"] == []
    assert result["scrape_pools_failed_before"] == 0 and result["scrape_pools_failed_after"] == 0
    assert prom.reloads == 1 and clock.sleeps == [0.5, 0.5]
    assert result["backups_removed"] == [str(files.backup)] and not files.backup.exists()
    assert files.dropin.exists() and "aiven.yml" in files.config.read_text()  # the new files stay
    assert "restored" not in result


def test_keep_backups(prom, files):
    prom.on_reload = loads([NEW_JOB])
    result = run(prom, jobs=[NEW_JOB], restore=list(files), keep_backups=True)
    assert result["backups_removed"] == [] and files.backup.exists()


def test_rejected_config_is_restored_and_reloaded_with_prometheus_message(prom, files):
    prom.on_reload = lambda stub: (500, RELOAD_500) if stub.reloads == 1 else stub.loaded()
    failure = fail(prom, jobs=[NEW_JOB], restore=list(files))
    assert failure["msg"] == (
        "Prometheus rejected the new configuration: %s -- the previous configuration was restored and reloaded "
        "(%s, %s)." % (RELOAD_500, files.config, files.dropin))
    assert_restored(files)
    assert prom.reloads == 2 and failure["changed"] is True
    assert failure["restored"] == [
        {"path": str(files.config), "action": "restored", "backup": str(files.backup)},
        {"path": str(files.dropin), "action": "removed"},
    ]
    assert failure["restore_reload_successful"] is True
    assert "reload_successful" not in failure  # the first reload never got that far


def test_both_reasons_when_the_restored_files_do_not_reload_either(prom, files):
    prom.on_reload = lambda stub: (500, "failed to reload config: first")
    failure = fail(prom, restore=list(files))
    assert failure["msg"] == (
        "Prometheus rejected the new configuration: failed to reload config: first -- the previous files were "
        "restored (%s, %s), but reloading them failed too (Prometheus rejected the new configuration: failed to "
        "reload config: first). Reload Prometheus once that is fixed." % (files.config, files.dropin))
    assert_restored(files)


def test_lifecycle_api_disabled_403(prom):
    prom.flags["web.enable-lifecycle"] = "false"
    failure = fail(prom, method="http")
    assert failure["msg"] == (
        "Prometheus refused the reload: the lifecycle API is disabled (start Prometheus with --web.enable-lifecycle, "
        "or use method signal or systemd): Lifecycle API is not enabled.")
    assert failure["method_reason"] == "method http was given"


def test_prometheus_not_answering_restores_without_reloading(files):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        url = "http://127.0.0.1:%d" % sock.getsockname()[1]
    failure = fail_module(prometheus_reload.main, {"web_url": url, "restore": list(files)})
    assert failure["msg"] == (
        "Prometheus does not answer at %s (Connection refused). Start it or fix web_url -- nothing was reloaded; "
        "the previous files were restored (%s, %s)." % (url, files.config, files.dropin))
    assert failure["changed"] is False
    assert_restored(files)


def test_something_else_at_web_url(prom):
    prom.answer = lambda method, path: (404, "text/plain", "404 page not found")
    failure = fail(prom)
    assert failure["msg"] == ("Prometheus at %s does not answer as Prometheus: GET /api/v1/status/flags returned "
                              "HTTP 404: 404 page not found. Fix web_url" % prom.url)


# ---------------------------------------------------------------------------------- proof of the jobs

def test_job_missing_after_a_successful_reload_names_the_failed_pools(prom, files, clock):
    prom.on_reload = lambda stub: loads(failed_pools=1)(stub) if stub.reloads == 1 else stub.loaded()
    failure = fail(prom, jobs=[NEW_JOB, "prometheus"], jobs_timeout=3, restore=list(files))
    assert failure["msg"] == (
        "Prometheus reloaded, but these jobs are not active after 3s: aiven-acme-pg. "
        "prometheus_target_scrape_pools_failed_total went from 0 to 1: Prometheus could not create their scrape "
        "pools (typically a tls_config.ca_file it cannot read; its log names the file). -- the previous "
        "configuration was restored and reloaded (%s, %s)." % (files.config, files.dropin))
    assert failure["missing_jobs"] == [NEW_JOB] and failure["live_jobs"] == ["prometheus"]
    assert failure["scrape_pools_failed_after"] == 1
    assert failure["reload_successful"] is True  # Prometheus itself called it a success
    assert sum(s for s in clock.sleeps) >= 3
    assert_restored(files)


def test_job_missing_without_failed_pools_points_at_the_log(prom):
    prom.on_reload = loads()
    failure = fail(prom, jobs=["a", "b"], jobs_timeout=1)
    assert failure["msg"] == "Prometheus reloaded, but these jobs are not active after 1s: a, b. Its log has the reason."


def test_removed_job_still_live(prom):
    prom.on_reload = loads(["prometheus", "old"])
    failure = fail(prom, absent_jobs=["old", "gone"], jobs_timeout=1)
    assert failure["msg"] == ("Prometheus reloaded, but these removed jobs are still active after 1s: old. "
                              "Its log has the reason.")
    assert failure["stale_jobs"] == ["old"]


def test_removed_jobs_gone(prom):
    prom.pools = ["prometheus", "old"]
    prom.on_reload = loads(["prometheus"])
    result = run(prom, absent_jobs=["old"])
    assert result["stale_jobs"] == [] and result["live_jobs"] == ["prometheus"]


def test_jobs_seen_through_targets_where_scrape_pools_is_missing(prom):
    prom.scrape_pools_api = False
    prom.on_reload = lambda stub: (stub.loaded(), setattr(stub, "targets", [stub.target(NEW_JOB, "http://127.0.0.2:1/metrics")]))[-1]
    result = run(prom, jobs=[NEW_JOB])
    assert result["live_jobs"] == [NEW_JOB] and ("GET", "/api/v1/targets?state=any") in prom.requests


def test_method_none_proves_without_reloading(prom):
    prom.pools = ["prometheus", NEW_JOB]
    result = run(prom, method="none", jobs=[NEW_JOB])
    assert result["changed"] is False and prom.reloads == 0
    assert result["missing_jobs"] == [] and "reload_successful" not in result
    result = run_module(prometheus_reload.main, {"web_url": "http://127.0.0.1:9", "method": "none"})
    assert result["method_reason"] == "method none was given, and nothing to prove: Prometheus is not asked"
    failure = fail(prom, method="none", jobs=["other"], jobs_timeout=0)
    assert failure["msg"] == ("Prometheus was not reloaded (method none), and these jobs are not active after 0s: "
                              "other. Its log has the reason.")


# ---------------------------------------------------------------------------------- targets

def test_targets_up_returns_each_jobs_targets(prom, clock):
    prom.on_reload = loads(["prometheus", NEW_JOB])
    url = "https://127.0.0.2:9273/metrics"
    states = iter(["unknown", "down", "up"])

    def scrape(stub, path):
        if path.startswith("/api/v1/targets"):
            stub.targets = [stub.target(NEW_JOB, url, next(states, "up"))]
    prom.on_read = scrape
    result = run(prom, jobs=[NEW_JOB], targets_up=True)
    assert result["targets"] == {NEW_JOB: [{"scrape_url": url, "health": "up", "last_error": "",
                                            "labels": {"job": NEW_JOB, "instance": "127.0.0.2:9273"}}]}
    assert clock.sleeps == [1.0, 1.0]


def test_targets_down_fail_with_a_table_and_keep_the_new_files(prom, files):
    prom.on_reload = loads(["prometheus", NEW_JOB, "aiven-acme-kafka"])
    prom.targets = [
        prom.target(NEW_JOB, "https://127.0.0.2:9273/metrics"),
        prom.target(NEW_JOB, "https://127.0.0.3:9273/metrics", "down",
                    "Get \"https://127.0.0.3:9273/metrics\": x509: certificate signed by unknown authority"),
    ]
    failure = fail(prom, jobs=[NEW_JOB, "aiven-acme-kafka"], targets_up=True, targets_timeout=5, restore=list(files))
    assert failure["msg"] == (
        "Not every target is up after 5s (Aiven needs about a minute after an integration is enabled):\n"
        "  aiven-acme-pg https://127.0.0.2:9273/metrics up\n"
        "  aiven-acme-pg https://127.0.0.3:9273/metrics down: Get \"https://127.0.0.3:9273/metrics\": x509: "
        "certificate signed by unknown authority\n"
        "  aiven-acme-kafka: no targets discovered\n"
        "The jobs stay in place (Prometheus loaded them) and are scraped as soon as the targets answer; "
        "fix the cause shown above and run again.")
    assert [t["health"] for t in failure["targets"][NEW_JOB]] == ["up", "down"]
    assert failure["targets"]["aiven-acme-kafka"] == []
    # Down targets may come up later: the proven configuration stays, its backups go.
    assert files.dropin.exists() and not files.backup.exists() and "restored" not in failure


def test_targets_down_restored_when_asked(prom, files):
    prom.on_reload = loads(["prometheus", NEW_JOB])
    failure = fail(prom, jobs=[NEW_JOB], targets_up=True, targets_timeout=2, restore=list(files),
                   restore_on_down=True)
    assert failure["msg"].startswith("Not every target is up after 2s")
    assert failure["msg"].endswith("  aiven-acme-pg: no targets discovered -- the previous configuration was "
                                   "restored and reloaded (%s, %s)." % (files.config, files.dropin))
    assert_restored(files)


# ---------------------------------------------------------------------------------- systemd

@pytest.fixture
def systemctl(monkeypatch, prom):
    """run_command stub: records argv; `answers` maps a subcommand to (rc, out, err) or a callable."""
    calls = []
    answers = {"reload": lambda: (prom.loaded(), (0, "", ""))[1]}

    def run_command(self, argv, **kwargs):
        calls.append(list(argv))
        answer = answers[argv[1]]
        return answer() if callable(answer) else answer
    monkeypatch.setattr(AnsibleModule, "run_command", run_command)
    monkeypatch.setattr(AnsibleModule, "get_bin_path",
                        lambda self, name, required=False, opt_dirs=None: "/usr/bin/" + name)
    systemctl_calls = type("Systemctl", (), {})()
    systemctl_calls.calls, systemctl_calls.answers = calls, answers
    return systemctl_calls


def test_auto_without_lifecycle_reloads_through_systemd(prom, systemctl):
    prom.flags["web.enable-lifecycle"] = "false"
    result = run(prom, unit="prometheus-main")
    assert systemctl.calls == [["/usr/bin/systemctl", "reload", "prometheus-main"]]
    assert result["method"] == "systemd" and result["reload_successful"] is True and result["changed"] is True
    assert result["method_reason"].startswith("auto: the lifecycle API is disabled")


def test_systemctl_error_for_a_wrong_unit_both_times(prom, systemctl, files):
    systemctl.answers["reload"] = (5, "", "Failed to reload prometheus-typo.service: Unit prometheus-typo.service "
                                          "not found.\n")
    failure = fail(prom, method="systemd", unit="prometheus-typo", restore=list(files))
    first = ("systemctl reload prometheus-typo failed (rc=5): Failed to reload prometheus-typo.service: Unit "
             "prometheus-typo.service not found.; set unit to Prometheus's systemd unit, or another method")
    assert failure["msg"] == ("%s -- the previous files were restored (%s, %s), but reloading them failed too (%s). "
                              "Reload Prometheus once that is fixed." % (first, files.config, files.dropin, first))
    assert len(systemctl.calls) == 2
    assert_restored(files)


def test_systemd_reload_that_prometheus_marks_failed(prom, systemctl):
    systemctl.answers["reload"] = lambda: (prom.failed(), (0, "", ""))[1]
    failure = fail(prom, method="systemd")
    assert failure["msg"] == ("Prometheus rejected the new configuration (prometheus_config_last_reload_successful "
                              "is 0; a systemd reload reports no reason: see the Prometheus log)")
    assert failure["reload_successful"] is False


def test_no_systemctl(prom, monkeypatch):
    monkeypatch.setattr(AnsibleModule, "get_bin_path", lambda self, name, required=False, opt_dirs=None: None)
    failure = fail(prom, method="systemd")
    assert failure["msg"] == ("method systemd needs systemctl, which this host does not have; use method signal "
                              "(pid, pidfile or config_file) or http (--web.enable-lifecycle)")


# ---------------------------------------------------------------------------------- signal

class Kill(object):
    """os.kill stub: records (pid, signal); an error in `errors` is raised; SIGHUP runs `effect`."""

    def __init__(self, effect):
        self.effect = effect
        self.errors = []
        self.sent = []

    def __call__(self, pid, sig):
        self.sent.append((pid, sig))
        if self.errors:
            raise self.errors[0]
        if sig == signal.SIGHUP:
            self.effect()


@pytest.fixture
def kill(monkeypatch, prom):
    stub = Kill(effect=prom.loaded)  # by default the configuration loads
    monkeypatch.setattr(os, "kill", stub)
    return stub


def test_signal_to_a_given_pid(prom, kill):
    result = run(prom, method="signal", pid=4242)
    assert kill.sent == [(4242, signal.SIGHUP)]
    assert result["pid"] == 4242 and result["reload_successful"] is True


def test_signal_finds_prometheus_by_the_config_file_it_reports(prom, kill, monkeypatch):
    asked = []
    monkeypatch.setattr(prometheus_reload, "find_pids", lambda config_file: asked.append(config_file) or [77])
    result = run(prom, method="signal")
    assert asked == ["/etc/prometheus/prometheus.yml"] and result["pid"] == 77
    run(prom, method="signal", config_file="/srv/p.yml")
    assert asked[-1] == "/srv/p.yml"


@pytest.mark.parametrize("pids, shown", [([], "0 (none)"), ([5, 6], "2 (5 6)")])
def test_signal_needs_exactly_one_process(prom, kill, monkeypatch, pids, shown):
    monkeypatch.setattr(prometheus_reload, "find_pids", lambda config_file: pids)
    failure = fail(prom, method="signal", config_file="/srv/p.yml")
    assert failure["msg"] == (
        "method signal needs exactly one Prometheus process, found %s with --config.file=/srv/p.yml; set pid or "
        "pidfile, or config_file to the --config.file Prometheus runs with" % shown)
    assert kill.sent == []


def test_signal_pidfile(prom, kill, tmp_path):
    pidfile = tmp_path / "prometheus.pid"
    pidfile.write_text("31337\n")
    assert run(prom, method="signal", pidfile=str(pidfile))["pid"] == 31337
    pidfile.write_text("oops")
    assert fail(prom, method="signal", pidfile=str(pidfile))["msg"] == (
        "pidfile %s does not hold a PID (it reads 'oops'); set pidfile to the file holding Prometheus's PID, or "
        "set pid" % pidfile)
    missing = tmp_path / "missing.pid"
    assert fail(prom, method="signal", pidfile=str(missing))["msg"] == (
        "cannot read pidfile %s (No such file or directory); set pidfile to the file holding Prometheus's PID, or "
        "set pid" % missing)


@pytest.mark.parametrize("error, hint", [
    (ProcessLookupError(3, "No such process"), "set pid or pidfile to the running Prometheus"),
    (PermissionError(1, "Operation not permitted"), "run the task with become: true"),
])
def test_signal_errors(prom, kill, error, hint):
    kill.errors.append(error)
    failure = fail(prom, method="signal", pid=9)
    assert failure["msg"] == "cannot send SIGHUP to PID 9 (%s); %s" % (error.strerror, hint)


def test_sighup_reload_marked_failed(prom, kill):
    kill.effect = prom.failed
    failure = fail(prom, method="signal", pid=9)
    assert failure["msg"] == ("Prometheus rejected the new configuration (prometheus_config_last_reload_successful "
                              "is 0; a signal reload reports no reason: see the Prometheus log)")


def test_sighup_that_never_shows(prom, kill, clock):
    kill.effect = lambda: None
    failure = fail(prom, method="signal", pid=9, timeout=2)
    assert failure["msg"] == ("Prometheus did not reload within 2s of the signal reload "
                              "(prometheus_config_last_reload_success_timestamp_seconds did not move)")
    assert clock.sleeps == [0.25] * 8


def test_after_an_earlier_failed_reload_only_the_timestamp_tells(prom, kill, clock):
    # The flag was already 0: a success shows as the timestamp moving; a new failure cannot show
    # before the timeout, and is then reported from the flag.
    prom.reload_successful = 0
    kill.effect = prom.loaded
    assert run(prom, method="signal", pid=9)["reload_successful"] is True
    prom.reload_successful = 0
    kill.effect = prom.failed
    clock.sleeps[:] = []
    failure = fail(prom, method="signal", pid=9, timeout=1)
    assert failure["msg"].startswith("Prometheus rejected the new configuration (prometheus_config_last_reload_"
                                     "successful is 0; a signal reload reports no reason")
    assert sum(clock.sleeps) == 1


# ---------------------------------------------------------------------------------- resolve

@pytest.fixture
def resolver(monkeypatch):
    table = {"pg-acme.aivencloud.com": ["203.0.113.10", "203.0.113.11"], "v6.example": ["2001:db8::1"]}
    asked = []
    real = socket.getaddrinfo

    def getaddrinfo(name, port, family=0, type=0, proto=0, flags=0):
        if name[0].isdigit():  # the stub's own address: the module's HTTP client resolves it too
            return real(name, port, family, type, proto, flags)
        asked.append((name, family))
        found = [a for a in table.get(name, []) if family == socket.AF_UNSPEC
                 or (family == socket.AF_INET6) == (":" in a)]
        if not found:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [(socket.AF_INET6 if ":" in a else socket.AF_INET, type, 6, "", (a, 0)) for a in found * 2]
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return asked


def test_resolve_names_by_record_type(resolver):
    names = ["pg-acme.aivencloud.com", "v6.example"]
    assert prometheus_reload.resolve_names(names, "A") == (
        {"pg-acme.aivencloud.com": ["203.0.113.10", "203.0.113.11"]}, {"v6.example": "Name or service not known"})
    assert prometheus_reload.resolve_names(names, "AAAA")[0] == {"v6.example": ["2001:db8::1"]}
    assert sorted(prometheus_reload.resolve_names(names, "both")[0]) == names
    assert {family for _name, family in resolver} == {socket.AF_INET, socket.AF_INET6, socket.AF_UNSPEC}
    assert prometheus_reload.resolve_names([], "A") == ({}, {})


def test_names_that_do_not_resolve_fail_before_the_reload(prom, files, resolver):
    failure = fail(prom, resolve=["pg-acme.aivencloud.com", "replica-pg-acme.aivencloud.com", "x.invalid"],
                   restore=list(files))
    assert failure["msg"] == (
        "these names do not resolve on this host (%s), so Prometheus could not discover their targets: "
        "replica-pg-acme.aivencloud.com (Name or service not known), x.invalid (Name or service not known). "
        "Fix this host's DNS resolver, or scrape those services by IP (static or file_sd targets) -- nothing was "
        "reloaded; the previous files were restored (%s, %s)." % (socket.gethostname(), files.config, files.dropin))
    assert failure["resolved"] == {"pg-acme.aivencloud.com": ["203.0.113.10", "203.0.113.11"]}
    assert prom.reloads == 0
    assert_restored(files)


def test_names_that_resolve(prom, resolver):
    prom.on_reload = loads()
    result = run(prom, resolve=["pg-acme.aivencloud.com"])
    assert result["resolved"] == {"pg-acme.aivencloud.com": ["203.0.113.10", "203.0.113.11"]}


# ---------------------------------------------------------------------------------- restore list

def test_check_mode_reads_but_neither_reloads_nor_restores(prom, files, resolver):
    result = run(prom, check_mode=True, jobs=[NEW_JOB], restore=[{"path": str(files.config), "action": "updated"}])
    assert result["changed"] is True and result["method"] == "http" and prom.reloads == 0
    assert run(prom, check_mode=True, method="none")["changed"] is False
    failure = fail(prom, check_mode=True, resolve=["x.invalid"], restore=list(files))
    assert failure["msg"].startswith("these names do not resolve on this host")
    assert "restored" not in failure and files.backup.exists() and files.dropin.exists()


@pytest.mark.parametrize("entry, message", [
    ({"action": "created"}, "restore[0] has no absolute path; give the files list scrape_config returns"),
    ({"path": "relative.yml", "action": "created"}, "restore[0] has no absolute path"),
    ({"path": "/etc/prometheus/prometheus.yml", "action": "updated"},
     "restore[0] (/etc/prometheus/prometheus.yml) has no backup to put back; run the task that changed it with "
     "backup: true"),
    ({"path": "/etc/prometheus/prometheus.yml", "backup": "/nonexistent~"},
     "restore[0]: the backup /nonexistent~ of /etc/prometheus/prometheus.yml does not exist"),
])
def test_unusable_restore_items_fail_before_anything(prom, entry, message):
    failure = fail(prom, restore=[entry])
    assert failure["msg"].startswith(message)
    assert prom.requests == [] and prom.reloads == 0


def test_a_restore_that_fails_says_what_is_left(prom, files, tmp_path):
    prom.on_reload = lambda stub: (500, "failed to reload config: bad")
    lost = tmp_path / "gone" / "ca.pem"
    entries = list(files) + [{"path": str(lost), "backup": str(files.backup)}]
    failure = fail(prom, restore=entries)
    assert failure["msg"].startswith(
        "Prometheus rejected the new configuration: failed to reload config: bad -- restoring the previous files "
        "failed (%s: No such file or directory); restored: %s, %s. Put the rest back from their backups, then "
        "reload Prometheus." % (lost, files.config, files.dropin))
    assert files.backup.exists()  # still needed by hand
    assert prom.reloads == 1


def test_restore_gives_a_removed_file_back(prom, tmp_path):
    path, backup = tmp_path / "old.yml", tmp_path / "old.yml~"
    backup.write_text("old\n")
    prom.on_reload = lambda stub: (500, "no") if stub.reloads == 1 else stub.loaded()
    failure = fail(prom, restore=[{"path": str(path), "action": "removed", "backup": str(backup), "mode": "0604"}])
    assert path.read_text() == "old\n" and oct(os.stat(str(path)).st_mode & 0o777) == "0o604"
    assert failure["restored"] == [{"path": str(path), "action": "restored", "backup": str(backup)}]


def test_owner_and_group_by_name_or_number(tmp_path):
    path, backup = tmp_path / "f", tmp_path / "f~"
    backup.write_text("x")
    item = prometheus_reload.put_back({"path": str(path), "backup": str(backup), "owner": "root", "group": "0"})
    assert item["action"] == "restored" and os.stat(str(path)).st_uid == 0 and os.stat(str(path)).st_gid == 0
    with pytest.raises(KeyError):
        prometheus_reload.put_back({"path": str(path), "backup": str(backup), "owner": "no-such-user-4711"})
    assert path.read_text() == "x" and not [p for p in os.listdir(str(tmp_path)) if p.endswith(".restore")]


# ---------------------------------------------------------------------------------- preflight

@pytest.fixture
def promtool(tmp_path):
    tool = tmp_path / "promtool"
    tool.write_text("#!/bin/sh\necho 'promtool, version 2.42.0+ds (branch: debian/sid, revision: 2.42.0)'\n")
    os.chmod(str(tool), 0o755)
    return tool


def test_preflight_reports_and_changes_nothing(prom, tmp_path, promtool, resolver):
    config = tmp_path / "prometheus.yml"
    config.write_text("scrape_configs: []\n")
    result = run(prom, preflight=True, config_file=str(config), paths=[str(tmp_path)], promtool=str(promtool),
                 resolve=["pg-acme.aivencloud.com"])
    assert result["changed"] is False and prom.reloads == 0
    assert result["version"] == "2.53.3" and result["lifecycle"] is True and result["method"] == "http"
    assert result["method_reason"].startswith("auto: the lifecycle API is enabled")
    assert result["promtool_version"] == "2.42.0+ds"
    assert result["resolved"] == {"pg-acme.aivencloud.com": ["203.0.113.10", "203.0.113.11"]}
    assert not any(method == "POST" for method, _path in prom.requests)


def test_preflight_promtool_from_path(prom, promtool, monkeypatch):
    monkeypatch.setenv("PATH", str(promtool.parent) + os.pathsep + os.environ["PATH"])
    assert run(prom, preflight=True, promtool="promtool")["promtool_version"] == "2.42.0+ds"


def test_preflight_prometheus_down():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        url = "http://127.0.0.1:%d" % sock.getsockname()[1]
    failure = fail_module(prometheus_reload.main, {"web_url": url, "preflight": True})
    assert failure["msg"] == ("Prometheus does not answer at %s (Connection refused). Start it or fix web_url "
                              "(nothing was changed)" % url)


def test_preflight_leaves_prometheus_alone_when_the_run_will(tmp_path):
    url = "http://127.0.0.1:9"  # nothing answers there
    result = run_module(prometheus_reload.main, {"web_url": url, "preflight": True, "method": "none",
                                                 "paths": [str(tmp_path)]})
    assert result["method"] == "none" and "version" not in result
    assert result["method_reason"] == "method none was given, and targets_up is false: Prometheus is not asked"
    failure = fail_module(prometheus_reload.main, {"web_url": url, "preflight": True, "method": "none",
                                                   "targets_up": True})
    assert failure["msg"].startswith("Prometheus does not answer at %s" % url)


def test_preflight_settings_each_named(prom, tmp_path, promtool, monkeypatch):
    missing = str(tmp_path / "nope" / "prometheus.yml")
    assert fail(prom, preflight=True, config_file=missing)["msg"] == (
        "config_file %s does not exist (or is not a file); set config_file to Prometheus's configuration file"
        % missing)
    assert fail(prom, preflight=True, paths=[str(tmp_path / "nope")])["msg"] == (
        "%s (in paths) is not an existing directory; create it or fix the setting that names it" % (tmp_path / "nope"))
    assert fail(prom, preflight=True, promtool="/nonexistent/promtool")["msg"] == (
        "promtool /nonexistent/promtool was not found or is not executable on this host; set promtool to its path "
        "(Debian: package prometheus)")
    promtool.write_text("#!/bin/sh\necho 'error while loading shared libraries' >&2\nexit 127\n")
    assert fail(prom, preflight=True, promtool=str(promtool))["msg"] == (
        "%s --version failed (rc=127): error while loading shared libraries; set promtool to a working promtool"
        % promtool)
    config = tmp_path / "prometheus.yml"
    config.write_text("")
    monkeypatch.setattr(os, "access", lambda path, mode: False)  # as root every file is writable
    assert fail(prom, preflight=True, config_file=str(config))["msg"].startswith(
        "config_file %s is not writable by " % config)
    assert fail(prom, preflight=True, paths=[str(tmp_path)])["msg"].startswith(
        "%s (in paths) is not writable by " % tmp_path)


def test_preflight_http_needs_the_lifecycle_api(prom):
    prom.flags["web.enable-lifecycle"] = "false"
    assert fail(prom, preflight=True, method="http")["msg"] == (
        "method http needs the lifecycle API, and the lifecycle API is disabled at %s; start Prometheus with "
        "--web.enable-lifecycle, "
        "or set method to auto, systemd or signal" % prom.url)


@pytest.mark.parametrize("answer, message", [
    ((0, "LoadState=loaded\nActiveState=active\n", ""), None),
    ((0, "LoadState=not-found\nActiveState=inactive\n", ""),
     "systemd has no unit prom (LoadState=not-found); set unit to Prometheus's systemd unit, or set method to signal "
     "or start Prometheus with --web.enable-lifecycle"),
    ((0, "LoadState=loaded\nActiveState=failed\n", ""),
     "systemd unit prom is failed, so systemctl reload would fail; set unit to the unit that runs the Prometheus "
     "at %(url)s"),
    ((1, "", "System has not been booted with systemd as init system (PID 1). Can't operate.\n"
             "Failed to connect to bus: Host is down\n"),
     "method systemd (auto: the lifecycle API is disabled (no --web.enable-lifecycle), so systemctl reload) cannot "
     "be used here: systemctl show prom failed (rc=1): System has not been booted with systemd as init system "
     "(PID 1). Can't operate.; Failed to connect to bus: Host is down; set method to signal or start Prometheus "
     "with --web.enable-lifecycle"),
])
def test_preflight_systemd_unit(prom, systemctl, answer, message):
    prom.flags["web.enable-lifecycle"] = "false"
    systemctl.answers["show"] = answer
    if message is None:
        result = run(prom, preflight=True, unit="prom")
        assert result["systemd"] == {"unit": "prom", "load_state": "loaded", "active_state": "active"}
        assert systemctl.calls == [["/usr/bin/systemctl", "show", "--property=LoadState,ActiveState", "prom"]]
    else:
        assert fail(prom, preflight=True, unit="prom")["msg"] == message % {"url": prom.url}


def test_preflight_systemd_given_with_the_lifecycle_api_on_suggests_http(prom, systemctl):
    """Found by a new user: "method systemd (method systemd was given)" said the same thing twice,
    and suggested signal when the lifecycle API was on (so auto would have used http)."""
    systemctl.answers["show"] = (0, "LoadState=not-found\nActiveState=inactive\n", "")
    assert fail(prom, preflight=True, method="systemd", unit="prom")["msg"] == (
        "systemd has no unit prom (LoadState=not-found); set unit to Prometheus's systemd unit, or set method to auto "
        "or http (the lifecycle API is enabled)")
    systemctl.answers["show"] = (1, "", "Failed to connect to bus: Host is down\n")
    assert fail(prom, preflight=True, method="systemd", unit="prom")["msg"] == (
        "method systemd cannot be used here: systemctl show prom failed (rc=1): Failed to connect to bus: Host is "
        "down; set method to auto or http (the lifecycle API is enabled)")


def test_preflight_signal_checks_the_process(prom, kill):
    assert run(prom, preflight=True, method="signal", pid=12)["pid"] == 12
    assert kill.sent == [(12, 0)]  # signal 0: exists and may be signalled, nothing sent
    kill.errors.append(PermissionError(1, "Operation not permitted"))
    assert fail(prom, preflight=True, method="signal", pid=12)["msg"] == (
        "cannot signal PID 12 (Operation not permitted); run the task with become: true")


@pytest.mark.parametrize("msg, option", [
    ("config_file /x does not exist (or is not a file); set config_file to Prometheus's configuration file", "config_file"),
    ("/nope (in paths) is not an existing directory; create it or fix the setting that names it", "paths"),
    ("promtool /x/promtool was not found or is not executable on this host; set promtool to its path", "promtool"),
    ("Prometheus does not answer at http://127.0.0.1:1 (refused). Start it or fix web_url (nothing was changed)", "web_url"),
    ("systemd has no unit prom (LoadState=not-found); set unit to Prometheus's systemd unit, or method", "unit"),
    ("Not every target is up after 10s", None),
])
def test_option_named_tells_the_caller_which_setting_to_fix(msg, option):
    assert prometheus_reload.option_named(msg) == option


def test_a_config_file_prometheus_does_not_read_is_warned_about(prom, tmp_path):
    """Found by a new user: a copy of prometheus.yml passed every check (the proof too, when the
    real file already held jobs of those names). A warning, not a failure: a Prometheus in a
    container reads the same file under another path."""
    from ansible.module_utils.common import warnings as ansible_warnings
    config = tmp_path / "prometheus.yml"
    config.write_text("scrape_configs: []\n")
    prom.flags["config.file"] = str(config)
    run(prom, preflight=True, config_file=str(config), paths=[str(tmp_path)])
    assert not [w for w in ansible_warnings.get_warning_messages() if "--config.file" in w]
    copy = tmp_path / "copy.yml"
    copy.write_text("scrape_configs: []\n")
    result = run(prom, preflight=True, config_file=str(copy), paths=[str(tmp_path)])
    assert result["changed"] is False
    assert ("Prometheus at %s runs with --config.file=%s, not %s: unless that is this file seen from a container, "
            "Prometheus does not load what is placed here; set config_file to %s" % (prom.url, config, copy, config)
            ) in ansible_warnings.get_warning_messages()
