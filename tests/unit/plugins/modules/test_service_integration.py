"""service_integration: main() in process against the in-process fake Aiven API.

The fake follows aiven-api.md (placeholders, early 404, redaction, fault injection); each test
asserts what the module returned AND what the fake now holds or was sent.
"""
import pytest

from ansible_collections.aiven_tools.prometheus.plugins.modules import service_integration
from ansible_collections.aiven_tools.prometheus.tests.unit.plugins.modules.aiven_fake import (
    deprecations_seen,
    integrations,
    module_runners,
    no_retries,
    prepare,
    rows_by_name,
    user_config,
    warnings_seen,
    writes,
)
from ansible_collections.aiven_tools.prometheus.tests.unit.plugins.modules.utils import api_args, api_call, run_module
from sandbox.fake_aiven import running

TOKEN = "unit-si-token-7d2e"
VPC = "vpc-0001"
INTEGRATION = "/v1/project/acme/integration"


@pytest.fixture(autouse=True)
def quick(monkeypatch):
    prepare(monkeypatch)


@pytest.fixture
def fake():
    services = [("pg-orders", "pg", 2), ("kafka-events", "kafka", 3, VPC), ("pg-vpc", "pg", 2, VPC),
                ("grafana-dash", "grafana", 1, VPC), ("flink-jobs", "flink", 1, VPC)]
    with running(TOKEN, services) as api:
        api_call(api, "POST", "/project/acme/integration_endpoint",
                 {"endpoint_name": "prometheus", "endpoint_type": "prometheus", "user_config": {}})
        api.clear_requests()
        yield api


run, fail = module_runners(service_integration.main)
by_name = rows_by_name


def endpoint_id(fake):
    [endpoint] = fake.projects["acme"]["endpoints"].values()
    return endpoint["endpoint_id"]


# ------------------------------------------------------------------ arguments

def test_services_or_query_is_required_and_nothing_is_sent(fake):
    failure = fail(fake)
    assert failure["msg"] == "one of the following is required: services, query"
    assert fake.requests == []


def test_access_takes_only_the_three_flags(fake):
    failure = fail(fake, services=["pg-vpc"], access=["public", "vpn"])
    assert "access" in failure["msg"] and "vpn" in failure["msg"]
    assert fake.requests == []


def test_token_from_the_environment_and_never_in_the_result(fake, monkeypatch):
    monkeypatch.setenv("AIVEN_TOKEN", TOKEN)
    args = api_args(fake, services=["pg-orders"], wait=False)
    del args["api_token"]
    result = run_module(service_integration.main, args)
    assert result["changed"] is True
    assert TOKEN not in repr(result)


def test_public_access_is_deprecated_but_still_turns_public_on(fake):
    result = run(fake, services=["kafka-events"], public_access=True)
    assert by_name(result)["kafka-events"]["actions"] == ["enable_public_access", "create_integration"]
    assert user_config(fake, "kafka-events")["public_access"]["prometheus"] is True
    assert any("public_access" in message for message in deprecations_seen())


def test_public_access_outside_vpc_is_a_deprecated_alias(fake):
    result = run(fake, services=["pg-orders"], access=["public"], public_access_outside_vpc=True, check_mode=True)
    assert by_name(result)["pg-orders"]["actions"] == ["enable_public_access", "create_integration"]
    assert any("public_access_outside_vpc" in message for message in deprecations_seen())


# ------------------------------------------------------------------ failures before any write

def test_unknown_service_fails_naming_it_and_writes_nothing(fake):
    failure = fail(fake, services=["pg-orders", "pg-typo"])
    assert failure["msg"].startswith("unknown service(s) in this project: pg-typo (the project has: ")
    assert writes(fake) == []


def test_missing_endpoint_says_how_to_create_it(fake):
    failure = fail(fake, services=["pg-orders"], endpoint="other")
    assert failure["msg"] == ("project acme has no prometheus endpoint named other; create it first with "
                              "aiven_tools.prometheus.integration_endpoint")


