"""The sandbox's Prometheus side works against every real Prometheus present.

Proves the facts the role relies on, on the real binaries: verified TLS to per-IP targets needs
`tls_config.server_name` (the node certificate names only the DNS name), basic auth through
`password_file`, and the missing-`ca_file` trap (reload "successful" yet the job is gone).
"""
import concurrent.futures
import time
import traceback

import pytest

from sandbox.nodes import AivenNode, ProjectCA
from sandbox.util import wait_until
from sandbox.prometheus import EXPECTED, PrometheusProcess, missing_reason, versions

SERVICE_HOST = "pg-sandbox.aiven.test"
USERNAME, PASSWORD = "prom", "s3cret-sandbox"


@pytest.fixture(scope="module")
def ca():
    return ProjectCA()


@pytest.fixture
def nodes(ca):
    started = [AivenNode(ca, [SERVICE_HOST], ip=ip, username=USERNAME, password=PASSWORD).start()
               for ip in ("127.0.0.2", "127.0.0.3")]
    yield started
    for node in started:
        node.stop()


def _job(name, nodes, ca_file="ca.pem", server_name=SERVICE_HOST):
    tls = "{ca_file: %s%s}" % (ca_file, ", server_name: %s" % server_name if server_name else "")
    return (
        "  - job_name: %s\n"
        "    scrape_interval: 1s\n"
        "    scrape_timeout: 1s\n"
        "    scheme: https\n"
        "    basic_auth: {username: %s, password_file: password}\n"
        "    tls_config: %s\n"
        "    static_configs:\n"
        "      - targets: [%s]\n" % (name, USERNAME, tls, ", ".join("'%s'" % n.address for n in nodes))
    )


def _config(tmp_path, *jobs):
    path = tmp_path / "prometheus.yml"
    path.write_text("global:\n  scrape_interval: 1s\nscrape_configs:\n" + "".join(jobs))
    return path


@pytest.fixture
def config_dir(tmp_path, ca):
    # Relative ca_file / password_file: Prometheus resolves them against the config's directory.
    ca.write(tmp_path / "ca.pem")
    (tmp_path / "password").write_text(PASSWORD + "\n")
    return tmp_path


def test_verified_tls_and_the_missing_ca_file_trap(nodes, config_dir):
    """One Prometheus per version, all at once, each in a thread of its own (target discovery
    ticks every 5 s: each wait costs that, so the versions' waits overlap); a failure names its
    version, with its traceback.

    * `server_name` + project CA: both per-IP targets up (verified TLS, basic auth from a file).
    * no `server_name`: both down with the IP SAN error, the reason verified TLS needs it.
    * a job whose `ca_file` is missing: the reload says success, the config in force has the job,
      yet Prometheus scrapes nothing for it (only the failed-pools counter and the log tell).
    """
    present = versions()
    labels = [label for label in EXPECTED if label in present]
    missing = [label for label in EXPECTED if label not in present]
    if not labels:
        pytest.skip("; ".join(missing_reason(label) for label in missing))
    with concurrent.futures.ThreadPoolExecutor(len(labels)) as pool:
        runs = dict((label, pool.submit(_tls_and_the_trap, label, nodes, config_dir)) for label in labels)
    failures = dict((label, run.exception()) for label, run in runs.items() if run.exception() is not None)
    assert not failures, "\n\n".join("Prometheus %s:\n%s" % (label, "".join(traceback.format_exception(
        type(exc), exc, exc.__traceback__))) for label, exc in sorted(failures.items()))
    if missing:  # the present ones passed; say which were not tried
        pytest.skip("; ".join(missing_reason(label) for label in missing))


def _tls_and_the_trap(label, nodes, config_dir):
    directory = config_dir / label  # relative ca_file / password_file resolve against it
    directory.mkdir()
    for name in ("ca.pem", "password"):
        (directory / name).write_bytes((config_dir / name).read_bytes())
    config = _config(directory, _job("aiven-ok", nodes), _job("aiven-no-sni", nodes, server_name=None))
    with PrometheusProcess(config, versions()[label]) as prom:
        assert "%d.%d" % prom.version[:2] == label
        before = prom.metric("prometheus_target_scrape_pools_failed_total") or 0
        started = time.time() - 1
        # Reload at once (no wait for the first targets) with the broken job and a healthy one.
        config.write_text(config.read_text() + _job("aiven-lost-ca", nodes, ca_file="missing-ca.pem")
                          + _job("aiven-ok-2", nodes[1:]))
        status, body = prom.reload_http()
        assert status == 200, body
        assert prom.wait_reloaded_since(started) is True
        assert prom.metric("prometheus_config_last_reload_successful") == 1
        assert prom.runtimeinfo()["reloadConfigSuccess"] is True
        assert "aiven-lost-ca" in prom.config()  # the config in force has the job ...

        targets = prom.wait_targets_up("aiven-ok", 2, timeout=30)
        assert sorted(t["labels"]["instance"] for t in targets) == sorted(n.address for n in nodes)
        prom.wait_targets_up("aiven-ok-2", 1, timeout=30)
        assert all(node.scrapes > 0 for node in nodes)

        def both_down_with_reason():
            down = [t for t in prom.job_targets("aiven-no-sni") if t["health"] == "down" and t["lastError"]]
            return len(down) == 2 and down
        for target in wait_until(both_down_with_reason, 30, "no-SNI targets down"):
            assert "doesn't contain any IP SANs" in target["lastError"], target["lastError"]

        wait_until(lambda: prom.metric("prometheus_target_scrape_pools_failed_total") > before, 15,
                   "the failed scrape pool to be counted")
        assert prom.job_targets("aiven-lost-ca") == []  # ... but Prometheus scrapes nothing for it
        assert "missing-ca.pem" in prom.log()


def test_bad_auth_is_401(ca):
    import ssl
    import urllib.error
    import urllib.request
    with AivenNode(ca, [SERVICE_HOST], ip="127.0.0.2", username=USERNAME, password=PASSWORD) as node:
        context = ssl.create_default_context(cadata=ca.pem)
        context.check_hostname = False  # the URL is an IP; the name check is Prometheus's job here
        request = urllib.request.Request("https://%s/metrics" % node.address,
                                         headers={"Authorization": "Basic bm9wZTpub3Bl"})
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(request, context=context, timeout=5)
        assert err.value.code == 401
        assert node.unauthorized == 1


def test_reload_http_reports_errors(config_dir):
    present = versions()
    if not present:
        pytest.skip(missing_reason("2.42"))
    binaries = list(present.values())[-1]
    config = _config(config_dir)
    with PrometheusProcess(config, binaries) as prom:
        config.write_text("scrape_configs:\n  - job_name: x\n    bogus_key: 1\n")
        status, body = prom.reload_http()
        assert status == 500 and "bogus_key" in body
        assert prom.metric("prometheus_config_last_reload_successful") == 0
    with PrometheusProcess(_config(config_dir), binaries, lifecycle=False) as prom:
        assert prom.reload_http()[0] == 403
        config.write_text("scrape_configs:\n  - job_name: x\n    bogus_key: 1\n")
        prom.sighup()  # reports nothing: the outcome shows only in the metrics
        wait_until(lambda: prom.metric("prometheus_config_last_reload_successful") == 0, 10, "failed SIGHUP reload")
        assert prom.runtimeinfo()["reloadConfigSuccess"] is False
