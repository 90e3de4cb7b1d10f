"""Unit tests for the node_ips lookup and its resolver helper, with a scripted fake resolver.

The real-DNS behaviour (wire, timeouts, TCP, IPv6 server) is covered by
tests/integration/test_lookup_node_ips.py; here: options, ordering, formatting, retries,
concurrency and the exact error messages.
"""
import threading

import dns.exception
import dns.message
import dns.resolver
import pytest
import yaml
from ansible import constants as C
from ansible.errors import AnsibleLookupError

from ansible_collections.aiven_tools.prometheus.plugins.lookup import node_ips
from ansible_collections.aiven_tools.prometheus.plugins.plugin_utils import _resolver as R


# -- a scripted stand-in for dns.resolver.Resolver ----------------------------------------

class FakeAddress:
    def __init__(self, address):
        self.address = address


class FakeAnswer:
    def __init__(self, addresses):
        self.rrset = [FakeAddress(a) for a in addresses]


def _all_servers_failed(rcode):
    request = dns.message.make_query("x.test", "A")
    return dns.resolver.NoNameservers(request=request, errors=[("127.0.0.1", False, 53, rcode, None)])


def servfail():
    return _all_servers_failed("SERVFAIL")


def refused():
    return _all_servers_failed("REFUSED")


def timeout():
    return dns.resolver.LifetimeTimeout(timeout=0.5, errors=[])


class FakeResolver:
    """script: {(name, rtype): [step, ...]}; a step is a list of addresses or an exception.

    The last step repeats. Unscripted (name, rtype) pairs are NXDOMAIN.
    """

    def __init__(self, script, barrier=None):
        self.script = {k: list(v) for k, v in script.items()}
        self.calls = []
        self.barrier = barrier
        self.nameservers = ["192.0.2.53"]
        self.nameserver_ports = {}
        self.port = 53
        self._lock = threading.Lock()

    def resolve(self, qname, rtype, **kwargs):
        name = qname.to_text(omit_final_dot=True)
        with self._lock:
            self.calls.append((name, rtype, kwargs))
            steps = self.script.get((name, rtype), [dns.resolver.NXDOMAIN()])
            step = steps.pop(0) if len(steps) > 1 else steps[0]
        if self.barrier is not None:
            self.barrier.wait()
        if isinstance(step, Exception):
            raise step
        return FakeAnswer(step)

    def calls_for(self, name, rtype):
        return [c for c in self.calls if c[0] == name and c[1] == rtype]


def resolve(script, names, **options):
    fake = options.pop("resolver", None) or FakeResolver(script)
    result = R.resolve_node_ips(names, resolver=fake, **options)
    return [str(ip) for ip in result], fake


# -- ordering and formatting ---------------------------------------------------------------

def test_sort_is_numeric_deduplicated_and_ipv4_first():
    result = R.sort_addresses(["10.0.0.10", "2001:db8::a", "10.0.0.9", "::1", "10.0.0.9",
                               "2001:db8:0:0::0a", "2001:db8::9", "1.2.3.4"])
    assert [str(ip) for ip in result] == [
        "1.2.3.4", "10.0.0.9", "10.0.0.10", "::1", "2001:db8::9", "2001:db8::a"]


def test_format_targets_brackets_ipv6_only_with_port():
    ips = R.sort_addresses(["2001:db8::1", "192.0.2.7"])
    assert R.format_targets(ips) == ["192.0.2.7", "2001:db8::1"]
    assert R.format_targets(ips, 9273) == ["192.0.2.7:9273", "[2001:db8::1]:9273"]


def test_record_types_normalized_and_validated():
    assert R.normalize_record_types("aaaa,a") == ["A", "AAAA"]
    assert R.normalize_record_types(["AAAA", "A", "A"]) == ["A", "AAAA"]
    with pytest.raises(R.NodeIPsError, match="'MX' is not one of A, AAAA"):
        R.normalize_record_types(["A", "MX"])
    with pytest.raises(R.NodeIPsError, match="at least one"):
        R.normalize_record_types([])


