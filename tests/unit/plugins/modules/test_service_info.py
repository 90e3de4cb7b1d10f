"""service_info through its options and returns, against the in-process fake Aiven API."""
import json

import pytest

from ansible_collections.aiven_tools.prometheus.plugins.modules import service_info
from ansible_collections.aiven_tools.prometheus.tests.unit.plugins.modules.utils import (
    api_args,
    api_call,
    fail_module,
    integrate,
    make_endpoint,
    run_module,
)
from sandbox.fake_aiven import running

TOKEN = "tok-unit-service-info-5e02"
VPC = "0d6f7c9e-1a2b-4c3d-8e9f-a0b1c2d3e4f5"
SERVICES = [("pg-orders", "pg", 2), ("kafka-events", "kafka", 3), ("pg-vpc", "pg", 1, VPC)]
# What the module documents for each service (RETURN); it may add fields, never drop these.
VIEW_KEYS = {"service_name", "service_type", "state", "plan", "cloud_name", "project_vpc_id", "node_count",
             "nodes", "tags", "public_access_prometheus", "prometheus_integrations", "targets"}
TARGET_KEYS = ("host", "port", "route", "usage")
# Keys of Aiven's raw service object that hold secrets or lead to them.
RAW_SECRET_KEYS = {"users", "service_uri", "service_uri_params", "connection_info", "connection_pools"}


@pytest.fixture
def fake():
    with running(TOKEN, SERVICES) as api:
        yield api


def names(result):
    return [s["service_name"] for s in result["services"]]


def enable_prometheus(fake, *services):
    """An endpoint and integrations made elsewhere (the console, another run); the endpoint."""
    endpoint = make_endpoint(fake)
    integrate(fake, endpoint, *services)
    return endpoint


def test_every_service_as_a_view_without_secrets(fake):
    result = run_module(service_info.main, api_args(fake))
    assert result["changed"] is False
    assert "diff" not in result
    assert names(result) == ["pg-orders", "kafka-events", "pg-vpc"]
    orders = result["services"][0]
    assert VIEW_KEYS <= set(orders)
    assert not RAW_SECRET_KEYS & set(orders)
    assert (orders["service_type"], orders["state"], orders["node_count"], orders["project_vpc_id"]) == (
        "pg", "RUNNING", 2, None)
    assert [(n["name"], n["role"]) for n in orders["nodes"]] == [("pg-orders-1", "master"), ("pg-orders-2", "standby")]
    assert result["services"][2]["project_vpc_id"] == VPC
    # Raw service objects hold the admin password and URIs; none of it may come back.
    dumped = json.dumps(result)
    for service in fake.projects["acme"]["services"].values():
        for user in service["users"]:
            assert user["password"] not in dumped
    assert TOKEN not in dumped
    assert "service_uri" not in dumped and "connection_info" not in dumped
    assert [(r["method"], r["path"]) for r in fake.requests] == [("GET", "/v1/project/acme/service")]


def test_no_integration_means_no_targets_not_even_from_placeholders(fake):
    result = run_module(service_info.main, api_args(fake, services=["pg-orders"]))
    assert result["services"][0]["prometheus_integrations"] == []
    assert result["services"][0]["targets"] == []
    assert result["services"][0]["public_access_prometheus"] is False


def test_enabled_integration_gives_targets_for_primary_and_replica(fake):
    endpoint = enable_prometheus(fake, "pg-orders")
    orders = run_module(service_info.main, api_args(fake, services=["pg-orders"]))["services"][0]
    [integration] = orders["prometheus_integrations"]
    assert (integration["endpoint_id"], integration["endpoint_name"], integration["enabled"]) == (
        endpoint["endpoint_id"], "prometheus", True)
    assert integration["id"]
    assert [{k: t[k] for k in TARGET_KEYS} for t in orders["targets"]] == [
        {"host": "pg-orders-acme.aiven.test", "port": 9273, "route": "dynamic", "usage": "primary"},
        {"host": "replica-pg-orders-acme.aiven.test", "port": 9273, "route": "dynamic", "usage": "replica"},
    ]


def test_public_access_on_a_vpc_service_adds_public_targets(fake):
    enable_prometheus(fake, "pg-vpc")
    api_call(fake, "PUT", "/project/acme/service/pg-vpc", {"user_config": {"public_access": {"prometheus": True}}})
    vpc = run_module(service_info.main, api_args(fake, services=["pg-vpc"]))["services"][0]
    assert vpc["public_access_prometheus"] is True
    assert [(t["route"], t["host"]) for t in vpc["targets"]] == [
        ("dynamic", "pg-vpc-acme.aiven.test"), ("public", "public-pg-vpc-acme.aiven.test")]


