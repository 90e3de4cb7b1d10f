"""`make demo` (tests/sandbox/demo.py): the README's main command works and shows healthy targets."""
import os
import re
import subprocess
import sys

from conftest import REPO


def run_demo(**env):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AIVEN_", "ANSIBLE_"))}
    clean.update(env)
    return subprocess.run([sys.executable, str(REPO / "tests" / "sandbox" / "demo.py")], env=clean,
                          capture_output=True, text=True, timeout=600, check=False)


def test_demo_against_the_sandbox_shows_every_aiven_target_up():
    proc = run_demo()
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    rows = re.findall(r"^(aiven-acme-\S+)\s+(\S+)\s+(up|down|unknown)\s", proc.stdout, re.M)
    # pg's standby has a host name of its own (replica-), so a job of its own (one server_name each).
    assert sorted({job for job, dummy, dummy2 in rows}) == [
        "aiven-acme-kafka-events", "aiven-acme-pg-orders", "aiven-acme-pg-orders-replica"]
    assert len(rows) == 5  # 2 pg nodes + 3 kafka nodes
    assert all(health == "up" for dummy, dummy2, health in rows), proc.stdout[-3000:]
    assert "server_name: pg-orders-acme.aiven.test" in proc.stdout
    assert "insecure_skip_verify" not in proc.stdout


def test_demo_with_a_token_but_no_project_says_what_to_set():
    for variable in ("AIVEN_TOKEN", "AIVEN_AUTH_TOKEN"):  # either makes `make demo` use a real project
        proc = run_demo(**{variable: "not-a-real-token"})
        assert proc.returncode != 0
        assert "also set AIVEN_PROJECT" in proc.stderr
