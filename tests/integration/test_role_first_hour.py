"""What a new user meets in the first hour (issue 17): settings given with `-e name=value`
(strings), mistakes caught before anything changes, a Prometheus host that cannot resolve the
Aiven names, and runs that look successful when they are.

Real ansible-playbook, real Prometheus, real TLS; the fake Aiven API's request log shows that
nothing was written on Aiven when a setting was wrong.
"""
import hashlib
import pathlib
import re

import pytest

from role_runs import REMOVE, SITE, ok, reload_ts, run, sandboxes

SERVICES = [("pg-orders", "pg", 2)]


@pytest.fixture
def sandbox_factory(tmp_path):
    yield from sandboxes(tmp_path, services=SERVICES)


def snapshot(directory):
    return {str(p.relative_to(directory)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(pathlib.Path(directory).rglob("*")) if p.is_file()}


def writes(box):
    return [(r["method"], r["path"]) for r in box.fake.requests if r["method"] != "GET"]


def test_every_boolean_and_number_works_as_a_command_line_string(ansible, sandbox_factory):
    """`-e name=value` gives strings; the role must read them as the argument spec promises,
    also on the absent path (remove_endpoint used to fail after the files were gone)."""
    box = sandbox_factory(prometheus_version="2.42")
    prom = box.prometheus[0]
    original = pathlib.Path(prom.config_file).read_bytes()
    strings = ["prometheus_aiven_verify_targets=true", "prometheus_aiven_tls_verify=true",
               "prometheus_aiven_keep_backups=false", "prometheus_aiven_verify_timeout=120",
               "prometheus_aiven_reload_timeout=30", "prometheus_aiven_integration_wait_timeout=120",
               "prometheus_aiven_remove_integrations=false"]
    args = [arg for pair in strings for arg in ("-e", pair)]
    proc = run(ansible, box, SITE, *args)
    ok(proc)
    # A successful run looks successful: the waits happen inside modules that report once.
    assert "FAILED - RETRYING" not in proc.stdout and "[ERROR]" not in proc.stdout + proc.stderr
    assert prom.wait_targets_up((box.job_name("pg-orders"), box.job_name("pg-orders") + "-replica"), 2)

    proc = run(ansible, box, SITE, "-e", "prometheus_aiven_verify_targets=false", "-e", "prometheus_aiven_tls_verify=false")
    ok(proc)
    assert "insecure_skip_verify" in pathlib.Path(prom.config_file).read_text() + "".join(
        p.read_text() for p in pathlib.Path(prom.config_file).parent.rglob("*.yml"))

    proc = run(ansible, box, REMOVE, "-e", "prometheus_aiven_remove_endpoint=true", "-e", "prometheus_aiven_keep_backups=no")
    ok(proc)
    assert pathlib.Path(prom.config_file).read_bytes() == original
    assert box.fake.projects[box.project]["endpoints"] == {}


@pytest.mark.parametrize("variable, value, says", [
    ("prometheus_aiven_config_file", "/nonexistent/prometheus.yml", "prometheus_aiven_config_file"),
    ("prometheus_aiven_files_dir", "/nonexistent-dir", "prometheus_aiven_files_dir"),
    ("prometheus_aiven_promtool", "/nonexistent/promtool", "prometheus_aiven_promtool"),
    ("prometheus_aiven_web_url", "http://127.0.0.1:1", "prometheus_aiven_web_url"),
])
def test_a_wrong_setting_fails_before_anything_changes_naming_the_variable(ansible, sandbox_factory, variable, value, says):
    box = sandbox_factory(prometheus_version="2.42")
    prom = box.prometheus[0]
    directory = pathlib.Path(prom.config_file).parent
    files, before = snapshot(directory), reload_ts(prom)
    proc = run(ansible, box, SITE, **{variable: value})
    assert proc.returncode != 0
    assert "%s: " % says in proc.stdout and value in proc.stdout, proc.stdout[-3000:]
    # The message asks to change the role variable, not prometheus_reload's option.
    assert not re.search(r"\b(set|fix) (config_file|promtool|web_url)\b|\(in paths\)", proc.stdout), proc.stdout[-3000:]
    assert proc.stdout.count("fatal:") == 1 and "rescued=0" in proc.stdout  # one error, not two
    # Aiven was read (a lookup: what is missing), nothing was written: the host is checked first.
    assert box.fake.requests and writes(box) == []
    assert snapshot(directory) == files and reload_ts(prom) == before


def test_a_wrong_setting_on_a_converged_project_fails_naming_the_variable(ansible, sandbox_factory):
    """Aiven needs no change, so the preflight does not run (a run with nothing to change sends one
    module per host): the placing task finds a wrong setting, changes nothing and the message
    still starts with the role variable, once."""
    box = sandbox_factory(prometheus_version="2.42")
    prom = box.prometheus[0]
    ok(run(ansible, box, SITE))
    directory = pathlib.Path(prom.config_file).parent
    files, before = snapshot(directory), reload_ts(prom)
    box.fake.clear_requests()
    for variable, value in (("prometheus_aiven_config_file", str(directory / "missing.yml")),
                            ("prometheus_aiven_web_url", "http://127.0.0.1:1")):
        proc = run(ansible, box, SITE, **{variable: value})
        assert proc.returncode != 0
        assert "%s: " % variable in proc.stdout and value in proc.stdout, proc.stdout[-3000:]
        assert proc.stdout.count("fatal:") == 1
        assert not re.search(r"reload\.[a-z]", proc.stdout), "the message names scrape_config's option, not the variable"
    assert writes(box) == [] and snapshot(directory) == files and reload_ts(prom) == before

    # A change to place and a reload method that cannot work here (no systemd unit "prometheus" on
    # this host): found before any file is written, not by putting the files back (a new user saw
    # prometheus.yml rewritten and restored, the run reporting a change).
    stats = dict((p.name, (p.stat().st_ino, p.stat().st_mtime_ns)) for p in directory.iterdir() if p.is_file())
    proc = run(ansible, box, SITE, prometheus_aiven_reload="systemd",
               prometheus_aiven_job_extra={"scrape_interval": "3s", "scrape_timeout": "1s"})
    assert proc.returncode != 0 and "(nothing was changed)" in proc.stdout, proc.stdout[-3000:]
    assert re.search(r"fatal: .*\"msg\": \"prometheus_aiven_(reload|systemd_unit): ", proc.stdout), proc.stdout[-3000:]
    assert "changed=0" in proc.stdout and reload_ts(prom) == before
    assert dict((p.name, (p.stat().st_ino, p.stat().st_mtime_ns)) for p in directory.iterdir() if p.is_file()) == stats


@pytest.mark.parametrize("job_extra, says", [
    ('{"prometheus_aiven_job_extra": {"scrape_interval": "fast"}}', "'fast' is not a Prometheus duration"),
    ('{"prometheus_aiven_job_extra": {"scrape_intervall": "5s"}}', "did you mean scrape_interval?"),
    ('{"prometheus_aiven_job_extra": {"scrape_timeout": "5s", "scrape_interval": "2s"}}', "longer than scrape_interval"),
])
def test_a_bad_job_extra_fails_before_aiven_is_touched(ansible, sandbox_factory, job_extra, says):
    """Found by a new user: a bad job_extra used to fail at promtool, after the API pass had
    already changed Aiven (a rotated password then left every target 401)."""
    box = sandbox_factory(prometheus_version="2.42")
    prom = box.prometheus[0]
    files = snapshot(pathlib.Path(prom.config_file).parent)
    proc = run(ansible, box, SITE, "-e", job_extra, "-e", '{"prometheus_aiven_endpoint_password": "Never-Sent-1234"}')
    assert proc.returncode != 0
    assert "job_extra" in proc.stdout and says in proc.stdout, proc.stdout[-3000:]
    assert box.fake.requests == [] and snapshot(pathlib.Path(prom.config_file).parent) == files


def test_services_and_job_extra_as_command_line_strings(ansible, sandbox_factory):
    box = sandbox_factory(prometheus_version="2.42", services=[("pg-orders", "pg", 1), ("kafka-events", "kafka", 1)])
    prom = box.prometheus[0]
    proc = run(ansible, box, SITE, "-e", "prometheus_aiven_services=pg-orders,kafka-events",
               "-e", "prometheus_aiven_job_extra=scrape_interval=3s")
    ok(proc)
    assert prom.wait_targets_up(box.job_name("kafka-events"), 1)
    assert "scrape_interval: 3s" in pathlib.Path(prom.config_file).read_text()


def test_dns_sd_names_the_prometheus_host_cannot_resolve_fail_fast_and_change_nothing(ansible, sandbox_factory):
    """The sandbox names exist only in the sandbox DNS; this Prometheus uses the machine's
    resolver. Before: a 3.5-minute wait ending in 'no targets discovered'. Now: the names are
    checked on the host before the reload, the run fails naming them, the files go back."""
    box = sandbox_factory(prometheus_version="2.42")
    prom = box.prometheus[0]
    directory = pathlib.Path(prom.config_file).parent
    original, before = pathlib.Path(prom.config_file).read_bytes(), reload_ts(prom)
    proc = run(ansible, box, SITE, prometheus_aiven_discovery="dns_sd")
    assert proc.returncode != 0
    assert "prometheus_aiven_discovery: these names do not resolve on this host" in proc.stdout, proc.stdout[-3000:]
    assert box.service_host("pg-orders") in proc.stdout
    assert "no targets discovered" not in proc.stdout
    assert pathlib.Path(prom.config_file).read_bytes() == original
    assert not list(directory.glob("aiven-*")) and reload_ts(prom) == before
