"""The role through playbooks/site.yml and remove.yml: real ansible-playbook, real Prometheus,
real TLS (project CA, node certificates naming only the DNS names), real DNS (dnslib server the
node_ips lookup asks); the fake Aiven API is the only stand-in.

Every assertion reads Prometheus's own API (/api/v1/targets, /api/v1/scrape_pools,
/api/v1/status/config, /metrics) or the fake's request log, so a wrong role fails them.
"""
import hashlib
import os
import pathlib
import shutil

import pytest
import requests

from role_runs import REMOVE, SITE, need, ok, reload_ts, run, sandboxes
from sandbox.prometheus import versions

REPO = pathlib.Path(__file__).resolve().parents[2]
SERVICES = [("pg-orders", "pg", 2), ("kafka-events", "kafka", 3, "vpc")]


@pytest.fixture
def sandbox_factory(tmp_path):
    yield from sandboxes(tmp_path, services=SERVICES)


def snapshot(directory):
    """{relative path: sha256} of every file under directory (config, drop-ins, CA, password)."""
    files = {}
    for path in sorted(pathlib.Path(directory).rglob("*")):
        if path.is_file():
            files[str(path.relative_to(directory))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return files


def service_jobs(box, service):
    """A service's jobs: its primary host name's, and its replica host name's (a job verifies all
    its targets against one certificate name, issue 11.3)."""
    return (box.job_name(service), box.job_name(service) + "-replica")


def assert_all_targets_up(box, prom, timeout=40, route="dynamic"):
    for service, nodes in box.nodes.items():
        targets = prom.wait_targets_up(service_jobs(box, service), len(nodes), timeout=timeout)
        assert sorted(t["labels"]["instance"] for t in targets) == sorted(n.address for n in nodes)
        for target in targets:
            assert target["scrapeUrl"].startswith("https://")
            assert target["labels"]["aiven_project"] == box.project
            assert target["labels"]["aiven_service"] == service
            assert target["labels"]["aiven_service_type"] == dict((s[0], s[1]) for s in box.services)[service]
    config = rendered_config(prom)
    assert "insecure_skip_verify" not in config  # verified TLS
    for name, _type, _nodes, vpc in box.services:
        which = route if route in ("public", "private") and vpc else "primary"
        assert "server_name: %s" % box.service_host(name, which) in config


def rendered_config(prom):
    """What the role rendered: the main file plus its drop-ins (/api/v1/status/config leaves
    out the jobs of scrape_config_files)."""
    main = pathlib.Path(prom.config_file)
    dropins = sorted((main.parent / "scrape_configs.d").glob("*.yml"))
    return "".join(path.read_text() for path in [main] + dropins)


def api_paths(box):
    return [(r["method"], r["path"]) for r in box.fake.requests]


def assert_no_secret_in_files(box, password):
    """The token and the password are in no file but the 0640 password file (and the test's own
    extra-vars file, which is how this test hands the token to Ansible)."""
    found = []
    for path in box.tmp_dir.rglob("*"):
        if not path.is_file() or path.name == "extra-vars.json" or "data" in path.relative_to(box.tmp_dir).parts:
            continue
        data = path.read_bytes()
        for secret in (box.token, password):
            if secret.encode() in data:
                found.append(str(path))
    password_files = [p for p in found if p.endswith(".password")]
    assert found == password_files, found
    for path in password_files:
        assert oct(os.stat(path).st_mode & 0o777) == "0o640"
        assert not box.token.encode() in pathlib.Path(path).read_bytes()


# ------------------------------------------------------------------------------- converge

def test_static_converges_verified_then_idempotent_then_check_diff(ansible, sandbox_factory):
    """2.42 (block style), static targets from the node_ips lookup against the sandbox DNS."""
    box = sandbox_factory(prometheus_version="2.42")
    prom = box.prometheus[0]
    original = pathlib.Path(prom.config_file).read_text()

    # --check on a project without endpoint or integrations: no API write, no file, no reload.
    files, before = snapshot(pathlib.Path(prom.config_file).parent), reload_ts(prom)
    proc = run(ansible, box, SITE, "--check", "--diff")
    ok(proc)
    assert all(method == "GET" for method, dummy in api_paths(box))
    # What would change on Aiven, though the module's result is no_log (it holds the password).
    shown = proc.stdout.split("Say what changed on Aiven (--diff)", 1)[1].split("TASK [", 1)[0]
    was, becomes = shown.split('"before"')[1], shown.split('"before"')[0]
    assert '"name": "prometheus"' in becomes and '"endpoint": {}' in was
    assert becomes.count('"prometheus_integration": true') == 2 and was.count('"prometheus_integration": false') == 2
    assert snapshot(pathlib.Path(prom.config_file).parent) == files and reload_ts(prom) == before

    proc = run(ansible, box, SITE, "-vvv")
    assert ok(proc)["prometheus-1"]["changed"] > 0
    assert_all_targets_up(box, prom)
    live = pathlib.Path(prom.config_file).read_text()
    assert live.startswith(original.split("  # keep this comment")[0])  # the hand-written part is intact
    assert "role: self   # keep this comment" in live
    password = box.endpoint_password()
    assert password and "password: " not in prom.config()  # only password_file in the config
    assert not list(pathlib.Path(prom.config_file).parent.glob("*~"))  # backups removed once live

    # Second run: nothing changes, no reload, a handful of read-only API requests.
    box.fake.clear_requests()
    before = reload_ts(prom)
    files = snapshot(pathlib.Path(prom.config_file).parent)
    proc = run(ansible, box)
    assert ok(proc)["prometheus-1"]["changed"] == 0
    assert reload_ts(prom) == before
    assert snapshot(pathlib.Path(prom.config_file).parent) == files
    assert all(method == "GET" for method, dummy in api_paths(box))
    assert len(box.fake.requests) <= 4, api_paths(box)

    # --check --diff with a changed input: shows the job diff, changes no file, no reload.
    proc = run(ansible, box, SITE, "--check", "--diff",
               prometheus_aiven_job_extra={"scrape_interval": "3s", "scrape_timeout": "1s"})
    ok(proc)
    assert "-    scrape_interval: 2s" in proc.stdout and "+    scrape_interval: 3s" in proc.stdout
    assert snapshot(pathlib.Path(prom.config_file).parent) == files
    assert reload_ts(prom) == before
    assert all(method == "GET" for method, dummy in api_paths(box))

    ansible.assert_no_secret(box.token, password)
    assert_no_secret_in_files(box, password)


def test_file_sd_ha_pair_one_api_pass_then_remove(ansible, sandbox_factory):
    """2.53 (auto -> file style), two Prometheus hosts, file_sd; then remove.yml."""
    box = sandbox_factory(prometheus_version="2.53", prometheus_count=2)
    originals = {p.name: pathlib.Path(p.config_file).read_bytes() for p in box.prometheus}

    proc = run(ansible, box, prometheus_aiven_discovery="file_sd")
    hosts = ok(proc)
    assert set(hosts) >= {"prometheus-1", "prometheus-2"}
    paths = api_paths(box)
    # The API steps ran once for both hosts: the read (lookup) and the change (module) once each.
    assert paths.count(("GET", "/v1/project/acme/kms/ca")) == 2
    assert paths.count(("POST", "/v1/project/acme/integration_endpoint")) == 1
    assert paths.count(("POST", "/v1/project/acme/integration")) == len(SERVICES)
    for prom in box.prometheus:
        assert_all_targets_up(box, prom)
        directory = pathlib.Path(prom.config_file).parent
        assert "scrape_config_files:" in pathlib.Path(prom.config_file).read_text()
        assert (directory / "scrape_configs.d" / "aiven-acme.yml").exists()
        assert (directory / "aiven-acme.targets.json").exists()

    box.fake.clear_requests()
    before = [reload_ts(p) for p in box.prometheus]
    proc = run(ansible, box, prometheus_aiven_discovery="file_sd")
    assert all(counts["changed"] == 0 for counts in ok(proc).values())
    assert [reload_ts(p) for p in box.prometheus] == before
    assert len(box.fake.requests) <= 4, api_paths(box)

    # Static targets now: the file_sd targets file the jobs no longer read goes with the change.
    proc = run(ansible, box, prometheus_aiven_discovery="static")
    assert all(counts["changed"] > 0 for counts in ok(proc).values())
    for prom in box.prometheus:
        assert not (pathlib.Path(prom.config_file).parent / "aiven-acme.targets.json").exists()
        assert "static_configs" in prom.config() and "file_sd_configs" not in prom.config()
        assert_all_targets_up(box, prom)

    # remove.yml: every job and file the role wrote is gone; the main file is byte-identical.
    box.fake.clear_requests()
    proc = run(ansible, box, REMOVE, prometheus_aiven_discovery="file_sd")
    ok(proc)
    for prom in box.prometheus:
        assert pathlib.Path(prom.config_file).read_bytes() == originals[prom.name]
        directory = pathlib.Path(prom.config_file).parent
        leftovers = sorted(p.name for p in directory.iterdir() if p.name.startswith("aiven-") or p.name.endswith("~"))
        assert leftovers == []
        assert not list((directory / "scrape_configs.d").glob("*"))
        assert reload_ts(prom) > before[box.prometheus.index(prom)]
        pools = prom._api("/api/v1/scrape_pools")["scrapePools"]
        assert not [p for p in pools if p.startswith("aiven-")]
    # The Aiven side is left alone unless asked.
    assert all(method == "GET" for method, dummy in api_paths(box))

    # Asked: the endpoint goes, and with it every integration; the hosts have nothing left to do.
    proc = run(ansible, box, REMOVE, prometheus_aiven_remove_endpoint=True)
    ok(proc)
    project = box.fake.projects["acme"]
    assert project["endpoints"] == {} and project["integrations"] == {}


# ------------------------------------------------------------------------------- faults

def test_candidate_rejected_by_promtool_leaves_live_file(ansible, sandbox_factory):
    box = sandbox_factory(services=SERVICES[:1])
    prom = box.prometheus[0]
    live = pathlib.Path(prom.config_file).read_bytes()
    before = reload_ts(prom)
    proc = run(ansible, box, prometheus_aiven_job_extra={"scrape_interval": "every-now-and-then"})
    assert proc.returncode != 0
    assert "every-now-and-then" in proc.stdout  # promtool's own message is shown
    assert pathlib.Path(prom.config_file).read_bytes() == live
    assert reload_ts(prom) == before


def test_reload_rejected_by_prometheus_is_rolled_back(ansible, sandbox_factory):
    """promtool 2.53 accepts scrape_config_files (auto -> file style); Prometheus 2.42 refuses it."""
    need("2.53")
    box = sandbox_factory(services=SERVICES[:1], prometheus_version="2.42")
    prom = box.prometheus[0]
    directory = pathlib.Path(prom.config_file).parent
    live = pathlib.Path(prom.config_file).read_bytes()
    inventory_vars = {prom.name: {"prometheus_aiven_promtool": versions()["2.53"].promtool}}
    box.write_inventory(host_vars=inventory_vars)
    extra = box.write_extra_vars()
    proc = ansible.playbook(SITE, "-i", str(box.tmp_dir / "inventory.yml"), "-e", "@%s" % extra)
    assert proc.returncode != 0
    assert "Prometheus rejected the new configuration" in proc.stdout
    assert "scrape_config_files" in proc.stdout  # Prometheus's own reason
    assert "previous configuration was restored" in proc.stdout
    assert pathlib.Path(prom.config_file).read_bytes() == live
    assert not list((directory / "scrape_configs.d").glob("*")) if (directory / "scrape_configs.d").exists() else True
    assert not list(directory.glob("*~"))
    assert prom.runtimeinfo()["reloadConfigSuccess"] is True  # reloaded again with the old file
    assert "aiven-" not in prom.config()


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("unshare"), reason="needs root and unshare")
def test_ca_file_prometheus_cannot_read_is_detected_and_rolled_back(ansible, sandbox_factory, tmp_path):
    """Prometheus runs in a mount namespace where the files directory is an empty tmpfs (like
    systemd's InaccessiblePaths= or PrivateTmp=): the reload 'succeeds', the jobs never become
    scrape pools. The role notices, restores and fails with the reason."""
    hidden = tmp_path / "hidden-from-prometheus"
    hidden.mkdir()
    wrapper = ["unshare", "--mount", "--propagation", "private", "sh", "-c",
               'mount -t tmpfs none "$0" && exec "$@"', str(hidden)]
    box = sandbox_factory(services=SERVICES[:1], prometheus_wrapper=wrapper)
    prom = box.prometheus[0]
    live = pathlib.Path(prom.config_file).read_bytes()
    proc = run(ansible, box, prometheus_aiven_files_dir=str(hidden), prometheus_aiven_reload_timeout=12)
    assert proc.returncode != 0
    assert "these jobs are not active" in proc.stdout and box.job_name("pg-orders") in proc.stdout
    assert "prometheus_target_scrape_pools_failed_total went from 0 to" in proc.stdout
    assert pathlib.Path(prom.config_file).read_bytes() == live
    assert not (hidden / "aiven-acme-ca.pem").exists()  # created by this run: removed again
    assert "aiven-" not in prom.config()


