"""The filters' EXAMPLES, run as they are by real ansible-playbook (one run for all five), with
the sandbox's DNS server standing in for the nameservers they name (extra vars), a !vault
password and option values given as `-e key=value` strings; then every Prometheus build on the
machine checks the jobs they rendered (`promtool check config`), so what the docs show is what
Prometheus accepts."""
import json
import subprocess

import pytest
import yaml
from ansible.parsing.vault import VaultLib, VaultSecret

from ansible_collections.aiven_tools.prometheus.plugins.filter import (
    file_sd_groups,
    password_fingerprint,
    scrape_jobs,
    target_groups,
    untargeted_services,
)
from sandbox.dns_server import DNSServer
from sandbox.prometheus import versions

FILTERS = [target_groups, untargeted_services, scrape_jobs, file_sd_groups, password_fingerprint]
DOMAIN = "acme-prod.aiven.test"


def row(route, host, usage="primary", **extra):
    return dict({"host": "%s-%s" % (host, DOMAIN), "port": 9273, "route": route, "usage": usage}, **extra)


SERVICES = [
    {"service_name": "pg-orders", "service_type": "pg", "state": "RUNNING", "project_vpc_id": "vpc-1",
     "targets": [row("dynamic", "pg-orders"), row("dynamic", "replica-pg-orders", "replica"),
                 row("public", "public-pg-orders"), row("public", "public-replica-pg-orders", "replica"),
                 row("privatelink", "pl-pg-orders", privatelink_connection_id="plc3a5b6c7d8e9")]},
    {"service_name": "kafka-events", "service_type": "kafka", "state": "RUNNING", "project_vpc_id": None,
     "targets": [row("dynamic", "kafka-events")]},
    {"service_name": "pg-old", "service_type": "pg", "state": "POWEROFF", "project_vpc_id": None, "targets": []},
]
RECORDS = {
    "public-pg-orders-" + DOMAIN: ["127.0.0.2", "2001:db8::2"],
    "public-replica-pg-orders-" + DOMAIN: ["2001:db8::3"],  # AAAA only
    "kafka-events-" + DOMAIN: ["127.0.0.4", "127.0.0.5"],
}
# What the test adds around the examples: their inputs, and a dump of what they set.
GROUPS_FOR = ("{{ aiven_integration.services | aiven_tools.prometheus.target_groups('acme-prod', route='public', "
              "discovery='%s', record_types='both', nameservers=dns_servers, dns_port=dns_port) }}")
PLAY_VARS = {
    "aiven_integration": {"services": SERVICES},
    "aiven_static_groups": GROUPS_FOR % "static",
    "aiven_file_sd_groups": GROUPS_FOR % "file_sd",
}
JOB_FILES = "project='acme-prod', username='prometheus', password_file='/p', ca_file='/ca.pem'"
DUMPED = {
    "groups": "aiven_groups", "jobs": "aiven_jobs", "job_names": "aiven_job_names", "file_sd": "aiven_file_sd",
    "fingerprint": "aiven_password_fingerprint",
    "vault_fingerprint": "aiven_password | aiven_tools.prometheus.password_fingerprint('prometheus')",
    "dynamic_jobs": ("aiven_integration.services | aiven_tools.prometheus.target_groups('acme-prod') "
                     "| aiven_tools.prometheus.scrape_jobs(%s, password_fingerprint='c85219d572fb', "
                     "job_extra={'relabel_configs': [{'target_label': 'x', 'replacement': 'y'}]})" % JOB_FILES),
    "file_sd_jobs": ("aiven_file_sd_groups | aiven_tools.prometheus.scrape_jobs(%s, discovery='file_sd', "
                     "file_sd_file=targets)" % JOB_FILES),
}
DUMP = {"ansible.builtin.copy": {"dest": "{{ out }}", "mode": "0600", "content": "{{ {%s} | to_json }}" % ", ".join(
    "'%s': %s" % item for item in DUMPED.items())}}


@pytest.fixture(scope="module")
def dns():
    with DNSServer(records=RECORDS, host="127.0.0.1", port=0) as server:
        yield server


