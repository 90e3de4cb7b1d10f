# -*- coding: utf-8 -*-
# Copyright: (c) 2025, aiven_tools.prometheus contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Resolve the node IPs behind Aiven service host names (controller side, dnspython 2).

PRIVATE to the collection: the node_ips lookup is its only user and the interface can change
at any time. Kept free of Ansible imports so it can be tested, and benchmarked, on its own:
every failure is a NodeIPsError whose message is one line that names the host(s).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import collections
import ipaddress
import sys
from concurrent.futures import ThreadPoolExecutor

try:
    # Found, not imported: dnspython costs ~0.08 s to import, and Ansible loads every filter file
    # of the collection (target_groups imports this) in each task that uses any of its filters.
    # The functions below import it when they query; most role runs (dns_sd) never do.
    import importlib.util
    if importlib.util.find_spec("dns") is None:
        raise ImportError("No module named 'dns'")
except ImportError as exc:  # reported when the lookup runs, not when Ansible loads plugins
    DNSPYTHON_IMPORT_ERROR = exc
else:
    DNSPYTHON_IMPORT_ERROR = None

RECORD_TYPES = ("A", "AAAA")
ON_MISSING = ("fail", "empty")
# Queries in flight at once. Latency is what concurrency hides; beyond ~64 the client's own
# CPU (dnspython spends ~0.4 ms per query) is the limit, and local caching resolvers
# (dnsmasq: 150 by default) start refusing floods from one client.
MAX_CONCURRENT_QUERIES = 64
# An error lists this many failed names; the rest are counted (one line stays readable).
MAX_FAILURES_SHOWN = 10

# Outcome of one (name, record type) query after its retries.
OK, NXDOMAIN, NOANSWER, SERVFAIL, TIMEOUT, ERROR = "ok", "NXDOMAIN", "NOANSWER", "SERVFAIL", "TIMEOUT", "ERROR"
Outcome = collections.namedtuple("Outcome", "status addresses detail attempts")


class NodeIPsError(Exception):
    """A failure the user must act on; str() is one line."""


def _dnspython():
    """The dns package with the modules used here (imported on first use)."""
    import dns.exception
    import dns.name
    import dns.rcode
    import dns.resolver
    import dns.version
    return dns


def check_dnspython():
    """Raise NodeIPsError unless dnspython >= 2.1 (resolve() with search=) is importable."""
    error, dns = DNSPYTHON_IMPORT_ERROR, None
    if error is None:
        try:
            dns = _dnspython()
        except ImportError as exc:  # found, but its import fails
            error = exc
    if error is not None:
        raise NodeIPsError(
            "the node_ips lookup needs the Python library dnspython (2.1 or newer) on the Ansible "
            "controller, and it is not installed for %s (%s); install it with: %s -m pip install dnspython"
            % (sys.executable, one_line(error), sys.executable)
        )
    if (dns.version.MAJOR, dns.version.MINOR) < (2, 1):
        raise NodeIPsError(
            "the node_ips lookup needs dnspython 2.1 or newer on the Ansible controller, found %s; "
            "upgrade it with: %s -m pip install --upgrade dnspython" % (dns.version.version, sys.executable)
        )


def one_line(value):
    return " ".join(str(value).split())


# -- options -------------------------------------------------------------------------------

def normalize_record_types(record_types):
    if isinstance(record_types, str):
        record_types = record_types.split(",")
    result = []
    for rtype in record_types or []:
        rtype = str(rtype).strip().upper()
        if rtype not in RECORD_TYPES:
            raise NodeIPsError("record_types: %r is not one of A, AAAA" % (rtype,))
        if rtype not in result:
            result.append(rtype)
    if not result:
        raise NodeIPsError("record_types: give at least one of A, AAAA")
    return [r for r in RECORD_TYPES if r in result]  # A first: stable query and message order


def normalize_nameservers(nameservers):
    """IP literals only (v4 or v6, '[v6]' accepted): a name here would need DNS to find DNS."""
    result = []
    for server in nameservers or []:
        text = str(server).strip()
        if text.startswith("[") and text.endswith("]"):
            text = text[1:-1]
        try:
            result.append(str(ipaddress.ip_address(text)))
        except ValueError:
            raise NodeIPsError(
                "nameservers: %r is not an IPv4 or IPv6 address (give addresses, e.g. 9.9.9.9 or "
                "2620:fe::fe; use dns_port for a port)" % (str(server),)
            )
    return result


