"""The target_groups and untargeted_services filters: option values as `-e` gives them, and
node resolution for static/file_sd against the sandbox's dnslib server on 127.0.0.1 (never the
machine's resolver). The grouping itself: tests/unit/plugins/module_utils/test__scrape_jobs.py."""
import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.aiven_tools.prometheus.plugins.filter import target_groups as F
from ansible_collections.aiven_tools.prometheus.plugins.filter import untargeted_services as U
from sandbox.dns_server import DNSServer

RECORDS = {
    "v4.aiven.test": ["127.0.0.3", "127.0.0.2"],
    "replica-v4.aiven.test": ["127.0.0.4"],
    "v6.aiven.test": ["::1"],  # AAAA only
    "dual.aiven.test": ["127.0.0.5", "2001:db8::5"],
}


@pytest.fixture(scope="module")
def dns():
    with DNSServer(records=RECORDS, host="127.0.0.1", port=0) as server:
        yield server


def services(*hosts, port=9273):
    """One service per host; 'replica-<host>' rows become that service's replica."""
    result = []
    for host in hosts:
        targets = [{"host": host, "port": port, "route": "dynamic", "usage": "primary"}]
        if "replica-" + host in RECORDS:
            targets.append({"host": "replica-" + host, "port": port, "route": "dynamic", "usage": "replica"})
        result.append({"service_name": host.split(".")[0], "service_type": "pg", "state": "RUNNING", "targets": targets})
    return result


def resolved(dns, svcs, record_types="A", **kwargs):
    groups = F.target_groups(svcs, "acme", discovery="static", record_types=record_types,
                             nameservers=["127.0.0.1"], dns_port=dns.port, dns_timeout=2, **kwargs)
    return {g["server_name"]: g["addresses"] for g in groups}


@pytest.mark.parametrize("hosts, record_types, expected", [
    (["v4.aiven.test"], "A",
     {"v4.aiven.test": ["127.0.0.2:9273", "127.0.0.3:9273"], "replica-v4.aiven.test": ["127.0.0.4:9273"]}),
    (["v6.aiven.test"], "AAAA", {"v6.aiven.test": ["[::1]:9273"]}),
    # an AAAA-only name is found once AAAA is asked for, even next to A
    (["v6.aiven.test"], "both", {"v6.aiven.test": ["[::1]:9273"]}),
    (["dual.aiven.test"], "A", {"dual.aiven.test": ["127.0.0.5:9273"]}),
    (["dual.aiven.test"], ["A", "AAAA"], {"dual.aiven.test": ["127.0.0.5:9273", "[2001:db8::5]:9273"]}),
])
def test_static_addresses_per_group_from_dns(dns, hosts, record_types, expected):
    assert resolved(dns, services(*hosts), record_types) == expected


def test_file_sd_resolves_and_the_port_comes_from_the_component(dns):
    groups = F.target_groups(services("dual.aiven.test", port=19273), "acme", discovery="file_sd",
                             record_types="both", nameservers="127.0.0.1", dns_port=str(dns.port))
    assert groups[0]["addresses"] == ["127.0.0.5:19273", "[2001:db8::5]:19273"]


def test_dns_sd_asks_no_dns_and_writes_absolute_names(dns):
    before = len(dns.queries)
    groups = F.target_groups(services("nowhere.aiven.test"), "acme", nameservers=["127.0.0.1"], dns_port=dns.port)
    assert len(dns.queries) == before
    assert [(g["names"], g["server_name"], g["addresses"]) for g in groups] == [
        (["nowhere.aiven.test."], "nowhere.aiven.test", [])]


@pytest.mark.parametrize("hosts, record_types, message", [
    (["missing.aiven.test"], "A", "target_groups: cannot resolve missing.aiven.test: NXDOMAIN (the name does not exist)"),
    (["v6.aiven.test"], "A", "target_groups: cannot resolve v6.aiven.test: no A record (NOERROR, empty answer)"),
    (["v4.aiven.test"], "AAAA", "target_groups: cannot resolve replica-v4.aiven.test: no AAAA record"),
])
def test_resolution_failure_is_one_line_naming_the_host(dns, hosts, record_types, message):
    with pytest.raises(AnsibleFilterError) as err:
        resolved(dns, services(*hosts), record_types)
    text = str(err.value)
    assert text.startswith(message) and "(asked 127.0.0.1:%d over UDP)" % dns.port in text and "\n" not in text


def test_every_failed_host_is_named(dns):
    with pytest.raises(AnsibleFilterError) as err:
        resolved(dns, services("missing.aiven.test", "gone.aiven.test", "v4.aiven.test"))
    assert "gone.aiven.test: NXDOMAIN" in str(err.value) and "missing.aiven.test: NXDOMAIN" in str(err.value)
    assert "v4.aiven.test" not in str(err.value)


def test_many_failures_are_counted_not_listed(dns):
    hosts = ["gone%d.aiven.test" % n for n in range(5)]
    with pytest.raises(AnsibleFilterError, match=r"gone2\.aiven\.test: NXDOMAIN .* \(and 2 more\)$"):
        resolved(dns, services(*hosts))


@pytest.mark.parametrize("kwargs, message", [
    ({"dns_port": "fifty-three"}, "target_groups: dns_port: 'fifty-three' is not a whole number from 1 to 65535"),
    ({"dns_port": 0}, "target_groups: dns_port: 0 is not a whole number from 1 to 65535"),
    ({"dns_timeout": "soon"}, "target_groups: dns_timeout: 'soon' is not a positive number of seconds"),
    ({"discovery": "consul"}, "target_groups: discovery: 'consul' is not one of dns_sd, static, file_sd"),
    ({"route": "vpc"}, "target_groups: route: 'vpc' is not one of dynamic, public, private, privatelink"),
    ({"record_types": "SRV"}, "target_groups: record_types: 'SRV' is not one of A, AAAA, both"),
    ({"discovery": "static", "nameservers": ["dns.example"]}, "target_groups: nameservers: 'dns.example' is not an IPv4"),
])
def test_bad_option_values_fail_in_one_line(kwargs, message):
    with pytest.raises(AnsibleFilterError) as err:
        F.target_groups(services("v4.aiven.test"), "acme", **kwargs)
    assert str(err.value).startswith(message) and "\n" not in str(err.value)


def test_strings_from_extra_vars_are_converted(dns):
    groups = F.target_groups(services("v4.aiven.test"), "acme", discovery="static", nameservers="127.0.0.1",
                             dns_port=" %d " % dns.port, dns_timeout="1.5")
    assert groups[0]["addresses"] == ["127.0.0.2:9273", "127.0.0.3:9273"]


def test_no_group_no_dns_needed():
    assert F.target_groups([], "acme", discovery="static", nameservers=["127.0.0.1"], dns_port=9) == []


def test_untargeted_services_filter():
    svcs = [{"service_name": "off", "service_type": "pg", "state": "POWEROFF", "targets": []}] + services("v4.aiven.test")
    assert [(s["service"], s["state"]) for s in U.untargeted_services(svcs)] == [("off", "POWEROFF")]
    with pytest.raises(AnsibleFilterError, match="^untargeted_services: route: 'vpc' is not one of"):
        U.untargeted_services(svcs, route="vpc")
