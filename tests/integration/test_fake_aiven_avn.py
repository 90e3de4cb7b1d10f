"""Aiven's official CLI (`avn`, PyPI aiven-client) works against the fake.

avn was written against the real API, so each command it completes here is evidence the fake
has not drifted from it (design.md 6). Every test asserts what avn printed or wrote AND what
the fake now holds, not only exit codes.
"""
import json
import os
import pathlib
import subprocess
import sys

import pytest
import requests

from sandbox.fake_aiven import running

TOKEN = "sandbox-token"
AVN = pathlib.Path(sys.executable).with_name("avn")
CA_PEM = "-----BEGIN CERTIFICATE-----\nAVN-TEST\n-----END CERTIFICATE-----\n"


@pytest.fixture
def fake():
    with running(TOKEN, [("pg-orders", "pg", 2), ("kafka-events", "kafka", 3, "vpc-1"), ("grafana-ui", "grafana", 1, "vpc-1"),
                         ("flink-jobs", "flink", 1, "vpc-1")],
                 ca_pem=CA_PEM) as api:
        yield api


@pytest.fixture
def avn(fake, tmp_path):
    """Run avn against the fake; returns the CompletedProcess (check=True fails on non-zero)."""
    assert AVN.exists(), "aiven-client is missing from the venv (tests/requirements.txt)"

    def run(*args, token=TOKEN, check=True):
        env = {key: value for key, value in os.environ.items() if not key.startswith("AIVEN_")}
        env.update(AIVEN_WEB_URL=fake.url, AIVEN_AUTH_TOKEN=token, AIVEN_CONFIG_DIR=str(tmp_path / "avn-config"))
        proc = subprocess.run([str(AVN)] + list(args), env=env, capture_output=True, text=True, timeout=60,
                              check=False)
        if check:
            assert proc.returncode == 0, "avn %s failed:\n%s%s" % (" ".join(args), proc.stdout, proc.stderr)
        return proc

    return run


def prometheus_rows(fake, service):
    answer = requests.get(fake.url + "/v1/project/acme/service/" + service, headers={"Authorization": "aivenv1 " + TOKEN})
    return sorted((row["route"], row["usage"], row["host"]) for row in answer.json()["service"]["components"]
                  if row["component"] == "prometheus")


def test_endpoint_and_integration_lifecycle(fake, avn):
    avn("service", "integration-endpoint-create", "--project", "acme", "-d", "prom-scrape", "-t", "prometheus",
        "-c", "basic_auth_username=promscraper", "-c", "basic_auth_password=Xk9vQ2mLr7Tz")
    # avn reads the endpoint type catalogue (2.7) to turn -c options into a typed user_config.
    assert [(r["method"], r["path"].rsplit("/", 1)[-1]) for r in fake.requests] == [
        ("GET", "integration_endpoint_types"), ("POST", "integration_endpoint")]
    [endpoint] = fake.projects["acme"]["endpoints"].values()
    assert endpoint["user_config"] == {"basic_auth_username": "promscraper", "basic_auth_password": "Xk9vQ2mLr7Tz"}
    endpoint_id = endpoint["endpoint_id"]

    listed = avn("service", "integration-endpoint-list", "--project", "acme", "--json")
    assert [(e["endpoint_id"], e["endpoint_name"], e["user_config"]["basic_auth_password"])
            for e in json.loads(listed.stdout)] == [(endpoint_id, "prom-scrape", "<redacted>")]
    table = avn("service", "integration-endpoint-list", "--project", "acme").stdout
    assert endpoint_id in table and "prom-scrape" in table and "Xk9vQ2mLr7Tz" not in table

    fake.clear_requests()
    avn("service", "integration-create", "--project", "acme", "-t", "prometheus", "-s", "pg-orders", "-D", endpoint_id)
    [post] = fake.writes()
    assert post["body"] == {"source_endpoint_id": None, "source_service": "pg-orders", "dest_endpoint_id": endpoint_id,
                            "dest_service": None, "integration_type": "prometheus", "user_config": {}}
    [integration] = fake.projects["acme"]["integrations"].values()
    integration_id = integration["service_integration_id"]
    assert prometheus_rows(fake, "pg-orders") == [
        ("dynamic", "primary", "pg-orders-acme.aiven.test"), ("dynamic", "replica", "replica-pg-orders-acme.aiven.test")]

    # The table needs every integration key, placeholders included (section 10).
    table = avn("service", "integration-list", "--project", "acme", "pg-orders").stdout
    rows = [line.split() for line in table.splitlines()[2:]]
    # (the sixth column, active, depends on how many reads have passed: see activation_reads)
    assert [integration_id, "pg-orders", endpoint_id, "prometheus", "true"] in [row[:5] for row in rows]
    assert any(line.startswith("(integration not enabled)") and "read_replica" in line for line in table.splitlines())
    listed = json.loads(avn("service", "integration-list", "--project", "acme", "pg-orders", "--json").stdout)
    assert [row["service_integration_id"] for row in listed if row["integration_type"] == "prometheus"] == [integration_id]

    avn("service", "integration-delete", "--project", "acme", integration_id)
    assert fake.projects["acme"]["integrations"] == {}
    assert prometheus_rows(fake, "pg-orders") == []
    avn("service", "integration-endpoint-delete", "--project", "acme", endpoint_id)
    assert fake.projects["acme"]["endpoints"] == {}