def normalize_names(terms):
    """Flatten one level (a list variable passed as one term) and validate each name."""
    dns = _dnspython()
    names = []
    for term in terms:
        items = term if isinstance(term, (list, tuple)) else [term]
        for item in items:
            if not isinstance(item, str) or not item.strip():
                raise NodeIPsError("every term must be a non-empty host name, got %r" % (item,))
            name = item.strip()
            try:
                dns.name.from_text(name)
            except dns.exception.DNSException as exc:
                raise NodeIPsError("%r is not a valid DNS name: %s" % (name, one_line(exc)))
            if name not in names:
                names.append(name)
    return names


def check_port(value, option):
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        raise NodeIPsError("%s: %r is not a port number (1-65535)" % (option, value))
    return value


# -- results -------------------------------------------------------------------------------

def sort_addresses(addresses):
    """De-duplicated, numeric order, every IPv4 address before any IPv6 address."""
    unique = {ipaddress.ip_address(str(a)) for a in addresses}
    return sorted(unique, key=lambda ip: (ip.version, ip))


def format_targets(addresses, port=None):
    """Strings for the result: 'ip', or 'ip:port' / '[ipv6]:port' for static_configs."""
    if port is None:
        return [str(ip) for ip in addresses]
    return [("[%s]:%d" if ip.version == 6 else "%s:%d") % (ip, port) for ip in addresses]


# -- resolving -----------------------------------------------------------------------------

def build_resolver(nameservers=None, dns_port=53):
    """A dnspython Resolver: the given servers, or the system's (resolv.conf) when none."""
    dns = _dnspython()
    if nameservers:
        resolver = dns.resolver.Resolver(configure=False)
        resolver.port = dns_port  # before the servers: some dnspython 2.x bind it on assignment
        resolver.nameservers = list(nameservers)
    else:
        try:
            resolver = dns.resolver.Resolver(configure=True)
        except dns.exception.DNSException as exc:  # e.g. resolv.conf without a nameserver
            raise NodeIPsError("cannot use the system resolver configuration: %s; set nameservers" % one_line(exc))
        resolver.port = dns_port
        # Re-create the servers so dns_port applies to them as well.
        resolver.nameservers = [getattr(ns, "address", ns) for ns in resolver.nameservers]
    resolver.cache = None  # a snapshot of DNS now, never of an earlier run in this process
    return resolver


def describe_servers(resolver, tcp):
    servers = []
    for ns in resolver.nameservers:
        address = getattr(ns, "address", ns)
        port = getattr(ns, "port", None) or resolver.nameserver_ports.get(address, resolver.port)
        servers.append(("[%s]:%s" if ":" in address else "%s:%s") % (address, port))
    return "%s over %s" % (", ".join(servers) or "no nameserver", "TCP" if tcp else "UDP")


def _servfail_only(exc):
    """NoNameservers because every server answered SERVFAIL (worth a retry)."""
    errors = exc.kwargs.get("errors") or []
    return bool(errors) and all(len(e) > 3 and str(e[3]) == "SERVFAIL" for e in errors)


def _server_errors(exc):
    texts = []
    for err in exc.kwargs.get("errors") or []:
        if len(err) > 3:
            texts.append(one_line(err[3]))
    return ", ".join(sorted(set(texts))) or one_line(exc)


def query_addresses(resolver, name, rtype, tcp=False, timeout=5.0, retries=2):
    """One name, one record type: Outcome after up to 1 + retries attempts.

    Each attempt is bounded by `timeout` (dnspython's lifetime, across all nameservers).
    Only timeouts and SERVFAIL are retried: NXDOMAIN and empty answers are answers.
    """
    dns = _dnspython()
    qname = dns.name.from_text(name)  # absolute: no search domains, ever
    attempts = 0
    while True:
        attempts += 1
        try:
            answer = resolver.resolve(qname, rtype, tcp=tcp, lifetime=timeout, search=False)
        except dns.resolver.NXDOMAIN:
            return Outcome(NXDOMAIN, [], "", attempts)
        except dns.resolver.NoAnswer:
            return Outcome(NOANSWER, [], "", attempts)
        except dns.exception.Timeout:
            status, detail = TIMEOUT, ""
        except dns.resolver.NoNameservers as exc:
            if not _servfail_only(exc):  # REFUSED, connection refused, ...: retrying won't help
                return Outcome(ERROR, [], _server_errors(exc), attempts)
            status, detail = SERVFAIL, ""
        except dns.exception.DNSException as exc:
            return Outcome(ERROR, [], one_line(exc) or type(exc).__name__, attempts)
        else:
            rrset = answer.rrset or []
            return Outcome(OK, [rdata.address for rdata in rrset if hasattr(rdata, "address")], "", attempts)
        if attempts > retries:
            return Outcome(status, [], detail, attempts)


