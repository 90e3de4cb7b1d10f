"""The Prometheus API client and the pure functions around it, against a stub of Prometheus's
HTTP API on 127.0.0.1 (real sockets, plain and TLS)."""
import base64
import math
import os
import socket

import pytest
import trustme

from sandbox.util import wait_until
from ansible_collections.aiven_tools.prometheus.plugins.module_utils import _prometheus as prometheus
from ansible_collections.aiven_tools.prometheus.plugins.module_utils._prometheus import (
    PrometheusAPI, PrometheusHTTPError, PrometheusUnreachable, ReloadRejected,
)
from ansible_collections.aiven_tools.prometheus.tests.unit.plugins.module_utils.prometheus_stub import (
    PrometheusStub,
)

RELOAD_500 = ('failed to reload config: couldn\'t load configuration (--config.file="/etc/prometheus/prometheus.yml"): '
              'parsing YAML file /etc/prometheus/prometheus.yml: scrape timeout greater than scrape interval '
              'for scrape config with job name "b"')


@pytest.fixture
def stub():
    with PrometheusStub(pools=["prometheus", "aiven-p-pg"]) as server:
        yield server


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ------------------------------------------------------------------------------ HTTP client

def test_reads_flags_buildinfo_metrics_pools_and_targets(stub):
    stub.targets = [PrometheusStub.target("aiven-p-pg", "https://127.0.0.2:9273/metrics")]
    api = PrometheusAPI(stub.url + "/")  # a trailing slash is ignored
    assert api.flags()["web.enable-lifecycle"] == "true"
    assert prometheus.version_of(api.buildinfo()) == "2.53.3"
    assert api.metrics() == {prometheus.RELOAD_TIMESTAMP: stub.reload_timestamp, prometheus.RELOAD_SUCCESSFUL: 1.0,
                             prometheus.SCRAPE_POOLS_FAILED: 0.0}
    assert api.live_jobs() == (["aiven-p-pg", "prometheus"], "scrape_pools")
    assert [t["scrapeUrl"] for t in api.active_targets()] == ["https://127.0.0.2:9273/metrics"]
    assert ("GET", "/api/v1/targets?state=active") in stub.requests


def test_live_jobs_fall_back_to_targets_without_the_scrape_pools_api(stub):
    stub.scrape_pools_api = False
    stub.targets = [PrometheusStub.target("a", "http://127.0.0.2:1/metrics"),
                    PrometheusStub.target("a", "http://127.0.0.3:1/metrics")]
    stub.dropped = [{"discoveredLabels": {"job": "b"}, "labels": {"job": "b"}}]  # no scrapePool key
    assert PrometheusAPI(stub.url).live_jobs() == (["a", "b"], "targets")
    assert ("GET", "/api/v1/targets?state=any") in stub.requests


def test_buildinfo_is_none_where_prometheus_has_none(stub):
    stub.answer = lambda method, path: (404, "text/plain", "404 page not found")
    assert PrometheusAPI(stub.url).buildinfo() is None
    assert prometheus.version_of(None) is None


def test_unexpected_status_names_call_status_and_body(stub):
    stub.answer = lambda method, path: (503, "text/plain", "Service Unavailable: TSDB not ready\n")
    with pytest.raises(PrometheusHTTPError, match=r"^GET /api/v1/status/flags returned HTTP 503: "
                                                  r"Service Unavailable: TSDB not ready$"):
        PrometheusAPI(stub.url).flags()
    with pytest.raises(PrometheusHTTPError, match="^GET /metrics returned HTTP 503"):
        PrometheusAPI(stub.url).metrics()


def test_a_body_that_is_not_the_api_json_is_an_error(stub):
    stub.answer = lambda method, path: (200, "text/html", "<html>a proxy login page</html>")
    with pytest.raises(PrometheusHTTPError, match="not the JSON of Prometheus's API"):
        PrometheusAPI(stub.url).flags()


def test_nothing_listening_is_unreachable_with_the_reason():
    url = "http://127.0.0.1:%d" % free_port()
    with pytest.raises(PrometheusUnreachable) as caught:
        PrometheusAPI(url).flags()
    assert str(caught.value) == "Prometheus does not answer at %s (Connection refused)" % url
    assert caught.value.url == url and caught.value.reason == "Connection refused"


def test_a_timeout_is_unreachable_too():
    def open_url(url, **kwargs):
        raise socket.timeout("timed out")
    with pytest.raises(PrometheusUnreachable, match=r"^Prometheus does not answer at http://p:9090 \(timed out\)$"):
        PrometheusAPI("http://p:9090", open_url=open_url).flags()


def test_a_malformed_url_is_reported_not_raised_as_a_traceback():
    with pytest.raises(PrometheusUnreachable, match="^Prometheus does not answer at localhost:9090"):
        PrometheusAPI("localhost:9090").flags()


@pytest.fixture(scope="module")
def ca():
    return trustme.CA()


