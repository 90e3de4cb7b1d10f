"""Fixtures and helpers for the API module unit tests: the in-process fake Aiven API
(tests/sandbox/fake_aiven.py) on 127.0.0.1 is the boundary the modules talk to.

Import the fixtures into a test module (pytest finds them there):
    from ...aiven_fake import fresh_warnings, fast_retries, writes, warnings_seen  # noqa: F401
"""
import pytest

from ansible.module_utils.common import warnings as ansible_warnings


@pytest.fixture(autouse=True)
def fresh_warnings():
    """module.warn() and deprecations collect in process-wide lists that the real exit_json
    empties into the result; the test harness replaces exit_json, so empty them per test."""
    ansible_warnings._global_warnings.clear()
    ansible_warnings._global_deprecations.clear()
    yield


@pytest.fixture(autouse=True)
def fast_retries(monkeypatch):
    """The retry policy is unit-tested in test_aiven.py; here retries only need to be quick."""
    monkeypatch.setenv("AIVEN_CLIENT_RETRY_WAIT_MIN", "0.001")
    monkeypatch.setenv("AIVEN_CLIENT_RETRY_WAIT_MAX", "0.01")


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
