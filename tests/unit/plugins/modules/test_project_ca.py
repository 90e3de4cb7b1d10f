"""project_ca through its options and returns, against the in-process fake Aiven API."""
import json
import os
import stat

import pytest
import trustme

from ansible_collections.aiven_tools.prometheus.plugins.modules import project_ca
from ansible_collections.aiven_tools.prometheus.tests.unit.plugins.modules.utils import (
    api_args,
    fail_module,
    run_module,
)
from sandbox.fake_aiven import running

TOKEN = "tok-unit-project-ca-41d9"
CA_PEM = trustme.CA().cert_pem.bytes().decode()
OTHER_PEM = trustme.CA().cert_pem.bytes().decode()


@pytest.fixture
def fake():
    with running(TOKEN, [("pg-orders", "pg", 2)], ca_pem=CA_PEM) as api:
        yield api


def mode_of(path):
    return stat.S_IMODE(os.stat(str(path)).st_mode)


def test_returns_the_pem_and_changes_nothing_without_dest(fake):
    result = run_module(project_ca.main, api_args(fake))
    assert result == {"changed": False, "certificate": CA_PEM}
    assert [(r["method"], r["path"]) for r in fake.requests] == [("GET", "/v1/project/acme/kms/ca")]
    assert TOKEN not in json.dumps(result)


def test_writes_dest_once_then_is_idempotent(fake, tmp_path):
    dest = tmp_path / "ca.pem"
    result = run_module(project_ca.main, api_args(fake, dest=str(dest), mode="0644"), diff=True)
    assert result["changed"] is True
    assert result["dest"] == str(dest)
    assert result["diff"] == {"before": "", "after": CA_PEM, "before_header": str(dest), "after_header": str(dest)}
    assert dest.read_text() == CA_PEM
    assert mode_of(dest) == 0o644

    again = run_module(project_ca.main, api_args(fake, dest=str(dest), mode="0644"), diff=True)
    assert again == {"changed": False, "certificate": CA_PEM, "dest": str(dest)}
    assert fake.writes() == []


def test_check_mode_reports_the_write_and_writes_nothing(fake, tmp_path):
    dest = tmp_path / "ca.pem"
    result = run_module(project_ca.main, api_args(fake, dest=str(dest)), check_mode=True, diff=True)
    assert result["changed"] is True
    assert result["diff"]["after"] == CA_PEM
    assert not dest.exists()


def test_replaces_a_different_ca_and_diffs_against_it(fake, tmp_path):
    dest = tmp_path / "ca.pem"
    dest.write_text(OTHER_PEM)
    os.chmod(str(dest), 0o640)
    checked = run_module(project_ca.main, api_args(fake, dest=str(dest)), check_mode=True, diff=True)
    assert checked["changed"] is True
    assert (checked["diff"]["before"], checked["diff"]["after"]) == (OTHER_PEM, CA_PEM)
    assert dest.read_text() == OTHER_PEM

    result = run_module(project_ca.main, api_args(fake, dest=str(dest)))
    assert result["changed"] is True
    assert dest.read_text() == CA_PEM
    assert mode_of(dest) == 0o640  # an existing file keeps its mode when none is given


def test_a_mode_change_alone_is_a_change_without_a_content_diff(fake, tmp_path):
    dest = tmp_path / "ca.pem"
    dest.write_text(CA_PEM)
    os.chmod(str(dest), 0o600)
    result = run_module(project_ca.main, api_args(fake, dest=str(dest), mode="0644"), diff=True)
    assert result["changed"] is True
    assert "diff" not in result
    assert mode_of(dest) == 0o644


def test_a_pem_without_final_newline_gets_one():
    with running(TOKEN, [], ca_pem=CA_PEM.rstrip("\n")) as fake:
        result = run_module(project_ca.main, api_args(fake))
    assert result["certificate"] == CA_PEM


def test_a_bundle_of_certificates_is_accepted():
    bundle = CA_PEM + OTHER_PEM
    with running(TOKEN, [], ca_pem=bundle) as fake:
        assert run_module(project_ca.main, api_args(fake))["certificate"] == bundle


@pytest.mark.parametrize("answer, message", [
    ("no certificate here", "the API returned no PEM certificate"),
    ("-----BEGIN CERTIFICATE-----\n!!not base64!!\n-----END CERTIFICATE-----\n",
     "the API returned a malformed PEM certificate ("),
])
def test_an_answer_that_is_not_a_certificate_fails_and_writes_nothing(answer, message, tmp_path):
    dest = tmp_path / "ca.pem"
    with running(TOKEN, [], ca_pem=answer) as fake:
        failure = fail_module(project_ca.main, api_args(fake, dest=str(dest)))
    assert failure["msg"].startswith(message)
    assert not dest.exists()


def test_dest_in_a_missing_directory_or_on_a_directory_fails_in_one_line(fake, tmp_path):
    missing = tmp_path / "nope" / "ca.pem"
    failure = fail_module(project_ca.main, api_args(fake, dest=str(missing)))
    assert failure["msg"] == "the directory of %s does not exist" % missing
    failure = fail_module(project_ca.main, api_args(fake, dest=str(tmp_path)))
    assert failure["msg"] == "%s is a directory; give the file's path" % tmp_path


def test_api_errors_are_one_line_without_the_token(fake, monkeypatch):
    failure = fail_module(project_ca.main, api_args(fake, project="nope"))
    assert failure["msg"] == "Aiven API GET /project/nope/kms/ca returned HTTP 404: Project 'nope' does not exist"
    assert (failure["status"], failure["error_code"]) == (404, "project_not_found")

    failure = fail_module(project_ca.main, api_args(fake, api_token="wrong-token"))
    assert failure["msg"].startswith("Aiven API GET /project/acme/kms/ca returned HTTP 403: Authentication failed "
                                     "(check api_token / AIVEN_TOKEN")
    assert failure["status"] == 403

    monkeypatch.setenv("AIVEN_CLIENT_RETRY_MAX", "0")
    fake.inject_fault(status=500, times=1, path="/kms/ca", message="Internal error, details withheld")
    failure = fail_module(project_ca.main, api_args(fake))
    assert failure["msg"] == "Aiven API GET /project/acme/kms/ca returned HTTP 500: Internal error, details withheld"
    assert TOKEN not in json.dumps(failure)


def test_arguments_come_from_the_environment_and_are_checked(fake, monkeypatch):
    failure = fail_module(project_ca.main, {})
    assert failure["msg"] == "missing required arguments: api_token, project"
    assert fake.requests == []

    monkeypatch.setenv("AIVEN_AUTH_TOKEN", TOKEN)
    monkeypatch.setenv("AIVEN_PROJECT", "acme")
    monkeypatch.setenv("AIVEN_WEB_URL", fake.url)
    assert run_module(project_ca.main, {})["certificate"] == CA_PEM

    failure = fail_module(project_ca.main, {"timeout": "soon"})
    assert failure["msg"].startswith("argument 'timeout' is of type str and we were unable to convert to float")
    failure = fail_module(project_ca.main, {"path": "/tmp/ca.pem"})
    assert failure["msg"].startswith("Unsupported parameters for (basic.py) module: path.")


def test_a_relative_dest_is_written_in_the_working_directory(fake, tmp_path):
    result = run_module(project_ca.main, api_args(fake, dest="ca.pem"))
    assert result["changed"] is True
    assert (tmp_path / "ca.pem").read_text() == CA_PEM