def _attempts(count):
    return "%d attempt%s" % (count, "" if count == 1 else "s")


def explain(name, outcomes, timeout):
    """(kind, reason) for a name that yielded no address; kind is 'missing' or 'error'."""
    hard = [(rtype, o) for rtype, o in outcomes if o.status in (SERVFAIL, TIMEOUT, ERROR)]
    if hard:
        parts = []
        for rtype, o in hard:
            if o.status == SERVFAIL:
                parts.append("SERVFAIL for %s (server failure, %s)" % (rtype, _attempts(o.attempts)))
            elif o.status == TIMEOUT:
                parts.append("timeout: no answer for %s within %gs (%s)" % (rtype, timeout, _attempts(o.attempts)))
            else:
                parts.append("%s query failed: %s" % (rtype, o.detail))
        return "error", ", ".join(parts)
    if any(o.status == NXDOMAIN for unused, o in outcomes):
        return "missing", "NXDOMAIN (the name does not exist)"
    wanted = " or ".join(rtype for rtype, unused in outcomes)
    return "missing", "no %s record (NOERROR, empty answer)" % wanted


def resolve_node_ips(names, record_types=("A",), nameservers=None, dns_port=53, tcp=False,
                     timeout=5.0, retries=2, on_missing="fail", resolver=None):
    """Sorted, de-duplicated ipaddress objects behind all `names`.

    A name that does not exist or has none of the record types is "missing": an error with
    on_missing=fail, skipped with on_missing=empty. SERVFAIL, timeouts and other DNS failures
    are always errors. All failures are collected and reported in one line.
    """
    if on_missing not in ON_MISSING:
        raise NodeIPsError("on_missing: %r is not one of fail, empty" % (on_missing,))
    if timeout is None or timeout <= 0:
        raise NodeIPsError("timeout: must be a positive number of seconds, got %r" % (timeout,))
    if retries is None or retries < 0:
        raise NodeIPsError("retries: must be 0 or more, got %r" % (retries,))
    if not names:
        return []
    if resolver is None:
        resolver = build_resolver(nameservers, dns_port)

    jobs = [(name, rtype) for name in names for rtype in record_types]
    workers = min(MAX_CONCURRENT_QUERIES, len(jobs))

    def run(job):
        return query_addresses(resolver, job[0], job[1], tcp=tcp, timeout=timeout, retries=retries)

    if len(jobs) == 1:  # the common single-name lookup: no threads needed
        results = [run(jobs[0])]
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(run, jobs))
    by_name = collections.OrderedDict((name, []) for name in names)
    for (name, rtype), outcome in zip(jobs, results):
        by_name[name].append((rtype, outcome))

    addresses, failures = [], []
    for name, outcomes in by_name.items():
        found = [a for unused, o in outcomes for a in o.addresses]
        kind, reason = explain(name, outcomes, timeout)
        if kind == "error" or (not found and on_missing == "fail"):
            failures.append("%s: %s" % (name, reason))
        addresses.extend(found)
    if failures:
        where = describe_servers(resolver, tcp) if hasattr(resolver, "nameservers") else "the resolver"
        if len(failures) == 1:
            message = "cannot resolve %s" % failures[0]
        else:
            shown = failures[:MAX_FAILURES_SHOWN]
            if len(failures) > len(shown):
                shown.append("and %d more" % (len(failures) - len(shown)))
            message = "cannot resolve %d of %d names: %s" % (len(failures), len(names), "; ".join(shown))
        raise NodeIPsError("%s (asked %s)" % (message, where))
    return sort_addresses(addresses)
