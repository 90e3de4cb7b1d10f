"""The API modules through real ad-hoc `ansible` calls against the fake Aiven API.

Every test counts the requests the fake saw: an idempotent run or a check-mode run must send
no write, and a failed call must leave nothing half-done.
"""
import importlib
import os
import stat
import subprocess
import sys

import pytest
import requests

from sandbox.fake_aiven import running
from sandbox.util import free_port

TOKEN = "tok-integration-5f3e9a1c"
PASSWORD = "s3cret-Pr0m-pass"
NS = "aiven_tools.prometheus."


@pytest.fixture
def fake():
    with running(TOKEN, [("pg-orders", "pg", 2), ("kafka-events", "kafka", 3, "vpc-0001"),
                         ("mysql-vpc", "mysql", 1, "vpc-0001"), ("grafana-dash", "grafana", 1, "vpc-0001")]) as api:
        yield api


@pytest.fixture
def run(ansible, fake):
    """Call a module of ours with the fake's URL, token and project in the environment."""
    env = {"AIVEN_WEB_URL": fake.url, "AIVEN_TOKEN": TOKEN, "AIVEN_PROJECT": "acme",
           # keep retries fast; the policy itself is unit-tested
           "AIVEN_CLIENT_RETRY_WAIT_MIN": "0.01", "AIVEN_CLIENT_RETRY_WAIT_MAX": "0.05"}

    def call(module, args, **kwargs):
        kwargs.setdefault("verbosity", 3)  # the secret scan covers -vvv output
        rc, result, proc = ansible.module(NS + module, args, env=dict(env, **kwargs.pop("env", {})), **kwargs)
        return rc, result, proc
    yield call
    ansible.assert_no_secret(TOKEN, PASSWORD)


def writes(fake):
    return [(r["method"], r["path"]) for r in fake.writes()]


def endpoint(run, **args):
    args = dict({"name": "scrape", "username": "promscraper", "password": PASSWORD}, **args)
    return run("integration_endpoint", args)


# ------------------------------------------------------------------ integration_endpoint

def test_endpoint_create_then_idempotent(run, fake):
    rc, result, proc = endpoint(run)
    assert rc == 0, proc.stdout
    assert result["changed"] is True
    assert result["endpoint"]["username"] == "promscraper"
    assert result["endpoint"]["port"] == 9273
    assert writes(fake) == [("POST", "/v1/project/acme/integration_endpoint")]

    fake.clear_requests()
    rc, result, proc = endpoint(run)
    assert rc == 0 and result["changed"] is False, proc.stdout
    assert writes(fake) == []


def test_endpoint_check_mode_and_diff_send_no_write(run, fake):
    rc, result, proc = run("integration_endpoint", {"name": "scrape", "username": "promscraper",
                                                    "password": PASSWORD}, check_mode=True, diff=True)
    assert rc == 0 and result["changed"] is True, proc.stdout
    assert writes(fake) == []
    assert "promscraper" in proc.stdout  # the diff shows the user, never the password
    assert result["endpoint"]["id"] is None


def test_endpoint_password_is_returned_only_on_request(run, fake, ansible, tmp_path):
    rc, result, proc = run("integration_endpoint", {"name": "generated"})
    assert rc == 0, proc.stdout
    assert result["endpoint"]["username"]
    assert "password" not in result["endpoint"]
    stored = [e for e in fake.projects["acme"]["endpoints"].values() if e["endpoint_name"] == "generated"][0]
    generated = stored["user_config"]["basic_auth_password"]
    assert generated not in proc.stdout

    # A playbook reads the generated password under no_log, the way the role does.
    out = tmp_path / "password"
    playbook = tmp_path / "read.yml"
    playbook.write_text("""
- hosts: localhost
  gather_facts: false
  tasks:
    - aiven_tools.prometheus.integration_endpoint:
        name: generated
        return_password: true
      register: ep
      no_log: true
    - ansible.builtin.copy:
        content: "{{ ep.endpoint.password }}"
        dest: %s
        mode: "0600"
      no_log: true
""" % out)
    proc = ansible.playbook(playbook, "-i", "localhost,", "-c", "local", "-vvv",
                            env={"AIVEN_WEB_URL": fake.url, "AIVEN_TOKEN": TOKEN, "AIVEN_PROJECT": "acme"})
    assert proc.returncode == 0, proc.stdout
    assert out.read_text() == generated
    assert generated not in proc.stdout + proc.stderr


