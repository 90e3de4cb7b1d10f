"""The scrape_jobs and file_sd_groups filters: what they add to _scrape_jobs (Ansible's boolean
for tls_verify, one-line AnsibleFilterError). The jobs themselves:
tests/unit/plugins/module_utils/test__scrape_jobs.py."""
import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.aiven_tools.prometheus.plugins.filter import file_sd_groups as FS
from ansible_collections.aiven_tools.prometheus.plugins.filter import scrape_jobs as F
from ansible_collections.aiven_tools.prometheus.plugins.module_utils._scrape_jobs import target_groups

GROUPS = target_groups([{"service_name": "pg-x", "service_type": "pg", "targets": [
    {"host": "pg-x-acme.aivencloud.com", "port": 9273, "route": "dynamic", "usage": "primary"}]}], "acme")
FILES = dict(project="acme", username="prom", password_file="/p", ca_file="/ca.pem")


@pytest.mark.parametrize("tls_verify, skip", [
    (True, None), ("true", None), ("yes", None), ("1", None), (1, None),
    (False, True), ("false", True), ("False", True), ("no", True), ("0", True), (0, True),
])
def test_tls_verify_accepts_what_ansible_calls_boolean(tls_verify, skip):
    job = F.scrape_jobs(GROUPS, tls_verify=tls_verify, **FILES)[0]
    assert job["tls_config"].get("insecure_skip_verify") is skip


@pytest.mark.parametrize("tls_verify", ["maybe", None, "", [True]])
def test_tls_verify_refuses_the_rest(tls_verify):
    with pytest.raises(AnsibleFilterError, match=r"^scrape_jobs: tls_verify: .* is not a boolean \(true/false, yes/no, 1/0\)$"):
        F.scrape_jobs(GROUPS, tls_verify=tls_verify, **FILES)


@pytest.mark.parametrize("kwargs, message", [
    ({"project": None}, "scrape_jobs: project: give a non-empty string, got None"),
    ({"job_extra": {"tls_config": {}}}, "scrape_jobs: job_extra: tls_config cannot be set here"),
    ({"discovery": "static"}, "scrape_jobs: group pg-x-acme.aivencloud.com of service pg-x has no addresses"),
])
def test_errors_are_filter_errors_in_one_line(kwargs, message):
    with pytest.raises(AnsibleFilterError) as err:
        F.scrape_jobs(GROUPS, **dict(FILES, **kwargs))
    assert str(err.value).startswith(message) and "\n" not in str(err.value)


def test_job_names_through_the_filter():
    assert [j["job_name"] for j in F.scrape_jobs(GROUPS, job_prefix="", **FILES)] == ["acme-pg-x"]


def test_file_sd_groups_filter():
    assert FS.file_sd_groups(GROUPS)[0]["labels"]["__meta_aiven_server_name"] == "pg-x-acme.aivencloud.com"
    with pytest.raises(AnsibleFilterError, match="^file_sd_groups: groups: item 0 is not a target group"):
        FS.file_sd_groups([{"service_name": "pg-x"}])
