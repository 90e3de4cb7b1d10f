"""_audit: every finding kind, how jobs are told apart (placed by the collection or by hand), which
hosts a job scrapes, the CA check, the summary and the table.

Pure functions, so each rule is a row in a table here. The configurations are YAML texts parsed
with PyYAML, as the scrape_audit filter parses them; the real parts (Prometheus, the fake Aiven,
ansible-playbook) are in tests/integration/test_role_audit.py.
"""
import textwrap

import pytest
import yaml

from ansible_collections.aiven_tools.prometheus.plugins.module_utils import _audit as A

PROJECT = "acme"
DOMAIN = "acme.aiven.test"
EP = {"id": "ep-1", "name": "prometheus", "username": "scraper", "port": 9273}
CA = "-----BEGIN CERTIFICATE-----\nTUlJQ0FBQQ==\nUHJvamVjdA==\n-----END CERTIFICATE-----\n"
OTHER_CA = "-----BEGIN CERTIFICATE-----\nT3RoZXJDQQ==\n-----END CERTIFICATE-----\n"
SECRET = "hunter2-Inline-Passw0rd"


def host(service, prefix=""):
    return "%s%s-%s" % (prefix, service, DOMAIN)


def service(name, stype="pg", state="RUNNING", endpoint="EP", replica=False, public=False, hosts=None):
    """A service_info view integrated with `endpoint` ("EP": EP, None: none); prometheus targets
    exist only with an integration (aiven-api.md 4.4)."""
    endpoint = EP if endpoint == "EP" else endpoint
    integrations, targets = [], []
    if endpoint:
        integrations = [{"id": "i-" + name, "endpoint_id": endpoint["id"], "endpoint_name": endpoint["name"],
                         "active": True, "enabled": True}]
        targets = [{"host": host(name), "port": 9273, "route": "dynamic", "usage": "primary"}]
        if replica:
            targets.append({"host": host(name, "replica-"), "port": 9273, "route": "dynamic", "usage": "replica"})
        if public:
            targets.append({"host": host(name, "public-"), "port": 9273, "route": "public", "usage": "primary"})
    view = {"service_name": name, "service_type": stype, "state": state,
            "prometheus_integrations": integrations, "targets": targets if state == "RUNNING" else []}
    if hosts is not None:
        view["hosts"] = hosts
    return view


def files(main, *included):
    """[{path, data, owners}] as prometheus_info returns them: main at
    /etc/prometheus/prometheus.yml, included ones (path, text) as given."""
    entries = [("/etc/prometheus/prometheus.yml", main)] + list(included)
    result = []
    for index, (path, text) in enumerate(entries):
        data = yaml.safe_load(text)
        names = [job["name"] for job in A.file_jobs({"path": path, "data": data})]
        result.append({"path": path, "data": A.redact(data), "owners": A.job_owners(text, path, names, index == 0)})
    return result


def role_job(service_name, discovery="dns_sd", usage=None, ca_file="/etc/prometheus/aiven-acme-ca.pem"):
    """One job as the scrape_jobs filter renders it (plugins/module_utils/_scrape_jobs.py)."""
    name = "aiven-acme-%s%s" % (service_name, "-" + usage if usage else "")
    server = host(service_name, usage + "-" if usage else "")
    lines = ["- job_name: " + name,
             "  scheme: https",
             "  metrics_path: /metrics",
             "  basic_auth: {username: scraper, password_file: /etc/prometheus/aiven-acme.password}",
             "  tls_config: {ca_file: %s, server_name: %s}" % (ca_file, server)]
    if discovery == "dns_sd":
        lines += ["  dns_sd_configs: [{names: ['%s.'], type: A, port: 9273}]" % server,
                  "  relabel_configs:",
                  "    - {target_label: aiven_project, replacement: acme}",
                  "    - {target_label: aiven_service, replacement: %s}" % service_name]
    elif discovery == "static":
        lines += ["  static_configs: [{targets: ['127.0.0.2:9273'], labels: {aiven_project: acme, aiven_service: %s}}]"
                  % service_name]
    else:
        regex = "%s;%s" % (service_name.replace("-", "\\-"), server.replace(".", "\\.").replace("-", "\\-"))
        lines += ["  file_sd_configs: [{files: [/etc/prometheus/aiven-acme.targets.json]}]",
                  "  relabel_configs:",
                  "    - {source_labels: [aiven_service, __meta_aiven_server_name], regex: '%s', action: keep}" % regex]
    return "\n".join(lines) + "\n"


