"""The sandbox reproduces the networks real Aiven projects and Prometheus hosts have (issues 11.3,
11.4, 11.5 and 13.3), proven with real parts: dnspython against the sandbox DNS, TLS handshakes
against the nodes with the project CA, and real Prometheus processes scraping with jobs written
here by hand (not by the role), read back through Prometheus's own API.
"""
import contextlib
import json
import pathlib
import re
import select
import signal
import socket
import ssl
import subprocess
import sys

import dns.resolver
import pytest

from role_runs import sandboxes
from sandbox.netns import NetNS, unavailable_reason
from sandbox.prometheus import missing_reason, versions
from sandbox.sandbox import Sandbox, is_replica_key
from sandbox.util import wait_until

REPO = pathlib.Path(__file__).resolve().parents[2]
SANDBOX_SCRIPT = REPO / "tests" / "sandbox" / "sandbox.py"


def oldest():
    """The quickest Prometheus to have: any present one shows the same network facts."""
    if not versions():
        pytest.skip(missing_reason("2.42"))
    return next(iter(versions()))


def need_unshare():
    if unavailable_reason():
        pytest.skip(unavailable_reason())


@pytest.fixture
def boxes(tmp_path):
    yield from sandboxes(tmp_path, prometheus_version=oldest())


def resolve(box, name, rdtype="A"):
    """Sorted addresses of `name` from the sandbox DNS (as the node_ips lookup asks it), or the
    dnspython exception's class name."""
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = [box.dns.host]
    resolver.port = box.dns.port
    resolver.lifetime = 5
    try:
        return sorted(answer.address for answer in resolver.resolve(name, rdtype, search=False))
    except dns.exception.DNSException as exc:
        return type(exc).__name__


def certificate_names(box, node, server_name):
    """The DNS names of the certificate `node` presents for `server_name`, verified with the
    project CA against that name; ssl.SSLCertVerificationError when it does not verify."""
    context = ssl.create_default_context(cadata=box.ca.pem)
    with socket.create_connection((node.ip, node.port), timeout=5) as raw:
        with context.wrap_socket(raw, server_hostname=server_name) as tls:
            return sorted(value for kind, value in tls.getpeercert()["subjectAltName"] if kind == "DNS")


def add_jobs(box, prom, credentials, *jobs):
    """Append hand-written jobs to the Prometheus's own prometheus.yml and reload it. Each job
    gets https, basic auth from a password file and the project CA."""
    directory = pathlib.Path(prom.config_file).parent
    box.ca.write(directory / "ca.pem")
    (directory / "password").write_text(credentials[1] + "\n")
    with open(prom.config_file, "a") as handle:
        for job in jobs:
            job = dict({"scrape_interval": "1s", "scrape_timeout": "1s", "scheme": "https",
                        "basic_auth": {"username": credentials[0], "password_file": "password"}}, **job)
            job["tls_config"] = dict({"ca_file": "ca.pem"}, **job.get("tls_config", {}))
            handle.write("  - %s\n" % json.dumps(job))  # JSON is YAML
    status, body = prom.reload_http()
    assert status == 200, body


