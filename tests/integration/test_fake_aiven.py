"""The fake Aiven API answers as ../shared/aiven-api.md says the real one does.

Plain HTTP with requests, so these tests pin the wire format every client and module relies on.
"""
import json
import subprocess
import sys
import time

import pytest
import requests

from sandbox.fake_aiven import REDACTED, FakeAiven, running

TOKEN = "sandbox-token"


@pytest.fixture
def fake():
    with running(TOKEN, [("pg-orders", "pg", 2), ("kafka-events", "kafka", 3, "vpc-1"), ("pg-vpc", "pg", 2, "vpc-1"),
                         ("grafana-ui", "grafana", 1, "vpc-1")],
                 ca_pem="-----BEGIN CERTIFICATE-----\nTEST\n-----END CERTIFICATE-----\n") as api:
        yield api


@pytest.fixture
def api(fake):
    session = requests.Session()
    session.headers["Authorization"] = "aivenv1 " + TOKEN

    def call(method, path, body=None, **params):
        return session.request(method, fake.url + "/v1/project/acme" + path, json=body, params=params, timeout=10)

    yield call
    session.close()


def create_endpoint(api, name="prom-scrape", username="promscraper", password="Xk9vQ2mLr7Tz"):
    answer = api("POST", "/integration_endpoint", {
        "endpoint_name": name, "endpoint_type": "prometheus",
        "user_config": {"basic_auth_username": username, "basic_auth_password": password}})
    assert answer.status_code == 200, answer.text
    return answer.json()["service_integration_endpoint"]


def create_integration(api, service, endpoint_id):
    answer = api("POST", "/integration", {"integration_type": "prometheus", "source_service": service,
                                          "dest_endpoint_id": endpoint_id})
    assert answer.status_code == 200, answer.text
    return answer.json()["service_integration"]


def prometheus_rows(api, service):
    components = api("GET", "/service/" + service).json()["service"]["components"]
    return sorted((row["route"], row["usage"], row["host"], row["port"])
                  for row in components if row["component"] == "prometheus")


def assert_aiven_error(answer, status, message_part, error_code=None):
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert message_part in body["message"]
    assert body["errors"][0]["status"] == status
    assert body["errors"][0]["message"] == body["message"]
    if error_code:
        assert body["errors"][0]["error_code"] == error_code


def test_auth_accepts_aivenv1_and_bearer_and_answers_403_otherwise(fake):
    url = fake.url + "/v1/project/acme/kms/ca"
    assert requests.get(url, headers={"Authorization": "aivenv1 " + TOKEN}).status_code == 200
    assert requests.get(url, headers={"Authorization": "Bearer " + TOKEN}).status_code == 200
    for headers in ({}, {"Authorization": "aivenv1 wrong"}, {"Authorization": TOKEN}):
        assert_aiven_error(requests.get(url, headers=headers), 403, "Authentication failed", "authentication_failed")


def test_unknown_project_service_endpoint_and_integration_are_404(fake, api):
    bad_project = requests.get(fake.url + "/v1/project/nope/service", headers={"Authorization": "aivenv1 " + TOKEN})
    assert_aiven_error(bad_project, 404, "nope", "project_not_found")
    assert_aiven_error(api("GET", "/service/ghost"), 404, "Service ghost does not exist")
    assert_aiven_error(api("GET", "/integration_endpoint/x"), 404, "Service integration endpoint not found")
    assert_aiven_error(api("DELETE", "/integration/x"), 404, "Service integration not found")


def test_service_secrets_are_redacted_unless_include_secrets(fake, api):
    password = fake.projects["acme"]["services"]["pg-orders"]["users"][0]["password"]
    redacted = api("GET", "/service/pg-orders")
    assert password not in redacted.text
    service = redacted.json()["service"]
    assert service["service_uri"] == "postgres://avnadmin:%s@pg-orders-acme.aiven.test:%s/defaultdb?sslmode=require" % (
        REDACTED, service["service_uri_params"]["port"])
    assert service["service_uri_params"]["password"] == REDACTED
    assert service["users"][0]["password"] == REDACTED
    assert password not in api("GET", "/service").text

    clear = api("GET", "/service/pg-orders", include_secrets="true").json()["service"]
    assert clear["users"][0]["password"] == password
    assert password in clear["service_uri"]
    assert password in api("GET", "/service", include_secrets="true").text


