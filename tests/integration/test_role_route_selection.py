"""Which host names the role scrapes for each `prometheus_aiven_route`, rendered by real Ansible
from the role's own template, for all three routes at once and for shapes the sandbox does not
produce (replica row listed first, a service without targets): a service in a VPC lists dynamic,
public and private rows, one outside a VPC only dynamic. End to end: test_role_site.py.
"""
import json

import pytest

from conftest import REPO

TEMPLATE = REPO / "roles" / "prometheus_aiven" / "templates" / "scrape_targets.json.j2"


def _rows(route, host, replica=None, port=9273):
    rows = [{"host": host, "port": port, "route": route, "usage": "primary"}]
    if replica:
        rows.append({"host": replica, "port": port, "route": route, "usage": "replica"})
    return rows


SERVICES = [
    {"service_name": "pg-vpc", "service_type": "pg",
     "targets": (_rows("dynamic", "pg-vpc-acme.aivencloud.com", "replica-pg-vpc-acme.aivencloud.com")
                 + _rows("public", "public-pg-vpc-acme.aivencloud.com", "public-replica-pg-vpc-acme.aivencloud.com")
                 + _rows("private", "private-pg-vpc-acme.aivencloud.com"))},
    # Replica listed first: the primary row still gives server_name.
    {"service_name": "kafka-open", "service_type": "kafka",
     "targets": list(reversed(_rows("dynamic", "kafka-open-acme.aivencloud.com", "replica-kafka-open-acme.aivencloud.com")))},
    # Only in check mode before the integration exists: no targets, no job.
    {"service_name": "mysql-new", "service_type": "mysql", "targets": []},
]


def render(ansible, tmp_path, route):
    out = tmp_path / ("targets-%s.json" % route)
    playbook = tmp_path / "render.yml"
    playbook.write_text(
        "- hosts: localhost\n"
        "  gather_facts: false\n"
        "  tasks:\n"
        "    - ansible.builtin.copy:\n"
        "        content: \"{{ lookup('ansible.builtin.template', template) }}\"\n"
        "        dest: \"{{ out }}\"\n"
        "        mode: \"0600\"\n")
    extra = {
        "template": str(TEMPLATE), "out": str(out),
        "__prometheus_aiven_integration": {"services": SERVICES}, "__prometheus_aiven_project": "acme",
        "prometheus_aiven_route": route, "prometheus_aiven_discovery": "dns_sd",
        "prometheus_aiven_dns_nameservers": [], "prometheus_aiven_dns_port": 53,
    }
    ansible.playbook(playbook, "-i", "localhost,", "-c", "local", "-e", json.dumps(extra), check=True)
    return {item["service"]: item for item in json.loads(out.read_text())}


@pytest.mark.parametrize("route, vpc_names, vpc_server_name", [
    ("dynamic", ["pg-vpc-acme.aivencloud.com", "replica-pg-vpc-acme.aivencloud.com"], "pg-vpc-acme.aivencloud.com"),
    ("public", ["public-pg-vpc-acme.aivencloud.com", "public-replica-pg-vpc-acme.aivencloud.com"],
     "public-pg-vpc-acme.aivencloud.com"),
    ("private", ["private-pg-vpc-acme.aivencloud.com"], "private-pg-vpc-acme.aivencloud.com"),
])
def test_each_route_scrapes_its_own_names_and_falls_back_to_dynamic(ansible, tmp_path, route, vpc_names,
                                                                    vpc_server_name):
    jobs = render(ansible, tmp_path, route)
    assert sorted(jobs) == ["kafka-open", "pg-vpc"]  # no targets, no job
    assert jobs["pg-vpc"]["names"] == vpc_names
    # TLS is verified against the name Prometheus connects to: the route's own primary host.
    assert jobs["pg-vpc"]["server_name"] == vpc_server_name
    assert jobs["pg-vpc"]["port"] == 9273 and jobs["pg-vpc"]["type"] == "pg"
    # Outside a VPC there is no public/private row: the dynamic names are public already.
    assert jobs["kafka-open"]["names"] == ["replica-kafka-open-acme.aivencloud.com", "kafka-open-acme.aivencloud.com"]
    assert jobs["kafka-open"]["server_name"] == "kafka-open-acme.aivencloud.com"
