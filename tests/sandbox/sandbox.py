"""The whole sandbox in one object: fake Aiven, project CA, Aiven-like nodes, DNS, real Prometheus.

    from sandbox.sandbox import Sandbox
    with Sandbox(tmp_path, services=[("pg-orders", "pg", 2), ("kafka-events", "kafka", 3, "vpc")],
                 prometheus_version="2.42", prometheus_count=1,
                 cert_names="all", prometheus_dns=False, netns=False, search_domain=None) as box:
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
    certificate names only DNS names, no IP. A node answers with the basic-auth
    credentials of the Prometheus endpoint its service is integrated with, read from the fake at
    request time; without an integration every scrape is 401, as on Aiven where the port is
    closed until the integration exists;
  * a DNSServer for every name the fake's service_hosts() gives a service, whatever its keys
    (primary, replica, public(_replica), private(_replica), privatelink_N(_replica), ...):
    replica names (a "replica" word in the key) resolve to the standbys and exist only for
    types with standby DNS and 2+ nodes; every other name resolves to the first node (types
    without replica DNS: to every node). The DNS does not decide which routes a client sees:
    the fake's component rows do. Names follow the fake while it runs (a PrivateLink
    connection added later resolves and is on the certificates at the next query or TLS
    handshake); a POWEROFF service's names are NXDOMAIN, as it has no nodes;
  * `cert_names`: "all" (default): every node's certificate names every name of its service;
    "per_node_role": each names only the names it is discovered by, the primary the
    non-replica names, each standby only the replica names (a real Aiven standby whose
    certificate names only the replica- host: one server_name for both fails, issue 11.3);
  * a service flag "ipv6": its names have only AAAA records (an A query is NOERROR, no answer)
    and its nodes serve on IPv6: ::1 in the main network namespace (so one node in all: every
    node shares `node_port`), ULA addresses fd00:A:B::x with `netns=True`;
  * service flags "privatelink" (one PrivateLink connection each, needs "vpc") and "poweroff"
    go to the fake;
  * `prometheus_count` real Prometheus processes of `prometheus_version`, each with its own
    directory holding an existing prometheus.yml (a job of its own, comments), own port.
    `prometheus_version` may also be a list of labels, one per Prometheus (a fleet of mixed
    versions, converged by one run; prometheus_count is then their number).
    `box.prometheus_versions` is the label of each, in order.
  * `prometheus_dns=True` (root + unshare): the DNS server listens on 127.A.B.1:53 and each
    Prometheus runs in a private mount namespace whose /etc/resolv.conf names it, so
    `dns_sd_configs` work end to end. Modules on the Prometheus hosts run the same way (their
    ansible_python_interpreter is `box.host_python`, a script over `box.host_argv`), so what
    a module resolves there with getaddrinfo is what Prometheus gets, search list included; the
    controller (localhost) is untouched. `prometheus_wrapper` is an argv prefix for Prometheus
    (tests use it to hide a directory from Prometheus, like systemd's InaccessiblePaths=).
  * `netns=True` (root + ip netns): a network namespace of the sandbox's own (`box.ns`, a
    NetNS). Nodes and the decoy listen inside it (this process holds their sockets, see
    netns.call_in), IPv6 nodes on fd00:A:B::x addresses put on its lo; the DNS answers both
    inside on 127.0.0.1:53 (the namespace's resolv.conf) and outside on 127.0.0.1:PORT (the
    controller: prometheus_aiven_dns_nameservers/port); each Prometheus runs inside and its
    port is forwarded to the same 127.0.0.1 port outside, so `prom.url` works unchanged.
    Implies what prometheus_dns gives (dns_sd). The controller stays outside.
  * `search_domain="corp.example"` (needs prometheus_dns or netns): Prometheus's resolv.conf has
    `search corp.example` and `options ndots:5`, and the DNS answers `*.corp.example` (A only)
    with the decoy, `box.decoy`: an HTTPS server on 127.A.B.254:node_port whose certificate
    (`*.corp.example`) comes from another CA, as a corporate wildcard's web server would. A
    relative lookup of an Aiven name therefore lands on the decoy (target down: certificate
    signed by unknown authority), an absolute one (trailing dot) on the nodes (issue 11.5).

Command line (README demo, benchmarks): `python tests/sandbox/sandbox.py [--dir D] [--service
NAME:TYPE[:NODES][:FLAG...]] [--prometheus-version 2.53] [--prometheus-count 2] [--no-lifecycle]
[--discovery static|file_sd|dns_sd] [--prometheus-dns] [--netns] [--cert-names all|per_node_role]
[--search-domain corp.example]` (FLAG: vpc, ipv6, privatelink, poweroff; --discovery dns_sd
implies --prometheus-dns) starts everything, writes D/inventory.yml and D/extra-vars.json,
prints one JSON line, `summary()`, with what a playbook needs, and serves until SIGTERM/SIGINT.
"""
import argparse
import grp
import ipaddress
import json
import os
import pathlib
import pwd
import re
import secrets
import shlex
import signal
import string
import sys
import tempfile
import threading
import urllib.request