def test_service_shape_without_integration(api):
    service = api("GET", "/service/pg-orders").json()["service"]
    assert service["node_count"] == 2
    assert [node["name"] for node in service["node_states"]] == ["pg-orders-1", "pg-orders-2"]
    assert service["project_vpc_id"] is None
    rows = {(row["component"], row["usage"]) for row in service["components"]}
    assert rows == {("pg", "primary"), ("pg", "replica"), ("pgbouncer", "primary")}
    kafka = api("GET", "/service/kafka-events").json()["service"]
    assert [row["component"] for row in kafka["components"]] == ["kafka"]
    assert len(kafka["node_states"]) == 3


def test_integration_list_has_placeholders_with_every_key(api):
    listed = api("GET", "/service/pg-orders/integration").json()["service_integrations"]
    placeholder = next(row for row in listed if row["integration_type"] == "prometheus")
    assert placeholder["service_integration_id"] is None
    assert placeholder["enabled"] is False
    keys = {"service_integration_id", "integration_type", "description", "active", "enabled", "source_project",
            "source_service", "source_service_type", "source_endpoint", "source_endpoint_id", "dest_project",
            "dest_service", "dest_service_type", "dest_endpoint", "dest_endpoint_id", "integration_status",
            "user_config"}
    assert all(set(row) == keys for row in listed)
    assert {row["integration_type"] for row in listed} >= {"prometheus", "read_replica"}


def test_endpoint_create_list_get_and_redaction(api):
    endpoint = create_endpoint(api)
    assert endpoint["endpoint_config"] == {"client_port": 9273}
    assert endpoint["user_config"]["basic_auth_password"] == "Xk9vQ2mLr7Tz"  # 9.1: create echoes it
    listed = api("GET", "/integration_endpoint").json()["service_integration_endpoints"]
    assert [(e["endpoint_name"], e["user_config"]["basic_auth_password"]) for e in listed] == [("prom-scrape", REDACTED)]
    path = "/integration_endpoint/" + endpoint["endpoint_id"]
    assert api("GET", path).json()["service_integration_endpoint"]["user_config"]["basic_auth_password"] == REDACTED
    clear = api("GET", path, include_secrets="true").json()["service_integration_endpoint"]
    assert clear["user_config"] == {"basic_auth_username": "promscraper", "basic_auth_password": "Xk9vQ2mLr7Tz"}


def test_endpoint_without_credentials_gets_generated_valid_ones(api):
    answer = api("POST", "/integration_endpoint", {"endpoint_name": "auto", "endpoint_type": "prometheus",
                                                   "user_config": {}})
    endpoint_id = answer.json()["service_integration_endpoint"]["endpoint_id"]
    config = api("GET", "/integration_endpoint/" + endpoint_id, include_secrets="true").json()[
        "service_integration_endpoint"]["user_config"]
    assert 5 <= len(config["basic_auth_username"]) <= 32
    assert len(config["basic_auth_password"]) >= 8


@pytest.mark.parametrize("user_config, field", [
    ({"basic_auth_username": "Bad User"}, "basic_auth_username"),
    ({"basic_auth_username": "abcd"}, "basic_auth_username"),
    ({"basic_auth_password": "short"}, "basic_auth_password"),
    ({"basic_auth_password": "x" * 257}, "basic_auth_password"),
    ({"other": 1}, "other"),
])
def test_endpoint_user_config_is_validated(api, user_config, field):
    answer = api("POST", "/integration_endpoint", {"endpoint_name": "e", "endpoint_type": "prometheus",
                                                   "user_config": user_config})
    assert_aiven_error(answer, 400, field)
    assert api("GET", "/integration_endpoint").json()["service_integration_endpoints"] == []