def test_two_endpoints_of_one_name_ask_for_the_id(fake):
    api_call(fake, "POST", "/project/acme/integration_endpoint",
             {"endpoint_name": "prometheus", "endpoint_type": "prometheus", "user_config": {}})
    failure = fail(fake, services=["pg-orders"])
    assert failure["msg"] == "project acme has 2 prometheus endpoints named prometheus; pass the endpoint ID instead"


def test_unsupported_access_fails_the_whole_call_before_any_write_even_in_check_mode(fake):
    for check_mode in (True, False):
        failure = fail(fake, check_mode=check_mode, services=["pg-vpc", "grafana-dash", "flink-jobs"],
                       access=["public", "privatelink"])
        assert failure["msg"] == (
            "public_access.prometheus and privatelink_access.prometheus do not exist for service type(s) of "
            "grafana-dash (grafana has no access flag), flink-jobs (flink has privatelink only); nothing was changed")
    assert writes(fake) == []
    # flink's one flag is fine on its own
    result = run(fake, services=["flink-jobs"], access=["privatelink"], check_mode=True)
    assert by_name(result)["flink-jobs"]["actions"] == ["enable_privatelink_access", "create_integration"]


def test_bad_query_is_one_line(fake):
    failure = fail(fake, query="[?")
    assert failure["msg"].startswith("query '[?' is not a valid JMESPath expression")
    assert "\n" not in failure["msg"]


# ------------------------------------------------------------------ present: check, diff, idempotence

def test_check_mode_plans_every_flag_and_sends_no_write(fake):
    result = run(fake, check_mode=True, diff=True, services=["pg-vpc", "pg-orders"],
                 access=["public", "private", "privatelink"])
    assert result["changed"] is True
    assert writes(fake) == []
    rows = by_name(result)
    assert rows["pg-vpc"]["actions"] == ["enable_public_access", "enable_private_access",
                                         "enable_privatelink_access", "create_integration"]
    # outside a VPC the dynamic name is public already: no flag (aiven-api.md 4.4)
    assert rows["pg-orders"]["actions"] == ["create_integration"]
    assert rows["pg-vpc"]["integration_id"] is None
    assert result["diff"]["before"]["pg-vpc"] == {
        "prometheus_integration": False, "public_access_prometheus": False, "private_access_prometheus": False,
        "privatelink_access_prometheus": False}
    assert result["diff"]["after"]["pg-vpc"] == {
        "prometheus_integration": True, "public_access_prometheus": True, "private_access_prometheus": True,
        "privatelink_access_prometheus": True}
    assert result["endpoint"] == {"id": endpoint_id(fake), "name": "prometheus"}


def test_every_route_is_returned_and_a_second_run_changes_nothing(fake):
    connection = fake.add_privatelink_connection("acme", "pg-vpc")
    args = dict(services=["pg-vpc", "kafka-events"], access=["public", "private", "privatelink"])
    result = run(fake, **args)
    assert result["changed"] is True
    # one PUT per service carries all its flags, then one POST per service
    # (in the project's order: kafka-events was created first)
    assert writes(fake) == [("PUT", "/v1/project/acme/service/kafka-events"), ("PUT", "/v1/project/acme/service/pg-vpc"),
                            ("POST", INTEGRATION), ("POST", INTEGRATION)]
    assert fake.writes()[1]["body"] == {"user_config": {"public_access": {"prometheus": True},
                                                        "private_access": {"prometheus": True},
                                                        "privatelink_access": {"prometheus": True}}}
    pg = by_name(result)["pg-vpc"]
    assert pg["active"] is True and pg["integration_id"]
    assert pg["prometheus_access"] == {"public": True, "private": True, "privatelink": True}
    routes = sorted((t["route"], t["usage"], t["host"], t["privatelink_connection_id"]) for t in pg["targets"])
    assert routes == [
        ("dynamic", "primary", "pg-vpc-acme.aiven.test", None),
        ("dynamic", "replica", "replica-pg-vpc-acme.aiven.test", None),
        ("private", "primary", "private-pg-vpc-acme.aiven.test", None),
        ("private", "replica", "private-replica-pg-vpc-acme.aiven.test", None),
        ("privatelink", "primary", "privatelink-1-pg-vpc-acme.aiven.test", connection),
        ("privatelink", "replica", "privatelink-1-replica-pg-vpc-acme.aiven.test", connection),
        ("public", "primary", "public-pg-vpc-acme.aiven.test", None),
        ("public", "replica", "public-replica-pg-vpc-acme.aiven.test", None),
    ]
    # kafka-events has no PrivateLink connection: the flag is on, no privatelink target, no wait
    assert {t["route"] for t in by_name(result)["kafka-events"]["targets"]} == {"dynamic", "public", "private"}

    fake.clear_requests()
    again = run(fake, **args)
    assert again["changed"] is False
    assert writes(fake) == []
    assert len(fake.requests) == 2  # endpoint list + one service list, however many services
    assert all(row["actions"] == [] for row in again["services"])