def test_endpoint_password_update_always_vs_on_create(run, fake):
    assert endpoint(run)[0] == 0
    fake.clear_requests()
    rc, result, dummy = endpoint(run, password="another-Pass-123", update_password="on_create")
    assert rc == 0 and result["changed"] is False
    assert writes(fake) == []
    rc, result, dummy = endpoint(run, password="another-Pass-123")
    assert rc == 0 and result["changed"] is True
    assert [m for m, dummy in writes(fake)] == ["PUT"]
    stored = list(fake.projects["acme"]["endpoints"].values())[0]
    assert stored["user_config"]["basic_auth_password"] == "another-Pass-123"


def test_endpoint_invalid_username_is_one_clear_line_and_sends_nothing(run, fake):
    rc, result, proc = endpoint(run, username="Bad User!")
    assert rc != 0
    assert "username 'Bad User!' is not valid for Aiven" in result["msg"]
    assert "\n" not in result["msg"]
    assert fake.requests == []


def test_endpoint_absent_refuses_while_used_then_force(run, fake):
    assert endpoint(run)[0] == 0
    assert run("service_integration", {"endpoint": "scrape", "services": ["pg-orders"], "wait": False})[0] == 0
    fake.clear_requests()
    rc, result, dummy = run("integration_endpoint", {"name": "scrape", "state": "absent"})
    assert rc != 0 and "still used by service(s) pg-orders" in result["msg"]
    assert writes(fake) == []
    rc, result, dummy = run("integration_endpoint", {"name": "scrape", "state": "absent", "force": True})
    assert rc == 0 and result["changed"] is True
    assert result["removed_integrations"] == ["pg-orders"]
    assert [m for m, dummy in writes(fake)] == ["DELETE", "DELETE"]
    assert fake.projects["acme"]["endpoints"] == {}
    fake.clear_requests()
    rc, result, dummy = run("integration_endpoint", {"name": "scrape", "state": "absent"})
    assert rc == 0 and result["changed"] is False
    assert writes(fake) == []


# ------------------------------------------------------------------ service_integration

def enabled_services(fake):
    return sorted(i["source_service"] for i in fake.projects["acme"]["integrations"].values())


def test_integration_many_services_in_one_call_then_idempotent(run, fake):
    assert endpoint(run)[0] == 0
    fake.clear_requests()
    args = {"endpoint": "scrape", "services": ["pg-orders", "kafka-events"], "wait_interval": 0.05}
    rc, result, proc = run("service_integration", args)
    assert rc == 0, proc.stdout
    assert result["changed"] is True
    assert enabled_services(fake) == ["kafka-events", "pg-orders"]
    by_name = {s["service_name"]: s for s in result["services"]}
    assert by_name["pg-orders"]["active"] is True
    pg_targets = {(t["host"], t["usage"]) for t in by_name["pg-orders"]["targets"]}
    assert ("pg-orders-acme.aiven.test", "primary") in pg_targets
    assert ("replica-pg-orders-acme.aiven.test", "replica") in pg_targets
    assert all(t["port"] == 9273 for t in by_name["kafka-events"]["targets"])
    assert writes(fake) == [("POST", "/v1/project/acme/integration")] * 2

    fake.clear_requests()
    rc, result, proc = run("service_integration", args)
    assert rc == 0 and result["changed"] is False, proc.stdout
    assert writes(fake) == []
    assert len(fake.requests) <= 2  # endpoint lookup + one service list, however many services


def test_integration_check_mode_sends_no_write(run, fake):
    assert endpoint(run)[0] == 0
    fake.clear_requests()
    rc, result, proc = run("service_integration", {"endpoint": "scrape", "query": "[*]", "public_access": True},
                           check_mode=True, diff=True)
    # grafana has no public_access.prometheus: even check mode says so
    assert rc != 0 and "grafana-dash (grafana has no access flag)" in result["msg"]
    rc, result, proc = run("service_integration", {"endpoint": "scrape", "services": ["pg-orders", "kafka-events"],
                                                   "public_access": True}, check_mode=True, diff=True)
    assert rc == 0 and result["changed"] is True, proc.stdout
    assert writes(fake) == []
    actions = {s["service_name"]: s["actions"] for s in result["services"]}
    assert actions == {"pg-orders": ["create_integration"],
                       "kafka-events": ["enable_public_access", "create_integration"]}
    assert '"public_access_prometheus": true' in proc.stdout or "public_access_prometheus" in proc.stdout


def test_unknown_service_touches_no_other_service(run, fake):
    assert endpoint(run)[0] == 0
    fake.clear_requests()
    rc, result, dummy = run("service_integration", {"endpoint": "scrape", "services": ["pg-orders", "pg-typo"]})
    assert rc != 0
    assert result["msg"].startswith("unknown service(s) in this project: pg-typo")
    assert writes(fake) == []
    assert enabled_services(fake) == []


