"""integration_endpoint through its options and returns, against the in-process fake Aiven API."""
import json
import os
import stat

import pytest

from ansible_collections.aiven_tools.prometheus.plugins.modules import integration_endpoint
from ansible_collections.aiven_tools.prometheus.tests.unit.plugins.modules.utils import (
    api_args,
    fail_module,
    integrate,
    make_endpoint,
    run_module,
)
from sandbox.fake_aiven import running

TOKEN = "tok-unit-endpoint-8b3f"
PASSWORD = "Unit-endpoint-pass-3141"
NEW_PASSWORD = "Unit-endpoint-pass-2718"
USER = "promscraper"


@pytest.fixture
def fake():
    with running(TOKEN, [("pg-orders", "pg", 2), ("kafka-events", "kafka", 3)]) as api:
        yield api


def endpoint_args(fake, **options):
    options.setdefault("name", "prometheus")
    return api_args(fake, **options)


def stored(fake):
    """The fake's endpoints as (type, name, username, password), whatever the module returned."""
    return sorted((e["endpoint_type"], e["endpoint_name"], e["user_config"].get("basic_auth_username"),
                   e["user_config"].get("basic_auth_password"))
                  for e in fake.projects["acme"]["endpoints"].values())


def assert_no_secret(result, *secrets):
    dumped = json.dumps(result)
    for secret in (TOKEN,) + secrets:
        assert secret not in dumped


# -- present ------------------------------------------------------------------------------------

def test_create_then_idempotent(fake):
    result = run_module(integration_endpoint.main,
                        endpoint_args(fake, username=USER, password=PASSWORD), diff=True)
    assert result["changed"] is True
    endpoint = result["endpoint"]
    assert endpoint["id"] in fake.projects["acme"]["endpoints"]
    assert (endpoint["name"], endpoint["username"], endpoint["port"]) == ("prometheus", USER, 9273)
    assert "password" not in endpoint
    assert result["diff"]["before"] == {}
    assert result["diff"]["after"] == {"id": endpoint["id"], "name": "prometheus", "username": USER, "port": 9273}
    assert stored(fake) == [("prometheus", "prometheus", USER, PASSWORD)]
    assert_no_secret(result, PASSWORD)

    fake.clear_requests()
    again = run_module(integration_endpoint.main, endpoint_args(fake, username=USER, password=PASSWORD), diff=True)
    assert again == {"changed": False, "endpoint": endpoint}
    assert fake.writes() == []


def test_check_mode_create_sends_no_write(fake):
    result = run_module(integration_endpoint.main, endpoint_args(fake, username=USER, password=PASSWORD),
                        check_mode=True, diff=True)
    assert result["changed"] is True
    assert result["endpoint"] == {"id": None, "name": "prometheus", "username": USER, "port": None}
    assert result["diff"]["before"] == {}
    assert (result["diff"]["after"]["name"], result["diff"]["after"]["username"]) == ("prometheus", USER)
    assert "password" not in result["diff"]["after"]
    assert fake.writes() == []
    assert stored(fake) == []
    assert_no_secret(result, PASSWORD)


def test_adopts_an_existing_endpoint_of_that_name_and_type_only(fake):
    make_endpoint(fake, endpoint_type="external_prometheus", service_uri="https://prom.example/api/v1/write")
    existing = make_endpoint(fake, basic_auth_username=USER, basic_auth_password=PASSWORD)
    make_endpoint(fake, name="other", basic_auth_username="promother")
    result = run_module(integration_endpoint.main, endpoint_args(fake, username=USER, password=PASSWORD))
    assert result["changed"] is False
    assert result["endpoint"]["id"] == existing["endpoint_id"]

    lone = run_module(integration_endpoint.main, endpoint_args(fake, name="by-type"))
    assert lone["changed"] is True  # a same-named endpoint of another type is never adopted


def test_generated_credentials_are_returned_only_on_request(fake):
    quiet = run_module(integration_endpoint.main, endpoint_args(fake))
    [(dummy, dummy, generated_user, generated_password)] = stored(fake)
    assert quiet["endpoint"]["username"] == generated_user
    assert "password" not in quiet["endpoint"]
    assert_no_secret(quiet, generated_password)

    asked = run_module(integration_endpoint.main, endpoint_args(fake, return_password=True))
    assert asked["changed"] is False
    assert asked["endpoint"]["password"] == generated_password


def test_password_change_diffs_without_the_passwords(fake):
    make_endpoint(fake, basic_auth_username=USER, basic_auth_password=PASSWORD)
    checked = run_module(integration_endpoint.main, endpoint_args(fake, username=USER, password=NEW_PASSWORD),
                         check_mode=True, diff=True)
    assert checked["changed"] is True
    assert (checked["diff"]["before"]["password"], checked["diff"]["after"]["password"]) == ("(old)", "(new)")
    assert fake.writes() == []
    assert_no_secret(checked, PASSWORD, NEW_PASSWORD)

    changed = run_module(integration_endpoint.main, endpoint_args(fake, username=USER, password=NEW_PASSWORD),
                         diff=True)
    assert changed["changed"] is True
    assert stored(fake) == [("prometheus", "prometheus", USER, NEW_PASSWORD)]
    assert_no_secret(changed, PASSWORD, NEW_PASSWORD)