def test_integration_early_404_then_inactive_then_active(fake, api):
    fake.early_404_reads, fake.activation_reads = 2, 2
    endpoint = create_endpoint(api)
    created = create_integration(api, "pg-orders", endpoint["endpoint_id"])
    assert created["active"] is False and created["dest_endpoint"] == "prom-scrape"
    path = "/integration/" + created["service_integration_id"]
    answers = [api("GET", path) for dummy in range(5)]
    assert [answer.status_code for answer in answers] == [404, 404, 200, 200, 200]
    assert_aiven_error(answers[0], 404, "Service integration not found")
    assert [answer.json()["service_integration"]["active"] for answer in answers[2:]] == [False, False, True]
    listed = api("GET", "/service/pg-orders/integration").json()["service_integrations"]
    enabled = [row for row in listed if row["service_integration_id"]]
    assert [(row["integration_type"], row["dest_endpoint_id"], row["active"]) for row in enabled] == [
        ("prometheus", endpoint["endpoint_id"], True)]
    assert not [row for row in listed if row["integration_type"] == "prometheus" and not row["service_integration_id"]]


def test_duplicate_integration_is_409_already_exists(api):
    endpoint = create_endpoint(api)
    create_integration(api, "pg-orders", endpoint["endpoint_id"])
    again = api("POST", "/integration", {"integration_type": "prometheus", "source_service": "pg-orders",
                                         "dest_endpoint_id": endpoint["endpoint_id"]})
    assert_aiven_error(again, 409, "already exists")


def test_integration_create_checks_its_targets(api):
    endpoint = create_endpoint(api)
    assert_aiven_error(api("POST", "/integration", {"integration_type": "prometheus", "source_service": "ghost",
                                                    "dest_endpoint_id": endpoint["endpoint_id"]}),
                       404, "Service ghost does not exist")
    assert_aiven_error(api("POST", "/integration", {"integration_type": "prometheus", "source_service": "pg-orders",
                                                    "dest_endpoint_id": "nope"}),
                       404, "endpoint not found")
    other = api("POST", "/integration_endpoint", {"endpoint_name": "remote", "endpoint_type": "external_prometheus",
                                                  "user_config": {"service_uri": "https://remote.example/write"}})
    assert_aiven_error(api("POST", "/integration", {
        "integration_type": "prometheus", "source_service": "pg-orders",
        "dest_endpoint_id": other.json()["service_integration_endpoint"]["endpoint_id"]}), 400, "external_prometheus")


def test_prometheus_components_follow_the_integration(api):
    endpoint = create_endpoint(api)
    integration = create_integration(api, "pg-orders", endpoint["endpoint_id"])
    assert prometheus_rows(api, "pg-orders") == [
        ("dynamic", "primary", "pg-orders-acme.aiven.test", 9273),
        ("dynamic", "replica", "replica-pg-orders-acme.aiven.test", 9273),
    ]
    deleted = api("DELETE", "/integration/" + integration["service_integration_id"])
    assert deleted.json() == {"message": "deleted"}
    assert prometheus_rows(api, "pg-orders") == []
    assert api("DELETE", "/integration_endpoint/" + endpoint["endpoint_id"]).json() == {"message": "deleted"}


def test_endpoint_in_use_cannot_be_deleted(api):
    endpoint = create_endpoint(api)
    create_integration(api, "pg-orders", endpoint["endpoint_id"])
    assert_aiven_error(api("DELETE", "/integration_endpoint/" + endpoint["endpoint_id"]), 409, "pg-orders")


def test_public_access_adds_public_rows_only_in_a_vpc(api):
    endpoint = create_endpoint(api)
    for name in ("pg-orders", "pg-vpc", "kafka-events"):
        create_integration(api, name, endpoint["endpoint_id"])
        updated = api("PUT", "/service/" + name, {"user_config": {"public_access": {"prometheus": True}}})
        assert updated.status_code == 200, updated.text
        assert updated.json()["service"]["user_config"]["public_access"]["prometheus"] is True
    assert [row[0] for row in prometheus_rows(api, "pg-orders")] == ["dynamic", "dynamic"]
    assert prometheus_rows(api, "pg-vpc") == [
        ("dynamic", "primary", "pg-vpc-acme.aiven.test", 9273),
        ("dynamic", "replica", "replica-pg-vpc-acme.aiven.test", 9273),
        ("public", "primary", "public-pg-vpc-acme.aiven.test", 9273),
        ("public", "replica", "public-replica-pg-vpc-acme.aiven.test", 9273),
    ]
    assert prometheus_rows(api, "kafka-events") == [  # kafka has no replica DNS name
        ("dynamic", "primary", "kafka-events-acme.aiven.test", 9273),
        ("public", "primary", "public-kafka-events-acme.aiven.test", 9273),
    ]