def test_endpoint_given_by_id_saves_the_lookup(fake):
    result = run(fake, services=["pg-orders"], endpoint=endpoint_id(fake), wait=False)
    assert result["endpoint"] == {"id": endpoint_id(fake), "name": None}
    assert [r["path"] for r in fake.requests][0] == "/v1/project/acme/service"
    fake.clear_requests()
    again = run(fake, services=["pg-orders"], endpoint=endpoint_id(fake), wait=False)
    assert again["endpoint"]["name"] == "prometheus"  # named from the integration it found
    assert len(fake.requests) == 1


def test_wait_false_returns_at_once_and_a_later_run_waits_for_active(fake):
    result = run(fake, services=["pg-orders"], wait=False)
    assert by_name(result)["pg-orders"]["active"] is False
    again = run(fake, services=["pg-orders"])
    assert again["changed"] is False
    assert by_name(again)["pg-orders"]["active"] is True  # nothing changed, but it waited


def test_wait_timeout_names_the_late_services(monkeypatch):
    with running(TOKEN, [("pg-orders", "pg", 1)], activation_reads=10 ** 6) as fake:
        api_call(fake, "POST", "/project/acme/integration_endpoint",
                 {"endpoint_name": "prometheus", "endpoint_type": "prometheus", "user_config": {}})
        failure = fail(fake, services=["pg-orders"], wait_timeout=0)
    assert failure["msg"] == ("the Prometheus integration is enabled but not active with targets after 0s for: "
                              "pg-orders; re-run to wait again")
    assert failure["changed"] is True
    assert failure["services"][0]["integration_id"]


# ------------------------------------------------------------------ services that are not running (11.2)

def test_powered_off_service_is_left_alone_skipped_and_not_waited_for():
    with running(TOKEN, [("pg-orders", "pg", 2), ("pg-night", "pg", 1, VPC)], activation_reads=1) as fake:
        api_call(fake, "POST", "/project/acme/integration_endpoint",
                 {"endpoint_name": "prometheus", "endpoint_type": "prometheus", "user_config": {}})
        fake.set_service_state("acme", "pg-night", "POWEROFF")
        fake.clear_requests()
        result = run(fake, query="[*]", access=["public"], wait_timeout=30)
        assert integrations(fake) == ["pg-orders"]
        assert user_config(fake, "pg-night")["public_access"]["prometheus"] is False
        assert ("PUT", "/v1/project/acme/service/pg-night") not in writes(fake)
    assert result["changed"] is True
    assert by_name(result)["pg-night"]["actions"] == []
    assert by_name(result)["pg-orders"]["active"] is True
    assert result["skipped_services"] == [{"service": "pg-night", "state": "POWEROFF", "reason": (
        "powered off: nothing was changed for it (no nodes to scrape); re-run after it is powered on")}]
    assert warnings_seen() == ["not waited for, as they are not running: pg-night (POWEROFF) (see skipped_services)"]


