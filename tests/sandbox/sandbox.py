"""The whole sandbox in one object: fake Aiven, project CA, Aiven-like nodes, DNS, real Prometheus.

    from sandbox.sandbox import Sandbox
    with Sandbox(tmp_path, services=[("pg-orders", "pg", 2), ("kafka-events", "kafka", 3, "vpc")],
                 prometheus_version="2.42", prometheus_count=1) as box:
        inventory = box.write_inventory()          # every host has ansible_python_interpreter
        extra = box.write_extra_vars(prometheus_aiven_discovery="static")
        ansible-playbook -i inventory playbooks/site.yml -e @extra
        box.prometheus[0].wait_targets_up(job, count)   # sandbox.prometheus.PrometheusProcess
        box.fake.requests                                # every API request the playbook made

What it wires together:
  * a ProjectCA; the FakeAiven serves it as the project CA and reports `node_port` as the port
    of every service's `prometheus` component (and of the endpoint, `endpoint_config.client_port`);
  * one AivenNode per service node, each on its own loopback IP (127.A.B.x, A.B derived from the
    node port, so parallel sandboxes never share an address) and all on `node_port`. The node
    certificate names only the service's DNS names. A node answers with the basic-auth
    credentials of the Prometheus endpoint its service is integrated with, read from the fake at
    request time; without an integration every scrape is 401, as on Aiven where the port is
    closed until the integration exists;
  * a DNSServer: the service's names (primary, replica- for types with standby DNS; public-,
    public-replica-, private- and private-replica- for VPC services) -> the nodes' IPs. Replica names resolve to the standbys,
    the primary name to the first node (types without replica DNS: to every node);
  * `prometheus_count` real Prometheus processes of `prometheus_version`, each with its own
    directory holding an existing prometheus.yml (a job of its own, comments), own port.
  * `prometheus_dns=True` (root + unshare): the DNS server listens on 127.A.B.1:53 and each
    Prometheus runs in a private mount namespace whose /etc/resolv.conf names it, so
    `dns_sd_configs` work end to end. `prometheus_wrapper` is an argv prefix for Prometheus
    (tests use it to hide a directory from Prometheus, like systemd's InaccessiblePaths=).

Command line (README demo, benchmarks): `python tests/sandbox/sandbox.py [--dir D] [--service
NAME:TYPE[:NODES][:vpc]] [--prometheus-version 2.53] [--prometheus-count 2] [--no-lifecycle]`
starts everything, writes D/inventory.yml and D/extra-vars.json, prints one JSON line with what
a playbook needs, and serves until SIGTERM/SIGINT.
"""
import argparse
import grp
import json
import os
import pathlib
import pwd
import secrets
import signal
import string
import sys
import tempfile
import threading

if __package__ in (None, ""):  # run as a script: make `sandbox` importable
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
    __package__ = "sandbox"

from sandbox.dns_server import DNSServer  # noqa: E402
from sandbox.fake_aiven import SERVICE_TYPES, FakeAiven, service_hosts  # noqa: E402
from sandbox.nodes import AivenNode, ProjectCA  # noqa: E402
from sandbox.prometheus import PrometheusProcess, missing_reason, versions  # noqa: E402
from sandbox.util import free_port  # noqa: E402

REPO = pathlib.Path(__file__).resolve().parents[2]
DEFAULT_SERVICES = [("pg-orders", "pg", 2), ("kafka-events", "kafka", 3, "vpc")]
VPC_ID = "7b0c5a1e-0000-4000-8000-00000000a1c0"

# An existing hand-written configuration, as found on a monitoring host: the role must add its
# jobs without disturbing a byte of this. $name, $port and $scrape_interval are substituted.
DEFAULT_CONFIG = """\
# Prometheus on $name -- maintained by hand, not by Ansible.
global:
  scrape_interval: $scrape_interval   # short, so new targets come up fast
  evaluation_interval: 15s
  external_labels:
    monitor: $name

# Rules are not used on this host yet.
rule_files: []

scrape_configs:
  # Prometheus scrapes itself.
  - job_name: prometheus
    static_configs:
      - targets: ['127.0.0.1:$port']
        labels:
          role: self   # keep this comment
"""