def test_service_update_public_access_prometheus(fake, avn):
    avn("service", "integration-endpoint-create", "--project", "acme", "-d", "prom", "-t", "prometheus")
    [endpoint_id] = fake.projects["acme"]["endpoints"]
    avn("service", "integration-create", "--project", "acme", "-t", "prometheus", "-s", "kafka-events", "-D", endpoint_id)
    fake.clear_requests()

    avn("service", "update", "--project", "acme", "kafka-events", "-c", "public_access.prometheus=true")
    # avn reads the service and the service type's schema, then sends only the changed sub-tree.
    assert [r["path"] for r in fake.requests] == [
        "/v1/project/acme/service/kafka-events", "/v1/project/acme/service-types/kafka",
        "/v1/project/acme/service/kafka-events"]
    assert fake.writes()[0]["body"] == {"plan": "business-4", "user_config": {"public_access": {"prometheus": True}}}
    stored = fake.projects["acme"]["services"]["kafka-events"]["user_config"]
    assert stored["public_access"] == {"kafka": False, "prometheus": True}
    assert stored["kafka_version"] == "3.8"  # merged, not replaced
    assert prometheus_rows(fake, "kafka-events") == [
        ("dynamic", "primary", "kafka-events-acme.aiven.test"), ("public", "primary", "public-kafka-events-acme.aiven.test")]

    # private_access.prometheus (route private, used by the role's prometheus_aiven_route=private).
    avn("service", "update", "--project", "acme", "kafka-events", "-c", "private_access.prometheus=true")
    assert prometheus_rows(fake, "kafka-events") == [
        ("dynamic", "primary", "kafka-events-acme.aiven.test"), ("private", "primary", "private-kafka-events-acme.aiven.test"),
        ("public", "primary", "public-kafka-events-acme.aiven.test")]

    # grafana's schema has no public_access.prometheus: avn refuses before sending anything.
    refused = avn("service", "update", "--project", "acme", "grafana-ui", "-c", "public_access.prometheus=true",
                  check=False)
    assert refused.returncode != 0
    assert "Unsupported option 'public_access.prometheus'" in refused.stderr
    assert fake.writes()[2:] == []


def test_privatelink_access_prometheus_where_the_schema_has_it(fake, avn):
    # flink has only privatelink_access.prometheus (aiven-api.md 5): avn reads that from the
    # service type's schema, so it accepts the one and refuses the other before sending anything.
    avn("service", "integration-endpoint-create", "--project", "acme", "-d", "prom", "-t", "prometheus")
    [endpoint_id] = fake.projects["acme"]["endpoints"]
    avn("service", "integration-create", "--project", "acme", "-t", "prometheus", "-s", "flink-jobs", "-D", endpoint_id)
    connection_id = fake.add_privatelink_connection("acme", "flink-jobs")
    fake.clear_requests()
    refused = avn("service", "update", "--project", "acme", "flink-jobs", "-c", "public_access.prometheus=true",
                  check=False)
    assert refused.returncode != 0 and "Unsupported option 'public_access.prometheus'" in refused.stderr
    assert fake.writes() == []
    avn("service", "update", "--project", "acme", "flink-jobs", "-c", "privatelink_access.prometheus=true")
    assert fake.writes()[0]["body"]["user_config"] == {"privatelink_access": {"prometheus": True}}
    assert prometheus_rows(fake, "flink-jobs") == [
        ("dynamic", "primary", "flink-jobs-acme.aiven.test"),
        ("privatelink", "primary", "privatelink-1-flink-jobs-acme.aiven.test")]
    listed = json.loads(avn("service", "get", "--project", "acme", "flink-jobs", "--json").stdout)
    [row] = [c for c in listed["components"] if c["route"] == "privatelink" and c["component"] == "prometheus"]
    assert row["privatelink_connection_id"] == connection_id


def test_powered_off_service_reads_like_aiven_says(fake, avn):
    fake.set_service_state("acme", "pg-orders", "POWEROFF")
    shown = json.loads(avn("service", "get", "--project", "acme", "pg-orders", "--json").stdout)
    assert shown["state"] == "POWEROFF"
    assert shown["components"] == [] and shown["node_states"] == []
    table = avn("service", "list", "--project", "acme").stdout
    assert "pg-orders" in table and "POWEROFF" in table


def test_project_ca_get_writes_the_project_ca(avn, tmp_path):
    target = tmp_path / "ca.pem"
    avn("project", "ca-get", "--project", "acme", "--target-filepath", str(target))
    assert target.read_text() == CA_PEM


def test_errors_print_message_and_status(fake, avn):
    missing = avn("service", "integration-list", "--project", "acme", "nosuch", check=False)
    assert missing.returncode != 0
    assert "Service nosuch does not exist (status 404)" in missing.stderr
    denied = avn("service", "integration-endpoint-list", "--project", "acme", token="wrong", check=False)
    assert denied.returncode != 0
    assert "Authentication failed (status 403)" in denied.stderr
    fake.inject_fault(status=503, times=1)
    unavailable = avn("service", "integration-endpoint-list", "--project", "acme", check=False)
    assert "An error occurred. Please try again later. (status 503)" in unavailable.stderr
