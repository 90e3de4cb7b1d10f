"""The password_fingerprint filter: vaulted values, and errors that never show the password.
The fingerprint itself: tests/unit/plugins/module_utils/test__scrape_jobs.py."""
import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.aiven_tools.prometheus.plugins.filter import password_fingerprint as F


class Vaulted:
    """What a !vault value looks like to a filter: not a str, holds the ciphertext, str() decrypts."""

    _ciphertext = "$ANSIBLE_VAULT;1.1;AES256..."

    def __str__(self):
        return "first"


@pytest.mark.parametrize("password", ["first", Vaulted()])
def test_fingerprint(password):
    assert F.password_fingerprint(password, "prometheus") == "c85219d572fb"


@pytest.mark.parametrize("password, salt, message", [
    ("", "prometheus", "password_fingerprint: the password must be a non-empty string"),
    (["hunter2"], "prometheus", "password_fingerprint: the password must be a non-empty string"),
    ("hunter2", 7, "password_fingerprint: the salt (the endpoint's user name) must be a string"),
])
def test_errors_never_show_the_password(password, salt, message):
    with pytest.raises(AnsibleFilterError) as err:
        F.password_fingerprint(password, salt)
    assert str(err.value) == message and "hunter2" not in str(err.value)