class _SandboxNode(AivenNode):
    """An AivenNode whose basic-auth credentials are those of its service's Prometheus endpoint."""

    def __init__(self, box, service_name, *args, **kwargs):
        self._box = box
        self._service_name = service_name
        self._nobody = "no-integration-" + secrets.token_hex(4)
        AivenNode.__init__(self, *args, **kwargs)

    def _credentials(self):
        fake = self._box.fake
        with fake._lock:
            project = fake.projects[self._box.project]
            for integration in project["integrations"].values():
                if integration["source_service"] == self._service_name:
                    endpoint = project["endpoints"].get(integration["dest_endpoint_id"])
                    if endpoint:
                        config = endpoint["user_config"]
                        return config.get("basic_auth_username"), config.get("basic_auth_password")
        return self._nobody, self._nobody  # no integration: nothing authenticates

    username = property(lambda self: self._credentials()[0], lambda self, value: None)
    password = property(lambda self: self._credentials()[1], lambda self, value: None)


def _service_spec(spec):
    """("name", "type", nodes[, "vpc"]) -> (name, type, nodes, vpc_id or None)."""
    spec = tuple(spec)
    if len(spec) < 2:
        raise ValueError("a service is (name, type[, nodes][, 'vpc']), got %r" % (spec,))
    name, service_type = spec[0], spec[1]
    nodes = int(spec[2]) if len(spec) > 2 else 1
    flags = set(spec[3:])
    if flags - {"vpc"}:
        raise ValueError("unknown flag in %r (only 'vpc')" % (spec,))
    return name, service_type, nodes, (VPC_ID if "vpc" in flags else None)


