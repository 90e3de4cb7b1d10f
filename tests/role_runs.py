"""Helpers the role's end-to-end tests share: run site.yml / remove.yml against a Sandbox and
read the outcome (recap, reload timestamp)."""
import pathlib
import re

import pytest

from sandbox.prometheus import missing_reason, versions
from sandbox.sandbox import Sandbox

REPO = pathlib.Path(__file__).resolve().parents[1]
SITE = REPO / "playbooks" / "site.yml"
REMOVE = REPO / "playbooks" / "remove.yml"


def need(label):
    if label not in versions():
        pytest.skip(missing_reason(label))


def sandboxes(tmp_path, **defaults):
    """Generator for a fixture: yields make(**kwargs) -> started Sandbox; stops them all after."""
    started = []

    def make(**kwargs):
        kwargs = dict(defaults, **kwargs)
        wanted = kwargs.get("prometheus_version", "2.42")
        for label in [wanted] if isinstance(wanted, str) else wanted:  # a label, or one per Prometheus
            need(label)
        box = Sandbox(tmp_path / ("sandbox%d" % len(started)), **kwargs)
        started.append(box)
        return box.start()
    yield make
    for box in started:
        box.stop()


def run(ansible, box, playbook=SITE, *args, env=None, host_vars=None, **extra_vars):
    """ansible-playbook PLAYBOOK against `box`; `host_vars` {host: {var: value}} go into the
    inventory (per host, e.g. one config style per Prometheus), `extra_vars` to -e (every host)."""
    inventory = box.write_inventory(host_vars=host_vars)
    extra = box.write_extra_vars(**extra_vars)
    # Pipelining: fewer temporary files and processes per task (the suite runs on 2 cores).
    env = dict(env or {}, ANSIBLE_PIPELINING="1")
    return ansible.playbook(playbook, "-i", str(inventory), "-e", "@%s" % extra, *args, env=env)


def recap(proc):
    """{host: {"ok": n, "changed": n, "failed": n, ...}} from the PLAY RECAP."""
    hosts = {}
    for host, fields in re.findall(r"^(\S+)\s+:\s+(ok=.*)$", proc.stdout, re.M):
        hosts[host] = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", fields)}
    return hosts


def ok(proc):
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    return recap(proc)


def reload_ts(prom):
    return prom.metric("prometheus_config_last_reload_success_timestamp_seconds")
