"""The API client's policies, without a network: retries, Retry-After, errors, POST reconcile."""
import json

import pytest
import requests

from ansible_collections.aiven_tools.prometheus.plugins.module_utils import aiven
from ansible_collections.aiven_tools.prometheus.plugins.module_utils.aiven import (
    AivenAPI,
    AivenAPIError,
    SelectionError,
    error_message,
    select_services,
    service_view,
)

TOKEN = "unit-test-token-6c1f"


class Response:
    def __init__(self, status, body=None, headers=None, reason="Reason"):
        self.status_code = status
        self.headers = headers or {}
        self.reason = reason
        self.content = b"" if body is None else json.dumps(body).encode()

    def json(self):
        if not self.content:
            raise ValueError("no body")
        return json.loads(self.content)


class Session:
    """Plays back scripted answers and records what was sent."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.sent = []
        self.headers = {}

    def request(self, method, url, **kwargs):
        self.sent.append((method, url, kwargs))
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


class Clock:
    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds

    def __call__(self):
        return self.now


def client(session, **kwargs):
    clock = Clock()
    kwargs.setdefault("wait_min", 1.0)
    kwargs.setdefault("wait_max", 15.0)
    api = AivenAPI(TOKEN, api_url="http://127.0.0.1:1/", session=session, sleep=clock.sleep, clock=clock, **kwargs)
    return api, clock


def test_sends_aivenv1_token_and_joins_base_url():
    session = Session(Response(200, {"certificate": "PEM"}))
    api, dummy = client(session)
    assert api.get_project_ca("my proj") == "PEM"
    method, url, dummy = session.sent[0]
    assert (method, url) == ("GET", "http://127.0.0.1:1/v1/project/my%20proj/kms/ca")
    assert session.headers["Authorization"] == "aivenv1 " + TOKEN


def test_429_honours_retry_after_then_succeeds():
    session = Session(
        Response(429, {"message": "Too many requests"}, {"Retry-After": "3"}),
        Response(429, {"message": "Too many requests"}, {"Retry-After": "0"}),
        Response(200, {"services": []}),
    )
    api, clock = client(session)
    assert api.list_services("p") == []
    assert clock.sleeps == [3.0, 0.0]


def test_503_backs_off_exponentially_and_is_bounded():
    session = Session(*[Response(503, {"message": "try later"})] * 10)
    api, clock = client(session, max_attempts=4)
    with pytest.raises(AivenAPIError) as err:
        api.list_services("p")
    assert len(session.sent) == 4
    assert len(clock.sleeps) == 3
    # 1, 2, 4 seconds, each with up to 20 % jitter downwards
    for got, base in zip(clock.sleeps, [1, 2, 4]):
        assert 0.8 * base <= got <= base
    assert "HTTP 503: try later (gave up after 4 attempts)" in str(err.value)


def test_retry_budget_stops_before_a_long_retry_after():
    session = Session(Response(429, {"message": "slow down"}, {"Retry-After": "500"}))
    api, clock = client(session, retry_budget=120)
    with pytest.raises(AivenAPIError) as err:
        api.list_services("p")
    assert clock.sleeps == []
    assert err.value.status == 429


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 417])
def test_other_errors_are_not_retried(status):
    session = Session(Response(status, {"message": "nope", "errors": [{"message": "nope", "status": status}]}))
    api, dummy = client(session)
    with pytest.raises(AivenAPIError) as err:
        api.list_services("p")
    assert len(session.sent) == 1
    assert err.value.status == status
    assert str(err.value).startswith("Aiven API GET /project/p/service returned HTTP %d: nope" % status)


def test_error_text_never_holds_the_raw_body_or_token():
    body = {"message": "Invalid input", "errors": [{"message": "Invalid input", "status": 400}],
            "service": {"password": "s3cret-in-body"}}
    api, dummy = client(Session(Response(400, body)))
    with pytest.raises(AivenAPIError) as err:
        api.list_services("p")
    assert "s3cret-in-body" not in str(err.value)
    assert TOKEN not in str(err.value)


def test_403_explains_the_token():
    api, dummy = client(Session(Response(403, {"message": "Authentication failed",
                                               "errors": [{"error_code": "authentication_failed",
                                                           "message": "Authentication failed", "status": 403}]})))
    with pytest.raises(AivenAPIError) as err:
        api.list_services("p")
    assert err.value.error_code == "authentication_failed"
    assert "check api_token" in str(err.value)


@pytest.mark.parametrize("body, expected", [
    ({"message": "Top", "errors": [{"message": "inner", "status": 400}]}, "Top"),
    ({"errors": [{"message": "a", "status": 400}, {"message": "b", "status": 400}]}, "a; b"),
    ({"errors": ["plain string one", "two"]}, "plain string one; two"),
    ({"errors": "just a string"}, "just a string"),
    ({"unexpected": True}, "fallback"),
    (None, "fallback"),
    (["not", "a", "dict"], "fallback"),
])
def test_error_message_shapes(body, expected):
    assert error_message(body, "fallback") == expected


def test_connection_errors_are_retried_and_described_without_secrets():
    session = Session(requests.exceptions.ConnectionError("boom " + "x" * 10), Response(200, {"services": []}))
    api, clock = client(session)
    assert api.list_services("p") == []
    assert len(clock.sleeps) == 1

    session = Session(*[requests.exceptions.ConnectionError("refused")] * 3)
    api, dummy = client(session, max_attempts=3)
    with pytest.raises(AivenAPIError) as err:
        api.list_services("p")
    assert str(err.value) == ("Aiven API GET /project/p/service failed: cannot reach http://127.0.0.1:1/v1 "
                              "(ConnectionError) (gave up after 3 attempts)")


def test_post_is_not_resent_when_the_first_attempt_took_effect():
    created = {"service_integration_id": "i-1", "integration_type": "prometheus", "dest_endpoint_id": "e-1"}
    session = Session(
        Response(504, {"message": "Gateway timeout"}),             # POST applied, answer lost
        Response(200, {"service": {"service_name": "pg", "service_integrations": [created]}}),  # reconcile
    )
    api, dummy = client(session)
    assert api.create_prometheus_integration("p", "pg", "e-1") == created
    assert [m for m, dummy, dummy in session.sent] == ["POST", "GET"]


def test_post_is_resent_when_reconcile_finds_nothing():
    created = {"service_integration_id": "i-1"}
    session = Session(
        Response(503, {"message": "busy"}),
        Response(200, {"service": {"service_name": "pg", "service_integrations": []}}),
        Response(200, {"service_integration": created}),
    )
    api, dummy = client(session)
    assert api.create_prometheus_integration("p", "pg", "e-1") == created
    assert [m for m, dummy, dummy in session.sent] == ["POST", "GET", "POST"]


@pytest.mark.parametrize("status", [500, 501, 502, 503, 504, 408])
def test_5xx_and_408_are_retried_like_aivens_go_clients(status):
    # aiven-api.md 7.2: go-retryablehttp retries every 5xx (501 by Aiven's own rule) and 408.
    session = Session(Response(status, {"message": "hiccup"}), Response(200, {"services": []}))
    api, clock = client(session)
    assert api.list_services("p") == []
    assert len(session.sent) == 2 and len(clock.sleeps) == 1


def test_a_single_attempt_names_no_give_up():
    api, dummy = client(Session(Response(500, {"message": "Internal error"})), max_attempts=1)
    with pytest.raises(AivenAPIError) as err:
        api.list_services("p")
    assert str(err.value) == "Aiven API GET /project/p/service returned HTTP 500: Internal error"


def test_post_without_reconcile_is_never_resent():
    session = Session(Response(500, {"message": "Internal error"}), Response(200, {}))
    api, clock = client(session)
    with pytest.raises(AivenAPIError) as err:
        api.request("POST", "/project/p/something", body={})
    assert err.value.status == 500
    assert len(session.sent) == 1 and clock.sleeps == []


def test_post_500_that_took_effect_is_found_not_resent():
    # Issue 11.6: the create for pg was carried out and answered 500; the retry reads first.
    created = {"service_integration_id": "i-1", "integration_type": "prometheus", "dest_endpoint_id": "e-1"}
    session = Session(
        Response(500, {"message": "Internal error"}),
        Response(200, {"service": {"service_name": "pg", "service_integrations": [created]}}),
    )
    api, dummy = client(session)
    assert api.create_prometheus_integration("p", "pg", "e-1") == created
    assert [m for m, dummy, dummy in session.sent] == ["POST", "GET"]


def test_delete_retried_after_it_took_effect_counts_as_done():
    session = Session(Response(502, {"message": "Bad gateway"}), Response(404, {"message": "Service integration not found"}))
    api, dummy = client(session)
    api.delete_integration("p", "i-1")
    assert [m for m, dummy, dummy in session.sent] == ["DELETE", "DELETE"]
    # ... but a first answer of 404 is an error: the object was not there to delete.
    api, dummy = client(Session(Response(404, {"message": "Service integration not found"})))
    with pytest.raises(AivenAPIError) as err:
        api.delete_integration("p", "i-1")
    assert err.value.status == 404


def test_aiven_specific_retries_417_on_delete_and_service_lag_404_on_post():
    session = Session(Response(417, {"message": "pending"}), Response(200, {}))
    api, dummy = client(session)
    api.delete_integration("p", "i-1")
    assert len(session.sent) == 2
    created = {"service_integration_id": "i-2"}
    session = Session(
        Response(404, {"message": "Service pg does not exist"}),
        Response(200, {"service": {"service_name": "pg", "service_integrations": []}}),
        Response(200, {"service_integration": created}),
    )
    api, dummy = client(session)
    assert api.create_prometheus_integration("p", "pg", "e-1") == created


def test_empty_and_204_bodies_are_success():
    api, dummy = client(Session(Response(204), Response(200)))
    api.delete_integration("p", "i")
    api.delete_endpoint("p", "e")


def test_retry_knobs_follow_aiven_go_client_environment(monkeypatch):
    monkeypatch.setenv("AIVEN_CLIENT_RETRY_MAX", "2")
    monkeypatch.setenv("AIVEN_CLIENT_RETRY_WAIT_MIN", "0.01")
    api = AivenAPI(TOKEN, session=Session())
    assert api.max_attempts == 3
    assert api.wait_min == 0.01


SERVICES = [
    {"service_name": "pg-orders", "service_type": "pg", "state": "RUNNING", "project_vpc_id": None,
     "service_uri": "postgres://avnadmin:hunter22@host:1/db", "users": [{"password": "hunter22"}],
     "components": [{"component": "prometheus", "host": "pg-orders.example", "port": 9273, "route": "dynamic",
                     "usage": "primary"},
                    {"component": "pg", "host": "pg-orders.example", "port": 5432, "route": "dynamic",
                     "usage": "primary"}],
     "service_integrations": [
         {"service_integration_id": None, "integration_type": "prometheus", "dest_endpoint_id": None},
         {"service_integration_id": "i-1", "integration_type": "prometheus", "dest_endpoint_id": "e-1",
          "dest_endpoint": "scrape", "active": True, "enabled": True}],
     "user_config": {"public_access": {"prometheus": True}}},
    {"service_name": "kafka-events", "service_type": "kafka", "state": "RUNNING", "project_vpc_id": "vpc-1"},
]


def test_service_view_keeps_targets_and_drops_secrets():
    view = service_view(SERVICES[0])
    assert "hunter22" not in json.dumps(view)
    assert view["targets"] == [{"host": "pg-orders.example", "port": 9273, "route": "dynamic", "usage": "primary",
                                "privatelink_connection_id": None}]
    assert view["prometheus_access"] == {"public": True, "private": False, "privatelink": False}
    assert view["prometheus_integrations"] == [{"id": "i-1", "endpoint_id": "e-1", "endpoint_name": "scrape",
                                                "active": True, "enabled": True}]
    assert view["public_access_prometheus"] is True


def test_select_by_names_query_and_union():
    assert [s["service_name"] for s in select_services(SERVICES, ["kafka-events"])] == ["kafka-events"]
    assert [s["service_name"] for s in select_services(SERVICES, None, "[?service_type=='pg']")] == ["pg-orders"]
    assert [s["service_name"] for s in select_services(SERVICES, ["kafka-events"], "[?service_type=='pg'].service_name")] \
        == ["pg-orders", "kafka-events"]
    assert select_services(SERVICES, None, "[?service_type=='mysql']") == []


def test_select_rejects_unknown_names_and_bad_queries():
    with pytest.raises(SelectionError, match="unknown service.*nope, typo"):
        select_services(SERVICES, ["typo", "pg-orders", "nope"])
    with pytest.raises(SelectionError, match="not a valid JMESPath"):
        select_services(SERVICES, None, "[?")
    with pytest.raises(SelectionError, match="must give a list"):
        select_services(SERVICES, None, "length(@)")


def test_query_cannot_reach_secrets():
    assert select_services(SERVICES, None, "[?contains(to_string(@), 'hunter22')]") == []


def test_missing_token_is_refused():
    with pytest.raises(ValueError):
        AivenAPI("", session=Session())


def test_access_types_match_the_schema_list():
    # aiven-api.md section 5: flink has only privatelink; grafana, kafka_mirrormaker, thanos none.
    types = aiven.PROMETHEUS_ACCESS_TYPES
    assert types["public"] == types["private"] == aiven.PUBLIC_ACCESS_PROMETHEUS_TYPES
    assert types["privatelink"] - types["public"] == {"flink"}
    for service_type in ("grafana", "kafka_mirrormaker", "thanos"):
        assert not any(service_type in kinds for kinds in types.values())
    assert {"pg", "kafka", "mysql", "clickhouse", "dragonfly", "kafka_connect", "opensearch", "valkey"} == types["public"]


def test_access_user_config_is_sparse():
    assert aiven.access_user_config(["public", "privatelink"]) == {
        "public_access": {"prometheus": True}, "privatelink_access": {"prometheus": True}}
    assert aiven.access_user_config(["private"], on=False) == {"private_access": {"prometheus": False}}


def test_privatelink_targets_carry_their_connection():
    service = {"components": [
        {"component": "prometheus", "host": "privatelink-1-pg.example", "port": 9273, "route": "privatelink",
         "usage": "primary", "privatelink_connection_id": "plc-1"},
        {"component": "pg", "host": "privatelink-1-pg.example", "port": 5432, "route": "privatelink",
         "usage": "primary", "privatelink_connection_id": "plc-1"}]}
    assert aiven.prometheus_targets(service) == [{"host": "privatelink-1-pg.example", "port": 9273,
                                                  "route": "privatelink", "usage": "primary",
                                                  "privatelink_connection_id": "plc-1"}]


def test_wait_for_services_polls_one_list_until_ready_and_reports_a_timeout():
    lists = [{"services": [{"service_name": "pg", "state": "REBUILDING"}]},
             {"services": [{"service_name": "pg", "state": "RUNNING"}]}]
    api, clock = client(Session(*[Response(200, body) for body in lists]))
    services, done = api.wait_for_services("p", lambda by_name: by_name["pg"]["state"] == "RUNNING", 10, 2)
    assert done is True and services["pg"]["state"] == "RUNNING"
    assert clock.sleeps == [2]

    api, clock = client(Session(*[Response(200, lists[0])] * 4))
    services, done = api.wait_for_services("p", lambda by_name: False, 5, 2)
    assert done is False and services["pg"]["state"] == "REBUILDING"  # the last read, for the message
    assert sum(clock.sleeps) == 5  # the last read happens at the deadline, not after it
