"""What real Aiven projects and real Prometheus hosts do to the role (issue 11, issue 13.4):
a password rotated in the console, a powered-off service, standbys whose certificates name only
the replica host, IPv6-only names, a corporate resolver with a search domain, and every route.

Real ansible-playbook, real Prometheus (each version where behaviour differs), real TLS (the
sandbox CA; node certificates name only DNS names), real DNS; only the Aiven API is the fake.
"""
import os
import pathlib
import shutil

import pytest

from role_runs import ok, reload_ts, run, sandboxes
from sandbox.prometheus import missing_reason, versions
from sandbox.util import wait_until

needs_namespaces = pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("unshare") or not shutil.which("ip"),
                                      reason="needs root, unshare and ip (network namespaces)")


@pytest.fixture
def sandbox_factory(tmp_path):
    yield from sandboxes(tmp_path)


def rendered_config(prom):
    """The main file plus its drop-ins (/api/v1/status/config leaves out scrape_config_files jobs)."""
    main = pathlib.Path(prom.config_file)
    return "".join(path.read_text() for path in [main] + sorted((main.parent / "scrape_configs.d").glob("*.yml")))


def service_jobs(box, service):
    return (box.job_name(service), box.job_name(service) + "-replica")


def all_up(box, prom, services=None, timeout=60):
    """Every node of every (listed) service is an up target of that service's jobs."""
    for service in services or [s[0] for s in box.services]:
        nodes = box.nodes[service]
        targets = prom.wait_targets_up(service_jobs(box, service), len(nodes), timeout=timeout)
        assert all(t["labels"]["aiven_service"] == service for t in targets)
    return True


def rotate_password(box, new):
    """What 'reset password' in Aiven's console does: the endpoint's password changes on Aiven,
    and the nodes answer only to the new one from then on."""
    fake = box.fake
    with fake._lock:
        for endpoint in fake.projects[box.project]["endpoints"].values():
            if endpoint["endpoint_type"] == "prometheus":
                endpoint["user_config"]["basic_auth_password"] = new


ROTATION_VERSIONS = ("2.42", "2.53", "3.5")  # 2.42 re-reads password_file per scrape, 3.x per pool


def test_a_password_rotated_in_the_console_is_picked_up_by_one_run(ansible, sandbox_factory):
    """Prometheus 3.x reads password_file once per scrape pool and a reload keeps pools whose job
    did not change (testing.md): the job carries the password's fingerprint, so it changes.

    One host per version in one sandbox (a fleet that shares the endpoint, as an HA pair of
    mixed versions would): each host is converged, sees the 401 after the rotation, and is
    brought back up by the same one run; each claim is asserted per host. The versions' waits
    (new targets, the 401, the reload) overlap instead of adding up, one sandbox per version."""
    present = versions()
    labels = [label for label in ROTATION_VERSIONS if label in present]
    missing = [label for label in ROTATION_VERSIONS if label not in present]
    if not labels:
        pytest.skip("no Prometheus of %s is here" % ", ".join(ROTATION_VERSIONS))
    box = sandbox_factory(services=[("pg-orders", "pg", 1)], prometheus_version=labels)
    hosts = list(zip(labels, box.prometheus))
    ok(run(ansible, box, prometheus_aiven_discovery="static"))
    for _label, prom in hosts:
        assert all_up(box, prom)

    password = "Rotated-Passw0rd-%s" % "-".join(labels)
    rotate_password(box, password)
    job = box.job_name("pg-orders")
    # The old password is refused from now on: wait until each Prometheus has seen it.
    for label, prom in hosts:
        wait_until(lambda: [t for t in prom.job_targets(job) if t["health"] == "down"], 30,
                   "the 401 after rotation on %s" % label)
    before = {prom.name: reload_ts(prom) for _label, prom in hosts}
    proc = run(ansible, box, prometheus_aiven_discovery="static")
    counts = ok(proc)
    for label, prom in hosts:
        assert counts[prom.name]["changed"] > 0, label
        assert reload_ts(prom) > before[prom.name], label
        assert prom.wait_targets_up(job, 1, timeout=60), label  # up again, without a restart of Prometheus
    ansible.assert_no_secret(password, box.token)
    if missing:  # the present ones passed; say which were not tried
        pytest.skip("Prometheus %s not here: %s" % (", ".join(missing), "; ".join(missing_reason(l) for l in missing)))


def test_a_powered_off_service_and_standbys_named_only_as_replicas(ansible, sandbox_factory):
    """Two claims about what a project holds, made by one run (each needs a sandbox and a
    converge of its own otherwise, and neither changes what the other shows):

    * services: all, one of them POWEROFF (no components, no nodes): the others converge, the run
      says which service it skipped and why, and does not wait for it (a wait would run into the
      600 s of the integration wait and the run's own timeout).
    * standbys whose certificates name only the replica host: one server_name per certificate
      name (prometheus#4827): the primary's job verifies against the primary host, the replica
      job against the replica- host; every target up."""
    box = sandbox_factory(services=[("pg-orders", "pg", 3), ("kafka-idle", "kafka", 1, "poweroff")],
                          cert_names="per_node_role")
    prom = box.prometheus[0]
    proc = run(ansible, box, prometheus_aiven_services="all", prometheus_aiven_discovery="static",
               prometheus_aiven_integration_wait_timeout=600)
    ok(proc)
    assert "kafka-idle" in proc.stdout and "POWEROFF" in proc.stdout  # said what it skipped, and why
    assert all_up(box, prom, services=["pg-orders"])
    assert box.job_name("kafka-idle") not in rendered_config(prom)
    primary = prom.wait_targets_up(box.job_name("pg-orders"), 1)
    replicas = prom.wait_targets_up(box.job_name("pg-orders") + "-replica", 2)
    assert {t["labels"]["aiven_usage"] for t in primary} == {"primary"}
    assert {t["labels"]["aiven_usage"] for t in replicas} == {"replica"}

    # Only the powered-off service selected: one clear failure, nothing changed on the host.
    config, before = pathlib.Path(prom.config_file).read_bytes(), reload_ts(prom)
    proc = run(ansible, box, prometheus_aiven_services="kafka-idle", prometheus_aiven_discovery="static")
    assert proc.returncode != 0 and proc.stdout.count("fatal:") == 1
    assert ("No selected Aiven service of project %s has Prometheus targets on route dynamic" % box.project
            in proc.stdout), proc.stdout[-3000:]
    assert "kafka-idle: not running (state POWEROFF)" in proc.stdout
    assert pathlib.Path(prom.config_file).read_bytes() == config and reload_ts(prom) == before


