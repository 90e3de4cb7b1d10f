"""The project_integration lookup in process against the in-process fake Aiven API on 127.0.0.1.

The lookup is the module's check mode run on the controller: each test runs the module's main()
in check mode (tests/unit/plugins/modules/utils.py) and the lookup on the same fake state, and
holds them to the same result and the same requests, all of them reads.
"""
import json
import subprocess
import sys

import pytest
from ansible.errors import AnsibleLookupError

from ansible_collections.aiven_tools.prometheus.plugins.lookup import project_integration as lookup_plugin
from ansible_collections.aiven_tools.prometheus.plugins.modules import project_integration
from ansible_collections.aiven_tools.prometheus.plugins.plugin_utils import _controller_run
from ansible_collections.aiven_tools.prometheus.tests.unit.plugins.modules.aiven_fake import (
    integrations,
    prepare,
    rows_by_name,
    warnings_seen,
)
from ansible_collections.aiven_tools.prometheus.tests.unit.plugins.modules.utils import (
    api_args,
    fail_module,
    run_module,
)
from conftest import COLLECTIONS_ROOT
from sandbox.fake_aiven import running

TOKEN = "unit-lookup-token-7c41e"
PASSWORD = "Lookup-pass-5678"
VPC = "vpc-0001"
SELECTION = "[?service_type!='grafana']"


@pytest.fixture(autouse=True)
def isolated(monkeypatch):
    """No developer AIVEN_* setting reaches the lookup or the module; quick retries; the module
    runs record warnings on the target side, in fresh lists (as the module tests do)."""
    for key in ("AIVEN_TOKEN", "AIVEN_AUTH_TOKEN", "AIVEN_PROJECT", "AIVEN_WEB_URL", "AIVEN_CLIENT_RETRY_MAX"):
        monkeypatch.delenv(key, raising=False)
    from ansible.module_utils import _internal
    from ansible.module_utils.common import warnings
    monkeypatch.setattr(_internal, "is_controller", False)
    monkeypatch.setattr(warnings, "_global_warnings", type(warnings._global_warnings)())
    monkeypatch.setattr(warnings, "_global_deprecations", type(warnings._global_deprecations)())
    prepare(monkeypatch)


@pytest.fixture
def shown(monkeypatch):
    """The warnings the lookup shows on the controller's display."""
    seen = []
    monkeypatch.setattr(lookup_plugin.display, "warning", seen.append)
    return seen


@pytest.fixture
def fake():
    services = [("pg-orders", "pg", 2), ("kafka-events", "kafka", 3, VPC), ("grafana-dash", "grafana", 1, VPC)]
    with running(TOKEN, services) as api:
        yield api


def lookup(fake, **options):
    """The lookup as a template calls it: lookup('...', project=..., ...) with the fake's URL and token."""
    return lookup_plugin.LookupModule().run([], variables={}, **api_args(fake, **options))


def reads(fake):
    """(method, path, query) of every request since the last clear; then clears."""
    seen = [(r["method"], r["path"], r["query"]) for r in fake.requests]
    fake.clear_requests()
    return seen


def module_then_lookup(fake, **options):
    """The module's check-mode result and the lookup's, on the same fake state, with the
    requests each sent; both must have sent only reads."""
    fake.clear_requests()
    expected = run_module(project_integration.main, api_args(fake, **options), check_mode=True)
    module_reads = reads(fake)
    [result] = lookup(fake, **options)
    lookup_reads = reads(fake)
    assert fake.writes() == []
    assert {method for method, dummy, dummy in module_reads + lookup_reads} == {"GET"}
    assert lookup_reads == module_reads
    return expected, result


def converge(fake, **options):
    """Make the project what `options` ask for, with the module itself (not in check mode)."""
    result = run_module(project_integration.main, api_args(fake, wait_interval=0.01, **options))
    fake.clear_requests()
    return result


# ------------------------------------------------------------------ the module's check mode, in process

