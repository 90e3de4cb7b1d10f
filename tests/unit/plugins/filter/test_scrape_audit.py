"""The scrape_audit filter: a thin wrapper over module_utils/_audit.py (tested there rule by rule);
here what it adds: prometheus_info's result as input, selected services as names or dicts, the
table, and one-line AnsibleFilterErrors."""
import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.aiven_tools.prometheus.plugins.filter.scrape_audit import FilterModule

scrape_audit = FilterModule().filters()["scrape_audit"]

SERVICE = {"service_name": "pg-orders", "service_type": "pg", "state": "RUNNING",
           "prometheus_integrations": [{"endpoint_id": "ep-1", "endpoint_name": "prometheus"}],
           "targets": [{"host": "pg-orders-acme.aiven.test", "port": 9273, "route": "dynamic", "usage": "primary"}]}
INFO = {"files": [{"path": "/etc/prometheus/prometheus.yml", "pattern": None, "owners": {},
                   "data": {"scrape_configs": [{"job_name": "aivenmetrics", "scheme": "https",
                                                "basic_auth": {"username": "u", "password": "<secret>"},
                                                "tls_config": {"insecure_skip_verify": True},
                                                "dns_sd_configs": [{"names": ["pg-orders-acme.aiven.test"],
                                                                    "type": "A", "port": 9273}]}]}}],
        "ca_files": [],
        "targets": [{"scrapePool": "aivenmetrics", "health": "down", "lastError": "401 Unauthorized"}]}


@pytest.mark.parametrize("selected", [["pg-orders"], [dict(SERVICE, integration_id="i-1", actions=[])]])
def test_findings_summary_and_table(selected):
    result = scrape_audit(INFO, project="acme", endpoint={"id": "ep-1", "name": "prometheus"},
                          services=[SERVICE], selected=selected)
    assert [f["kind"] for f in result["findings"]] == ["unmanaged_job", "tls_unverified", "password_inline",
                                                       "target_down"]
    assert result["summary"]["target_down"] == 1 and sum(result["summary"].values()) == 4
    assert result["table"][0].split() == ["KIND", "SERVICE", "JOB", "DETAIL"]
    assert result["table"][4].startswith("target_down      pg-orders  aivenmetrics  401 Unauthorized")


@pytest.mark.parametrize("info, kwargs, message", [
    ({"files": "x"}, {"project": "acme"}, "scrape_audit: give the result of aiven_tools.prometheus.prometheus_info"),
    (INFO, {}, "scrape_audit: project is required"),
    (INFO, {"project": "acme", "services": [SERVICE], "selected": ["pg-x"]},
     "scrape_audit: selected services not in project acme: pg-x"),
    (INFO, {"project": "acme", "services": None}, "scrape_audit: services: give service_info's services"),
])
def test_errors_are_one_line(info, kwargs, message):
    with pytest.raises(AnsibleFilterError) as raised:
        scrape_audit(info, **kwargs)
    assert str(raised.value).startswith(message) and "\n" not in str(raised.value)