def test_access_flags_follow_the_schema_of_each_type(api):
    # aiven-api.md 5: public, private and privatelink for pg; flink only privatelink; grafana none.
    def prometheus_flags(service_type):
        schema = api("GET", "/service-types/" + service_type).json()["user_config_schema"]["properties"]
        return sorted(key for key in ("public_access", "private_access", "privatelink_access")
                      if "prometheus" in schema.get(key, {}).get("properties", {}))
    assert prometheus_flags("pg") == ["private_access", "privatelink_access", "public_access"]
    assert prometheus_flags("flink") == ["privatelink_access"]
    assert prometheus_flags("grafana") == []
    answer = api("PUT", "/service/grafana-ui", {"user_config": {"privatelink_access": {"prometheus": True}}})
    assert_aiven_error(answer, 400, "privatelink_access")


def test_privatelink_rows_one_set_per_connection(fake, api):
    endpoint = create_endpoint(api)
    create_integration(api, "pg-vpc", endpoint["endpoint_id"])
    first = fake.add_privatelink_connection("acme", "pg-vpc")
    second = requests.post(fake.url + "/_sandbox/privatelink",
                           json={"project": "acme", "name": "pg-vpc", "connection_id": "plc-second"}).json()
    assert second["connection_id"] == "plc-second"
    # No rows until the flag is on: a connection alone does not expose port 9273.
    assert [row[0] for row in prometheus_rows(api, "pg-vpc")] == ["dynamic", "dynamic"]
    updated = api("PUT", "/service/pg-vpc", {"user_config": {"privatelink_access": {"prometheus": True}}})
    assert updated.status_code == 200, updated.text
    rows = [row for row in updated.json()["service"]["components"]
            if row["component"] == "prometheus" and row["route"] == "privatelink"]
    assert [(row["host"], row["usage"], row["privatelink_connection_id"]) for row in rows] == [
        ("privatelink-1-pg-vpc-acme.aiven.test", "primary", first),
        ("privatelink-1-replica-pg-vpc-acme.aiven.test", "replica", first),
        ("privatelink-2-pg-vpc-acme.aiven.test", "primary", "plc-second"),
        ("privatelink-2-replica-pg-vpc-acme.aiven.test", "replica", "plc-second"),
    ]
    # Only privatelink rows carry the key (aiven-api.md 4.2: optional).
    assert all("privatelink_connection_id" not in row for row in updated.json()["service"]["components"]
               if row["route"] != "privatelink")
    # The sandbox learns every name from service_hosts(): a flat dict that has these too.
    hosts = fake.service_hosts("acme", "pg-vpc")
    assert hosts == second["hosts"]
    assert {row["host"] for row in rows} <= set(hosts.values())
    assert all(isinstance(key, str) and isinstance(value, str) for key, value in hosts.items())
    with pytest.raises(ValueError, match="project VPC"):
        fake.add_privatelink_connection("acme", "pg-orders")
    assert requests.post(fake.url + "/_sandbox/privatelink",
                         json={"project": "acme", "name": "pg-orders"}).status_code == 400


def test_powered_off_service_lists_no_nodes_and_no_components(fake, api):
    endpoint = create_endpoint(api)
    integration = create_integration(api, "pg-orders", endpoint["endpoint_id"])
    off = requests.post(fake.url + "/_sandbox/service_state",
                        json={"project": "acme", "name": "pg-orders", "state": "POWEROFF"}).json()["service"]
    service = api("GET", "/service/pg-orders").json()["service"]
    for shown in (off, service):
        assert shown["state"] == "POWEROFF"
        assert shown["components"] == [] and shown["node_states"] == []
    # Its configuration and integrations stay; the integration runs nowhere.
    [kept] = [i for i in service["service_integrations"] if i["service_integration_id"]]
    assert kept["service_integration_id"] == integration["service_integration_id"]
    assert kept["active"] is False and kept["integration_status"]["state"]["status"] == "inactive"
    assert [s["state"] for s in api("GET", "/service").json()["services"] if s["service_name"] == "pg-orders"] == [
        "POWEROFF"]
    fake.set_service_state("acme", "pg-orders", "RUNNING")
    assert prometheus_rows(api, "pg-orders")[0][:2] == ("dynamic", "primary")
    assert requests.post(fake.url + "/_sandbox/service_state",
                         json={"project": "acme", "name": "pg-orders", "state": "SLEEPING"}).status_code == 400


