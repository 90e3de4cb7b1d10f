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
  - Checks every selected service before writing anything. If a write still fails part way, the
    changes this task already made are undone, so services are never left half-configured.
  - With O(public_access=true), also turns on C(user_config.public_access.prometheus) for
    services in a project VPC, whose normal DNS names resolve to private addresses.
  - Returns, per service, the Prometheus targets (host, port, route and usage), replica hosts
    included.
extends_documentation_fragment:
  - aiven_tools.prometheus.aiven
  - aiven_tools.prometheus.aiven.attributes
options:
  services:
    description:
      - Names of the services. An unknown name fails the task before anything changes.
    type: list
    elements: str
  query:
    description:
      - A JMESPath expression selecting services from the project's service list, evaluated over
        the same views M(aiven_tools.prometheus.service_info) returns. Use V([*]) for all.
      - Combined with O(services), the union of both is used.
    type: str
  endpoint:
    description:
      - The Prometheus integration endpoint, by name or by ID (see
        M(aiven_tools.prometheus.integration_endpoint)).
      - An ID is used as is, which saves one API call.
    type: str
    required: true
  state:
    description:
      - V(present) enables the integration, V(absent) removes it.
      - V(absent) leaves C(public_access.prometheus) as it is.
    type: str
    choices: [present, absent]
    default: present
  public_access:
    description:
      - Turn on C(user_config.public_access.prometheus) for the selected services that are in a
        project VPC (others are reachable already), so Prometheus outside the VPC can scrape
        them through the C(public-) DNS names.
      - A selected service whose type has no such setting fails the task before anything
        changes.
    type: bool
    default: false
  public_access_outside_vpc:
    description:
      - With O(public_access=true), also set it on services that are not in a project VPC.
    type: bool
    default: false
  wait:
    description:
      - Wait until every selected service's integration is active and its Prometheus targets
        are listed (the public ones too, with O(public_access=true)).
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds to wait with O(wait=true).
    type: int
    default: 600
  wait_interval:
    description:
      - Seconds between two reads of the service list while waiting.
    type: float
    default: 2
notes:
  - Aiven needs about a minute after the integration is enabled before metrics appear.
seealso:
  - module: aiven_tools.prometheus.integration_endpoint
  - module: aiven_tools.prometheus.service_info
author:
  - aiven_tools.prometheus developers (@aiven_tools)
"""

EXAMPLES = r"""
- name: Enable Prometheus on two services
  aiven_tools.prometheus.service_integration:
    project: acme-prod
    endpoint: prometheus-scrape
    services: [pg-orders, kafka-events]
  register: integration
  delegate_to: localhost
  run_once: true

- name: Every Kafka service, public access for the ones in a VPC
  aiven_tools.prometheus.service_integration:
    project: acme-prod
    endpoint: prometheus-scrape
    query: "[?service_type=='kafka']"
    public_access: true
  delegate_to: localhost
  run_once: true

- name: Turn it off again
  aiven_tools.prometheus.service_integration:
    project: acme-prod
    endpoint: prometheus-scrape
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
  sample: {id: 6f1c2b7e-3d4a-4e5f-9a8b-1c2d3e4f5a6b, name: prometheus-scrape}
services:
  description:
    - One entry per selected service, with the fields of
      M(aiven_tools.prometheus.service_info)'s RV(aiven_tools.prometheus.service_info#module:services)
      plus those below.
  returned: always
  type: list
  elements: dict
  contains:
    service_name:
      description: Service name.
      type: str
      sample: pg-orders
    integration_id:
      description: ID of the integration to O(endpoint), V(null) when there is none (or in check mode).
      type: str
      sample: b3e1f0a2-7c6d-4b5a-8e9f-0a1b2c3d4e5f
    active:
      description: Whether that integration is active.
      type: bool
      sample: true
    actions:
      description: What the task did (or would do) to this service.
      type: list
      elements: str
      sample: [enable_public_access, create_integration]
    targets:
      description: Prometheus targets (host, port, route, usage).
      type: list
      elements: dict
      sample: [{host: pg-orders-acme-prod.aivencloud.com, port: 9273, route: dynamic, usage: primary}]