def test_nameservers_must_be_ip_literals_v4_or_v6():
    assert R.normalize_nameservers(["127.0.0.1", "::1", "[2620:fe::fe]", " 9.9.9.9 "]) == [
        "127.0.0.1", "::1", "2620:fe::fe", "9.9.9.9"]
    assert R.normalize_nameservers(None) == []
    with pytest.raises(R.NodeIPsError, match="'ns1.example.com' is not an IPv4 or IPv6 address"):
        R.normalize_nameservers(["127.0.0.1", "ns1.example.com"])
    with pytest.raises(R.NodeIPsError, match="use dns_port"):
        R.normalize_nameservers(["127.0.0.1:5353"])


def test_names_flattened_deduplicated_and_validated():
    assert R.normalize_names(["a.test", ["b.test", "a.test"], " c.test. "]) == ["a.test", "b.test", "c.test."]
    for bad in ["", "  ", None, 5]:
        with pytest.raises(R.NodeIPsError, match="non-empty host name"):
            R.normalize_names(["a.test", bad])
    with pytest.raises(R.NodeIPsError, match="'a..test' is not a valid DNS name"):
        R.normalize_names(["a..test"])


@pytest.mark.parametrize("value", [0, 65536, -1, True, "53", None])
def test_port_validation(value):
    with pytest.raises(R.NodeIPsError, match="not a port number"):
        R.check_port(value, "dns_port")


# -- resolving with a scripted resolver ------------------------------------------------------

def test_union_of_all_names_and_types_sorted_and_deduplicated():
    script = {
        ("kafka-x-proj.aiven.test", "A"): [["10.0.0.10", "10.0.0.9"]],
        ("kafka-x-proj.aiven.test", "AAAA"): [["2001:db8::2"]],
        ("public-replica-kafka-x-proj.aiven.test", "A"): [["10.0.0.9", "10.0.0.11"]],
        ("public-replica-kafka-x-proj.aiven.test", "AAAA"): [dns.resolver.NoAnswer()],
    }
    result, fake = resolve(script, ["kafka-x-proj.aiven.test", "public-replica-kafka-x-proj.aiven.test"],
                           record_types=["A", "AAAA"])
    assert result == ["10.0.0.9", "10.0.0.10", "10.0.0.11", "2001:db8::2"]
    assert sorted((c[0], c[1]) for c in fake.calls) == sorted(script)


def test_query_options_reach_dnspython_resolve():
    result, fake = resolve({("a.test", "AAAA"): [["::1"]]}, ["a.test"], record_types=["AAAA"],
                           tcp=True, timeout=1.5)
    assert result == ["::1"]
    (name, rtype, kwargs), = fake.calls
    assert kwargs == {"tcp": True, "lifetime": 1.5, "search": False}


def test_nxdomain_fails_by_default_naming_host_and_server():
    with pytest.raises(R.NodeIPsError) as err:
        resolve({("a.test", "A"): [["10.0.0.1"]]}, ["a.test", "gone.test"])
    message = str(err.value)
    assert message == ("cannot resolve gone.test: NXDOMAIN (the name does not exist) "
                       "(asked 192.0.2.53:53 over UDP)")


def test_nxdomain_with_on_missing_empty_is_skipped_and_never_a_string():
    result, dummy = resolve({("a.test", "A"): [["10.0.0.1"]]}, ["a.test", "gone.test"], on_missing="empty")
    assert result == ["10.0.0.1"]
    result, dummy = resolve({}, ["gone.test"], on_missing="empty")
    assert result == []


def test_no_record_of_the_type_is_missing_not_an_error_when_empty():
    script = {("v6only.test", "A"): [dns.resolver.NoAnswer()], ("v6only.test", "AAAA"): [["::1"]]}
    with pytest.raises(R.NodeIPsError, match=r"^cannot resolve v6only.test: no A record \(NOERROR, empty answer\)"):
        resolve(script, ["v6only.test"])
    assert resolve(script, ["v6only.test"], on_missing="empty")[0] == []
    # with both types the name has an address, so it is not missing
    assert resolve(script, ["v6only.test"], record_types=["A", "AAAA"])[0] == ["::1"]