def test_https_is_verified_against_the_system_ca_store(ca, tmp_path, monkeypatch):
    with PrometheusStub(tls=ca) as server:
        with pytest.raises(PrometheusUnreachable, match=r"\(.*CERTIFICATE_VERIFY_FAILED"):
            PrometheusAPI(server.url).flags()
        # OpenSSL's default store reads SSL_CERT_FILE: the test CA becomes a system CA.
        ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
        monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "ca.pem"))
        api = PrometheusAPI(server.url)
        assert api.flags()["web.enable-lifecycle"] == "true"
        api.reload(5)
        assert server.reloads == 1


def test_https_without_validation_reads_a_certificate_no_store_trusts(ca):
    with PrometheusStub(tls=ca) as server:
        api = PrometheusAPI(server.url, validate_certs=False)
        assert api.flags()["web.enable-lifecycle"] == "true"
        assert api.live_jobs() == ([], "scrape_pools")


def test_user_and_password_in_the_url_are_sent_as_basic_auth_and_masked(stub):
    url = stub.url.replace("http://", "http://prom%40ops:s3cr%3At@")
    api = PrometheusAPI(url)
    assert api.url == stub.url.replace("http://", "http://prom%40ops:********@")
    api.flags()
    assert stub.authorization == ["Basic " + base64.b64encode(b"prom@ops:s3cr:t").decode()]
    PrometheusAPI(stub.url).flags()
    assert stub.authorization[-1] is None
    stub.stop()
    with pytest.raises(PrometheusUnreachable) as caught:
        api.flags()
    assert "s3cr" not in str(caught.value) and "prom%40ops:********@" in str(caught.value)


# ------------------------------------------------------------------------------ reload

def test_reload_200_passes_and_the_timeout_reaches_the_request(stub):
    PrometheusAPI(stub.url).reload(42)
    assert stub.reloads == 1 and ("POST", "/-/reload") in stub.requests
    seen = {}

    class Response:
        def getcode(self):
            return 200

        def read(self):
            return b""

    def open_url(url, **kwargs):
        seen.update(kwargs, url=url)
        return Response()
    PrometheusAPI("https://p:9090", validate_certs=False, open_url=open_url).reload(42)
    assert seen == {"url": "https://p:9090/-/reload", "method": "POST", "timeout": 42, "validate_certs": False}


def test_reload_403_says_how_to_enable_the_lifecycle_api(stub):
    stub.flags["web.enable-lifecycle"] = "false"
    with pytest.raises(ReloadRejected) as caught:
        PrometheusAPI(stub.url).reload(5)
    assert str(caught.value) == (
        "Prometheus refused the reload: the lifecycle API is disabled (start Prometheus with "
        "--web.enable-lifecycle, or use method signal or systemd): Lifecycle API is not enabled.")


def test_reload_500_carries_prometheus_own_message(stub):
    stub.on_reload = lambda s: (500, RELOAD_500 + "\n")
    with pytest.raises(ReloadRejected) as caught:
        PrometheusAPI(stub.url).reload(5)
    assert str(caught.value) == "Prometheus rejected the new configuration: " + RELOAD_500
    assert caught.value.status == 500


def test_reload_other_status(stub):
    stub.on_reload = lambda s: (502, "")
    with pytest.raises(ReloadRejected, match=r"^POST /-/reload returned HTTP 502: \(no body\)$"):
        PrometheusAPI(stub.url).reload(5)


# ------------------------------------------------------------------------------ pure functions

def test_parse_metrics_reads_values_sums_labels_and_skips_the_rest():
    text = (
        "# HELP prometheus_config_last_reload_successful Whether ...\n"
        "prometheus_config_last_reload_successful 0\n"
        "prometheus_config_last_reload_success_timestamp_seconds 1.7960857156138787e+09\n"
        'prometheus_target_scrape_pools_failed_total{shard="a"} 2\n'
        'prometheus_target_scrape_pools_failed_total{shard="b",x="}"} 1 1700000000000\n'
        "prometheus_config_last_reload_successful_other 5\n"
        "go_gc_duration_seconds NaN\n"
        "garbage line\n"
    )
    assert prometheus.parse_metrics(text, prometheus.RELOAD_METRICS) == {
        prometheus.RELOAD_SUCCESSFUL: 0.0,
        prometheus.RELOAD_TIMESTAMP: 1796085715.6138787,
        prometheus.SCRAPE_POOLS_FAILED: 3.0,
    }
    assert prometheus.parse_metrics(text, ["absent_metric"]) == {}
    assert math.isnan(prometheus.parse_metrics(text, ["go_gc_duration_seconds"])["go_gc_duration_seconds"])


@pytest.mark.parametrize("flags, enabled", [
    ({"web.enable-lifecycle": "true"}, True),
    ({"web.enable-lifecycle": "True"}, True),
    ({"web.enable-lifecycle": "false"}, False),
    ({}, False),
    (None, False),
])
def test_lifecycle_enabled(flags, enabled):
    assert prometheus.lifecycle_enabled(flags) is enabled