def test_username_change_shows_in_the_diff(fake):
    make_endpoint(fake, basic_auth_username="promold", basic_auth_password=PASSWORD)
    result = run_module(integration_endpoint.main, endpoint_args(fake, username="promnew"), diff=True)
    assert result["changed"] is True
    assert (result["diff"]["before"]["username"], result["diff"]["after"]["username"]) == ("promold", "promnew")
    assert "password" not in result["diff"]["before"] and "password" not in result["diff"]["after"]
    # The password stays what it was: only the username was asked for.
    assert stored(fake) == [("prometheus", "prometheus", "promnew", PASSWORD)]


def test_update_password_on_create_keeps_an_existing_password(fake):
    make_endpoint(fake, basic_auth_username=USER, basic_auth_password=PASSWORD)
    result = run_module(integration_endpoint.main, endpoint_args(
        fake, username=USER, password=NEW_PASSWORD, update_password="on_create"))
    assert result["changed"] is False
    assert fake.writes() == []
    assert stored(fake) == [("prometheus", "prometheus", USER, PASSWORD)]


def test_password_file_is_written_0600_only_when_different(fake, tmp_path):
    path = tmp_path / "password"
    args = endpoint_args(fake, username=USER, password=PASSWORD, password_file=str(path))
    checked = run_module(integration_endpoint.main, args, check_mode=True, diff=True)
    assert (checked["changed"], checked["password_file"]) == (True, str(path))
    assert not path.exists()

    result = run_module(integration_endpoint.main, args, diff=True)
    assert result["changed"] is True
    assert path.read_text() == PASSWORD + "\n"
    assert stat.S_IMODE(os.stat(str(path)).st_mode) == 0o600
    assert_no_secret(result, PASSWORD)

    again = run_module(integration_endpoint.main, args, diff=True)
    assert again["changed"] is False
    path.write_text("stale\n")
    fixed = run_module(integration_endpoint.main, args, diff=True)
    assert fixed["changed"] is True
    assert path.read_text() == PASSWORD + "\n"
    assert_no_secret(fixed, PASSWORD)


def test_password_file_takes_the_generated_password_and_a_mode(fake, tmp_path):
    path = tmp_path / "password"
    run_module(integration_endpoint.main, endpoint_args(fake, password_file=str(path), mode="0640"))
    [(dummy, dummy, dummy, generated_password)] = stored(fake)
    assert path.read_text() == generated_password + "\n"
    assert stat.S_IMODE(os.stat(str(path)).st_mode) == 0o640


def test_password_file_in_a_missing_directory_fails_in_one_line(fake, tmp_path):
    path = tmp_path / "missing" / "password"
    failure = fail_module(integration_endpoint.main, endpoint_args(fake, password=PASSWORD, password_file=str(path)))
    assert failure["msg"] == "the directory of %s does not exist" % path
    assert_no_secret(failure, PASSWORD)


# -- absent -------------------------------------------------------------------------------------

def test_absent_when_missing_is_a_no_op(fake):
    result = run_module(integration_endpoint.main, endpoint_args(fake, state="absent"), diff=True)
    assert result == {"changed": False, "removed_integrations": []}
    assert fake.writes() == []


def test_absent_removes_an_unused_endpoint(fake):
    existing = make_endpoint(fake, basic_auth_username=USER, basic_auth_password=PASSWORD)
    checked = run_module(integration_endpoint.main, endpoint_args(fake, state="absent"), check_mode=True, diff=True)
    assert checked["changed"] is True
    assert checked["diff"]["after"] == {}
    assert checked["diff"]["before"]["id"] == existing["endpoint_id"]
    assert fake.writes() == []

    result = run_module(integration_endpoint.main, endpoint_args(fake, state="absent"))
    assert (result["changed"], result["endpoint"]["id"], result["removed_integrations"]) == (
        True, existing["endpoint_id"], [])
    assert stored(fake) == []
    assert_no_secret(result, PASSWORD)