def test_missing_in_every_type_names_all_types():
    script = {("empty.test", "A"): [dns.resolver.NoAnswer()], ("empty.test", "AAAA"): [dns.resolver.NoAnswer()]}
    with pytest.raises(R.NodeIPsError, match="no A or AAAA record"):
        resolve(script, ["empty.test"], record_types=["A", "AAAA"])


def test_servfail_is_retried_then_fails_even_with_on_missing_empty():
    fake = FakeResolver({("broken.test", "A"): [servfail()]})
    with pytest.raises(R.NodeIPsError) as err:
        resolve(None, ["broken.test"], retries=2, on_missing="empty", resolver=fake)
    assert len(fake.calls_for("broken.test", "A")) == 3
    assert str(err.value).startswith("cannot resolve broken.test: SERVFAIL for A (server failure, 3 attempts)")


def test_servfail_then_answer_recovers():
    result, fake = resolve({("flaky.test", "A"): [servfail(), timeout(), ["10.0.0.1"]]}, ["flaky.test"], retries=2)
    assert result == ["10.0.0.1"]
    assert len(fake.calls) == 3


def test_timeout_retried_and_reported_with_the_timeout():
    fake = FakeResolver({("slow.test", "A"): [timeout()]})
    with pytest.raises(R.NodeIPsError, match=r"slow.test: timeout: no answer for A within 0.5s \(2 attempts\)"):
        resolve(None, ["slow.test"], retries=1, timeout=0.5, resolver=fake)
    assert len(fake.calls) == 2


@pytest.mark.parametrize("outcome", [dns.resolver.NXDOMAIN, dns.resolver.NoAnswer, refused])
def test_answers_and_refusals_are_not_retried(outcome):
    fake = FakeResolver({("x.test", "A"): [outcome()]})
    with pytest.raises(R.NodeIPsError):
        resolve(None, ["x.test"], retries=3, resolver=fake)
    assert len(fake.calls) == 1


def test_refused_is_an_error_naming_the_rcode():
    with pytest.raises(R.NodeIPsError, match="x.test: A query failed: REFUSED"):
        resolve({("x.test", "A"): [refused()]}, ["x.test"], on_missing="empty")


def test_all_failures_reported_in_one_line_in_input_order():
    script = {
        ("ok.test", "A"): [["10.0.0.1"]],
        ("broken.test", "A"): [servfail()],
        ("slow.test", "A"): [timeout()],
    }
    with pytest.raises(R.NodeIPsError) as err:
        resolve(script, ["slow.test", "ok.test", "gone.test", "broken.test"], retries=0, timeout=2)
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith("cannot resolve 3 of 4 names: slow.test: timeout: no answer for A within 2s")
    assert message.index("slow.test") < message.index("gone.test: NXDOMAIN") < message.index("broken.test: SERVFAIL")
    assert "ok.test" not in message


def test_many_failures_stay_one_readable_line():
    names = ["gone%02d.test" % i for i in range(25)]
    with pytest.raises(R.NodeIPsError) as err:
        resolve({}, names)
    message = str(err.value)
    assert message.startswith("cannot resolve 25 of 25 names: gone00.test: NXDOMAIN")
    assert "gone09.test: NXDOMAIN" in message and "gone10.test" not in message
    assert "; and 15 more (asked 192.0.2.53:53 over UDP)" in message and "\n" not in message


def test_every_query_runs_even_without_concurrency(monkeypatch):
    monkeypatch.setattr(R, "MAX_CONCURRENT_QUERIES", 1)
    names = ["n%d.test" % i for i in range(5)]
    result, fake = resolve({(n, "A"): [["10.0.0.%d" % i]] for i, n in enumerate(names)}, names)
    assert result == ["10.0.0.0", "10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"]
    assert len(fake.calls) == 5


def test_queries_run_concurrently():
    # 12 queries that can only all complete if all 12 are in flight at the same time.
    names = ["n%d.test" % i for i in range(6)]
    script = {(n, t): [["10.0.0.%d" % i] if t == "A" else ["::%d" % (i + 1)]]
              for i, n in enumerate(names) for t in ("A", "AAAA")}
    barrier = threading.Barrier(12, timeout=5)
    result, dummy = resolve(None, names, record_types=["A", "AAAA"], resolver=FakeResolver(script, barrier))
    assert len(result) == 12