def block(*jobs, owner="aiven-acme"):
    """The role's jobs between scrape_config's markers (block style), under scrape_configs."""
    body = "".join(textwrap.indent(textwrap.dedent(job), "  ") for job in jobs)
    return ("  # BEGIN aiven_tools.prometheus %s [scrape_configs] managed by Ansible, do not edit\n%s"
            "  # END aiven_tools.prometheus %s [scrape_configs]\n" % (owner, body, owner))


def dropin(*jobs, owner="aiven-acme"):
    return ("# aiven_tools.prometheus %s: managed by Ansible, do not edit.\n"
            "# Included by /etc/prometheus/prometheus.yml (scrape_config_files).\nscrape_configs:\n%s"
            % (owner, "".join(textwrap.indent(textwrap.dedent(job), "  ") for job in jobs)))


MAIN_HEAD = """\
global:
  scrape_interval: 15s
scrape_configs:
  - job_name: prometheus
    static_configs: [{targets: ['127.0.0.1:9090']}]
"""

# Aiven's "Use Prometheus with Aiven" page, multi-node services, as written there (aiven-docs
# docs/platform/howto/integrations/prometheus-metrics.md), with its placeholders filled in.
AIVEN_PAGE_JOB = """\
  - job_name: aivenmetrics
    scheme: https
    basic_auth:
      username: scraper
      password: %s
    dns_sd_configs:
      - names:
          - %s
          - %s
        type: A
        port: 9273
    tls_config:
      insecure_skip_verify: true
""" % (SECRET, host("pg-orders"), host("pg-orders", "replica-"))

# The same page's single-node form: static target, ca_file relative to the file.
AIVEN_PAGE_SINGLE = """\
  - job_name: aivenmetrics-single
    scheme: https
    basic_auth:
      username: scraper
      password: %s
    tls_config:
      ca_file: ca.pem
    static_configs:
      - targets: ["%s:9273"]
""" % (SECRET, host("kafka-events"))


def run(services, config_files, selected=None, endpoint="EP", targets=(), ca_files=None, **kwargs):
    """The audit of `services` (all selected unless said) against an endpoint ("EP": EP)."""
    selected = [s["service_name"] for s in services] if selected is None else selected
    endpoint = EP if endpoint == "EP" else endpoint
    return A.audit(PROJECT, "prometheus", endpoint, services, selected, config_files, list(targets),
                   ca_certificate=CA, ca_files=ca_files, **kwargs)


def kinds(result):
    return [(f["kind"], f["service"], f["job"]) for f in result["findings"]]


# -- one case per kind, and the clean state ------------------------------------------------------

def test_a_role_setup_in_order_has_no_finding():
    services = [service("pg-orders", replica=True), service("kafka-events", "kafka")]
    config = files(MAIN_HEAD + block(role_job("pg-orders"), role_job("pg-orders", usage="replica"),
                                     role_job("kafka-events", "static")))
    ca_files = {"/etc/prometheus/aiven-acme-ca.pem": CA}
    result = run(services, config, ca_files=ca_files,
                 targets=[{"scrapePool": "aiven-acme-pg-orders", "health": "up", "lastError": ""}])
    assert result["findings"] == []
    assert list(result["summary"]) == list(A.KINDS) and set(result["summary"].values()) == {0}


