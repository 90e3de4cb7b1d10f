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
    """Ansible keeps a module's warnings and deprecations in process-wide, de-duplicating
    collections: a test asserting a deprecation must not miss it because an earlier test in the
    same worker already raised the same one."""
    from ansible.module_utils.common import warnings
    monkeypatch.setattr(warnings, "_global_warnings", type(warnings._global_warnings)())
    monkeypatch.setattr(warnings, "_global_deprecations", type(warnings._global_deprecations)())