def test_rebuilding_service_gets_its_integration_but_is_not_waited_for():
    # Integrations never become active here: only a service that is waited for could time out.
    with running(TOKEN, [("pg-busy", "pg", 1)], activation_reads=10 ** 6) as fake:
        api_call(fake, "POST", "/project/acme/integration_endpoint",
                 {"endpoint_name": "prometheus", "endpoint_type": "prometheus", "user_config": {}})
        fake.set_service_state("acme", "pg-busy", "REBUILDING")
        result = run(fake, services=["pg-busy"], wait_timeout=600)
        assert integrations(fake) == ["pg-busy"]
    assert result["changed"] is True
    assert by_name(result)["pg-busy"]["actions"] == ["create_integration"]
    assert result["skipped_services"] == [{"service": "pg-busy", "state": "REBUILDING", "reason": (
        "REBUILDING: not waited for; its targets are listed again once it is RUNNING")}]


# ------------------------------------------------------------------ absent

def test_absent_removes_only_the_integrations_and_twice_is_a_no_op(fake):
    run(fake, services=["pg-vpc", "pg-orders"], access=["public"])
    fake.clear_requests()
    result = run(fake, services=["pg-vpc", "pg-orders"], state="absent", diff=True)
    assert result["changed"] is True
    assert integrations(fake) == []
    assert [m for m, dummy in writes(fake)] == ["DELETE", "DELETE"]
    assert user_config(fake, "pg-vpc")["public_access"]["prometheus"] is True  # flags stay
    assert result["diff"]["after"]["pg-vpc"]["prometheus_integration"] is False
    assert all(row["actions"] == ["delete_integration"] and row["integration_id"] is None
               for row in result["services"])
    fake.clear_requests()
    assert run(fake, services=["pg-vpc", "pg-orders"], state="absent")["changed"] is False
    assert writes(fake) == []


def test_absent_with_no_such_endpoint_changes_nothing(fake):
    result = run(fake, services=["pg-orders"], endpoint="gone", state="absent")
    assert result["changed"] is False
    assert result["endpoint"] == {"id": None, "name": "gone"}


def test_absent_check_mode_sends_no_delete(fake):
    run(fake, services=["pg-orders"])
    fake.clear_requests()
    result = run(fake, services=["pg-orders"], state="absent", check_mode=True)
    assert result["changed"] is True and writes(fake) == []
    assert integrations(fake) == ["pg-orders"]


# ------------------------------------------------------------------ failed writes (issue 11.6)

def test_create_answered_500_after_it_took_effect_is_not_sent_twice(fake):
    fake.inject_fault(status=500, times=1, method="POST", path="/integration$", apply_first=True, after=1)
    result = run(fake, services=["pg-orders", "pg-vpc"])
    assert result["changed"] is True
    assert integrations(fake) == ["pg-orders", "pg-vpc"]
    assert writes(fake) == [("POST", INTEGRATION)] * 2  # the retry read first and found it


def test_without_retries_the_created_then_500_integration_is_found_and_undone(fake, monkeypatch):
    no_retries(monkeypatch)
    fake.inject_fault(status=500, times=1, method="POST", path="/integration$", apply_first=True, after=1,
                      message="Internal error")
    failure = fail(fake, services=["pg-orders", "pg-vpc"])
    assert failure["msg"] == (
        "Aiven API POST /project/acme/integration returned HTTP 500: Internal error; undid what had taken effect: "
        "integration of pg-orders, integration of pg-vpc; nothing is left changed (read back from Aiven)")
    assert failure["changed"] is False
    assert integrations(fake) == []
    assert [row["integration_id"] for row in failure["services"]] == [None, None]