@pytest.mark.parametrize("endpoint, services, expected", [
    # no endpoint of that name: one finding, and nothing is integrated with it
    (None, [service("pg-orders", endpoint=None)],
     [("no_endpoint", None, None), ("not_integrated", "pg-orders", None)]),
    ({"id": None, "name": "prometheus"}, [service("pg-orders", endpoint=None)],
     [("no_endpoint", None, None), ("not_integrated", "pg-orders", None)]),
    # integrated with another endpoint only
    (EP, [service("pg-orders", endpoint={"id": "ep-9", "name": "grafana-prom"})],
     [("not_integrated", "pg-orders", None)]),
    # powered off: neither not_integrated nor not_scraped for it
    (EP, [service("pg-night", state="POWEROFF", endpoint=None)], [("powered_off", "pg-night", None)]),
    (EP, [service("pg-night", state="POWEROFF")], [("powered_off", "pg-night", None)]),
    (EP, [service("pg-orders", state="REBUILDING")], [("powered_off", "pg-orders", None)]),
    # integrated, but no job here scrapes it
    (EP, [service("pg-orders")], [("not_scraped", "pg-orders", None)]),
])
def test_service_kinds(endpoint, services, expected):
    assert kinds(run(services, files(MAIN_HEAD), endpoint=endpoint)) == expected


def test_service_kind_details_say_why():
    other = {"id": "ep-9", "name": "grafana-prom"}
    result = run([service("a", endpoint=other), service("b", state="POWEROFF"), service("c", replica=True)],
                 files(MAIN_HEAD), endpoint=None)
    assert [(f["kind"], f["service"], f["detail"]) for f in result["findings"]] == [
        ("no_endpoint", None, "project acme has no Prometheus integration endpoint named prometheus"),
        ("not_integrated", "a", "no Prometheus integration to endpoint prometheus; it has one to grafana-prom"),
        ("not_integrated", "c", "no Prometheus integration to endpoint prometheus"),
        ("powered_off", "b", "state POWEROFF: the service has no nodes to scrape")]
    rebuilding = run([service("d", state="REBUILDING")], files(MAIN_HEAD))["findings"]
    assert rebuilding[0]["detail"] == "state REBUILDING, not RUNNING: its targets are listed again once it runs"
    result = run([service("c", replica=True)], files(MAIN_HEAD))
    assert result["findings"][0]["detail"] == (
        "integrated, but no job on this host scrapes %s, %s" % (host("c"), host("c", "replica-")))


def test_unselected_services_are_not_judged():
    services = [service("pg-orders"), service("kafka-logs", "kafka", endpoint=None), service("pg-x", state="POWEROFF")]
    assert kinds(run(services, files(MAIN_HEAD), selected=["pg-orders"])) == [("not_scraped", "pg-orders", None)]


@pytest.mark.parametrize("config, services, selected, expected", [
    # a role job (block) for a service the project no longer has
    (files(MAIN_HEAD + block(role_job("pg-old"))), [service("pg-orders")], ["pg-orders"],
     [("not_scraped", "pg-orders", None), ("stale_job", "pg-old", "aiven-acme-pg-old")]),
    # ... for a service that exists but is no longer selected (a drop-in, static discovery)
    (files(MAIN_HEAD + "scrape_config_files: [scrape_configs.d/*.yml]\n",
           ("/etc/prometheus/scrape_configs.d/aiven-acme.yml", dropin(role_job("pg-orders"), role_job("kafka-logs", "static")))),
     [service("pg-orders"), service("kafka-logs", "kafka")], ["pg-orders"],
     [("stale_job", "kafka-logs", "aiven-acme-kafka-logs")]),
    # file_sd jobs name their service in the keep rule only
    (files(MAIN_HEAD + block(role_job("pg-gone", "file_sd"), role_job("pg-gone", "file_sd", usage="replica"))),
     [], [], [("stale_job", "pg-gone", "aiven-acme-pg-gone"), ("stale_job", "pg-gone", "aiven-acme-pg-gone-replica")]),
    # another project's block is not this project's business, nor is it hand-written
    (files(MAIN_HEAD + block(role_job("pg-orders"), owner="aiven-other")), [service("pg-orders")], ["pg-orders"], []),
])
def test_stale_jobs(config, services, selected, expected):
    assert kinds(run(services, config, selected=selected, ca_files={"/etc/prometheus/aiven-acme-ca.pem": CA})) == expected