def test_ipv6_only_names_static(ansible, sandbox_factory):
    """Names with only AAAA records: record_types AAAA, the target written [addr]:port."""
    box = sandbox_factory(services=[("valkey-cache", "valkey", 1, "ipv6")])
    prom = box.prometheus[0]
    ok(run(ansible, box, prometheus_aiven_discovery="static", prometheus_aiven_record_types="AAAA"))
    targets = prom.wait_targets_up(box.job_name("valkey-cache"), 1)
    assert targets[0]["labels"]["instance"].startswith("[::1]:")


@needs_namespaces
def test_ipv6_only_names_dns_sd_in_a_namespace(ansible, sandbox_factory):
    box = sandbox_factory(services=[("valkey-cache", "valkey", 2, "ipv6")], netns=True,
                          prometheus_version=list(versions())[-1])
    prom = box.prometheus[0]
    ok(run(ansible, box, prometheus_aiven_discovery="dns_sd", prometheus_aiven_record_types="AAAA"))
    assert all_up(box, prom)


@needs_namespaces
def test_a_search_domain_cannot_hijack_the_names(ansible, sandbox_factory):
    """resolv.conf with `search corp.example` and `options ndots:5` and a wildcard *.corp.example:
    relative names would reach the decoy; the role writes absolute names (trailing dot) and
    verifies TLS against the name without the dot."""
    box = sandbox_factory(services=[("pg-orders", "pg", 2)], prometheus_dns=True, search_domain="corp.example",
                          prometheus_version=list(versions())[-1])
    prom = box.prometheus[0]
    ok(run(ansible, box, prometheus_aiven_discovery="dns_sd"))
    assert all_up(box, prom)
    assert "server_name: %s\n" % box.service_host("pg-orders") in rendered_config(prom)
    assert "- %s.\n" % box.service_host("pg-orders") in rendered_config(prom)  # the absolute dns_sd name


@needs_namespaces
@pytest.mark.parametrize("route, specs", [
    ("public", [("kafka-events", "kafka", 2, "vpc")]),
    ("private", [("kafka-events", "kafka", 2, "vpc")]),
    # Both PrivateLink services in one run (flink has PrivateLink only): the route is the run's,
    # and each service's flag, names and jobs are its own, asserted one by one.
    ("privatelink", [("kafka-events", "kafka", 2, "vpc", "privatelink"), ("flink-jobs", "flink", 1, "vpc", "privatelink")]),
], ids=["public", "private", "privatelink"])
def test_each_route_turns_its_flag_on_and_scrapes_its_names(ansible, sandbox_factory, route, specs):
    """A VPC service: the route's access flag is turned on in the same API pass and the jobs
    scrape the route's host names from the components, TLS verified against them; a second run
    changes nothing on Aiven."""
    box = sandbox_factory(services=specs, prometheus_dns=True, prometheus_version=list(versions())[-1])
    prom = box.prometheus[0]
    ok(run(ansible, box, prometheus_aiven_route=route))
    assert all_up(box, prom)
    for spec in specs:
        service = box.fake.projects[box.project]["services"][spec[0]]
        assert service["user_config"]["%s_access" % route]["prometheus"] is True, spec[0]
        hosts = [row["host"] for row in box.fake._components(box.fake.projects[box.project], service)
                 if row["route"] == route and row["component"] == "prometheus"]
        assert hosts and "server_name: %s\n" % hosts[0] in rendered_config(prom), spec[0]
    box.fake.clear_requests()
    proc = run(ansible, box, prometheus_aiven_route=route)
    assert ok(proc)["prometheus-1"]["changed"] == 0
    assert all(r["method"] == "GET" for r in box.fake.requests)


def test_a_route_the_service_type_lacks_fails_before_any_change(ansible, sandbox_factory):
    box = sandbox_factory(services=[("flink-jobs", "flink", 1, "vpc", "privatelink"), ("grafana-ui", "grafana", 1, "vpc")])
    prom = box.prometheus[0]
    original = pathlib.Path(prom.config_file).read_bytes()
    proc = run(ansible, box, prometheus_aiven_services=["grafana-ui"], prometheus_aiven_route="public")
    assert proc.returncode != 0
    assert "grafana-ui" in proc.stdout
    assert [r for r in box.fake.requests if r["method"] != "GET"] == []
    assert pathlib.Path(prom.config_file).read_bytes() == original
    proc = run(ansible, box, prometheus_aiven_services=["flink-jobs"], prometheus_aiven_route="public")
    assert proc.returncode != 0 and "flink" in proc.stdout and "privatelink" in proc.stdout
