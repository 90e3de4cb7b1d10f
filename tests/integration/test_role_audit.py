"""prometheus_aiven_state: audit, end to end: real ansible-playbook, two real Prometheus 2.53 that
resolve the services' names through the sandbox DNS (dns_sd), Aiven-like HTTPS nodes signed by
the project CA, the fake Aiven API.

One sandbox serves the whole module; each test first puts the fake Aiven and the Prometheus
files in the state it audits (reloading Prometheus and polling its targets until they show that
state), then audits. Every audit is proven read-only three ways: the fake's request log holds
GETs only, every file in the Prometheus directories keeps its bytes, and Prometheus's last
reload timestamp does not move.

AUDIT_PLAY runs the whole role, as playbooks/site.yml does (its argument spec, tasks/main.yml
and from there tasks/audit.yml), then prints each host's fact for the test.
"""
import hashlib
import json
import os
import pathlib
import re
import shutil
import textwrap

import pytest
import requests
import yaml

from ansible_collections.aiven_tools.prometheus.plugins.filter import scrape_audit
from ansible_collections.aiven_tools.prometheus.plugins.modules import prometheus_info

from role_runs import ok, recap, reload_ts
from sandbox.nodes import ProjectCA
from sandbox.prometheus import missing_reason, versions
from sandbox.sandbox import DEFAULT_CONFIG, Sandbox
from sandbox.util import wait_until

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("unshare"),
                                reason="dns_sd needs Prometheus in a mount namespace (root and unshare)")

SERVICES = [("pg-orders", "pg", 2), ("kafka-events", "kafka", 1), ("pg-night", "pg", 1, "poweroff"),
            ("kafka-logs", "kafka", 1)]
SELECTED = ["pg-orders", "kafka-events", "pg-night"]  # kafka-logs is in the project, not selected
VERSION = "2.53"  # scrape_config_files (the collection's drop-in file) needs 2.43 or later

AUDIT_PLAY = """\
- name: Audit (what prometheus_aiven_state=audit runs)
  hosts: prometheus
  gather_facts: false
  tasks:
    - name: The role's audit, then the test keeps each host's fact
      block:
        - name: The role, prometheus_aiven_state audit
          ansible.builtin.include_role:
            name: aiven_tools.prometheus.prometheus_aiven
      always:
        # Printed, not copied to a file: debug runs no module (a copy per host ran two).
        - name: Hand the fact to the test
          ansible.builtin.debug:
            msg: "AUDIT-FACT {{ inventory_hostname }} {{ prometheus_aiven_audit | to_json }}"
          when: prometheus_aiven_audit is defined
"""
# The debug line above in the default callback's output: `"msg": "AUDIT-FACT host {json}"`.
FACT_LINE = re.compile(r'^\s*"msg": ("AUDIT-FACT (?:[^"\\]|\\.)*")$', re.M)
PLACE_PLAY = """\
- name: Place jobs as the collection does (scrape_config, drop-in file)
  hosts: "{{ target }}"
  gather_facts: false
  tasks:
    - name: Place
      aiven_tools.prometheus.scrape_config:
        path: "{{ prometheus_aiven_config_file }}"
        name: aiven-acme
        content: "{{ jobs }}"
        style: file
        validate: "{{ prometheus_aiven_promtool }}"
"""


@pytest.fixture(scope="module")
def box(tmp_path_factory):
    if VERSION not in versions():
        pytest.skip(missing_reason(VERSION))
    sandbox = Sandbox(tmp_path_factory.mktemp("audit"), services=SERVICES, prometheus_version=VERSION,
                      prometheus_count=2, prometheus_dns=True)
    sandbox.start()
    yield sandbox
    sandbox.stop()


# -- arranging the state an audit meets ------------------------------------------------------

def api(box, method, path, body=None):
    response = requests.request(method, "%s/v1/project/%s%s" % (box.api_url, box.project, path), json=body,
                                headers={"Authorization": "aivenv1 " + box.token}, timeout=10)
    response.raise_for_status()
    return response.json()


