# -*- coding: utf-8 -*-
# Copyright: (c) 2025, aiven_tools.prometheus contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: node_ips
short_description: IP addresses of all nodes behind Aiven service host names
version_added: 0.1.0
author:
  - aiven_tools.prometheus developers (@aiven_tools)
description:
  - Resolves one or more host names, for example an Aiven service's host name and its
    C(public-replica-...) host name, and returns the sorted, de-duplicated IP addresses of all
    of them as one flat list. Multi-node Aiven services have no per-node DNS names; the service
    name resolves to every node.
  - With O(port), returns C(ip:port) strings (IPv6 as C([addr]:port)) ready for a Prometheus
    C(static_configs) target list.
  - All names and record types are queried concurrently, with dnspython's C(dns.resolver.Resolver.resolve).
  - Never returns in-band strings such as C(NXDOMAIN); "nothing found" is an empty list with
    O(on_missing=empty), and every other failure is an error naming the host and the DNS failure
    (NXDOMAIN, empty answer, SERVFAIL, timeout).
  - The lookup runs on the Ansible controller and uses the controller's view of DNS.
notes:
  - The result is a point-in-time snapshot. Aiven replaces nodes (maintenance, upgrades, plan
    changes) and their IPs change; targets rendered from this lookup go stale until the playbook
    runs again. Prometheus C(dns_sd_configs) re-resolve the names on the Prometheus host every
    C(refresh_interval) (30s by default) and are the better choice when the Prometheus host can
    resolve the service names.
  - Use the C(query) function, or C(lookup) with C(wantlist=true), to get a list. Plain
    C(lookup) joins the addresses with commas, and an empty result becomes an empty string.
  - Names are absolute; search domains from C(resolv.conf) never apply. No answers are cached.
  - Only timeouts and SERVFAIL answers are retried. NXDOMAIN and empty answers are answers.
requirements:
  - dnspython >= 2.1 (on the Ansible controller)
options:
  _terms:
    description:
      - Host names to resolve. A list given as one term is flattened, so a list variable of
        host names can be passed as it is (see the examples).
    type: list
    elements: str
    required: true
  port:
    description:
      - When set, return C(ip:port) strings instead of bare addresses; IPv6 addresses are
        bracketed, C([2001:db8::1]:9273).
      - Aiven's Prometheus endpoint listens on port C(9273).
    type: int
  record_types:
    description:
      - Address record types to query. C([A, AAAA]) returns IPv4 and IPv6 addresses.
      - A name counts as missing (see O(on_missing)) only when it has none of these records.
    type: list
    elements: str
    choices: [A, AAAA]
    default: [A]
  nameservers:
    description:
      - IPv4 or IPv6 addresses (literals, not names) of the DNS servers to ask, in order.
      - When omitted, the controller's system resolver configuration (C(/etc/resolv.conf)) is
        used.
    type: list
    elements: str
  dns_port:
    description:
      - Port of the DNS servers, for both the given O(nameservers) and the system ones.
    type: int
    default: 53
  tcp:
    description:
      - Query over TCP instead of UDP.
    type: bool
    default: false
  timeout:
    description:
      - Seconds one query may take across all nameservers (dnspython's C(lifetime)). A query is
        tried at most 1 + O(retries) times, so a server that never answers fails the lookup
        after about O(timeout) * (1 + O(retries)) seconds.
    type: float
    default: 5.0
  retries:
    description:
      - How often a query is repeated after a timeout or a SERVFAIL answer.
    type: int
    default: 2
  on_missing:
    description:
      - What to do with a name that does not exist (NXDOMAIN) or has no record of the
        O(record_types) (NOERROR with an empty answer).
      - V(fail) fails the lookup with a message naming the host.
      - V(empty) skips the name; when no name has an address the result is an empty list.
      - SERVFAIL, timeouts and other DNS failures fail the lookup either way.
    type: str
    choices: [fail, empty]
    default: fail
seealso:
  - name: Prometheus dns_sd_config
    description: Service discovery that re-resolves names on the Prometheus host.
    link: https://prometheus.io/docs/prometheus/latest/configuration/configuration/#dns_sd_config
"""

EXAMPLES = r"""
- name: All node IPs of a Kafka service and of a PostgreSQL service's replica
  ansible.builtin.debug:
    msg: >-
      {{ query('aiven_tools.prometheus.node_ips',
               'kafka-orders-acme.aivencloud.com',
               'public-replica-pg-orders-acme.aivencloud.com') }}
  # -> ['35.228.10.1', '35.228.10.2', '35.228.10.3', '35.228.77.4']

- name: Scrape targets for static_configs, IPv4 and IPv6, from a list variable
  ansible.builtin.set_fact:
    aiven_targets: >-
      {{ query('aiven_tools.prometheus.node_ips', aiven_service_hosts,
               port=9273, record_types=['A', 'AAAA']) }}
  # -> ['35.228.10.1:9273', '[2a05:d014::1]:9273']

- name: Ask given nameservers (IPv6 literals work) on a non-standard port, over TCP
  ansible.builtin.debug:
    msg: >-
      {{ query('aiven_tools.prometheus.node_ips', 'kafka-orders-acme.aivencloud.com',
               nameservers=['9.9.9.9', '2620:fe::fe'], dns_port=53, tcp=true) }}

- name: Tolerate names that do not exist (yet); fail fast on a dead DNS server
  ansible.builtin.debug:
    msg: >-
      {{ query('aiven_tools.prometheus.node_ips', 'kafka-orders-acme.aivencloud.com',
               'public-replica-kafka-orders-acme.aivencloud.com',
               on_missing='empty', timeout=2, retries=1) }}
  # a missing replica name contributes nothing; no name at all gives []

- name: A file_sd target file for Prometheus
  ansible.builtin.copy:
    dest: /etc/prometheus/file_sd/aiven-kafka.json
    content: >-
      {{ [{'targets': query('aiven_tools.prometheus.node_ips',
                            'kafka-orders-acme.aivencloud.com', port=9273),
           'labels': {'aiven_service': 'kafka-orders'}}] | to_nice_json }}
    mode: "0644"
"""

RETURN = r"""
_list:
  description:
    - Sorted, de-duplicated addresses behind all the given names, IPv4 (numerically ordered)
      before IPv6. With O(port), C(ip:port) strings, IPv6 as C([addr]:port).
    - An empty list when every name is missing and O(on_missing=empty).
  type: list
  elements: str
"""

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from ansible_collections.aiven_tools.prometheus.plugins.plugin_utils._resolver import (
    NodeIPsError,
    check_dnspython,
    check_port,
    format_targets,
    normalize_names,
    normalize_nameservers,
    normalize_record_types,
    resolve_node_ips,
)


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        try:
            check_dnspython()
            port = self.get_option("port")
            if port is not None:
                port = check_port(port, "port")
            addresses = resolve_node_ips(
                normalize_names(terms),
                record_types=normalize_record_types(self.get_option("record_types")),
                nameservers=normalize_nameservers(self.get_option("nameservers")),
                dns_port=check_port(self.get_option("dns_port"), "dns_port"),
                tcp=self.get_option("tcp"),
                timeout=self.get_option("timeout"),
                retries=self.get_option("retries"),
                on_missing=self.get_option("on_missing"),
            )
        except NodeIPsError as exc:
            raise AnsibleLookupError("node_ips: %s" % exc)
        return format_targets(addresses, port)
