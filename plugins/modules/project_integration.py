#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) aiven_tools.prometheus contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: project_integration
short_description: Everything Prometheus needs from an Aiven project, in one task
version_added: 0.1.0
description:
  - Does in one task what M(aiven_tools.prometheus.integration_endpoint),
    M(aiven_tools.prometheus.service_integration) and M(aiven_tools.prometheus.project_ca) do in
    three, with the same behaviour and no more requests (four reads when nothing changes, a
    write only for what must change).
  - Makes sure the project's Prometheus endpoint exists with the given credentials, enables the
    Prometheus integration and the asked-for access flags on the selected services, waits until
    they are active with targets, and returns the endpoint, the project CA and each service's
    targets.
  - Checks everything before its first write (the selection, every service's access flags, the
    CA), so a mistake fails the task with nothing changed. If a write to the services fails part
    way, it reads back, undoes what it changed on them and says what the project now holds; an
    endpoint it created is kept.
  - O(state=absent) removes the selected services' integrations to the endpoint; with
    O(remove_endpoint=true) also the endpoint and every integration to it.
  - Runs where the task runs and needs C(requests) there, so on the controller with
    C(delegate_to=localhost) and C(run_once=true). It writes no file unless O(password_file) or
    O(ca_file) asks for one; the Prometheus host gets the CA and the password from the result
    (see the examples).
  - The lookup P(aiven_tools.prometheus.project_integration#lookup) runs this module's check mode
    for O(state=present) in the controller's Python, with no module sent; call the module only
    when it says something would change.
extends_documentation_fragment:
  - aiven_tools.prometheus.aiven
  - aiven_tools.prometheus.aiven.endpoint_credentials
  - aiven_tools.prometheus.aiven.services
  - aiven_tools.prometheus.aiven.attributes
options:
  endpoint_name:
    description:
      - Name of the project's Prometheus integration endpoint (at most 40 characters), created
        when missing and adopted when present.
      - The default is the one the role C(aiven_tools.prometheus.prometheus_aiven) and the other
        modules use, so they all find the same endpoint.
    type: str
    default: prometheus
  state:
    description:
      - V(present) makes sure the endpoint, the integrations and the access flags are there.
      - V(absent) removes the selected services' integrations to the endpoint and leaves their
        access flags as they are.
    type: str
    choices: [present, absent]
    default: present
  password_file:
    description:
      - With O(state=present), also write the endpoint's password to this file where the task runs
        (the controller), mode 0600 from the first byte, only when its content differs; for a
        Prometheus that reads C(basic_auth.password_file) on the same machine, or to copy on.
    type: path
  ca_file:
    description:
      - With O(state=present), also write the project CA (PEM) to this file where the task runs,
        only when its content differs.
    type: path
  remove_endpoint:
    description:
      - With O(state=absent), also remove the endpoint and every integration to it, whatever
        service it comes from. O(services) and O(query) are then optional.
    type: bool
    default: false
seealso:
  - plugin: aiven_tools.prometheus.project_integration
    plugin_type: lookup
  - module: aiven_tools.prometheus.integration_endpoint
  - module: aiven_tools.prometheus.service_integration
  - module: aiven_tools.prometheus.project_ca
author:
  - aiven_tools.prometheus developers (@aiven_tools)
"""

EXAMPLES = r"""
# The module runs on the controller, which has requests; the play targets the Prometheus hosts.
- name: Endpoint, integrations and CA of every PostgreSQL service (controller, once)
  aiven_tools.prometheus.project_integration:
    project: acme-prod
    query: "[?service_type=='pg']"
    return_password: true
  register: aiven
  no_log: true  # the result holds the endpoint's password
  delegate_to: localhost
  run_once: true

- name: Put the CA where Prometheus reads it (on the Prometheus host, which needs no requests)
  ansible.builtin.copy:
    content: "{{ aiven.ca_certificate }}"
    dest: /etc/prometheus/aiven-acme-prod-ca.pem
    mode: "0644"

- name: And the scrape password, readable by Prometheus only
  ansible.builtin.copy:
    content: "{{ aiven.endpoint.password }}\n"
    dest: /etc/prometheus/aiven-password
    owner: root
    group: prometheus
    mode: "0640"
  no_log: true

- name: Services in a VPC, scraped over their private names from a peered network
  aiven_tools.prometheus.project_integration:
    project: acme-prod
    services: [pg-orders, kafka-events]
    access: [private]
  register: aiven_private
  delegate_to: localhost
  run_once: true

- name: Stop scraping pg-orders (its integration goes, the endpoint stays)
  aiven_tools.prometheus.project_integration:
    project: acme-prod
    services: [pg-orders]
    state: absent
  delegate_to: localhost
  run_once: true

- name: Remove the endpoint and every integration to it
  aiven_tools.prometheus.project_integration:
    project: acme-prod
    state: absent
    remove_endpoint: true
  delegate_to: localhost
  run_once: true
"""

RETURN = r"""
endpoint:
  description:
    - The endpoint as it is after the task (before it, for O(state=absent)); V(null) with
      O(state=absent) when there is none.
    - The keys of M(aiven_tools.prometheus.integration_endpoint)'s
      RV(aiven_tools.prometheus.integration_endpoint#module:endpoint) (C(id), V(null) when it would
      be created in check mode; C(name), C(username), C(port)), and C(password) only with
      O(return_password=true).
  returned: always
  type: dict
  sample: {id: 6f1c2b7e-3d4a-4e5f-9a8b-1c2d3e4f5a6b, name: prometheus, username: promscraper, port: 9273}
ca_certificate:
  description: The project CA certificate, PEM encoded, for C(tls_config.ca_file). Not a secret.
  returned: when O(state=present)
  type: str
  sample: "-----BEGIN CERTIFICATE-----\nMIIEQTCCAqmgAwIBAgIUB3m...\n-----END CERTIFICATE-----\n"
services:
  description:
    - One entry per selected service, as M(aiven_tools.prometheus.service_integration) returns
      them in RV(aiven_tools.prometheus.service_integration#module:services) (the fields of
      M(aiven_tools.prometheus.service_info), among them C(targets) per route, plus
      C(integration_id), C(active) and C(actions)).
  returned: always
  type: list
  elements: dict
  sample: [{service_name: pg-orders, service_type: pg, state: RUNNING, integration_id: b3e1f0a2-7c6d-4b5a-8e9f-0a1b2c3d4e5f,
            active: true, actions: [create_integration],
            targets: [{host: pg-orders-acme-prod.aivencloud.com, port: 9273, route: dynamic, usage: primary,
                       privatelink_connection_id: null}]}]
skipped_services:
  description:
    - The selected services that are not C(RUNNING), as in
      RV(aiven_tools.prometheus.service_integration#module:skipped_services) (C(service),
      C(state), C(reason)).
  returned: always
  type: list
  elements: dict
  sample: [{service: pg-night, state: POWEROFF,
            reason: "powered off: nothing was changed for it (no nodes to scrape); re-run after it is powered on"}]
password_file:
  description: The O(password_file) written (or that would be, in check mode).
  returned: when O(password_file) is set and O(state=present)
  type: str
  sample: /srv/aiven/aiven-prometheus-password
ca_file:
  description: The O(ca_file) written (or that would be, in check mode).
  returned: when O(ca_file) is set and O(state=present)
  type: str
  sample: /srv/aiven/aiven-acme-prod-ca.pem
removed_integrations:
  description: Services whose integration to the endpoint was removed (or would be, in check mode).
  returned: when O(state=absent)
  type: list
  elements: str
  sample: [pg-orders]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.aiven_tools.prometheus.plugins.module_utils._project_integration import (
    REQUIRED_IF,
    argument_spec,
    run,
)


def main():
    # The work is in module_utils/_project_integration.py, which the project_integration lookup
    # runs too (in check mode, on the controller).
    module = AnsibleModule(argument_spec=argument_spec(), required_if=REQUIRED_IF, supports_check_mode=True)
    run(module)


if __name__ == "__main__":
    main()