def integrate_only(box, services):
    """The endpoint `prometheus` exists and exactly `services` are integrated with it, as a user
    would leave them in the console; the fake's request log is cleared afterwards."""
    endpoints = [e for e in api(box, "GET", "/integration_endpoint")["service_integration_endpoints"]
                 if e["endpoint_name"] == "prometheus"]
    if not endpoints:
        endpoints = [api(box, "POST", "/integration_endpoint", {
            "endpoint_name": "prometheus", "endpoint_type": "prometheus", "user_config": {}})["service_integration_endpoint"]]
    endpoint_id = endpoints[0]["endpoint_id"]
    for name, _type, *_rest in SERVICES:
        found = [i for i in api(box, "GET", "/service/%s/integration" % name)["service_integrations"]
                 if i["integration_type"] == "prometheus" and i.get("dest_endpoint_id") == endpoint_id and i["enabled"]]
        if name in services and not found:
            api(box, "POST", "/integration", {"integration_type": "prometheus", "source_service": name,
                                              "dest_endpoint_id": endpoint_id, "user_config": {}})
        for integration in found if name not in services else []:
            api(box, "DELETE", "/integration/%s" % integration["service_integration_id"])
    box.fake.clear_requests()


def write_config(prom, extra=""):
    """The host's hand-written prometheus.yml (the sandbox's) plus `extra` jobs; drop-ins gone."""
    path = pathlib.Path(prom.config_file)
    shutil.rmtree(str(path.parent / "scrape_configs.d"), ignore_errors=True)
    path.write_text(DEFAULT_CONFIG.replace("$name", prom.name).replace("$port", str(prom.port))
                    .replace("$scrape_interval", "2s") + extra)


def reload(prom):
    status, body = prom.reload_http()
    assert status == 200, body


def wait_targets(prom, wanted, timeout=60):
    """Poll until every job in `wanted` ({job: predicate(targets)}) holds; returns the targets."""
    def state():
        targets = prom.targets()
        by_job = dict((job, [t for t in targets if t["scrapePool"] == job]) for job in wanted)
        return targets if all(check(by_job[job]) for job, check in wanted.items()) else None
    return wait_until(state, timeout, "targets of %s" % ", ".join(wanted), interval=0.3)


def all_up(count):
    return lambda targets: len(targets) == count and all(t["health"] == "up" for t in targets)


def aiven_page_job(box):
    """The multi-node job of Aiven's page "Use Prometheus with Aiven", as written there
    (aiven-docs docs/platform/howto/integrations/prometheus-metrics.md): the primary and the
    replica name, dns_sd type A on the metrics port, the password inline, insecure_skip_verify."""
    username, password = endpoint_credentials(box)
    return textwrap.indent(textwrap.dedent("""\
          - job_name: aivenmetrics
            scheme: https
            basic_auth:
              username: {username}
              password: {password}
            dns_sd_configs:
              - names:
                  - {primary}
                  - {replica}
                type: A
                port: {port}
            tls_config:
              insecure_skip_verify: true
        """).format(username=username, password=password, primary=box.service_host("pg-orders"),
                    replica=box.service_host("pg-orders", "replica"), port=box.node_port), "  ")


def endpoint_credentials(box):
    for endpoint in box.fake.projects[box.project]["endpoints"].values():
        if endpoint["endpoint_name"] == "prometheus":
            return endpoint["user_config"]["basic_auth_username"], endpoint["user_config"]["basic_auth_password"]
    raise AssertionError("no endpoint")


def role_job(box, service, usage="primary", static=None):
    """One job as the role renders it (scrape_jobs filter): verified TLS, password_file, labels."""
    directory = pathlib.Path(box.prometheus[0].config_file).parent
    name = "aiven-acme-%s%s" % (service, "" if usage == "primary" else "-" + usage)
    server = "%s-%s.%s" % (service, box.project, box.fake.domain) if static else box.service_host(service, usage)
    job = {"job_name": name, "scrape_interval": "2s", "scrape_timeout": "1s", "scheme": "https",
           "metrics_path": "/metrics",
           "basic_auth": {"username": endpoint_credentials(box)[0], "password_file": str(directory / "aiven-acme.password")},
           "tls_config": {"ca_file": str(directory / "aiven-acme-ca.pem"), "server_name": server}}
    labels = {"aiven_project": box.project, "aiven_service": service, "aiven_usage": usage}
    if static:
        job["static_configs"] = [{"targets": static, "labels": labels}]
    else:
        job["dns_sd_configs"] = [{"names": [server + "."], "type": "A", "port": box.node_port}]
        job["relabel_configs"] = [{"target_label": key, "replacement": value} for key, value in labels.items()]
    return job