def test_public_access_only_for_vpc_services_and_unsupported_type_fails_first(run, fake):
    assert endpoint(run)[0] == 0
    fake.clear_requests()
    rc, result, dummy = run("service_integration", {"endpoint": "scrape", "public_access": True,
                                                    "services": ["kafka-events", "grafana-dash"]})
    assert rc != 0 and "grafana-dash (grafana has no access flag)" in result["msg"]
    assert "nothing was changed" in result["msg"]
    assert writes(fake) == []

    rc, result, proc = run("service_integration", {"endpoint": "scrape", "public_access": True,
                                                   "services": ["kafka-events", "pg-orders"], "wait_interval": 0.05})
    assert rc == 0, proc.stdout
    services = fake.projects["acme"]["services"]
    assert services["kafka-events"]["user_config"]["public_access"]["prometheus"] is True
    # pg-orders is not in a VPC: its dynamic route is reachable already, so it is left alone
    assert services["pg-orders"]["user_config"]["public_access"]["prometheus"] is False
    assert ("PUT", "/v1/project/acme/service/pg-orders") not in writes(fake)
    kafka = [s for s in result["services"] if s["service_name"] == "kafka-events"][0]
    assert "public-kafka-events-acme.aiven.test" in {t["host"] for t in kafka["targets"] if t["route"] == "public"}


def test_absent_removes_and_twice_is_a_no_op(run, fake):
    assert endpoint(run)[0] == 0
    args = {"endpoint": "scrape", "services": ["pg-orders", "kafka-events"], "wait_interval": 0.05}
    assert run("service_integration", args)[0] == 0
    rc, result, dummy = run("service_integration", dict(args, state="absent"))
    assert rc == 0 and result["changed"] is True
    assert enabled_services(fake) == []
    fake.clear_requests()
    rc, result, dummy = run("service_integration", dict(args, state="absent"))
    assert rc == 0 and result["changed"] is False
    assert writes(fake) == []


def test_create_that_took_effect_then_500_is_read_back_and_undone(run, fake):
    # Issue 11.6: the create for pg-orders is carried out and answered 500. With retries it is
    # found before a re-send; without them (one attempt), the module reads back and undoes it.
    assert endpoint(run)[0] == 0
    fake.inject_fault(status=500, times=1, method="POST", path="/integration$", apply_first=True, after=1,
                      message="Internal error")
    rc, result, dummy = run("service_integration", {"endpoint": "scrape", "access": ["public"],
                                                    "services": ["kafka-events", "pg-orders"]},
                            env={"AIVEN_CLIENT_RETRY_MAX": "0"})
    assert rc != 0
    assert result["msg"] == (
        "Aiven API POST /project/acme/integration returned HTTP 500: Internal error; undid what had taken effect: "
        "public_access of kafka-events, integration of kafka-events, integration of pg-orders; nothing is left "
        "changed (read back from Aiven)")
    assert result["changed"] is False
    assert enabled_services(fake) == []
    assert fake.projects["acme"]["services"]["kafka-events"]["user_config"]["public_access"]["prometheus"] is False


# ------------------------------------------------------------------ faults

def test_429_burst_and_503s_end_in_success(run, fake):
    assert endpoint(run)[0] == 0
    fake.inject_fault(status=429, times=3, retry_after=0)
    fake.inject_fault(status=503, times=2)
    rc, result, proc = run("service_integration", {"endpoint": "scrape", "services": ["pg-orders"],
                                                   "wait_interval": 0.05})
    assert rc == 0, proc.stdout
    assert enabled_services(fake) == ["pg-orders"]
    statuses = [r["status"] for r in fake.requests]
    assert statuses.count(429) == 3 and statuses.count(503) == 2


def test_retried_post_makes_no_duplicate(run, fake):
    assert endpoint(run)[0] == 0
    fake.inject_fault(status=504, times=1, method="POST", path="/integration$", apply_first=True)
    rc, result, proc = run("service_integration", {"endpoint": "scrape", "services": ["pg-orders"],
                                                   "wait_interval": 0.05})
    assert rc == 0, proc.stdout
    assert enabled_services(fake) == ["pg-orders"]
    assert [r["method"] for r in fake.requests if r["path"] == "/v1/project/acme/integration"] == ["POST"]


def test_persistent_500_fails_with_status_and_message(run, fake):
    fake.inject_fault(status=500, times=100, message="Something broke")
    rc, result, dummy = run("service_info", {})
    assert rc != 0
    assert result["msg"] == ("Aiven API GET /project/acme/service returned HTTP 500: Something broke "
                             "(gave up after 7 attempts)")
    assert len(fake.requests) == 7  # retried like Aiven's Go clients (aiven-api.md 7.2), then given up


