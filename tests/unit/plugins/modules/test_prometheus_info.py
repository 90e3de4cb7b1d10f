"""prometheus_info's main() in process: real files in a scratch directory, a stub of Prometheus's
HTTP API on 127.0.0.1 (tests/unit/plugins/module_utils/prometheus_stub.py).

What Prometheus would read is the reference: scrape_config_files patterns relative to the main
file's directory, matched like Go's filepath.Glob (dot files too, matches sorted, patterns in
order), a relative ca_file resolved against the directory of the file holding the job
(prometheus/prometheus config/config.go, GetScrapeConfigs and SetDirectory). Both YAML readers
(PyYAML, and the collection's own for hosts without it) give the same answer.
"""
import pytest

from ansible_collections.aiven_tools.prometheus.plugins.module_utils._scrape_config import proof
from ansible_collections.aiven_tools.prometheus.plugins.modules import prometheus_info
from ansible_collections.aiven_tools.prometheus.tests.unit.plugins.module_utils.prometheus_stub import (
    PrometheusStub,
)
from ansible_collections.aiven_tools.prometheus.tests.unit.plugins.modules.utils import fail_module, run_module

CERT = "-----BEGIN CERTIFICATE-----\nTUlJQ0FBQQ==\n-----END CERTIFICATE-----"
KEY = "-----BEGIN PRIVATE KEY-----\nU0VDUkVULUtFWQ==\n-----END PRIVATE KEY-----"

MAIN = """\
global: {scrape_interval: 15s}
scrape_config_files:
  - "conf.d/*.yml"
  - /ABS/abs.yml
  - "nothing.d/*.yml"
scrape_configs:
  - job_name: prometheus
    static_configs: [{targets: ['127.0.0.1:9090']}]
  - job_name: by-hand
    scheme: https
    basic_auth: {username: scraper, password: "hunter2-Inline-Passw0rd"}
    tls_config: {ca_file: ca/main-ca.pem}
    static_configs: [{targets: ['pg-orders-acme.aiven.test:9273']}]
  # BEGIN aiven_tools.prometheus aiven-acme [scrape_configs] managed by Ansible, do not edit
  - job_name: aiven-acme-pg-orders
    static_configs: [{targets: ['127.0.0.2:9273']}]
  # END aiven_tools.prometheus aiven-acme [scrape_configs]
"""
INCLUDED = """\
scrape_configs:
  - job_name: %s
    tls_config:
      ca_file: %s
    static_configs: [{targets: ['x:1']}]
"""


@pytest.fixture(params=["pyyaml", "built-in reader"])
def reader(request, monkeypatch):
    if request.param == "built-in reader":
        monkeypatch.setattr(proof, "yaml", None)  # a host without PyYAML (Debian's python3)
    return request.param


@pytest.fixture
def prom():
    targets = [PrometheusStub.target("by-hand", "https://127.0.0.2:9273/metrics", health="down",
                                     last_error="x509: certificate signed by unknown authority")]
    with PrometheusStub(targets=targets) as stub:
        yield stub


@pytest.fixture
def config(tmp_path):
    """A main file, two included files (one a dot file), one absolute include, CA files."""
    (tmp_path / "conf.d").mkdir()
    (tmp_path / "ca").mkdir()
    (tmp_path / "abs").mkdir()
    main = tmp_path / "prometheus.yml"
    main.write_text(MAIN.replace("/ABS", str(tmp_path / "abs")))
    (tmp_path / "conf.d" / "b.yml").write_text("# aiven_tools.prometheus aiven-acme: managed by Ansible, do not edit.\n"
                                               + INCLUDED % ("b", "../ca/shared.pem"))
    (tmp_path / "conf.d" / ".a.yml").write_text(INCLUDED % ("a", "missing.pem"))
    (tmp_path / "conf.d" / "ignored.yaml").write_text("not: matched\n")
    (tmp_path / "abs" / "abs.yml").write_text(INCLUDED % ("c", str(tmp_path / "ca" / "shared.pem")))
    (tmp_path / "ca" / "main-ca.pem").write_text("a bundle\n%s\n%s\n" % (CERT, KEY))
    (tmp_path / "ca" / "shared.pem").write_text(CERT + "\n")
    return main


def run(prom, path, check_mode=False, **args):
    return run_module(prometheus_info.main, dict(path=str(path), web_url=prom.url, **args), check_mode=check_mode)


