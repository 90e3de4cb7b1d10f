"""The node_ips lookup through real `ansible` commands against a real DNS server (dnslib) on
loopback; plus the same code in-process where a test needs precise timing or the server's view."""
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from sandbox.dns_server import DNSServer
from sandbox.util import wait_until

LOOKUP = "aiven_tools.prometheus.node_ips"
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DNS_SERVER_SCRIPT = os.path.join(REPO, "tests", "sandbox", "dns_server.py")

ZONE = {
    "kafka-x-proj.aiven.test": ["127.0.0.10", "127.0.0.9", "127.0.0.2"],  # string order != numeric
    "pg-orders-acme.aiven.test": ["127.0.0.3", "127.0.0.2"],
    "public-replica-pg-orders-acme.aiven.test": ["127.0.0.4"],
    "dual.aiven.test": ["127.0.0.5", "fd00::10", "fd00::9", "fd00::a"],
    "v6only.aiven.test": ["fd00::1"],
}


@pytest.fixture
def dns():
    with DNSServer(records=ZONE) as server:
        yield server


def query_expr(server, *terms, **options):
    """A Jinja query() call; nameservers/dns_port default to `server`."""
    if server is not None:
        options.setdefault("nameservers", [server.host])
        options.setdefault("dns_port", server.port)
    args = [json.dumps(LOOKUP)] + [json.dumps(t) for t in terms]
    args += ["%s=%s" % (key, json.dumps(value)) for key, value in sorted(options.items())]
    return "query(%s)" % ", ".join(args)


def run_debug(ansible, expression, env=None):
    """`ansible localhost -m debug -a msg={{ expression }}` -> (rc, msg, proc)."""
    rc, result, proc = ansible.module("ansible.builtin.debug", {"msg": "{{ %s }}" % expression}, env=env)
    return rc, result.get("msg"), proc


def lookup_error(rc, msg, proc):
    """The lookup's own message out of Ansible's wrapping."""
    assert rc != 0, "expected the lookup to fail:\n" + proc.stdout + proc.stderr
    assert isinstance(msg, str) and "node_ips: " in msg, proc.stdout + proc.stderr
    return msg[msg.index("node_ips: "):]


# -- answers ---------------------------------------------------------------------------------

def test_answers_formats_and_missing_names_as_empty(ansible, dns):
    cases = {
        "a": query_expr(dns, "kafka-x-proj.aiven.test"),
        "aaaa": query_expr(dns, "dual.aiven.test", record_types=["AAAA"]),
        "both": query_expr(dns, "dual.aiven.test", record_types=["A", "AAAA"]),
        "several": query_expr(dns, "kafka-x-proj.aiven.test", "pg-orders-acme.aiven.test"),
        "replica": query_expr(dns, "pg-orders-acme.aiven.test", "public-replica-pg-orders-acme.aiven.test"),
        "list_term": query_expr(dns, ["pg-orders-acme.aiven.test", "public-replica-pg-orders-acme.aiven.test"]),
        "port": query_expr(dns, "dual.aiven.test", "pg-orders-acme.aiven.test", record_types=["A", "AAAA"], port=9273),
        "nxdomain_empty": query_expr(dns, "gone.aiven.test", on_missing="empty"),
        "nxdomain_empty_mixed": query_expr(dns, "gone.aiven.test", "pg-orders-acme.aiven.test", on_missing="empty"),
        "no_a_empty": query_expr(dns, "v6only.aiven.test", on_missing="empty"),
        "lookup_joined": query_expr(dns, "kafka-x-proj.aiven.test").replace("query(", "lookup(", 1),
    }
    rc, msg, proc = run_debug(ansible, "{%s}" % ", ".join("%s: %s" % (json.dumps(k), v) for k, v in cases.items()))
    assert rc == 0, proc.stdout + proc.stderr
    assert msg == {
        "a": ["127.0.0.2", "127.0.0.9", "127.0.0.10"],
        "aaaa": ["fd00::9", "fd00::a", "fd00::10"],
        "both": ["127.0.0.5", "fd00::9", "fd00::a", "fd00::10"],
        "several": ["127.0.0.2", "127.0.0.3", "127.0.0.9", "127.0.0.10"],
        "replica": ["127.0.0.2", "127.0.0.3", "127.0.0.4"],
        "list_term": ["127.0.0.2", "127.0.0.3", "127.0.0.4"],
        "port": ["127.0.0.2:9273", "127.0.0.3:9273", "127.0.0.5:9273",
                 "[fd00::9]:9273", "[fd00::a]:9273", "[fd00::10]:9273"],
        "nxdomain_empty": [],
        "nxdomain_empty_mixed": ["127.0.0.2", "127.0.0.3"],
        "no_a_empty": [],
        "lookup_joined": "127.0.0.2,127.0.0.9,127.0.0.10",
    }
    asked = {(q.name, q.qtype) for q in dns.queries}
    assert ("dual.aiven.test", "AAAA") in asked and ("public-replica-pg-orders-acme.aiven.test", "A") in asked