def place_jobs(ansible, box, prom, jobs):
    """The role's CA and password files, and `jobs` placed by the scrape_config module."""
    directory = pathlib.Path(prom.config_file).parent
    (directory / "aiven-acme-ca.pem").write_text(box.ca.pem)
    password = directory / "aiven-acme.password"
    password.write_text(endpoint_credentials(box)[1])
    password.chmod(0o640)
    playbook = box.tmp_dir / "place.yml"
    playbook.write_text(PLACE_PLAY)
    extra = box.tmp_dir / "place-vars.json"
    extra.write_text(json.dumps({"target": prom.name, "jobs": jobs}))
    ok(ansible.playbook(playbook, "-i", str(box.write_inventory()), "-e", "@%s" % extra))


# -- running the audit -----------------------------------------------------------------------

def snapshot(box):
    """{path: sha256} of every file in every Prometheus directory (config, drop-ins, CA, password)."""
    files = {}
    for prom in box.prometheus:
        for path in sorted(pathlib.Path(prom.config_file).parent.rglob("*")):
            if path.is_file():
                files[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return files


def audit(ansible, box, *args, **extra_vars):
    """Run the audit; assert it changed nothing anywhere; (process, {host: fact}, report or None)."""
    playbook = box.tmp_dir / "audit.yml"
    playbook.write_text(AUDIT_PLAY)
    report = box.tmp_dir / "report.json"
    if report.exists():
        report.unlink()
    values = dict(prometheus_aiven_state="audit", prometheus_aiven_services=SELECTED,
                  prometheus_aiven_audit_report=str(report))
    values.update(extra_vars)
    extra = box.write_extra_vars(**values)
    box.fake.clear_requests()
    files, reloads = snapshot(box), [reload_ts(p) for p in box.prometheus]
    proc = ansible.playbook(playbook, "-i", str(box.write_inventory()), "-e", "@%s" % extra, *args,
                            env={"ANSIBLE_PIPELINING": "1"})
    # Read-only: GETs only on Aiven, the same bytes in every file, no reload.
    assert [r["method"] for r in box.fake.requests if r["method"] != "GET"] == [], box.fake.requests
    assert box.fake.requests, "the audit read nothing from Aiven"
    assert snapshot(box) == files
    assert [reload_ts(p) for p in box.prometheus] == reloads
    fact = {}
    for line in FACT_LINE.findall(proc.stdout):
        _marker, host, data = json.loads(line).split(" ", 2)
        assert host not in fact, "two facts for %s" % host
        fact[host] = json.loads(data)
    return proc, fact, (json.loads(report.read_text()) if report.exists() else None)


def rows(findings):
    return [(f["kind"], f["service"], f["job"]) for f in findings]


# -- the tests -------------------------------------------------------------------------------

def test_the_setup_aivens_page_makes(ansible, box):
    """Host 1 scrapes pg-orders with the job from Aiven's page; host 2 scrapes nothing of Aiven.
    kafka-events has no integration, pg-night is powered off, kafka-logs is not selected."""
    integrate_only(box, ["pg-orders"])
    prom1, prom2 = box.prometheus
    write_config(prom1, aiven_page_job(box))
    write_config(prom2)
    for prom in box.prometheus:
        reload(prom)
    wait_targets(prom1, {"aivenmetrics": all_up(2)})  # insecure, but the scrapes work

    proc, fact, report = audit(ansible, box, "-vvv")
    ok(proc)
    assert rows(fact["prometheus-1"]["findings"]) == [
        ("not_integrated", "kafka-events", None),
        ("powered_off", "pg-night", None),
        ("unmanaged_job", "pg-orders", "aivenmetrics"),
        ("tls_unverified", "pg-orders", "aivenmetrics"),
        ("password_inline", "pg-orders", "aivenmetrics"),
    ]
    details = dict((f["kind"], f["detail"]) for f in fact["prometheus-1"]["findings"])
    assert details["unmanaged_job"] == ("not placed by aiven_tools.prometheus, in %s; scrapes pg-orders "
                                        "(the role's job: aiven-acme-pg-orders)" % prom1.config_file)
    assert details["tls_unverified"] == ("tls_config.insecure_skip_verify is true, so any certificate is accepted; "
                                         "no tls_config.ca_file: the project CA is not used")
    assert details["password_inline"] == ("basic_auth.password is written in %s; use basic_auth.password_file"
                                          % prom1.config_file)
    assert details["powered_off"] == "state POWEROFF: the service has no nodes to scrape"
    assert rows(fact["prometheus-2"]["findings"]) == [
        ("not_integrated", "kafka-events", None), ("powered_off", "pg-night", None), ("not_scraped", "pg-orders", None)]
    assert fact["prometheus-2"]["summary"] == {
        "no_endpoint": 0, "not_integrated": 1, "powered_off": 1, "not_scraped": 1, "stale_job": 0,
        "unmanaged_job": 0, "tls_unverified": 0, "password_inline": 0, "target_down": 0}
    assert report == fact  # every host's {findings, summary}, keyed by host
    # The table, readable in the run's output.
    assert '"KIND             SERVICE       JOB           DETAIL",' in proc.stdout
    assert '"password_inline  pg-orders     aivenmetrics  basic_auth.password is written in %s; ' % prom1.config_file \
        in proc.stdout
    assert '"not_scraped     pg-orders     -    integrated, but no job on this host scrapes' in proc.stdout
    # Neither the token nor the endpoint password (inline in host 1's file) in any output.
    ansible.assert_no_secret(box.token, endpoint_credentials(box)[1])

    # For cron and CI: prometheus_aiven_audit_fail (a string from -e) fails each host with a
    # finding, after the report is written; the same in check mode.
    proc, fact, report = audit(ansible, box, "--check", "-e", "prometheus_aiven_audit_fail=true")
    assert proc.returncode != 0
    assert recap(proc)["prometheus-1"]["failed"] == 1 and recap(proc)["prometheus-2"]["failed"] == 1
    assert ("5 audit finding(s) on prometheus-1 (not_integrated, powered_off, unmanaged_job, tls_unverified, "
            "password_inline); see the table above.") in proc.stdout
    assert report == fact and sum(report["prometheus-1"]["summary"].values()) == 5


def test_jobs_the_collection_placed_that_drifted(ansible, box):
    """Host 1 holds the collection's drop-in (scrape_config module): pg-orders as the role writes
    it, a job for kafka-logs (integrated, no longer selected), one for pg-old (deleted since;
    its address answers nothing). kafka-events is integrated but nobody scrapes it."""
    integrate_only(box, ["pg-orders", "kafka-events", "kafka-logs"])
    prom1, prom2 = box.prometheus
    write_config(prom1)
    write_config(prom2)
    gone = "%s250:%d" % (box.ip_prefix, box.node_port)  # nothing listens there
    place_jobs(ansible, box, prom1, [role_job(box, "pg-orders"), role_job(box, "pg-orders", "replica"),
                                     role_job(box, "kafka-logs"), role_job(box, "pg-old", static=[gone])])
    for prom in box.prometheus:
        reload(prom)
    targets = wait_targets(prom1, {
        "aiven-acme-pg-orders": all_up(1), "aiven-acme-pg-orders-replica": all_up(1), "aiven-acme-kafka-logs": all_up(1),
        "aiven-acme-pg-old": lambda t: len(t) == 1 and t[0]["health"] == "down" and t[0]["lastError"]})
    last_error = [t["lastError"] for t in targets if t["scrapePool"] == "aiven-acme-pg-old"][0]

    proc, fact, report = audit(ansible, box)
    ok(proc)
    findings = fact["prometheus-1"]["findings"]
    assert rows(findings) == [
        ("powered_off", "pg-night", None),
        ("not_scraped", "kafka-events", None),
        ("stale_job", "kafka-logs", "aiven-acme-kafka-logs"),
        ("stale_job", "pg-old", "aiven-acme-pg-old"),
        ("target_down", "pg-old", "aiven-acme-pg-old"),
    ]
    assert findings[2]["detail"] == ("service kafka-logs is no longer selected (prometheus_aiven_services, "
                                     "prometheus_aiven_service_query)")
    assert findings[3]["detail"] == "service pg-old no longer exists in project acme"
    assert findings[4]["detail"] == last_error and "connection refused" in last_error
    assert findings[1]["detail"] == "integrated, but no job on this host scrapes %s" % box.service_host("kafka-events")
    assert rows(fact["prometheus-2"]["findings"]) == [
        ("powered_off", "pg-night", None), ("not_scraped", "pg-orders", None), ("not_scraped", "kafka-events", None)]
    assert report == fact

    # The same drop-in with another project's CA: the collection's own jobs are unverified too.
    other_ca = pathlib.Path(prom1.config_file).parent / "aiven-acme-ca.pem"
    other_ca.write_text(ProjectCA("another-project").pem)
    proc, fact, report = audit(ansible, box)
    ok(proc)
    unverified = [f for f in fact["prometheus-1"]["findings"] if f["kind"] == "tls_unverified"]
    assert [f["job"] for f in unverified] == ["aiven-acme-pg-orders", "aiven-acme-pg-orders-replica",
                                              "aiven-acme-kafka-logs", "aiven-acme-pg-old"]
    assert unverified[0]["detail"] == "tls_config.ca_file %s does not hold the project CA" % other_ca
    other_ca.write_text(box.ca.pem)


def test_no_endpoint_of_that_name(ansible, box):
    integrate_only(box, ["pg-orders"])
    proc, fact, report = audit(ansible, box, prometheus_aiven_endpoint_name="prometheus-other")
    ok(proc)
    for host in ("prometheus-1", "prometheus-2"):
        found = rows(fact[host]["findings"])
        assert found[:3] == [("no_endpoint", None, None), ("not_integrated", "pg-orders", None),
                             ("not_integrated", "kafka-events", None)]
    assert fact["prometheus-1"]["findings"][0]["detail"] == (
        "project acme has no Prometheus integration endpoint named prometheus-other")
    assert report == fact


def test_examples_run_as_written(ansible, box):
    """prometheus_info's and scrape_audit's EXAMPLES in one play against host 1, unchanged but for
    the file, the address and the project; before the filter's, the two reads its comment names."""
    integrate_only(box, ["pg-orders"])
    prom1 = box.prometheus[0]
    write_config(prom1, aiven_page_job(box))
    reload(prom1)
    wait_targets(prom1, {"aivenmetrics": all_up(2)})
    info_examples = yaml.safe_load(prometheus_info.EXAMPLES.replace("/etc/prometheus/prometheus.yml", prom1.config_file)
                                   .replace("http://127.0.0.1:9090", prom1.url))
    filter_examples = yaml.safe_load(scrape_audit.EXAMPLES.replace("acme-prod", box.project))
    reads = [
        {"name": "aiven_project", "aiven_tools.prometheus.project_integration": {"services": SELECTED},
         "check_mode": True, "delegate_to": "localhost", "run_once": True, "register": "aiven_project"},
        {"name": "aiven_all", "aiven_tools.prometheus.service_info": {}, "delegate_to": "localhost",
         "run_once": True, "register": "aiven_all"},
    ]
    play = [{"name": "EXAMPLES", "hosts": prom1.name, "gather_facts": False,
             "module_defaults": {"group/aiven_tools.prometheus.aiven": {
                 "project": box.project, "api_url": box.api_url, "api_token": "{{ token }}"}},
             "tasks": info_examples + reads + filter_examples}]
    playbook = box.tmp_dir / "examples.yml"
    playbook.write_text(yaml.safe_dump(play, sort_keys=False))
    extra = box.tmp_dir / "examples-vars.json"
    extra.write_text(json.dumps({"token": box.token}))
    files = snapshot(box)
    proc = ansible.playbook(playbook, "-i", str(box.write_inventory()), "-e", "@%s" % extra)
    ok(proc)
    assert '"%s"' % prom1.config_file in proc.stdout  # "Show which files Prometheus reads"
    assert '"aiven-acme-pg-orders": "aiven-acme"' not in proc.stdout  # nothing placed by the collection here
    assert '"unmanaged_job    pg-orders     aivenmetrics  not placed by aiven_tools.prometheus' in proc.stdout
    assert "All assertions passed" in proc.stdout  # no target down
    assert snapshot(box) == files
    ansible.assert_no_secret(box.token, endpoint_credentials(box)[1])