@pytest.mark.parametrize("check_mode", [False, True])
def test_files_in_prometheus_order_ca_files_and_targets(reader, prom, config, check_mode):
    before = {p: p.read_bytes() for p in config.parent.rglob("*") if p.is_file()}
    result = run(prom, config, check_mode=check_mode)
    base = str(config.parent)
    assert result["changed"] is False
    assert result["config_file"] == str(config)
    assert [(f["path"], f["pattern"]) for f in result["files"]] == [
        (str(config), None),
        (base + "/conf.d/.a.yml", "conf.d/*.yml"),  # Go's Glob: * matches a leading dot
        (base + "/conf.d/b.yml", "conf.d/*.yml"),
        (base + "/abs/abs.yml", base + "/abs/abs.yml")]
    assert [f["owners"] for f in result["files"]] == [{"aiven-acme-pg-orders": "aiven-acme"}, {}, {"b": "aiven-acme"}, {}]
    assert result["files"][2]["data"] == {"scrape_configs": [
        {"job_name": "b", "tls_config": {"ca_file": "../ca/shared.pem"}, "static_configs": [{"targets": ["x:1"]}]}]}
    assert result["files"][0]["data"]["scrape_configs"][1]["basic_auth"] == {"username": "scraper", "password": "<secret>"}
    assert "hunter2" not in repr(result)  # the inline password is never returned
    assert result["ca_files"] == [
        {"path": base + "/ca/main-ca.pem", "certificates": [CERT], "error": None},  # never the key
        {"path": base + "/ca/shared.pem", "certificates": [CERT], "error": None},
        {"path": base + "/conf.d/missing.pem", "certificates": None, "error": "No such file or directory"}]
    assert result["targets"] == [{
        "scrapePool": "by-hand", "scrapeUrl": "https://127.0.0.2:9273/metrics", "health": "down",
        "lastError": "x509: certificate signed by unknown authority",
        "labels": {"job": "by-hand", "instance": "127.0.0.2:9273"}, "discoveredLabels": {}}]
    assert "PRIVATE KEY" not in repr(result["ca_files"])
    assert {p: p.read_bytes() for p in config.parent.rglob("*") if p.is_file()} == before
    assert all(method == "GET" for method, _path in prom.requests)


def test_a_file_without_includes_or_jobs(prom, tmp_path):
    path = tmp_path / "prometheus.yml"
    path.write_text("# nothing yet\n")
    result = run(prom, path)
    assert [f["path"] for f in result["files"]] == [str(path)]
    assert result["ca_files"] == [] and len(result["targets"]) == 1


@pytest.mark.parametrize("arrange, message", [
    (lambda d: None, "The Prometheus configuration file {d}/prometheus.yml does not exist or cannot be read"),
    (lambda d: (d / "prometheus.yml").write_text("scrape_configs: [\n"), "{d}/prometheus.yml is not valid YAML"),
    (lambda d: (d / "prometheus.yml").write_bytes(b"global: {}\n# \xff\n"), "{d}/prometheus.yml is not UTF-8 text"),
    (lambda d: ((d / "prometheus.yml").write_text("scrape_config_files: ['*.d']\n"), (d / "x.d").mkdir()),
     "{d}/x.d (included by scrape_config_files: *.d) does not exist or cannot be read"),
    (lambda d: ((d / "prometheus.yml").write_text("scrape_config_files: ['*.d']\n"), (d / "x.d").write_text("a: [")),
     "{d}/x.d is not valid YAML"),
    (lambda d: (d / "prometheus.yml").write_text("scrape_configs: [{static_configs: []}]\n"),
     "{d}/prometheus.yml: a scrape_configs item without job_name"),
])
def test_failures_are_one_line(reader, prom, tmp_path, arrange, message):
    arrange(tmp_path)
    failure = fail_module(prometheus_info.main, {"path": str(tmp_path / "prometheus.yml"), "web_url": prom.url})
    assert failure["msg"].startswith(message.format(d=tmp_path)), failure["msg"]
    assert "\n" not in failure["msg"]


def test_prometheus_not_answering(tmp_path):
    path = tmp_path / "prometheus.yml"
    path.write_text("scrape_configs: []\n")
    with PrometheusStub() as stub:
        url = stub.url
    failure = fail_module(prometheus_info.main, {"path": str(path), "web_url": url, "timeout": 2})
    assert failure["msg"].startswith("Prometheus does not answer at %s (" % url)
