# -*- coding: utf-8 -*-
# Copyright: contributors to the aiven_tools.prometheus collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: scrape_jobs
short_description: Prometheus scrape jobs for Aiven target groups, with verified TLS
version_added: 0.1.0
author:
  - aiven_tools.prometheus developers (@aiven_tools)
description:
  - Turns the groups of P(aiven_tools.prometheus.target_groups#filter) into Prometheus
    C(scrape_configs) entries, one job per group, for the O(content) of
    M(aiven_tools.prometheus.scrape_config) (through C(to_nice_yaml(sort_keys=false))).
  - "Every job: C(job_name); the O(job_extra) keys; C(scheme: https); C(metrics_path: /metrics)
    (Aiven's, aiven-api.md 4.4); C(basic_auth) with C(username) and C(password_file) (the
    password is never in the job); C(tls_config) with the project CA and C(server_name) = the
    group's host name, so per-IP targets are verified against Aiven's certificate
    (C(insecure_skip_verify) only with O(tls_verify=false)); the discovery; C(relabel_configs)."
  - "Job names: C(<job_prefix><project>-<service>) for the primary host name (the name a
    service's only job had before 0.2.0), C(<job_prefix><project>-<service>-<usage>) for the others
    (C(-replica)); C(-2), C(-3) should one route list two hosts of one usage. Names two services
    would share fail the filter."
  - "O(discovery=dns_sd): one C(dns_sd_configs) entry per record type (C(type: A) and/or
    C(AAAA)) over the group's absolute name and port; the labels C(aiven_project),
    C(aiven_service), C(aiven_service_type), C(aiven_usage) are set by C(relabel_configs), as
    C(dns_sd_configs) take none."
  - "O(discovery=static): C(static_configs) with the group's addresses and labels."
  - "O(discovery=file_sd): C(file_sd_configs) reading O(file_sd_file), written from
    P(aiven_tools.prometheus.file_sd_groups#filter), and a C(keep) rule on C(aiven_service) and
    the hidden C(__meta_aiven_server_name) so each job keeps only its own group of the shared file."
positional: _input
options:
  _input:
    description: The groups P(aiven_tools.prometheus.target_groups#filter) returned.
    type: list
    elements: dict
    required: true
  project:
    description: The Aiven project, part of every job name.
    type: str
    required: true
  username:
    description: The basic-auth user name of the project's Prometheus integration endpoint.
    type: str
    required: true
  password_file:
    description:
      - Absolute path, on the Prometheus host, of the file holding the endpoint's password.
        Relative paths would resolve against the file holding the job, which differs between
        a main file and a drop-in.
    type: str
    required: true
  ca_file:
    description: Absolute path, on the Prometheus host, of the project CA (PEM).
    type: str
    required: true
  job_prefix:
    description: Start of every job name; may be empty.
    type: str
    default: aiven-
  password_fingerprint:
    description:
      - The password's P(aiven_tools.prometheus.password_fingerprint#filter). When given, every job
        gets a relabel rule writing it to the label C(__tmp_aiven_password_fingerprint), so the job's
        text changes exactly when the password changes.
      - "Why: Prometheus 3.x reads C(password_file) once, when it builds a job's scrape pool, and a
        reload rebuilds only the pools whose job changed; after a password change alone every
        scrape would keep sending the old password (2.x re-reads the file on every scrape). No
        stored label changes: Prometheus removes labels starting with C(__) once relabelling is
        done, and never uses the C(__tmp) prefix itself (Prometheus docs, C(<relabel_config>))."
    type: str
  tls_verify:
    description: V(false) adds C(insecure_skip_verify) to every job's C(tls_config).
    type: bool
    default: true
  discovery:
    description: How the jobs find the nodes; the groups must have been built for the same one.
    type: str
    choices: [dns_sd, static, file_sd]
    default: dns_sd
  file_sd_file:
    description: Absolute path, on the Prometheus host, of the file_sd file; required with O(discovery=file_sd).
    type: str
  refresh_interval:
    description: C(refresh_interval) of the C(dns_sd_configs); empty leaves Prometheus's default (30s).
    type: str
    default: 30s
  job_extra:
    description:
      - Extra keys for every job (C(scrape_interval), C(scrape_timeout), C(metric_relabel_configs),
        ...), placed right after C(job_name).
      - C(relabel_configs) given here are appended after the collection's own rules.
      - C(job_name), C(scheme), C(metrics_path), C(basic_auth), C(tls_config) and the discovery keys
        are the collection's; giving one of them fails the filter instead of being ignored.
    type: dict
notes:
  - Shape a second scraper's format as one more function over the same groups (see the
    collection's C(plugins/module_utils/_scrape_jobs.py)).
seealso:
  - plugin: aiven_tools.prometheus.target_groups
    plugin_type: filter
  - plugin: aiven_tools.prometheus.password_fingerprint
    plugin_type: filter
  - module: aiven_tools.prometheus.scrape_config
  - name: Prometheus scrape_config
    link: https://prometheus.io/docs/prometheus/latest/configuration/configuration/#scrape_config
  - name: Prometheus relabel_config
    link: https://prometheus.io/docs/prometheus/latest/configuration/configuration/#relabel_config
"""

EXAMPLES = r"""
- name: One job per certificate name, dns_sd, the password's fingerprint in each job
  ansible.builtin.set_fact:
    aiven_jobs: >-
      {{ aiven_groups
         | aiven_tools.prometheus.scrape_jobs(
             project='acme-prod', username='prometheus',
             password_file='/etc/prometheus/aiven-acme-prod.password',
             ca_file='/etc/prometheus/aiven-acme-prod-ca.pem',
             password_fingerprint=aiven_password | aiven_tools.prometheus.password_fingerprint('prometheus'),
             job_extra={'scrape_interval': '30s'}) }}
  # aiven_groups from aiven_tools.prometheus.target_groups; aiven_jobs | to_nice_yaml:
  # - job_name: aiven-acme-prod-pg-orders
  #   scrape_interval: 30s
  #   scheme: https
  #   metrics_path: /metrics
  #   basic_auth: {username: prometheus, password_file: /etc/prometheus/aiven-acme-prod.password}
  #   tls_config: {ca_file: /etc/prometheus/aiven-acme-prod-ca.pem, server_name: pg-orders-acme-prod.aivencloud.com}
  #   dns_sd_configs:
  #     - {names: [pg-orders-acme-prod.aivencloud.com.], type: A, port: 9273, refresh_interval: 30s}
  #   relabel_configs:
  #     - {target_label: aiven_project, replacement: acme-prod}
  #     - ...
  #     - {target_label: __tmp_aiven_password_fingerprint, replacement: 3f0c9e2a51d7}
  # - job_name: aiven-acme-prod-pg-orders-replica
  #   ...
  # Placed with aiven_tools.prometheus.scrape_config:
  #   content: "{{ aiven_jobs | to_nice_yaml(indent=2, sort_keys=false, width=1000) }}"

- name: The names of the jobs, to wait for them in Prometheus
  ansible.builtin.set_fact:
    aiven_job_names: "{{ aiven_jobs | map(attribute='job_name') | list }}"
  # ['aiven-acme-prod-pg-orders', 'aiven-acme-prod-pg-orders-replica']

- name: Static targets without certificate checks (tls_verify as a string from -e works too)
  ansible.builtin.set_fact:
    aiven_jobs: >-
      {{ aiven_static_groups
         | aiven_tools.prometheus.scrape_jobs(
             project='acme-prod', username='prometheus', discovery='static', tls_verify='false',
             password_file='/etc/prometheus/aiven-acme-prod.password',
             ca_file='/etc/prometheus/aiven-acme-prod-ca.pem') }}
  # aiven_static_groups from target_groups(..., discovery='static'); each job has
  # static_configs: [{targets: ['35.228.10.1:9273', ...], labels: {...}}] and
  # tls_config: {..., insecure_skip_verify: true}
"""

RETURN = r"""
_value:
  description: One Prometheus scrape job (a dict, keys in the order written) per group.
  type: list
  elements: dict
  sample:
    - job_name: aiven-acme-prod-pg-orders
      scheme: https
      metrics_path: /metrics
      basic_auth: {username: prometheus, password_file: /etc/prometheus/aiven-acme-prod.password}
      tls_config: {ca_file: /etc/prometheus/aiven-acme-prod-ca.pem, server_name: pg-orders-acme-prod.aivencloud.com}
      static_configs:
        - targets: ['35.228.10.1:9273', '35.228.10.2:9273']
          labels: {aiven_project: acme-prod, aiven_service: pg-orders, aiven_service_type: pg, aiven_usage: primary}
"""

from ansible.errors import AnsibleFilterError
from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.aiven_tools.prometheus.plugins.module_utils._scrape_jobs import (
    ScrapeJobsError,
    job_settings,
    prometheus_jobs,
)


def scrape_jobs(groups, project=None, username=None, password_file=None, ca_file=None, job_prefix="aiven-",
                password_fingerprint=None, tls_verify=True, discovery="dns_sd", file_sd_file=None,
                refresh_interval="30s", job_extra=None):
    try:
        tls_verify = boolean(tls_verify, strict=True)  # 'false' from `-e` is false
    except TypeError:
        raise AnsibleFilterError("scrape_jobs: tls_verify: %r is not a boolean (true/false, yes/no, 1/0)" % (tls_verify,))
    try:
        settings = job_settings(project, username, password_file, ca_file, job_prefix=job_prefix,
                                password_fingerprint=password_fingerprint, tls_verify=tls_verify,
                                discovery=discovery, file_sd_file=file_sd_file,
                                refresh_interval=refresh_interval, job_extra=job_extra)
        return prometheus_jobs(groups, settings)
    except ScrapeJobsError as exc:
        raise AnsibleFilterError("scrape_jobs: %s" % exc)


class FilterModule(object):
    def filters(self):
        return {"scrape_jobs": scrape_jobs}
