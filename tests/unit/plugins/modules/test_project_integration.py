"""project_integration: main() in process against the in-process fake Aiven API.

The module does in one call what integration_endpoint, service_integration and project_ca do in
three; these tests hold it to the same behaviour, the same request budget (four reads when
nothing changes) and every check before its first write.
"""
import pytest

from ansible_collections.aiven_tools.prometheus.plugins.modules import project_integration
from ansible_collections.aiven_tools.prometheus.tests.unit.plugins.modules.aiven_fake import (
    integrations,
    module_runners,
    no_retries,
    prepare,
    rows_by_name,
    user_config,
    warnings_seen,
    writes,
)
from sandbox.fake_aiven import running

TOKEN = "unit-pi-token-3b9a"
PASSWORD = "Scrape-pass-1234"
VPC = "vpc-0001"


@pytest.fixture(autouse=True)
def quick(monkeypatch):
    prepare(monkeypatch)


@pytest.fixture
def fake():
    services = [("pg-orders", "pg", 2), ("kafka-events", "kafka", 3, VPC), ("grafana-dash", "grafana", 1, VPC)]
    with running(TOKEN, services) as api:
        yield api


run, fail = module_runners(project_integration.main)
by_name = rows_by_name


def endpoints(fake):
    return list(fake.projects["acme"]["endpoints"].values())


# ------------------------------------------------------------------ arguments, before any request

@pytest.mark.parametrize("options, message", [
    ({}, "state is present but any of the following are missing: services, query"),
    ({"services": ["pg-orders"], "endpoint_name": "x" * 41}, "endpoint_name must be at most 40 characters (Aiven's limit)"),
    ({"services": ["pg-orders"], "username": "Bad User"},
     "username 'Bad User' is not valid for Aiven: use 5-32 characters of a-z, 0-9, '-', '@' and '_'"),
    ({"services": ["pg-orders"], "password": "short"}, "password must be 8-256 characters long (it has 5)"),
    ({"state": "absent"}, "state=absent needs services or query (whose integrations to remove), or remove_endpoint=true"),
    ({"services": ["pg-orders"], "access": ["everywhere"]}, None),
])
def test_bad_options_fail_in_one_line_before_any_request(fake, options, message):
    failure = fail(fake, **options)
    if message:
        assert failure["msg"] == message
    else:
        assert "everywhere" in failure["msg"]
    assert "\n" not in failure["msg"]
    assert fake.requests == []


# ------------------------------------------------------------------ present

def test_from_nothing_in_one_call_then_four_reads(fake):
    result = run(fake, query="[?service_type!='grafana']", username="promscraper", password=PASSWORD)
    assert result["changed"] is True
    [endpoint] = endpoints(fake)
    assert result["endpoint"] == {"id": endpoint["endpoint_id"], "name": "prometheus", "username": "promscraper",
                                  "port": 9273}
    assert result["ca_certificate"] == fake.projects["acme"]["ca_pem"]
    assert integrations(fake) == ["kafka-events", "pg-orders"]
    rows = by_name(result)
    assert set(rows) == {"pg-orders", "kafka-events"}
    assert rows["pg-orders"]["active"] is True and rows["pg-orders"]["actions"] == ["create_integration"]
    assert {(t["host"], t["usage"]) for t in rows["pg-orders"]["targets"]} == {
        ("pg-orders-acme.aiven.test", "primary"), ("replica-pg-orders-acme.aiven.test", "replica")}
    assert result["skipped_services"] == []
    assert PASSWORD not in repr(result) and TOKEN not in repr(result)

    fake.clear_requests()
    again = run(fake, query="[?service_type!='grafana']", username="promscraper", password=PASSWORD)
    assert again["changed"] is False
    # endpoint list + endpoint get + one service list + CA: what the three modules needed
    assert [(r["method"], r["path"].replace("/v1/project/acme", "")) for r in fake.requests] == [
        ("GET", "/integration_endpoint"), ("GET", "/integration_endpoint/" + endpoint["endpoint_id"]),
        ("GET", "/service"), ("GET", "/kms/ca")]
    assert fake.requests[1]["query"] == {"include_secrets": "true"}


def test_password_only_on_request(fake):
    result = run(fake, services=["pg-orders"], wait=False)
    assert "password" not in result["endpoint"]
    generated = endpoints(fake)[0]["user_config"]["basic_auth_password"]
    assert generated not in repr(result)
    result = run(fake, services=["pg-orders"], return_password=True)
    assert result["endpoint"]["password"] == generated