def test_lifecycle_disabled_signal_reload(ansible, sandbox_factory):
    box = sandbox_factory(services=SERVICES[:1], lifecycle=False)
    prom = box.prometheus[0]
    before = reload_ts(prom)
    # A password given by the user (Ansible masks it in the module's result): the targets can
    # only come up if the password file holds the real one.
    proc = run(ansible, box, prometheus_aiven_reload="signal", prometheus_aiven_endpoint_password="Given-Passw0rd-42")
    ok(proc)
    assert box.endpoint_password() == "Given-Passw0rd-42"
    assert reload_ts(prom) > before
    assert_all_targets_up(box, prom)
    # http against a Prometheus without the lifecycle API: a clear error, files put back.
    live = pathlib.Path(prom.config_file).read_bytes()
    proc = run(ansible, box, prometheus_aiven_reload="http",
               prometheus_aiven_job_extra={"scrape_interval": "3s", "scrape_timeout": "1s"})
    assert proc.returncode != 0
    assert "lifecycle API is disabled" in proc.stdout
    assert pathlib.Path(prom.config_file).read_bytes() == live


def test_a_target_that_stays_down_fails_with_its_last_error(ansible, sandbox_factory):
    box = sandbox_factory(services=SERVICES[:1])
    down = box.nodes["pg-orders"][1]
    down.stop()  # a standby that does not answer
    proc = run(ansible, box, prometheus_aiven_verify_timeout=10)
    assert proc.returncode != 0
    assert "Not every target is up after 10s" in proc.stdout
    up = box.nodes["pg-orders"][0]
    job = box.job_name("pg-orders")
    assert "%s https://%s/metrics up" % (job, up.address) in proc.stdout
    # The standby is scraped by the replica host name's job, with Prometheus's lastError.
    assert "%s-replica https://%s/metrics down: " % (job, down.address) in proc.stdout


