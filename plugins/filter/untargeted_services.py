# -*- coding: utf-8 -*-
# Copyright: contributors to the aiven_tools.prometheus collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: untargeted_services
short_description: The Aiven services that have nothing to scrape on a route, and why
version_added: 0.1.0
author:
  - aiven_tools.prometheus developers (@aiven_tools)
description:
  - The services P(aiven_tools.prometheus.target_groups#filter) leaves out for the same O(route)
    and O(privatelink_connection_id), each with a one-line reason, so a run can say what it
    skipped instead of waiting for targets that cannot come up.
  - "Reasons: the service is not running (a C(POWEROFF) service lists no components); it lists
    no C(prometheus) component yet (integration not enabled, or not created because of check
    mode); it lists none for the route (public access off for a service in a project VPC, no
    PrivateLink connection, ...)."
positional: _input
options:
  _input:
    description: The services, as for P(aiven_tools.prometheus.target_groups#filter).
    type: list
    elements: dict
    required: true
  route:
    description: The route, as for P(aiven_tools.prometheus.target_groups#filter).
    type: str
    choices: [dynamic, public, private, privatelink]
    default: dynamic
  privatelink_connection_id:
    description: As for P(aiven_tools.prometheus.target_groups#filter).
    type: raw
seealso:
  - plugin: aiven_tools.prometheus.target_groups
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Say which services are not scraped, and why
  ansible.builtin.debug:
    msg: "{{ item.service }} is not scraped: {{ item.reason }}"
  loop: "{{ aiven_integration.services | aiven_tools.prometheus.untargeted_services(route='public') }}"
  loop_control:
    label: "{{ item.service }}"
  # pg-old is not scraped: not running (state POWEROFF): Aiven lists no Prometheus targets for it
"""

RETURN = r"""
_value:
  description: One entry per service left out, in service order; empty when every service has targets.
  type: list
  elements: dict
  sample:
    - service: pg-old
      service_type: pg
      state: POWEROFF
      route: public
      reason: "not running (state POWEROFF): Aiven lists no Prometheus targets for it"
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.aiven_tools.prometheus.plugins.module_utils._scrape_jobs import (
    ScrapeJobsError,
    untargeted_services as left_out,
)


def untargeted_services(services, route="dynamic", privatelink_connection_id=None):
    try:
        return left_out(services, route=route, privatelink_connection_id=privatelink_connection_id)
    except ScrapeJobsError as exc:
        raise AnsibleFilterError("untargeted_services: %s" % exc)


class FilterModule(object):
    def filters(self):
        return {"untargeted_services": untargeted_services}