"""

import re

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.aiven_tools.prometheus.plugins.module_utils.aiven import (
    PUBLIC_ACCESS_PROMETHEUS_TYPES,
    AivenAPIError,
    SelectionError,
    aiven_argument_spec,
    prometheus_integrations,
    prometheus_targets,
    public_access_prometheus,
    run_module,
    select_services,
    service_view,
)

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)


def resolve_endpoint(module, api, project):
    wanted = module.params["endpoint"]
    if UUID_RE.match(wanted):
        return {"id": wanted, "name": None}
    found = api.find_prometheus_endpoints(project, wanted)
    if not found:
        if module.params["state"] == "absent":
            return None
        module.fail_json(msg="project %s has no prometheus endpoint named %s; create it first with "
                         "aiven_tools.prometheus.integration_endpoint" % (project, wanted))
    if len(found) > 1:
        module.fail_json(msg="project %s has %d prometheus endpoints named %s; pass the endpoint ID instead"
                         % (project, len(found), wanted))
    return {"id": found[0]["endpoint_id"], "name": found[0]["endpoint_name"]}


def plan_present(module, services, endpoint_id):
    """Per service, the actions needed. Fails (before any write) on services it cannot do."""
    params = module.params
    plan, unsupported = {}, []
    for service in services:
        actions = []
        wants_public = params["public_access"] and (service.get("project_vpc_id") or params["public_access_outside_vpc"])
        if wants_public and not public_access_prometheus(service):
            if service.get("service_type") not in PUBLIC_ACCESS_PROMETHEUS_TYPES:
                unsupported.append("%s (%s)" % (service["service_name"], service.get("service_type")))
            actions.append("enable_public_access")
        if not prometheus_integrations(service, endpoint_id):
            actions.append("create_integration")
        plan[service["service_name"]] = actions
    if unsupported:
        module.fail_json(msg="public_access.prometheus does not exist for service type(s) of %s; nothing was "
                         "changed. Supported types: %s" % (", ".join(unsupported),
                                                           ", ".join(sorted(PUBLIC_ACCESS_PROMETHEUS_TYPES))))
    return plan


def apply_present(module, api, project, endpoint_id, plan):
    """Make the planned writes; on a failure undo this task's earlier writes and fail."""
    undo = []  # (description, callable), newest last
    try:
        for name, actions in plan.items():
            if "enable_public_access" in actions:
                api.update_service_user_config(project, name, {"public_access": {"prometheus": True}})
                undo.append(("public_access of %s" % name, lambda n=name: api.update_service_user_config(
                    project, n, {"public_access": {"prometheus": False}})))
        for name, actions in plan.items():
            if "create_integration" in actions:
                created = api.create_prometheus_integration(project, name, endpoint_id)
                undo.append(("integration of %s" % name, lambda i=created["service_integration_id"]:
                             api.delete_integration(project, i)))
    except AivenAPIError as exc:
        undone, not_undone = [], []
        for what, action in reversed(undo):
            try:
                action()
                undone.append(what)
            except AivenAPIError:
                not_undone.append(what)
        detail = "; undid: %s" % ", ".join(undone) if undone else "; nothing had been changed yet"
        if not_undone:
            detail += "; could NOT undo: %s (fix by hand)" % ", ".join(not_undone)
        module.fail_json(msg=str(exc) + detail, status=exc.status)


def ready_for(names, endpoint_id, public_wanted):
    def ready(by_name):
        for name in names:
            service = by_name.get(name)
            if service is None:
                return False
            integrations = prometheus_integrations(service, endpoint_id)
            if not integrations or not all(i.get("active") for i in integrations):
                return False
            targets = prometheus_targets(service)
            if not targets:
                return False
            if name in public_wanted and not any(t["route"] == "public" for t in targets):
                return False
        return True
    return ready


