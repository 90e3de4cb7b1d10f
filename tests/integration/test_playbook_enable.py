"""playbooks/enable.yml (API only) run by real ansible-playbook against the fake Aiven API."""
import os
import stat

import pytest

from sandbox.fake_aiven import running

TOKEN = "tok-enable-8d2c41"


@pytest.fixture
def fake():
    with running(TOKEN, [("pg-orders", "pg", 2), ("kafka-events", "kafka", 3), ("mysql-other", "mysql", 1)]) as api:
        yield api


def run_enable(ansible, fake, tmp_path, *extra):
    return ansible.playbook("playbooks/enable.yml", "-e", "aiven_output_dir=%s" % tmp_path, *extra,
                            env={"AIVEN_WEB_URL": fake.url, "AIVEN_TOKEN": TOKEN, "AIVEN_PROJECT": "acme",
                                 "AIVEN_CLIENT_RETRY_WAIT_MIN": "0.01"})


def test_enable_all_then_idempotent_in_four_requests(ansible, fake, tmp_path):
    proc = run_enable(ansible, fake, tmp_path, "-e", "aiven_password=Scrape-pass-1234")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert sorted(i["source_service"] for i in fake.projects["acme"]["integrations"].values()) == [
        "kafka-events", "mysql-other", "pg-orders"]
    ca = tmp_path / "aiven-acme-ca.pem"
    assert ca.read_text() == fake.projects["acme"]["ca_pem"]
    password = tmp_path / "aiven-prometheus-password"
    assert password.read_text() == "Scrape-pass-1234\n"
    assert stat.S_IMODE(os.stat(password).st_mode) == 0o600
    assert "replica-pg-orders-acme.aiven.test" in proc.stdout
    ca_mtime, password_mtime = os.stat(ca).st_mtime_ns, os.stat(password).st_mtime_ns

    fake.clear_requests()
    proc = run_enable(ansible, fake, tmp_path, "-e", "aiven_password=Scrape-pass-1234")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "changed=0" in proc.stdout
    # endpoint list + endpoint read + one service list + CA, however many services
    assert [r["method"] for r in fake.requests] == ["GET"] * 4
    assert (os.stat(ca).st_mtime_ns, os.stat(password).st_mtime_ns) == (ca_mtime, password_mtime)
    ansible.assert_no_secret(TOKEN, "Scrape-pass-1234")


def test_enable_selected_services_only(ansible, fake, tmp_path):
    proc = run_enable(ansible, fake, tmp_path, "-e", '{"aiven_services": ["pg-orders"]}')
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert [i["source_service"] for i in fake.projects["acme"]["integrations"].values()] == ["pg-orders"]
    generated = list(fake.projects["acme"]["endpoints"].values())[0]["user_config"]["basic_auth_password"]
    assert (tmp_path / "aiven-prometheus-password").read_text() == generated + "\n"
    ansible.assert_no_secret(TOKEN, generated)


def test_enable_without_project_says_how_to_set_it(ansible, fake, tmp_path):
    proc = ansible.playbook("playbooks/enable.yml", env={"AIVEN_WEB_URL": fake.url, "AIVEN_TOKEN": TOKEN})
    assert proc.returncode != 0
    assert "Set the Aiven project: -e aiven_project=NAME or the environment variable AIVEN_PROJECT." in proc.stdout
    assert fake.requests == []


def test_check_mode_changes_nothing_and_says_why_targets_are_empty(ansible, fake, tmp_path):
    proc = run_enable(ansible, fake, tmp_path, "--check")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert [r["method"] for r in fake.requests] == ["GET"] * len(fake.requests)
    assert fake.projects["acme"]["integrations"] == {}
    assert not (tmp_path / "aiven-prometheus-password").exists()
    assert "nothing was changed; services whose integration is not enabled yet show no targets" in proc.stdout
    assert '"endpoint": "prometheus (not created yet)"' in proc.stdout
    # Without --check the note is not there.
    proc = run_enable(ansible, fake, tmp_path)
    assert proc.returncode == 0 and "nothing was changed" not in proc.stdout
    assert '"endpoint": "prometheus (user prom' in proc.stdout
