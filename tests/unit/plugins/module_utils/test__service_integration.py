"""The pure parts of _service_integration: which flags a service gets, what changed between two
reads and how that reads in a message, what a wait waits for, and why a service is skipped.
The modules' tests (tests/unit/plugins/modules) run the rest against the fake API."""
from ansible_collections.aiven_tools.prometheus.plugins.module_utils._service_integration import (
    access_wanted,
    describe,
    differences,
    pending,
    ready,
    skipped_rows,
    snapshot,
)

ENDPOINT = "e-1"


def service(name="pg", state="RUNNING", vpc="vpc-1", integration=None, active=True, routes=("dynamic",),
            service_type="pg", **access):
    integrations = [{"service_integration_id": None, "integration_type": "prometheus", "dest_endpoint_id": None}]
    if integration:
        integrations.append({"service_integration_id": integration, "integration_type": "prometheus",
                             "dest_endpoint_id": ENDPOINT, "active": active})
    return {"service_name": name, "service_type": service_type, "state": state, "project_vpc_id": vpc,
            "service_integrations": integrations,
            "components": [{"component": "prometheus", "host": "%s-%s" % (route, name), "port": 9273, "route": route,
                            "usage": "primary"} for route in routes] if integration else [],
            "user_config": dict(("%s_access" % flag, {"prometheus": on}) for flag, on in access.items())}


def test_flags_only_in_a_vpc_unless_asked_for_outside():
    assert access_wanted(service(), ["privatelink", "public"], False) == ["public", "privatelink"]
    assert access_wanted(service(vpc=None), ["public"], False) == []
    assert access_wanted(service(vpc=None), ["public"], True) == ["public"]


def test_no_endpoint_yet_means_no_integration_even_with_others_present():
    assert snapshot(service(integration="i-1"), None)["prometheus_integration"] is False
    assert snapshot(service(integration="i-1", public=True), ENDPOINT) == {
        "prometheus_integration": True, "public_access_prometheus": True, "private_access_prometheus": False,
        "privatelink_access_prometheus": False}


def test_differences_and_their_description():
    before = {"a": service("a"), "b": service("b", integration="i-b"), "c": service("c")}
    now = {"a": service("a", integration="i-a", public=True), "b": service("b"), "c": service("c")}
    changes = differences(before, now, ENDPOINT)
    assert changes == {"a": {"created": ["i-a"], "removed": [], "enabled": ["public"], "disabled": []},
                       "b": {"created": [], "removed": ["i-b"], "enabled": [], "disabled": []}}
    assert describe(changes) == "public_access of a, integration of a, integration of b"
    assert differences(before, before, ENDPOINT) == {}
    # a service gone from the second read is not a change of ours
    assert differences(before, {"a": before["a"]}, ENDPOINT) == {}


def test_ready_needs_active_targets_and_the_waited_routes_in_a_vpc():
    assert ready(service(integration="i", routes=("dynamic", "public")), ENDPOINT, ["public"], False)
    assert not ready(service(integration="i", routes=("dynamic",)), ENDPOINT, ["public"], False)
    assert not ready(service(integration="i", active=False), ENDPOINT, [], False)
    assert not ready(service(), ENDPOINT, [], False)
    # privatelink rows need a connection made elsewhere: never waited for
    assert ready(service(integration="i"), ENDPOINT, ["privatelink"], False)
    # outside a VPC Aiven lists no other route: the dynamic one is enough
    assert ready(service(vpc=None, integration="i"), ENDPOINT, ["public"], True)


def test_only_running_services_are_pending():
    services = {"up": service("up"), "off": service("off", state="POWEROFF"),
                "busy": service("busy", state="REBALANCING")}
    assert pending(services, ["up", "off", "busy", "deleted"], ENDPOINT, [], False) == ["up"]


def test_skipped_rows_say_what_was_and_was_not_done():
    rows = skipped_rows([service("up"), service("off", state="POWEROFF"),
                         service("off-done", state="POWEROFF", integration="i"),
                         service("busy", state="REBUILDING")], ENDPOINT, [], False)
    assert rows == [
        {"service": "off", "state": "POWEROFF",
         "reason": "powered off: nothing was changed for it (no nodes to scrape); re-run after it is powered on"},
        {"service": "off-done", "state": "POWEROFF", "reason": "powered off: no nodes to scrape until it is powered on"},
        {"service": "busy", "state": "REBUILDING",
         "reason": "REBUILDING: not waited for; its targets are listed again once it is RUNNING"},
    ]