@pytest.mark.parametrize("requested, flags, method, why", [
    ("auto", {"web.enable-lifecycle": "true"}, "http", "auto: the lifecycle API is enabled"),
    ("auto", {"web.enable-lifecycle": "false"}, "systemd", "auto: the lifecycle API is disabled"),
    ("signal", {"web.enable-lifecycle": "true"}, "signal", "method signal was given"),
    ("none", {}, "none", "method none was given"),
])
def test_choose_method(requested, flags, method, why):
    chosen, reason = prometheus.choose_method(requested, flags)
    assert chosen == method and reason.startswith(why)


def test_targets_by_job_all_up_and_the_table():
    targets = [
        PrometheusStub.target("a", "https://127.0.0.3:9273/metrics", "down", "connection refused"),
        PrometheusStub.target("a", "https://127.0.0.2:9273/metrics"),
        PrometheusStub.target("other", "http://127.0.0.9:1/metrics", "down", "x"),
    ]
    by_job = prometheus.targets_by_job(targets, ["a", "b"])
    assert list(by_job) == ["a", "b"] and by_job["b"] == []
    assert [(t["scrape_url"], t["health"], t["last_error"]) for t in by_job["a"]] == [
        ("https://127.0.0.2:9273/metrics", "up", ""),
        ("https://127.0.0.3:9273/metrics", "down", "connection refused"),
    ]
    assert by_job["a"][0]["labels"] == {"job": "a", "instance": "127.0.0.2:9273"}
    assert prometheus.targets_table(by_job, ["a", "b"]) == [
        "a https://127.0.0.2:9273/metrics up",
        "a https://127.0.0.3:9273/metrics down: connection refused",
        "b: no targets discovered",
    ]
    assert not prometheus.all_targets_up(by_job)
    assert not prometheus.all_targets_up({"a": by_job["a"][:1], "b": []})  # a job without targets
    assert prometheus.all_targets_up({"a": by_job["a"][:1]})
    assert prometheus.all_targets_up({})


def test_a_target_without_scrape_pool_counts_by_its_job_label():
    target = PrometheusStub.target("a", "http://127.0.0.2:1/metrics")
    del target["scrapePool"]
    assert len(prometheus.targets_by_job([target], ["a"])["a"]) == 1


# ------------------------------------------------------------------------------ processes

def test_read_pidfile(tmp_path):
    path = tmp_path / "prometheus.pid"
    path.write_text("4242\n")
    assert prometheus.read_pidfile(str(path)) == 4242
    path.write_text("not a pid\n")
    with pytest.raises(ValueError, match=r"does not hold a PID \(it reads 'not a pid'\)"):
        prometheus.read_pidfile(str(path))
    path.write_text("")
    with pytest.raises(ValueError):
        prometheus.read_pidfile(str(path))
    with pytest.raises(OSError):
        prometheus.read_pidfile(str(tmp_path / "missing.pid"))


def fake_proc(tmp_path, processes):
    """A /proc with PID/cmdline (and PID/cwd as a symlink) for each (pid, argv, cwd)."""
    proc = tmp_path / "proc"
    proc.mkdir()
    (proc / "self").mkdir()
    for pid, argv, cwd in processes:
        entry = proc / str(pid)
        entry.mkdir()
        (entry / "cmdline").write_bytes(b"\0".join(a.encode() for a in argv) + b"\0")
        if cwd:
            os.symlink(cwd, str(entry / "cwd"))
    return str(proc)


def test_find_pids_matches_the_config_file_flag_in_both_spellings(tmp_path):
    conf = str(tmp_path / "prometheus.yml")
    proc = fake_proc(tmp_path, [
        (10, ["/usr/bin/prometheus", "--config.file=" + conf, "--web.enable-lifecycle"], None),
        (11, ["prometheus", "--config.file", conf], None),
        (12, ["/usr/bin/prometheus", "--config.file=/etc/other.yml"], None),
        (13, ["sudo", "/usr/bin/prometheus", "--config.file=" + conf], None),  # a wrapper: not Prometheus
        (14, ["/usr/bin/prometheus", "--config.file=prometheus.yml"], str(tmp_path)),  # relative to its cwd
        (15, ["/usr/bin/prometheus", "--config.file=prometheus.yml"], "/elsewhere"),
        (16, ["/usr/bin/prometheus"], None),
        (17, [], None),  # a zombie has an empty command line
    ])
    assert prometheus.find_pids(conf, proc=proc) == [10, 11, 14]


def test_find_pids_reads_a_real_process(tmp_path):
    # A real /proc entry: a Python started under the name "prometheus" with the flag.
    import subprocess
    import sys
    program = tmp_path / "prometheus"
    os.symlink(os.path.realpath(sys.executable), str(program))
    conf = str(tmp_path / "p.yml")
    child = subprocess.Popen([str(program), "-c", "import sys; sys.stdin.read()", "--config.file=" + conf],
                             stdin=subprocess.PIPE)
    try:
        # Right after exec the kernel may show an empty cmdline for a moment: poll, with a deadline.
        assert wait_until(lambda: prometheus.find_pids(conf), 10, "the child's cmdline") == [child.pid]
        assert prometheus.find_pids(conf + ".other") == []
    finally:
        child.communicate(b"")
