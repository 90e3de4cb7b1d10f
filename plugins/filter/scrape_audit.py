# -*- coding: utf-8 -*-
# Copyright: contributors to the aiven_tools.prometheus collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: scrape_audit
short_description: What one Prometheus host scrapes of an Aiven project, what it misses and what is unsafe
version_added: 0.1.0
author:
  - aiven_tools.prometheus developers (@aiven_tools)
description:
  - Compares an Aiven project (read by M(aiven_tools.prometheus.project_integration) in check mode
    and M(aiven_tools.prometheus.service_info)) with what one Prometheus host reads and scrapes
    (M(aiven_tools.prometheus.prometheus_info)), and returns the findings. Runs on the controller
    and changes nothing. Findings never hold a password (prometheus_info returns none).
  - "C(no_endpoint): the project has no Prometheus integration endpoint of that name."
  - "C(not_integrated): a selected, running service without a Prometheus integration to the endpoint."
  - "C(powered_off): a selected service that is not running (its state is in the detail)."
  - "C(not_scraped): a selected, integrated service that no job on this host scrapes."
  - "C(stale_job): a job this collection placed for a service that no longer exists or is no
    longer selected."
  - "C(unmanaged_job): a job this collection did not place that scrapes the project's hosts (its
    C(dns_sd_configs) names, with or without a trailing dot, its static targets' hosts or its
    C(tls_config.server_name), against every host name the services list on every route); the
    detail names the services it covers and the role's job for each selected one."
  - "C(tls_unverified): a job scraping the project without verified TLS: C(insecure_skip_verify:
    true), no C(ca_file), a C(ca_file) that does not hold the project CA or cannot be read, or a
    scheme other than https."
  - "C(password_inline): a job scraping the project with C(basic_auth.password) written in the
    configuration. The finding names the job and the file, never the password."
  - "C(target_down): a target of a job scraping the project that is not up; the detail is
    Prometheus's C(lastError)."
  - "Jobs this collection placed are those between the marker comments of
    M(aiven_tools.prometheus.scrape_config) for the owner O(owner) in the main file, and those of its
    drop-in file for that owner (RV(aiven_tools.prometheus.prometheus_info#module:files[].owners))."
positional: _input
options:
  _input:
    description: The result of M(aiven_tools.prometheus.prometheus_info) on the host.
    type: dict
    required: true
  project:
    description: The Aiven project.
    type: str
    required: true
  endpoint:
    description:
      - The project's Prometheus integration endpoint, as M(aiven_tools.prometheus.project_integration)
        returns it in check mode (C(endpoint)); V(null), or an C(id) of V(null), when there is none.
    type: dict
  endpoint_name:
    description: Name of the endpoint the services should be integrated with.
    type: str
    default: prometheus
  services:
    description:
      - Every service of the project, as M(aiven_tools.prometheus.service_info) returns them
        without a selection (C(services)).
    type: list
    elements: dict
    required: true
  selected:
    description:
      - The selected services, as names or as the service dicts
        M(aiven_tools.prometheus.project_integration) returns.
    type: list
    elements: raw
    required: true
  ca_certificate:
    description: The project CA (PEM), to tell whether a job's C(ca_file) holds it.
    type: str
  job_prefix:
    description: Start of the role's job names (C(prometheus_aiven_job_prefix)).
    type: str
    default: aiven-
  owner:
    description: Owner id of the collection's jobs for the project; the role's is C(aiven-<project>), the default.
    type: str
seealso:
  - module: aiven_tools.prometheus.prometheus_info
  - module: aiven_tools.prometheus.project_integration
  - module: aiven_tools.prometheus.service_info
"""

EXAMPLES = r"""
# aiven_project: project_integration in check mode (delegate_to: localhost, run_once: true);
# aiven_all: service_info without a selection; prometheus: prometheus_info on this host.
- name: Audit this Prometheus host against the project
  ansible.builtin.set_fact:
    audit: >-
      {{ prometheus | aiven_tools.prometheus.scrape_audit(
           project='acme-prod', endpoint=aiven_project.endpoint, services=aiven_all.services,
           selected=aiven_project.services, ca_certificate=aiven_project.ca_certificate) }}

- name: Print the findings as a table
  ansible.builtin.debug:
    msg: "{{ audit.table }}"
  # KIND            SERVICE    JOB            DETAIL
  # unmanaged_job   pg-orders  aivenmetrics   not placed by aiven_tools.prometheus, in /etc/prometheus/...
  # password_inline pg-orders  aivenmetrics   basic_auth.password is written in /etc/prometheus/prometheus.yml; ...

- name: Fail on any target that is down
  ansible.builtin.assert:
    that: audit.summary.target_down == 0
    fail_msg: "{{ audit.findings | selectattr('kind', 'eq', 'target_down') | map(attribute='detail') | list }}"
"""

RETURN = r"""
_value:
  description: The findings, their count per kind and a table of them.
  type: dict
  contains:
    findings:
      description: One per finding, by kind in the order above.
      type: list
      elements: dict
      contains:
        kind:
          description: One of the kinds above.
          type: str
        service:
          description: The service (several, comma-separated, for a job covering more); V(null) for V(no_endpoint).
          type: str
        job:
          description: The job; V(null) for the kinds about services.
          type: str
        detail:
          description: What was found, in one line.
          type: str
    summary:
      description: Number of findings per kind, every kind listed (zeros too).
      type: dict
      sample: {no_endpoint: 0, not_integrated: 1, powered_off: 0, not_scraped: 0, stale_job: 0,
               unmanaged_job: 1, tls_unverified: 1, password_inline: 1, target_down: 2}
    table:
      description: The findings as lines of a table (KIND, SERVICE, JOB, DETAIL), or C(No findings.).
      type: list
      elements: str
"""

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.aiven_tools.prometheus.plugins.module_utils._audit import AuditError, audit, table


def scrape_audit(info, project=None, endpoint=None, endpoint_name="prometheus", services=None, selected=None,
                 ca_certificate=None, job_prefix="aiven-", owner=None):
    if not isinstance(info, Mapping) or not isinstance(info.get("files"), list):
        raise AnsibleFilterError("scrape_audit: give the result of aiven_tools.prometheus.prometheus_info")
    if not project:
        raise AnsibleFilterError("scrape_audit: project is required")
    names = [item["service_name"] if isinstance(item, Mapping) else item for item in selected or []]
    try:
        result = audit(project, endpoint_name, endpoint, services, names, info["files"], info.get("targets") or [],
                       owner=owner, job_prefix=job_prefix, ca_certificate=ca_certificate,
                       ca_files=info.get("ca_files") or [])
    except AuditError as exc:
        raise AnsibleFilterError("scrape_audit: %s" % exc)
    result["table"] = table(result["findings"])
    return result


class FilterModule(object):
    def filters(self):
        return {"scrape_audit": scrape_audit}