def test_stale_job_details():
    config = files(MAIN_HEAD + block(role_job("pg-old"), role_job("kafka-logs")))
    down = {"scrapePool": "aiven-acme-pg-old", "health": "down", "lastError": "connection refused",
            "labels": {"aiven_service": "pg-old"}}
    result = run([service("kafka-logs", "kafka")], config, selected=[], targets=[down],
                 ca_files={"/etc/prometheus/aiven-acme-ca.pem": OTHER_CA})
    assert [(f["kind"], f["service"], f["detail"]) for f in result["findings"]] == [
        ("stale_job", "pg-old", "service pg-old no longer exists in project acme"),
        ("stale_job", "kafka-logs",
         "service kafka-logs is no longer selected (prometheus_aiven_services, prometheus_aiven_service_query)"),
        # the gone service is still named where its job is judged
        ("tls_unverified", "pg-old", "tls_config.ca_file /etc/prometheus/aiven-acme-ca.pem does not hold the project CA"),
        ("tls_unverified", "kafka-logs", "tls_config.ca_file /etc/prometheus/aiven-acme-ca.pem does not hold the project CA"),
        ("target_down", "pg-old", "connection refused")]


def test_the_job_from_aivens_page():
    """Multi-node form: insecure_skip_verify, the password inline, dns_sd type A port 9273."""
    services = [service("pg-orders", replica=True), service("kafka-logs", "kafka")]
    config = files(MAIN_HEAD + AIVEN_PAGE_JOB)
    result = run(services, config, selected=["pg-orders"])
    assert kinds(result) == [
        ("unmanaged_job", "pg-orders", "aivenmetrics"), ("tls_unverified", "pg-orders", "aivenmetrics"),
        ("password_inline", "pg-orders", "aivenmetrics")]
    details = [f["detail"] for f in result["findings"]]
    assert details == [
        "not placed by aiven_tools.prometheus, in /etc/prometheus/prometheus.yml; scrapes pg-orders "
        "(the role's job: aiven-acme-pg-orders)",
        "tls_config.insecure_skip_verify is true, so any certificate is accepted; "
        "no tls_config.ca_file: the project CA is not used",
        "basic_auth.password is written in /etc/prometheus/prometheus.yml; use basic_auth.password_file"]
    assert SECRET not in repr(result)


def test_the_single_node_form_from_aivens_page_in_an_included_file():
    """ca_file: ca.pem resolves against the including file's directory (config.go SetDirectory)."""
    services = [service("kafka-events", "kafka")]
    config = files(MAIN_HEAD + "scrape_config_files: [hand.d/*.yml]\n",
                   ("/etc/prometheus/hand.d/aiven.yml", "scrape_configs:\n" + AIVEN_PAGE_SINGLE))
    assert A.ca_files_to_read(config) == ["/etc/prometheus/hand.d/ca.pem"]
    ok = run(services, config, ca_files={"/etc/prometheus/hand.d/ca.pem": OTHER_CA + CA})
    assert kinds(ok) == [("unmanaged_job", "kafka-events", "aivenmetrics-single"),
                         ("password_inline", "kafka-events", "aivenmetrics-single")]
    wrong = run(services, config, ca_files={"/etc/prometheus/hand.d/ca.pem": OTHER_CA})
    assert ("tls_unverified", "kafka-events", "aivenmetrics-single") in kinds(wrong)
    assert "tls_config.ca_file /etc/prometheus/hand.d/ca.pem does not hold the project CA" in repr(wrong)
    unreadable = run(services, config, ca_files={"/etc/prometheus/hand.d/ca.pem": None})
    assert "tls_config.ca_file /etc/prometheus/hand.d/ca.pem cannot be read on this host" in repr(unreadable)
    not_read = run(services, config)  # a path not read is not judged
    assert not_read["summary"]["tls_unverified"] == 0