def run_examples(ansible, tmp_path, dns):
    tasks = []
    for module in FILTERS:
        tasks.extend(yaml.safe_load(module.EXAMPLES))
    vault = VaultLib([("default", VaultSecret(b"vault-pw"))])
    (tmp_path / "vault-pass").write_text("vault-pw\n")
    (tmp_path / "secrets.yml").write_text(
        "aiven_password: !vault |\n" + "".join("  %s\n" % line
                                               for line in vault.encrypt("first").decode().splitlines()))
    play = [{"hosts": "localhost", "gather_facts": False, "vars_files": [str(tmp_path / "secrets.yml")],
             "vars": PLAY_VARS, "tasks": tasks + [DUMP]}]
    (tmp_path / "examples.yml").write_text(yaml.safe_dump(play, sort_keys=False))
    out = tmp_path / "out.json"
    proc = ansible.playbook(
        tmp_path / "examples.yml", "-i", "localhost,", "-c", "local", "--vault-password-file", str(tmp_path / "vault-pass"),
        "-e", json.dumps({"dns_servers": ["127.0.0.1"], "out": str(out), "targets": str(tmp_path / "targets.json")}),
        "-e", "dns_port=%d" % dns.port, check=True)  # key=value: a string, as from a command line
    return json.loads(out.read_text()), proc.stdout


def test_examples_run_and_prometheus_accepts_their_jobs(ansible, tmp_path, dns):
    facts, stdout = run_examples(ansible, tmp_path, dns)
    # target_groups: the last example, through the PrivateLink connection (kafka has none)
    assert [(g["service"], g["server_name"], g["privatelink_connection_id"]) for g in facts["groups"]] == [
        ("pg-orders", "pl-pg-orders-" + DOMAIN, "plc3a5b6c7d8e9")]
    # untargeted_services names the powered-off service and why
    assert "pg-old is not scraped: not running (state POWEROFF)" in stdout
    # scrape_jobs: the static example, public names in the VPC, dynamic outside, IPv6 bracketed
    static = facts["jobs"]
    assert [(j["job_name"], j["tls_config"]["server_name"], j["static_configs"][0]["targets"]) for j in static] == [
        ("aiven-acme-prod-pg-orders", "public-pg-orders-" + DOMAIN, ["127.0.0.2:9273", "[2001:db8::2]:9273"]),
        ("aiven-acme-prod-pg-orders-replica", "public-replica-pg-orders-" + DOMAIN, ["[2001:db8::3]:9273"]),
        ("aiven-acme-prod-kafka-events", "kafka-events-" + DOMAIN, ["127.0.0.4:9273", "127.0.0.5:9273"]),
    ]
    assert all(j["tls_config"]["insecure_skip_verify"] is True for j in static)  # tls_verify='false'
    assert facts["job_names"] == ["aiven-acme-prod-pg-orders"]
    # password_fingerprint, from a plain string and from a !vault value
    assert facts["fingerprint"] == facts["vault_fingerprint"] == "c85219d572fb"
    file_sd = json.loads(facts["file_sd"])
    assert [e["labels"]["__meta_aiven_server_name"] for e in file_sd] == [j["tls_config"]["server_name"] for j in static]

    # Every Prometheus here accepts each discovery's jobs, the file_sd file included.
    (tmp_path / "targets.json").write_text(facts["file_sd"])
    jobs = facts["dynamic_jobs"] + static + facts["file_sd_jobs"]
    assert len(set(j["job_name"] for j in jobs)) < len(jobs)  # one name per discovery: rename before merging
    for index, job in enumerate(jobs):
        job["job_name"] += "-%d" % index
    config = tmp_path / "prometheus.yml"
    config.write_text(yaml.safe_dump({"scrape_configs": jobs}, sort_keys=False))
    assert versions(), "no Prometheus build on this machine"
    for label, binaries in versions().items():
        check = subprocess.run([binaries.promtool, "check", "config", str(config)], capture_output=True, text=True,
                               check=False)
        assert check.returncode == 0, (label, check.stdout, check.stderr)