def test_password_and_ca_files_are_written_only_when_different(fake, tmp_path):
    """What enable.yml uses instead of two copy tasks: the files where the task runs."""
    password_file, ca_file = tmp_path / "pw", tmp_path / "ca.pem"
    options = dict(services=["pg-orders"], password=PASSWORD, password_file=str(password_file), ca_file=str(ca_file))
    planned = run(fake, check_mode=True, **options)
    assert planned["changed"] is True and not password_file.exists() and not ca_file.exists()
    result = run(fake, **options)
    assert result["password_file"] == str(password_file) and result["ca_file"] == str(ca_file)
    assert password_file.read_text() == PASSWORD + "\n" and oct(password_file.stat().st_mode & 0o777) == "0o600"
    assert ca_file.read_text() == fake.projects["acme"]["ca_pem"]
    assert PASSWORD not in repr(result)
    assert run(fake, **options)["changed"] is False
    password_file.write_text("stale\n")
    assert run(fake, **options)["changed"] is True and password_file.read_text() == PASSWORD + "\n"


def test_password_update_always_and_on_create(fake):
    run(fake, services=["pg-orders"], password=PASSWORD, wait=False)
    fake.clear_requests()
    assert run(fake, services=["pg-orders"], password="another-Pass-9", update_password="on_create")["changed"] is False
    assert writes(fake) == []
    result = run(fake, services=["pg-orders"], password="another-Pass-9", diff=True)
    assert result["changed"] is True
    assert [m for m, dummy in writes(fake)] == ["PUT"]
    assert endpoints(fake)[0]["user_config"]["basic_auth_password"] == "another-Pass-9"
    assert result["diff"]["before"]["endpoint"]["password"] == "(old)"
    assert result["diff"]["after"]["endpoint"] == {"id": endpoints(fake)[0]["endpoint_id"], "name": "prometheus",
                                                   "username": endpoints(fake)[0]["user_config"]["basic_auth_username"],
                                                   "port": 9273}


def test_check_mode_from_nothing_sends_no_write_and_shows_the_plan(fake):
    result = run(fake, check_mode=True, diff=True, services=["kafka-events"], access=["public", "private"],
                 username="promscraper")
    assert result["changed"] is True
    assert writes(fake) == []
    assert result["endpoint"] == {"id": None, "name": "prometheus", "username": "promscraper", "port": None}
    row = by_name(result)["kafka-events"]
    assert row["actions"] == ["enable_public_access", "enable_private_access", "create_integration"]
    assert row["integration_id"] is None
    assert result["diff"]["before"] == {"endpoint": {}, "services": {"kafka-events": {
        "prometheus_integration": False, "public_access_prometheus": False, "private_access_prometheus": False,
        "privatelink_access_prometheus": False}}}
    assert result["diff"]["after"]["endpoint"]["name"] == "prometheus"
    assert result["diff"]["after"]["services"]["kafka-events"]["private_access_prometheus"] is True
    assert result["ca_certificate"] == fake.projects["acme"]["ca_pem"]


def test_access_flags_and_routes(fake):
    fake.add_privatelink_connection("acme", "kafka-events", "plc-kafka-1")
    result = run(fake, services=["kafka-events"], access=["private", "privatelink"])
    assert user_config(fake, "kafka-events")["private_access"] == {"prometheus": True}
    assert user_config(fake, "kafka-events")["privatelink_access"] == {"prometheus": True}
    targets = by_name(result)["kafka-events"]["targets"]
    assert ("privatelink-1-kafka-events-acme.aiven.test", "plc-kafka-1") in [
        (t["host"], t["privatelink_connection_id"]) for t in targets if t["route"] == "privatelink"]
    assert "private-kafka-events-acme.aiven.test" in [t["host"] for t in targets if t["route"] == "private"]


def test_unsupported_access_fails_before_the_endpoint_is_created(fake):
    failure = fail(fake, query="[*]", access=["public"])
    assert failure["msg"] == ("public_access.prometheus does not exist for service type(s) of grafana-dash "
                              "(grafana has no access flag); nothing was changed")
    assert writes(fake) == [] and endpoints(fake) == []


def test_unknown_service_fails_before_any_write(fake):
    failure = fail(fake, services=["pg-orders", "nope"])
    assert failure["msg"].startswith("unknown service(s) in this project: nope")
    assert writes(fake) == []


def test_a_project_ca_that_is_no_certificate_fails_before_any_write(fake):
    fake.projects["acme"]["ca_pem"] = "not a certificate"
    failure = fail(fake, services=["pg-orders"])
    assert failure["msg"] == "the API returned no PEM certificate"
    assert writes(fake) == []