def test_fresh_project_would_change_and_has_no_endpoint_yet(fake):
    expected, result = module_then_lookup(fake, query=SELECTION, username="promscraper", access=["private"])
    assert result == expected
    assert result["changed"] is True
    assert result["endpoint"] == {"id": None, "name": "prometheus", "username": "promscraper", "port": None}
    rows = rows_by_name(result)
    assert set(rows) == {"pg-orders", "kafka-events"}
    assert rows["kafka-events"]["actions"] == ["enable_private_access", "create_integration"]
    assert rows["pg-orders"]["actions"] == ["create_integration"]  # not in a VPC: no access flag
    assert result["ca_certificate"] == fake.projects["acme"]["ca_pem"]
    assert result["diff"]["before"]["endpoint"] == {}
    assert fake.projects["acme"]["endpoints"] == {} and integrations(fake) == []


def test_converged_project_changes_nothing_and_returns_the_password_only_on_request(fake):
    converge(fake, query=SELECTION, password=PASSWORD, access=["private"])
    [stored] = fake.projects["acme"]["endpoints"].values()

    expected, result = module_then_lookup(fake, query=SELECTION, access=["private"])
    assert result == expected and result["changed"] is False
    assert "password" not in result["endpoint"] and PASSWORD not in json.dumps(result)
    assert result["endpoint"] == {"id": stored["endpoint_id"], "name": "prometheus",
                                  "username": stored["user_config"]["basic_auth_username"], "port": 9273}
    assert {row["service_name"]: row["actions"] for row in result["services"]} == {"pg-orders": [], "kafka-events": []}
    assert all(row["targets"] and row["active"] for row in result["services"])

    expected, result = module_then_lookup(fake, query=SELECTION, access=["private"], return_password=True)
    assert result == expected and result["changed"] is False
    assert result["endpoint"]["password"] == PASSWORD


def test_converged_project_costs_the_modules_four_reads(fake):
    converge(fake, services=["pg-orders"])
    [endpoint_id] = fake.projects["acme"]["endpoints"]
    lookup(fake, services=["pg-orders"])
    assert reads(fake) == [
        ("GET", "/v1/project/acme/integration_endpoint", {}),
        ("GET", "/v1/project/acme/integration_endpoint/" + endpoint_id, {"include_secrets": "true"}),
        ("GET", "/v1/project/acme/service", {}),
        ("GET", "/v1/project/acme/kms/ca", {}),
    ]


def test_what_would_change_is_what_the_module_then_changes(fake):
    """The lookup's `changed` is the module's: false after the module ran, true again after a
    change made elsewhere, here a new password and a missing flag."""
    converge(fake, services=["kafka-events"], password=PASSWORD)
    assert lookup(fake, services=["kafka-events"], password=PASSWORD)[0]["changed"] is False
    expected, result = module_then_lookup(fake, services=["kafka-events"], password="another-Pass-9",
                                          access=["public"])
    assert result == expected and result["changed"] is True
    assert result["diff"]["before"]["endpoint"]["password"] == "(old)"
    assert rows_by_name(result)["kafka-events"]["actions"] == ["enable_public_access"]
    # update_password=on_create keeps the stored one: nothing to change for it
    assert lookup(fake, services=["kafka-events"], password="another-Pass-9",
                  update_password="on_create")[0]["changed"] is False


def test_powered_off_service_is_skipped_with_its_reason_and_a_warning(fake, shown):
    fake.set_service_state("acme", "pg-orders", "POWEROFF")
    expected, result = module_then_lookup(fake, query=SELECTION)
    assert result == expected
    assert result["skipped_services"] == [{"service": "pg-orders", "state": "POWEROFF", "reason": (
        "powered off: nothing was changed for it (no nodes to scrape); re-run after it is powered on")}]
    assert rows_by_name(result)["pg-orders"]["actions"] == []
    warning = "not waited for, as they are not running: pg-orders (POWEROFF) (see skipped_services)"
    assert warnings_seen() == [warning]  # the module's
    assert shown == ["project_integration lookup: " + warning]