class Sandbox(object):
    def __init__(self, tmp_dir, services=None, prometheus_version="2.42", prometheus_count=1,
                 config_template=None, lifecycle=True, project="acme", token=None,
                 scrape_interval="2s", prometheus_extra_args=(), prometheus_wrapper=None,
                 prometheus_dns=False):
        self.tmp_dir = pathlib.Path(str(tmp_dir))
        self.services = [_service_spec(s) for s in (DEFAULT_SERVICES if services is None else services)]
        self.prometheus_version = prometheus_version
        self.prometheus_count = int(prometheus_count)
        self.config_template = DEFAULT_CONFIG if config_template is None else config_template
        self.lifecycle = lifecycle
        self.project = project
        self.token = token or "sandbox-token-" + secrets.token_hex(8)
        self.scrape_interval = scrape_interval
        self.prometheus_extra_args = list(prometheus_extra_args)
        # argv prefix for each Prometheus (e.g. a mount namespace that hides a directory from
        # it, like systemd's InaccessiblePaths=); "{dir}" is replaced by its own directory.
        self.prometheus_wrapper = list(prometheus_wrapper or [])
        # dns_sd_configs: Prometheus asks the nameservers of /etc/resolv.conf on port 53 only. With
        # prometheus_dns the DNS server listens on 127.A.B.1:53 (our own address) and each
        # Prometheus runs in a mount namespace whose /etc/resolv.conf names it (root + unshare;
        # the machine's own resolv.conf is never touched).
        self.prometheus_dns = bool(prometheus_dns)
        self.ca = None
        self.fake = None
        self.dns = None
        self.nodes = {}  # service name -> [AivenNode]
        self.prometheus = []  # [PrometheusProcess]
        self.node_port = None
        self.ip_prefix = None
        self.resolv_conf = None

    # ----- lifecycle -----

    @property
    def binaries(self):
        found = versions()
        if self.prometheus_version not in found:
            raise RuntimeError(missing_reason(self.prometheus_version))
        return found[self.prometheus_version]

    def start(self):
        binaries = self.binaries
        try:
            self._start(binaries)
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self, binaries):
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        self.ca = ProjectCA()
        self.node_port = free_port()
        # 127.A.B.0/24 of our own: A.B from the node port, unique among running sandboxes.
        self.ip_prefix = "127.%d.%d." % ((self.node_port >> 8) & 255, self.node_port & 255)
        self.fake = FakeAiven(token=self.token, prometheus_port=self.node_port)
        self.fake.add_project(self.project, ca_pem=self.ca.pem)
        records = {}
        next_ip = 2
        for name, service_type, node_count, vpc_id in self.services:
            self.fake.add_service(self.project, name, service_type, node_count, project_vpc_id=vpc_id)
            hosts = service_hosts(name, self.project, self.fake.domain)
            ips = ["%s%d" % (self.ip_prefix, next_ip + i) for i in range(node_count)]
            next_ip += node_count
            if next_ip > 254:
                raise ValueError("too many nodes for one sandbox (at most 252)")
            names = [hosts["primary"]]
            if SERVICE_TYPES[service_type]["replica_dns"] and node_count >= 2:
                names.append(hosts["replica"])
                records[hosts["primary"]], records[hosts["replica"]] = ips[:1], ips[1:]
            else:
                records[hosts["primary"]] = ips
            if vpc_id:
                for route in ("public", "private"):
                    names.append(hosts[route])
                    records[hosts[route]] = records[hosts["primary"]]
                    if hosts["replica"] in records:
                        names.append(hosts[route + "_replica"])
                        records[hosts[route + "_replica"]] = records[hosts["replica"]]
            self.nodes[name] = [
                _SandboxNode(self, name, self.ca, names, ip=ip, port=self.node_port,
                             node_name="%s-%d" % (name, index + 1)).start()
                for index, ip in enumerate(ips)]
        if self.prometheus_dns:
            self.dns = DNSServer(records=records, host=self.ip_prefix + "1", port=53)
            self.resolv_conf = self.tmp_dir / "resolv.conf"
            self.resolv_conf.write_text("nameserver %s\noptions timeout:1 attempts:2\n" % self.dns.host)
        else:
            self.dns = DNSServer(records=records)
        self.dns.start()
        self.fake.start()
        for index in range(self.prometheus_count):
            self._start_prometheus(binaries, index)

    def _start_prometheus(self, binaries, index):
        name = "prometheus-%d" % (index + 1)
        directory = self.tmp_dir / name
        directory.mkdir(parents=True, exist_ok=True)
        config = directory / "prometheus.yml"
        port = free_port()
        config.write_text(string.Template(self.config_template).safe_substitute(
            name=name, port=port, scrape_interval=self.scrape_interval))
        wrapper = [arg.replace("{dir}", str(directory)) for arg in self.prometheus_wrapper]
        if self.prometheus_dns:
            wrapper = ["unshare", "--mount", "--propagation", "private", "sh", "-c",
                       'mount --bind "$0" /etc/resolv.conf && exec "$@"', str(self.resolv_conf)] + wrapper
        prom = PrometheusProcess(config, binaries, port=port, lifecycle=self.lifecycle,
                                 extra_args=self.prometheus_extra_args, netns=wrapper)
        prom.name = name
        self.prometheus.append(prom)
        prom.start()
        return prom

    def stop(self):
        for prom in self.prometheus:
            prom.cleanup()
        for nodes in self.nodes.values():
            for node in nodes:
                node.stop()
        if self.dns is not None:
            self.dns.stop()
        if self.fake is not None and self.fake.url:
            self.fake.stop()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # ----- what a playbook needs -----

    @property
    def api_url(self):
        return self.fake.url

    def service_host(self, service, which="primary"):
        return service_hosts(service, self.project, self.fake.domain)[which]

    def job_name(self, service):
        """The job the role writes for `service` (role default job name prefix)."""
        return "aiven-%s-%s" % (self.project, service)

    def node_count(self, service=None):
        if service is not None:
            return len(self.nodes[service])
        return sum(len(nodes) for nodes in self.nodes.values())

    def endpoint_password(self):
        """Password of the project's (first) Prometheus endpoint, for secret scans; None if none."""
        for endpoint in self.fake.projects[self.project]["endpoints"].values():
            if endpoint["endpoint_type"] == "prometheus":
                return endpoint["user_config"].get("basic_auth_password")
        return None

    def host_vars(self, prom):
        return {
            "ansible_connection": "local",
            "ansible_python_interpreter": sys.executable,
            "prometheus_aiven_config_file": prom.config_file,
            "prometheus_aiven_web_url": prom.url,
            "prometheus_aiven_promtool": prom.binaries.promtool,
        }

    def inventory(self, group="prometheus", host_vars=None):
        """Inventory dict: localhost (the controller) and one host per Prometheus in `group`."""
        hosts = {}
        for prom in self.prometheus:
            hosts[prom.name] = dict(self.host_vars(prom), **((host_vars or {}).get(prom.name) or {}))
        return {"all": {
            "hosts": {"localhost": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}},
            "children": {group: {"hosts": hosts}},
        }}

    def write_inventory(self, path=None, **kwargs):
        path = pathlib.Path(str(path or self.tmp_dir / "inventory.yml"))
        path.write_text(json.dumps(self.inventory(**kwargs), indent=2) + "\n")  # JSON is YAML
        return path

    def extra_vars(self, **overrides):
        """Role variables for site.yml against this sandbox (overrides win)."""
        values = {
            "prometheus_aiven_project": self.project,
            "prometheus_aiven_api_url": self.api_url,
            "prometheus_aiven_api_token": self.token,
            "prometheus_aiven_services": [s[0] for s in self.services],
            "prometheus_aiven_discovery": "static",
            "prometheus_aiven_dns_nameservers": [self.dns.host],
            "prometheus_aiven_dns_port": self.dns.port,
            "prometheus_aiven_owner": pwd.getpwuid(os.getuid()).pw_name,
            "prometheus_aiven_group": grp.getgrgid(os.getgid()).gr_name,
            "prometheus_aiven_job_extra": {"scrape_interval": self.scrape_interval, "scrape_timeout": "1s"},
            "prometheus_aiven_verify_timeout": 60,
        }
        values.update(overrides)
        return values

    def write_extra_vars(self, path=None, **overrides):
        """JSON file for `-e @FILE` (holds the token: the file is 0600)."""
        path = pathlib.Path(str(path or self.tmp_dir / "extra-vars.json"))
        fd = os.open(str(path), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(self.extra_vars(**overrides), handle, indent=2)
        return path

    def summary(self):
        return {
            "api_url": self.api_url, "token": self.token, "project": self.project,
            "dns": "%s:%d" % (self.dns.host, self.dns.port), "node_port": self.node_port,
            "services": {name: [n.address for n in nodes] for name, nodes in self.nodes.items()},
            "prometheus": [{"name": p.name, "url": p.url, "config_file": p.config_file,
                            "version": "%d.%d.%d" % p.version} for p in self.prometheus],
            "inventory": str(self.tmp_dir / "inventory.yml"),
            "extra_vars": str(self.tmp_dir / "extra-vars.json"),
            "run": "ansible-playbook -i %s %s -e @%s" % (self.tmp_dir / "inventory.yml",
                                                         REPO / "playbooks" / "site.yml",
                                                         self.tmp_dir / "extra-vars.json"),
        }


def main(argv=None):
    parser = argparse.ArgumentParser(description="Start the whole sandbox and serve until SIGTERM/SIGINT.")
    parser.add_argument("--dir", help="working directory (default: a new temporary one)")
    parser.add_argument("--service", action="append", default=[], metavar="NAME:TYPE[:NODES][:vpc]")
    parser.add_argument("--prometheus-version", default=None, help="major.minor (default: the oldest present)")
    parser.add_argument("--prometheus-count", type=int, default=1)
    parser.add_argument("--no-lifecycle", action="store_true", help="start Prometheus without --web.enable-lifecycle")
    parser.add_argument("--discovery", default="static", choices=["static", "file_sd", "dns_sd"])
    args = parser.parse_args(argv)
    services = None
    if args.service:
        services = []
        for spec in args.service:
            parts = spec.split(":")
            services.append(tuple(parts[:2]) + tuple([int(parts[2]) if len(parts) > 2 and parts[2] else 1]) +
                            tuple(parts[3:]))
    version = args.prometheus_version or next(iter(versions()), None)
    if version is None:
        parser.error("no Prometheus build found; run `make system`")
    directory = args.dir or tempfile.mkdtemp(prefix="aiven-sandbox-")
    box = Sandbox(directory, services=services, prometheus_version=version,
                  prometheus_count=args.prometheus_count, lifecycle=not args.no_lifecycle)
    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())
    box.start()
    try:
        box.write_inventory()
        box.write_extra_vars(prometheus_aiven_discovery=args.discovery)
        print(json.dumps(box.summary()), flush=True)
        stopping.wait()
    finally:
        box.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