@pytest.mark.parametrize("job, covers", [
    # dns_sd names, absolute or not, any case; a route other than dynamic
    ("{job_name: j, dns_sd_configs: [{names: ['%s.'], type: A, port: 9273}]}" % host("pg-orders").upper(), "pg-orders"),
    ("{job_name: j, dns_sd_configs: [{names: ['%s'], type: A, port: 9273}]}" % host("pg-orders", "public-"), "pg-orders"),
    # static targets, host:port, and the server_name of a job over IP targets
    ("{job_name: j, static_configs: [{targets: ['%s:9273', 'other.example:1']}]}" % host("kafka-events"), "kafka-events"),
    ("{job_name: j, static_configs: [{targets: ['10.0.0.5:9273']}], tls_config: {server_name: %s}}"
     % host("pg-orders", "replica-"), "pg-orders"),
    # one job over two services
    ("{job_name: j, dns_sd_configs: [{names: [%s, %s], type: A, port: 9273}]}"
     % (host("pg-orders"), host("kafka-events")), "kafka-events, pg-orders"),
    # a component host that is not a prometheus target (the view's hosts): still this project
    ("{job_name: j, static_configs: [{targets: ['%s:9273']}]}" % host("pg-new"), "pg-new"),
    # nothing of this project
    ("{job_name: j, static_configs: [{targets: ['[::1]:9100', 'node.example']}]}", None),
])
def test_unmanaged_job_matching(job, covers):
    services = [service("pg-orders", replica=True, public=True), service("kafka-events", "kafka"),
                service("pg-new", endpoint=None, hosts=[host("pg-new")])]
    config = files(MAIN_HEAD + "  - " + job + "\n")
    found = [f for f in run(services, config)["findings"] if f["kind"] == "unmanaged_job"]
    assert [f["service"] for f in found] == ([covers] if covers else [])


def test_unmanaged_job_names_what_the_role_would_replace():
    services = [service("pg-orders"), service("kafka-logs", "kafka")]
    job = "  - {job_name: old, scheme: https, tls_config: {ca_file: /ca.pem}, dns_sd_configs: [{names: [%s, %s], port: 9273}]}\n"
    result = run(services, files(MAIN_HEAD + job % (host("pg-orders"), host("kafka-logs"))),
                 selected=["pg-orders"], ca_files={"/ca.pem": CA})
    assert [f["detail"] for f in result["findings"]] == [
        "not placed by aiven_tools.prometheus, in /etc/prometheus/prometheus.yml; scrapes kafka-logs "
        "(not selected: the role leaves it alone), pg-orders (the role's job: aiven-acme-pg-orders)"]


@pytest.mark.parametrize("tls, scheme, expected", [
    ("{ca_file: /ca.pem, server_name: x}", "https", []),
    ("{ca_file: /ca.pem, insecure_skip_verify: true}", "https",
     ["tls_config.insecure_skip_verify is true, so any certificate is accepted"]),
    ("{ca_file: /ca.pem, insecure_skip_verify: false}", "https", []),
    ("{ca_file: /ca.pem}", None, ["scheme is http, the default (Aiven serves its metrics over https only)"]),
    ("{ca_file: /ca.pem}", "http", ["scheme is http (Aiven serves its metrics over https only)"]),
    ("{}", "https", ["no tls_config.ca_file: the project CA is not used"]),
    ('{ca: "%s"}' % CA.replace("\n", "\\n"), "https", []),
    ('{ca: "%s"}' % OTHER_CA.replace("\n", "\\n"), "https", ["tls_config.ca does not hold the project CA"]),
])
def test_tls_problems(tls, scheme, expected):
    text = "{job_name: j, tls_config: %s%s}" % (tls, ", scheme: " + scheme if scheme else "")
    job = {"name": "j", "file": "/etc/prometheus/prometheus.yml", "config": yaml.safe_load(text)}
    assert A.tls_problems(job, CA, {"/ca.pem": CA}) == expected


