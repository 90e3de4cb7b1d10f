#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) aiven_tools.prometheus contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: service_info
short_description: Read what Prometheus needs to know about Aiven services
version_added: 0.1.0
description:
  - Lists the services of an Aiven project with the fields a scrape job needs (type, state,
    nodes, VPC, which access flags of the Prometheus port are on, the Prometheus integrations
    and the Prometheus targets (host, port, route, usage and PrivateLink connection of every
    C(prometheus) component, replica hosts included)).
  - Never returns raw service objects, which hold passwords and keys.
  - One API call, however many services the project has.
  - Runs where the task runs and needs C(requests) there, so on the controller with
    C(delegate_to=localhost) and C(run_once=true).
extends_documentation_fragment:
  - aiven_tools.prometheus.aiven
  - aiven_tools.prometheus.aiven.info_attributes
options:
  services:
    description:
      - Names of the services to return. An unknown name is an error.
      - With neither O(services) nor O(query), every service of the project is returned.
    type: list
    elements: str
  query:
    description:
      - A JMESPath expression over the list of returned service views (see RV(services)),
        selecting services, for example V([?service_type=='kafka']) or
        V([?tags.env=='prod'].service_name).
      - Combined with O(services), the result is the union of both.
    type: str
requirements:
  - jmespath (only for O(query))
seealso:
  - module: aiven_tools.prometheus.service_integration
author:
  - aiven_tools.prometheus developers (@aiven_tools)
"""

EXAMPLES = r"""
- name: Read every service of the project
  aiven_tools.prometheus.service_info:
    project: acme-prod
  register: aiven
  delegate_to: localhost
  run_once: true

- name: Only the Kafka services
  aiven_tools.prometheus.service_info:
    project: acme-prod
    query: "[?service_type=='kafka']"
  register: kafka_services
  delegate_to: localhost
  run_once: true

- name: Show where Prometheus should scrape
  ansible.builtin.debug:
    msg: "{{ kafka_services.services | map(attribute='targets') | flatten | map(attribute='host') | list }}"
"""

RETURN = r"""
services:
  description: The selected services, in the project's order.
  returned: always
  type: list
  elements: dict
  contains:
    service_name:
      description: Service name.
      type: str
      sample: pg-orders
    service_type:
      description: Service type.
      type: str
      sample: pg
    state:
      description: Service state (V(RUNNING), V(REBUILDING), ...).
      type: str
      sample: RUNNING
    plan:
      description: Service plan.
      type: str
      sample: business-4
    cloud_name:
      description: Cloud and region.
      type: str
      sample: google-europe-west1
    project_vpc_id:
      description: ID of the project VPC the service is in, V(null) when it is not in one.
      type: str
      sample: 1d2e3f4a-5b6c-4d7e-8f9a-0b1c2d3e4f5a
    node_count:
      description: Number of nodes.
      type: int
      sample: 2
    nodes:
      description: Node names, states and roles.
      type: list
      elements: dict
      sample: [{name: pg-orders-1, state: running, role: master}]
    tags:
      description: The service's tags.
      type: dict
      sample: {env: prod}
    public_access_prometheus:
      description: Whether C(user_config.public_access.prometheus) is on.
      type: bool
      sample: true
    prometheus_access:
      description:
        - Which access flags of the Prometheus port are on (C(user_config.public_access.prometheus),
          C(private_access.prometheus), C(privatelink_access.prometheus)).
      type: dict
      sample: {public: true, private: false, privatelink: false}
    hosts:
      description:
        - Every DNS name the service's components list, of every component and route (sorted), for
          recognising a scrape job written by hand.
      type: list
      elements: str
      sample: [pg-orders-acme-prod.aivencloud.com, public-pg-orders-acme-prod.aivencloud.com]
    prometheus_integrations:
      description: Enabled Prometheus integrations (id, endpoint_id, endpoint_name, active, enabled).
      type: list
      elements: dict
      sample: [{id: b3e1f0a2-7c6d-4b5a-8e9f-0a1b2c3d4e5f, endpoint_id: 6f1c2b7e-3d4a-4e5f-9a8b-1c2d3e4f5a6b,
                endpoint_name: prometheus, active: true, enabled: true}]
    targets:
      description:
        - Where Prometheus scrapes the service, one entry per C(prometheus) component.
        - Empty until a Prometheus integration is enabled.
      type: list
      elements: dict
      sample: [{host: pg-orders-acme-prod.aivencloud.com, port: 9273, route: dynamic, usage: primary,
                privatelink_connection_id: null}]
      contains:
        host:
          description: DNS name of the service's nodes for this route and usage.
          type: str
          sample: pg-orders-acme-prod.aivencloud.com
        port:
          description: Port the metrics are served on.
          type: int
          sample: 9273
        route:
          description:
            - V(dynamic) is the normal DNS name. In a project VPC, V(public), V(private) and
              V(privatelink) appear with the matching access flag (V(privatelink) once per
              PrivateLink connection).
          type: str
          sample: dynamic
        usage:
          description:
            - V(primary), or V(replica) for the standby nodes.
          type: str
          sample: primary
        privatelink_connection_id:
          description: The PrivateLink connection of a V(privatelink) target, V(null) for the others.
          type: str
          sample: plc39b0b1e8a1e
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.aiven_tools.prometheus.plugins.module_utils.aiven import (
    SelectionError,
    aiven_argument_spec,
    run_module,
    select_services,
    service_view,
)


def read(module, api):
    services = api.list_services(module.params["project"])
    names, query = module.params["services"], module.params["query"]
    if names or query:
        try:
            services = select_services(services, names, query)
        except SelectionError as exc:
            module.fail_json(msg=str(exc))
    return {"changed": False, "services": [service_view(s) for s in services]}


def main():
    module = AnsibleModule(
        argument_spec=aiven_argument_spec(
            services=dict(type="list", elements="str"),
            query=dict(type="str"),
        ),
        supports_check_mode=True,
    )
    run_module(module, lambda api: read(module, api))


if __name__ == "__main__":
    main()