def test_api_errors_are_one_line_with_status(fake):
    failure = fail(fake, services=["pg-orders"], project="nope")
    assert failure["msg"] == "Aiven API GET /project/nope/integration_endpoint returned HTTP 404: Project 'nope' does not exist"
    assert failure["status"] == 404 and failure["error_code"] == "project_not_found"


def test_powered_off_service_is_skipped_with_a_warning(fake):
    fake.set_service_state("acme", "pg-orders", "POWEROFF")
    result = run(fake, query="[?service_type!='grafana']", wait_timeout=30)
    assert integrations(fake) == ["kafka-events"]
    assert result["skipped_services"] == [{"service": "pg-orders", "state": "POWEROFF", "reason": (
        "powered off: nothing was changed for it (no nodes to scrape); re-run after it is powered on")}]
    assert by_name(result)["pg-orders"]["targets"] == []
    assert warnings_seen() == ["not waited for, as they are not running: pg-orders (POWEROFF) (see skipped_services)"]
    # powered on again: the next run sets it up
    fake.set_service_state("acme", "pg-orders", "RUNNING")
    result = run(fake, query="[?service_type!='grafana']")
    assert result["changed"] is True and result["skipped_services"] == []
    assert integrations(fake) == ["kafka-events", "pg-orders"]


def test_failed_integration_write_keeps_the_new_endpoint_and_says_so(fake, monkeypatch):
    no_retries(monkeypatch)
    fake.inject_fault(status=500, times=1, method="POST", path="/integration$", message="Internal error")
    failure = fail(fake, services=["pg-orders"])
    assert failure["msg"] == ("Aiven API POST /project/acme/integration returned HTTP 500: Internal error; nothing was "
                              "changed (read back from Aiven); kept: endpoint prometheus created")
    assert failure["changed"] is True
    assert [e["endpoint_name"] for e in endpoints(fake)] == ["prometheus"]
    # no endpoint in a failure: callers that register with failed_when false (the role, enable.yml)
    # tell a failure by its absence
    assert "endpoint" not in failure and "ca_certificate" not in failure
    assert integrations(fake) == []


# ------------------------------------------------------------------ absent

def test_absent_removes_the_selected_integrations_and_keeps_the_endpoint(fake):
    run(fake, query="[?service_type!='grafana']", wait=False)
    fake.clear_requests()
    result = run(fake, services=["pg-orders"], state="absent", diff=True)
    assert result["changed"] is True
    assert result["removed_integrations"] == ["pg-orders"]
    assert integrations(fake) == ["kafka-events"]
    assert len(endpoints(fake)) == 1
    assert result["diff"]["before"]["endpoint"] == result["diff"]["after"]["endpoint"]
    assert "ca_certificate" not in result
    fake.clear_requests()
    again = run(fake, services=["pg-orders"], state="absent")
    assert again["changed"] is False and writes(fake) == []


def test_remove_endpoint_removes_every_integration_to_it(fake):
    run(fake, query="[?service_type!='grafana']", wait=False)
    check = run(fake, state="absent", remove_endpoint=True, check_mode=True)
    assert check["changed"] is True and check["removed_integrations"] == ["kafka-events", "pg-orders"]
    assert len(endpoints(fake)) == 1
    fake.clear_requests()
    result = run(fake, services=["pg-orders"], state="absent", remove_endpoint=True)
    assert result["changed"] is True
    assert result["removed_integrations"] == ["kafka-events", "pg-orders"]
    assert endpoints(fake) == [] and integrations(fake) == []
    # each integration deleted once, then the endpoint
    assert [m for m, dummy in writes(fake)] == ["DELETE", "DELETE", "DELETE"]
    assert writes(fake)[-1][1].startswith("/v1/project/acme/integration_endpoint/")
    assert result["diff"]["after"]["endpoint"] == {}
    again = run(fake, state="absent", remove_endpoint=True)
    assert again["changed"] is False and again["endpoint"] is None


def test_a_wait_that_times_out_fails_without_the_endpoint():
    with running(TOKEN, [("pg-orders", "pg", 1)], activation_reads=10 ** 6) as fake:
        failure = fail(fake, services=["pg-orders"], wait_timeout=0)
    assert failure["msg"] == ("the Prometheus integration is enabled but not active with targets after 0s for: "
                              "pg-orders; re-run to wait again; kept: endpoint prometheus created")
    assert failure["changed"] is True and "endpoint" not in failure
    assert failure["skipped_services"] == []