def test_bad_token_is_one_clear_error_without_the_token(ansible, sandbox_factory):
    box = sandbox_factory(services=SERVICES[:1])
    prom = box.prometheus[0]
    files = snapshot(pathlib.Path(prom.config_file).parent)
    proc = run(ansible, box, prometheus_aiven_api_token="wrong-token-4f1d9c0b")
    assert proc.returncode != 0
    assert "integration endpoint prometheus:" in proc.stdout
    assert "403" in proc.stdout or "401" in proc.stdout or "nvalid" in proc.stdout
    assert snapshot(pathlib.Path(prom.config_file).parent) == files
    ansible.assert_no_secret("wrong-token-4f1d9c0b", box.token)


def test_prometheus_down_is_a_clear_error_and_changes_nothing(ansible, sandbox_factory):
    box = sandbox_factory(services=SERVICES[:1])
    prom = box.prometheus[0]
    directory = pathlib.Path(prom.config_file).parent
    files = snapshot(directory)
    prom.stop()
    proc = run(ansible, box)
    assert proc.returncode != 0
    assert "Prometheus does not answer at %s" % prom.url in proc.stdout
    assert snapshot(directory) == files


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("unshare"), reason="needs root and unshare")
def test_dns_sd_public_route_newest_prometheus(ansible, sandbox_factory):
    """The default discovery: Prometheus resolves primary and replica names itself (its own
    /etc/resolv.conf names the sandbox DNS). Route public: the VPC service gets
    public_access.prometheus and is scraped through its public- names, verified against them."""
    label = list(versions())[-1]
    box = sandbox_factory(prometheus_version=label, prometheus_dns=True)
    prom = box.prometheus[0]
    proc = run(ansible, box, prometheus_aiven_discovery="dns_sd", prometheus_aiven_route="public",
               prometheus_aiven_dns_sd_refresh_interval="5s")
    ok(proc)
    assert_all_targets_up(box, prom, timeout=60, route="public")
    service = box.fake.projects["acme"]["services"]["kafka-events"]
    assert service["user_config"]["public_access"]["prometheus"] is True
    config = rendered_config(prom)
    assert "server_name: public-kafka-events-acme.aiven.test" in config
    assert "server_name: pg-orders-acme.aiven.test" in config  # not in a VPC: its names are public already
    assert "replica-pg-orders-acme.aiven.test" in config and "dns_sd_configs" in config

    before = reload_ts(prom)
    proc = run(ansible, box, prometheus_aiven_discovery="dns_sd", prometheus_aiven_route="public",
               prometheus_aiven_dns_sd_refresh_interval="5s")
    assert ok(proc)["prometheus-1"]["changed"] == 0
    assert reload_ts(prom) == before