def test_ipv6_nameserver_literal(ansible):
    with DNSServer(records=ZONE, host="::1") as server:
        rc, msg, proc = run_debug(ansible, query_expr(server, "pg-orders-acme.aiven.test", nameservers=["::1"]))
        assert rc == 0, proc.stdout + proc.stderr
        assert msg == ["127.0.0.2", "127.0.0.3"]
        assert server.queries_for("pg-orders-acme.aiven.test", "A")


def test_tcp(ansible, dns):
    rc, msg, proc = run_debug(ansible, query_expr(dns, "dual.aiven.test", record_types=["A", "AAAA"], tcp=True))
    assert rc == 0, proc.stdout + proc.stderr
    assert msg == ["127.0.0.5", "fd00::9", "fd00::a", "fd00::10"]
    assert {q.protocol for q in dns.queries_for("dual.aiven.test")} == {"tcp"}
    assert len(dns.queries_for("dual.aiven.test")) == 2


# -- failures: one line, naming the host and the DNS failure -----------------------------------

def test_nxdomain_fails_by_default(ansible, dns):
    error = lookup_error(*run_debug(ansible, query_expr(dns, "pg-orders-acme.aiven.test", "gone.aiven.test")))
    assert error == ("node_ips: cannot resolve gone.aiven.test: NXDOMAIN (the name does not exist) "
                     "(asked 127.0.0.1:%d over UDP)" % dns.port)


def test_name_without_a_record_fails_by_default(ansible, dns):
    error = lookup_error(*run_debug(ansible, query_expr(dns, "v6only.aiven.test", "gone.aiven.test")))
    assert error == ("node_ips: cannot resolve 2 of 2 names: v6only.aiven.test: no A record (NOERROR, empty answer); "
                     "gone.aiven.test: NXDOMAIN (the name does not exist) (asked 127.0.0.1:%d over UDP)" % dns.port)


def test_servfail_is_retried_then_fails_even_with_on_missing_empty(ansible, dns):
    dns.servfail_names = {"broken.aiven.test"}
    error = lookup_error(*run_debug(ansible, query_expr(dns, "broken.aiven.test", "pg-orders-acme.aiven.test",
                                                        retries=1, on_missing="empty")))
    assert error.startswith("node_ips: cannot resolve broken.aiven.test: SERVFAIL for A (server failure, 2 attempts)")
    assert len(dns.queries_for("broken.aiven.test", "A")) == 2


def test_server_that_never_answers_fails_within_the_timeout(ansible, dns):
    dns.silent = True
    started = time.monotonic()
    error = lookup_error(*run_debug(ansible, query_expr(dns, "pg-orders-acme.aiven.test", timeout=0.5, retries=1)))
    elapsed = time.monotonic() - started
    assert error.startswith("node_ips: cannot resolve pg-orders-acme.aiven.test: "
                            "timeout: no answer for A within 0.5s (2 attempts)")
    assert len(dns.queries_for("pg-orders-acme.aiven.test", "A")) == 2
    # 2 x 0.5 s of DNS plus Ansible's own start-up (~1 s here); dnspython's default would be 2 x 5 s
    assert 1.0 <= elapsed < 6.0, elapsed


def test_missing_dnspython_says_so(ansible, dns, tmp_path):
    shadow = tmp_path / "no_dnspython" / "dns"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError(\"No module named 'dns' (hidden by the test)\")\n")
    error = lookup_error(*run_debug(ansible, query_expr(dns, "pg-orders-acme.aiven.test"),
                                    env={"PYTHONPATH": str(shadow.parent)}))
    assert "needs the Python library dnspython (2.1 or newer)" in error
    assert "hidden by the test" in error and "-m pip install dnspython" in error
    assert dns.queries == []


def test_ansible_doc_documents_every_option_with_examples(ansible):
    proc = ansible.run(["ansible-doc", "--json", "-t", "lookup", LOOKUP], check=True)
    doc = json.loads(proc.stdout)[LOOKUP]
    options = doc["doc"]["options"]
    assert set(options) == {"_terms", "port", "record_types", "nameservers", "dns_port", "tcp", "timeout",
                            "retries", "on_missing"}
    assert all(opt.get("description") for opt in options.values())
    assert options["on_missing"]["default"] == "fail" and options["record_types"]["default"] == ["A"]
    assert "snapshot" in " ".join(doc["doc"]["notes"]) and "dns_sd_configs" in " ".join(doc["doc"]["notes"])
    for option in ("port=9273", "record_types=", "nameservers=", "tcp=true", "on_missing=", "timeout="):
        assert option in doc["examples"], option
    text = ansible.run(["ansible-doc", "-t", "lookup", LOOKUP], check=True).stdout
    for option in options:
        if option != "_terms":
            assert option in text


