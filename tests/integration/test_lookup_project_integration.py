"""The project_integration lookup through real ansible-playbook runs against the fake Aiven API
(tests/sandbox/fake_aiven.py, started in this process on 127.0.0.1): its EXAMPLES as pasted,
and the pattern the role uses (a set_fact with no_log, then a task that reports the failure)."""
import json
import sys

import pytest

from ansible_collections.aiven_tools.prometheus.plugins.lookup import project_integration as lookup_plugin
from sandbox.fake_aiven import running

TOKEN = "tok-lookup-integration-8d2f"
NAME = "aiven_tools.prometheus.project_integration"


def inventory(tmp_path):
    path = tmp_path / "inventory.ini"
    path.write_text("localhost ansible_connection=local ansible_python_interpreter=%s\n" % sys.executable)
    return str(path)


def environment(fake, project="acme", token=TOKEN):
    return {"AIVEN_WEB_URL": fake.url, "AIVEN_TOKEN": token, "AIVEN_PROJECT": project,
            "AIVEN_CLIENT_RETRY_WAIT_MIN": "0.01", "AIVEN_CLIENT_RETRY_WAIT_MAX": "0.05"}


def play(tmp_path, tasks, name="play.yml"):
    path = tmp_path / name
    indented = "\n".join("    " + line if line.strip() else "" for line in tasks.splitlines())
    path.write_text("- hosts: localhost\n  gather_facts: false\n  tasks:\n" + indented + "\n")
    return path


def test_examples_run_as_pasted_and_the_second_run_sends_no_module(ansible, tmp_path):
    with running(TOKEN, [("pg-orders", "pg", 2), ("kafka-events", "kafka", 1)], project="acme-prod") as fake:
        playbook = play(tmp_path, lookup_plugin.EXAMPLES)
        env = environment(fake, project="acme-prod")

        first = ansible.playbook(playbook, "-i", inventory(tmp_path), env=env)
        assert first.returncode == 0, first.stdout + first.stderr
        project = fake.projects["acme-prod"]
        [endpoint] = project["endpoints"].values()
        assert [i["source_service"] for i in project["integrations"].values()] == ["pg-orders"]
        assert "changed: [localhost]" in first.stdout.split("TASK [Make the changes, only when there are some]")[1]
        assert "pg-orders-acme-prod.aiven.test" in first.stdout  # Hosts to scrape
        # kafka-events is running and has no integration yet: the last example says so
        assert "not running: []; changes needed: True" in first.stdout

        fake.clear_requests()
        second = ansible.playbook(playbook, "-i", inventory(tmp_path), env=env)
        assert second.returncode == 0, second.stdout + second.stderr
        assert "skipping: [localhost]" in second.stdout.split("TASK [Make the changes, only when there are some]")[1]
        assert "pg-orders-acme-prod.aiven.test" in second.stdout
        assert fake.requests and {r["method"] for r in fake.requests} == {"GET"}
        password = endpoint["user_config"]["basic_auth_password"]
    ansible.assert_no_secret(TOKEN, password)


ROLE_PATTERN = """
- name: Read what the module would change
  ansible.builtin.set_fact:
    plan: >-
      {{ lookup('aiven_tools.prometheus.project_integration', services=['pg-orders'], return_password=true,
                endpoint_name=omit, username=none, fail_on_error=%s) }}
  no_log: true

- name: Report the failure
  ansible.builtin.fail:
    msg: "Aiven: {{ plan.msg }}"
  when: plan.failed | default(false)

- name: Or what it found
  ansible.builtin.debug:
    msg: "changed={{ plan.changed }} endpoint={{ plan.endpoint.name }} skipped={{ plan.skipped_services | length }}"
"""


def test_a_failure_in_a_no_log_task_reaches_the_next_task_without_the_token(ansible, tmp_path):
    wrong = "tok-wrong-4a1b9c"
    with running(TOKEN, [("pg-orders", "pg", 1)]) as fake:
        reported = ansible.playbook(play(tmp_path, ROLE_PATTERN % "false", "reported.yml"), "-i", inventory(tmp_path),
                                    env=environment(fake, token=wrong))
        # the default (raise) in a no_log task: Ansible hides the error entirely, hence fail_on_error=false
        hidden = ansible.playbook(play(tmp_path, ROLE_PATTERN % "true", "hidden.yml"), "-i", inventory(tmp_path),
                                  env=environment(fake, token=wrong))
        works = ansible.playbook(play(tmp_path, ROLE_PATTERN % "false", "works.yml"), "-i", inventory(tmp_path),
                                 env=environment(fake))
        assert fake.writes() == []
    assert reported.returncode == 2, reported.stdout + reported.stderr
    assert ("Aiven: Aiven API GET /project/acme/integration_endpoint returned HTTP 403: Authentication failed "
            "(check api_token / AIVEN_TOKEN and that the token's user may access this project)") in reported.stdout
    # ansible-core 2.19 displays the exception apart; before it, nothing but the censored result showed
    [fatal] = [line for line in hidden.stdout.splitlines() if line.startswith("fatal: [localhost]: FAILED!")]
    assert hidden.returncode == 2 and "censored" in fatal and "Authentication failed" not in fatal
    assert works.returncode == 0, works.stdout + works.stderr
    # omit and none are "not given": the default endpoint name, and the module's plan for a fresh project
    assert "changed=True endpoint=prometheus skipped=0" in works.stdout
    ansible.assert_no_secret(TOKEN, wrong)


def test_documented_options_are_those_the_lookup_takes(ansible):
    proc = ansible.run(["ansible-doc", "-t", "lookup", "--json", NAME])
    assert proc.returncode == 0 and "[WARNING]" not in proc.stderr, proc.stderr
    doc = json.loads(proc.stdout)[NAME]["doc"]
    assert set(doc["options"]) == set(lookup_plugin.OPTIONS) | {"fail_on_error"}
    assert doc["version_added"] == "0.1.0"


@pytest.mark.parametrize("option", ["state", "password_file", "ca_file", "remove_endpoint", "wait", "wait_timeout"])
def test_options_that_write_or_wait_are_not_taken(option):
    assert option not in lookup_plugin.OPTIONS