def test_absent_refuses_while_used_unless_forced(fake):
    existing = make_endpoint(fake, basic_auth_username=USER, basic_auth_password=PASSWORD)
    integrate(fake, existing, "pg-orders", "kafka-events")
    failure = fail_module(integration_endpoint.main, endpoint_args(fake, state="absent"))
    assert failure["msg"] == (
        "endpoint prometheus is still used by service(s) kafka-events, pg-orders: remove those integrations first "
        "(aiven_tools.prometheus.service_integration state=absent) or set force=true")
    assert fake.writes() == []

    checked = run_module(integration_endpoint.main, endpoint_args(fake, state="absent", force=True), check_mode=True)
    assert (checked["changed"], checked["removed_integrations"]) == (True, ["kafka-events", "pg-orders"])
    assert fake.writes() == []

    result = run_module(integration_endpoint.main, endpoint_args(fake, state="absent", force=True))
    assert (result["changed"], result["removed_integrations"]) == (True, ["kafka-events", "pg-orders"])
    assert fake.projects["acme"]["integrations"] == {}
    assert stored(fake) == []


# -- failures -----------------------------------------------------------------------------------

@pytest.mark.parametrize("options, message", [
    ({"name": "x" * 41}, "name must be at most 40 characters (Aiven's limit)"),
    ({"username": "Bad User"},
     "username 'Bad User' is not valid for Aiven: use 5-32 characters of a-z, 0-9, '-', '@' and '_'"),
    ({"username": "abc"}, "username 'abc' is not valid for Aiven: use 5-32 characters of a-z, 0-9, '-', '@' and '_'"),
    ({"password": "short"}, "password must be 8-256 characters long (it has 5)"),
    ({"password": "p" * 257}, "password must be 8-256 characters long (it has 257)"),
    ({"state": "gone"}, "value of state must be one of: present, absent, got: gone"),
    ({"update_password": "sometimes"}, "value of update_password must be one of: always, on_create, got: sometimes"),
    ({"force": "maybe"}, "argument 'force' is of type"),
    ({"project": None}, "missing required arguments: project"),
])
def test_bad_arguments_fail_in_one_line_before_any_request(fake, options, message):
    args = endpoint_args(fake, **options)
    args = {k: v for k, v in args.items() if v is not None}
    failure = fail_module(integration_endpoint.main, args)
    assert failure["msg"].startswith(message)
    assert fake.requests == []


def test_a_bad_password_is_not_echoed(fake):
    failure = fail_module(integration_endpoint.main, endpoint_args(fake, password="s3cr3t!"))
    assert_no_secret(failure, "s3cr3t!")


def test_two_endpoints_with_the_name_is_an_error_naming_both(fake):
    first, second = make_endpoint(fake), make_endpoint(fake)
    for state in ("present", "absent"):
        failure = fail_module(integration_endpoint.main, endpoint_args(fake, state=state))
        assert failure["msg"] == "project acme has 2 prometheus endpoints named prometheus (ids %s, %s); remove the " \
                                 "extra ones" % (first["endpoint_id"], second["endpoint_id"])
    assert len(stored(fake)) == 2


def test_api_errors_are_one_line_without_secrets(fake, monkeypatch):
    failure = fail_module(integration_endpoint.main, endpoint_args(fake, project="nope", password=PASSWORD))
    assert failure["msg"] == ("Aiven API GET /project/nope/integration_endpoint returned HTTP 404: "
                              "Project 'nope' does not exist")

    failure = fail_module(integration_endpoint.main, endpoint_args(fake, api_token="wrong-token"))
    assert (failure["status"], failure["error_code"]) == (403, "authentication_failed")
    assert "wrong-token" not in failure["msg"]

    monkeypatch.setenv("AIVEN_CLIENT_RETRY_MAX", "0")
    fake.inject_fault(status=503, times=1, method="POST")
    failure = fail_module(integration_endpoint.main, endpoint_args(fake, password=PASSWORD))
    assert failure["msg"].startswith("Aiven API POST /project/acme/integration_endpoint returned HTTP 503: "
                                     "An error occurred. Please try again later.")
    assert stored(fake) == []
    assert_no_secret(failure, PASSWORD)


def test_an_unreachable_api_is_named(monkeypatch):
    monkeypatch.setenv("AIVEN_CLIENT_RETRY_MAX", "0")
    with running(TOKEN, []) as fake:
        url = fake.url
    failure = fail_module(integration_endpoint.main, {"api_url": url, "api_token": TOKEN, "project": "acme",
                                                      "name": "prometheus"})
    assert failure["msg"].startswith("Aiven API GET /project/acme/integration_endpoint failed: cannot reach %s/v1 "
                                     "(ConnectionError)" % url)


def test_the_environment_supplies_token_project_and_url(fake, monkeypatch):
    monkeypatch.setenv("AIVEN_TOKEN", TOKEN)
    monkeypatch.setenv("AIVEN_AUTH_TOKEN", "the-second-choice")
    monkeypatch.setenv("AIVEN_PROJECT", "acme")
    monkeypatch.setenv("AIVEN_WEB_URL", fake.url)
    result = run_module(integration_endpoint.main, {"name": "prometheus"})
    assert result["changed"] is True
    assert len(stored(fake)) == 1