if __package__ in (None, ""):  # run as a script: make `sandbox` importable
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
    __package__ = "sandbox"

from sandbox.dns_server import DNSServer  # noqa: E402
from sandbox.fake_aiven import SERVICE_TYPES, FakeAiven, service_hosts  # noqa: E402
from sandbox.netns import Forwarder, NetNS  # noqa: E402
from sandbox.nodes import AivenNode, ProjectCA  # noqa: E402
from sandbox.prometheus import PrometheusProcess, missing_reason, versions  # noqa: E402
from sandbox.util import free_port  # noqa: E402

REPO = pathlib.Path(__file__).resolve().parents[2]
DEFAULT_SERVICES = [("pg-orders", "pg", 2), ("kafka-events", "kafka", 3, "vpc")]
VPC_ID = "7b0c5a1e-0000-4000-8000-00000000a1c0"
CERT_NAMES = ("all", "per_node_role")
SERVICE_FLAGS = ("vpc", "ipv6", "privatelink", "poweroff")
DECOY_HOST = 254  # 127.A.B.254: after the last node (.253), never a node

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
    """("name", "type", nodes[, flag...]) -> ((name, type, nodes, vpc_id or None), [flag, ...]).

    Flags: "vpc", "ipv6", "privatelink" (repeatable: one PrivateLink connection each), "poweroff"."""
    spec = tuple(spec)
    if len(spec) < 2:
        raise ValueError("a service is (name, type[, nodes][, flag...]), got %r" % (spec,))
    name, service_type = spec[0], spec[1]
    nodes = int(spec[2]) if len(spec) > 2 else 1
    flags = list(spec[3:])
    if set(flags) - set(SERVICE_FLAGS):
        raise ValueError("unknown flag in %r (%s)" % (spec, ", ".join(SERVICE_FLAGS)))
    return (name, service_type, nodes, (VPC_ID if "vpc" in flags else None)), flags


def parse_service(text):
    """Command-line NAME:TYPE[:NODES][:FLAG...] -> the tuple Sandbox(services=...) takes."""
    parts = text.split(":")
    return tuple(parts[:2]) + (int(parts[2]) if len(parts) > 2 and parts[2] else 1,) + tuple(parts[3:])


def is_replica_key(key):
    """A service_hosts() key whose name covers the standbys ("replica", "public_replica", ...)."""
    return "replica" in re.split(r"[_\-]", key)


def service_layout(hosts, ips, replica_dns, cert_names="all"):
    """Where each name of one service resolves, and what each node's certificate names.

    hosts {key: name} (service_hosts()), ips [one per node, the primary first] ->
    ({name: [ip, ...]}, [[certificate names of node i], ...])."""
    standbys = list(ips[1:]) if replica_dns and len(ips) >= 2 else []
    records, primary_names, replica_names = {}, [], []
    for key, host in hosts.items():
        if not is_replica_key(key):
            records[host] = list(ips[:1]) if standbys else list(ips)
            primary_names.append(host)
        elif standbys:  # no standbys, no replica name (Aiven lists none either)
            records[host] = standbys
            replica_names.append(host)
    if cert_names == "all":
        return records, [primary_names + replica_names for _ip in ips]
    return records, [primary_names] + [replica_names if standbys else primary_names for _ip in ips[1:]]