def test_private_route_scrapes_the_private_names(ansible, sandbox_factory):
    """Route private: the private names where the API lists them (private_access.prometheus,
    which the user turns on; the role does not), the dynamic names elsewhere."""
    box = sandbox_factory(services=SERVICES)
    prom = box.prometheus[0]
    # What `avn service update kafka-events -c private_access.prometheus=true` sends.
    response = requests.put("%s/v1/project/%s/service/kafka-events" % (box.fake.url, box.project),
                            json={"user_config": {"private_access": {"prometheus": True}}},
                            headers={"Authorization": "aivenv1 " + box.token}, timeout=10)
    assert response.status_code == 200, response.text
    proc = run(ansible, box, prometheus_aiven_route="private")
    ok(proc)
    assert_all_targets_up(box, prom, route="private")  # verified against the private names
    config = rendered_config(prom)
    assert "server_name: private-kafka-events-acme.aiven.test" in config
    assert "server_name: pg-orders-acme.aiven.test" in config  # not in a VPC: no private name
    service = box.fake.projects["acme"]["services"]["kafka-events"]
    assert service["user_config"]["public_access"]["prometheus"] is False  # private never opens public


def test_tls_verify_false_warns_and_skips_verification(ansible, sandbox_factory):
    box = sandbox_factory(services=SERVICES[:1])
    prom = box.prometheus[0]
    proc = run(ansible, box, prometheus_aiven_tls_verify=False)
    ok(proc)
    assert ("WARNING: prometheus_aiven_tls_verify is false, so the jobs get insecure_skip_verify and Prometheus will "
            "not verify the services' certificates." in proc.stdout), "one line, no folded newline in it"
    assert "insecure_skip_verify: true" in rendered_config(prom)
    prom.wait_targets_up(service_jobs(box, "pg-orders"), 2, timeout=40)


def test_job_name_already_defined_by_hand_is_a_clear_error(ansible, sandbox_factory):
    from sandbox.sandbox import DEFAULT_CONFIG
    by_hand = DEFAULT_CONFIG + "  - job_name: aiven-acme-pg-orders   # someone's earlier attempt\n" \
                               "    static_configs:\n      - targets: ['127.0.0.1:1']\n"
    box = sandbox_factory(services=SERVICES[:1], config_template=by_hand)
    prom = box.prometheus[0]
    live = pathlib.Path(prom.config_file).read_bytes()
    proc = run(ansible, box)
    assert proc.returncode != 0
    assert "aiven-acme-pg-orders" in proc.stdout and "already" in proc.stdout
    assert pathlib.Path(prom.config_file).read_bytes() == live
