# -*- coding: utf-8 -*-
# Copyright: contributors to the aiven_tools.prometheus collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: target_groups
short_description: What Prometheus scrapes for each Aiven service, one group per certificate name
version_added: 0.1.0
author:
  - aiven_tools.prometheus developers (@aiven_tools)
description:
  - Turns the C(services) that M(aiven_tools.prometheus.service_integration) or
    M(aiven_tools.prometheus.service_info) return into target groups, the input of
    P(aiven_tools.prometheus.scrape_jobs#filter) and P(aiven_tools.prometheus.file_sd_groups#filter).
  - One group per service and host name. A Prometheus job has one C(tls_config.server_name) for
    all its targets (prometheus/prometheus#4827), and a service's primary and C(replica-) host
    names can be different certificate names, so each gets its own group and its own job. A
    replica group exists only when the service lists a replica host different from the primary's.
  - Host names and ports come from the services' C(prometheus) components (host, port, route,
    usage), never from a naming pattern.
  - Services with nothing to scrape on the O(route) (powered off, integration not created yet in
    check mode, no component for the route) are left out; P(aiven_tools.prometheus.untargeted_services#filter)
    lists them with the reason.
  - With O(discovery=static) or O(discovery=file_sd) the names are resolved now, on the
    controller, with dnspython (as the P(aiven_tools.prometheus.node_ips#lookup) lookup does);
    with O(discovery=dns_sd) nothing is resolved, Prometheus does it.
positional: _input, project
options:
  _input:
    description:
      - The services, each a dict with C(service_name), C(service_type), C(targets) (a list of
        dicts with C(host), C(port), C(route), C(usage) and, for PrivateLink,
        C(privatelink_connection_id)), optionally C(state) and C(project_vpc_id).
    type: list
    elements: dict
    required: true
  project:
    description: The Aiven project; becomes the C(aiven_project) label.
    type: str
    required: true
  route:
    description:
      - Which host names to scrape, by the components' C(route).
      - V(dynamic) the normal names.
      - V(public) the C(public-) names of services in a project VPC (C(public_access.prometheus)).
        A service outside a VPC has none and its dynamic names are public, so they are used. A
        service in a VPC (non-null C(project_vpc_id)) without public names is left out.
      - V(private) the C(private-) names (C(private_access.prometheus)), else the dynamic names.
      - V(privatelink) the names of one PrivateLink connection (see O(privatelink_connection_id));
        never another route.
    type: str
    choices: [dynamic, public, private, privatelink]
    default: dynamic
  privatelink_connection_id:
    description:
      - With O(route=privatelink), the connection to scrape through, for every service (a string)
        or per service (a dict of service name to connection id).
      - Default, and for services missing from the dict, the lowest of the service's connection
        ids in sort order, so the choice stays the same from run to run.
      - An id a service does not have fails, naming the service and the ids it has.
    type: raw
  discovery:
    description:
      - How the jobs will find the nodes. V(static) and V(file_sd) resolve the names now and fill
        C(addresses); V(dns_sd) leaves C(addresses) empty.
    type: str
    choices: [dns_sd, static, file_sd]
    default: dns_sd
  record_types:
    description:
      - Address records to use, here and in the C(dns_sd_configs) of the jobs. V(A), V(AAAA), or
        both as V(both), V(A,AAAA) or a list.
    type: raw
    default: A
  nameservers:
    description:
      - DNS servers (IP literals; a list or a comma-separated string) for O(discovery=static) and
        O(discovery=file_sd). Empty means the controller's C(/etc/resolv.conf).
    type: raw
  dns_port:
    description: Port of those DNS servers.
    type: int
    default: 53
  dns_timeout:
    description: Seconds one query may take (tried 3 times on timeouts and SERVFAIL).
    type: float
    default: 5.0
notes:
  - Names are written absolute (with a trailing dot) so no C(search) domain of a C(resolv.conf)
    applies to them, on the controller or in Prometheus's C(dns_sd_configs); C(server_name) is the
    name without the dot, what the certificate holds.
  - Resolution failures (a name that does not exist, has none of the O(record_types), SERVFAIL,
    timeout) fail the filter with one line naming the host and the failure.
requirements:
  - dnspython >= 2.1 on the controller, for O(discovery=static) and O(discovery=file_sd)
seealso:
  - plugin: aiven_tools.prometheus.scrape_jobs
    plugin_type: filter
  - plugin: aiven_tools.prometheus.untargeted_services
    plugin_type: filter
  - name: Prometheus dns_sd_config
    description: How Prometheus resolves the names itself.
    link: https://prometheus.io/docs/prometheus/latest/configuration/configuration/#dns_sd_config
"""

EXAMPLES = r"""
- name: One group per certificate name, for dns_sd (nothing resolved on the controller)
  ansible.builtin.set_fact:
    aiven_groups: "{{ aiven_integration.services | aiven_tools.prometheus.target_groups('acme-prod') }}"
  # aiven_integration registered from aiven_tools.prometheus.service_integration; a PostgreSQL
  # service with a replica gives two groups:
  # [{service: pg-orders, usage: primary, server_name: pg-orders-acme-prod.aivencloud.com,
  #   names: [pg-orders-acme-prod.aivencloud.com.], port: 9273, addresses: [], labels: {...}, ...},
  #  {service: pg-orders, usage: replica, server_name: replica-pg-orders-acme-prod.aivencloud.com, ...}]

- name: The public names of VPC services, IPv4 and IPv6 node addresses resolved for static_configs
  ansible.builtin.set_fact:
    aiven_groups: >-
      {{ aiven_integration.services
         | aiven_tools.prometheus.target_groups('acme-prod', route='public', discovery='static',
                                                record_types='both', nameservers=dns_servers,
                                                dns_port=dns_port) }}
  vars:
    dns_servers: [9.9.9.9, 149.112.112.112]
    dns_port: 53
  # addresses: ['35.228.10.1:9273', '[2a05:d014::1]:9273']

- name: Through one PrivateLink connection
  ansible.builtin.set_fact:
    aiven_groups: >-
      {{ aiven_integration.services
         | aiven_tools.prometheus.target_groups('acme-prod', route='privatelink',
                                                privatelink_connection_id='plc3a5b6c7d8e9') }}
"""

RETURN = r"""
_value:
  description:
    - One group per service and host name, in service order, the primary's first.
    - Every key as in the sample. C(route) is the route actually used (V(dynamic) after a
      fallback); C(privatelink_connection_id) is null except for V(privatelink); C(names) holds
      the absolute name Prometheus resolves, C(server_name) the one TLS verifies; C(addresses)
      are C(ip:port) (IPv6 C([addr]:port)), sorted, IPv4 first, empty for V(dns_sd).
  type: list
  elements: dict
  sample:
    - service: pg-orders
      service_type: pg
      usage: primary
      route: dynamic
      privatelink_connection_id: null
      server_name: pg-orders-acme-prod.aivencloud.com
      names: [pg-orders-acme-prod.aivencloud.com.]
      port: 9273
      record_types: [A]
      addresses: ['35.228.10.1:9273', '35.228.10.2:9273']
      labels: {aiven_project: acme-prod, aiven_service: pg-orders, aiven_service_type: pg, aiven_usage: primary}
"""

from concurrent.futures import ThreadPoolExecutor

from ansible.errors import AnsibleFilterError

from ansible_collections.aiven_tools.prometheus.plugins.module_utils._scrape_jobs import (
    DISCOVERIES,
    ScrapeJobsError,
    attach_addresses,
    check_choice,
    target_groups as build_groups,
    to_int,
    to_seconds,
)
from ansible_collections.aiven_tools.prometheus.plugins.plugin_utils._resolver import (
    MAX_CONCURRENT_QUERIES,
    NodeIPsError,
    build_resolver,
    check_dnspython,
    normalize_nameservers,
    resolve_node_ips,
)

# An error lists this many hosts that failed; the rest are counted (one line stays readable).
MAX_FAILURES_SHOWN = 3


def resolve_hosts(hosts, record_types, nameservers=None, dns_port=53, timeout=5.0):
    """{host: [ipaddress, ...]} for each host, all at once; NodeIPsError naming every failed host."""
    check_dnspython()
    if isinstance(nameservers, str):  # from `-e`: "192.0.2.53,192.0.2.54"
        nameservers = [item for item in nameservers.split(",") if item.strip()]
    resolver = build_resolver(normalize_nameservers(nameservers), dns_port)

    def resolve(host):
        try:
            return resolve_node_ips([host], record_types=record_types, timeout=timeout, resolver=resolver), None
        except NodeIPsError as exc:
            return [], str(exc)

    with ThreadPoolExecutor(max_workers=max(1, min(MAX_CONCURRENT_QUERIES, len(hosts)))) as pool:
        results = list(pool.map(resolve, hosts))
    failures = [error for unused, error in results if error]
    if failures:
        more = len(failures) - MAX_FAILURES_SHOWN
        raise NodeIPsError("; ".join(failures[:MAX_FAILURES_SHOWN]) + (" (and %d more)" % more if more > 0 else ""))
    return dict((host, addresses) for host, (addresses, unused) in zip(hosts, results))


def target_groups(services, project, route="dynamic", privatelink_connection_id=None, discovery="dns_sd",
                  record_types="A", nameservers=None, dns_port=53, dns_timeout=5.0):
    try:
        check_choice(discovery, DISCOVERIES, "discovery")
        dns_port = to_int(dns_port, "dns_port", 1, 65535)
        dns_timeout = to_seconds(dns_timeout, "dns_timeout")
        groups = build_groups(services, project, route=route, privatelink_connection_id=privatelink_connection_id,
                              record_types=record_types)
        if discovery == "dns_sd" or not groups:
            return groups
        hosts = sorted(set(group["server_name"] for group in groups))
        found = resolve_hosts(hosts, groups[0]["record_types"], nameservers, dns_port=dns_port, timeout=dns_timeout)
        return attach_addresses(groups, found)
    except (ScrapeJobsError, NodeIPsError) as exc:
        raise AnsibleFilterError("target_groups: %s" % exc)


class FilterModule(object):
    def filters(self):
        return {"target_groups": target_groups}
