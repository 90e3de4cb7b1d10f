"""meta/argument_specs.yml and defaults/main.yml of the role say the same thing (as
prometheus.prometheus checks in CI), and Ansible really type-checks the role's variables."""
import pathlib

import yaml

ROLE = pathlib.Path(__file__).resolve().parents[2] / "roles" / "prometheus_aiven"


def _load(path):
    return yaml.safe_load((ROLE / path).read_text())


def test_every_default_is_documented_with_the_same_value():
    defaults = _load("defaults/main.yml")
    options = _load("meta/argument_specs.yml")["argument_specs"]["main"]["options"]
    assert sorted(defaults) == sorted(options)
    for name, spec in options.items():
        assert "default" in spec, name
        assert spec["default"] == defaults[name], name
        assert spec.get("description"), name
        assert spec.get("type"), name
        assert name.startswith("prometheus_aiven_"), name


def test_secrets_are_no_log_in_the_spec():
    options = _load("meta/argument_specs.yml")["argument_specs"]["main"]["options"]
    for name in ("prometheus_aiven_api_token", "prometheus_aiven_endpoint_password"):
        assert options[name].get("no_log") is True, name


def test_the_issue_names_exist():
    options = _load("meta/argument_specs.yml")["argument_specs"]["main"]["options"]
    for suffix in ("project", "api_token", "api_url", "services", "service_query", "endpoint_name", "state",
                   "discovery", "route", "tls_verify", "config_file", "config_style", "reload", "web_url",
                   "verify_targets", "verify_timeout", "dns_nameservers", "dns_port", "promtool", "owner", "group"):
        assert "prometheus_aiven_" + suffix in options
    assert options["prometheus_aiven_tls_verify"]["default"] is True
    assert options["prometheus_aiven_config_file"]["default"] == "/etc/prometheus/prometheus.yml"
    assert options["prometheus_aiven_web_url"]["default"] == "http://127.0.0.1:9090"


def test_wrong_type_is_refused_before_anything_runs(ansible, tmp_path):
    inventory = tmp_path / "inventory.yml"
    inventory.write_text("all:\n  children:\n    prometheus:\n      hosts:\n        p1:\n"
                         "          ansible_connection: local\n          ansible_python_interpreter: %s\n"
                         % __import__("sys").executable)
    proc = ansible.playbook(ROLE.parents[1] / "playbooks" / "site.yml", "-i", str(inventory),
                            "-e", '{"prometheus_aiven_discovery": "mdns", "prometheus_aiven_verify_timeout": "soon"}')
    assert proc.returncode != 0
    assert "Validation of arguments failed" in proc.stdout
    assert "prometheus_aiven_discovery" in proc.stdout and "prometheus_aiven_verify_timeout" in proc.stdout