def test_bad_token_unknown_project_and_unreachable_api(run, fake):
    rc, result, dummy = run("service_info", {}, env={"AIVEN_TOKEN": "wrong-token-123"})
    assert rc != 0 and "HTTP 403" in result["msg"] and "check api_token" in result["msg"]
    rc, result, dummy = run("service_info", {"project": "nope"})
    assert rc != 0 and "HTTP 404" in result["msg"]
    rc, result, dummy = run("service_info", {}, env={"AIVEN_WEB_URL": "http://127.0.0.1:%d" % free_port()})
    assert rc != 0 and "cannot reach http://127.0.0.1:" in result["msg"] and "gave up after" in result["msg"]


# ------------------------------------------------------------------ project_ca and service_info

def test_project_ca_writes_only_when_different(run, fake, tmp_path):
    dest = tmp_path / "ca.pem"
    rc, result, proc = run("project_ca", {"dest": str(dest), "mode": "0640"}, check_mode=True)
    assert rc == 0 and result["changed"] is True and not dest.exists(), proc.stdout
    rc, result, proc = run("project_ca", {"dest": str(dest), "mode": "0640"})
    assert rc == 0 and result["changed"] is True, proc.stdout
    assert dest.read_text() == fake.projects["acme"]["ca_pem"] == result["certificate"]
    assert stat.S_IMODE(os.stat(dest).st_mode) == 0o640
    mtime = os.stat(dest).st_mtime_ns
    rc, result, dummy = run("project_ca", {"dest": str(dest), "mode": "0640"})
    assert rc == 0 and result["changed"] is False
    assert os.stat(dest).st_mtime_ns == mtime


def test_service_info_query_and_no_secrets(run, fake):
    rc, result, proc = run("service_info", {"query": "[?service_type=='kafka']"})
    assert rc == 0, proc.stdout
    assert [s["service_name"] for s in result["services"]] == ["kafka-events"]
    rc, result, proc = run("service_info", {})
    assert rc == 0
    assert "<redacted>" not in proc.stdout and "service_uri" not in proc.stdout
    rc, result, dummy = run("service_info", {"services": ["nope"]})
    assert rc != 0 and "unknown service(s) in this project: nope" in result["msg"]


def test_endpoint_password_file_written_only_when_different(run, fake, tmp_path):
    path = tmp_path / "password"
    rc, result, proc = run("integration_endpoint", {"name": "gen", "password_file": str(path)}, check_mode=True)
    assert rc == 0 and result["changed"] is True and not path.exists(), proc.stdout
    rc, result, proc = run("integration_endpoint", {"name": "gen", "password_file": str(path)})
    assert rc == 0 and result["changed"] is True, proc.stdout
    generated = list(fake.projects["acme"]["endpoints"].values())[0]["user_config"]["basic_auth_password"]
    assert path.read_text() == generated + "\n"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert generated not in proc.stdout and "password" not in result["endpoint"]
    mtime = os.stat(path).st_mtime_ns
    rc, result, dummy = run("integration_endpoint", {"name": "gen", "password_file": str(path)})
    assert rc == 0 and result["changed"] is False
    assert os.stat(path).st_mtime_ns == mtime
    # a new password reaches the API and the file in one task
    rc, result, dummy = run("integration_endpoint", {"name": "gen", "password": PASSWORD, "password_file": str(path)})
    assert rc == 0 and result["changed"] is True
    assert path.read_text() == PASSWORD + "\n"
    # a directory that does not exist: one clear line, not a traceback
    missing = tmp_path / "nope" / "password"
    rc, result, dummy = run("integration_endpoint", {"name": "gen", "password_file": str(missing)})
    assert rc != 0 and result["msg"] == "the directory of %s does not exist" % missing


# ------------------------------------------------------------------ EXAMPLES as pasted (issue 17.5)

