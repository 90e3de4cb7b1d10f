# -*- coding: utf-8 -*-
# Copyright: contributors to the aiven_tools.prometheus collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: file_sd_groups
short_description: The Prometheus file_sd file for Aiven target groups
version_added: 0.1.0
author:
  - aiven_tools.prometheus developers (@aiven_tools)
description:
  - Turns the groups of P(aiven_tools.prometheus.target_groups#filter), built with
    C(discovery=file_sd), into the list a Prometheus C(file_sd_configs) file holds (write it with
    C(to_nice_json)), one entry per group.
  - Each entry's labels are the group's (C(aiven_project), C(aiven_service),
    C(aiven_service_type), C(aiven_usage)) plus C(__meta_aiven_server_name), the group's host name;
    the jobs of P(aiven_tools.prometheus.scrape_jobs#filter) keep only their own group of the shared
    file by it. Prometheus drops labels starting with C(__) after relabelling, so it is never stored.
positional: _input
options:
  _input:
    description: The groups P(aiven_tools.prometheus.target_groups#filter) returned for C(discovery=file_sd).
    type: list
    elements: dict
    required: true
seealso:
  - plugin: aiven_tools.prometheus.target_groups
    plugin_type: filter
  - plugin: aiven_tools.prometheus.scrape_jobs
    plugin_type: filter
  - name: Prometheus file_sd_config
    link: https://prometheus.io/docs/prometheus/latest/configuration/configuration/#file_sd_config
"""

EXAMPLES = r"""
- name: The file_sd file the jobs read
  ansible.builtin.set_fact:
    aiven_file_sd: "{{ aiven_file_sd_groups | aiven_tools.prometheus.file_sd_groups | to_nice_json(indent=2) }}"
  # aiven_file_sd_groups from target_groups(..., discovery='file_sd'); written with
  # ansible.builtin.copy (mode 0644) to the file_sd_file given to scrape_jobs:
  # [{"targets": ["35.228.10.1:9273", "35.228.10.2:9273"],
  #   "labels": {"aiven_project": "acme-prod", "aiven_service": "pg-orders", "aiven_service_type": "pg",
  #              "aiven_usage": "primary", "__meta_aiven_server_name": "pg-orders-acme-prod.aivencloud.com"}}]
"""

RETURN = r"""
_value:
  description: One C({targets, labels}) entry per group, in the groups' order.
  type: list
  elements: dict
  sample:
    - targets: ['35.228.10.1:9273', '[2a05:d014::1]:9273']
      labels:
        aiven_project: acme-prod
        aiven_service: pg-orders
        aiven_service_type: pg
        aiven_usage: primary
        __meta_aiven_server_name: pg-orders-acme-prod.aivencloud.com
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.aiven_tools.prometheus.plugins.module_utils._scrape_jobs import (
    ScrapeJobsError,
    file_sd_groups as file_sd_entries,
)


def file_sd_groups(groups):
    try:
        return file_sd_entries(groups)
    except ScrapeJobsError as exc:
        raise AnsibleFilterError("file_sd_groups: %s" % exc)


class FilterModule(object):
    def filters(self):
        return {"file_sd_groups": file_sd_groups}