@pytest.mark.parametrize("basic_auth, inline", [
    ({"username": "u", "password": SECRET}, True),
    ({"username": "u", "password_file": "/p"}, False),
    ({"username": "u", "password": ""}, False),
    (None, False),
])
def test_password_inline(basic_auth, inline):
    assert A.password_inline({"config": {"basic_auth": basic_auth}}) is inline


def test_role_jobs_with_an_inline_password_or_skip_verify_are_reported_too():
    """tls_verify: false in the role writes insecure_skip_verify: the audit still says so."""
    job = role_job("pg-orders").replace("server_name: %s}" % host("pg-orders"),
                                        "server_name: %s, insecure_skip_verify: true}" % host("pg-orders"))
    result = run([service("pg-orders")], files(MAIN_HEAD + block(job)),
                 ca_files={"/etc/prometheus/aiven-acme-ca.pem": CA})
    assert kinds(result) == [("tls_unverified", "pg-orders", "aiven-acme-pg-orders")]


def test_target_down():
    services = [service("pg-orders", replica=True), service("kafka-events", "kafka")]
    config = files(MAIN_HEAD + block(role_job("pg-orders")) + AIVEN_PAGE_JOB.replace(host("pg-orders"), host("kafka-events")))
    targets = [
        {"scrapePool": "aiven-acme-pg-orders", "health": "up", "lastError": "",
         "labels": {"job": "aiven-acme-pg-orders", "aiven_service": "pg-orders"}},
        {"scrapePool": "aiven-acme-pg-orders", "health": "down", "scrapeUrl": "https://10.0.0.2:9273/metrics",
         "lastError": "server returned HTTP status 401 Unauthorized",
         "labels": {"job": "aiven-acme-pg-orders", "aiven_service": "pg-orders"}},
        {"scrapePool": "aivenmetrics", "health": "unknown", "lastError": "", "labels": {"job": "aivenmetrics"}},
        {"scrapePool": "prometheus", "health": "down", "lastError": "connection refused"},  # not this project
    ]
    down = [f for f in run(services, config, targets=targets, ca_files={})["findings"] if f["kind"] == "target_down"]
    assert down == [
        {"kind": "target_down", "service": "pg-orders", "job": "aiven-acme-pg-orders",
         "detail": "server returned HTTP status 401 Unauthorized"},
        {"kind": "target_down", "service": "kafka-events", "job": "aivenmetrics",
         "detail": "health unknown, no error reported yet"}]


def test_findings_are_listed_by_kind_and_summed():
    services = [service("pg-orders", replica=True), service("pg-night", state="POWEROFF")]
    result = run(services, files(MAIN_HEAD + AIVEN_PAGE_JOB + block(role_job("pg-old"))), endpoint=None,
                 targets=[{"scrapePool": "aivenmetrics", "health": "down", "lastError": "x509: oops"}])
    assert [f["kind"] for f in result["findings"]] == [
        "no_endpoint", "not_integrated", "powered_off", "stale_job", "unmanaged_job", "tls_unverified",
        "password_inline", "target_down"]
    assert result["summary"] == dict((kind, 0 if kind == "not_scraped" else 1) for kind in A.KINDS)


# -- the pieces ----------------------------------------------------------------------------------

