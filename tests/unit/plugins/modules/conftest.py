"""Fixtures for every module unit test in this directory (helpers: utils.py)."""
import pytest


@pytest.fixture(autouse=True)
def no_aiven_environment(monkeypatch):
    """A developer's own AIVEN_* settings (token, project, API URL) never reach a module under
    test; a test that exercises the environment fallbacks sets them itself."""
    for key in ("AIVEN_TOKEN", "AIVEN_AUTH_TOKEN", "AIVEN_PROJECT", "AIVEN_WEB_URL",
                "AIVEN_CLIENT_RETRY_MAX", "AIVEN_CLIENT_RETRY_WAIT_MIN", "AIVEN_CLIENT_RETRY_WAIT_MAX"):
        monkeypatch.delenv(key, raising=False)


@pytest.fixture(autouse=True)
def scratch_working_directory(tmp_path, monkeypatch):
    """Modules run in a scratch directory, as Ansible runs them in its own temporary one: a
    relative path a module writes to lands there, never in the checkout."""
    monkeypatch.chdir(tmp_path)


@pytest.fixture(autouse=True)
def fresh_warnings(monkeypatch):
    """Modules record warnings and deprecations in process-wide collections, but only while
    Ansible believes it runs on a target: once any test in the worker has loaded controller code
    (the filter tests do), they go to the controller's display instead. Each module test starts
    on the target side with empty collections, whatever ran before it."""
    from ansible.module_utils import _internal
    from ansible.module_utils.common import warnings
    monkeypatch.setattr(_internal, "is_controller", False)
    monkeypatch.setattr(warnings, "_global_warnings", type(warnings._global_warnings)())
    monkeypatch.setattr(warnings, "_global_deprecations", type(warnings._global_deprecations)())