class Sandbox(object):
    def __init__(self, tmp_dir, services=None, prometheus_version="2.42", prometheus_count=1,
                 config_template=None, lifecycle=True, project="acme", token=None,
                 scrape_interval="2s", prometheus_extra_args=(), prometheus_wrapper=None,
                 prometheus_dns=False, netns=False, cert_names="all", search_domain=None):
        self.tmp_dir = pathlib.Path(str(tmp_dir))
        specs = [_service_spec(s) for s in (DEFAULT_SERVICES if services is None else services)]
        self.services = [service for service, _flags in specs]
        self.service_flags = {service[0]: flags for service, flags in specs}
        self._types = {service[0]: service[1] for service, _flags in specs}
        if isinstance(prometheus_version, (list, tuple)):
            # One label per Prometheus: a fleet of mixed versions.
            self.prometheus_versions = [str(label) for label in prometheus_version]
            if prometheus_count not in (1, len(self.prometheus_versions)):
                raise ValueError("prometheus_count %s, but %d versions given (one per Prometheus)"
                                 % (prometheus_count, len(self.prometheus_versions)))
            self.prometheus_version = self.prometheus_versions[0] if self.prometheus_versions else None
            self.prometheus_count = len(self.prometheus_versions)
        else:
            self.prometheus_version = prometheus_version
            self.prometheus_count = int(prometheus_count)
            self.prometheus_versions = [prometheus_version] * self.prometheus_count
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
        # the machine's own resolv.conf is never touched). A network namespace gives that too.
        self.netns = bool(netns)
        self.prometheus_dns = bool(prometheus_dns) or self.netns
        if cert_names not in CERT_NAMES:
            raise ValueError("cert_names must be one of %s, not %r" % (", ".join(CERT_NAMES), cert_names))
        self.cert_names = cert_names
        if search_domain and not self.prometheus_dns:
            raise ValueError("search_domain is about Prometheus's resolver: it needs prometheus_dns=True or netns=True")
        self.search_domain = search_domain
        ipv6_nodes = sum(nodes for name, _type, nodes, _vpc in self.services if "ipv6" in self.service_flags[name])
        if ipv6_nodes > 1 and not self.netns:
            raise ValueError("%d IPv6 nodes: outside a network namespace only ::1 is usable, so one in all "
                             "(every node shares node_port); use netns=True" % ipv6_nodes)
        self.ca = None
        self.fake = None
        self.dns = None
        self.ns = None  # NetNS with netns=True
        self.decoy = None  # AivenNode with search_domain
        self.nodes = {}  # service name -> [AivenNode]
        self.prometheus = []  # [PrometheusProcess]
        self.forwarders = []
        self.node_port = None
        self.ip_prefix = None
        self.resolv_conf = None
        self._ips = {}  # service name -> [node IP], the primary first
        self._state = None  # what sync() last brought DNS and certificates to
        self._sync_lock = threading.Lock()

    # ----- lifecycle -----

    @property
    def binaries(self):
        """The build of `prometheus_version` (the first Prometheus's, with a list of versions)."""
        return self._binaries(self.prometheus_version)

    @staticmethod
    def _binaries(label):
        found = versions()
        if label not in found:
            raise RuntimeError(missing_reason(label))
        return found[label]

    def start(self):
        binaries = [self._binaries(label) for label in self.prometheus_versions]  # none: DNS and nodes alone
        try:
            self._start(binaries)
        except BaseException:
            self.stop()
            raise
        return self

    def _resolv_lines(self):
        if not self.search_domain:
            return ["options timeout:1 attempts:2"]
        return ["search %s" % self.search_domain, "options ndots:5 timeout:1 attempts:2"]

    def _start(self, binaries):
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        self.ca = ProjectCA()
        ipv6_here = not self.netns and any("ipv6" in flags for flags in self.service_flags.values())
        self.node_port = free_port(also=["::1"] if ipv6_here else [])
        # 127.A.B.0/24 of our own: A.B from the node port, unique among running sandboxes.
        octets = ((self.node_port >> 8) & 255, self.node_port & 255)
        self.ip_prefix = "127.%d.%d." % octets
        if self.netns:
            self.ns = NetNS(resolv_nameserver="127.0.0.1", resolv_lines=self._resolv_lines(), skip=False).create()
            self.resolv_conf = pathlib.Path(self.ns.resolv_conf)
        elif self.prometheus_dns:
            self.resolv_conf = self.tmp_dir / "resolv.conf"
            self.resolv_conf.write_text("nameserver %s\n%s\n" % (self.ip_prefix + "1", "\n".join(self._resolv_lines())))
        netns = self.ns.name if self.ns else None
        self.fake = FakeAiven(token=self.token, prometheus_port=self.node_port)
        self.fake.add_project(self.project, ca_pem=self.ca.pem)
        next_ip = 2
        for name, service_type, node_count, vpc_id in self.services:
            flags = self.service_flags[name]
            options = {"privatelink": flags.count("privatelink")} if "privatelink" in flags else {}
            self.fake.add_service(self.project, name, service_type, node_count, project_vpc_id=vpc_id,
                                  state="POWEROFF" if "poweroff" in flags else "RUNNING", **options)
            numbers = range(next_ip, next_ip + node_count)
            next_ip += node_count
            if next_ip > DECOY_HOST:
                raise ValueError("too many nodes for one sandbox (at most %d)" % (DECOY_HOST - 2))
            if "ipv6" not in flags:
                self._ips[name] = ["%s%d" % (self.ip_prefix, number) for number in numbers]
            elif self.netns:
                self._ips[name] = [str(ipaddress.ip_address("fd00:%x:%x::%x" % (octets + (number,))))
                                   for number in numbers]  # written as DNS answers and Prometheus write it
                for ip in self._ips[name]:
                    self.ns.add_address(ip)
            else:
                self._ips[name] = ["::1"]
        self._state = self._fake_state()
        records, certificates = self._layout(self._state)
        for name, _type, _nodes, _vpc in self.services:
            self.nodes[name] = []
            for index, ip in enumerate(self._ips[name]):
                node = _SandboxNode(self, name, self.ca, certificates[name][index], ip=ip, port=self.node_port,
                                    node_name="%s-%d" % (name, index + 1), service=self.service_host(name),
                                    netns=netns)
                node.refresh = lambda _server_name: self.sync()
                self.nodes[name].append(node.start())
        if self.search_domain:
            # Another CA: what a corporate wildcard's web server presents to a client that
            # expects the Aiven project CA. Its credentials match nothing.
            self.decoy = AivenNode(ProjectCA("corp-example-proxy"), ["*." + self.search_domain],
                                   ip=self.ip_prefix + str(DECOY_HOST), port=self.node_port,
                                   username=secrets.token_hex(4), password=secrets.token_hex(8),
                                   node_name="decoy", netns=netns).start()
        if self.netns:
            self.dns = DNSServer(records=records, extra_listeners=[("127.0.0.1", 53, netns)])
        elif self.prometheus_dns:
            self.dns = DNSServer(records=records, host=self.ip_prefix + "1", port=53)
        else:
            self.dns = DNSServer(records=records)
        self.dns.refresh = self.sync
        self.dns.start()
        self.fake.start()
        for index, build in enumerate(binaries):
            self._start_prometheus(build, index)

    def _fake_state(self):
        """What DNS and certificates follow: ((service, state, ((key, host), ...)), ...)."""
        with self.fake._lock:
            stored = self.fake.projects[self.project]["services"]
            return tuple((name, stored[name]["state"], tuple(self.service_hosts(name).items()))
                         for name, _type, _nodes, _vpc in self.services)

    def _layout(self, state):
        """({name: [ip, ...]} for the DNS, {service: [[certificate names of node i], ...]})."""
        records, certificates = {}, {}
        for name, power, hosts in state:
            service_records, certificates[name] = service_layout(dict(hosts), self._ips[name],
                                                                 self._replica_dns(name), self.cert_names)
            if power != "POWEROFF":  # no nodes, no addresses
                records.update(service_records)
        if self.search_domain:
            records["*." + self.search_domain] = [self.ip_prefix + str(DECOY_HOST)]
        return records, certificates

    def sync(self):
        """Bring DNS records and node certificates up to the fake's names and states (a
        PrivateLink connection added, a service powered off or on). The DNS server calls it before
        each answer and each node at each TLS handshake, so a test never has to."""
        with self._sync_lock:
            state = self._fake_state()
            if state == self._state:  # the usual case: cheap, as it runs on every DNS query
                return
            records, certificates = self._layout(state)
            if self.dns is not None:
                self.dns.set_records(records)
            for name, nodes in self.nodes.items():
                for node, names in zip(nodes, certificates[name]):
                    if names != node.dns_names:
                        node.set_dns_names(names)
            self._state = state

    def _start_prometheus(self, binaries, index):
        name = "prometheus-%d" % (index + 1)
        directory = self.tmp_dir / name
        directory.mkdir(parents=True, exist_ok=True)
        config = directory / "prometheus.yml"
        port = None
        wrapper = [arg.replace("{dir}", str(directory)) for arg in self.prometheus_wrapper]
        if self.ns is not None:
            # Prometheus listens inside; the role and the tests reach it on the same port outside.
            forwarder = Forwarder(self.ns.name, ("127.0.0.1", 0)).start()
            self.forwarders.append(forwarder)
            port = forwarder.address[1]
        wrapper = self.host_argv(wrapper)
        port = port or free_port()
        config.write_text(string.Template(self.config_template).safe_substitute(
            name=name, port=port, scrape_interval=self.scrape_interval))
        prom = PrometheusProcess(config, binaries, port=port, lifecycle=self.lifecycle,
                                 extra_args=self.prometheus_extra_args, netns=wrapper)
        prom.name = name
        self.prometheus.append(prom)
        prom.start()
        return prom

    def stop(self):
        for prom in self.prometheus:
            prom.cleanup()
        for forwarder in self.forwarders:
            forwarder.stop()
        for node in [n for nodes in self.nodes.values() for n in nodes] + [self.decoy]:
            if node is not None:
                node.stop()
        if self.dns is not None:
            self.dns.stop()
        if self.fake is not None and self.fake.url:
            self.fake.stop()
        if self.ns is not None:
            self.ns.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # ----- what a playbook needs -----

    @property
    def api_url(self):
        return self.fake.url

    def service_hosts(self, service):
        """{key: host name} of `service` as the fake names it now (PrivateLink ones included)."""
        if hasattr(self.fake, "service_hosts"):
            return self.fake.service_hosts(self.project, service)
        return service_hosts(service, self.project, self.fake.domain)

    def dns_hosts(self, service):
        """The part of service_hosts() the DNS answers while the service runs (replica names only
        with standbys)."""
        hosts = self.service_hosts(service)
        records = service_layout(hosts, self._ips[service], self._replica_dns(service))[0]
        return {key: host for key, host in hosts.items() if host in records}

    def service_host(self, service, which="primary"):
        return self.service_hosts(service)[which]

    def job_name(self, service):
        """The job the role writes for `service` (role default job name prefix)."""
        return "aiven-%s-%s" % (self.project, service)

    def _replica_dns(self, service):
        return SERVICE_TYPES[self._types[service]]["replica_dns"]

    def node_count(self, service=None):
        if service is not None:
            return len(self.nodes[service])
        return sum(len(nodes) for nodes in self.nodes.values())

    def integrate(self, services=None, endpoint_name="prometheus"):
        """Create a Prometheus endpoint and integrate `services` (default: all) with it through the
        fake's own API, as a user would in the console, for tests whose jobs are written by hand.
        Returns the endpoint's (username, password)."""
        def call(path, body):
            request = urllib.request.Request(
                "%s/v1/project/%s/%s" % (self.api_url, self.project, path), data=json.dumps(body).encode(),
                headers={"Authorization": "aivenv1 " + self.token, "Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=10) as response:
                return json.load(response)
        endpoint = call("integration_endpoint", {"endpoint_name": endpoint_name, "endpoint_type": "prometheus",
                                                 "user_config": {}})["service_integration_endpoint"]
        for service in services or [s[0] for s in self.services]:
            call("integration", {"integration_type": "prometheus", "source_service": service,
                                 "dest_endpoint_id": endpoint["endpoint_id"]})
        config = endpoint["user_config"]
        return config["basic_auth_username"], config["basic_auth_password"]

    def endpoint_password(self):
        """Password of the project's (first) Prometheus endpoint, for secret scans; None if none."""
        for endpoint in self.fake.projects[self.project]["endpoints"].values():
            if endpoint["endpoint_type"] == "prometheus":
                return endpoint["user_config"].get("basic_auth_password")
        return None

    def host_argv(self, argv):
        """argv run as on the Prometheus host: with its resolv.conf (prometheus_dns), inside the
        network namespace (netns), or as it is."""
        if self.ns is not None:
            return self.ns.exec_argv(argv)
        if self.prometheus_dns:
            return ["unshare", "--mount", "--propagation", "private", "sh", "-c",
                    'mount --bind "$0" /etc/resolv.conf && exec "$@"', str(self.resolv_conf)] + list(argv)
        return list(argv)

    @property
    def host_python(self):
        """The Prometheus hosts' ansible_python_interpreter: where Prometheus resolves through the
        sandbox DNS, a script that runs Python as on that host (host_argv), so a module there
        resolves names and reaches Prometheus as Prometheus itself does; else sys.executable."""
        if not self.prometheus_dns:
            return sys.executable
        path = self.tmp_dir / "host-python"
        if not path.exists():
            path.write_text("#!/bin/sh\n# Python as on the sandbox's Prometheus hosts (their resolver).\nexec %s \"$@\"\n"
                            % " ".join(shlex.quote(arg) for arg in self.host_argv([sys.executable])))
            path.chmod(0o755)
        return str(path)

    def host_vars(self, prom):
        return {
            "ansible_connection": "local",
            "ansible_python_interpreter": self.host_python,
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

    @property
    def discoveries(self):
        """The role's discovery modes that work against this sandbox (dns_sd needs Prometheus to
        resolve through the sandbox DNS)."""
        return ["static", "file_sd"] + (["dns_sd"] if self.prometheus_dns else [])

    def summary(self):
        """What a playbook (and a person) needs, as printed by the command line."""
        return {
            "api_url": self.api_url, "token": self.token, "project": self.project,
            "dns": self.dns.address, "node_port": self.node_port,
            "prometheus_aiven_dns_nameservers": [self.dns.host],
            "prometheus_aiven_dns_port": self.dns.port,
            "discoveries": self.discoveries,
            "services": {name: [n.address for n in nodes] for name, nodes in self.nodes.items()},
            "hosts": {name: self.dns_hosts(name) for name in self.nodes},
            "nodes": {name: [{"address": n.address, "role": "standby" if index and self._replica_dns(name)
                              else "primary", "certificate_names": n.dns_names} for index, n in enumerate(nodes)]
                      for name, nodes in self.nodes.items()},
            "options": {"cert_names": self.cert_names, "prometheus_dns": self.prometheus_dns,
                        "netns": self.ns.name if self.ns else None, "search_domain": self.search_domain,
                        "ipv6_services": [name for name in self.nodes if "ipv6" in self.service_flags[name]]},
            "resolv_conf": str(self.resolv_conf) if self.resolv_conf else None,
            "decoy": self.decoy.address if self.decoy else None,
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
    parser.add_argument("--service", action="append", default=[], metavar="NAME:TYPE[:NODES][:FLAG...]",
                        help="FLAG: %s (privatelink repeatable)" % ", ".join(SERVICE_FLAGS))
    parser.add_argument("--prometheus-version", default=None,
                        help="major.minor, or a major alone for its newest build present (default: the oldest present)")
    parser.add_argument("--prometheus-count", type=int, default=1)
    parser.add_argument("--no-lifecycle", action="store_true", help="start Prometheus without --web.enable-lifecycle")
    parser.add_argument("--discovery", default="static", choices=["static", "file_sd", "dns_sd"],
                        help="prometheus_aiven_discovery in extra-vars.json (dns_sd implies --prometheus-dns)")
    parser.add_argument("--prometheus-dns", action="store_true",
                        help="Prometheus resolves through the sandbox DNS (root + unshare)")
    parser.add_argument("--netns", action="store_true",
                        help="nodes, DNS and Prometheus in a network namespace of their own (root + ip netns)")
    parser.add_argument("--cert-names", default="all", choices=CERT_NAMES)
    parser.add_argument("--search-domain", metavar="DOMAIN",
                        help="Prometheus's resolv.conf: search DOMAIN, ndots:5; *.DOMAIN answers with a decoy")
    args = parser.parse_args(argv)
    services = [parse_service(spec) for spec in args.service] or None
    version = args.prometheus_version or next(iter(versions()), None)
    if version is None:
        parser.error("no Prometheus build found; run `make system`")
    if "." not in version:  # "3": the newest 3.x present
        version = ([label for label in versions() if label.split(".")[0] == version] or [version])[-1]
    directory = args.dir or tempfile.mkdtemp(prefix="aiven-sandbox-")
    try:
        box = Sandbox(directory, services=services, prometheus_version=version,
                      prometheus_count=args.prometheus_count, lifecycle=not args.no_lifecycle,
                      prometheus_dns=args.prometheus_dns or args.discovery == "dns_sd", netns=args.netns,
                      cert_names=args.cert_names, search_domain=args.search_domain)
    except ValueError as exc:
        parser.error(str(exc))
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