def test_options_come_from_the_environment_like_the_modules(fake, monkeypatch):
    converge(fake, services=["pg-orders"])
    monkeypatch.setenv("AIVEN_WEB_URL", fake.url)
    monkeypatch.setenv("AIVEN_AUTH_TOKEN", "not-this-one")  # AIVEN_TOKEN comes first, as for the module
    monkeypatch.setenv("AIVEN_TOKEN", TOKEN)
    monkeypatch.setenv("AIVEN_PROJECT", "acme")
    # None (default(none)) counts as not given
    [result] = lookup_plugin.LookupModule().run([], variables={}, services=["pg-orders"], api_token=None)
    assert result["changed"] is False and result["endpoint"]["name"] == "prometheus"
    assert {r["method"] for r in fake.requests} == {"GET"}


# ------------------------------------------------------------------ failures

def test_a_bad_token_raises_or_returns_the_modules_failure_without_the_token(fake):
    bad = "wrong-token-0e9d8c"
    with pytest.raises(AnsibleLookupError) as raised:
        lookup(fake, services=["pg-orders"], api_token=bad)
    [returned] = lookup(fake, services=["pg-orders"], api_token=bad, fail_on_error=False)
    expected = fail_module(project_integration.main, api_args(fake, services=["pg-orders"], api_token=bad),
                           check_mode=True)
    assert returned == expected
    assert returned["msg"] == ("Aiven API GET /project/acme/integration_endpoint returned HTTP 403: Authentication "
                               "failed (check api_token / AIVEN_TOKEN and that the token's user may access this project)")
    assert returned["failed"] is True and returned["status"] == 403
    assert str(raised.value) == "project_integration: " + returned["msg"]
    for message in (str(raised.value), json.dumps(returned)):
        assert bad not in message and TOKEN not in message
    assert fake.writes() == []


def test_a_secret_in_a_message_is_masked_as_the_module_would(fake):
    """A message that would echo a no_log value (here the token, given as a service name)
    carries it masked, as AnsibleModule masks every result it returns."""
    [returned] = lookup(fake, services=[TOKEN], fail_on_error=False)
    assert returned["failed"] is True
    assert returned["msg"].startswith("unknown service(s) in this project: ********")
    assert TOKEN not in returned["msg"]


@pytest.mark.parametrize("options, message", [
    ({}, "state is present but any of the following are missing: services, query"),
    ({"services": ["pg-orders"], "endpoint_name": "x" * 41}, "endpoint_name must be at most 40 characters (Aiven's limit)"),
    ({"services": ["pg-orders"], "password": "short"}, "password must be 8-256 characters long (it has 5)"),
    ({"services": "pg-orders", "timeout": "soon"}, None),
    ({"services": ["pg-orders"], "access": ["everywhere"]}, None),
    ({"services": ["pg-orders", "nope"]}, None),
])
def test_bad_options_fail_with_the_modules_message(fake, options, message):
    expected = fail_module(project_integration.main, api_args(fake, **options), check_mode=True)
    fake.clear_requests()
    [returned] = lookup(fake, fail_on_error=False, **options)
    assert returned == expected
    if message:
        assert returned["msg"] == message
    assert "\n" not in returned["msg"]
    with pytest.raises(AnsibleLookupError, match="^project_integration: "):
        lookup(fake, **options)
    assert fake.writes() == []


def test_what_the_lookup_does_not_take_and_a_missing_token(fake):
    [returned] = lookup(fake, services=["pg-orders"], password_file="/tmp/pw", state="absent", fail_on_error=False)
    assert returned == {"failed": True, "msg": (
        "Unsupported parameters for (aiven_tools.prometheus.project_integration) lookup: password_file, state. "
        "Supported parameters include: access, access_outside_vpc, api_token, api_url, endpoint_name, password, "
        "project, query, return_password, services, timeout, update_password, username, validate_certs.")}
    [returned] = lookup_plugin.LookupModule().run([], project="acme", services=["pg-orders"], fail_on_error=False)
    assert returned == {"failed": True, "msg": "missing required arguments: api_token"}
    [returned] = lookup_plugin.LookupModule().run(["acme"], project="acme", services=["pg-orders"], fail_on_error=False)
    assert returned["failed"] is True and "takes options only" in returned["msg"]
    with pytest.raises(AnsibleLookupError, match="fail_on_error"):
        lookup(fake, services=["pg-orders"], fail_on_error="perhaps")
    assert fake.requests == []