def test_concurrency_is_capped(monkeypatch):
    monkeypatch.setattr(R, "MAX_CONCURRENT_QUERIES", 3)
    active, peak, lock = [0], [0], threading.Lock()

    class Counting(FakeResolver):
        def resolve(self, qname, rtype, **kwargs):
            with lock:
                active[0] += 1
                peak[0] = max(peak[0], active[0])
            try:
                return FakeResolver.resolve(self, qname, rtype, **kwargs)
            finally:
                with lock:
                    active[0] -= 1

    names = ["n%d.test" % i for i in range(21)]  # seven waves of three (the barrier needs full waves)
    fake = Counting({(n, "A"): [["10.0.0.%d" % i]] for i, n in enumerate(names)}, threading.Barrier(3, timeout=5))
    result, dummy = resolve(None, names, resolver=fake)
    assert len(result) == 21 and peak[0] == 3


def test_option_values_are_checked():
    with pytest.raises(R.NodeIPsError, match="on_missing"):
        R.resolve_node_ips(["a.test"], on_missing="ignore", resolver=FakeResolver({}))
    with pytest.raises(R.NodeIPsError, match="timeout"):
        R.resolve_node_ips(["a.test"], timeout=0, resolver=FakeResolver({}))
    with pytest.raises(R.NodeIPsError, match="retries"):
        R.resolve_node_ips(["a.test"], retries=-1, resolver=FakeResolver({}))


def test_build_resolver_uses_given_servers_and_port():
    resolver = R.build_resolver(["::1", "127.0.0.1"], 5353)
    assert [getattr(ns, "address", ns) for ns in resolver.nameservers] == ["::1", "127.0.0.1"]
    assert R.describe_servers(resolver, tcp=True) == "[::1]:5353, 127.0.0.1:5353 over TCP"
    assert resolver.cache is None


def test_build_resolver_applies_dns_port_to_system_servers(monkeypatch, tmp_path):
    conf = tmp_path / "resolv.conf"
    conf.write_text("nameserver 192.0.2.53\nnameserver 2001:db8::53\nsearch example.com\n")
    real_init = dns.resolver.Resolver.__init__

    def from_file(self, filename="/etc/resolv.conf", configure=True):
        real_init(self, filename=str(conf), configure=configure)

    monkeypatch.setattr(dns.resolver.Resolver, "__init__", from_file)
    resolver = R.build_resolver(None, 5353)
    assert R.describe_servers(resolver, tcp=False) == "192.0.2.53:5353, [2001:db8::53]:5353 over UDP"


# -- missing or old dnspython ------------------------------------------------------------------

def test_missing_dnspython_says_so(monkeypatch):
    monkeypatch.setattr(R, "DNSPYTHON_IMPORT_ERROR", ImportError("No module named 'dns'"))
    with pytest.raises(R.NodeIPsError) as err:
        R.check_dnspython()
    message = str(err.value)
    assert "needs the Python library dnspython" in message and "pip install dnspython" in message
    assert "No module named 'dns'" in message and "\n" not in message


def test_old_dnspython_says_so(monkeypatch):
    import dns.version
    monkeypatch.setattr(dns.version, "MAJOR", 1)
    monkeypatch.setattr(dns.version, "version", "1.16.0")
    with pytest.raises(R.NodeIPsError, match="needs dnspython 2.1 or newer.*found 1.16.0"):
        R.check_dnspython()