def test_a_single_created_then_500_integration_is_not_called_nothing(fake, monkeypatch):
    no_retries(monkeypatch)
    fake.inject_fault(status=500, times=1, method="POST", path="/integration$", apply_first=True)
    failure = fail(fake, services=["pg-orders"])
    assert "nothing was changed" not in failure["msg"]
    assert "undid what had taken effect: integration of pg-orders" in failure["msg"]
    assert integrations(fake) == []


def test_an_undo_that_fails_is_reported_as_still_in_place(fake, monkeypatch):
    no_retries(monkeypatch)
    fake.inject_fault(status=500, times=1, method="POST", path="/integration$", apply_first=True, after=1)
    fake.inject_fault(status=503, times=1, method="DELETE", message="try later")
    failure = fail(fake, services=["pg-orders", "pg-vpc"])
    assert failure["changed"] is True
    left = integrations(fake)
    assert len(left) == 1
    assert ("could NOT undo integration of %s (still in place, read back from Aiven; the undo met: Aiven API DELETE "
            % left[0]) in failure["msg"]
    assert failure["msg"].endswith("HTTP 503: try later): fix by hand")


def test_an_undo_answered_500_after_it_took_effect_counts_as_undone(fake, monkeypatch):
    no_retries(monkeypatch)
    fake.inject_fault(status=500, times=1, method="POST", path="/integration$", apply_first=True)
    fake.inject_fault(status=500, times=1, method="DELETE", apply_first=True)
    failure = fail(fake, services=["pg-orders"])
    assert failure["changed"] is False and integrations(fake) == []
    assert failure["msg"].endswith("nothing is left changed (read back from Aiven)")


def test_failed_flag_write_undoes_nothing_it_did_not_do(fake, monkeypatch):
    no_retries(monkeypatch)
    fake.inject_fault(status=500, times=1, method="PUT", after=1, message="Internal error")
    failure = fail(fake, services=["pg-vpc", "kafka-events"], access=["public"])
    assert failure["msg"] == ("Aiven API PUT /project/acme/service/pg-vpc returned HTTP 500: Internal error; "
                              "undid what had taken effect: public_access of kafka-events; nothing is left changed "
                              "(read back from Aiven)")
    assert user_config(fake, "kafka-events")["public_access"]["prometheus"] is False
    assert fake.writes()[-1]["body"] == {"user_config": {"public_access": {"prometheus": False}}}


def test_nothing_took_effect_says_so(fake, monkeypatch):
    no_retries(monkeypatch)
    fake.inject_fault(status=500, times=1, method="POST", message="Internal error")
    failure = fail(fake, services=["pg-orders"])
    assert failure["msg"].endswith("HTTP 500: Internal error; nothing was changed (read back from Aiven)")
    assert failure["changed"] is False and failure["status"] == 500


def test_read_back_that_fails_too_says_check_by_hand(fake, monkeypatch):
    no_retries(monkeypatch)
    fake.inject_fault(status=500, times=1, method="POST", apply_first=True, message="Internal error")
    fake.inject_fault(status=503, times=1, method="GET", path="/service$", after=1, message="busy")
    failure = fail(fake, services=["pg-orders"])
    assert failure["msg"] == ("Aiven API POST /project/acme/integration returned HTTP 500: Internal error; reading "
                              "back what took effect failed too (Aiven API GET /project/acme/service returned HTTP "
                              "503: busy): check pg-orders by hand")
    assert failure["changed"] is True


def test_absent_that_fails_part_way_says_what_is_gone(fake, monkeypatch):
    run(fake, services=["pg-orders", "pg-vpc"], wait=False)
    no_retries(monkeypatch)
    fake.inject_fault(status=500, times=1, method="DELETE", after=1, message="Internal error")
    failure = fail(fake, services=["pg-orders", "pg-vpc"], state="absent")
    assert failure["msg"].endswith("HTTP 500: Internal error; removed: integration of pg-orders; still present: "
                                   "pg-vpc (re-run to remove them)")
    assert failure["changed"] is True
    assert integrations(fake) == ["pg-vpc"]