@pytest.mark.parametrize("target, expected", [
    ("h.example:9273", "h.example"), ("[fd00::1]:9273", "fd00::1"), ("h.example", "h.example"),
    ("fd00::1", "fd00::1"), (" 10.0.0.1:1 ", "10.0.0.1"),
])
def test_address_host(target, expected):
    assert A.address_host(target) == expected


def test_block_owners_reads_only_between_the_markers():
    text = MAIN_HEAD + block(role_job("pg-orders"), role_job("pg-orders", usage="replica")) + \
        "  - job_name: 'after'\n" + block('- job_name: "other-one"  # a comment\n', owner="aiven-zz")
    names = ["prometheus", "aiven-acme-pg-orders", "aiven-acme-pg-orders-replica", "after", "other-one"]
    assert A.block_owners(text, "/p.yml", names) == {
        "aiven-acme-pg-orders": "aiven-acme", "aiven-acme-pg-orders-replica": "aiven-acme", "other-one": "aiven-zz"}


def test_broken_markers_are_one_line():
    text = MAIN_HEAD + block(role_job("pg-orders")).split("  # END")[0]
    with pytest.raises(A.AuditError, match="cannot tell which jobs aiven_tools.prometheus placed: /p.yml.*BEGIN marker"):
        A.block_owners(text, "/p.yml", ["aiven-acme-pg-orders"])


@pytest.mark.parametrize("text, owner", [
    (dropin("- {job_name: x}\n"), "aiven-acme"),
    ("\ufeff" + dropin("- {job_name: x}\n", owner="aiven-b"), "aiven-b"),
    ("scrape_configs: []\n# aiven_tools.prometheus aiven-acme: managed by Ansible\n", None),
    ("", None),
])
def test_dropin_owner(text, owner):
    assert A.dropin_owner(text) == owner


def test_included_files_are_owned_by_their_head_only():
    config = files(MAIN_HEAD + block(role_job("a")),
                   ("/etc/prometheus/d/mine.yml", dropin(role_job("b"))),
                   ("/etc/prometheus/d/hand.yml", "scrape_configs:\n" + textwrap.indent(role_job("a"), "  ")
                    .replace("aiven-acme-a", "aiven-acme-a-copy")),
                   ("/etc/prometheus/d/empty.yml", ""))
    assert [(j["name"], j["file"], j["owner"]) for j in A.config_jobs(config)] == [
        ("prometheus", "/etc/prometheus/prometheus.yml", None),
        ("aiven-acme-a", "/etc/prometheus/prometheus.yml", "aiven-acme"),
        ("aiven-acme-b", "/etc/prometheus/d/mine.yml", "aiven-acme"),
        ("aiven-acme-a-copy", "/etc/prometheus/d/hand.yml", None)]


@pytest.mark.parametrize("data, message", [
    (["a list"], "/etc/prometheus/prometheus.yml: not a YAML mapping"),
    ({"scrape_configs": [{"static_configs": []}]}, "/etc/prometheus/prometheus.yml: a scrape_configs item without job_name"),
])
def test_config_jobs_refuses_what_prometheus_refuses(data, message):
    with pytest.raises(A.AuditError, match=message):
        A.config_jobs([{"path": "/etc/prometheus/prometheus.yml", "data": data}])


