"""Helpers for the API module unit tests: the in-process fake Aiven API
(tests/sandbox/fake_aiven.py) on 127.0.0.1 is the boundary the modules talk to. Each test module
prepares every test with

    @pytest.fixture(autouse=True)
    def quick(monkeypatch):
        prepare(monkeypatch)
"""
import functools

from ansible.module_utils.common import warnings as ansible_warnings
from ansible_collections.aiven_tools.prometheus.tests.unit.plugins.modules.utils import (
    api_args,
    fail_module,
    run_module,
)


def prepare(monkeypatch):
    """Call from an autouse fixture of each test module:

    - module.warn() and deprecations collect in process-wide lists that the real exit_json
      empties into the result; the test harness replaces exit_json, so they are emptied here;
    - retries are quick (the retry policy itself is unit-tested in test_aiven.py).
    """
    ansible_warnings._global_warnings.clear()
    ansible_warnings._global_deprecations.clear()
    monkeypatch.setenv("AIVEN_CLIENT_RETRY_WAIT_MIN", "0.001")
    monkeypatch.setenv("AIVEN_CLIENT_RETRY_WAIT_MAX", "0.01")


def module_runners(main):
    """(run, fail) for a module's main(): run(fake, check_mode=False, diff=False, **options)
    returns its result, fail(...) its failure; options go next to the fake's URL, token and
    project, and waits poll every 0.01 s."""
    def call(runner, fake, check_mode=False, diff=False, **options):
        options.setdefault("wait_interval", 0.01)
        return runner(main, api_args(fake, **options), check_mode=check_mode, diff=diff)
    return functools.partial(call, run_module), functools.partial(call, fail_module)


def rows_by_name(result):
    """The result's service rows by service name."""
    return dict((row["service_name"], row) for row in result["services"])


def no_retries(monkeypatch):
    """One attempt per request: a failed write reaches the module as it would after the last retry."""
    monkeypatch.setenv("AIVEN_CLIENT_RETRY_MAX", "0")


def writes(fake):
    """(method, path) of every write request the fake has seen."""
    return [(r["method"], r["path"]) for r in fake.writes()]


def warnings_seen():
    return list(ansible_warnings.get_warning_messages())


def deprecations_seen():
    return [d["msg"] for d in ansible_warnings.get_deprecation_messages()]


def integrations(fake, project="acme"):
    """Sorted names of the services with a prometheus integration in the fake."""
    return sorted(i["source_service"] for i in fake.projects[project]["integrations"].values())


def user_config(fake, service, project="acme"):
    return fake.projects[project]["services"][service]["user_config"]