# -- in process, against the real server: timing and concurrency as the server sees them -------

def resolve_in_process(server, names, **options):
    from ansible_collections.aiven_tools.prometheus.plugins.plugin_utils import _resolver

    options.setdefault("nameservers", [server.host])
    options.setdefault("dns_port", server.port)
    return [str(ip) for ip in _resolver.resolve_node_ips(names, **options)]


def test_timeout_bound_in_process(dns):
    from ansible_collections.aiven_tools.prometheus.plugins.plugin_utils._resolver import NodeIPsError

    dns.silent = True
    started = time.monotonic()
    with pytest.raises(NodeIPsError, match="timeout"):
        resolve_in_process(dns, ["a.aiven.test", "b.aiven.test"], record_types=["A", "AAAA"], timeout=0.5, retries=1)
    elapsed = time.monotonic() - started
    # names and types in parallel, each 2 attempts of 0.5 s (dnspython overshoots ~0.1 s each)
    assert 1.0 <= elapsed < 1.8, elapsed
    assert len(dns.queries) == 8


def test_names_resolve_concurrently():
    names = ["n%d.aiven.test" % i for i in range(20)]
    zone = {name: ["127.0.1.%d" % (i + 1)] for i, name in enumerate(names)}
    with DNSServer(records=zone, latency=0.2) as server:
        started = time.monotonic()
        result = resolve_in_process(server, names)
        elapsed = time.monotonic() - started
    assert result == ["127.0.1.%d" % (i + 1) for i in range(20)]
    assert server.max_inflight >= 10, server.max_inflight
    assert elapsed < 1.5, elapsed  # one after the other: 20 x 0.2 s = 4 s


def test_zone_changes_at_runtime_are_seen(dns):
    assert resolve_in_process(dns, ["pg-orders-acme.aiven.test"]) == ["127.0.0.2", "127.0.0.3"]
    dns.set_records(dict(ZONE, **{"pg-orders-acme.aiven.test": ["127.0.0.2"]}))  # a node dropped
    assert resolve_in_process(dns, ["pg-orders-acme.aiven.test"]) == ["127.0.0.2"]


def test_dns_server_command_line(tmp_path):
    records = tmp_path / "records.json"
    records.write_text(json.dumps({"svc.aiven.test": ["127.0.0.2", "::1"]}))
    proc = subprocess.Popen([sys.executable, DNS_SERVER_SCRIPT, "--port", "0", "--records-file", str(records)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        banner = proc.stdout.readline().split()
        assert banner[:3] == ["listening", "on", "127.0.0.1"], banner
        server = type("S", (), {"host": "127.0.0.1", "port": int(banner[3])})
        assert resolve_in_process(server, ["svc.aiven.test"], record_types=["A", "AAAA"], tcp=True) == [
            "127.0.0.2", "::1"]
        records.write_text(json.dumps({"svc.aiven.test": ["127.0.0.3"]}))
        proc.send_signal(signal.SIGHUP)
        wait_until(lambda: resolve_in_process(server, ["svc.aiven.test"]) == ["127.0.0.3"], 10, "SIGHUP reload")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


# -- nameservers omitted: the system resolver configuration (inside a namespace) ---------------

@pytest.mark.netns
def test_system_resolver_configuration_inside_a_namespace(ansible, tmp_path):
    from sandbox.netns import NetNS

    records = tmp_path / "records.json"
    records.write_text(json.dumps({"pg-orders-acme.aiven.test": ["127.0.0.3", "127.0.0.2"]}))
    with NetNS(resolv_nameserver="127.0.0.1") as ns:
        ns.popen([sys.executable, DNS_SERVER_SCRIPT, "--host", "127.0.0.1", "--port", "53",
                  "--records-file", str(records)], stdout=subprocess.DEVNULL)
        wait_until(lambda: ns.run(["getent", "ahostsv4", "pg-orders-acme.aiven.test"]).returncode == 0, 10,
                   "the namespace DNS server")
        argv = ["ansible", "localhost", "-c", "local", "-i", "localhost,", "-m", "ansible.builtin.debug",
                "-a", json.dumps({"msg": "{{ %s }}" % query_expr(None, "pg-orders-acme.aiven.test", port=9273)})]
        proc = ansible.run(ns.exec_argv(argv), env={"ANSIBLE_LOAD_CALLBACK_PLUGINS": "1",
                                                    "ANSIBLE_STDOUT_CALLBACK": "minimal"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert '"127.0.0.2:9273"' in proc.stdout and '"127.0.0.3:9273"' in proc.stdout