def test_services_select_in_the_project_order(fake):
    result = run_module(service_info.main, api_args(fake, services=["pg-vpc", "pg-orders"]))
    assert names(result) == ["pg-orders", "pg-vpc"]


@pytest.mark.parametrize("query, expected", [
    ("[?service_type=='kafka']", ["kafka-events"]),
    ("[?service_type=='pg'].service_name", ["pg-orders", "pg-vpc"]),
    ("[?project_vpc_id != null]", ["pg-vpc"]),
    ("[?service_type=='mysql']", []),
])
def test_query_selects_over_the_views(fake, query, expected):
    assert names(run_module(service_info.main, api_args(fake, query=query))) == expected


def test_services_and_query_give_the_union(fake):
    result = run_module(service_info.main, api_args(fake, services=["pg-vpc"], query="[?service_type=='kafka']"))
    assert names(result) == ["kafka-events", "pg-vpc"]


def test_a_query_cannot_reach_a_secret(fake):
    # The query runs over the views, so the raw objects' users/passwords are not there to select.
    assert names(run_module(service_info.main, api_args(fake, query="[?users]"))) == []


@pytest.mark.parametrize("options, message", [
    ({"services": ["nope", "pg-orders", "zzz"]},
     "unknown service(s) in this project: nope, zzz (the project has: kafka-events, pg-orders, pg-vpc)"),
    ({"query": "[?service_type=="}, "query '[?service_type==' is not a valid JMESPath expression: "),
    ({"query": "length(@)"},
     "query 'length(@)' must give a list of services (e.g. \"[?service_type=='kafka']\"), got int"),
    ({"query": "[].node_count"}, "query '[].node_count' must give services or service names, got 2"),
    ({"query": "[].{name: service_name}"}, "query '[].{name: service_name}' must give services or service names, "
                                           "got {'name': 'pg-orders'}"),
])
def test_each_selection_failure_is_one_line(fake, options, message):
    failure = fail_module(service_info.main, api_args(fake, **options))
    assert failure["msg"].startswith(message)
    assert "services" not in failure


def test_an_unknown_name_in_an_empty_project_says_so():
    with running(TOKEN, []) as fake:
        failure = fail_module(service_info.main, api_args(fake, services=["pg-orders"]))
    assert failure["msg"] == "unknown service(s) in this project: pg-orders (the project has: no services)"


def test_check_mode_reads_the_same_and_writes_nothing(fake):
    normal = run_module(service_info.main, api_args(fake))
    checked = run_module(service_info.main, api_args(fake), check_mode=True, diff=True)
    assert checked == normal
    assert fake.writes() == []


def test_api_errors_are_one_line_without_the_token(fake):
    failure = fail_module(service_info.main, api_args(fake, project="nope"))
    assert failure["msg"] == "Aiven API GET /project/nope/service returned HTTP 404: Project 'nope' does not exist"
    failure = fail_module(service_info.main, api_args(fake, api_token="wrong-token"))
    assert failure["status"] == 403
    assert "wrong-token" not in failure["msg"]


def test_an_empty_token_is_one_line_naming_where_it_comes_from(fake, monkeypatch):
    """-e prometheus_aiven_api_token= (no value) or AIVEN_TOKEN="" used to end in a traceback."""
    monkeypatch.delenv("AIVEN_TOKEN", raising=False)
    failure = fail_module(service_info.main, api_args(fake, api_token=""))
    assert failure["msg"].endswith("api_token is empty; set api_token, or the environment variable AIVEN_TOKEN "
                                   "(or AIVEN_AUTH_TOKEN)")
    assert fake.requests == []


def test_argument_types_are_checked_before_any_request(fake):
    failure = fail_module(service_info.main, api_args(fake, services={"pg-orders": 1}))
    assert failure["msg"].startswith("argument 'services' is of type dict and we were unable to convert to list")
    failure = fail_module(service_info.main, {"api_url": fake.url, "api_token": TOKEN})
    assert failure["msg"] == "missing required arguments: project"
    failure = fail_module(service_info.main, api_args(fake, dest="/tmp/x"))
    assert failure["msg"].startswith("Unsupported parameters for (basic.py) module: dest.")
    assert fake.requests == []