def plan_diff(services, endpoint_id, plan):
    """Before/after per service: is the integration there, is public access on."""
    before, after = {}, {}
    for service in services:
        name = service["service_name"]
        state = {"prometheus_integration": bool(prometheus_integrations(service, endpoint_id)),
                 "public_access_prometheus": public_access_prometheus(service)}
        before[name] = state
        after[name] = dict(state)
        if "create_integration" in plan[name]:
            after[name]["prometheus_integration"] = True
        if "delete_integration" in plan[name]:
            after[name]["prometheus_integration"] = False
        if "enable_public_access" in plan[name]:
            after[name]["public_access_prometheus"] = True
    return {"before": before, "after": after}


def result_view(service, endpoint_id, actions):
    view = service_view(service)
    integrations = prometheus_integrations(service, endpoint_id)
    view.update(
        integration_id=integrations[0]["service_integration_id"] if integrations else None,
        active=bool(integrations and integrations[0].get("active")),
        actions=actions,
    )
    return view


def ensure(module, api):
    params = module.params
    project = params["project"]
    endpoint = resolve_endpoint(module, api, project)
    all_services = api.list_services(project)
    try:
        selected = select_services(all_services, params["services"], params["query"])
    except SelectionError as exc:
        module.fail_json(msg=str(exc))

    if endpoint is None:  # absent, and there is no such endpoint: nothing points to it
        return {"changed": False, "endpoint": {"id": None, "name": params["endpoint"]},
                "services": [result_view(s, None, []) for s in selected]}
    endpoint_id = endpoint["id"]
    if endpoint["name"] is None:  # given by ID: name it from an integration, if there is one
        for service in all_services:
            for integration in prometheus_integrations(service, endpoint_id):
                endpoint["name"] = integration.get("dest_endpoint")

    if params["state"] == "absent":
        plan = dict((s["service_name"], ["delete_integration"] if prometheus_integrations(s, endpoint_id) else [])
                    for s in selected)
    else:
        plan = plan_present(module, selected, endpoint_id)
    changed = any(plan.values())
    diff = plan_diff(selected, endpoint_id, plan)
    if not changed or module.check_mode:
        return {"changed": changed, "endpoint": endpoint, "diff": diff,
                "services": [result_view(s, endpoint_id, plan[s["service_name"]]) for s in selected]}

    if params["state"] == "absent":
        for service in selected:
            for integration in prometheus_integrations(service, endpoint_id):
                api.delete_integration(project, integration["service_integration_id"])
        by_name = dict((s["service_name"], s) for s in api.list_services(project))
    else:
        apply_present(module, api, project, endpoint_id, plan)
        names = [s["service_name"] for s in selected]
        public = set(n for n, a in plan.items() if "enable_public_access" in a)
        public.update(s["service_name"] for s in selected if params["public_access"] and public_access_prometheus(s)
                      and s.get("project_vpc_id"))
        if params["wait"]:
            by_name, done = api.wait_for_services(project, ready_for(names, endpoint_id, public),
                                                  params["wait_timeout"], params["wait_interval"])
            if not done:
                late = [n for n in names if not ready_for([n], endpoint_id, public)(by_name)]
                module.fail_json(msg="the Prometheus integration was enabled but is not active with targets after %ss "
                                 "for: %s; re-run to wait again" % (params["wait_timeout"], ", ".join(late)))
        else:
            by_name = dict((s["service_name"], s) for s in api.list_services(project))
    return {"changed": True, "endpoint": endpoint, "diff": diff,
            "services": [result_view(by_name.get(s["service_name"], s), endpoint_id, plan[s["service_name"]])
                         for s in selected]}


def main():
    module = AnsibleModule(
        argument_spec=aiven_argument_spec(
            services=dict(type="list", elements="str"),
            query=dict(type="str"),
            endpoint=dict(type="str", required=True),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            public_access=dict(type="bool", default=False),
            public_access_outside_vpc=dict(type="bool", default=False),
            wait=dict(type="bool", default=True),
            wait_timeout=dict(type="int", default=600),
            wait_interval=dict(type="float", default=2),
        ),
        required_one_of=[["services", "query"]],
        supports_check_mode=True,
    )
    run_module(module, lambda api: ensure(module, api))


if __name__ == "__main__":
    main()