@pytest.mark.parametrize("data, expected", [
    ({"basic_auth": {"username": "u", "password": SECRET, "password_file": "/p"}},
     {"basic_auth": {"username": "u", "password": "<secret>", "password_file": "/p"}}),
    ({"scrape_configs": [{"authorization": {"credentials": SECRET},
                          "oauth2": {"client_secret": SECRET, "client_secret_file": "/s"}},
                         {"bearer_token": SECRET, "consul_sd_configs": [{"token": SECRET, "server": "c:8500"}]},
                         {"http_headers": {"X-Key": {"secrets": [SECRET]}}, "ec2_sd_configs": [{"secret_key": SECRET}]}]},
     {"scrape_configs": [{"authorization": {"credentials": "<secret>"},
                          "oauth2": {"client_secret": "<secret>", "client_secret_file": "/s"}},
                         {"bearer_token": "<secret>", "consul_sd_configs": [{"token": "<secret>", "server": "c:8500"}]},
                         {"http_headers": {"X-Key": {"secrets": "<secret>"}}, "ec2_sd_configs": [{"secret_key": "<secret>"}]}]}),
    ({"proxy_url": "http://proxy-user:%s@proxy.example:3128" % SECRET, "params": {"u": ["https://x.example/a:b@c"]}},
     {"proxy_url": "http://proxy-user:<secret>@proxy.example:3128", "params": {"u": ["https://x.example/a:b@c"]}}),
    ({"basic_auth": {"username": "u", "password": ""}, "n": None, "i": 3}, {"basic_auth": {"username": "u", "password": ""}, "n": None, "i": 3}),
])
def test_redact(data, expected):
    assert A.redact(data) == expected
    assert SECRET not in repr(A.redact(data))


@pytest.mark.parametrize("services, selected, message", [
    ([{"name": "x"}], [], "services: give service_info's services"),
    ("pg", [], "services: give service_info's services"),
    ([service("a")], ["a", "zz"], "selected services not in project acme: zz"),
])
def test_bad_input_is_one_line(services, selected, message):
    with pytest.raises(A.AuditError, match=message):
        A.audit(PROJECT, "prometheus", EP, services, selected, files(MAIN_HEAD), [])


def test_owned_service_from_the_job_name_when_there_is_no_label():
    job = {"name": "aiven-acme-pg-orders-replica", "config": {}}
    assert A.owned_service(job, "aiven-", PROJECT, ["pg-orders", "pg"]) == "pg-orders"
    assert A.owned_service(dict(job, name="aiven-acme-gone-replica-2"), "aiven-", PROJECT, []) == "gone"
    assert A.owned_service(dict(job, name="custom"), "aiven-", PROJECT, []) is None


def test_certificates_ignore_layout():
    assert A.certificates(CA) == A.certificates(CA.replace("\n", "\r\n").replace("TUlJQ0FBQQ==\n", "TUlJQ0\nFBQQ==\n"))
    assert A.certificates("no pem") == set()


def test_table():
    assert A.table([]) == ["No findings."]
    lines = A.table([A.finding("no_endpoint", detail="d1"), A.finding("target_down", "pg-orders", "aiven-acme-pg-orders", "d2")])
    assert lines == [
        "KIND         SERVICE    JOB                   DETAIL",
        "no_endpoint  -          -                     d1",
        "target_down  pg-orders  aiven-acme-pg-orders  d2"]


def test_unknown_kind_is_refused():
    with pytest.raises(A.AuditError, match="unknown finding kind 'lost'"):
        A.finding("lost")


def test_pem_certificates_keep_only_certificate_blocks():
    key = "-----BEGIN PRIVATE KEY-----\nU0VDUkVU\n-----END PRIVATE KEY-----\n"
    assert A.pem_certificates("bundle\n" + CA + key + OTHER_CA) == [CA.rstrip("\n"), OTHER_CA.rstrip("\n")]
    assert A.pem_certificates(key) == []


def test_ca_files_as_prometheus_info_returns_them():
    config = files(MAIN_HEAD + "  - {job_name: j, scheme: https, tls_config: {ca_file: ../ca.pem}, "
                               "dns_sd_configs: [{names: [%s], port: 9273}]}\n" % host("pg-orders"))
    for entry, expected in [({"certificates": [OTHER_CA, CA], "error": None}, 0),
                            ({"certificates": [OTHER_CA], "error": None}, 1),
                            ({"certificates": None, "error": "Permission denied"}, 1)]:
        entry["path"] = "/etc/ca.pem"
        result = run([service("pg-orders")], config, ca_files=[entry])
        assert result["summary"]["tls_unverified"] == expected