def test_service_update_merges_user_config_and_null_removes(api):
    before = api("GET", "/service/pg-orders").json()["service"]["user_config"]
    api("PUT", "/service/pg-orders", {"user_config": {"public_access": {"prometheus": True}}})
    after = api("PUT", "/service/pg-orders", {"user_config": {"public_access": {"pg": None}, "ip_filter": None}})
    config = after.json()["service"]["user_config"]
    assert config["pg_version"] == before["pg_version"]
    assert config["public_access"] == {"pgbouncer": False, "prometheus": True}
    assert "ip_filter" not in config


def test_public_access_prometheus_is_rejected_where_the_type_lacks_it(api):
    answer = api("PUT", "/service/grafana-ui", {"user_config": {"public_access": {"prometheus": True}}})
    assert_aiven_error(answer, 400, "prometheus")
    assert api("GET", "/service/grafana-ui").json()["service"]["user_config"]["public_access"] == {"grafana": False}
    assert api("PUT", "/service/pg-orders", {"user_config": {"public_access": {"prometheus": "yes"}}}).status_code == 400


def test_service_type_object_for_avn(api):
    pg = api("GET", "/service-types/pg").json()
    assert set(pg) == {"description", "default_version", "latest_available_version", "user_config_schema"}
    assert "prometheus" in pg["user_config_schema"]["properties"]["public_access"]["properties"]
    grafana = api("GET", "/service-types/grafana").json()["user_config_schema"]
    assert "prometheus" not in grafana["properties"]["public_access"]["properties"]
    types = api("GET", "/integration_endpoint_types").json()["endpoint_types"]
    prometheus = next(item for item in types if item["endpoint_type"] == "prometheus")
    assert set(prometheus["user_config_schema"]["properties"]) == {"basic_auth_username", "basic_auth_password"}


def test_project_ca(api):
    assert api("GET", "/kms/ca").json() == {"certificate": "-----BEGIN CERTIFICATE-----\nTEST\n-----END CERTIFICATE-----\n"}


def test_generated_project_ca_is_a_pem_certificate():
    fake = FakeAiven()
    project = fake.add_project("gen")
    assert project["ca_pem"].startswith("-----BEGIN CERTIFICATE-----")


def test_fault_times_retry_after_and_filters(fake, api):
    fake.inject_fault(status=429, times=2, method="GET", path="/service/pg-orders$", retry_after=3)
    assert api("GET", "/kms/ca").status_code == 200  # path filter
    assert api("PUT", "/service/pg-orders", {}).status_code == 200  # method filter
    faulted = [api("GET", "/service/pg-orders") for dummy in range(3)]
    assert [answer.status_code for answer in faulted] == [429, 429, 200]
    assert faulted[0].headers["Retry-After"] == "3"
    assert_aiven_error(faulted[0], 429, "Too many requests")
    fake.inject_fault(status=503, times=1, message="maintenance")
    assert_aiven_error(api("GET", "/kms/ca"), 503, "maintenance")
    assert "Retry-After" not in api("GET", "/kms/ca").headers


def test_fault_apply_first_performs_the_request_then_fails(fake, api):
    fake.inject_fault(status=502, times=1, method="POST", path="/integration_endpoint$", apply_first=True)
    lost = api("POST", "/integration_endpoint", {"endpoint_name": "prom", "endpoint_type": "prometheus",
                                                 "user_config": {}})
    assert lost.status_code == 502
    assert [e["endpoint_name"] for e in api("GET", "/integration_endpoint").json()["service_integration_endpoints"]] == ["prom"]
    assert [(r["method"], r["status"]) for r in fake.requests] == [("POST", 502), ("GET", 200)]


def test_fault_apply_first_500_on_a_create_and_a_delete(fake, api):
    # A write that took effect and was answered 500 (issue 11.6): the state changed all the same.
    endpoint = create_endpoint(api)
    fake.inject_fault(status=500, times=1, method="POST", path="/integration$", apply_first=True)
    answer = api("POST", "/integration", {"integration_type": "prometheus", "source_service": "pg-orders",
                                          "dest_endpoint_id": endpoint["endpoint_id"]})
    assert_aiven_error(answer, 500, "Internal Server Error")
    [stored] = fake.projects["acme"]["integrations"].values()
    assert stored["source_service"] == "pg-orders"
    fake.inject_fault(status=500, times=1, method="DELETE", apply_first=True)
    assert api("DELETE", "/integration/" + stored["service_integration_id"]).status_code == 500
    assert fake.projects["acme"]["integrations"] == {}