def test_loading_the_filters_does_not_import_dnspython():
    """Ansible loads every filter file of the collection in each task that uses one of its
    filters; target_groups imports the resolver, and dnspython (~0.08 s) must wait for a query."""
    import subprocess
    import sys
    code = ("import sys; from ansible_collections.aiven_tools.prometheus.plugins.filter import target_groups; "
            "print('dns' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env=dict(__import__("os").environ, PYTHONPATH=":".join(sys.path)))
    assert out.stdout.strip() == "False"


# -- the lookup plugin: Ansible option handling around the helper ------------------------------

@pytest.fixture
def lookup(monkeypatch):
    """A LookupModule with its documented options registered, as Ansible's loader would."""
    plugin = node_ips.LookupModule()
    plugin._load_name = node_ips.__name__
    if not C.config.has_configuration_definition("lookup", plugin._load_name):
        options = yaml.safe_load(node_ips.DOCUMENTATION)["options"]
        C.config.initialize_plugin_configuration_definitions("lookup", plugin._load_name, options)
    return plugin


@pytest.fixture
def fake_dns(monkeypatch):
    fake = FakeResolver({
        ("pg.test", "A"): [["10.0.0.10", "10.0.0.2"]],
        ("pg.test", "AAAA"): [["2001:db8::1"]],
        ("public-replica-pg.test", "A"): [["10.0.0.3"]],
        ("public-replica-pg.test", "AAAA"): [dns.resolver.NoAnswer()],
    })
    built = []

    def build(nameservers, dns_port):
        built.append((nameservers, dns_port))
        return fake

    monkeypatch.setattr(R, "build_resolver", build)
    fake.built = built
    return fake


def test_lookup_defaults(lookup, fake_dns):
    assert lookup.run(["pg.test", "public-replica-pg.test"], {}) == ["10.0.0.2", "10.0.0.3", "10.0.0.10"]
    assert fake_dns.built == [([], 53)]  # no nameservers: the system configuration
    assert {c[1] for c in fake_dns.calls} == {"A"}
    assert {(c[2]["tcp"], c[2]["lifetime"]) for c in fake_dns.calls} == {(False, 5.0)}


def test_lookup_options_and_port_formatting(lookup, fake_dns):
    result = lookup.run([["pg.test", "public-replica-pg.test"]], {}, port=9273, record_types=["A", "AAAA"],
                        nameservers=["[::1]"], dns_port=5353, tcp=True, timeout=0.5, retries=0)
    assert result == ["10.0.0.2:9273", "10.0.0.3:9273", "10.0.0.10:9273", "[2001:db8::1]:9273"]
    assert fake_dns.built == [(["::1"], 5353)]
    assert {(c[2]["tcp"], c[2]["lifetime"]) for c in fake_dns.calls} == {(True, 0.5)}


def test_lookup_errors_are_one_line_lookup_errors(lookup, fake_dns):
    with pytest.raises(AnsibleLookupError) as err:
        lookup.run(["pg.test", "nope.test"], {})
    assert str(err.value).startswith("node_ips: cannot resolve nope.test: NXDOMAIN")
    assert "\n" not in str(err.value)
    assert lookup.run(["pg.test", "nope.test"], {}, on_missing="empty") == ["10.0.0.2", "10.0.0.10"]


@pytest.mark.parametrize("options, match", [
    ({"port": 0}, "port: 0 is not a port number"),
    ({"dns_port": 70000}, "dns_port: 70000 is not a port number"),
    ({"nameservers": ["dns.google"]}, "nameservers: 'dns.google' is not an IPv4 or IPv6 address"),
])
def test_lookup_rejects_bad_options(lookup, fake_dns, options, match):
    with pytest.raises(AnsibleLookupError, match=match):
        lookup.run(["pg.test"], {}, **options)
    assert fake_dns.calls == []


def test_lookup_reports_missing_dnspython(lookup, monkeypatch):
    monkeypatch.setattr(R, "DNSPYTHON_IMPORT_ERROR", ImportError("No module named 'dns'"))
    with pytest.raises(AnsibleLookupError, match="^node_ips: the node_ips lookup needs the Python library dnspython"):
        lookup.run(["pg.test"], {})


def test_documentation_is_complete():
    doc = yaml.safe_load(node_ips.DOCUMENTATION)
    assert set(doc["options"]) == {"_terms", "port", "record_types", "nameservers", "dns_port", "tcp",
                                   "timeout", "retries", "on_missing"}
    examples = yaml.safe_load(node_ips.EXAMPLES)
    assert examples and all("aiven_tools.prometheus.node_ips" in str(task) for task in examples)
    assert yaml.safe_load(node_ips.RETURN)["_list"]["elements"] == "str"