@pytest.mark.parametrize("module", ["integration_endpoint", "project_ca", "service_integration", "project_integration"])
def test_examples_run_as_pasted_with_a_prometheus_host_that_has_no_requests(ansible, tmp_path, module):
    """Each module's EXAMPLES, unchanged but for /etc/prometheus -> a scratch directory, in a play
    on a Prometheus host whose Python has no requests: a module task that ran there instead of
    on the controller would fail, the copy tasks must work there."""
    bare_python = "/usr/bin/python3"
    if subprocess.run([bare_python, "-c", "import requests"], capture_output=True, check=False).returncode == 0:
        pytest.skip("%s has requests: it cannot stand in for a Prometheus host without it" % bare_python)
    examples = importlib.import_module("ansible_collections.aiven_tools.prometheus.plugins.modules." + module).EXAMPLES
    etc = tmp_path / "etc-prometheus"
    etc.mkdir()
    tasks = "\n".join("    " + line if line.strip() else "" for line in examples.replace("/etc/prometheus", str(etc))
                      .splitlines())
    playbook = tmp_path / "examples.yml"
    playbook.write_text("- hosts: prometheus\n  gather_facts: false\n  tasks:\n" + tasks + "\n")
    inventory = tmp_path / "inventory.ini"
    inventory.write_text("localhost ansible_connection=local ansible_python_interpreter=%s\n"
                         "[prometheus]\nprom1 ansible_connection=local ansible_python_interpreter=%s\n"
                         % (sys.executable, bare_python))
    services = [("pg-orders", "pg", 2, "vpc-1"), ("kafka-events", "kafka", 1, "vpc-1")]
    with running(TOKEN, services, project="acme-prod") as fake:
        if module == "service_integration":  # its examples use an endpoint made beforehand
            fake_endpoint = {"endpoint_name": "prometheus", "endpoint_type": "prometheus", "user_config": {}}
            requests.post(fake.url + "/v1/project/acme-prod/integration_endpoint", json=fake_endpoint, timeout=10,
                          headers={"Authorization": "aivenv1 " + TOKEN}).raise_for_status()
        proc = ansible.playbook(playbook, "-i", str(inventory), "-e", "vault_aiven_prometheus_password=" + PASSWORD,
                                env={"AIVEN_WEB_URL": fake.url, "AIVEN_TOKEN": TOKEN,
                                     "AIVEN_CLIENT_RETRY_WAIT_MIN": "0.01"})
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "failed=0" in proc.stdout
        project = fake.projects["acme-prod"]
        if module == "project_ca":
            for written in (etc / "aiven-acme-prod-ca.pem", tmp_path / "aiven-acme-prod-ca.pem"):
                assert written.read_text() == project["ca_pem"]
        elif module == "integration_endpoint":
            assert (etc / "aiven-password").read_text() == PASSWORD + "\n"
            assert stat.S_IMODE(os.stat(etc / "aiven-password").st_mode) == 0o640
            assert (tmp_path / "aiven-prometheus-password").read_text() == PASSWORD + "\n"
            assert project["endpoints"] == {}  # the last example removes it
        elif module == "project_integration":
            assert (etc / "aiven-acme-prod-ca.pem").read_text() == project["ca_pem"]
            [password] = (etc / "aiven-password").read_text().splitlines()
            assert len(password) >= 8
            assert project["endpoints"] == {} and project["integrations"] == {}  # the last examples remove them
            assert project["services"]["kafka-events"]["user_config"]["private_access"] == {"prometheus": True}
        else:
            assert [i["source_service"] for i in project["integrations"].values()] == ["kafka-events"]
            assert project["services"]["pg-orders"]["user_config"]["private_access"] == {"prometheus": True}
            assert "private-pg-orders-acme-prod.aiven.test" in proc.stdout
    ansible.assert_no_secret(TOKEN, PASSWORD)


# ------------------------------------------------------------------ project_integration (issues 11.2, 13.1)

def test_project_integration_skips_a_powered_off_service_and_converges_the_others(run, fake):
    fake.set_service_state("acme", "mysql-vpc", "POWEROFF")
    args = {"query": "[?service_type!='grafana']", "access": ["private"], "wait_interval": 0.05, "wait_timeout": 120}
    rc, result, proc = run("project_integration", args)
    assert rc == 0, proc.stdout
    assert enabled_services(fake) == ["kafka-events", "pg-orders"]
    assert result["skipped_services"] == [{"service": "mysql-vpc", "state": "POWEROFF", "reason": (
        "powered off: nothing was changed for it (no nodes to scrape); re-run after it is powered on")}]
    assert "not waited for, as they are not running: mysql-vpc (POWEROFF)" in proc.stdout + proc.stderr
    kafka = [s for s in result["services"] if s["service_name"] == "kafka-events"][0]
    assert {t["route"] for t in kafka["targets"]} == {"dynamic", "private"}
    assert result["ca_certificate"] == fake.projects["acme"]["ca_pem"]
    assert "password" not in result["endpoint"]

    fake.clear_requests()
    rc, result, proc = run("project_integration", args)
    assert rc == 0 and result["changed"] is False, proc.stdout
    assert [r["method"] for r in fake.requests] == ["GET"] * 4