def test_without_requests_one_line_names_the_controllers_python():
    """requests cannot be imported (a controller Python without it): the lookup still loads, and
    says in one line which Python lacks it, raised or returned."""
    script = """
import json, sys
sys.modules["requests"] = None  # `import requests` now fails as if it were not installed
sys.path.insert(0, sys.argv[1])
from ansible.errors import AnsibleLookupError
from ansible_collections.aiven_tools.prometheus.plugins.lookup.project_integration import LookupModule
options = dict(project="acme", services=["pg-orders"], api_token="tok-never-shown", api_url="http://127.0.0.1:9")
returned = LookupModule().run([], **dict(options, fail_on_error=False))
try:
    LookupModule().run([], **options)
except AnsibleLookupError as exc:
    raised = str(exc)
print(json.dumps({"returned": returned, "raised": raised}))
"""
    proc = subprocess.run([sys.executable, "-c", script, str(COLLECTIONS_ROOT)], capture_output=True, text=True,
                          timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    answer = json.loads(proc.stdout)
    [returned] = answer["returned"]
    assert set(returned) == {"failed", "msg"} and returned["failed"] is True
    msg = returned["msg"]
    assert "\n" not in msg and sys.executable in msg and "requests" in msg
    assert msg.startswith("the aiven_tools.prometheus.project_integration lookup needs the Python library requests")
    assert msg.endswith("install it there: %s -m pip install requests" % sys.executable)
    assert answer["raised"] == "project_integration: " + msg
    assert "tok-never-shown" not in proc.stdout + proc.stderr


# ------------------------------------------------------------------ the stand-in for AnsibleModule

def test_controller_module_is_check_mode_only_and_validates_like_ansible_module():
    spec = {"name": {"type": "str", "required": True}, "secret": {"type": "str", "no_log": True},
            "count": {"type": "int", "default": 3}}
    module = _controller_run.ControllerModule("ns.col.x", spec, {"name": "a", "secret": "s3cr3t-v4lue"})
    assert module.check_mode is True
    assert module.params == {"name": "a", "secret": "s3cr3t-v4lue", "count": 3}
    failure = _controller_run.outcome(lambda: module.fail_json(msg="bad s3cr3t-v4lue", extra="s3cr3t-v4lue"))
    assert failure == {"failed": True, "msg": "bad ********", "extra": "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"}
    assert _controller_run.outcome(lambda: module.exit_json(value="s3cr3t-v4lue")) == {
        "changed": False, "value": "s3cr3t-v4lue"}  # a result is what the caller asked for, unmasked
    assert _controller_run.outcome(lambda: _controller_run.ControllerModule("ns.col.x", spec, {"count": "x"})) == {
        "failed": True, "msg": "missing required arguments: name"}
    with pytest.raises(RuntimeError, match="without calling exit_json or fail_json"):
        _controller_run.outcome(lambda: None)
    for absent in ("atomic_move", "set_fs_attributes_if_different", "load_file_common_arguments", "tmpdir"):
        assert not hasattr(module, absent)  # code that writes files belongs in a module task


def test_omit_and_none_count_as_not_given():
    placeholder = "__omit_place_holder__0123abcd"  # ansible-core < 2.19 hands over this string
    options = {"a": None, "b": placeholder, "c": "kept", "d": [], "e": False}
    assert _controller_run.given_options(options, {"omit": placeholder}) == {"c": "kept", "d": [], "e": False}
    if _controller_run._OMIT is not None:  # ansible-core >= 2.19: the Omit object
        assert _controller_run.given_options({"a": _controller_run._OMIT, "c": 1}) == {"c": 1}
