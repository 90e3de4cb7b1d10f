# -*- coding: utf-8 -*-
# Copyright: contributors to the aiven_tools.prometheus collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What Prometheus scrapes for each Aiven service, and the scrape jobs that say it.

PRIVATE to the collection (the filters in plugins/filter/ are its users; the interface can change
at any time). Pure functions, standard library only, no I/O: DNS resolution happens in the
target_groups filter, which hands the addresses it found to attach_addresses().

The pipeline, one step per function:

1. select_rows(service, route, privatelink_connection_id): which of a service's ``prometheus``
   component rows (aiven-api.md 4.2, 4.4) to scrape, or why none.
2. target_groups(services, project, route, ...): ONE GROUP PER SERVICE AND CERTIFICATE NAME.
   A job has one ``tls_config.server_name`` and Prometheus cannot vary it per target
   (prometheus/prometheus#4827), while Aiven's primary and ``replica-`` host names can be
   different certificate names; so every host name gets its own group, and its own job.
3. attach_addresses(groups, addresses_by_host): the node IPs, as ``ip:port`` targets, for
   ``static_configs`` and ``file_sd`` (which cannot re-resolve names themselves).
4. A renderer turns groups into jobs: prometheus_jobs(groups, settings) for Prometheus's
   ``scrape_configs``; file_sd_groups(groups) for the file a ``file_sd`` job reads.

A second scraper is one more renderer over the same groups and the same JobSettings. vmagent,
for instance, reads Prometheus-style ``scrape_configs`` from ``-promscrape.config`` and adds
keys of its own: a ``vmagent_jobs(groups, settings)`` would build each job from the same pieces
(job_names(), tls_config(), DISCOVERY_SECTIONS, label_rules()) and add or drop its own keys,
without touching steps 1-3. Nothing here knows which scraper the groups are for.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import collections
import difflib
import hashlib
import ipaddress
import math
import re

from collections.abc import Mapping

from ansible.module_utils.common.validation import check_type_dict

ROUTES = ("dynamic", "public", "private", "privatelink")
DISCOVERIES = ("dns_sd", "static", "file_sd")
RECORD_TYPES = ("A", "AAAA")
PRIMARY = "primary"

# Prometheus removes every label starting with "__" once target relabelling is done, and
# guarantees never to use the "__tmp" prefix itself (configuration docs, <relabel_config>):
# a value kept there changes the job's configuration without changing any stored series.
FINGERPRINT_LABEL = "__tmp_aiven_password_fingerprint"
# The file_sd file holds every group of the project; each job keeps its own group by this
# hidden label (a "__meta_" label from service discovery, likewise gone after relabelling).
SERVER_NAME_LABEL = "__meta_aiven_server_name"

# Keys a job's correctness depends on: job_extra may not set them (relabel_configs given
# there are appended after ours instead).
OWNED_JOB_KEYS = ("job_name", "scheme", "metrics_path", "basic_auth", "tls_config",
                  "dns_sd_configs", "static_configs", "file_sd_configs")

# Prometheus's <scrape_config> keys (configuration docs, 3.x), to catch a typo in job_extra before
# anything changes. A key not listed and not close to one is passed on for promtool to judge, so
# a key from a newer Prometheus still works.
SCRAPE_CONFIG_KEYS = (
    "job_name", "scrape_interval", "scrape_timeout", "scrape_protocols", "fallback_scrape_protocol",
    "scrape_native_histograms", "scrape_classic_histograms", "always_scrape_classic_histograms",
    "convert_classic_histograms_to_nhcb", "metrics_path", "honor_labels", "honor_timestamps",
    "track_timestamps_staleness", "scheme", "params", "enable_compression", "basic_auth", "authorization",
    "oauth2", "follow_redirects", "enable_http2", "tls_config", "proxy_url", "no_proxy",
    "proxy_from_environment", "proxy_connect_header", "http_headers", "relabel_configs",
    "metric_relabel_configs", "body_size_limit", "sample_limit", "label_limit", "label_name_length_limit",
    "label_value_length_limit", "target_limit", "keep_dropped_targets", "native_histogram_bucket_limit",
    "native_histogram_min_bucket_factor", "metric_name_validation_scheme", "metric_name_escaping_scheme",
    "static_configs", "file_sd_configs", "dns_sd_configs")
# A Prometheus <duration>: units from y to ms, largest first (Prometheus's model.ParseDuration).
DURATION_RE = re.compile(r"^(?:0|(?:[0-9]+y)?(?:[0-9]+w)?(?:[0-9]+d)?(?:[0-9]+h)?(?:[0-9]+m)?(?:[0-9]+s)?(?:[0-9]+ms)?)$")
DURATION_MS = (("ms", 1), ("y", 365 * 86400000), ("w", 7 * 86400000), ("d", 86400000), ("h", 3600000),
               ("m", 60000), ("s", 1000))

FINGERPRINT_SALT_PREFIX = "aiven_tools.prometheus password_file fingerprint:"
FINGERPRINT_ROUNDS = 100000
FINGERPRINT_HEX_CHARS = 12


class ScrapeJobsError(ValueError):
    """Bad input; str() is one line naming the option or service at fault."""


Selection = collections.namedtuple("Selection", "rows route connection_id reason")
JobSettings = collections.namedtuple(
    "JobSettings",
    "project job_prefix username password_file password_fingerprint ca_file tls_verify "
    "discovery file_sd_file refresh_interval job_extra")


# -- option values (the filters also get strings from `-e`) ----------------------------------

def check_choice(value, choices, option):
    if value not in choices:
        raise ScrapeJobsError("%s: %r is not one of %s" % (option, value, ", ".join(choices)))
    return value


def check_text(value, option):
    """A non-empty string (a path, a name)."""
    if not isinstance(value, str) or not value.strip():
        raise ScrapeJobsError("%s: give a non-empty string, got %r" % (option, value))
    return value


def to_int(value, option, minimum, maximum):
    """An int from an int or a decimal string ('53' from `-e`); bools are not numbers here."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
        raise ScrapeJobsError("%s: %r is not a whole number from %d to %d" % (option, value, minimum, maximum))
    return value


def to_seconds(value, option):
    """A positive number of seconds from a number or a string ('2.5')."""
    try:
        seconds = float(value) if not isinstance(value, bool) else None
    except (TypeError, ValueError):
        seconds = None
    if seconds is None or math.isnan(seconds) or seconds <= 0:
        raise ScrapeJobsError("%s: %r is not a positive number of seconds" % (option, value))
    return seconds


def normalize_record_types(value):
    """['A'], ['AAAA'] or ['A', 'AAAA'] from 'A', 'aaaa', 'A,AAAA', 'both' or a list."""
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, (list, tuple)):
        raise ScrapeJobsError("record_types: give A, AAAA or both, got %r" % (value,))
    wanted = set()
    for item in items:
        text = str(item).strip().upper()
        if text == "BOTH":
            wanted.update(RECORD_TYPES)
        elif text in RECORD_TYPES:
            wanted.add(text)
        else:
            raise ScrapeJobsError("record_types: %r is not one of A, AAAA, both" % (item,))
    if not wanted:
        raise ScrapeJobsError("record_types: give A, AAAA or both")
    return [rtype for rtype in RECORD_TYPES if rtype in wanted]


# -- names and addresses ---------------------------------------------------------------------

def server_name(host):
    """The name TLS verifies against: the host without a trailing dot."""
    return host.strip().rstrip(".")


def absolute_name(host):
    """The host as an absolute DNS name (trailing dot): no resolv.conf search list applies to
    it. Prometheus's dns_sd asks for a relative name with each search domain appended, before
    the name itself unless it has more than ndots dots (discovery/dns/dns.go
    lookupWithSearchPath over miekg/dns ClientConfig.NameList, which keeps an absolute name
    alone); a wildcard record in a search domain would then answer for every Aiven name."""
    return server_name(host) + "."


def format_address(address, port):
    """'ip:port', IPv6 as '[addr]:port' (the form Prometheus's static and file_sd targets take)."""
    ip = ipaddress.ip_address(str(address))
    return ("[%s]:%d" if ip.version == 6 else "%s:%d") % (ip, port)


# -- 1. which rows of a service to scrape ----------------------------------------------------

def _check_service(service, index):
    if not isinstance(service, Mapping) or not isinstance(service.get("service_name"), str):
        raise ScrapeJobsError("services: item %d is not a service (a dict with service_name and targets)" % index)


def _targets(service):
    rows = service.get("targets") or []
    if not isinstance(rows, (list, tuple)) or not all(isinstance(row, Mapping) for row in rows):
        raise ScrapeJobsError("service %s: targets must be a list of dicts (host, port, route, usage)"
                              % service["service_name"])
    return list(rows)


def _connection_id(row):
    value = row.get("privatelink_connection_id")
    return None if value is None else str(value)


def _wanted_connection(privatelink_connection_id, name):
    if isinstance(privatelink_connection_id, Mapping):
        privatelink_connection_id = privatelink_connection_id.get(name)
    return None if privatelink_connection_id in (None, "") else str(privatelink_connection_id)


def _no_rows_reason(service, route):
    if not _targets(service):
        state = service.get("state")
        if state and state != "RUNNING":
            return "not running (state %s): Aiven lists no Prometheus targets for it" % state
        return ("lists no prometheus components: the Prometheus integration is not enabled yet "
                "(in check mode it is not created)")
    if route == "public":
        return ("in project VPC %s and lists no public prometheus component: public_access.prometheus "
                "is off or not applied yet" % service.get("project_vpc_id"))
    if route == "privatelink":
        if not service.get("project_vpc_id"):
            return "is not in a project VPC, so it has no PrivateLink connection to scrape through"
        return ("lists no privatelink prometheus component: privatelink_access.prometheus is off, "
                "or the project VPC has no PrivateLink connection")
    if route == "private":
        return "lists no private or dynamic prometheus component"
    return "lists no dynamic prometheus component"


def select_rows(service, route, privatelink_connection_id=None):
    """Selection(rows, route, connection_id, reason) for one service row.

    Per route (components' ``route`` values, aiven-api.md 4.2 and 4.4):

    - ``dynamic``: the dynamic rows.
    - ``public``: the public rows. A service outside a project VPC has none and its dynamic
      names are public already: its dynamic rows. A service in a VPC (a non-null
      ``project_vpc_id`` in the row, as service_info gives it) without public rows is left
      out, because its dynamic names resolve to private addresses.
    - ``private``: the private rows, else the dynamic rows (outside a VPC there are no private
      names; inside one, the dynamic names resolve to the private addresses, aiven-api.md 4.4).
    - ``privatelink``: the privatelink rows of ONE connection, never a fallback (another route
      does not go through the connection). ``privatelink_connection_id`` picks it: a string
      for every service, or a dict {service_name: id}; by default the lowest id in sort order,
      so the choice is stable. An id the service does not list raises ScrapeJobsError naming
      the service and the ids it has.

    ``rows == []`` means nothing to scrape; ``reason`` then says why in a few words (powered
    off, no integration yet, no component for the route). ``route`` is the route actually
    used ('dynamic' after a fallback); ``connection_id`` is set for privatelink only.
    """
    rows = _targets(service)
    name = service["service_name"]
    chosen = [row for row in rows if row.get("route") == route]
    if route == "privatelink" and chosen:
        ids = sorted({_connection_id(row) for row in chosen} - {None})
        wanted = _wanted_connection(privatelink_connection_id, name)
        if wanted is not None and wanted not in ids:
            raise ScrapeJobsError("service %s has no PrivateLink connection %s; its privatelink_connection_id values: %s"
                                  % (name, wanted, ", ".join(ids) or "none"))
        pick = wanted or (ids[0] if ids else None)
        return Selection([row for row in chosen if _connection_id(row) == pick], route, pick, None)
    if chosen:
        return Selection(chosen, route, None, None)
    in_vpc_without_public = route == "public" and service.get("project_vpc_id")
    if route in ("public", "private") and not in_vpc_without_public:
        dynamic = [row for row in rows if row.get("route") == "dynamic"]
        if dynamic:
            return Selection(dynamic, "dynamic", None, None)
    return Selection([], route, None, _no_rows_reason(service, route))


# -- 2. target groups ------------------------------------------------------------------------

def _row_port(row, service_name):
    try:
        return to_int(row.get("port"), "port", 1, 65535)
    except ScrapeJobsError:
        raise ScrapeJobsError("service %s: component %s has no valid port (%r)"
                              % (service_name, row.get("host"), row.get("port")))


def _groups_of(service, selection, project, record_types):
    """One group per host name among the selected rows, the primary's first."""
    name = service["service_name"]
    service_type = service.get("service_type")
    if not isinstance(service_type, str) or not service_type:
        raise ScrapeJobsError("service %s has no service_type" % name)
    by_host = dict()
    for row in selection.rows:
        host = row.get("host")
        if not isinstance(host, str) or not server_name(host):
            raise ScrapeJobsError("service %s: a %s component has no host" % (name, selection.route))
        by_host.setdefault(server_name(host).lower(), []).append(row)
    groups = []
    for rows in by_host.values():
        # A replica row naming the primary's host adds nothing: it is the same certificate name.
        usages = [row.get("usage") or PRIMARY for row in rows]
        usage = PRIMARY if PRIMARY in usages else usages[0]
        host = server_name(rows[usages.index(usage)]["host"])
        groups.append({
            "service": name,
            "service_type": service_type,
            "usage": usage,
            "route": selection.route,
            "privatelink_connection_id": selection.connection_id,
            "server_name": host,
            "names": [absolute_name(host)],
            "port": _row_port(rows[usages.index(usage)], name),
            "record_types": list(record_types),
            "addresses": [],
            "labels": dict([
                ("aiven_project", project), ("aiven_service", name),
                ("aiven_service_type", service_type), ("aiven_usage", usage)]),
        })
    return sorted(groups, key=lambda group: group["usage"] != PRIMARY)


def _selections(services, route, privatelink_connection_id):
    if not isinstance(services, (list, tuple)):
        raise ScrapeJobsError("services: give a list of services (service_integration's or service_info's "
                              "services), got %s" % type(services).__name__)
    check_choice(route, ROUTES, "route")
    for index, service in enumerate(services):
        _check_service(service, index)
    return [(service, select_rows(service, route, privatelink_connection_id)) for service in services]


def target_groups(services, project, route="dynamic", privatelink_connection_id=None, record_types="A"):
    """Target groups of the services that have something to scrape on `route`.

    services: [{service_name, service_type, state?, project_vpc_id?, targets: [{host, port,
    route, usage, privatelink_connection_id?}]}], the shape of service_integration's and
    service_info's ``services``. Returns, in service order and the primary's group first:

        [{service, service_type, usage ('primary', 'replica', ...), route (the one used),
          privatelink_connection_id (privatelink only, else None),
          server_name ('pg-x-acme.aivencloud.com': no trailing dot, what TLS verifies),
          names (['pg-x-acme.aivencloud.com.']: absolute, what DNS resolves), port (int, from
          the component row: 9273 on Aiven, aiven-api.md 4.4), record_types (['A'], ...),
          addresses ([]: see attach_addresses), labels {aiven_project, aiven_service,
          aiven_service_type, aiven_usage}}]

    One group per host name (see the module docstring): a replica group exists only when the
    service lists a replica row whose host differs from the primary's. Services without rows
    for the route are left out: untargeted_services() says which and why. Raises
    ScrapeJobsError on malformed input and on a PrivateLink id a service does not have.
    """
    project = check_text(project, "project")
    record_types = normalize_record_types(record_types)
    groups = []
    for service, selection in _selections(services, route, privatelink_connection_id):
        if selection.rows:
            groups.extend(_groups_of(service, selection, project, record_types))
    return groups


def untargeted_services(services, route="dynamic", privatelink_connection_id=None):
    """The services target_groups() leaves out, so a run can say what it skipped and why:
    [{service, service_type, state, route, reason}], reason one line (see select_rows)."""
    return [
        {"service": service["service_name"], "service_type": service.get("service_type"),
         "state": service.get("state"), "route": route, "reason": selection.reason}
        for service, selection in _selections(services, route, privatelink_connection_id)
        if not selection.rows
    ]


# -- 3. addresses (static and file_sd) -------------------------------------------------------

def attach_addresses(groups, addresses_by_host):
    """Copies of groups with ``addresses`` = sorted 'ip:port' targets of their server_name.

    addresses_by_host: {server_name: [ip, ...]} (str or ipaddress objects) as resolved on the
    controller. IPv4 in numeric order before IPv6, each '[addr]:port'. A host missing from the
    mapping, or mapped to no address, raises ScrapeJobsError: an empty static group would
    silently scrape nothing.
    """
    result = []
    for group in groups:
        found = addresses_by_host.get(group["server_name"]) or []
        if not found:
            raise ScrapeJobsError("no address for %s (service %s)" % (group["server_name"], group["service"]))
        ips = sorted({ipaddress.ip_address(str(a)) for a in found}, key=lambda ip: (ip.version, ip))
        result.append(dict(group, addresses=[format_address(ip, group["port"]) for ip in ips]))
    return result


# -- 4. renderers ----------------------------------------------------------------------------

def _check_groups(groups):
    if not isinstance(groups, (list, tuple)):
        raise ScrapeJobsError("groups: give the list target_groups returns, got %s" % type(groups).__name__)
    needed = ("service", "usage", "server_name", "names", "port", "record_types", "addresses", "labels")
    for index, group in enumerate(groups):
        if not isinstance(group, Mapping) or any(key not in group for key in needed):
            raise ScrapeJobsError("groups: item %d is not a target group (use the target_groups filter's result)" % index)
    return groups


def job_names(groups, project, job_prefix):
    """One name per group: '<prefix><project>-<service>' for a primary group (the name one job
    per service had), '<prefix><project>-<service>-<usage>' for the others ('-replica'), and
    '-2', '-3', ... should a service list two hosts of the same usage on one route. Two
    services whose names collide (a service 'x' with a replica and a service 'x-replica')
    raise ScrapeJobsError: Prometheus would refuse the duplicate job_name."""
    names, owner = [], {}
    for group in groups:
        name = "%s%s-%s" % (job_prefix, project, group["service"])
        if group["usage"] != PRIMARY:
            name += "-" + group["usage"]
        base, count = name, 1
        while owner.get(name) == group["service"]:
            count += 1
            name = "%s-%d" % (base, count)
        if name in owner:
            raise ScrapeJobsError("services %s and %s would both get the job name %s; rename the job_prefix "
                                  "or scrape them in separate runs" % (owner[name], group["service"], name))
        owner[name] = group["service"]
        names.append(name)
    return names


def _literal(value):
    """A relabel replacement that is the value itself: '$' would start a group reference."""
    return str(value).replace("$", "$$")


def label_rules(labels):
    """Relabel rules setting fixed labels: for discoveries that take no labels (dns_sd)."""
    return [{"target_label": key, "replacement": _literal(value)} for key, value in labels.items()]


def tls_config(group, settings):
    """Verified TLS: the project CA and the group's own host name (Aiven's node certificates
    name the host, not the IPs). insecure_skip_verify only when asked for."""
    tls = {"ca_file": settings.ca_file, "server_name": group["server_name"]}
    if not settings.tls_verify:
        tls["insecure_skip_verify"] = True
    return tls


def _dns_sd(group, settings):
    # One dns_sd_config per record type: a dns_sd_config asks for one type (A, AAAA, SRV, ...).
    configs = []
    for rtype in group["record_types"]:
        config = {"names": list(group["names"]), "type": rtype, "port": group["port"]}
        if settings.refresh_interval:
            config["refresh_interval"] = settings.refresh_interval
        configs.append(config)
    return {"dns_sd_configs": configs}, label_rules(group["labels"])


def _static(group, settings):
    return {"static_configs": [{"targets": list(group["addresses"]), "labels": dict(group["labels"])}]}, []


def _file_sd(group, settings):
    keep = {"source_labels": ["aiven_service", SERVER_NAME_LABEL],
            "regex": re.escape("%s;%s" % (group["service"], group["server_name"])), "action": "keep"}
    return {"file_sd_configs": [{"files": [settings.file_sd_file]}]}, [keep]


# discovery -> (group, settings) -> ({job keys}, [relabel rules the discovery needs])
DISCOVERY_SECTIONS = {"dns_sd": _dns_sd, "static": _static, "file_sd": _file_sd}


def duration_ms(value):
    """Milliseconds of a Prometheus duration string such as 1m30s; ScrapeJobsError if it is not one."""
    text = str(value)
    if not text or not DURATION_RE.match(text):
        raise ScrapeJobsError("%r is not a Prometheus duration (such as 15s, 1m30s, 2h)" % (value,))
    total = 0
    for number, unit in re.findall(r"([0-9]+)(ms|y|w|d|h|m|s)", text):
        total += int(number) * dict(DURATION_MS)[unit]
    return total


def check_job_extra(job_extra):
    """job_extra as a dict, checked as far as it can be without promtool: a dict (or the
    `key=value` / JSON string `-e` gives), none of the keys the collection writes, no near-miss of a
    scrape_config key (a typo), durations that parse and a scrape_timeout not above the interval."""
    if isinstance(job_extra, str):
        try:
            job_extra = check_type_dict(job_extra)
        except (TypeError, ValueError) as exc:
            raise ScrapeJobsError("job_extra: give a dict of extra job keys (%s)" % exc)
    job_extra = job_extra or {}
    if not isinstance(job_extra, Mapping):
        raise ScrapeJobsError("job_extra: give a dict of extra job keys, got %s" % type(job_extra).__name__)
    owned = [key for key in job_extra if key in OWNED_JOB_KEYS]
    if owned:
        raise ScrapeJobsError("job_extra: %s cannot be set here; the collection writes them so that every "
                              "job scrapes its own targets over verified TLS" % ", ".join(owned))
    for key in job_extra:
        if key not in SCRAPE_CONFIG_KEYS and not key.endswith("_sd_configs"):
            near = difflib.get_close_matches(key, SCRAPE_CONFIG_KEYS, n=1, cutoff=0.8)
            if near:
                raise ScrapeJobsError("job_extra: %s is not a Prometheus scrape_config key; did you mean %s?"
                                      % (key, near[0]))
    for key in ("scrape_interval", "scrape_timeout"):
        if key in job_extra:
            try:
                duration_ms(job_extra[key])
            except ScrapeJobsError as exc:
                raise ScrapeJobsError("job_extra: %s: %s" % (key, exc))
    if "scrape_interval" in job_extra and "scrape_timeout" in job_extra and \
            duration_ms(job_extra["scrape_timeout"]) > duration_ms(job_extra["scrape_interval"]):
        raise ScrapeJobsError("job_extra: scrape_timeout %s is longer than scrape_interval %s; Prometheus "
                              "refuses that" % (job_extra["scrape_timeout"], job_extra["scrape_interval"]))
    if not isinstance(job_extra.get("relabel_configs") or [], list):
        raise ScrapeJobsError("job_extra: relabel_configs must be a list of relabel rules")
    return dict(job_extra)


def job_settings(project, username, password_file, ca_file, job_prefix="aiven-", password_fingerprint=None,
                 tls_verify=True, discovery="dns_sd", file_sd_file=None, refresh_interval="30s", job_extra=None):
    """Validated JobSettings (tls_verify must already be a bool; the filter converts strings)."""
    check_choice(discovery, DISCOVERIES, "discovery")
    if discovery == "file_sd":
        check_text(file_sd_file, "file_sd_file")
    if not isinstance(tls_verify, bool):
        raise ScrapeJobsError("tls_verify: %r is not a boolean" % (tls_verify,))
    if password_fingerprint is not None and not re.match(r"^[0-9a-f]+$", str(password_fingerprint)):
        raise ScrapeJobsError("password_fingerprint: give the password_fingerprint filter's result (hex digits)")
    if refresh_interval is not None and not isinstance(refresh_interval, str):
        raise ScrapeJobsError("refresh_interval: give a Prometheus duration such as 30s, got %r" % (refresh_interval,))
    job_extra = check_job_extra(job_extra)
    if not isinstance(job_prefix, str):
        raise ScrapeJobsError("job_prefix: give a string (it may be empty), got %r" % (job_prefix,))
    return JobSettings(
        check_text(project, "project"), job_prefix,
        check_text(username, "username"), check_text(password_file, "password_file"),
        None if password_fingerprint is None else str(password_fingerprint), check_text(ca_file, "ca_file"),
        tls_verify, discovery, file_sd_file, refresh_interval or None, job_extra)


def prometheus_jobs(groups, settings):
    """Prometheus ``scrape_configs`` entries, one per group, keys in this order:

    job_name, the job_extra keys (except relabel_configs), scheme https, metrics_path /metrics,
    basic_auth {username, password_file}, tls_config {ca_file, server_name[,
    insecure_skip_verify]}, the discovery (dns_sd_configs [{names, type, port[,
    refresh_interval]}] per record type | static_configs [{targets, labels}] | file_sd_configs
    [{files}]), relabel_configs: the discovery's (dns_sd: one rule per label, as dns_sd_configs
    take no labels; file_sd: keep this group's targets only), then the password fingerprint
    rule, then job_extra's relabel_configs. No relabel_configs key when there is no rule.

    The password fingerprint (when given) is written by a rule to FINGERPRINT_LABEL: the job's
    text changes exactly when the password does, so a reload rebuilds its scrape pool and
    Prometheus 3.x reads password_file again (it reads it once per pool; a reload rebuilds only
    pools whose job changed), while no stored label changes (labels starting with "__" are
    removed after relabelling; Prometheus docs, <relabel_config>).
    """
    groups = _check_groups(groups)
    extra = dict((k, v) for k, v in settings.job_extra.items() if k != "relabel_configs")
    jobs = []
    for group, name in zip(groups, job_names(groups, settings.project, settings.job_prefix)):
        if settings.discovery != "dns_sd" and not group["addresses"]:
            raise ScrapeJobsError("group %s of service %s has no addresses: build the groups with discovery=%s"
                                  % (group["server_name"], group["service"], settings.discovery))
        job = dict([("job_name", name)])
        job.update(extra)
        job["scheme"] = "https"
        job["metrics_path"] = "/metrics"
        job["basic_auth"] = {"username": settings.username, "password_file": settings.password_file}
        job["tls_config"] = tls_config(group, settings)
        section, rules = DISCOVERY_SECTIONS[settings.discovery](group, settings)
        job.update(section)
        if settings.password_fingerprint:
            rules = rules + [{"target_label": FINGERPRINT_LABEL, "replacement": settings.password_fingerprint}]
        rules = rules + list(settings.job_extra.get("relabel_configs") or [])
        if rules:
            job["relabel_configs"] = rules
        jobs.append(job)
    return jobs


def file_sd_groups(groups):
    """The JSON list for the project's file_sd file: [{targets: ['ip:port', ...], labels:
    {aiven_project, aiven_service, aiven_service_type, aiven_usage, __meta_aiven_server_name}}],
    one entry per group. The hidden label is what each file_sd job keeps its own group by
    (prometheus_jobs); Prometheus drops it after relabelling."""
    result = []
    for group in _check_groups(groups):
        labels = dict(group["labels"])
        labels[SERVER_NAME_LABEL] = group["server_name"]
        result.append({"targets": list(group["addresses"]), "labels": labels})
    return result


# -- password fingerprint --------------------------------------------------------------------

def password_fingerprint(password, salt):
    """12 hex characters that change when the password changes and do not reveal it.

    prometheus.yml is often world-readable, and the endpoint password can be a weak one a user
    chose: a plain hash there could be brute-forced offline, so this is PBKDF2-HMAC-SHA256
    (hashlib) with 100000 rounds, salted with a fixed string of this collection plus `salt`
    (the endpoint's user name), cut to 48 bits. Same pattern as Helm charts' checksum
    annotations that roll pods when a Secret changes, with a slow hash instead of sha256.
    """
    if not isinstance(password, str) or not password:
        raise ScrapeJobsError("password_fingerprint: the password must be a non-empty string")
    if not isinstance(salt, str):
        raise ScrapeJobsError("password_fingerprint: the salt (the endpoint's user name) must be a string")
    digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"),
                                 (FINGERPRINT_SALT_PREFIX + salt).encode("utf-8"), FINGERPRINT_ROUNDS)
    return digest.hex()[:FINGERPRINT_HEX_CHARS]