def on_prometheus_host(ansible, box, command):
    """stdout of a shell `command` run by Ansible on the sandbox's first Prometheus host, every
    run of blanks made one space (getent pads its columns)."""
    proc = ansible.run(["ansible", box.prometheus[0].name, "-i", str(box.write_inventory()),
                        "-m", "ansible.builtin.shell", "-a", command],
                       env={"ANSIBLE_LOAD_CALLBACK_PLUGINS": "1", "ANSIBLE_STDOUT_CALLBACK": "minimal"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return re.sub(r"[ \t]+", " ", proc.stdout)


def dns_sd(names, rdtype, port):
    return [{"names": names, "type": rdtype, "port": port, "refresh_interval": "1s"}]


def wait_down(prom, job, count):
    """The job's targets once `count` of them have been scraped and found down, with a reason."""
    def down():
        targets = prom.job_targets(job)
        scraped = [t for t in targets if t["health"] == "down" and t["lastError"]]
        return len(scraped) >= count and targets
    return wait_until(down, 30, "%d targets of %s down" % (count, job))


def instances(targets):
    return sorted(target["labels"]["instance"] for target in targets)


# -- every name the fake gives a service ---------------------------------------------------------

def test_every_name_resolves_to_its_nodes_and_is_on_their_certificates(boxes):
    """Every name service_hosts() gives (PrivateLink's included) resolves, replica names to the
    standbys, and the nodes' certificates carry it; a PrivateLink connection added while the
    sandbox runs is named at the next query or handshake; a powered-off service's names are
    NXDOMAIN until it runs again."""
    box = boxes(services=[("pg-orders", "pg", 3, "vpc", "privatelink"), ("kafka-events", "kafka", 2, "vpc"),
                          ("pg-single", "pg", 1)], prometheus_count=0)
    pg, kafka, single = box.nodes["pg-orders"], box.nodes["kafka-events"], box.nodes["pg-single"]

    hosts = box.service_hosts("pg-orders")
    assert {"primary", "replica", "privatelink_1", "privatelink_1_replica"} <= set(hosts)
    for key, name in hosts.items():
        expected = pg[1:] if is_replica_key(key) else pg[:1]
        assert resolve(box, name) == sorted(node.ip for node in expected), name
        assert resolve(box, name, "AAAA") == "NoAnswer"
        for node in pg:  # cert_names="all": every node, every name (today's Aiven primary and standbys)
            assert name in certificate_names(box, node, name)
    for key, name in box.service_hosts("kafka-events").items():  # no replica DNS: every name, every node
        if is_replica_key(key):
            assert resolve(box, name) == "NXDOMAIN"
        else:
            assert resolve(box, name) == sorted(node.ip for node in kafka)
    assert resolve(box, box.service_host("pg-single", "replica")) == "NXDOMAIN"  # no standby, no name
    assert resolve(box, box.service_host("pg-single")) == [single[0].ip]

    before = box.service_hosts("kafka-events")
    box.fake.add_privatelink_connection(box.project, "kafka-events")
    later, = [name for key, name in box.service_hosts("kafka-events").items()
              if key not in before and not is_replica_key(key)]  # kafka has no standby to name
    assert later.startswith("privatelink-")
    assert later in certificate_names(box, kafka[1], later)  # the handshake brought it up to date
    assert resolve(box, later) == sorted(node.ip for node in kafka)

    box.fake.set_service_state(box.project, "kafka-events", "POWEROFF")
    assert resolve(box, box.service_host("kafka-events")) == "NXDOMAIN"
    box.fake.set_service_state(box.project, "kafka-events", "RUNNING")
    assert resolve(box, box.service_host("kafka-events")) == sorted(node.ip for node in kafka)


# -- issue 11.3: standbys whose certificate names only the replica host ----------------------

def test_per_node_role_certificates_verify_only_by_the_discovered_name(boxes):
    box = boxes(services=[("pg-orders", "pg", 3, "vpc")], cert_names="per_node_role")
    primary, standbys = box.nodes["pg-orders"][0], box.nodes["pg-orders"][1:]
    hosts = box.service_hosts("pg-orders")
    assert certificate_names(box, primary, hosts["primary"]) == sorted(
        name for key, name in hosts.items() if not is_replica_key(key))
    for node in standbys:
        assert certificate_names(box, node, hosts["replica"]) == sorted(
            name for key, name in hosts.items() if is_replica_key(key))
        with pytest.raises(ssl.SSLCertVerificationError, match="not valid for 'pg-orders-acme.aiven.test'"):
            certificate_names(box, node, hosts["primary"])
    with pytest.raises(ssl.SSLCertVerificationError):
        certificate_names(box, primary, hosts["replica"])

    # What a job with one server_name for primary and replica names meets, and the way out.
    prom = box.prometheus[0]
    port = box.node_port
    add_jobs(box, prom, box.integrate(),
             {"job_name": "one-server-name", "tls_config": {"server_name": hosts["primary"]},
              "static_configs": [{"targets": ["%s:%d" % (ip, port) for ip in resolve(box, hosts["replica"])]}]},
             {"job_name": "replica-name", "tls_config": {"server_name": hosts["replica"]},
              "static_configs": [{"targets": ["%s:%d" % (ip, port) for ip in resolve(box, hosts["replica"])]}]},
             {"job_name": "primary-name", "tls_config": {"server_name": hosts["primary"]},
              "static_configs": [{"targets": ["%s:%d" % (ip, port) for ip in resolve(box, hosts["primary"])]}]})
    assert instances(prom.wait_targets_up("replica-name", 2)) == sorted(n.address for n in standbys)
    assert instances(prom.wait_targets_up("primary-name", 1)) == [primary.address]
    down = wait_down(prom, "one-server-name", 2)
    assert instances(down) == sorted(n.address for n in standbys)
    for target in down:
        assert "certificate is valid for replica-pg-orders-acme.aiven.test" in target["lastError"], target
        assert "not pg-orders-acme.aiven.test" in target["lastError"], target


# -- issue 11.4: names with only AAAA records ------------------------------------------------

def test_ipv6_only_service_on_loopback_static_and_dns_sd(boxes):
    """Outside a namespace: one IPv6 node on ::1. A queries get no answer, AAAA ::1; Prometheus
    scrapes it found by AAAA (dns_sd) and as a bracketed static target; type A finds nothing."""
    need_unshare()
    box = boxes(services=[("pg-v6", "pg", 1, "ipv6"), ("pg-orders", "pg", 1)], prometheus_dns=True)
    name = box.service_host("pg-v6")
    node = box.nodes["pg-v6"][0]
    assert node.address == "[::1]:%d" % box.node_port
    assert resolve(box, name, "A") == "NoAnswer"
    assert resolve(box, name, "AAAA") == ["::1"]
    assert resolve(box, box.service_host("pg-orders"), "AAAA") == "NoAnswer"

    prom = box.prometheus[0]
    add_jobs(box, prom, box.integrate(),
             {"job_name": "v6-dns-sd", "tls_config": {"server_name": name},
              "dns_sd_configs": dns_sd([name], "AAAA", box.node_port)},
             {"job_name": "v6-static", "tls_config": {"server_name": name},
              "static_configs": [{"targets": ["[%s]:%d" % (ip, box.node_port) for ip in resolve(box, name, "AAAA")]}]},
             {"job_name": "v6-as-a", "tls_config": {"server_name": name},
              "dns_sd_configs": dns_sd([name], "A", box.node_port)})
    assert instances(prom.wait_targets_up("v6-dns-sd", 1)) == [node.address]
    assert instances(prom.wait_targets_up("v6-static", 1)) == [node.address]
    assert box.dns.queries_for(name, "A")  # Prometheus asked for A too ...
    assert prom.job_targets("v6-as-a") == []  # ... and got no target, as on an IPv6-only name


def test_ipv6_service_with_several_nodes_in_a_network_namespace(boxes, ansible):
    """netns=True: IPv6 nodes on ULA addresses inside the sandbox's namespace. The controller's
    node_ips lookup (outside, against 127.0.0.1:PORT) and Prometheus's dns_sd (inside, its
    resolv.conf) both reach them; IPv4 services work there too; the namespace goes at stop."""
    need_unshare()
    box = boxes(services=[("pg-v6", "pg", 2, "ipv6"), ("kafka-v6", "kafka", 3, "ipv6"), ("pg-orders", "pg", 2)],
                netns=True)
    ns = box.ns
    pg, kafka = box.nodes["pg-v6"], box.nodes["kafka-v6"]
    assert all(node.ip.startswith("fd00:") for node in pg + kafka)
    lo = ns.run(["ip", "-6", "addr", "show", "dev", "lo"]).stdout
    assert all(node.ip in lo for node in pg + kafka)
    assert box.dns.host == "127.0.0.1" and box.dns.port != 53
    primary, replica = box.service_host("pg-v6"), box.service_host("pg-v6", "replica")
    assert resolve(box, replica, "AAAA") == sorted(node.ip for node in pg[1:])
    assert resolve(box, replica, "A") == "NoAnswer"
    # A module on the Prometheus host runs inside: it resolves with the namespace's resolv.conf
    # and reaches Prometheus on the port the forwarder mirrors.
    out = on_prometheus_host(ansible, box, "getent ahostsv6 %s | head -n1; curl -sf %s/-/ready"
                             % (primary, box.prometheus[0].url))
    assert "%s STREAM %s" % (pg[0].ip, primary) in out and "Prometheus" in out and "Ready" in out, out

    # The static path: the real lookup on the controller, outside the namespace.
    query = "query('aiven_tools.prometheus.node_ips', %s, record_types=['AAAA'], port=%d, nameservers=[%r], " \
            "dns_port=%d)" % (json.dumps(box.service_hosts("kafka-v6")["primary"]), box.node_port,
                              box.dns.host, box.dns.port)
    rc, result, proc = ansible.module("ansible.builtin.debug", {"msg": "{{ %s }}" % query})
    assert rc == 0, proc.stdout + proc.stderr
    assert sorted(result["msg"]) == sorted(node.address for node in kafka)

    prom = box.prometheus[0]
    add_jobs(box, prom, box.integrate(),
             {"job_name": "pg-v6", "tls_config": {"server_name": primary},
              "dns_sd_configs": dns_sd([primary, replica], "AAAA", box.node_port)},
             {"job_name": "kafka-v6-static", "tls_config": {"server_name": box.service_host("kafka-v6")},
              "static_configs": [{"targets": result["msg"]}]},
             {"job_name": "pg-orders", "tls_config": {"server_name": box.service_host("pg-orders")},
              "dns_sd_configs": dns_sd([box.service_host("pg-orders"), box.service_host("pg-orders", "replica")],
                                       "A", box.node_port)})
    assert instances(prom.wait_targets_up("pg-v6", 2)) == sorted(node.address for node in pg)
    assert instances(prom.wait_targets_up("kafka-v6-static", 3)) == sorted(node.address for node in kafka)
    assert instances(prom.wait_targets_up("pg-orders", 2)) == sorted(n.address for n in box.nodes["pg-orders"])

    name = ns.name
    box.stop()
    assert not NetNS(name=name).exists()
    assert not pathlib.Path("/etc/netns", name).exists()


def test_several_ipv6_nodes_outside_a_namespace_are_refused(tmp_path):
    with pytest.raises(ValueError, match="use netns=True"):
        Sandbox(tmp_path, services=[("pg-v6", "pg", 2, "ipv6")])


# -- issue 11.5: a search domain with a wildcard on the Prometheus host ----------------------

def test_search_domain_sends_relative_names_to_the_decoy_and_absolute_ones_to_the_nodes(boxes, ansible):
    need_unshare()
    box = boxes(services=[("pg-orders", "pg", 2)], prometheus_dns=True, search_domain="corp.example")
    resolv = box.resolv_conf.read_text()
    assert "search corp.example\n" in resolv and "ndots:5" in resolv
    primary, replica = box.service_host("pg-orders"), box.service_host("pg-orders", "replica")
    assert resolve(box, primary + ".corp.example") == [box.decoy.ip]  # the wildcard
    assert resolve(box, "anything.corp.example") == [box.decoy.ip]
    assert resolve(box, primary) == [box.nodes["pg-orders"][0].ip]
    # A module on the Prometheus host (a check the role makes there) meets the same resolver.
    out = on_prometheus_host(ansible, box, "getent ahostsv4 %s | head -n1; getent ahostsv4 %s. | head -n1"
                             % (primary, primary))
    assert "%s STREAM %s.corp.example" % (box.decoy.ip, primary) in out, out
    assert "%s STREAM %s" % (box.nodes["pg-orders"][0].ip, primary) in out, out

    prom = box.prometheus[0]
    add_jobs(box, prom, box.integrate(),
             {"job_name": "relative", "tls_config": {"server_name": primary},
              "dns_sd_configs": dns_sd([primary, replica], "A", box.node_port)},
             {"job_name": "absolute", "tls_config": {"server_name": primary},
              "dns_sd_configs": dns_sd([primary + ".", replica + "."], "A", box.node_port)})
    nodes = box.nodes["pg-orders"]
    assert instances(prom.wait_targets_up("absolute", 2)) == sorted(node.address for node in nodes)
    hijacked = wait_down(prom, "relative", 1)
    assert set(instances(hijacked)) == {box.decoy.address}
    for target in hijacked:
        # Go checks the name or the chain first depending on the version: either shows the decoy.
        assert re.search(r"x509: certificate (signed by unknown authority|is valid for \*\.corp\.example)",
                         target["lastError"]), target
    assert box.dns.queries_for(primary + ".corp.example", "A")


def test_search_domain_needs_a_resolver_of_the_sandbox(tmp_path):
    with pytest.raises(ValueError, match="prometheus_dns=True or netns=True"):
        Sandbox(tmp_path, search_domain="corp.example")


# -- the command line ------------------------------------------------------------------------

@contextlib.contextmanager
def command_line(tmp_path, *args):
    """Runs `sandbox.py --dir TMP ARGS...`; yields the JSON line it prints; SIGTERM must stop it
    cleanly (exit 0)."""
    oldest()
    proc = subprocess.Popen([sys.executable, str(SANDBOX_SCRIPT), "--dir", str(tmp_path)] + list(args),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        ready = select.select([proc.stdout], [], [], 60)[0]
        line = proc.stdout.readline() if ready else ""
        assert line, proc.stderr.read() if proc.poll() is not None else "no JSON line within 60 s"
        yield json.loads(line)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()


def test_command_line_prints_what_a_playbook_needs(tmp_path):
    with command_line(tmp_path, "--service", "pg-orders:pg:2:vpc", "--service", "pg-v6:pg:1:ipv6",
                      "--cert-names", "per_node_role") as summary:
        assert summary["discoveries"] == ["static", "file_sd"]
        assert summary["options"]["cert_names"] == "per_node_role"
        assert summary["options"]["ipv6_services"] == ["pg-v6"]
        assert summary["services"]["pg-v6"] == ["[::1]:%d" % summary["node_port"]]
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = summary["prometheus_aiven_dns_nameservers"]
        resolver.port = summary["prometheus_aiven_dns_port"]
        for service, hosts in summary["hosts"].items():
            assert hosts["primary"] == "%s-acme.aiven.test" % service
            node_ips = {node["address"].rsplit(":", 1)[0].strip("[]") for node in summary["nodes"][service]}
            for name in hosts.values():
                found = {answer.address for answer in resolver.resolve(name, "AAAA" if service == "pg-v6" else "A")}
                assert found and found <= node_ips, name
        assert "replica" not in summary["hosts"]["pg-v6"]  # one node: no replica name
        standby = summary["nodes"]["pg-orders"][1]
        assert standby["role"] == "standby"
        assert sorted(standby["certificate_names"]) == sorted(
            name for key, name in summary["hosts"]["pg-orders"].items() if is_replica_key(key))
        extra = json.loads(pathlib.Path(summary["extra_vars"]).read_text())
        for key in ("prometheus_aiven_dns_nameservers", "prometheus_aiven_dns_port"):
            assert extra[key] == summary[key]

    refused = subprocess.run([sys.executable, str(SANDBOX_SCRIPT), "--search-domain", "corp.example"],
                             capture_output=True, text=True, timeout=60, check=False)
    assert refused.returncode == 2 and "prometheus_dns=True or netns=True" in refused.stderr


def test_command_line_dns_sd_with_a_corporate_resolver(tmp_path):
    need_unshare()
    with command_line(tmp_path, "--service", "pg-orders:pg:1", "--discovery", "dns_sd",
                      "--search-domain", "corp.example") as summary:
        assert summary["discoveries"] == ["static", "file_sd", "dns_sd"]
        assert summary["prometheus_aiven_dns_port"] == 53 and summary["options"]["prometheus_dns"] is True
        assert "search corp.example" in pathlib.Path(summary["resolv_conf"]).read_text()
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = summary["prometheus_aiven_dns_nameservers"]
        decoy = summary["decoy"].rsplit(":", 1)[0]
        assert [a.address for a in resolver.resolve("pg-orders-acme.aiven.test.corp.example", "A")] == [decoy]
        assert json.loads(pathlib.Path(summary["extra_vars"]).read_text())["prometheus_aiven_discovery"] == "dns_sd"
