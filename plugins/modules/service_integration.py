#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) aiven_tools.prometheus contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: service_integration
short_description: Turn Aiven's Prometheus integration on or off for many services at once
version_added: 0.1.0
description:
  - Enables (or removes) the C(prometheus) service integration from each selected service to the
    project's Prometheus endpoint, so the service's nodes expose metrics on port 9273.
  - Handles any number of services in one task, with one read of the project's services; only
    the services that need a change get a write request.
  - With O(access), also turns on the access flags of the Prometheus port (public, private,
    PrivateLink) for services in a project VPC, whose normal DNS names resolve to private
    addresses.
  - Checks every selected service before writing anything. If a write fails part way, the task
    reads the services back (a write can take effect although Aiven answered with an error),
    undoes what this task changed, reads back again and says what the project now holds, so
    services are never left half-configured unnoticed.
  - Returns, per service, the Prometheus targets (host, port, route, usage and PrivateLink
    connection), replica hosts included.
  - Runs where the task runs and needs C(requests) there, so on the controller with
    C(delegate_to=localhost) and C(run_once=true).
extends_documentation_fragment:
  - aiven_tools.prometheus.aiven
  - aiven_tools.prometheus.aiven.services
  - aiven_tools.prometheus.aiven.attributes
options:
  endpoint:
    description:
      - The Prometheus integration endpoint, by name or by ID (see
        M(aiven_tools.prometheus.integration_endpoint)).
      - An ID is used as is, which saves one API call.
    type: str
    default: prometheus
  state:
    description:
      - V(present) enables the integration, V(absent) removes it.
      - V(absent) leaves the access flags as they are.
    type: str
    choices: [present, absent]
    default: present
  public_access:
    description:
      - Deprecated, use O(access=[public]) (the same as V(true)).
      - Turn on C(user_config.public_access.prometheus) for the selected services that are in a
        project VPC. V(false) adds nothing to O(access).
    type: bool
  access_outside_vpc:
    aliases: [public_access_outside_vpc]
notes:
  - The alias O(public_access_outside_vpc) of O(access_outside_vpc) is deprecated.
seealso:
  - module: aiven_tools.prometheus.integration_endpoint
  - module: aiven_tools.prometheus.project_integration
  - module: aiven_tools.prometheus.service_info
author:
  - aiven_tools.prometheus developers (@aiven_tools)
"""

EXAMPLES = r"""
# These run on the controller, which has requests: the play may target the Prometheus hosts.
- name: Enable Prometheus on two services
  aiven_tools.prometheus.service_integration:
    project: acme-prod
    endpoint: prometheus
    services: [pg-orders, kafka-events]
  register: integration
  delegate_to: localhost
  run_once: true

- name: Every Kafka service, reachable from the internet where it is in a VPC
  aiven_tools.prometheus.service_integration:
    project: acme-prod
    query: "[?service_type=='kafka']"
    access: [public]
  delegate_to: localhost
  run_once: true

- name: Private names and PrivateLink for a VPC service scraped from a peered network
  aiven_tools.prometheus.service_integration:
    project: acme-prod
    services: [pg-orders]
    access: [private, privatelink]
  register: integration
  delegate_to: localhost
  run_once: true

- name: Show the hosts of the private route
  ansible.builtin.debug:
    msg: "{{ integration.services[0].targets | selectattr('route', 'equalto', 'private') | map(attribute='host') | list }}"

- name: Turn it off again
  aiven_tools.prometheus.service_integration:
    project: acme-prod
    services: [pg-orders]
    state: absent
  delegate_to: localhost
  run_once: true
"""

RETURN = r"""
endpoint:
  description: The endpoint the integrations point to.
  returned: always
  type: dict
  sample: {id: 6f1c2b7e-3d4a-4e5f-9a8b-1c2d3e4f5a6b, name: prometheus}
  contains:
    id:
      description: Endpoint ID, V(null) with O(state=absent) when there is no such endpoint.
      type: str
    name:
      description: Endpoint name.
      type: str
services:
  description:
    - One entry per selected service, with the fields of
      M(aiven_tools.prometheus.service_info)'s RV(aiven_tools.prometheus.service_info#module:services)
      (name, type, state, access flags, targets per route with their PrivateLink connection,
      ...) as they are after the task, plus those below.
  returned: always
  type: list
  elements: dict
  contains:
    integration_id:
      description: ID of the integration to O(endpoint), V(null) when there is none (or in check mode).
      type: str
      sample: b3e1f0a2-7c6d-4b5a-8e9f-0a1b2c3d4e5f
    active:
      description: Whether that integration is active.
      type: bool
      sample: true
    actions:
      description:
        - What the task did (or would do) to this service, in order, from V(enable_public_access),
          V(enable_private_access), V(enable_privatelink_access), V(create_integration) and
          V(delete_integration).
      type: list
      elements: str
      sample: [enable_public_access, create_integration]
skipped_services:
  description:
    - The selected services that are not C(RUNNING), which the task did not wait for, and why.
      A C(POWEROFF) one was also left unchanged. Empty with O(state=absent).
    - Not called C(skipped), which Ansible would take for the task's own status.
  returned: always
  type: list
  elements: dict
  sample: [{service: pg-night, state: POWEROFF,
            reason: "powered off: nothing was changed for it (no nodes to scrape); re-run after it is powered on"}]
  contains:
    service:
      description: Service name.
      type: str
    state:
      description: Its state.
      type: str
    reason:
      description: What the task did and did not do for it.
      type: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.aiven_tools.prometheus.plugins.module_utils._service_integration import (
    Integrations,
    resolve_endpoint,
    select,
    selection_argument_spec,
)
from ansible_collections.aiven_tools.prometheus.plugins.module_utils.aiven import aiven_argument_spec, run_module

COLLECTION = "aiven_tools.prometheus"


def argument_spec():
    spec = aiven_argument_spec(
        endpoint=dict(type="str", default="prometheus"),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        public_access=dict(type="bool", removed_in_version="1.0.0", removed_from_collection=COLLECTION),
        **selection_argument_spec()
    )
    spec["access_outside_vpc"].update(
        aliases=["public_access_outside_vpc"],
        deprecated_aliases=[dict(name="public_access_outside_vpc", version="1.0.0", collection_name=COLLECTION)])
    return spec


def ensure(module, api):
    params = module.params
    project = params["project"]
    endpoint = resolve_endpoint(module, api, project, params["endpoint"], absent_ok=params["state"] == "absent")
    all_services = api.list_services(project)
    selected = select(module, all_services)
    if endpoint is None:  # absent, and there is no such endpoint: nothing points to it
        endpoint = {"id": None, "name": params["endpoint"]}
    elif endpoint["name"] is None:  # given by ID: name it from an integration, if there is one
        endpoint["name"] = next((i.get("dest_endpoint") for s in all_services for i in s.get("service_integrations") or []
                                 if i.get("dest_endpoint_id") == endpoint["id"]), None)
    access = list(params["access"]) + (["public"] if params["public_access"] else [])
    integrations = Integrations(module, api, project, endpoint["id"], access, params["access_outside_vpc"])
    if params["state"] == "absent":
        result = integrations.run_absent(selected)
    else:
        result = integrations.run_present(selected, integrations.plan_present(selected))
    result["endpoint"] = endpoint
    return result


def main():
    module = AnsibleModule(argument_spec=argument_spec(), required_one_of=[["services", "query"]],
                           supports_check_mode=True)
    run_module(module, lambda api: ensure(module, api))


if __name__ == "__main__":
    main()