def test_fault_after_lets_the_first_matching_requests_through(fake, api):
    fake.inject_fault(status=500, times=1, method="GET", path="/kms/ca$", after=2)
    assert [api("GET", "/kms/ca").status_code for dummy in range(4)] == [200, 200, 500, 200]
    assert requests.post(fake.url + "/_sandbox/faults", json={"status": 500, "after": -1}).status_code == 400


def test_request_log_and_http_control_routes(fake, api):
    api("GET", "/service/pg-orders", include_secrets="true")
    api("PUT", "/service/pg-orders", {"user_config": {}})
    requests.get(fake.url + "/_sandbox/requests")
    assert fake.requests == [
        {"method": "GET", "path": "/v1/project/acme/service/pg-orders", "query": {"include_secrets": "true"},
         "body": None, "status": 200},
        {"method": "PUT", "path": "/v1/project/acme/service/pg-orders", "query": {}, "body": {"user_config": {}},
         "status": 200},
    ]
    assert [r["method"] for r in fake.writes()] == ["PUT"]
    assert requests.get(fake.url + "/_sandbox/requests").json()["requests"] == fake.requests
    assert requests.post(fake.url + "/_sandbox/clear").status_code == 200
    assert fake.requests == []

    assert requests.post(fake.url + "/_sandbox/faults", json={"status": 500, "times": 0}).status_code == 400
    assert requests.post(fake.url + "/_sandbox/faults", json={"status": 500, "times": 1}).status_code == 200
    assert api("GET", "/kms/ca").status_code == 500
    added = requests.post(fake.url + "/_sandbox/services", json={
        "project": "acme", "name": "mysql-late", "service_type": "mysql", "node_count": 2})
    assert added.json()["service"]["users"][0]["password"] == REDACTED
    assert api("GET", "/service/mysql-late").json()["service"]["node_count"] == 2
    assert requests.post(fake.url + "/_sandbox/services", json={"project": "acme", "name": "x",
                                                                "service_type": "nope"}).status_code == 400
    assert requests.post(fake.url + "/_sandbox/latency", json={"seconds": 0.2}).status_code == 200
    assert fake.latency == 0.2
    started = time.monotonic()
    api("GET", "/kms/ca")
    assert time.monotonic() - started >= 0.2


def test_command_line_prints_one_json_line_then_serves_until_sigterm(tmp_path):
    ca_file = tmp_path / "ca.pem"
    ca_file.write_text("-----BEGIN CERTIFICATE-----\nCLI\n-----END CERTIFICATE-----\n")
    proc = subprocess.Popen(
        [sys.executable, "tests/sandbox/fake_aiven.py", "--port", "0", "--project", "acme", "--ca-file", str(ca_file),
         "--service", "pg-orders:pg:2", "--service", "kafka-events:kafka:3:vpc:privatelink:privatelink",
         "--service", "pg-night:pg:1:poweroff"],
        stdout=subprocess.PIPE, text=True)
    try:
        info = json.loads(proc.stdout.readline())
        assert info["token"] == TOKEN and info["project"] == "acme"
        assert [(s["service_name"], s["node_count"], bool(s["project_vpc_id"]), s["state"])
                for s in info["services"]] == [
            ("pg-orders", 2, False, "RUNNING"), ("kafka-events", 3, True, "RUNNING"), ("pg-night", 1, False, "POWEROFF")]
        kafka_hosts = info["services"][1]["hosts"]
        assert kafka_hosts["privatelink_2"] == "privatelink-2-kafka-events-acme.aiven.test"
        assert "privatelink_1" not in info["services"][0]["hosts"]
        answer = requests.get(info["api_url"] + "/v1/project/acme/kms/ca", headers={"Authorization": "aivenv1 " + TOKEN})
        assert answer.json()["certificate"] == ca_file.read_text()
    finally:
        proc.terminate()
        assert proc.wait(timeout=10) == 0
